// Runs one configuration of a workload: prepare, the measurement protocol, and optionally a
// host-op trace under a capture schedule. Shared by `lwb run`, `lwb tune`, `lwb check` and the GUI.
// Failures are data: the outcome carries the error instead of stopping the caller.
#pragma once

#include "lwb/engine/workload.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/profiler/trace.h"
#include "lwb/workbench/measurement.h"

#include <functional>
#include <optional>

namespace lwb::workbench {

struct TrialRunOptions {
    MeasurementRules rules;
    std::string primaryMetric;
    /// Capture a host-op trace with this schedule (nullopt: no trace).
    std::optional<profiler::CaptureSchedule> capture;
    std::function<bool()> cancelled;
    /// Intermediate values (e.g. loss per step); return true to prune.
    std::function<bool(std::int64_t step, double value)> onIntermediate;
    std::function<void(double fraction, std::string_view message)> onProgress;
    /// Extra observer (e.g. a CUPTI correlation tagger) called in addition to the tracer.
    OpObserver* extraObserver = nullptr;
};

struct TrialOutcome {
    std::optional<Measurement> measurement; ///< set when the protocol finished (also when pruned)
    std::optional<Error> error; ///< set when the configuration failed (OOM, NaN, crash, timeout, ...)
    std::optional<profiler::Trace> trace;
    bool pruned() const { return measurement && measurement->stopReason == StopReason::Pruned; }
};

/// Prepares and measures `config` (already resolved by the workload).
TrialOutcome runTrial(engine::Workload& workload, const engine::Config& config, const TrialRunOptions& options);

} // namespace lwb::workbench
