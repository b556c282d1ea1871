// Multi-GPU gradient all-reduce with NCCL (built when CMake finds NCCL, LWB_NCCL=AUTO): one
// communicator per replica's GPU, a communication stream per replica that waits on an event of
// the compute stream before each bucket, so buckets are reduced while the backward pass goes on.
// Host-only declarations (no CUDA or NCCL header), for the workloads.
#pragma once

#include "lwb/engine/backend.h"

#include "workloads/gradient_buckets.h"

#include <memory>
#include <vector>

namespace lwb::engine::cuda {

/// An all-reduce over `backends` (cuda backends, one per GPU, replica r = rank r) of the flat F32
/// gradient buffers `grads` (one per replica, same size). Sums in place: the workloads scale the
/// loss gradient by 1 / (tokens of all replicas), so the sum is the mean gradient.
/// Defined only in builds with NCCL (LWB_HAVE_NCCL); InvalidArgument when two replicas share a GPU.
Result<std::unique_ptr<detail::GradientAllReduce>> createNcclAllReduce(
    const std::vector<Backend*>& backends, const std::vector<Tensor>& grads);

} // namespace lwb::engine::cuda
