// LaunchQueue: where the CUDA backend's ops put their work (a KernelSink over one stream).
// Eager mode runs each StreamCall at once. Graph mode (the `cuda_graphs` option) records the calls
// of a segment, the work between two synchronisation points (synchronize(), copyToHost()), and at
// the end of the segment launches it as one CUDA graph: a segment identical to a cached one (same
// functions, geometry and argument bytes, e.g. every training step after the first) replays the
// cached executable graph without any per-kernel host work; one that differs only in arguments
// (AdamW's step and learning rate) is captured again and patched into the cached graph with
// cudaGraphExecUpdate; anything else is captured and instantiated (at most kCachedGraphs kept).
#pragma once

#include "cuda/kernels.h"

#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace lwb::engine::cuda {

enum class GraphMode : std::uint8_t { Off, CaptureReplay };

class LaunchQueue final : public KernelSink {
public:
    /// Receives the first failure of a call: the CUDA error and a description.
    using ErrorHandler = std::function<void(cudaError_t, const std::string&)>;

    struct Stats {
        std::int64_t calls = 0; ///< stream calls submitted
        std::int64_t segments = 0; ///< graph segments flushed
        std::int64_t replays = 0; ///< segments replayed from the cache unchanged
        std::int64_t updates = 0; ///< segments patched into a cached graph
        std::int64_t instantiations = 0; ///< new executable graphs
    };

    LaunchQueue(cudaStream_t stream, GraphMode mode, ErrorHandler onError);
    ~LaunchQueue() override;
    LaunchQueue(const LaunchQueue&) = delete;
    LaunchQueue& operator=(const LaunchQueue&) = delete;

    void submit(const StreamCall& call) override;
    /// Graph mode: launches the recorded segment and waits for it; eager mode: nothing to do.
    void flush();
    GraphMode mode() const { return m_mode; }
    cudaStream_t stream() const { return m_stream; }
    /// Whether calls are recorded but not launched yet.
    bool recording() const { return m_recording.load(std::memory_order_acquire); }
    /// Position of the next host-to-device copy in the current segment (graph mode staging).
    int nextCopySlot() { return m_copiesInSegment++; }
    /// Keeps `pointer` until the recorded segment has been launched; false when not recording.
    bool deferFreeIfRecording(void* pointer);
    Stats stats() const { return m_stats; }

    static constexpr std::size_t kCachedGraphs = 16;

private:
    struct CachedGraph {
        std::vector<StreamCall> calls;
        std::uint64_t structure = 0;
        cudaGraphExec_t exec = nullptr;
        std::uint64_t lastUse = 0;
    };
    void fail(cudaError_t err, const std::string& what);
    cudaError_t capture(cudaGraph_t* graph);
    cudaError_t launchSegment();
    void releaseDeferred();

    cudaStream_t m_stream;
    GraphMode m_mode;
    ErrorHandler m_onError;
    std::vector<StreamCall> m_pending;
    std::vector<CachedGraph> m_cache;
    std::uint64_t m_clock = 0;
    int m_copiesInSegment = 0;
    std::atomic<bool> m_recording {false};
    std::mutex m_deferMutex;
    std::vector<void*> m_deferred;
    Stats m_stats;
};

} // namespace lwb::engine::cuda
