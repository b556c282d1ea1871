// Study: an ask/tell optimisation over a SearchSpace, persisted in a Storage. Several workers
// (threads sharing one Study, or processes each with their own Study on one study file) may ask and
// tell at once: running trials are pending points the sampler accounts for. A study is seeded:
// the same history gives the same proposals.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/objective.h"
#include "lwb/tuner/pruner.h"
#include "lwb/tuner/sampler.h"
#include "lwb/tuner/search_space.h"
#include "lwb/tuner/storage.h"
#include "lwb/tuner/trial.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lwb::tuner {

/// When a study is done (each criterion is off when 0).
struct StopCriteria {
    int maxTrials = 0; ///< finished + running trials of this study (not waiting, not warm-start copies)
    double maxSeconds = 0.0; ///< wall time since this Study object was created or loaded
    int noImprovementTrials = 0; ///< completed trials since the best one (single objective)
};

struct StudyOptions {
    std::string name;
    SearchSpace space;
    std::vector<Objective> objectives; ///< one, or several (multi-objective)
    std::vector<OutcomeConstraint> constraints; ///< on metrics reported with tell()
    SamplerSpec sampler; ///< default "gp"
    PrunerSpec pruner; ///< default "none"
    std::uint64_t seed = 0;
    StopCriteria stop;

    /// The JSON form stored with the study (see docs/tuner.md).
    Json toJson() const;
    static Result<StudyOptions> fromJson(const Json& json);
};

/// Whether to stop, and why.
struct StopDecision {
    bool stop = false;
    std::string reason; ///< "trial budget of 50 reached", ...
    explicit operator bool() const { return stop; }
};

/// What to do with RUNNING trials whose worker is gone (a killed `lwb tune`).
enum class RecoveryAction {
    MarkFailed, ///< FAILED with kInterruptedReason (not used as a failure of the configuration)
    Requeue, ///< FAILED as above, and the same configuration enqueued again
};
/// Which RUNNING trials count as interrupted.
enum class RecoveryScope {
    DeadWorkersOnThisHost, ///< their worker "host:pid" is this host and that process no longer exists
    AllRunning, ///< every running trial (only when no other worker can be running)
};

/// Warm start from another study's trials (e.g. tuned on another machine).
struct WarmStartOptions {
    int enqueueBest = 3; ///< re-measure the best k source configurations first
    /// Also give the model every completed source trial as prior data (stored as WarmStart trials:
    /// used by the sampler, never by best(), paretoFront() or the budgets).
    enum class PriorData { None, Observations } priorData = PriorData::Observations;
};

/// How much each parameter explains of the objective (main effects of the GP mean, summing to 1).
struct ParamImportance {
    std::string param;
    double importance = 0.0;
};

/// GP prediction along one parameter with the others held fixed, in the objective's own units.
struct SlicePrediction {
    std::string param;
    std::vector<ParamValue> values; ///< the parameter's values (nPoints, or every level when discrete)
    std::vector<double> x; ///< numeric position: the value, or the choice index for categoricals
    std::vector<double> mean; ///< posterior mean (median when the model works on log values)
    std::vector<double> stddev; ///< posterior standard deviation (delta method on log values)
    std::vector<double> lower; ///< mean band, 2 standard deviations of the model
    std::vector<double> upper;
    Params fixedParams; ///< the configuration the slice goes through
};

class Study {
public:
    Study(Study&&) noexcept;
    Study& operator=(Study&&) noexcept;
    ~Study();

    /// Validates the options, creates the study in the storage (InvalidArgument if the name exists).
    static Result<Study> create(std::shared_ptr<Storage> storage, StudyOptions options);
    /// Loads a study by name (works on read-only storages).
    static Result<Study> load(std::shared_ptr<Storage> storage, const std::string& name);
    /// Loads the study when it exists (its stored options win), else creates it.
    static Result<Study> loadOrCreate(std::shared_ptr<Storage> storage, StudyOptions options);

    const StudyOptions& options() const;
    std::int64_t id() const;
    const std::string& name() const;
    Storage& storage();

    /// Next configuration to run: an enqueued one if any waits, else the sampler's proposal. The trial
    /// is RUNNING until told.
    Result<Trial> ask();
    /// Completes a trial with one value per objective and the outcome-constraint metrics. Non-finite
    /// values record the trial as FAILED (reason says which) and return ok.
    Status tell(std::int64_t trialId, const std::vector<double>& values,
        const std::map<std::string, double>& constraintValues = {});
    /// Records a failure (out of memory, crash, timeout, ...): the model learns to avoid the region.
    Status tellFailed(std::int64_t trialId, const std::string& reason);
    Status tellPruned(std::int64_t trialId);
    /// Stores an intermediate value; true when the pruner says the trial should stop (then tellPruned).
    Result<bool> reportIntermediate(std::int64_t trialId, std::int64_t step, double value);
    /// Queues a configuration (fixed values may be omitted); asked before any proposal. Returns the trial.
    Result<Trial> enqueue(const Params& params);
    /// Records the configuration actually run when it differs from the one asked (checked against
    /// the space; the asked one is kept in attr "asked_params").
    Status reviseParams(std::int64_t trialId, const Params& params);
    Status setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value);

    Result<std::vector<Trial>> trials();
    Result<Trial> trial(std::int64_t trialId);
    /// Best completed trial satisfying the outcome constraints (single objective).
    Result<Trial> best();
    /// Non-dominated completed trials satisfying the outcome constraints.
    Result<std::vector<Trial>> paretoFront();
    /// Hypervolume of the Pareto front with respect to a reference point (objective units).
    Result<double> hypervolume(const std::vector<double>& reference);
    /// Importance of each free parameter for an objective (from a GP fitted on completed trials).
    Result<std::vector<ParamImportance>> importance(int objectiveIndex = 0);
    /// GP mean and band along `param` (nPoints for numeric parameters), other parameters at
    /// `fixedParams` or, when not given, at the best trial's values.
    Result<SlicePrediction> predictSlice(
        const std::string& param, const Params& fixedParams, int nPoints = 50, int objectiveIndex = 0);
    /// Checks the stop criteria.
    Result<StopDecision> shouldStop();

    /// Finishes RUNNING trials left by killed workers; returns how many.
    Result<int> recoverInterruptedTrials(
        RecoveryAction action, RecoveryScope scope = RecoveryScope::DeadWorkersOnThisHost);
    /// Warm start from another study's trials (they must fit this study's space; others are skipped).
    /// Returns how many trials were enqueued or copied.
    Result<int> warmStart(const std::vector<Trial>& sourceTrials, const WarmStartOptions& options = {});

private:
    struct Impl;
    explicit Study(std::unique_ptr<Impl> impl);
    static Result<std::unique_ptr<Impl>> makeImpl(std::shared_ptr<Storage> storage, StudyOptions options);
    std::unique_ptr<Impl> m_impl;
};

} // namespace lwb::tuner
