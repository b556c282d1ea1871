// Internal: CUDA runtime facts for backend_status.cpp (no CUDA types cross this header).
#pragma once

#include <string>

namespace lwb::engine::cuda {

struct DeviceCount {
    int count = 0;
    std::string error; ///< "cudaErrorInsufficientDriver: ..." when count is 0
};

/// The CUDA toolkit version this was compiled with, e.g. "13.0".
std::string toolkitVersion();
/// The CUDA runtime this process loaded (cudaRuntimeGetVersion, no device initialisation).
std::string runtimeVersion();
/// The cuBLASLt library version, e.g. "13.1.0" (cublasLtGetVersion, no device initialisation).
std::string cublasLtVersion();
/// cudaGetDeviceCount; call only when a driver exists (the error is sticky otherwise).
DeviceCount runtimeDeviceCount();
/// Runs a tiny kernel (fills and sums a buffer) on device 0; empty string on success.
std::string runSelfTest();

} // namespace lwb::engine::cuda
