// How the CUDA backend joins the registry (backend_registry.cpp, the one place backends are
// registered): only when this build has CUDA and the driver probe finds a GPU this build can run
// on. The decision uses the driver probe alone (core's dlopen of libcuda), so no CUDA runtime call
// is made on a machine without a driver (see the profiler notes: the failure would be sticky).
// The factory reads the CUDA knobs from BackendOptions::settings (cudaOptionsFromConfig).
#pragma once

#include "lwb/core/hardware.h"
#include "lwb/engine/backend.h"
#include "lwb/engine/workload.h"

#include <optional>
#include <string>

namespace lwb::engine::cuda {

/// Why the CUDA backend cannot run with what `info` describes; empty when it can.
std::string cudaUnusableReason(const CudaInfo& info);
/// The "cuda" factory when a usable GPU exists here (probed once per process), else nullopt.
std::optional<BackendFactory> cudaBackendFactoryIfUsable();
/// The knobs the cuda factory reads from BackendOptions::settings (cudaKnobs() of
/// cuda_backend.h, declared here without CUDA headers): the workloads offer them in every build
/// with CUDA, registered or not, so that one configuration file works on either machine.
std::vector<KnobSpec> cudaSettingKnobs();
/// GPUs the driver probe sees when the backend is usable (0 otherwise); no CUDA runtime call.
int cudaVisibleGpuCount();

} // namespace lwb::engine::cuda
