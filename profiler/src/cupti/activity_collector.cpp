// ActivityCollector (see activity_collector.h). CUPTI may call the buffer callbacks from its own
// threads: they only take the pool mutex briefly. The dropped-record counter is read before that
// mutex is taken (CUPTI holds its own lock while calling us: reading under ours could deadlock).
#include "cupti/activity_collector.h"

#include <atomic>

namespace lwb::profiler::cupti {
namespace {
std::atomic<ActivityCollector*> g_active {nullptr};
}

ActivityCollector::ActivityCollector(CuptiApi& api, CollectorOptions options)
    : m_api(api)
    , m_options(std::move(options))
    , m_mapper(api, m_options.mapper)
{
    m_writer = std::thread([this] { writerLoop(); });
}

ActivityCollector::~ActivityCollector()
{
    clearActiveCollector(this);
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_writer.joinable())
        m_writer.join();
}

void ActivityCollector::bufferRequested(std::uint8_t** buffer, std::size_t* size, std::size_t* maxNumRecords)
{
    *maxNumRecords = 0; // as many as fit
    std::lock_guard lock(m_mutex);
    if (!m_free.empty()) {
        *buffer = m_free.back();
        m_free.pop_back();
        *size = m_options.bufferBytes;
        return;
    }
    if ((m_owned.size() + 1) * m_options.bufferBytes > m_options.maxBufferMemory) {
        // The writer fell behind: decline (CUPTI >= API 27 then drops and counts the records).
        ++m_declined;
        *buffer = nullptr;
        *size = 0;
        return;
    }
    m_owned.emplace_back(new (std::align_val_t {8}) std::uint8_t[m_options.bufferBytes]);
    *buffer = m_owned.back().get();
    *size = m_options.bufferBytes;
}

void ActivityCollector::bufferCompleted(std::uint8_t* buffer, std::size_t size, std::size_t validSize)
{
    (void)size;
    collectDropped();
    if (!buffer)
        return;
    {
        std::lock_guard lock(m_mutex);
        ++m_completed;
        m_queue.push_back({buffer, validSize});
    }
    m_wake.notify_one();
}

void ActivityCollector::collectDropped()
{
    std::size_t dropped = 0;
    if (m_api.droppedRecords(&dropped) == CUPTI_SUCCESS && dropped > 0) {
        std::lock_guard lock(m_mutex);
        m_dropped += static_cast<std::int64_t>(dropped);
    }
}

void ActivityCollector::writerLoop()
{
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_queue.empty()) {
            if (m_stop)
                return;
            continue;
        }
        Completed work = m_queue.front();
        m_queue.pop_front();
        m_busy = true;
        lock.unlock();
        m_mapper.consumeBuffer(work.buffer, work.validSize);
        lock.lock();
        m_busy = false;
        m_free.push_back(work.buffer);
        if (m_queue.empty())
            m_drained.notify_all();
    }
}

Trace ActivityCollector::finish()
{
    collectDropped();
    std::int64_t dropped = 0, declined = 0;
    {
        std::unique_lock lock(m_mutex);
        m_drained.wait(lock, [this] { return m_queue.empty() && !m_busy; });
        m_stop = true;
        dropped = m_dropped;
        declined = m_declined;
    }
    m_wake.notify_all();
    if (m_writer.joinable())
        m_writer.join();
    if (dropped > 0) {
        std::string reason = "CUPTI dropped " + std::to_string(dropped) + " records";
        if (declined > 0)
            reason += " (the activity buffer limit of "
                + (m_options.maxBufferMemory >= (std::size_t {1} << 20)
                        ? std::to_string(m_options.maxBufferMemory >> 20) + " MiB"
                        : std::to_string(m_options.maxBufferMemory >> 10) + " KiB")
                + " was reached " + std::to_string(declined) + " times: the writer fell behind)";
        else
            reason += " (activity buffers were full)";
        m_mapper.addDropped(dropped, reason);
    }
    return m_mapper.finish();
}

std::int64_t ActivityCollector::buffersCompleted() const
{
    std::lock_guard lock(m_mutex);
    return m_completed;
}

std::int64_t ActivityCollector::requestsDeclined() const
{
    std::lock_guard lock(m_mutex);
    return m_declined;
}

bool setActiveCollector(ActivityCollector* collector)
{
    ActivityCollector* expected = nullptr;
    return g_active.compare_exchange_strong(expected, collector);
}

void clearActiveCollector(ActivityCollector* collector)
{
    ActivityCollector* expected = collector;
    g_active.compare_exchange_strong(expected, nullptr);
}

void CUPTIAPI bufferRequestedTrampoline(std::uint8_t** buffer, std::size_t* size, std::size_t* maxNumRecords)
{
    ActivityCollector* collector = g_active.load();
    if (!collector) {
        *buffer = nullptr;
        *size = 0;
        *maxNumRecords = 0;
        return;
    }
    collector->bufferRequested(buffer, size, maxNumRecords);
}

void CUPTIAPI bufferCompletedTrampoline(
    CUcontext context, std::uint32_t streamId, std::uint8_t* buffer, std::size_t size, std::size_t validSize)
{
    (void)context;
    (void)streamId;
    ActivityCollector* collector = g_active.load();
    if (collector)
        collector->bufferCompleted(buffer, size, validSize);
}

} // namespace lwb::profiler::cupti
