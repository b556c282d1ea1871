// Study specs: the YAML file that describes a study (workload, fixed settings, search space,
// objectives, outcome constraints, budget, sampler, pruner, measurement rules, capture policy,
// storage, seed). Every key is also a `--kebab-case` flag and an `LWB_*` environment variable;
// precedence is CLI > environment > file. Errors name the key and the line (or the flag).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/engine/workload.h"
#include "lwb/workbench/measurement.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb::workbench {

/// Where each spec value came from, by dotted key, for error messages ("study.yaml:12" or
/// "--max-noise").
using SourceMap = std::map<std::string, std::string>;

/// One searched knob: its domain as written in the spec.
struct SearchDimension {
    std::string name;
    engine::KnobType type = engine::KnobType::Int;
    double low = 0;
    double high = 0;
    engine::KnobScale scale = engine::KnobScale::Linear;
    std::vector<engine::KnobValue> choices; ///< categorical (or an explicit list of numbers)
};

struct ObjectiveSpec {
    std::string metric;
    engine::Direction direction = engine::Direction::Maximize;
    std::string toString() const; ///< "tokens_per_s:max"
};

enum class ComparisonOp { LessEqual, GreaterEqual };

/// `p99_latency_ms<=20`: a bound on a measured metric.
struct OutcomeConstraint {
    std::string metric;
    ComparisonOp op = ComparisonOp::LessEqual;
    double bound = 0;
    std::string toString() const;
    bool satisfiedBy(double value) const;
};

enum class CapturePolicy { None, Best, All };

struct CaptureSpec {
    CapturePolicy policy = CapturePolicy::None;
    int bestK = 1; ///< for Best: keep traces of the best k trials
    int skipSteps = 2; ///< capture schedule: skip N steps, then capture K
    int captureSteps = 3;
};

/// External program workload (`workload: command`).
struct CommandSpec {
    std::vector<std::string> argv; ///< with {param} placeholders; never run through a shell
    std::map<std::string, std::string> env; ///< values may hold placeholders too
    std::string workingDirectory;
    double timeoutSeconds = 600;
    std::string metricsFormat = "jsonl"; ///< "jsonl" or "regex"
    std::map<std::string, std::string> metricRegexes; ///< metric -> regex with one capture group
};

struct StudySpec {
    std::string name;
    std::string workload;
    engine::Config settings; ///< fixed knob values (typed later against the workload's knobs)
    Json rawSettings = Json::object();
    std::vector<SearchDimension> searchSpace;
    std::vector<std::string> parameterConstraints; ///< "batch_size * seq_len <= 65536"
    std::vector<ObjectiveSpec> objectives;
    std::vector<OutcomeConstraint> outcomeConstraints;
    int trials = 20;
    double timeBudgetSeconds = 0; ///< 0: no wall-time budget
    int patience = 0; ///< stop after this many trials without improvement (0: off)
    std::string sampler = "gp"; ///< gp, random, sobol, grid
    std::string pruner = "none"; ///< none, median, halving
    MeasurementRules measurement;
    CaptureSpec capture;
    std::filesystem::path storage; ///< default ./<name>.lwb
    std::uint64_t seed = 0;
    int workers = 1;
    std::optional<CommandSpec> command;
    std::vector<Json> enqueue; ///< configurations to try first (baselines)
    std::string warmStartFrom; ///< another study file whose trials seed this one
    SourceMap sources;

    /// "study.yaml:12: search_space.batch_size" style prefix for errors about a key.
    std::string where(const std::string& dottedKey) const;
    Json toJson() const;
};

/// Spec keys that can be overridden: flag name (kebab-case) -> dotted key in the spec.
const std::map<std::string, std::string>& overridableKeys();

/// Parses a spec; `overrides` are CLI flag values by kebab-case name (e.g. {"trials", "30"}),
/// `environment` is consulted for LWB_<KEY> variables (pass environ-like pairs; tests pass their
/// own). Errors: unknown keys, wrong types, impossible domains — each naming the key and line.
Result<StudySpec> parseSpec(std::string_view yamlText, std::string_view origin,
    const std::map<std::string, std::string>& overrides = {},
    const std::map<std::string, std::string>& environment = {});
Result<StudySpec> loadSpec(const std::filesystem::path& path, const std::map<std::string, std::string>& overrides = {},
    const std::map<std::string, std::string>& environment = {});

/// The LWB_* variables of this process, for parseSpec's `environment`.
std::map<std::string, std::string> processEnvironment();

/// Parses "tokens_per_s:max" / "p99_latency_ms:min".
Result<ObjectiveSpec> parseObjective(std::string_view text);
/// Parses "p99_latency_ms<=20" / "tokens_per_s>=1000".
Result<OutcomeConstraint> parseOutcomeConstraint(std::string_view text);
/// Parses durations: "90", "90s", "15m", "2h", "1h30m".
Result<double> parseDuration(std::string_view text);

} // namespace lwb::workbench
