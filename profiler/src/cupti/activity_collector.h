// ActivityCollector: owns the CUPTI activity buffers (8-byte aligned, a few MiB, pooled, with a
// memory cap) and a writer thread that maps completed buffers to records, so CUPTI's callbacks
// only hand pointers over. The C trampolines registered with CUPTI forward to the one active
// collector; tests call the same trampolines with buffers of real CUPTI structs.
#pragma once

#include "cupti/record_mapper.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

namespace lwb::profiler::cupti {

struct CollectorOptions {
    std::size_t bufferBytes = std::size_t {4} << 20; ///< per buffer (4 MiB holds ~19k kernel records)
    std::size_t maxBufferMemory = std::size_t {256} << 20; ///< beyond this requests are declined (CUPTI drops)
    MapperOptions mapper;
};

class ActivityCollector {
public:
    ActivityCollector(CuptiApi& api, CollectorOptions options);
    ~ActivityCollector();
    ActivityCollector(const ActivityCollector&) = delete;
    ActivityCollector& operator=(const ActivityCollector&) = delete;

    /// CUPTI asks for an empty buffer: from the pool, a new one, or none past the memory cap.
    void bufferRequested(std::uint8_t** buffer, std::size_t* size, std::size_t* maxNumRecords);
    /// CUPTI returns a filled buffer: queued for the writer thread.
    void bufferCompleted(std::uint8_t* buffer, std::size_t size, std::size_t validSize);
    /// Adds CUPTI's dropped-record count (it resets on each read). Takes none of our locks.
    void collectDropped();
    /// Waits for the writer to process every queued buffer, stops it and returns the trace.
    Trace finish();

    std::int64_t buffersCompleted() const;
    std::int64_t requestsDeclined() const;

private:
    struct AlignedDelete {
        void operator()(std::uint8_t* p) const { ::operator delete[](p, std::align_val_t {8}); }
    };
    using Buffer = std::unique_ptr<std::uint8_t[], AlignedDelete>;
    struct Completed {
        std::uint8_t* buffer;
        std::size_t validSize;
    };
    void writerLoop();

    CuptiApi& m_api;
    CollectorOptions m_options;
    RecordMapper m_mapper; ///< used by the writer thread only (and finish() after joining)

    mutable std::mutex m_mutex;
    std::condition_variable m_wake; ///< work queued or stop requested
    std::condition_variable m_drained; ///< queue empty and nothing in progress
    std::vector<Buffer> m_owned;
    std::vector<std::uint8_t*> m_free;
    std::deque<Completed> m_queue;
    bool m_busy = false;
    bool m_stop = false;
    std::int64_t m_completed = 0;
    std::int64_t m_declined = 0;
    std::int64_t m_dropped = 0; ///< from CUPTI, accumulated under m_mutex after the read
    std::thread m_writer;
};

/// Makes `collector` the target of the trampolines; fails (false) when another one is active.
bool setActiveCollector(ActivityCollector* collector);
/// Clears the active collector if it is `collector`.
void clearActiveCollector(ActivityCollector* collector);

/// The functions registered with cuptiActivityRegisterCallbacks.
void CUPTIAPI bufferRequestedTrampoline(std::uint8_t** buffer, std::size_t* size, std::size_t* maxNumRecords);
void CUPTIAPI bufferCompletedTrampoline(
    CUcontext context, std::uint32_t streamId, std::uint8_t* buffer, std::size_t size, std::size_t validSize);

} // namespace lwb::profiler::cupti
