// The conformance suite (conformance_*.cpp) on the CUDA backend: every op, forward and backward,
// at fp32, bf16, fp16 (and int8 matmuls) against the CPU reference, and the GPT-S training step
// on the GPU against the CPU step. Skipped with a message where no usable GPU exists.
#include "conformance_harness.h"

namespace lwb::engine::conformance {
namespace {

const std::vector<test::BackendUnderTest> kCuda {{"cuda", "cuda", 1, CpuKernels::Best}};

INSTANTIATE_TEST_SUITE_P(Cuda, BackendConformance, ::testing::ValuesIn(kCuda), test::backendLabel);
INSTANTIATE_TEST_SUITE_P(Cuda, GptStepConformance, ::testing::ValuesIn(kCuda), test::backendLabel);

} // namespace
} // namespace lwb::engine::conformance
