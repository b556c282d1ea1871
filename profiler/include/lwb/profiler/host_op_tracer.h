// HostOpTracer: the OpObserver that records the engine's ops into per-thread buffers (no lock on
// the hot path: one relaxed atomic load, a thread-local lookup and a vector append), and the
// CaptureSchedule that keeps traces small (skip N steps, capture K, repeat or stop), driven by
// OpObserver::onStepBegin/onStepEnd. finish() turns the buffers into a Trace.
#pragma once

#include "lwb/core/op_observer.h"
#include "lwb/profiler/trace.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace lwb::profiler {

/// What happens after a capture window of K steps.
enum class CaptureRepeat {
    Stop, ///< capture once, then never again
    Repeat, ///< skip N, capture K, skip N, capture K, ...
};

/// Which steps are captured, by the ordinal of the step (0 for the first onStepBegin seen).
struct CaptureSchedule {
    std::int64_t skipSteps = 0;
    std::int64_t captureSteps = -1; ///< -1: every step from skipSteps on
    CaptureRepeat repeat = CaptureRepeat::Stop;

    /// Everything, including ops outside steps (the default).
    static CaptureSchedule all() { return {}; }
    /// Skip `skip` steps, capture `capture` steps, then stop or repeat.
    static CaptureSchedule window(std::int64_t skip, std::int64_t capture, CaptureRepeat repeat = CaptureRepeat::Stop)
    {
        return {skip, capture, repeat};
    }
    bool capturesEverything() const { return skipSteps == 0 && captureSteps < 0; }
    /// Whether the step with this ordinal is captured.
    bool captures(std::int64_t ordinal) const;
    /// Whether no step after this ordinal will be captured (a Stop window has passed).
    bool finishedAfter(std::int64_t ordinal) const;
};

struct HostOpTracerOptions {
    CaptureSchedule schedule;
    /// Records kept per thread; later ops are counted as dropped (never silently lost).
    std::size_t maxRecordsPerThread = std::size_t {1} << 22;
};

/// Records engine ops. onOp may be called from any number of threads; each thread appends to its
/// own buffer. onStepBegin/onStepEnd come from the thread that drives the steps. finish() must be
/// called after the engine stopped reporting (the workload's window returned).
class HostOpTracer final : public OpObserver {
public:
    explicit HostOpTracer(HostOpTracerOptions options = {});
    ~HostOpTracer() override;
    HostOpTracer(const HostOpTracer&) = delete;
    HostOpTracer& operator=(const HostOpTracer&) = delete;

    void onOp(const OpEvent& event) override;
    void onStepBegin(std::int64_t step) override;
    void onStepEnd(std::int64_t step) override;

    /// True while ops are being recorded.
    bool capturing() const { return m_capturing.load(std::memory_order_relaxed); }
    /// True once a Stop schedule has captured its last step: the caller may stop early.
    bool captureComplete() const { return m_complete.load(std::memory_order_relaxed); }
    /// Steps captured so far.
    std::int64_t capturedSteps() const { return m_capturedSteps.load(std::memory_order_relaxed); }

    /// Stops recording and returns everything recorded (times relative to the tracer's creation,
    /// names interned once per distinct OpEvent::name pointer). The tracer records nothing after.
    Trace finish();

    struct ThreadBuffer; ///< internal
private:
    ThreadBuffer* localBuffer();

    HostOpTracerOptions m_options;
    std::uint64_t m_id; ///< unique per tracer, never reused (thread-local caches key on it)
    std::int64_t m_sessionStartNs;
    std::int64_t m_utcEpochNs;
    std::atomic<bool> m_capturing {false};
    std::atomic<bool> m_complete {false};
    std::atomic<bool> m_finished {false};
    std::atomic<std::int64_t> m_capturedSteps {0};
    std::int64_t m_stepOrdinal = 0;
    std::int64_t m_stepStartNs = 0;
    bool m_stepCaptured = false;

    std::mutex m_mutex; ///< guards m_buffers (taken once per thread) and m_steps
    std::vector<std::unique_ptr<ThreadBuffer>> m_buffers;
    struct StepMark {
        std::int64_t step, startNs, endNs;
    };
    std::vector<StepMark> m_steps;
};

} // namespace lwb::profiler
