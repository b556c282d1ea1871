// LaunchQueue (see cuda_launch_queue.h): eager execution, or segment recording with CUDA graph
// capture, exact-match replay, argument update and a small LRU cache of executable graphs.
#include "cuda/cuda_launch_queue.h"

#include <algorithm>
#include <fmt/core.h>

namespace lwb::engine::cuda {

namespace {

std::uint64_t mix(std::uint64_t h, const void* data, std::size_t bytes)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 1099511628211ull; // FNV-1a
    }
    return h;
}

/// What must agree for cudaGraphExecUpdate to have a chance: the call functions and, for
/// kernel launches, the kernel and its geometry.
std::uint64_t structureOf(const std::vector<StreamCall>& calls)
{
    std::uint64_t h = 14695981039346656037ull;
    for (const auto& c : calls) {
        h = mix(h, &c.fn, sizeof c.fn);
        if (c.fn == &launchKernelThunk)
            h = mix(h, c.args, kKernelGeometryBytes);
    }
    return h;
}

bool sameCalls(const std::vector<StreamCall>& a, const std::vector<StreamCall>& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!a[i].sameAs(b[i]))
            return false;
    return true;
}

std::string describe(cudaError_t err)
{
    std::string text = fmt::format("{} ({})", cudaGetErrorName(err), cudaGetErrorString(err));
    if (const char* library = lastLibraryError()) {
        text = fmt::format("{}: {}", library, text);
        setLastLibraryError(nullptr);
    }
    return text;
}

} // namespace

LaunchQueue::LaunchQueue(cudaStream_t stream, GraphMode mode, ErrorHandler onError)
    : m_stream(stream)
    , m_mode(mode)
    , m_onError(std::move(onError))
{
}

LaunchQueue::~LaunchQueue()
{
    flush();
    for (auto& g : m_cache)
        if (g.exec)
            cudaGraphExecDestroy(g.exec);
}

void LaunchQueue::fail(cudaError_t err, const std::string& what)
{
    cudaGetLastError(); // clear the runtime's last error (non-sticky ones)
    if (m_onError)
        m_onError(err, what + ": " + describe(err));
}

void LaunchQueue::submit(const StreamCall& call)
{
    ++m_stats.calls;
    if (m_mode == GraphMode::Off) {
        if (cudaError_t err = call.fn(call.args, m_stream); err != cudaSuccess)
            fail(err, "launch");
        return;
    }
    if (m_pending.empty()) {
        std::lock_guard lock(m_deferMutex);
        m_recording.store(true, std::memory_order_release);
    }
    m_pending.push_back(call);
}

cudaError_t LaunchQueue::capture(cudaGraph_t* graph)
{
    *graph = nullptr;
    if (cudaError_t err = cudaStreamBeginCapture(m_stream, cudaStreamCaptureModeThreadLocal); err != cudaSuccess)
        return err;
    cudaError_t first = cudaSuccess;
    for (const auto& c : m_pending) {
        if (cudaError_t err = c.fn(c.args, m_stream); err != cudaSuccess) {
            first = err;
            break;
        }
    }
    cudaError_t end = cudaStreamEndCapture(m_stream, graph); // always ends the capture
    if (first != cudaSuccess) {
        if (*graph)
            cudaGraphDestroy(*graph);
        *graph = nullptr;
        return first;
    }
    return end;
}

cudaError_t LaunchQueue::launchSegment()
{
    ++m_stats.segments;
    ++m_clock;
    // 1. The same segment as a cached graph: replay it.
    for (auto& g : m_cache) {
        if (sameCalls(g.calls, m_pending)) {
            g.lastUse = m_clock;
            ++m_stats.replays;
            return cudaGraphLaunch(g.exec, m_stream);
        }
    }
    cudaGraph_t graph = nullptr;
    if (cudaError_t err = capture(&graph); err != cudaSuccess)
        return err;
    const std::uint64_t structure = structureOf(m_pending);
    CachedGraph* target = nullptr;
    // 2. Same structure, other arguments: patch the cached executable graph (a graph whose
    // update is refused is dropped and instantiated again below).
    for (auto it = m_cache.begin(); it != m_cache.end(); ++it) {
        if (it->structure != structure)
            continue;
        cudaGraphExecUpdateResultInfo info {};
        if (cudaGraphExecUpdate(it->exec, graph, &info) == cudaSuccess) {
            target = &*it;
            ++m_stats.updates;
        } else {
            cudaGetLastError();
            cudaGraphExecDestroy(it->exec);
            m_cache.erase(it);
        }
        break;
    }
    // 3. Otherwise instantiate (evicting the least recently used graph when the cache is full).
    if (!target) {
        cudaGraphExec_t exec = nullptr;
        if (cudaError_t err = cudaGraphInstantiate(&exec, graph, 0); err != cudaSuccess) {
            cudaGraphDestroy(graph);
            return err;
        }
        ++m_stats.instantiations;
        if (m_cache.size() >= kCachedGraphs) {
            auto oldest = std::min_element(m_cache.begin(), m_cache.end(),
                [](const CachedGraph& a, const CachedGraph& b) { return a.lastUse < b.lastUse; });
            cudaGraphExecDestroy(oldest->exec);
            m_cache.erase(oldest);
        }
        m_cache.push_back(CachedGraph {});
        target = &m_cache.back();
        target->exec = exec;
        target->structure = structure;
    }
    cudaGraphDestroy(graph);
    target->calls = m_pending;
    target->lastUse = m_clock;
    return cudaGraphLaunch(target->exec, m_stream);
}

void LaunchQueue::releaseDeferred()
{
    std::vector<void*> deferred;
    {
        std::lock_guard lock(m_deferMutex);
        m_recording.store(false, std::memory_order_release);
        deferred.swap(m_deferred);
    }
    for (void* p : deferred)
        cudaFreeAsync(p, m_stream); // ordered after the segment's work
}

void LaunchQueue::flush()
{
    if (m_mode == GraphMode::Off || m_pending.empty()) {
        m_copiesInSegment = 0;
        return;
    }
    if (cudaError_t err = launchSegment(); err != cudaSuccess)
        fail(err, fmt::format("CUDA graph of {} calls", m_pending.size()));
    // Launched (or failed): buffers freed meanwhile can now be freed in stream order.
    releaseDeferred();
    m_pending.clear();
    m_copiesInSegment = 0;
    if (cudaError_t err = cudaStreamSynchronize(m_stream); err != cudaSuccess)
        fail(err, "CUDA graph execution");
}

bool LaunchQueue::deferFreeIfRecording(void* pointer)
{
    std::lock_guard lock(m_deferMutex);
    if (!m_recording.load(std::memory_order_acquire))
        return false;
    m_deferred.push_back(pointer);
    return true;
}

} // namespace lwb::engine::cuda
