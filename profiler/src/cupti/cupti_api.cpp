// CuptiApi over libcupti (see cupti_api.h). Nothing here runs unless CuptiSource::create() found a
// CUDA driver and a GPU first: without a driver every CUPTI call fails and retries loading libcuda.
#include "cupti/cupti_api.h"

namespace lwb::profiler::cupti {
namespace {

class RealCuptiApi final : public CuptiApi {
public:
    CUptiResult nextRecord(std::uint8_t* buffer, std::size_t validSize, CUpti_Activity** record) override
    {
        return cuptiActivityGetNextRecord(buffer, validSize, record);
    }
    CUptiResult droppedRecords(std::size_t* dropped) override
    {
        return cuptiActivityGetNumDroppedRecords(nullptr, 0, dropped);
    }
    std::string callbackName(CUpti_CallbackDomain domain, std::uint32_t cbid) override
    {
        const char* name = nullptr;
        if (cuptiGetCallbackName(domain, cbid, &name) != CUPTI_SUCCESS || !name)
            return {};
        return name;
    }
    CUptiResult registerCallbacks(
        CUpti_BuffersCallbackRequestFunc request, CUpti_BuffersCallbackCompleteFunc complete) override
    {
        return cuptiActivityRegisterCallbacks(request, complete);
    }
    CUptiResult registerTimestampCallback(CUpti_TimestampCallbackFunc timestamp) override
    {
        return cuptiActivityRegisterTimestampCallback(timestamp);
    }
    CUptiResult enable(CUpti_ActivityKind kind) override { return cuptiActivityEnable(kind); }
    CUptiResult disable(CUpti_ActivityKind kind) override { return cuptiActivityDisable(kind); }
    CUptiResult flushAll(std::uint32_t flag) override { return cuptiActivityFlushAll(flag); }
    CUptiResult pushExternalCorrelation(std::uint64_t id) override
    {
        return cuptiActivityPushExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, id);
    }
    CUptiResult popExternalCorrelation(std::uint64_t* id) override
    {
        return cuptiActivityPopExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, id);
    }
    std::string resultText(CUptiResult result) override
    {
        const char* text = nullptr;
        if (cuptiGetResultString(result, &text) != CUPTI_SUCCESS || !text)
            return "CUPTI error " + std::to_string(static_cast<int>(result));
        return text;
    }
};

} // namespace

std::unique_ptr<CuptiApi> makeRealCuptiApi()
{
    return std::make_unique<RealCuptiApi>();
}

Error cuptiError(CuptiApi& api, CUptiResult result, const char* call, std::string where)
{
    std::string text = std::string(call) + ": " + api.resultText(result);
    if (result == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)
        return Error {ErrorCode::Unavailable,
            "CUPTI unavailable because another profiler (Nsight Systems, Kineto, ...) already traces this process ("
                + text + ")",
            std::move(where)};
    return Error {ErrorCode::Cuda, std::move(text), std::move(where)};
}

} // namespace lwb::profiler::cupti
