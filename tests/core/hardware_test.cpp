// Hardware fingerprint: CPU features agree with the kernel's view, the real driver probe explains
// a missing driver, a simulated driver yields GPUs, JSON round trip, and differences.
#include "lwb/core/hardware.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

using namespace lwb;

namespace {

class FakeDriverProbe : public CudaProbe {
public:
    CudaInfo probe() const override
    {
        CudaInfo info;
        info.driverAvailable = true;
        info.driverVersion = 13000;
        GpuInfo gpu;
        gpu.index = 0;
        gpu.name = "NVIDIA H100 80GB HBM3";
        gpu.uuid = "GPU-00000000-1111-2222-3333-444444444444";
        gpu.computeMajor = 9;
        gpu.computeMinor = 0;
        gpu.smCount = 132;
        gpu.memoryBytes = 85'000'000'000;
        gpu.smClockMHz = 1980;
        gpu.migMode = "disabled";
        info.gpus = {gpu};
        return info;
    }
};

class NoDriverProbe : public CudaProbe {
public:
    CudaInfo probe() const override
    {
        CudaInfo info;
        info.unavailableReason = "CUDA driver not found: cudaErrorInsufficientDriver";
        return info;
    }
};

std::set<std::string> procFlags()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::set<std::string> flags;
            std::string w;
            while (words >> w)
                flags.insert(w);
            return flags;
        }
    }
    return {};
}

} // namespace

TEST(Hardware, CpuFeaturesAgreeWithKernelFlags)
{
    CpuInfo cpu = detectCpu();
    EXPECT_FALSE(cpu.model.empty());
    EXPECT_GE(cpu.logicalCores, 1);
    EXPECT_GE(cpu.physicalCores, 1);
    auto flags = procFlags();
    if (flags.empty())
        GTEST_SKIP() << "no /proc/cpuinfo flags line";
    for (const char* f : {"avx2", "avx512f", "avx512bw", "avx512_bf16", "avx512_vnni", "amx_tile", "fma"})
        EXPECT_EQ(cpu.has(f), flags.count(f) > 0) << f;
}

TEST(Hardware, RealProbeWithoutDriverRecordsWhy)
{
    CudaInfo info = makeDriverCudaProbe()->probe();
    if (!info.gpus.empty())
        GTEST_SKIP() << "a GPU is present; this test covers machines without a driver";
    EXPECT_TRUE(info.gpus.empty());
    EXPECT_FALSE(info.unavailableReason.empty());
    if (!info.driverAvailable) {
        EXPECT_NE(info.unavailableReason.find("CUDA driver"), std::string::npos) << info.unavailableReason;
    }
}

TEST(Hardware, SimulatedDriverYieldsGpusInJson)
{
    HardwareFingerprint fp = collectFingerprint(FakeDriverProbe {});
    ASSERT_EQ(fp.cuda.gpus.size(), 1u);
    Json j = fp.toJson();
    EXPECT_EQ(j["cuda"]["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(j["cuda"]["gpus"][0]["compute_capability"], "9.0");
    EXPECT_EQ(j["libraries"]["cuda_driver"], "13.0");
    EXPECT_FALSE(j["libraries"]["sqlite"].get<std::string>().empty());
    EXPECT_GT(j["memory_bytes"].get<std::int64_t>(), 0);

    auto back = HardwareFingerprint::fromJson(j);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->cuda.gpus[0].smCount, 132);
    EXPECT_EQ(back->cpu.features, fp.cpu.features);
    EXPECT_TRUE(back->differencesFrom(fp).empty());
}

TEST(Hardware, DifferencesNameWhatChanged)
{
    HardwareFingerprint withGpu = collectFingerprint(FakeDriverProbe {});
    HardwareFingerprint withoutGpu = collectFingerprint(NoDriverProbe {});
    EXPECT_EQ(withoutGpu.toJson()["cuda"]["unavailable_reason"], "CUDA driver not found: cudaErrorInsufficientDriver");
    auto diffs = withoutGpu.differencesFrom(withGpu);
    ASSERT_FALSE(diffs.empty());
    EXPECT_NE(diffs[0].find("GPU count"), std::string::npos) << diffs[0];

    HardwareFingerprint otherCpu = withoutGpu;
    otherCpu.cpu.model = "Some Other CPU";
    otherCpu.hostname = "elsewhere";
    auto cpuDiffs = otherCpu.differencesFrom(withoutGpu);
    ASSERT_EQ(cpuDiffs.size(), 1u);
    EXPECT_NE(cpuDiffs[0].find("CPU model"), std::string::npos);
}

TEST(Hardware, MalformedJsonIsAnError)
{
    auto r = HardwareFingerprint::fromJson(Json {{"cpu", {{"cores", 3}}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(Hardware, ModulesRegisterLibraryVersions)
{
    registerLibraryVersion("test_lib", "1.2.3");
    EXPECT_EQ(collectFingerprint(NoDriverProbe {}).libraries.at("test_lib"), "1.2.3");
}
