// The ONLY place that names versioned CUPTI record structs (CUDA 13: CUpti_ActivityKernel10, ...).
// A CUDA upgrade that bumps a record version changes this header alone; the rest of the code uses
// the aliases. recordSize() lets fakes lay records out the way CUPTI does (each 8-byte aligned).
#pragma once

#include <cupti.h>

#include <cstddef>

namespace lwb::profiler::cupti {

using KernelRecord = CUpti_ActivityKernel10; ///< CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL
using MemcpyRecord = CUpti_ActivityMemcpy6;
using MemsetRecord = CUpti_ActivityMemset4;
using ApiRecord = CUpti_ActivityAPI; ///< RUNTIME and DRIVER
using SyncRecord = CUpti_ActivitySynchronization2;
using OverheadRecord = CUpti_ActivityOverhead3;
using MarkerRecord = CUpti_ActivityMarker2;
using ExternalCorrelationRecord = CUpti_ActivityExternalCorrelation;
using ContextRecord = CUpti_ActivityContext3;
using GraphTraceRecord = CUpti_ActivityGraphTrace2;

static_assert(alignof(KernelRecord) <= 8 && sizeof(KernelRecord) % 8 == 0, "CUPTI records are 8-byte aligned");

/// Size in bytes of the record struct this build parses for `kind`; 0 for kinds it does not parse.
constexpr std::size_t recordSize(CUpti_ActivityKind kind)
{
    switch (kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
        return sizeof(KernelRecord);
    case CUPTI_ACTIVITY_KIND_MEMCPY:
        return sizeof(MemcpyRecord);
    case CUPTI_ACTIVITY_KIND_MEMSET:
        return sizeof(MemsetRecord);
    case CUPTI_ACTIVITY_KIND_RUNTIME:
    case CUPTI_ACTIVITY_KIND_DRIVER:
        return sizeof(ApiRecord);
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION:
        return sizeof(SyncRecord);
    case CUPTI_ACTIVITY_KIND_OVERHEAD:
        return sizeof(OverheadRecord);
    case CUPTI_ACTIVITY_KIND_MARKER:
        return sizeof(MarkerRecord);
    case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION:
        return sizeof(ExternalCorrelationRecord);
    case CUPTI_ACTIVITY_KIND_CONTEXT:
        return sizeof(ContextRecord);
    case CUPTI_ACTIVITY_KIND_GRAPH_TRACE:
        return sizeof(GraphTraceRecord);
    default:
        return 0;
    }
}

} // namespace lwb::profiler::cupti
