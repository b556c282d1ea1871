// Multi-GPU placement rule and the NCCL all-reduce factory (see multi_gpu.h).
#include "workloads/multi_gpu.h"

#include <fmt/core.h>

#if LWB_HAVE_CUDA
#include "cuda/cuda_registry.h"
#endif
#if LWB_HAVE_NCCL
#include "cuda/nccl_all_reduce.h"
#endif

namespace lwb::engine::detail {

Result<ReplicaPlacement> chooseReplicaPlacement(const PlacementInputs& in)
{
    if (in.backend != "cuda" || in.replicas <= 1 || in.visibleGpus <= 1)
        return ReplicaPlacement::SharedDevice; // one GPU: replicas are concurrent streams on it
    const std::int64_t last = in.firstDevice + in.replicas - 1;
    if (last >= in.visibleGpus)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("replicas {} with cuda_device {} need GPUs {}..{} for multi-GPU data parallelism, but {} "
                        "GPUs are visible (replicas share one GPU as streams only on a single-GPU machine)",
                in.replicas, in.firstDevice, in.firstDevice, last, in.visibleGpus),
            LWB_WHERE);
    if (!in.haveNccl)
        return fail(ErrorCode::Unsupported,
            "multi-GPU data parallelism needs NCCL, and this build has none (configure with LWB_NCCL=ON and NCCL "
            "in the CUDA toolkit or NCCL_ROOT)",
            LWB_WHERE);
    if (in.cudaGraphs)
        return fail(ErrorCode::Unsupported,
            "cuda_graphs with multi-GPU data parallelism is not supported (the all-reduce is launched during the "
            "backward pass, which graph recording defers)",
            LWB_WHERE);
    return ReplicaPlacement::DevicePerReplica;
}

Result<DeviceSetup> trainingDeviceSetup(const Config& config)
{
    DeviceSetup setup = deviceSetup(config);
    PlacementInputs in;
    in.backend = setup.backend;
    in.replicas = setup.replicas;
    if (auto it = setup.settings.find("cuda_device"); it != setup.settings.end())
        in.firstDevice = std::get<std::int64_t>(it->second);
    if (auto it = setup.settings.find("cuda_graphs"); it != setup.settings.end())
        in.cudaGraphs = std::get<bool>(it->second);
#if LWB_HAVE_CUDA
    in.visibleGpus = cuda::cudaVisibleGpuCount();
#endif
    in.haveNccl = LWB_HAVE_NCCL != 0;
    LWB_ASSIGN_OR_RETURN(setup.placement, chooseReplicaPlacement(in));
    return setup;
}

Result<std::unique_ptr<GradientAllReduce>> makeGradientAllReduce(ReplicaSet& replicas, const std::vector<Tensor>& grads)
{
#if LWB_HAVE_NCCL
    std::vector<Backend*> backends;
    for (auto& b : replicas.backends)
        backends.push_back(b.get());
    return cuda::createNcclAllReduce(backends, grads);
#else
    (void)replicas;
    (void)grads;
    return fail(ErrorCode::Unsupported, "this build has no NCCL", LWB_WHERE);
#endif
}

} // namespace lwb::engine::detail
