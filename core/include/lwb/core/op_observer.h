// OpObserver: how the engine reports each op (or GPU kernel launch) it runs, without knowing the
// profiler. The profiler's HostOpTracer implements it; workbench connects the two.
// Timestamps are lwb::monotonicNs(). Names and categories must be string literals or otherwise
// outlive the observer (the tracer keeps the pointer and interns the text once).
#pragma once

#include <cstdint>

namespace lwb {

/// Coarse kind of an op, used for colouring and summaries.
enum class OpCategory : std::uint8_t {
    Compute, ///< a compute kernel / op (matmul, layernorm, attention, ...)
    Memcpy, ///< host<->device or device<->device copies
    Memset,
    Communication, ///< all-reduce and other collectives
    Optimizer, ///< AdamW step, grad clipping
    Sync, ///< waiting (stream sync, barriers)
    Runtime, ///< launch/runtime API overhead
    Step, ///< a whole training/inference step (a marker range)
    Other,
};

/// One finished op.
struct OpEvent {
    const char* name = ""; ///< e.g. "matmul_fwd", "layernorm_bwd"; static storage
    OpCategory category = OpCategory::Compute;
    std::int32_t device = -1; ///< -1: CPU, otherwise the GPU ordinal
    std::uint32_t stream = 0; ///< CPU: thread index in the engine; GPU: stream id
    std::int64_t startNs = 0; ///< monotonicNs() at start (GPU: host launch time)
    std::int64_t endNs = 0;
    double flops = 0; ///< floating-point (or integer) operations done, 0 when unknown
    double bytes = 0; ///< bytes moved to/from memory, 0 when unknown
    std::int64_t step = -1; ///< training/inference step index, -1 outside steps
};

/// Receives ops as they finish. Called from engine threads: implementations must be cheap and
/// thread-safe (the host tracer uses per-thread buffers and no locks on this path).
class OpObserver {
public:
    virtual ~OpObserver() = default;
    virtual void onOp(const OpEvent& event) = 0;
    /// A step (training iteration, decode token, ...) begins; lets the capture schedule skip/keep.
    virtual void onStepBegin(std::int64_t step) { (void)step; }
    virtual void onStepEnd(std::int64_t step) { (void)step; }
};

} // namespace lwb
