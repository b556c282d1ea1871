// Synthetic traces with hand-computed summaries, shared by the profiler tests.
//   gpuTrace(): device 0, stream 7 kernels A [50,150) B [150,250) A [300,400); stream 8 memcpy
//   HtoD [100,200) and memset [420,440); host thread 100 (pid 1) launches corr 1..4.
//   cpuStepTrace(): two host-tracer steps on two threads (see the function).
#pragma once

#include "lwb/profiler/trace.h"

#include <string>

namespace lwb::profiler::test {

inline ActivityRecord record(Trace& t, RecordKind kind, std::string_view name, std::int64_t start, std::int64_t end,
    std::int32_t device, std::uint32_t stream, std::uint32_t correlation = 0)
{
    ActivityRecord r;
    r.kind = kind;
    r.start = start;
    r.end = end;
    r.device = device;
    r.stream = stream;
    r.correlationId = correlation;
    r.name = r.shortName = t.strings.intern(name);
    r.processId = 1;
    if (kind == RecordKind::Memcpy)
        r.category = OpCategory::Memcpy;
    else if (kind == RecordKind::Memset)
        r.category = OpCategory::Memset;
    else if (kind == RecordKind::Runtime || kind == RecordKind::Driver)
        r.category = OpCategory::Runtime;
    return r;
}

inline Trace gpuTrace()
{
    Trace t;
    t.source = "synthetic";
    t.sessionStartNs = 1'000'000;
    t.utcEpochNs = 1'700'000'000'000'000'000;
    auto api = [&](std::string_view name, std::int64_t s, std::int64_t e, std::uint32_t corr) {
        ActivityRecord r = record(t, RecordKind::Runtime, name, s, e, kHostDevice, 100, corr);
        r.cbid = 211;
        t.records.push_back(r);
    };
    api("cudaLaunchKernel_v7000", 0, 10, 1);
    api("cudaMemcpyAsync_v3020", 5, 15, 4);
    api("cudaLaunchKernel_v7000", 20, 40, 2);
    api("cudaLaunchKernel_v7000", 200, 230, 3);
    auto kernel = [&](std::string_view name, std::int64_t s, std::int64_t e, std::uint32_t corr) {
        ActivityRecord r = record(t, RecordKind::Kernel, name, s, e, 0, 7, corr);
        r.context = 1;
        r.gridX = 4, r.gridY = 1, r.gridZ = 1, r.blockX = 256, r.blockY = 1, r.blockZ = 1;
        r.registersPerThread = 16;
        r.staticSharedMemory = 128;
        r.dynamicSharedMemory = 256;
        r.launchType = 1;
        t.records.push_back(r);
    };
    kernel("A", 50, 150, 1);
    kernel("B", 150, 250, 2);
    kernel("A", 300, 400, 3);
    ActivityRecord copy = record(t, RecordKind::Memcpy, memcpyName(CopyKind::HtoD), 100, 200, 0, 8, 4);
    copy.bytes = 4096;
    copy.copyKind = static_cast<std::uint8_t>(CopyKind::HtoD);
    copy.srcKind = static_cast<std::uint8_t>(MemoryKind::Pageable);
    copy.dstKind = static_cast<std::uint8_t>(MemoryKind::Device);
    t.records.push_back(copy);
    ActivityRecord set = record(t, RecordKind::Memset, "[CUDA memset]", 420, 440, 0, 8);
    set.bytes = 1024;
    set.value = 0;
    set.memoryKind = static_cast<std::uint8_t>(MemoryKind::Device);
    t.records.push_back(set);
    t.trackNames[{kHostDevice, 100}] = "main (tid 100)";
    t.sortByStart();
    return t;
}

/// A host op as the HostOpTracer stores it.
inline ActivityRecord hostOp(Trace& t, std::string_view name, std::int64_t start, std::int64_t end,
    std::uint32_t thread, std::int64_t step, OpCategory category = OpCategory::Compute)
{
    ActivityRecord r = record(t, RecordKind::Kernel, name, start, end, kHostDevice, thread);
    r.category = category;
    r.flags = kHostOp;
    r.step = step;
    if (category == OpCategory::Memcpy)
        r.kind = RecordKind::Memcpy;
    return r;
}

inline ActivityRecord stepMarker(Trace& t, std::int64_t step, std::int64_t start, std::int64_t end)
{
    ActivityRecord r = record(t, RecordKind::Marker, "step", start, end, kHostDevice, 0);
    r.category = OpCategory::Step;
    r.flags = kHostOp;
    r.step = step;
    return r;
}

/// Step 0 [0,1000): thread 0 matmul [0,400) gelu [400,500) matmul [600,1000); thread 1 matmul
/// [100,300). Step 1 [1000,2000): thread 0 matmul [1000,1300) gelu [1300,1400) adamw [1500,1900).
inline Trace cpuStepTrace()
{
    Trace t;
    t.source = "synthetic";
    t.records.push_back(stepMarker(t, 0, 0, 1000));
    t.records.push_back(stepMarker(t, 1, 1000, 2000));
    t.records.push_back(hostOp(t, "matmul", 0, 400, 0, 0));
    t.records.push_back(hostOp(t, "gelu", 400, 500, 0, 0));
    t.records.push_back(hostOp(t, "matmul", 600, 1000, 0, 0));
    t.records.push_back(hostOp(t, "matmul", 100, 300, 1, 0));
    t.records.push_back(hostOp(t, "matmul", 1000, 1300, 0, 1));
    t.records.push_back(hostOp(t, "gelu", 1300, 1400, 0, 1));
    t.records.push_back(hostOp(t, "adamw", 1500, 1900, 0, 1, OpCategory::Optimizer));
    t.sortByStart();
    return t;
}

} // namespace lwb::profiler::test
