// Registration of the CUDA backend (see cuda_registry.h): a GPU must be visible to the driver, the
// driver must support this build's CUDA major version, and one of the compiled architectures
// (LWB_CUDA_ARCHS; CMake embeds SASS and PTX for each) must run on it: SASS for the same major
// and a lower or equal minor, PTX (JIT-compiled by the driver) for any newer device.
#include "cuda/cuda_registry.h"

#include "cuda/cuda_backend.h"

#include <cuda_runtime_api.h>
#include <fmt/core.h>
#include <sstream>

#ifndef LWB_CUDA_ARCHS_LIST
#define LWB_CUDA_ARCHS_LIST ""
#endif

namespace lwb::engine::cuda {

namespace {

/// Lowest compiled architecture as major*10+minor (e.g. 80), 0 when unknown.
int lowestCompiledArch()
{
    std::stringstream in(LWB_CUDA_ARCHS_LIST);
    std::string item;
    int lowest = 0;
    while (std::getline(in, item, ',')) {
        int value = 0;
        for (char c : item) {
            if (c < '0' || c > '9')
                break; // "90-real", "90a" -> 90
            value = value * 10 + (c - '0');
        }
        if (value > 0 && (lowest == 0 || value < lowest))
            lowest = value;
    }
    return lowest;
}

bool runnable(const GpuInfo& g, int lowest)
{
    return g.computeMajor >= 8 && (lowest == 0 || g.computeMajor * 10 + g.computeMinor >= lowest);
}

} // namespace

std::string cudaUnusableReason(const CudaInfo& info)
{
    if (!info.driverAvailable)
        return info.unavailableReason.empty() ? "no CUDA driver" : info.unavailableReason;
    if (info.gpus.empty())
        return info.unavailableReason.empty() ? "no GPU visible to the CUDA driver" : info.unavailableReason;
    const int runtimeMajor = CUDART_VERSION / 1000;
    if (info.driverVersion / 1000 < runtimeMajor)
        return fmt::format("the CUDA driver supports CUDA {}.{} but this build needs {}.x", info.driverVersion / 1000,
            (info.driverVersion % 1000) / 10, runtimeMajor);
    const int lowest = lowestCompiledArch();
    std::string seen;
    for (const GpuInfo& g : info.gpus) {
        if (runnable(g, lowest))
            return {};
        seen += fmt::format("{}{} ({}.{})", seen.empty() ? "" : ", ", g.name, g.computeMajor, g.computeMinor);
    }
    return fmt::format("no GPU with compute capability >= 8.0 that this build (architectures {}) can run: {}",
        LWB_CUDA_ARCHS_LIST, seen);
}

namespace {

const CudaInfo& probedInfo()
{
    static const CudaInfo info = makeDriverCudaProbe()->probe();
    return info;
}

} // namespace

int cudaVisibleGpuCount()
{
    const CudaInfo& info = probedInfo();
    return cudaUnusableReason(info).empty() ? static_cast<int>(info.gpus.size()) : 0;
}

std::optional<BackendFactory> cudaBackendFactoryIfUsable()
{
    const CudaInfo& info = probedInfo();
    if (!cudaUnusableReason(info).empty())
        return std::nullopt;
    // The first GPU this build runs on is the default device (cuda_device selects another).
    const int lowest = lowestCompiledArch();
    const GpuInfo* gpu = &info.gpus.front();
    for (const GpuInfo& g : info.gpus)
        if (runnable(g, lowest)) {
            gpu = &g;
            break;
        }
    CudaOptions defaults;
    defaults.device = gpu->index;
    BackendFactory f;
    f.name = "cuda";
    f.description
        = fmt::format("CUDA on {}: cuBLASLt matmuls (fp32/tf32, bf16, fp16, int8) and own fused kernels", gpu->name);
    f.unavailableReason = [] { return std::string(); };
    f.supports = cudaSupports;
    f.create = [defaults](const BackendOptions& options) -> Result<std::unique_ptr<Backend>> {
        Config settings = options.settings;
        if (!settings.count("cuda_device")) // the first runnable GPU, not necessarily ordinal 0
            settings["cuda_device"] = std::int64_t {defaults.device};
        LWB_ASSIGN_OR_RETURN(CudaOptions cuda, cudaOptionsFromConfig(settings));
        return createCudaBackend(options, cuda);
    };
    for (const KnobSpec& k : cudaKnobs())
        f.settingNames.push_back(k.name);
    return f;
}

std::vector<KnobSpec> cudaSettingKnobs()
{
    return cudaKnobs();
}

} // namespace lwb::engine::cuda
