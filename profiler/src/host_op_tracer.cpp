// HostOpTracer (see host_op_tracer.h). The hot path touches only thread-local state: a small
// per-thread cache maps the tracer's id to this thread's buffer, so the mutex is taken once per
// (thread, tracer). OpEvents are copied raw; names are interned by pointer only in finish().
#include "lwb/profiler/host_op_tracer.h"

#include "lwb/core/clock.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <new>
#include <type_traits>
#include <unordered_map>

namespace lwb::profiler {

bool CaptureSchedule::captures(std::int64_t ordinal) const
{
    if (ordinal < skipSteps)
        return false;
    if (captureSteps < 0)
        return true;
    if (captureSteps == 0)
        return false;
    if (repeat == CaptureRepeat::Stop)
        return ordinal < skipSteps + captureSteps;
    std::int64_t period = skipSteps + captureSteps;
    return ordinal % period >= skipSteps;
}

bool CaptureSchedule::finishedAfter(std::int64_t ordinal) const
{
    if (captureSteps < 0 || repeat == CaptureRepeat::Repeat)
        return false;
    return ordinal + 1 >= skipSteps + captureSteps;
}

struct HostOpTracer::ThreadBuffer {
    static constexpr std::size_t kChunk = 8192;
    struct Free {
        void operator()(OpEvent* p) const { ::operator delete(p); }
    };
    std::vector<std::unique_ptr<OpEvent, Free>> chunks; ///< raw storage: only [0, used) is constructed
    OpEvent* cursor = nullptr;
    OpEvent* limit = nullptr;
    std::size_t count = 0;
    std::int64_t dropped = 0;
    long osThreadId = 0;

    void append(const OpEvent& event)
    {
        if (cursor == limit) {
            auto* chunk = static_cast<OpEvent*>(::operator new(sizeof(OpEvent) * kChunk));
            chunks.emplace_back(chunk);
            cursor = chunk;
            limit = chunk + kChunk;
        }
        new (cursor++) OpEvent(event); // trivially copyable: a 64-byte copy
        ++count;
    }
    /// Events of chunk i.
    std::size_t used(std::size_t i) const { return i + 1 < chunks.size() ? kChunk : kChunk - (limit - cursor); }
};
static_assert(std::is_trivially_copyable_v<OpEvent> && std::is_trivially_destructible_v<OpEvent>);

namespace {
std::atomic<std::uint64_t> g_nextTracerId {1};

/// Last few (tracer, buffer) pairs this thread used; ids are never reused, so a stale entry of
/// a destroyed tracer can never match a new one.
struct LocalCache {
    static constexpr int kSlots = 4;
    std::uint64_t ids[kSlots] = {};
    HostOpTracer::ThreadBuffer* buffers[kSlots] = {};
    int next = 0;
};
// initial-exec: a direct %fs-relative access instead of a __tls_get_addr call per op.
thread_local LocalCache t_cache __attribute__((tls_model("initial-exec")));

RecordKind kindOf(OpCategory category)
{
    switch (category) {
    case OpCategory::Memcpy:
        return RecordKind::Memcpy;
    case OpCategory::Memset:
        return RecordKind::Memset;
    case OpCategory::Sync:
        return RecordKind::Sync;
    case OpCategory::Runtime:
        return RecordKind::Runtime;
    case OpCategory::Step:
        return RecordKind::Marker;
    case OpCategory::Compute:
    case OpCategory::Communication:
    case OpCategory::Optimizer:
    case OpCategory::Other:
        break;
    }
    return RecordKind::Kernel;
}
} // namespace

HostOpTracer::HostOpTracer(HostOpTracerOptions options)
    : m_options(options)
    , m_id(g_nextTracerId.fetch_add(1))
    , m_sessionStartNs(monotonicNs())
{
    m_utcEpochNs = realtimeNs() - (monotonicNs() - m_sessionStartNs);
    if (m_options.schedule.capturesEverything())
        m_capturing.store(true);
}

HostOpTracer::~HostOpTracer() = default;

HostOpTracer::ThreadBuffer* HostOpTracer::localBuffer()
{
    LocalCache& cache = t_cache;
    for (int i = 0; i < LocalCache::kSlots; ++i)
        if (cache.ids[i] == m_id)
            return cache.buffers[i];
    // Slow path, once per (thread, tracer).
    auto buffer = std::make_unique<ThreadBuffer>();
    buffer->osThreadId = static_cast<long>(::syscall(SYS_gettid));
    ThreadBuffer* raw = buffer.get();
    {
        std::lock_guard lock(m_mutex);
        m_buffers.push_back(std::move(buffer));
    }
    int slot = cache.next;
    cache.next = (cache.next + 1) % LocalCache::kSlots;
    cache.ids[slot] = m_id;
    cache.buffers[slot] = raw;
    return raw;
}

void HostOpTracer::onOp(const OpEvent& event)
{
    if (!m_capturing.load(std::memory_order_relaxed))
        return;
    ThreadBuffer* buffer = localBuffer();
    if (buffer->count >= m_options.maxRecordsPerThread) {
        ++buffer->dropped;
        return;
    }
    buffer->append(event);
}

void HostOpTracer::onStepBegin(std::int64_t step)
{
    (void)step;
    if (m_finished.load())
        return;
    std::int64_t ordinal = m_stepOrdinal++;
    m_stepCaptured = m_options.schedule.captures(ordinal);
    if (m_stepCaptured) {
        m_stepStartNs = monotonicNs();
        m_capturing.store(true, std::memory_order_release);
    } else if (!m_options.schedule.capturesEverything()) {
        m_capturing.store(false, std::memory_order_release);
    }
}

void HostOpTracer::onStepEnd(std::int64_t step)
{
    if (m_finished.load() || !m_stepCaptured)
        return;
    std::int64_t endNs = monotonicNs();
    {
        std::lock_guard lock(m_mutex);
        m_steps.push_back({step, m_stepStartNs, endNs});
    }
    m_capturedSteps.fetch_add(1, std::memory_order_relaxed);
    m_stepCaptured = false;
    if (!m_options.schedule.capturesEverything())
        m_capturing.store(false, std::memory_order_release);
    if (m_options.schedule.finishedAfter(m_stepOrdinal - 1))
        m_complete.store(true);
}

Trace HostOpTracer::finish()
{
    m_capturing.store(false);
    m_finished.store(true);
    std::lock_guard lock(m_mutex);

    Trace trace;
    trace.source = "host-op-tracer";
    trace.sessionStartNs = m_sessionStartNs;
    trace.utcEpochNs = m_utcEpochNs;
    std::size_t total = m_steps.size();
    for (const auto& buffer : m_buffers)
        total += buffer->count;
    trace.records.reserve(total);

    std::unordered_map<const char*, StringId> byPointer;
    auto intern = [&](const char* name) {
        auto it = byPointer.find(name);
        if (it != byPointer.end())
            return it->second;
        StringId id = trace.strings.intern(name ? std::string_view(name) : std::string_view());
        byPointer.emplace(name, id);
        return id;
    };

    auto pid = static_cast<std::uint32_t>(::getpid());
    StringId stepName = trace.strings.intern("step");
    for (const StepMark& mark : m_steps) {
        ActivityRecord r;
        r.kind = RecordKind::Marker;
        r.category = OpCategory::Step;
        r.flags = kHostOp;
        r.start = mark.startNs - m_sessionStartNs;
        r.end = mark.endNs - m_sessionStartNs;
        r.step = mark.step;
        r.processId = pid;
        r.name = r.shortName = stepName;
        trace.records.push_back(r);
    }

    for (const auto& buffer : m_buffers) {
        trace.stats.droppedRecords += buffer->dropped;
        std::uint32_t lastStream = 0;
        bool named = false;
        for (std::size_t c = 0; c < buffer->chunks.size(); ++c) {
            const OpEvent* events = buffer->chunks[c].get();
            for (std::size_t i = 0, n = buffer->used(c); i < n; ++i) {
                const OpEvent& e = events[i];
                ActivityRecord r;
                r.kind = kindOf(e.category);
                r.category = e.category;
                r.flags = kHostOp;
                r.device = e.device < 0 ? kHostDevice : e.device;
                r.stream = e.stream;
                r.processId = pid;
                r.start = e.startNs - m_sessionStartNs;
                r.end = e.endNs - m_sessionStartNs;
                r.step = e.step;
                r.flops = e.flops;
                r.bytes = static_cast<std::int64_t>(e.bytes);
                r.name = r.shortName = intern(e.name);
                trace.records.push_back(r);
                if (r.device == kHostDevice && (!named || e.stream != lastStream)) {
                    named = true;
                    lastStream = e.stream;
                    trace.trackNames.try_emplace(TrackKey {kHostDevice, e.stream},
                        "CPU thread " + std::to_string(e.stream) + " (tid " + std::to_string(buffer->osThreadId) + ")");
                }
            }
        }
    }
    if (trace.stats.droppedRecords > 0)
        trace.stats.dropReason = "host tracer buffer limit of " + std::to_string(m_options.maxRecordsPerThread)
            + " records per thread reached";
    m_buffers.clear();
    m_steps.clear();
    trace.sortByStart();
    return trace;
}

} // namespace lwb::profiler
