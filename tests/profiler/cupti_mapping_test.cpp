// CUPTI record processing without a GPU: real CUDA 13 record structs (through the aliases of
// cupti_records.h) are laid out in buffers obtained from the collector's buffer-requested
// callback and handed back through the buffer-completed trampoline CUPTI calls; a fake CuptiApi
// walks them. Checks every enabled kind's mapping, API -> kernel correlation, external ids,
// filtered calls, zero timestamps, dropped records, truncated buffers and the buffer pool.
#include "cupti/activity_collector.h"
#include "cupti/cupti_records.h"
#include "lwb/profiler/summary.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <thread>

using namespace lwb;
using namespace lwb::profiler;
namespace cu = lwb::profiler::cupti;

namespace {

constexpr std::size_t align8(std::size_t n)
{
    return (n + 7) & ~std::size_t {7};
}

/// Walks records the way cuptiActivityGetNextRecord does: back to back, each 8-byte aligned.
class FakeCuptiApi final : public cu::CuptiApi {
public:
    std::atomic<std::size_t> pendingDropped {0};
    std::map<std::pair<int, std::uint32_t>, std::string> names = {
        {{CUPTI_CB_DOMAIN_RUNTIME_API, 211}, "cudaLaunchKernel_v7000"},
        {{CUPTI_CB_DOMAIN_RUNTIME_API, 17}, "cudaGetDevice_v3020"},
        {{CUPTI_CB_DOMAIN_DRIVER_API, 307}, "cuLaunchKernel"},
    };

    CUptiResult nextRecord(std::uint8_t* buffer, std::size_t validSize, CUpti_Activity** record) override
    {
        std::size_t offset = 0;
        if (*record)
            offset = static_cast<std::size_t>(reinterpret_cast<std::uint8_t*>(*record) - buffer)
                + align8(cu::recordSize((*record)->kind));
        if (offset >= validSize)
            return CUPTI_ERROR_MAX_LIMIT_REACHED;
        if (offset + sizeof(CUpti_ActivityKind) > validSize)
            return CUPTI_ERROR_INVALID_KIND;
        auto* next = reinterpret_cast<CUpti_Activity*>(buffer + offset);
        std::size_t size = cu::recordSize(next->kind);
        if (size == 0 || offset + size > validSize)
            return CUPTI_ERROR_INVALID_KIND;
        *record = next;
        return CUPTI_SUCCESS;
    }
    CUptiResult droppedRecords(std::size_t* dropped) override
    {
        *dropped = pendingDropped.exchange(0);
        return CUPTI_SUCCESS;
    }
    std::string callbackName(CUpti_CallbackDomain domain, std::uint32_t cbid) override
    {
        auto it = names.find({static_cast<int>(domain), cbid});
        return it == names.end() ? std::string() : it->second;
    }
    CUptiResult registerCallbacks(CUpti_BuffersCallbackRequestFunc, CUpti_BuffersCallbackCompleteFunc) override
    {
        return CUPTI_SUCCESS;
    }
    CUptiResult registerTimestampCallback(CUpti_TimestampCallbackFunc) override { return CUPTI_SUCCESS; }
    CUptiResult enable(CUpti_ActivityKind) override { return CUPTI_SUCCESS; }
    CUptiResult disable(CUpti_ActivityKind) override { return CUPTI_SUCCESS; }
    CUptiResult flushAll(std::uint32_t) override { return CUPTI_SUCCESS; }
    CUptiResult pushExternalCorrelation(std::uint64_t) override { return CUPTI_SUCCESS; }
    CUptiResult popExternalCorrelation(std::uint64_t*) override { return CUPTI_SUCCESS; }
    std::string resultText(CUptiResult result) override { return "fake CUPTI error " + std::to_string(result); }
};

/// Lays zero-initialised records into a CUPTI buffer.
class BufferWriter {
public:
    BufferWriter(std::uint8_t* buffer, std::size_t size)
        : m_buffer(buffer)
        , m_size(size)
    {
    }
    template <typename T> T& add(CUpti_ActivityKind kind)
    {
        EXPECT_LE(m_offset + sizeof(T), m_size);
        std::memset(m_buffer + m_offset, 0, align8(sizeof(T)));
        T* record = reinterpret_cast<T*>(m_buffer + m_offset);
        record->kind = kind;
        m_offset += align8(sizeof(T));
        return *record;
    }
    std::size_t used() const { return m_offset; }

private:
    std::uint8_t* m_buffer;
    std::size_t m_size;
    std::size_t m_offset = 0;
};

struct Buffer {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
};

Buffer request()
{
    Buffer b;
    std::size_t maxRecords = 99;
    cu::bufferRequestedTrampoline(&b.data, &b.size, &maxRecords);
    EXPECT_EQ(maxRecords, 0u);
    return b;
}

void complete(const Buffer& b, std::size_t validSize)
{
    cu::bufferCompletedTrampoline(nullptr, 0, b.data, b.size, validSize);
}

const ActivityRecord* only(const Trace& t, RecordKind kind, std::string_view name = {})
{
    const ActivityRecord* found = nullptr;
    for (const ActivityRecord& r : t.records) {
        if (r.kind != kind || (!name.empty() && t.nameOf(r) != name))
            continue;
        EXPECT_EQ(found, nullptr) << "more than one " << recordKindName(kind) << " " << name;
        found = &r;
    }
    return found;
}

cu::CollectorOptions options()
{
    cu::CollectorOptions o;
    o.bufferBytes = 64 * 1024;
    o.maxBufferMemory = 4 * 64 * 1024;
    o.mapper.timeShiftNs = -1000;
    o.mapper.processId = 77;
    o.mapper.filteredApis = {"cudaGetDevice"};
    return o;
}

} // namespace

TEST(CuptiRecords, SizesAndShortNames)
{
    // The versioned structs are named only in cupti_records.h; the notes give the CUDA 13 sizes.
    EXPECT_EQ(cu::recordSize(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), 216u);
    EXPECT_EQ(cu::recordSize(CUPTI_ACTIVITY_KIND_MEMCPY), 96u);
    EXPECT_EQ(cu::recordSize(CUPTI_ACTIVITY_KIND_MEMSET), 88u);
    EXPECT_EQ(cu::recordSize(CUPTI_ACTIVITY_KIND_RUNTIME), 40u);
    EXPECT_EQ(cu::recordSize(CUPTI_ACTIVITY_KIND_PC_SAMPLING), 0u);
    EXPECT_EQ(cu::kernelShortName("void at::native::vectorized<float, 4>(int, float*)"), "vectorized");
    EXPECT_EQ(cu::kernelShortName("add_one(const float *, float *, int)"), "add_one");
    EXPECT_EQ(cu::kernelShortName("plain_c_kernel"), "plain_c_kernel");
    EXPECT_EQ(cu::kernelShortName("ns::k<(anonymous namespace)::T>(T*)"), "k");
}

TEST(CuptiMapping, EveryEnabledKindThroughTheBufferCompletedPath)
{
    FakeCuptiApi api;
    cu::ActivityCollector collector(api, options());
    ASSERT_TRUE(cu::setActiveCollector(&collector));
    EXPECT_FALSE(cu::setActiveCollector(&collector)); // one at a time

    Buffer buffer = request();
    ASSERT_NE(buffer.data, nullptr);
    EXPECT_EQ(buffer.size, 64u * 1024);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data) % 8, 0u);
    BufferWriter w(buffer.data, buffer.size);

    auto& context = w.add<cu::ContextRecord>(CUPTI_ACTIVITY_KIND_CONTEXT);
    context.contextId = 1;
    context.deviceId = 2;
    auto& external = w.add<cu::ExternalCorrelationRecord>(CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION);
    external.externalKind = CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0;
    external.externalId = 4242;
    external.correlationId = 10;
    auto& launch = w.add<cu::ApiRecord>(CUPTI_ACTIVITY_KIND_RUNTIME);
    launch.cbid = 211;
    launch.start = 2000;
    launch.end = 2500;
    launch.processId = 77;
    launch.threadId = 555;
    launch.correlationId = 10;
    auto& kernel = w.add<cu::KernelRecord>(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    kernel.start = 3000;
    kernel.end = 4000;
    kernel.deviceId = 2;
    kernel.contextId = 1;
    kernel.streamId = 7;
    kernel.correlationId = 10;
    kernel.name = "_Z7add_onePKfPfi";
    kernel.gridX = 4, kernel.gridY = 2, kernel.gridZ = 1;
    kernel.blockX = 256, kernel.blockY = 1, kernel.blockZ = 1;
    kernel.registersPerThread = 32;
    kernel.staticSharedMemory = 48;
    kernel.dynamicSharedMemory = 1024;
    kernel.launchType = CUPTI_ACTIVITY_LAUNCH_TYPE_REGULAR;
    kernel.graphId = 0;
    auto& copy = w.add<cu::MemcpyRecord>(CUPTI_ACTIVITY_KIND_MEMCPY);
    copy.copyKind = CUPTI_ACTIVITY_MEMCPY_KIND_HTOD;
    copy.srcKind = CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE;
    copy.dstKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
    copy.bytes = 1 << 20;
    copy.start = 4100;
    copy.end = 4600;
    copy.deviceId = 2;
    copy.contextId = 1;
    copy.streamId = 8;
    copy.correlationId = 11;
    auto& set = w.add<cu::MemsetRecord>(CUPTI_ACTIVITY_KIND_MEMSET);
    set.value = 7;
    set.bytes = 512;
    set.memoryKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
    set.start = 4700;
    set.end = 4710;
    set.deviceId = 2;
    set.streamId = 8;
    set.correlationId = 12;
    auto& driver = w.add<cu::ApiRecord>(CUPTI_ACTIVITY_KIND_DRIVER);
    driver.cbid = 307;
    driver.start = 5000;
    driver.end = 5100;
    driver.processId = 77;
    driver.threadId = 556;
    driver.correlationId = 13;
    driver.returnValue = 1;
    auto& noisy = w.add<cu::ApiRecord>(CUPTI_ACTIVITY_KIND_RUNTIME);
    noisy.cbid = 17; // cudaGetDevice: filtered
    noisy.start = 5200;
    noisy.end = 5210;
    auto& sync = w.add<cu::SyncRecord>(CUPTI_ACTIVITY_KIND_SYNCHRONIZATION);
    sync.type = CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE;
    sync.start = 6000;
    sync.end = 6500;
    sync.contextId = 1;
    sync.streamId = 7;
    sync.correlationId = 14;
    sync.cudaEventId = CUPTI_SYNCHRONIZATION_INVALID_VALUE;
    auto& overhead = w.add<cu::OverheadRecord>(CUPTI_ACTIVITY_KIND_OVERHEAD);
    overhead.overheadKind = CUPTI_ACTIVITY_OVERHEAD_LAZY_FUNCTION_LOADING;
    overhead.objectKind = CUPTI_ACTIVITY_OBJECT_THREAD;
    overhead.objectId.pt.processId = 77;
    overhead.objectId.pt.threadId = 555;
    overhead.start = 2100;
    overhead.end = 2200;
    overhead.correlationId = 10;
    auto& rangeStart = w.add<cu::MarkerRecord>(CUPTI_ACTIVITY_KIND_MARKER);
    rangeStart.flags = CUPTI_ACTIVITY_FLAG_MARKER_START;
    rangeStart.id = 5;
    rangeStart.timestamp = 1500;
    rangeStart.name = "forward";
    rangeStart.objectKind = CUPTI_ACTIVITY_OBJECT_THREAD;
    rangeStart.objectId.pt.processId = 77;
    rangeStart.objectId.pt.threadId = 555;
    auto& rangeEnd = w.add<cu::MarkerRecord>(CUPTI_ACTIVITY_KIND_MARKER);
    rangeEnd.flags = CUPTI_ACTIVITY_FLAG_MARKER_END;
    rangeEnd.id = 5;
    rangeEnd.timestamp = 6600;
    auto& mark = w.add<cu::MarkerRecord>(CUPTI_ACTIVITY_KIND_MARKER);
    mark.flags = CUPTI_ACTIVITY_FLAG_MARKER_INSTANTANEOUS;
    mark.id = 6;
    mark.timestamp = 7000;
    mark.name = "checkpoint";
    auto& untimed = w.add<cu::KernelRecord>(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    untimed.name = "_Z4zerov";
    untimed.deviceId = 2;
    untimed.streamId = 7;
    untimed.correlationId = 15;
    auto& graph = w.add<cu::GraphTraceRecord>(CUPTI_ACTIVITY_KIND_GRAPH_TRACE);
    graph.start = 8000;
    graph.end = 9000;
    graph.graphId = 3;
    graph.deviceId = 2;
    graph.streamId = 7;
    graph.correlationId = 16;
    complete(buffer, w.used());

    Trace trace = collector.finish();
    cu::clearActiveCollector(&collector);
    EXPECT_EQ(trace.source, "cupti");
    EXPECT_EQ(trace.records.size(), 11u); // context and external-correlation records are not activities
    EXPECT_EQ(trace.stats.filteredRecords, 1);
    EXPECT_EQ(trace.stats.noTimestampRecords, 1);
    EXPECT_EQ(trace.stats.droppedRecords, 0);
    EXPECT_EQ(trace.stats.invalidRecords, 0);

    const ActivityRecord* k = only(trace, RecordKind::Kernel, "add_one(float const*, float*, int)");
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(trace.strings[k->shortName], "add_one");
    EXPECT_EQ(k->start, 2000); // shifted by the time base
    EXPECT_EQ(k->end, 3000);
    EXPECT_EQ(k->device, 2);
    EXPECT_EQ(k->context, 1u);
    EXPECT_EQ(k->stream, 7u);
    EXPECT_EQ(k->processId, 77u);
    EXPECT_EQ(std::tuple(k->gridX, k->gridY, k->gridZ, k->blockX), std::tuple(4, 2, 1, 256));
    EXPECT_EQ(k->registersPerThread, 32);
    EXPECT_EQ(k->staticSharedMemory, 48);
    EXPECT_EQ(k->dynamicSharedMemory, 1024);
    EXPECT_EQ(k->launchType, 1); // nsys: regular
    EXPECT_EQ(k->externalId, 4242u);

    const ActivityRecord* rt = only(trace, RecordKind::Runtime);
    ASSERT_NE(rt, nullptr);
    EXPECT_EQ(trace.nameOf(*rt), "cudaLaunchKernel_v7000");
    EXPECT_EQ(rt->device, kHostDevice);
    EXPECT_EQ(rt->stream, 555u);
    EXPECT_EQ(rt->processId, 77u);
    EXPECT_EQ(rt->cbid, 211u);
    EXPECT_EQ(rt->start, 1000);
    EXPECT_EQ(rt->externalId, 4242u);
    EXPECT_EQ(rt->correlationId, k->correlationId);

    const ActivityRecord* m = only(trace, RecordKind::Memcpy);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(trace.nameOf(*m), "[CUDA memcpy Host-to-Device]");
    EXPECT_EQ(m->bytes, 1 << 20);
    EXPECT_EQ(m->copyKind, static_cast<std::uint8_t>(CopyKind::HtoD));
    EXPECT_EQ(m->srcKind, static_cast<std::uint8_t>(MemoryKind::Pageable)); // CUPTI 1 -> nsys 0
    EXPECT_EQ(m->dstKind, static_cast<std::uint8_t>(MemoryKind::Device)); // CUPTI 3 -> nsys 2
    const ActivityRecord* s = only(trace, RecordKind::Memset);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->value, 7);
    EXPECT_EQ(s->bytes, 512);
    EXPECT_EQ(s->memoryKind, static_cast<std::uint8_t>(MemoryKind::Device));
    const ActivityRecord* d = only(trace, RecordKind::Driver);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(trace.nameOf(*d), "cuLaunchKernel");
    EXPECT_EQ(d->returnValue, 1);
    const ActivityRecord* y = only(trace, RecordKind::Sync);
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(trace.nameOf(*y), "[CUDA stream synchronize]");
    EXPECT_EQ(y->device, 2); // from the CONTEXT record
    EXPECT_EQ(y->syncType, 3);
    EXPECT_EQ(y->value, -1);
    const ActivityRecord* o = only(trace, RecordKind::Overhead);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(trace.nameOf(*o), "Lazy Function Loading");
    EXPECT_EQ(o->overheadType, 7); // nsys numbering
    EXPECT_EQ(o->stream, 555u);
    EXPECT_EQ(o->device, kHostDevice);
    const ActivityRecord* range = only(trace, RecordKind::Marker, "forward");
    ASSERT_NE(range, nullptr);
    EXPECT_EQ(range->start, 500);
    EXPECT_EQ(range->end, 5600);
    EXPECT_EQ(range->stream, 555u);
    const ActivityRecord* instant = only(trace, RecordKind::Marker, "checkpoint");
    ASSERT_NE(instant, nullptr);
    EXPECT_TRUE(instant->flags & kInstant);
    const ActivityRecord* zero = only(trace, RecordKind::Kernel, "zero()");
    ASSERT_NE(zero, nullptr);
    EXPECT_FALSE(zero->hasTimestamp());
    EXPECT_EQ(zero->start, 0);
    EXPECT_EQ(zero->end, 0);
    const ActivityRecord* g = only(trace, RecordKind::Graph);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(trace.nameOf(*g), "[CUDA graph 3]");
    EXPECT_EQ(g->start, 7000);

    TraceSummary summary = summarize(trace);
    EXPECT_EQ(summary.launch.launches, 1); // kernel corr 10 <- cudaLaunchKernel corr 10
    EXPECT_EQ(summary.launch.unmatched, 3); // memcpy, memset, graph: no API records captured
    EXPECT_DOUBLE_EQ(summary.launch.latencyNs.meanNs, 1000);
    EXPECT_EQ(trace.trackNames.at({2, 7}), "GPU 2 stream 7");
}

TEST(CuptiMapping, DroppedAndTruncatedRecordsAreCountedNeverSilent)
{
    FakeCuptiApi api;
    cu::ActivityCollector collector(api, options());
    ASSERT_TRUE(cu::setActiveCollector(&collector));
    Buffer buffer = request();
    BufferWriter w(buffer.data, buffer.size);
    auto& kernel = w.add<cu::KernelRecord>(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    kernel.start = 11000;
    kernel.end = 11100;
    kernel.name = "k";
    auto& copy = w.add<cu::MemcpyRecord>(CUPTI_ACTIVITY_KIND_MEMCPY);
    copy.start = 12000;
    copy.end = 12100;
    api.pendingDropped = 5; // CUPTI reports drops when a buffer completes
    complete(buffer, w.used() - 16); // the memcpy record is cut short
    Trace trace = collector.finish();
    cu::clearActiveCollector(&collector);
    ASSERT_EQ(trace.records.size(), 1u);
    EXPECT_EQ(trace.nameOf(trace.records[0]), "k");
    EXPECT_EQ(trace.records[0].start, 10000);
    EXPECT_EQ(trace.stats.invalidRecords, 1);
    EXPECT_EQ(trace.stats.droppedRecords, 5);
    EXPECT_NE(trace.stats.dropReason.find("CUPTI dropped 5 records"), std::string::npos) << trace.stats.dropReason;
}

TEST(CuptiMapping, SyncDeviceFromKernelsWhenTheContextRecordIsMissing)
{
    FakeCuptiApi api;
    cu::ActivityCollector collector(api, options());
    ASSERT_TRUE(cu::setActiveCollector(&collector));
    Buffer buffer = request();
    BufferWriter w(buffer.data, buffer.size);
    auto& sync = w.add<cu::SyncRecord>(CUPTI_ACTIVITY_KIND_SYNCHRONIZATION);
    sync.type = CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE;
    sync.start = 5000;
    sync.end = 6000;
    sync.contextId = 9;
    sync.streamId = CUPTI_SYNCHRONIZATION_INVALID_VALUE;
    auto& kernel = w.add<cu::KernelRecord>(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    kernel.start = 2000;
    kernel.end = 3000;
    kernel.deviceId = 3;
    kernel.contextId = 9;
    kernel.name = "k";
    complete(buffer, w.used());
    Trace trace = collector.finish();
    cu::clearActiveCollector(&collector);
    const ActivityRecord* s = only(trace, RecordKind::Sync);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->device, 3);
    EXPECT_EQ(s->stream, 0u);
    EXPECT_EQ(trace.nameOf(*s), "[CUDA context synchronize]");
}

TEST(CuptiMapping, BufferPoolReusesBuffersAndDeclinesPastItsLimit)
{
    FakeCuptiApi api;
    cu::ActivityCollector collector(api, options()); // 4 buffers of 64 KiB at most
    ASSERT_TRUE(cu::setActiveCollector(&collector));
    std::vector<Buffer> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(request());
        ASSERT_NE(held.back().data, nullptr);
    }
    Buffer declined = request();
    EXPECT_EQ(declined.data, nullptr);
    EXPECT_EQ(declined.size, 0u);
    EXPECT_EQ(collector.requestsDeclined(), 1);
    for (const Buffer& b : held)
        complete(b, 0);
    api.pendingDropped = 3;
    Trace trace = collector.finish(); // waits for the writer to return the buffers
    EXPECT_EQ(collector.buffersCompleted(), 4);
    EXPECT_EQ(trace.stats.droppedRecords, 3);
    EXPECT_NE(trace.stats.dropReason.find("limit of 256 KiB"), std::string::npos) << trace.stats.dropReason;
    cu::clearActiveCollector(&collector);

    // Without an active collector the trampolines decline and ignore.
    Buffer none = request();
    EXPECT_EQ(none.data, nullptr);
    complete(none, 0);
}

TEST(CuptiMapping, ManyBuffersFromSeveralThreadsKeepEveryRecord)
{
    FakeCuptiApi api;
    auto o = options();
    o.maxBufferMemory = 128 * 64 * 1024; // more than all buffers: none declined
    cu::ActivityCollector collector(api, o);
    ASSERT_TRUE(cu::setActiveCollector(&collector));
    constexpr int kThreads = 4, kBuffers = 25;
    const std::size_t perBuffer = (64 * 1024) / align8(sizeof(cu::KernelRecord));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBuffers; ++b) {
                Buffer buffer = request();
                ASSERT_NE(buffer.data, nullptr);
                BufferWriter w(buffer.data, buffer.size);
                for (std::size_t i = 0; i < perBuffer; ++i) {
                    auto& k = w.add<cu::KernelRecord>(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
                    k.start = 1000 + i;
                    k.end = 2000 + i;
                    k.streamId = static_cast<std::uint32_t>(t);
                    k.name = "_Z6kernelv";
                }
                complete(buffer, w.used());
            }
        });
    }
    for (auto& t : threads)
        t.join();
    Trace trace = collector.finish();
    cu::clearActiveCollector(&collector);
    EXPECT_EQ(trace.records.size(), kThreads * kBuffers * perBuffer);
    EXPECT_EQ(trace.strings.size(), 3u); // "", "kernel()", "kernel"
    EXPECT_EQ(trace.stats.droppedRecords, 0);
}
