// The CUDA driver probe: loads libcuda.so.1 with dlopen (no link-time CUDA dependency), lists GPUs
// with the driver API, and asks NVML (libnvidia-ml.so.1, also optional) for MIG mode and max clocks.
// With no driver it records the reason and calls nothing else; CUPTI is never touched here.
#include "lwb/core/hardware.h"

#include <cstdio>
#include <dlfcn.h>

namespace lwb {
namespace {

    // Driver API signatures (CUresult and CUdevice are ints in cuda.h).
    using CuInit = int (*)(unsigned);
    using CuDriverGetVersion = int (*)(int*);
    using CuDeviceGetCount = int (*)(int*);
    using CuDeviceGet = int (*)(int*, int);
    using CuDeviceGetName = int (*)(char*, int, int);
    using CuDeviceTotalMem = int (*)(std::size_t*, int);
    using CuDeviceGetAttribute = int (*)(int*, int, int);
    using CuDeviceGetUuid = int (*)(unsigned char*, int);
    using CuGetErrorName = int (*)(int, const char**);

    // Attribute numbers from cuda.h (stable ABI).
    constexpr int kAttrClockRate = 13; // kHz
    constexpr int kAttrSmCount = 16;
    constexpr int kAttrMemoryClockRate = 36; // kHz
    constexpr int kAttrMemoryBusWidth = 37;
    constexpr int kAttrComputeMajor = 75;
    constexpr int kAttrComputeMinor = 76;

    struct Library {
        void* handle = nullptr;
        explicit Library(const char* name) : handle(dlopen(name, RTLD_NOW | RTLD_LOCAL)) { }
        ~Library()
        {
            if (handle)
                dlclose(handle);
        }
        template <typename F>
        F symbol(const char* name) const
        {
            return handle ? reinterpret_cast<F>(dlsym(handle, name)) : nullptr;
        }
    };

    std::string formatUuid(const unsigned char* b)
    {
        char text[64];
        std::snprintf(text, sizeof text, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
            b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return text;
    }

    /// MIG mode and max SM clock from NVML, matched by UUID.
    void addNvmlDetails(std::vector<GpuInfo>& gpus)
    {
        Library nvml("libnvidia-ml.so.1");
        auto init = nvml.symbol<int (*)()>("nvmlInit_v2");
        auto shutdown = nvml.symbol<int (*)()>("nvmlShutdown");
        auto byUuid = nvml.symbol<int (*)(const char*, void**)>("nvmlDeviceGetHandleByUUID");
        auto migMode = nvml.symbol<int (*)(void*, unsigned*, unsigned*)>("nvmlDeviceGetMigMode");
        auto maxClock = nvml.symbol<int (*)(void*, int, unsigned*)>("nvmlDeviceGetMaxClockInfo");
        if (!init || !shutdown || !byUuid || init() != 0)
            return;
        for (GpuInfo& gpu : gpus) {
            void* device = nullptr;
            if (byUuid(gpu.uuid.c_str(), &device) != 0)
                continue;
            unsigned current = 0, pending = 0;
            if (migMode && migMode(device, &current, &pending) == 0)
                gpu.migMode = current ? "enabled" : "disabled";
            unsigned mhz = 0;
            if (maxClock && maxClock(device, /*NVML_CLOCK_SM*/ 1, &mhz) == 0 && mhz > 0)
                gpu.smClockMHz = static_cast<int>(mhz);
        }
        shutdown();
    }

    class DriverCudaProbe final : public CudaProbe {
    public:
        CudaInfo probe() const override
        {
            CudaInfo info;
            Library cuda("libcuda.so.1");
            if (!cuda.handle) {
                const char* why = dlerror();
                info.unavailableReason = std::string("CUDA driver not found: ") + (why ? why : "libcuda.so.1 missing");
                return info;
            }
            auto cuInit = cuda.symbol<CuInit>("cuInit");
            auto getVersion = cuda.symbol<CuDriverGetVersion>("cuDriverGetVersion");
            auto getCount = cuda.symbol<CuDeviceGetCount>("cuDeviceGetCount");
            auto getDevice = cuda.symbol<CuDeviceGet>("cuDeviceGet");
            auto getName = cuda.symbol<CuDeviceGetName>("cuDeviceGetName");
            auto totalMem = cuda.symbol<CuDeviceTotalMem>("cuDeviceTotalMem_v2");
            auto getAttr = cuda.symbol<CuDeviceGetAttribute>("cuDeviceGetAttribute");
            auto getUuid = cuda.symbol<CuDeviceGetUuid>("cuDeviceGetUuid_v2");
            if (!getUuid)
                getUuid = cuda.symbol<CuDeviceGetUuid>("cuDeviceGetUuid");
            auto errorName = cuda.symbol<CuGetErrorName>("cuGetErrorName");
            if (!cuInit || !getVersion || !getCount || !getDevice || !getName || !totalMem || !getAttr) {
                info.unavailableReason = "CUDA driver library is incomplete (missing driver API symbols)";
                return info;
            }
            auto name = [&](int rc) {
                const char* text = nullptr;
                if (errorName && errorName(rc, &text) == 0 && text)
                    return std::string(text);
                return "CUresult " + std::to_string(rc);
            };
            getVersion(&info.driverVersion);
            if (int rc = cuInit(0); rc != 0) {
                info.unavailableReason = "CUDA driver failed to initialise: " + name(rc);
                return info;
            }
            info.driverAvailable = true;
            int count = 0;
            if (int rc = getCount(&count); rc != 0) {
                info.unavailableReason = "cannot count CUDA devices: " + name(rc);
                return info;
            }
            if (count == 0) {
                info.unavailableReason = "the CUDA driver sees no GPU";
                return info;
            }
            for (int i = 0; i < count; ++i) {
                int device = 0;
                if (getDevice(&device, i) != 0)
                    continue;
                GpuInfo gpu;
                gpu.index = i;
                char text[256] = {};
                getName(text, sizeof text, device);
                gpu.name = text;
                std::size_t bytes = 0;
                totalMem(&bytes, device);
                gpu.memoryBytes = static_cast<std::int64_t>(bytes);
                int value = 0;
                if (getAttr(&value, kAttrSmCount, device) == 0)
                    gpu.smCount = value;
                if (getAttr(&value, kAttrClockRate, device) == 0)
                    gpu.smClockMHz = value / 1000;
                if (getAttr(&value, kAttrMemoryClockRate, device) == 0)
                    gpu.memoryClockMHz = value / 1000;
                if (getAttr(&value, kAttrMemoryBusWidth, device) == 0)
                    gpu.memoryBusWidthBits = value;
                if (getAttr(&value, kAttrComputeMajor, device) == 0)
                    gpu.computeMajor = value;
                if (getAttr(&value, kAttrComputeMinor, device) == 0)
                    gpu.computeMinor = value;
                unsigned char uuid[16] = {};
                if (getUuid && getUuid(uuid, device) == 0)
                    gpu.uuid = formatUuid(uuid);
                gpu.migMode = "unknown";
                info.gpus.push_back(std::move(gpu));
            }
            addNvmlDetails(info.gpus);
            return info;
        }
    };

} // namespace

std::unique_ptr<CudaProbe> makeDriverCudaProbe() { return std::make_unique<DriverCudaProbe>(); }

} // namespace lwb
