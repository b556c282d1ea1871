// CuptiSource over libcupti (compiled when LWB_HAVE_CUPTI). Order matters: the timestamp callback
// is registered before any kind is enabled (so kernels and API calls share CLOCK_MONOTONIC with
// the host tracer), the buffer callbacks before the kinds, and stop() flushes with
// CUPTI_ACTIVITY_FLAG_FLUSH_FORCED so the partly filled buffers are not lost.
#include "lwb/profiler/cupti_source.h"

#include "cupti/activity_collector.h"
#include "lwb/core/clock.h"

#include <unistd.h>

namespace lwb::profiler {
namespace {

std::uint64_t CUPTIAPI monotonicTimestamp()
{
    return static_cast<std::uint64_t>(monotonicNs());
}

class CuptiSourceImpl final : public CuptiSource {
public:
    CuptiSourceImpl(CuptiOptions options, std::unique_ptr<cupti::CuptiApi> api)
        : m_options(std::move(options))
        , m_api(std::move(api))
    {
    }
    ~CuptiSourceImpl() override
    {
        if (m_state == State::Running)
            (void)stop();
        if (m_collector)
            cupti::clearActiveCollector(m_collector.get());
    }

    Status start() override
    {
        if (m_state != State::Created)
            return fail(ErrorCode::InvalidArgument, "CuptiSource::start() called twice", LWB_WHERE);
        m_sessionStartNs = monotonicNs();
        m_utcEpochNs = realtimeNs() - (monotonicNs() - m_sessionStartNs);
        // CUPTI stamps CLOCK_REALTIME unless told otherwise; ask for CLOCK_MONOTONIC, or
        // convert with the offset measured now when the callback cannot be registered.
        std::int64_t clockOffset = 0;
        if (m_api->registerTimestampCallback(&monotonicTimestamp) != CUPTI_SUCCESS)
            clockOffset = monotonicNs() - realtimeNs();
        cupti::CollectorOptions collector;
        collector.bufferBytes = m_options.bufferBytes;
        collector.maxBufferMemory = m_options.maxBufferMemory;
        collector.mapper.timeShiftNs = clockOffset - m_sessionStartNs;
        collector.mapper.processId = static_cast<std::uint32_t>(::getpid());
        collector.mapper.filteredApis.insert(m_options.filteredApis.begin(), m_options.filteredApis.end());
        m_collector = std::make_unique<cupti::ActivityCollector>(*m_api, std::move(collector));
        if (!cupti::setActiveCollector(m_collector.get()))
            return fail(ErrorCode::Unavailable,
                "CUPTI unavailable because another CuptiSource is already capturing in this process", LWB_WHERE);
        LWB_CHECK_CUPTI(
            *m_api, m_api->registerCallbacks(&cupti::bufferRequestedTrampoline, &cupti::bufferCompletedTrampoline));

        std::vector<CUpti_ActivityKind> kinds
            = {m_options.graphs == GraphCapture::GraphLevel ? CUPTI_ACTIVITY_KIND_GRAPH_TRACE
                                                            : CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
                CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_RUNTIME,
                CUPTI_ACTIVITY_KIND_DRIVER, CUPTI_ACTIVITY_KIND_SYNCHRONIZATION, CUPTI_ACTIVITY_KIND_OVERHEAD,
                CUPTI_ACTIVITY_KIND_CONTEXT, CUPTI_ACTIVITY_KIND_MARKER, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION};
        for (CUpti_ActivityKind kind : kinds) {
            CUptiResult rc = m_api->enable(kind);
            if (rc != CUPTI_SUCCESS) {
                Error error = cupti::cuptiError(*m_api, rc, "cuptiActivityEnable", LWB_WHERE);
                error.message += " (kind " + std::to_string(static_cast<int>(kind)) + ")";
                disableAll();
                cupti::clearActiveCollector(m_collector.get());
                return fail(std::move(error));
            }
            m_enabled.push_back(kind);
        }
        if (m_options.externalId) {
            LWB_CHECK_CUPTI(*m_api, m_api->pushExternalCorrelation(*m_options.externalId));
            m_pushed = true;
        }
        m_state = State::Running;
        return {};
    }

    Status stop() override
    {
        if (m_state != State::Running)
            return {};
        m_state = State::Stopped;
        Status first;
        auto keep = [&](CUptiResult rc, const char* call) {
            if (rc != CUPTI_SUCCESS && first.isOk())
                first = fail(cupti::cuptiError(*m_api, rc, call, LWB_WHERE));
        };
        if (m_pushed) {
            std::uint64_t last = 0;
            keep(m_api->popExternalCorrelation(&last), "cuptiActivityPopExternalCorrelationId");
            m_pushed = false;
        }
        keep(m_api->flushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "cuptiActivityFlushAll(FORCED)");
        disableAll();
        keep(m_api->flushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "cuptiActivityFlushAll(FORCED)");
        return first;
    }

    Result<Trace> finish() override
    {
        if (m_state == State::Created)
            return fail(ErrorCode::InvalidArgument, "CuptiSource::finish() before start()", LWB_WHERE);
        if (m_state == State::Finished)
            return fail(ErrorCode::InvalidArgument, "CuptiSource::finish() called twice", LWB_WHERE);
        Status stopped = stop();
        Trace trace = m_collector->finish();
        cupti::clearActiveCollector(m_collector.get());
        m_state = State::Finished;
        LWB_RETURN_IF_ERROR(stopped);
        trace.sessionStartNs = m_sessionStartNs;
        trace.utcEpochNs = m_utcEpochNs;
        return trace;
    }

    Status pushExternalId(std::uint64_t id) override
    {
        LWB_CHECK_CUPTI(*m_api, m_api->pushExternalCorrelation(id));
        return {};
    }
    Status popExternalId() override
    {
        std::uint64_t last = 0;
        LWB_CHECK_CUPTI(*m_api, m_api->popExternalCorrelation(&last));
        return {};
    }

private:
    void disableAll()
    {
        for (CUpti_ActivityKind kind : m_enabled)
            (void)m_api->disable(kind);
        m_enabled.clear();
    }

    enum class State { Created, Running, Stopped, Finished };
    CuptiOptions m_options;
    std::unique_ptr<cupti::CuptiApi> m_api;
    std::unique_ptr<cupti::ActivityCollector> m_collector;
    std::vector<CUpti_ActivityKind> m_enabled;
    State m_state = State::Created;
    bool m_pushed = false;
    std::int64_t m_sessionStartNs = 0;
    std::int64_t m_utcEpochNs = 0;
};

} // namespace

bool CuptiSource::compiled()
{
    return true;
}

Result<std::unique_ptr<CuptiSource>> CuptiSource::create(CuptiOptions options)
{
    return create(std::move(options), *makeDriverCudaProbe());
}

Result<std::unique_ptr<CuptiSource>> CuptiSource::create(CuptiOptions options, const CudaProbe& probe)
{
    CudaInfo info = probe.probe();
    if (!info.driverAvailable)
        return fail(ErrorCode::Unavailable,
            "CUPTI unavailable because "
                + (info.unavailableReason.empty() ? std::string("no CUDA driver is installed")
                                                  : info.unavailableReason),
            LWB_WHERE);
    if (info.gpus.empty())
        return fail(ErrorCode::Unavailable,
            "CUPTI unavailable because "
                + (info.unavailableReason.empty() ? std::string("the driver sees no GPU") : info.unavailableReason),
            LWB_WHERE);
    if (options.bufferBytes < 64 * 1024 || options.bufferBytes % 8 != 0)
        return fail(
            ErrorCode::InvalidArgument, "CUPTI buffers must be at least 64 KiB and a multiple of 8 bytes", LWB_WHERE);
    return std::unique_ptr<CuptiSource>(new CuptiSourceImpl(std::move(options), cupti::makeRealCuptiApi()));
}

} // namespace lwb::profiler
