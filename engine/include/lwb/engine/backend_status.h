// Which compute backends this build has and whether each can run here (for `lwb doctor`).
#pragma once

#include <string>
#include <vector>

namespace lwb::engine {

struct BackendStatus {
    std::string name; ///< "cpu", "cuda"
    bool compiled = false; ///< built into this binary
    bool usable = false; ///< can run workloads on this machine now
    std::string detail; ///< library versions and ISA when usable, the reason when not
};

/// Status of every backend; `cudaDriverAvailable` comes from the hardware fingerprint so that no
/// CUDA call is made on a machine without a driver.
std::vector<BackendStatus> backendStatus(bool cudaDriverAvailable);

/// Registers library versions the engine links (oneDNN, OpenBLAS, cuBLAS) with the fingerprint.
void registerEngineLibraryVersions();

} // namespace lwb::engine
