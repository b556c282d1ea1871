// Backend availability report (see backend_status.h). The CUDA part is asked only when the
// driver probe found a driver; the CUDA functions live in cuda/ and exist only when compiled.
#include "lwb/engine/backend_status.h"

#include "lwb/core/hardware.h"

#include <dnnl.h>
#include <fmt/core.h>

#if LWB_HAVE_CUDA
#include "cuda/cuda_registry.h"
#include "cuda/cuda_runtime_info.h"
#endif

namespace lwb::engine {

void registerEngineLibraryVersions()
{
    const dnnl_version_t* v = dnnl_version();
    registerLibraryVersion("onednn", fmt::format("{}.{}.{}", v->major, v->minor, v->patch));
#if LWB_HAVE_CUDA
    registerLibraryVersion("cuda_toolkit", cuda::toolkitVersion());
    registerLibraryVersion("cuda_runtime", cuda::runtimeVersion());
    registerLibraryVersion("cublas", cuda::cublasLtVersion());
#endif
}

std::vector<BackendStatus> backendStatus(bool cudaDriverAvailable)
{
    std::vector<BackendStatus> out;
    const dnnl_version_t* v = dnnl_version();
    CpuInfo cpu = detectCpu();
    std::string isa = cpu.has("avx512_bf16") ? "AVX-512 with BF16 and VNNI"
        : cpu.has("avx512f")                 ? "AVX-512"
        : cpu.has("avx2")                    ? "AVX2"
                                             : "baseline x86-64";
    out.push_back({"cpu", true, true,
        fmt::format("oneDNN {}.{}.{}; {}; {} logical cores", v->major, v->minor, v->patch, isa, cpu.logicalCores)});
#if LWB_HAVE_CUDA
    BackendStatus cudaStatus {"cuda", true, false, ""};
    if (!cudaDriverAvailable) {
        cudaStatus.detail = "compiled (CUDA " + cuda::toolkitVersion() + ") but no CUDA driver is installed";
    } else {
        auto devices = cuda::runtimeDeviceCount();
        if (std::string why = cuda::cudaUnusableReason(makeDriverCudaProbe()->probe());
            devices.count > 0 && !why.empty()) {
            cudaStatus.detail = "compiled but unusable: " + why;
        } else if (devices.count > 0) {
            cudaStatus.usable = true;
            cudaStatus.detail = fmt::format("CUDA runtime {}, {} device(s)", cuda::toolkitVersion(), devices.count);
        } else {
            cudaStatus.detail = "compiled but unusable: " + devices.error;
        }
    }
    out.push_back(std::move(cudaStatus));
#else
    (void)cudaDriverAvailable;
    out.push_back({"cuda", false, false, "not compiled in (configure with -DLWB_CUDA=ON and a CUDA toolkit)"});
#endif
    return out;
}

} // namespace lwb::engine
