// The flash-attention kernels' TF32 tiles (fp32_math = tf32) on the GPU against the CPU reference
// in fp32, with TF32's error bound (conformance_harness.h: tf32Tolerance, the bound the CPU
// emulation in conformance_flash_emulation_test.cpp meets). The conformance suite runs the CUDA
// backend with strict fp32, so this is where the TF32 path is checked. Skips without a GPU.
#include "conformance_harness.h"

#include "cuda/cuda_backend.h"
#include "cuda/cuda_registry.h"

#include <cstdio>

namespace lwb::engine::conformance {
namespace {

TEST(CudaAttention, Tf32TilesMatchTheReferenceWithinTheTf32Bound)
{
    const std::string why = cuda::cudaUnusableReason(makeDriverCudaProbe()->probe());
    if (!why.empty())
        GTEST_SKIP() << "no usable CUDA GPU here (" << why << "): the GPU tests need one";
    cuda::CudaOptions options;
    options.fp32Math = cuda::Fp32Math::Tf32;
    auto dut = cuda::createCudaBackend(BackendOptions {}, options);
    ASSERT_TRUE(dut.has_value()) << dut.error().describe();
    auto ref = referenceBackend();
    CaseResult r = runFamilyWithTolerance("attention", DType::F32, **dut, *ref, tf32Tolerance);
    ASSERT_TRUE(r.ran);
    std::printf("[ cuda tf32 ] attention: worst error %.3f of the tolerance\n", r.worstRatio);
    for (const auto& f : r.failures)
        ADD_FAILURE() << f;
}

} // namespace
} // namespace lwb::engine::conformance
