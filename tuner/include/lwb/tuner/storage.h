// Storage of studies and trials: the interface the Study talks to, and the in-memory implementation.
// Every implementation passes the same contract tests (tests/tuner/storage_contract_test.cpp).
// Implementations are safe to call from several threads; several processes may share an SQLite one.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/trial.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lwb::tuner {

struct StudyRecord {
    std::int64_t id = 0;
    std::string name;
    Json spec; ///< StudyOptions as JSON (space, objectives, constraints, sampler, pruner, seed, stop)
    std::int64_t createdNs = 0;
    std::map<std::string, Json> attrs;
};

/// What createTrial() stores; number and id are assigned by the storage.
struct TrialDraft {
    TrialState state = TrialState::Running; ///< Running, Waiting, or Complete (warm-start copies)
    TrialOrigin origin = TrialOrigin::Sampler;
    Params params;
    std::string worker;
    std::vector<double> values; ///< Complete drafts only
    std::map<std::string, double> constraintValues; ///< Complete drafts only
    std::map<std::string, Json> attrs;
};

/// The end of a running trial.
struct TrialOutcome {
    TrialState state = TrialState::Complete; ///< Complete, Failed or Pruned
    std::vector<double> values;
    std::map<std::string, double> constraintValues;
    std::string failReason;
};

class Storage {
public:
    virtual ~Storage() = default;

    /// Creates a study; InvalidArgument when the name is taken.
    virtual Result<StudyRecord> createStudy(const std::string& name, const Json& spec) = 0;
    /// NotFound when there is no study of that name.
    virtual Result<StudyRecord> loadStudy(const std::string& name) = 0;
    virtual Result<std::vector<std::string>> studyNames() = 0;
    virtual Status setStudyAttr(std::int64_t studyId, const std::string& key, const Json& value) = 0;

    /// Adds a trial numbered after the last one. With `expectedTrialCount` set, adds nothing and
    /// returns nullopt when the study holds another number of trials (a concurrent worker added one).
    virtual Result<std::optional<Trial>> createTrial(
        std::int64_t studyId, const TrialDraft& draft, std::optional<int> expectedTrialCount)
        = 0;
    /// Atomically moves the oldest WAITING trial to RUNNING for this worker; nullopt when none waits.
    virtual Result<std::optional<Trial>> claimWaitingTrial(std::int64_t studyId, const std::string& worker) = 0;
    /// RUNNING -> COMPLETE/FAILED/PRUNED. InvalidArgument when the trial is not RUNNING.
    virtual Status finishTrial(std::int64_t trialId, const TrialOutcome& outcome) = 0;
    /// Replaces the parameters of a RUNNING trial (the configuration actually run).
    virtual Status setTrialParams(std::int64_t trialId, const Params& params) = 0;
    /// Records an intermediate value of a RUNNING trial (a repeated step overwrites).
    virtual Status addIntermediate(std::int64_t trialId, std::int64_t step, double value) = 0;
    virtual Status setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value) = 0;

    virtual Result<Trial> trial(std::int64_t trialId) = 0;
    /// All trials of a study ordered by number.
    virtual Result<std::vector<Trial>> trials(std::int64_t studyId) = 0;
    /// True for viewers: every write fails with Unsupported.
    virtual bool isReadOnly() const = 0;
};

/// Everything in process memory (tests, one-shot runs); thread-safe.
class InMemoryStorage final : public Storage {
public:
    Result<StudyRecord> createStudy(const std::string& name, const Json& spec) override;
    Result<StudyRecord> loadStudy(const std::string& name) override;
    Result<std::vector<std::string>> studyNames() override;
    Status setStudyAttr(std::int64_t studyId, const std::string& key, const Json& value) override;
    Result<std::optional<Trial>> createTrial(
        std::int64_t studyId, const TrialDraft& draft, std::optional<int> expectedTrialCount) override;
    Result<std::optional<Trial>> claimWaitingTrial(std::int64_t studyId, const std::string& worker) override;
    Status finishTrial(std::int64_t trialId, const TrialOutcome& outcome) override;
    Status setTrialParams(std::int64_t trialId, const Params& params) override;
    Status addIntermediate(std::int64_t trialId, std::int64_t step, double value) override;
    Status setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value) override;
    Result<Trial> trial(std::int64_t trialId) override;
    Result<std::vector<Trial>> trials(std::int64_t studyId) override;
    bool isReadOnly() const override { return false; }

private:
    Result<Trial*> runningTrial(std::int64_t trialId, std::string_view action);

    std::mutex m_mutex;
    std::vector<StudyRecord> m_studies;
    std::map<std::int64_t, std::vector<Trial>> m_trials; ///< study id -> trials by number
    std::map<std::int64_t, std::pair<std::int64_t, std::size_t>> m_index; ///< trial id -> (study, position)
    std::int64_t m_nextTrialId = 1;
};

/// "host:pid" of this process (the worker name stored with trials).
std::string currentWorkerName();

} // namespace lwb::tuner
