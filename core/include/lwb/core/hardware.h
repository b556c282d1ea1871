// HardwareFingerprint: what a measurement was taken on (CPU model and ISA features, memory, OS,
// compiler, library versions, GPUs). Tuned profiles carry it and the CI gate compares it.
// GPUs are found through the CUDA driver API loaded at run time (dlopen of libcuda.so.1), so the
// fingerprint works on machines without CUDA and never touches CUPTI; with no driver it records
// why. The probe is an interface so tests can simulate a driver.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct GpuInfo {
    int index = 0;
    std::string name;
    std::string uuid;
    int computeMajor = 0;
    int computeMinor = 0;
    int smCount = 0;
    std::int64_t memoryBytes = 0;
    int smClockMHz = 0; ///< max SM clock
    int memoryClockMHz = 0;
    int memoryBusWidthBits = 0;
    std::string migMode; ///< "enabled", "disabled" or "unknown"
};

struct CudaInfo {
    bool driverAvailable = false;
    int driverVersion = 0; ///< e.g. 13000 for 13.0; 0 when no driver
    std::string unavailableReason; ///< why no GPU is usable, empty when gpus is not empty
    std::vector<GpuInfo> gpus;
};

struct CpuInfo {
    std::string vendor;
    std::string model;
    int logicalCores = 0;
    int physicalCores = 0;
    double maxMHz = 0;
    std::vector<std::string> features; ///< lower-case names: avx2, avx512f, avx512_bf16, avx512_vnni, amx_tile, ...
    bool has(std::string_view feature) const;
};

struct HardwareFingerprint {
    CpuInfo cpu;
    std::int64_t memoryBytes = 0;
    std::string os; ///< e.g. "Debian GNU/Linux 12 (bookworm)"
    std::string kernel; ///< uname release
    std::string hostname;
    std::string compiler;
    std::string workbenchVersion;
    std::map<std::string, std::string> libraries; ///< name -> version (sqlite, onednn, cuda_runtime, ...)
    CudaInfo cuda;

    Json toJson() const;
    static Result<HardwareFingerprint> fromJson(const Json& json);
    /// What differs in ways that change performance (CPU model, cores, ISA, GPUs, driver, key
    /// library versions); hostname and kernel patch level are ignored. Empty when compatible.
    std::vector<std::string> differencesFrom(const HardwareFingerprint& other) const;
};

/// Finds GPUs. The real one loads the CUDA driver; tests substitute their own.
class CudaProbe {
public:
    virtual ~CudaProbe() = default;
    virtual CudaInfo probe() const = 0;
};

/// The probe that loads libcuda.so.1 at run time (never links CUDA, never calls CUPTI).
std::unique_ptr<CudaProbe> makeDriverCudaProbe();

/// CPU only: vendor, model, cores and ISA features from CPUID and /proc.
CpuInfo detectCpu();

/// Collects the fingerprint; `libraries` starts with what core knows (sqlite, eigen, ...);
/// modules add their own (oneDNN, cuBLAS) through registerLibraryVersion.
HardwareFingerprint collectFingerprint(const CudaProbe& probe);
HardwareFingerprint collectFingerprint();

/// Lets a module report the version of a library it links ("onednn" -> "2.6.3").
void registerLibraryVersion(std::string name, std::string version);

} // namespace lwb
