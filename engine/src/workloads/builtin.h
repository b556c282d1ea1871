// Factories of the built-in workloads (registered by name in workload.cpp).
#pragma once

#include "lwb/engine/workload.h"

#include <memory>

namespace lwb::engine::detail {

std::unique_ptr<Workload> makeGptTrainWorkload();
std::unique_ptr<Workload> makeGptInferWorkload();
std::unique_ptr<Workload> makeMlpTrainWorkload();
std::unique_ptr<Workload> makeMlpInferWorkload();

} // namespace lwb::engine::detail
