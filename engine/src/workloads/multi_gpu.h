// Multi-GPU data parallelism of gpt-train (NCCL): where replicas run and the gradient all-reduce.
// With the cuda backend, replicas > 1 and more than one visible GPU, replica r runs on GPU
// cuda_device + r with its own weights; gradients are all-reduced in buckets during the backward
// pass (gradient_buckets.h, cuda/nccl_all_reduce.cpp). With a single visible GPU replicas stay
// concurrent streams on it (sharing the weights); anything in between is an error, never a
// silent mix of the two.
#pragma once

#include "workloads/common.h"
#include "workloads/gradient_buckets.h"

#include <memory>
#include <string>

namespace lwb::engine::detail {

/// The bucket size of the all-reduce (PyTorch DDP's default, 25 MiB).
constexpr std::int64_t kGradientBucketBytes = std::int64_t {25} << 20;

/// What decides the placement, separated from the machine so that the rule is tested anywhere.
struct PlacementInputs {
    std::string backend;
    int replicas = 1;
    std::int64_t firstDevice = 0; ///< cuda_device
    int visibleGpus = 0;
    bool haveNccl = false; ///< the build has NCCL
    bool cudaGraphs = false;
};
/// SharedDevice unless cuda, replicas > 1 and several GPUs; then DevicePerReplica when GPUs
/// cuda_device .. cuda_device + replicas - 1 exist (InvalidArgument otherwise), NCCL is built
/// and cuda_graphs is off (Unsupported otherwise).
Result<ReplicaPlacement> chooseReplicaPlacement(const PlacementInputs& in);

/// deviceSetup(config) with the placement for training on this machine.
Result<DeviceSetup> trainingDeviceSetup(const Config& config);

/// The NCCL all-reduce over a DevicePerReplica set (grads[r] on replica r's GPU).
Result<std::unique_ptr<GradientAllReduce>> makeGradientAllReduce(
    ReplicaSet& replicas, const std::vector<Tensor>& grads);

} // namespace lwb::engine::detail
