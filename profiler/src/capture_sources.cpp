// Capture source availability (see capture_sources.h).
#include "lwb/profiler/capture_sources.h"

namespace lwb::profiler {

std::vector<CaptureSourceStatus> captureSourceStatus(bool cudaDriverAvailable, int gpuCount)
{
    std::vector<CaptureSourceStatus> out;
    out.push_back({"host-op-tracer", true, true, "engine ops on CPU threads (always available)"});
#if LWB_HAVE_CUPTI
    CaptureSourceStatus cupti {"cupti", true, false, ""};
    if (!cudaDriverAvailable)
        cupti.detail = "compiled, but no CUDA driver is installed: CUPTI is not touched";
    else if (gpuCount == 0)
        cupti.detail = "compiled, but the driver sees no GPU";
    else {
        cupti.usable = true;
        cupti.detail = "CUPTI Activity API (concurrent kernels, memcpy, memset, runtime/driver API)";
    }
    out.push_back(std::move(cupti));
#else
    (void)cudaDriverAvailable;
    (void)gpuCount;
    out.push_back({"cupti", false, false, "not compiled in (needs the CUDA toolkit at build time)"});
#endif
    return out;
}

} // namespace lwb::profiler
