// CPU detection: vendor, model, core counts and ISA features from CPUID (with the OS's XSAVE
// support checked, so AVX-512 is only reported when the kernel enables its registers) and /proc.
#include "lwb/core/hardware.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace lwb {

bool CpuInfo::has(std::string_view feature) const
{
    return std::find(features.begin(), features.end(), feature) != features.end();
}

namespace {

#if defined(__x86_64__) || defined(__i386__)
    struct Regs {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    };

    Regs cpuid(unsigned leaf, unsigned subleaf)
    {
        Regs r;
        if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx))
            return {};
        return r;
    }

    std::uint64_t xgetbv0()
    {
        unsigned eax = 0, edx = 0;
        __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
        return (static_cast<std::uint64_t>(edx) << 32) | eax;
    }

    void x86Features(CpuInfo& cpu)
    {
        Regs leaf0 = cpuid(0, 0);
        char vendor[13] = {};
        std::memcpy(vendor, &leaf0.ebx, 4);
        std::memcpy(vendor + 4, &leaf0.edx, 4);
        std::memcpy(vendor + 8, &leaf0.ecx, 4);
        cpu.vendor = vendor;

        Regs l1 = cpuid(1, 0);
        bool osxsave = (l1.ecx >> 27) & 1;
        std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
        bool avxState = (xcr0 & 0x6) == 0x6;
        bool avx512State = avxState && (xcr0 & 0xE0) == 0xE0;
        bool amxState = (xcr0 & (3ull << 17)) == (3ull << 17);

        auto add = [&](bool present, const char* name) {
            if (present)
                cpu.features.emplace_back(name);
        };
        add((l1.edx >> 26) & 1, "sse2");
        add((l1.ecx >> 20) & 1, "sse4_2");
        add(avxState && ((l1.ecx >> 28) & 1), "avx");
        add(avxState && ((l1.ecx >> 12) & 1), "fma");
        add(avxState && ((l1.ecx >> 29) & 1), "f16c");
        if (leaf0.eax >= 7) {
            Regs l7 = cpuid(7, 0);
            Regs l71 = cpuid(7, 1);
            add(avxState && ((l7.ebx >> 5) & 1), "avx2");
            add(avx512State && ((l7.ebx >> 16) & 1), "avx512f");
            add(avx512State && ((l7.ebx >> 17) & 1), "avx512dq");
            add(avx512State && ((l7.ebx >> 30) & 1), "avx512bw");
            add(avx512State && ((l7.ebx >> 31) & 1), "avx512vl");
            add(avx512State && ((l7.ecx >> 11) & 1), "avx512_vnni");
            add(avx512State && ((l71.eax >> 5) & 1), "avx512_bf16");
            add(avx512State && ((l7.edx >> 23) & 1), "avx512_fp16");
            add(avxState && ((l71.eax >> 4) & 1), "avx_vnni");
            add(amxState && ((l7.edx >> 24) & 1), "amx_tile");
            add(amxState && ((l7.edx >> 22) & 1), "amx_bf16");
            add(amxState && ((l7.edx >> 25) & 1), "amx_int8");
        }
    }
#endif

    std::string trim(std::string s)
    {
        auto notSpace = [](unsigned char c) { return !std::isspace(c); };
        s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
        s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
        return s;
    }

    void procCpuinfo(CpuInfo& cpu)
    {
        std::ifstream in("/proc/cpuinfo");
        std::string line;
        std::set<std::pair<std::string, std::string>> cores;
        std::string physicalId;
        while (std::getline(in, line)) {
            auto colon = line.find(':');
            if (colon == std::string::npos)
                continue;
            std::string key = trim(line.substr(0, colon));
            std::string value = trim(line.substr(colon + 1));
            if (key == "model name" && cpu.model.empty())
                cpu.model = value;
            else if (key == "physical id")
                physicalId = value;
            else if (key == "core id")
                cores.emplace(physicalId, value);
            else if (key == "cpu MHz" && cpu.maxMHz == 0)
                cpu.maxMHz = std::atof(value.c_str());
        }
        cpu.physicalCores = cores.empty() ? cpu.logicalCores : static_cast<int>(cores.size());
        std::ifstream freq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
        double khz = 0;
        if (freq >> khz && khz > 0)
            cpu.maxMHz = khz / 1000.0;
    }

} // namespace

CpuInfo detectCpu()
{
    CpuInfo cpu;
    cpu.logicalCores = static_cast<int>(std::thread::hardware_concurrency());
#if defined(__x86_64__) || defined(__i386__)
    x86Features(cpu);
#endif
    procCpuinfo(cpu);
    return cpu;
}

} // namespace lwb
