// CuptiSource: GPU activity capture with the CUPTI Activity API (CONCURRENT_KERNEL, never the
// serialising KERNEL kind; MEMCPY, MEMSET, RUNTIME, DRIVER, SYNCHRONIZATION, OVERHEAD, CONTEXT,
// MARKER, EXTERNAL_CORRELATION; GRAPH_TRACE on request). No CUDA header here: builds without the
// toolkit get a source whose create() says why it is unavailable. create() probes the CUDA driver
// first and never touches CUPTI without one. One CuptiSource can be active per process.
#pragma once

#include "lwb/core/hardware.h"
#include "lwb/core/result.h"
#include "lwb/profiler/trace.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lwb::profiler {

/// How kernels launched by CUDA graphs are recorded.
enum class GraphCapture {
    PerKernel, ///< one record per kernel (default; graph kernels carry graphId/graphNodeId)
    GraphLevel, ///< one GRAPH_TRACE record per graph launch (cheaper; per-kernel records suppressed)
};

struct CuptiOptions {
    std::size_t bufferBytes = std::size_t {4} << 20; ///< activity buffer size (8-byte aligned)
    std::size_t maxBufferMemory = std::size_t {256} << 20; ///< cap on buffers held at once
    /// Tags the records launched from the thread that calls start() (EXTERNAL_CORRELATION,
    /// CUSTOM0): workbench passes the trial id. Other threads use pushExternalId(). The id is
    /// popped in stop(), which must then run on the thread that called start().
    std::optional<std::uint64_t> externalId;
    GraphCapture graphs = GraphCapture::PerKernel;
    /// Runtime/driver calls left out as noise (names without the _vNNNN suffix), counted as filtered.
    std::vector<std::string> filteredApis = {"cudaGetDevice", "cudaGetLastError", "cudaPeekAtLastError",
        "cudaGetDeviceCount", "cuCtxGetCurrent", "cuCtxGetDevice", "cuGetProcAddress"};
};

/// Capture lifecycle: create() -> start() -> (workload runs) -> stop() -> finish().
class CuptiSource {
public:
    /// Unavailable ("CUPTI unavailable because ...") when CUPTI is not compiled in, no CUDA driver
    /// or GPU is present (checked with `probe`), or another CuptiSource is active.
    static Result<std::unique_ptr<CuptiSource>> create(CuptiOptions options = {});
    static Result<std::unique_ptr<CuptiSource>> create(CuptiOptions options, const CudaProbe& probe);
    /// Whether this build has CUPTI.
    static bool compiled();

    virtual ~CuptiSource() = default;
    /// Registers the buffer callbacks and the CLOCK_MONOTONIC timestamp callback, enables the
    /// activity kinds and pushes the external id.
    virtual Status start() = 0;
    /// Pops the external id, flushes every buffer (CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), disables
    /// the kinds. Records stay available to finish().
    virtual Status stop() = 0;
    /// Stops if needed and returns the trace: records on the lwb::monotonicNs() time base relative
    /// to start(), dropped-record counts and reasons.
    virtual Result<Trace> finish() = 0;
    /// Tags the records of the calling thread's following launches (another engine thread).
    virtual Status pushExternalId(std::uint64_t id) = 0;
    virtual Status popExternalId() = 0;
};

} // namespace lwb::profiler
