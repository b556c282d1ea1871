// Which timeline capture sources this build has and whether each can run here (`lwb doctor`).
#pragma once

#include <string>
#include <vector>

namespace lwb::profiler {

struct CaptureSourceStatus {
    std::string name; ///< "host-op-tracer", "cupti"
    bool compiled = false;
    bool usable = false;
    std::string detail;
};

/// Never calls CUPTI when `cudaDriverAvailable` is false (CUPTI without a driver retries loading
/// libcuda on every call and fails with CUPTI_ERROR_UNKNOWN).
std::vector<CaptureSourceStatus> captureSourceStatus(bool cudaDriverAvailable, int gpuCount);

} // namespace lwb::profiler
