// CuptiSource availability: without a driver or GPU (as on CI machines) create() explains why and
// never touches CUPTI; builds without the CUDA toolkit say so. Runs in every build.
#include "lwb/profiler/capture_sources.h"
#include "lwb/profiler/cupti_source.h"

#include <gtest/gtest.h>

using namespace lwb;
using namespace lwb::profiler;

namespace {

class FakeProbe final : public CudaProbe {
public:
    explicit FakeProbe(CudaInfo info)
        : m_info(std::move(info))
    {
    }
    CudaInfo probe() const override { return m_info; }

private:
    CudaInfo m_info;
};

} // namespace

TEST(CuptiSource, UnavailableWithoutADriver)
{
    CudaInfo none;
    none.unavailableReason = "CUDA driver not found: libcuda.so.1: cannot open shared object file";
    auto source = CuptiSource::create({}, FakeProbe(none));
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(source.error().message.rfind("CUPTI unavailable because ", 0), 0u) << source.error().message;
    if (CuptiSource::compiled())
        EXPECT_NE(source.error().message.find("libcuda.so.1"), std::string::npos);
    else
        EXPECT_NE(source.error().message.find("no CUDA toolkit"), std::string::npos);
}

TEST(CuptiSource, UnavailableWithoutAGpu)
{
    CudaInfo noGpu;
    noGpu.driverAvailable = true;
    noGpu.driverVersion = 13000;
    noGpu.unavailableReason = "the CUDA driver sees no GPU";
    auto source = CuptiSource::create({}, FakeProbe(noGpu));
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(source.error().message.rfind("CUPTI unavailable because ", 0), 0u);
}

TEST(CuptiSource, CreateChecksOptionsBeforeAnyCuptiCall)
{
    if (!CuptiSource::compiled())
        GTEST_SKIP() << "built without CUPTI";
    CudaInfo gpu;
    gpu.driverAvailable = true;
    gpu.gpus.push_back(GpuInfo {});
    CuptiOptions bad;
    bad.bufferBytes = 1000;
    auto source = CuptiSource::create(bad, FakeProbe(gpu));
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().code, ErrorCode::InvalidArgument);
}

TEST(CuptiSource, RealProbeOnThisMachine)
{
    auto info = makeDriverCudaProbe()->probe();
    if (info.driverAvailable && !info.gpus.empty())
        GTEST_SKIP() << "a GPU is present; capture is covered by the gpu-labelled tests";
    auto source = CuptiSource::create();
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(source.error().message.rfind("CUPTI unavailable because ", 0), 0u) << source.error().message;
    auto statuses = captureSourceStatus(info.driverAvailable, static_cast<int>(info.gpus.size()));
    ASSERT_EQ(statuses.size(), 2u);
    EXPECT_TRUE(statuses[0].usable);
    EXPECT_FALSE(statuses[1].usable);
}
