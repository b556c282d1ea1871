// GPU activity of one trial: when a trial is traced and its configuration runs on a GPU backend,
// CUPTI runs from before the workload is prepared until the measurement ends, its records tagged
// with the trial's external correlation id, and the records of the steps the host tracer captured
// join the trial's trace. CUPTI never fails a trial: when it cannot run, note() says why.
#pragma once

#include "lwb/engine/workload.h"
#include "lwb/profiler/cupti_source.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/workbench/trial_runner.h"

#include <memory>
#include <string>

namespace lwb::workbench {

class TrialGpuCapture {
public:
    /// Starts CUPTI (through options.gpuSource) when options.capture is set, options.captureGpu
    /// holds and `config` runs on a GPU backend; inactive otherwise.
    TrialGpuCapture(const engine::Config& config, const TrialRunOptions& options);
    ~TrialGpuCapture();
    TrialGpuCapture(const TrialGpuCapture&) = delete;
    TrialGpuCapture& operator=(const TrialGpuCapture&) = delete;

    bool active() const { return m_source != nullptr; }
    /// Stops CUPTI and merges its records into `host` (kept only inside the captured steps unless
    /// the schedule captures everything). Must run on the thread that constructed this object.
    void finishInto(profiler::Trace& host, const profiler::CaptureSchedule& schedule);
    /// Why GPU activity is missing from the trace (empty when it is there or was not wanted).
    const std::string& note() const { return m_note; }

private:
    std::unique_ptr<profiler::CuptiSource> m_source;
    std::string m_note;
};

/// Whether the configuration's `backend` knob names a GPU backend.
bool runsOnGpu(const engine::Config& config);

} // namespace lwb::workbench
