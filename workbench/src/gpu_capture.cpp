// GPU activity capture of one trial (see gpu_capture.h).
#include "gpu_capture.h"

#include "lwb/profiler/step_windows.h"

#include <fmt/format.h>

namespace lwb::workbench {

bool runsOnGpu(const engine::Config& config)
{
    auto it = config.find("backend");
    if (it == config.end())
        return false;
    const auto* name = std::get_if<std::string>(&it->second);
    return name && *name == "cuda";
}

TrialGpuCapture::TrialGpuCapture(const engine::Config& config, const TrialRunOptions& options)
{
    if (!options.capture || !options.captureGpu || !runsOnGpu(config))
        return;
    profiler::CuptiOptions cupti;
    if (options.traceTag != 0)
        cupti.externalId = options.traceTag;
    auto source = options.gpuSource ? options.gpuSource(cupti) : profiler::CuptiSource::create(cupti);
    if (!source) {
        m_note = "GPU activity not captured: " + source.error().message;
        return;
    }
    if (auto started = (*source)->start(); !started) {
        m_note = "GPU activity not captured: " + started.error().message;
        return;
    }
    m_source = std::move(*source);
}

TrialGpuCapture::~TrialGpuCapture()
{
    if (m_source)
        (void)m_source->finish();
}

void TrialGpuCapture::finishInto(profiler::Trace& host, const profiler::CaptureSchedule& schedule)
{
    if (!m_source)
        return;
    auto source = std::move(m_source);
    auto gpu = source->finish();
    if (!gpu) {
        m_note = "GPU activity lost: " + gpu.error().message;
        return;
    }
    if (!schedule.capturesEverything()) {
        auto windows = profiler::stepWindows(host);
        profiler::keepStepWindows(*gpu, windows);
    }
    if (gpu->stats.droppedRecords > 0)
        m_note = fmt::format("CUPTI dropped {} records ({})", gpu->stats.droppedRecords, gpu->stats.dropReason);
    host.merge(*gpu);
    host.sortByStart();
}

} // namespace lwb::workbench
