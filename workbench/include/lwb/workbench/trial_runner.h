// Runs one configuration of a workload: prepare, the measurement protocol, and optionally a
// trace under a capture schedule: the engine's host ops, plus the GPU activity (CUPTI, tagged with
// the trial's external correlation id) when the configuration runs on a GPU backend. Shared by
// `lwb run`, `lwb tune`, `lwb check` and the GUI. Failures are data: the outcome carries the error
// instead of stopping the caller.
#pragma once

#include "lwb/engine/workload.h"
#include "lwb/profiler/cupti_source.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/profiler/trace.h"
#include "lwb/workbench/measurement.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lwb::workbench {

struct TrialRunOptions {
    MeasurementRules rules;
    std::string primaryMetric;
    /// Capture a trace with this schedule (nullopt: no trace).
    std::optional<profiler::CaptureSchedule> capture;
    /// With a capture on a GPU backend, also record GPU activity with CUPTI (same schedule).
    bool captureGpu = true;
    /// External correlation id the GPU records of this trial carry (`lwb tune`: the trial's id, as in the trace's
    /// TraceMeta::trialId; 0: none).
    std::uint64_t traceTag = 0;
    /// Creates the CUPTI source (tests inject one); null: profiler::CuptiSource::create.
    std::function<Result<std::unique_ptr<profiler::CuptiSource>>(profiler::CuptiOptions)> gpuSource;
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
    /// What the capture could not do (e.g. "GPU activity not captured: CUPTI unavailable because ...").
    std::vector<std::string> captureNotes;
    bool pruned() const { return measurement && measurement->stopReason == StopReason::Pruned; }
};

/// Prepares and measures `config` (already resolved by the workload).
TrialOutcome runTrial(engine::Workload& workload, const engine::Config& config, const TrialRunOptions& options);

} // namespace lwb::workbench
