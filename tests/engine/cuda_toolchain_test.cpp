// Proves the CUDA toolchain end to end: a kernel compiled by this build runs and returns the
// right sum. Skips with the reason where no GPU (or no driver) exists.
#include "cuda/cuda_runtime_info.h"
#include "lwb/core/hardware.h"

#include <gtest/gtest.h>

TEST(CudaToolchain, KernelRunsOnDevice0)
{
    auto info = lwb::makeDriverCudaProbe()->probe();
    if (info.gpus.empty())
        GTEST_SKIP() << "no GPU here: " << info.unavailableReason;
    auto count = lwb::engine::cuda::runtimeDeviceCount();
    ASSERT_GT(count.count, 0) << count.error;
    EXPECT_EQ(lwb::engine::cuda::runSelfTest(), "");
}
