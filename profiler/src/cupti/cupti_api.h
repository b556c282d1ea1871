// The CUPTI calls the capture source makes, behind an interface: the real one calls libcupti,
// tests substitute a fake that walks in-memory record structs, so the buffer-completed path runs
// without a GPU. LWB_CHECK_CUPTI turns a failed call into an lwb::Error naming the call.
#pragma once

#include "lwb/core/result.h"

#include <cupti.h>

#include <cstdint>
#include <memory>
#include <string>

namespace lwb::profiler::cupti {

class CuptiApi {
public:
    virtual ~CuptiApi() = default;
    /// cuptiActivityGetNextRecord.
    virtual CUptiResult nextRecord(std::uint8_t* buffer, std::size_t validSize, CUpti_Activity** record) = 0;
    /// cuptiActivityGetNumDroppedRecords(NULL, 0, ...): records dropped since the last call.
    virtual CUptiResult droppedRecords(std::size_t* dropped) = 0;
    /// cuptiGetCallbackName: "cudaLaunchKernel_v7000"; empty when unknown.
    virtual std::string callbackName(CUpti_CallbackDomain domain, std::uint32_t cbid) = 0;
    virtual CUptiResult registerCallbacks(
        CUpti_BuffersCallbackRequestFunc request, CUpti_BuffersCallbackCompleteFunc complete)
        = 0;
    virtual CUptiResult registerTimestampCallback(CUpti_TimestampCallbackFunc timestamp) = 0;
    virtual CUptiResult enable(CUpti_ActivityKind kind) = 0;
    virtual CUptiResult disable(CUpti_ActivityKind kind) = 0;
    virtual CUptiResult flushAll(std::uint32_t flag) = 0;
    virtual CUptiResult pushExternalCorrelation(std::uint64_t id) = 0;
    virtual CUptiResult popExternalCorrelation(std::uint64_t* id) = 0;
    virtual std::string resultText(CUptiResult result) = 0;
};

/// The libcupti implementation. Only create it after the CUDA driver probe found a GPU.
std::unique_ptr<CuptiApi> makeRealCuptiApi();

/// Error for a failed CUPTI call; ErrorCode::Unavailable for "another profiler is attached".
Error cuptiError(CuptiApi& api, CUptiResult result, const char* call, std::string where);

} // namespace lwb::profiler::cupti

/// Returns an lwb::Error from the enclosing function when a CUPTI call (through `api`) fails.
#define LWB_CHECK_CUPTI(api, expr)                                                                                     \
    do {                                                                                                               \
        CUptiResult lwbCuptiRc_ = (expr);                                                                              \
        if (lwbCuptiRc_ != CUPTI_SUCCESS)                                                                              \
            return ::lwb::fail(::lwb::profiler::cupti::cuptiError((api), lwbCuptiRc_, #expr, LWB_WHERE));              \
    } while (0)
