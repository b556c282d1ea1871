// Value snapshots the GUI shows: a study with its trials, the tuner's model insights (GP slices,
// parameter importance), the running trial's progress, kernel summaries, comparisons, export
// results and messages. Plain C++ (no Qt) so the workbench side can fill them on its worker
// thread; the UI receives them as shared_ptr<const ...> and never mutates them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lwb::ui {

class TimelineSource;

/// A parameter's value: integer, real, categorical (string) or boolean.
using ParamValue = std::variant<std::int64_t, double, std::string, bool>;
/// "16", "0.0003", "bf16", "true".
std::string paramValueToString(const ParamValue& value);

enum class TrialState { Running, Complete, Failed, Pruned };
/// "RUNNING", "COMPLETE", "FAILED", "PRUNED".
std::string_view trialStateName(TrialState state);

enum class Direction { Maximize, Minimize };

struct ObjectiveInfo {
    std::string metric; ///< tokens_per_s
    std::string unit; ///< "1/s", "ms", "GB"
    Direction direction = Direction::Maximize;
    bool operator==(const ObjectiveInfo&) const = default;
};

enum class ParamKind { Int, Float, Categorical, Bool };
enum class ParamScale { Linear, Log, PowerOfTwo };

/// A searched parameter and its domain (axes of the plots).
struct ParamInfo {
    std::string name;
    ParamKind kind = ParamKind::Int;
    double low = 0;
    double high = 0;
    ParamScale scale = ParamScale::Linear;
    std::vector<std::string> choices; ///< Categorical/Bool: the choices in display order
    bool operator==(const ParamInfo&) const = default;
};

/// Position of a value on the parameter's axis in [0, 1] (log/pow2 aware; choices by index).
double paramPosition(const ParamInfo& param, const ParamValue& value);
/// The numeric value of a parameter for plots (categorical: index of the choice).
double paramNumeric(const ParamInfo& param, const ParamValue& value);

struct TrialSnapshot {
    int number = 0; ///< 0-based, as the tuner numbers them
    TrialState state = TrialState::Running;
    std::map<std::string, ParamValue> params;
    std::vector<std::optional<double>> values; ///< one per StudySnapshot::objectives (nullopt: none)
    std::map<std::string, double> metrics; ///< other measured metrics (peak_memory_gb, noise, ...)
    std::string failureReason; ///< FAILED/PRUNED: why ("out of memory: 81 GB > 80 GB")
    std::vector<std::pair<std::int64_t, double>> intermediate; ///< (step, loss)
    double durationSeconds = 0;
    bool hasTrace = false; ///< a timeline was captured for this trial
    bool operator==(const TrialSnapshot&) const = default;
};

struct StudySnapshot {
    std::string name;
    std::string path; ///< the study file, "" for in-memory studies
    std::string workload;
    std::vector<ObjectiveInfo> objectives;
    std::vector<ParamInfo> params;
    std::vector<TrialSnapshot> trials; ///< ascending by number
    int budgetTrials = 0; ///< 0: unknown / no trial budget
    std::int64_t revision = 0; ///< grows with every update of the same study
};
using StudySnapshotPtr = std::shared_ptr<const StudySnapshot>;

/// True when `a` is better than `b` for an objective of direction `d`.
bool isBetter(Direction d, double a, double b);
/// The index of the best COMPLETE trial for objective `objective`, or -1.
int bestTrialIndex(const StudySnapshot& study, int objective);

/// One point of the optimisation history.
struct HistoryPoint {
    int trial = 0; ///< trial number
    TrialState state = TrialState::Complete;
    std::optional<double> value; ///< the objective (absent for failed trials)
    std::optional<double> bestSoFar; ///< best COMPLETE value up to and including this trial
};
std::vector<HistoryPoint> historySeries(const StudySnapshot& study, int objective);

/// Indices (into study.trials) of the COMPLETE trials on the 2-D Pareto front of objectives
/// `objA` and `objB`, sorted by objective A.
std::vector<int> paretoFront(const StudySnapshot& study, int objA, int objB);

/// The GP surrogate along one parameter, the others held at the best configuration.
struct SliceSnapshot {
    std::string param;
    std::vector<double> x; ///< parameter values (ascending)
    std::vector<double> mean; ///< predicted objective
    std::vector<double> stddev; ///< predictive standard deviation
};

struct ImportanceEntry {
    std::string param;
    double weight = 0; ///< share of explained variance, sums to ~1
};

/// What the tuner's model says (for one objective).
struct InsightsSnapshot {
    int objective = 0;
    int fittedOnTrials = 0;
    std::vector<SliceSnapshot> slices;
    std::vector<ImportanceEntry> importance; ///< descending weight
};
using InsightsPtr = std::shared_ptr<const InsightsSnapshot>;

/// The running trial.
struct TrialProgress {
    int trial = -1; ///< -1: none running
    std::string phase; ///< "warm-up", "measuring", "capturing"
    double fraction = 0; ///< 0..1 of this trial
    std::string message; ///< "window 4/20, noise 2.1%"
    std::vector<std::pair<std::int64_t, double>> loss; ///< (step, loss) so far
    double elapsedSeconds = 0;
};

/// One row of the kernel/op summary (the profiler's kernel_sum report).
struct KernelSummaryRow {
    std::string name;
    std::string category; ///< "kernel", "cpu_op", "memcpy", ...
    std::int64_t count = 0;
    std::int64_t totalNs = 0;
    double meanNs = 0;
    double medianNs = 0;
    std::int64_t minNs = 0;
    std::int64_t maxNs = 0;
    double percent = 0; ///< of the summed total
};

struct KernelSummary {
    std::vector<KernelSummaryRow> rows; ///< longest total first
    std::int64_t totalNs = 0;
};
/// Groups the items of a timeline by name (what the profiler's summary computes for stored
/// traces); rows sorted by total time, longest first.
KernelSummary summarizeKernels(const TimelineSource& source);

/// A trial's timeline, delivered when loaded.
struct TimelineSnapshot {
    int trial = -1;
    std::string label; ///< "trial 12 (batch_size=16, precision=bf16)"
    std::shared_ptr<const TimelineSource> source;
    std::shared_ptr<const KernelSummary> kernels;
    std::int64_t droppedRecords = 0; ///< capture losses, shown, never hidden
    /// What the capture could not do ("GPU activity not captured: ..."), shown with the title.
    std::vector<std::string> captureNotes;
};
using TimelineSnapshotPtr = std::shared_ptr<const TimelineSnapshot>;

/// The measured samples of a metric for both sides of a comparison.
struct MetricComparison {
    std::string metric;
    std::string unit;
    Direction direction = Direction::Maximize;
    std::vector<double> samplesA;
    std::vector<double> samplesB;
    std::string verdict; ///< "FASTER", "SLOWER", "SAME", "INCONCLUSIVE" (B relative to A)
};

/// One kernel/op's contribution to the difference in step time.
struct OpDelta {
    std::string name;
    std::string category;
    double nsA = 0; ///< per step
    double nsB = 0;
    double deltaNs() const { return nsB - nsA; }
};

struct CompareSnapshot {
    int trialA = -1;
    int trialB = -1;
    std::string labelA;
    std::string labelB;
    std::map<std::string, ParamValue> configA;
    std::map<std::string, ParamValue> configB;
    std::vector<MetricComparison> metrics;
    std::vector<OpDelta> deltas; ///< ranked by |delta|, largest first
    double stepNsA = 0; ///< mean step time; sum of deltas + otherNs == stepNsB - stepNsA
    double stepNsB = 0;
    double otherNs = 0; ///< what the listed rows do not explain (idle, unlisted ops)
};
using CompareSnapshotPtr = std::shared_ptr<const CompareSnapshot>;

enum class RunState { Idle, Running, Pausing, Paused, Stopping, Finished };
std::string_view runStateName(RunState state);
/// Stop: finish the running trial and keep it, or abandon it (recorded as FAILED "stopped").
enum class StopMode { FinishTrial, AbandonTrial };

enum class ExportKind { TunedProfile, HtmlReport, ChromeTrace };
/// Which configurations a tuned profile holds.
enum class ProfileSelection { BestTrial, ParetoSet, OneTrial };

struct ExportRequest {
    ExportKind kind = ExportKind::TunedProfile;
    std::string path;
    ProfileSelection selection = ProfileSelection::BestTrial;
    int trial = -1; ///< ChromeTrace and OneTrial: the trial
};

struct ExportResult {
    ExportRequest request;
    bool ok = false;
    std::string message; ///< "wrote 1.2 MB" or the error
};

enum class Severity { Info, Warning, Error };

/// A message for the user (errors never crash the window; they arrive here).
struct UserMessage {
    Severity severity = Severity::Info;
    std::string text; ///< one line
    std::string detail; ///< more lines, shown on demand
};

/// A long operation (load, export); fraction < 0: indeterminate.
struct TaskProgress {
    std::uint64_t taskId = 0;
    std::string label;
    double fraction = -1;
    bool finished = false;
    bool cancellable = true;
};

} // namespace lwb::ui
