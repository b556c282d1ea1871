// Workloads: what the workbench measures and tunes. A workload declares its knobs (the tuner's
// search dimensions) and metrics, validates a configuration, and prepares a session; the
// workbench's measurement protocol then drives the session window by window (warm-up, measured
// windows until the noise rule holds). Engine workloads (gpt-train, gpt-infer, mlp-train,
// mlp-infer) and the workbench's external `command` workload implement this one interface.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/op_observer.h"
#include "lwb/core/result.h"
#include "lwb/engine/knob_value.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lwb::engine {

enum class KnobType { Int, Float, Categorical, Bool };
/// How a numeric knob is searched: linear, logarithmic, or integer powers of two.
enum class KnobScale { Linear, Log, PowerOfTwo };

/// One tunable or fixed setting of a workload.
struct KnobSpec {
    std::string name; ///< snake_case: batch_size, precision, threads, lr, ...
    KnobType type = KnobType::Int;
    std::string description;
    KnobValue defaultValue;
    double min = 0; ///< Int/Float domain, inclusive
    double max = 0;
    KnobScale scale = KnobScale::Linear;
    /// Categorical domain. Empty: a free-text value (a file path such as `corpus`), which the
    /// tuner does not search.
    std::vector<std::string> choices;
    /// Knobs whose support depends on the backend: backend -> the values it can run, as
    /// knobValueToString writes them (precision: the precisions it has; a backend-specific knob
    /// such as cuda_graphs: only its default on other backends, which ignore it). A backend
    /// without an entry runs every value; a value outside its list is rejected as Unsupported,
    /// never silently replaced, so a tuner does not search a knob that does nothing there.
    std::map<std::string, std::vector<std::string>> supportedByBackend;
    std::string unit; ///< "", "tokens", "1/s", ...
};

/// Whether larger or smaller values of a metric are better.
enum class Direction { Maximize, Minimize };

struct MetricSpec {
    std::string name; ///< tokens_per_s, step_time_ms, p99_latency_ms, peak_memory_gb, loss, ...
    std::string unit;
    Direction better = Direction::Maximize;
    std::string description;
};

/// A full configuration: knob name -> value.
using Config = std::map<std::string, KnobValue>;

std::string knobValueToString(const KnobValue& value);
Json knobValueToJson(const KnobValue& value);
Json configToJson(const Config& config);
/// Reads a configuration, typing each value by the knob's spec (so 8 becomes Int for batch_size
/// and Float for lr). Unknown knob names are errors naming the knob.
Result<Config> configFromJson(const Json& json, const std::vector<KnobSpec>& knobs);

/// Measured result of one window (e.g. N training steps, or one round of generation requests).
struct WindowResult {
    double seconds = 0; ///< wall time of the window
    std::map<std::string, double> metrics; ///< metric name -> value for this window
    /// (step, value) pairs reported during the window, e.g. training loss per step.
    std::vector<std::pair<std::int64_t, double>> intermediate;
};

/// Callbacks a workload uses while running: cancellation, progress, pruning, op tracing.
class RunContext {
public:
    virtual ~RunContext() = default;
    /// Polled between steps; a workload returns ErrorCode::Cancelled soon after it turns true.
    virtual bool cancelled() const { return false; }
    virtual void progress(double fraction, std::string_view message)
    {
        (void)fraction;
        (void)message;
    }
    /// Reports an intermediate value (e.g. loss at a step); true means "prune: stop this trial".
    virtual bool report(std::int64_t step, double value)
    {
        (void)step;
        (void)value;
        return false;
    }
    /// Receives every op the engine runs (nullptr: no tracing).
    virtual OpObserver* observer() { return nullptr; }
};

/// A prepared configuration (model allocated, data loaded), measured window by window.
class WorkloadSession {
public:
    virtual ~WorkloadSession() = default;
    /// Runs one measurement window. Errors: OutOfMemory, NumericalError (NaN/Inf loss),
    /// Cancelled, Timeout, or the failure of an external program.
    virtual Result<WindowResult> runWindow(RunContext& context) = 0;
    /// Metrics over the whole session (peak memory, final/validation loss, ...).
    virtual std::map<std::string, double> summary() { return {}; }
};

/// A workload type (gpt-train, gpt-infer, mlp-train, mlp-infer, command).
class Workload {
public:
    virtual ~Workload() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    virtual std::vector<KnobSpec> knobs() const = 0;
    virtual std::vector<MetricSpec> metrics() const = 0;
    /// Fills defaults and validates every knob (type, domain, backend support) and their
    /// combination (e.g. n_embd divisible by n_head). Errors name the knob and the allowed domain.
    virtual Result<Config> resolve(const Config& partial) const;
    /// Prepares a session; fails with OutOfMemory before allocating when the configuration does
    /// not fit the `memory_limit` budget.
    virtual Result<std::unique_ptr<WorkloadSession>> prepare(const Config& config, RunContext& context) = 0;
};

/// Checks one value against its knob's domain (shared by Workload::resolve implementations).
Status validateKnob(const KnobSpec& knob, const KnobValue& value, std::string_view backend = {});
const KnobSpec* findKnob(const std::vector<KnobSpec>& knobs, std::string_view name);
/// Workload::knobs() returns a copy: keep it in a variable, a pointer into a temporary dangles.
const KnobSpec* findKnob(std::vector<KnobSpec>&& knobs, std::string_view name) = delete;

/// The engine's built-in workloads, by name.
std::vector<std::string> builtinWorkloadNames();
/// Creates a built-in workload; NotFound names the known workloads.
Result<std::unique_ptr<Workload>> makeBuiltinWorkload(std::string_view name);

} // namespace lwb::engine
