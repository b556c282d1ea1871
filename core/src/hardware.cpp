// HardwareFingerprint collection, JSON round trip and comparison (see hardware.h).
#include "lwb/core/hardware.h"

#include "lwb/core/version.h"

#include <Eigen/Core>
#include <fmt/core.h>
#include <mutex>
#include <sqlite3.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

namespace lwb {
namespace {

    std::mutex& registryMutex()
    {
        static std::mutex m;
        return m;
    }
    std::map<std::string, std::string>& registry()
    {
        static std::map<std::string, std::string> r;
        return r;
    }

    std::string osPrettyName()
    {
        std::ifstream in("/etc/os-release");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("PRETTY_NAME=", 0) == 0) {
                std::string value = line.substr(12);
                if (value.size() >= 2 && value.front() == '"')
                    value = value.substr(1, value.size() - 2);
                return value;
            }
        }
        return "Linux";
    }

    std::string compilerName()
    {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("g++ ") + __VERSION__;
#else
        return "unknown";
#endif
    }

} // namespace

void registerLibraryVersion(std::string name, std::string version)
{
    std::lock_guard lock(registryMutex());
    registry()[std::move(name)] = std::move(version);
}

HardwareFingerprint collectFingerprint(const CudaProbe& probe)
{
    HardwareFingerprint fp;
    fp.cpu = detectCpu();
    struct sysinfo si {};
    if (sysinfo(&si) == 0)
        fp.memoryBytes = static_cast<std::int64_t>(si.totalram) * si.mem_unit;
    fp.os = osPrettyName();
    struct utsname un {};
    if (uname(&un) == 0)
        fp.kernel = un.release;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0)
        fp.hostname = host;
    fp.compiler = compilerName();
    fp.workbenchVersion = std::string(workbenchVersion());
    fp.libraries["sqlite"] = sqlite3_libversion();
    fp.libraries["eigen"] = fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
    {
        std::lock_guard lock(registryMutex());
        for (const auto& [name, version] : registry())
            fp.libraries[name] = version;
    }
    fp.cuda = probe.probe();
    if (fp.cuda.driverVersion > 0)
        fp.libraries["cuda_driver"]
            = fmt::format("{}.{}", fp.cuda.driverVersion / 1000, (fp.cuda.driverVersion % 1000) / 10);
    return fp;
}

HardwareFingerprint collectFingerprint()
{
    auto probe = makeDriverCudaProbe();
    return collectFingerprint(*probe);
}

Json HardwareFingerprint::toJson() const
{
    Json gpus = Json::array();
    for (const GpuInfo& g : cuda.gpus) {
        gpus.push_back({{"index", g.index}, {"name", g.name}, {"uuid", g.uuid},
            {"compute_capability", fmt::format("{}.{}", g.computeMajor, g.computeMinor)}, {"sm_count", g.smCount},
            {"memory_bytes", g.memoryBytes}, {"sm_clock_mhz", g.smClockMHz}, {"memory_clock_mhz", g.memoryClockMHz},
            {"memory_bus_width_bits", g.memoryBusWidthBits}, {"mig_mode", g.migMode}});
    }
    return Json {
        {"cpu",
            {{"vendor", cpu.vendor}, {"model", cpu.model}, {"logical_cores", cpu.logicalCores},
                {"physical_cores", cpu.physicalCores}, {"max_mhz", cpu.maxMHz}, {"features", cpu.features}}},
        {"memory_bytes", memoryBytes},
        {"os", os},
        {"kernel", kernel},
        {"hostname", hostname},
        {"compiler", compiler},
        {"workbench_version", workbenchVersion},
        {"libraries", libraries},
        {"cuda",
            {{"driver_available", cuda.driverAvailable}, {"driver_version", cuda.driverVersion},
                {"unavailable_reason", cuda.unavailableReason}, {"gpus", gpus}}},
    };
}

Result<HardwareFingerprint> HardwareFingerprint::fromJson(const Json& json)
{
    try {
        HardwareFingerprint fp;
        const Json& c = json.at("cpu");
        fp.cpu.vendor = c.value("vendor", "");
        fp.cpu.model = c.at("model").get<std::string>();
        fp.cpu.logicalCores = c.value("logical_cores", 0);
        fp.cpu.physicalCores = c.value("physical_cores", 0);
        fp.cpu.maxMHz = c.value("max_mhz", 0.0);
        fp.cpu.features = c.value("features", std::vector<std::string> {});
        fp.memoryBytes = json.value("memory_bytes", std::int64_t {0});
        fp.os = json.value("os", "");
        fp.kernel = json.value("kernel", "");
        fp.hostname = json.value("hostname", "");
        fp.compiler = json.value("compiler", "");
        fp.workbenchVersion = json.value("workbench_version", "");
        fp.libraries = json.value("libraries", std::map<std::string, std::string> {});
        if (json.contains("cuda")) {
            const Json& cu = json.at("cuda");
            fp.cuda.driverAvailable = cu.value("driver_available", false);
            fp.cuda.driverVersion = cu.value("driver_version", 0);
            fp.cuda.unavailableReason = cu.value("unavailable_reason", "");
            for (const Json& g : cu.value("gpus", Json::array())) {
                GpuInfo gpu;
                gpu.index = g.value("index", 0);
                gpu.name = g.value("name", "");
                gpu.uuid = g.value("uuid", "");
                std::string cc = g.value("compute_capability", "0.0");
                std::sscanf(cc.c_str(), "%d.%d", &gpu.computeMajor, &gpu.computeMinor);
                gpu.smCount = g.value("sm_count", 0);
                gpu.memoryBytes = g.value("memory_bytes", std::int64_t {0});
                gpu.smClockMHz = g.value("sm_clock_mhz", 0);
                gpu.memoryClockMHz = g.value("memory_clock_mhz", 0);
                gpu.memoryBusWidthBits = g.value("memory_bus_width_bits", 0);
                gpu.migMode = g.value("mig_mode", "unknown");
                fp.cuda.gpus.push_back(std::move(gpu));
            }
        }
        return fp;
    } catch (const Json::exception& e) {
        return fail(ErrorCode::InvalidArgument, std::string("malformed hardware fingerprint: ") + e.what(), LWB_WHERE);
    }
}

std::vector<std::string> HardwareFingerprint::differencesFrom(const HardwareFingerprint& other) const
{
    std::vector<std::string> diffs;
    auto compare = [&](const std::string& what, const auto& mine, const auto& theirs) {
        if (mine != theirs)
            diffs.push_back(fmt::format("{}: {} here, {} in the reference", what, mine, theirs));
    };
    compare("CPU model", cpu.model, other.cpu.model);
    compare("logical cores", cpu.logicalCores, other.cpu.logicalCores);
    for (const char* feature : {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile"}) {
        compare(std::string("CPU feature ") + feature, cpu.has(feature) ? "present" : "absent",
            other.cpu.has(feature) ? "present" : "absent");
    }
    compare("GPU count", cuda.gpus.size(), other.cuda.gpus.size());
    for (std::size_t i = 0; i < std::min(cuda.gpus.size(), other.cuda.gpus.size()); ++i) {
        compare(fmt::format("GPU {} model", i), cuda.gpus[i].name, other.cuda.gpus[i].name);
        compare(fmt::format("GPU {} MIG mode", i), cuda.gpus[i].migMode, other.cuda.gpus[i].migMode);
    }
    if (!cuda.gpus.empty())
        compare("CUDA driver", cuda.driverVersion, other.cuda.driverVersion);
    for (std::string lib : {"onednn", "cublas", "cuda_runtime"}) {
        auto a = libraries.find(lib);
        auto b = other.libraries.find(lib);
        if (a != libraries.end() && b != other.libraries.end())
            compare(lib + " version", a->second, b->second);
    }
    return diffs;
}

} // namespace lwb
