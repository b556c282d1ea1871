// Compute precisions the workloads offer (the `precision` knob) and what each means for the
// tensors: fp32 everything; bf16 = bf16 matmul operands and activations feeding matmuls, fp32
// accumulation, master weights, optimiser state, LayerNorm/softmax/loss; int8 (inference) =
// per-output-channel symmetric s8 weights and per-row s8 activations, s32 accumulation; fp16 is
// declared for backends that have it (not the CPU backend).
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/tensor.h"

#include <string_view>

namespace lwb::engine {

enum class Precision : std::uint8_t { Fp32, Bf16, Fp16, Int8 };

std::string_view precisionName(Precision precision);
Result<Precision> parsePrecision(std::string_view name);
/// dtype of packed matmul weights.
DType weightDType(Precision precision);
/// dtype of activations that feed matmuls (F32 for int8: they are quantised inside the matmul).
DType activationDType(Precision precision);

} // namespace lwb::engine
