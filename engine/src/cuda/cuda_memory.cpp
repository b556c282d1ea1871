// Device allocation registry and pinned buffers (see cuda_memory.h). The registry maps each live
// device pointer to the queue (stream) that allocated it; DeviceBuffer's deleter is a plain
// function pointer, so this global map is how a free finds its stream.
#include "cuda/cuda_memory.h"

#include "cuda/cuda_launch_queue.h"

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace lwb::engine::cuda {

namespace {

struct Allocation {
    LaunchQueue* owner = nullptr; ///< null: orphaned (owner destroyed)
    int device = 0;
};

struct Registry {
    std::mutex mutex;
    std::unordered_map<void*, Allocation> live;
};

Registry& registry()
{
    static Registry* instance = new Registry; // never destroyed: deleters may run at exit
    return *instance;
}

void useDevice(int device)
{
    int current = -1;
    if (cudaGetDevice(&current) == cudaSuccess && current != device)
        cudaSetDevice(device);
}

} // namespace

cudaError_t configureDevicePool(int device)
{
    cudaMemPool_t pool = nullptr;
    if (cudaError_t err = cudaDeviceGetDefaultMemPool(&pool, device); err != cudaSuccess)
        return err;
    std::uint64_t keepAll = UINT64_MAX;
    return cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keepAll);
}

void registerAllocation(void* pointer, LaunchQueue* owner, int device)
{
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.live[pointer] = Allocation {owner, device};
}

void freeDeviceAllocation(void* pointer)
{
    if (!pointer)
        return;
    auto& r = registry();
    Allocation a;
    {
        std::lock_guard lock(r.mutex);
        auto it = r.live.find(pointer);
        if (it == r.live.end())
            return; // not ours (cannot happen) or already freed
        a = it->second;
        if (a.owner && a.owner->deferFreeIfRecording(pointer)) {
            r.live.erase(it);
            return;
        }
        r.live.erase(it);
    }
    useDevice(a.device);
    if (a.owner) {
        cudaFreeAsync(pointer, a.owner->stream());
    } else {
        cudaDeviceSynchronize();
        cudaFreeAsync(pointer, nullptr);
    }
    cudaGetLastError(); // a failed free (at process exit) must not surface in a later op
}

void orphanAllocations(LaunchQueue* owner)
{
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    for (auto& [pointer, a] : r.live)
        if (a.owner == owner)
            a.owner = nullptr;
}

PinnedBuffer::~PinnedBuffer()
{
    if (m_data)
        cudaFreeHost(m_data);
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_capacity(std::exchange(other.m_capacity, 0))
{
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept
{
    if (this != &other) {
        if (m_data)
            cudaFreeHost(m_data);
        m_data = std::exchange(other.m_data, nullptr);
        m_capacity = std::exchange(other.m_capacity, 0);
    }
    return *this;
}

cudaError_t PinnedBuffer::reserve(std::size_t bytes)
{
    if (bytes <= m_capacity)
        return cudaSuccess;
    if (m_data) {
        cudaFreeHost(m_data);
        m_data = nullptr;
        m_capacity = 0;
    }
    const std::size_t rounded = (bytes + 4095) / 4096 * 4096;
    if (cudaError_t err = cudaMallocHost(&m_data, rounded); err != cudaSuccess) {
        m_data = nullptr;
        return err;
    }
    m_capacity = rounded;
    return cudaSuccess;
}

} // namespace lwb::engine::cuda
