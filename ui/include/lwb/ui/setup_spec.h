// The Setup page's model of a study spec: workload, per-knob search space, objectives,
// constraints, budget, sampler/pruner, measurement rules, capture. Plain C++; converts to and from
// the YAML the workbench's spec parser reads (the keys of `lwb tune STUDY.yaml`), and validates
// locally so the page can show messages next to the fields before anything runs.
#pragma once

#include "lwb/core/result.h"
#include "lwb/ui/snapshots.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::ui {

/// A workload knob as the workload declares it (the engine's KnobSpec, Qt-free).
struct KnobInfo {
    std::string name;
    ParamKind kind = ParamKind::Int;
    std::string description;
    std::string unit;
    ParamValue defaultValue = std::int64_t {0};
    double min = 0;
    double max = 0;
    ParamScale scale = ParamScale::Linear;
    std::vector<std::string> choices; ///< Categorical
    /// Backend -> the choices it can run (precision); backends not listed run every choice.
    std::map<std::string, std::vector<std::string>> supportedByBackend;
};

struct MetricInfo {
    std::string name;
    std::string unit;
    Direction better = Direction::Maximize;
    std::string description;
};

struct WorkloadInfo {
    std::string name; ///< gpt-train
    std::string description;
    std::vector<KnobInfo> knobs;
    std::vector<MetricInfo> metrics;
};

/// One knob on the Setup page: searched (with a domain) or fixed (with a value).
struct KnobSetting {
    std::string name;
    ParamKind kind = ParamKind::Int;
    bool included = false;
    double low = 0;
    double high = 0;
    ParamScale scale = ParamScale::Linear;
    std::vector<std::string> choices; ///< Categorical/Bool searched choices
    std::string fixedValue; ///< used when not included; "" = the workload's default
    bool operator==(const KnobSetting&) const = default;
};

struct ObjectiveSetting {
    std::string metric;
    Direction direction = Direction::Maximize;
    bool operator==(const ObjectiveSetting&) const = default;
};

struct MeasurementSetting {
    std::string mode = "throughput"; ///< throughput, time_to_target_loss, loss_after_time
    int warmup = 1;
    int minSamples = 5;
    int maxSamples = 20;
    double maxNoise = 0.05;
    std::string maxTime = "120s";
    double targetLoss = 0; ///< time_to_target_loss
    std::string lossTimeBudget; ///< loss_after_time: "10m"
    bool operator==(const MeasurementSetting&) const = default;
};

struct SetupSpec {
    std::string name = "study";
    std::string workload;
    std::vector<KnobSetting> knobs;
    std::vector<ObjectiveSetting> objectives;
    std::vector<std::string> outcomeConstraints; ///< "p99_latency_ms<=20"
    int trials = 20;
    std::string timeBudget; ///< "" (none), "15m", "2h"
    int patience = 0;
    std::string sampler = "gp"; ///< gp, random, sobol, grid
    std::string pruner = "none"; ///< none, median, halving
    MeasurementSetting measurement;
    std::string capture = "best"; ///< none, best, all
    std::uint64_t seed = 0;
    std::string storage; ///< "" = ./<name>.lwb
    bool operator==(const SetupSpec&) const = default;
};

enum class IssueSeverity { Error, Warning };

/// A validation message attached to a field, by its dotted spec key ("search_space.lr",
/// "objectives", "budget.trials", "measurement.max_noise").
struct ValidationIssue {
    std::string field;
    IssueSeverity severity = IssueSeverity::Error;
    std::string message;
};

/// A spec for a workload with its usual knobs searched (pow2/log where the knob says so).
SetupSpec defaultSetup(const WorkloadInfo& workload);
/// Local checks (names, domains, objectives, constraints' syntax, budget, measurement rules).
/// `workload` may be null when unknown (then metric and knob names are not checked).
std::vector<ValidationIssue> validateSetup(const SetupSpec& spec, const WorkloadInfo* workload);
bool hasErrors(const std::vector<ValidationIssue>& issues);
/// Parses "p99_latency_ms<=20" / "tokens_per_s>=1000"; returns the metric or an error text.
Result<std::string> parseConstraintMetric(std::string_view text);
/// Parses "90", "90s", "15m", "2h", "1h30m" to seconds.
Result<double> parseDurationText(std::string_view text);

/// The YAML of `lwb tune` (only keys that differ from the parser's defaults are omitted).
std::string setupToYaml(const SetupSpec& spec);
/// Reads a spec written by setupToYaml or by hand. Knobs of `workloads`' matching workload that
/// the file does not mention are added as not searched. Errors name the key.
Result<SetupSpec> setupFromYaml(std::string_view text, const std::vector<WorkloadInfo>& workloads);

} // namespace lwb::ui
