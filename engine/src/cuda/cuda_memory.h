// Device and pinned host memory of the CUDA backend. Device buffers come from the device's
// stream-ordered pool (cudaMallocAsync on the owning backend's stream; the pool keeps freed
// memory instead of returning it to the driver) and are freed stream-ordered when the last
// Tensor drops them. While the owner is recording a CUDA graph segment, frees wait until the
// segment has been launched (the recorded work may still use the memory). Pinned host buffers
// (page-locked staging for host-to-device copies) are move-only RAII objects.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace lwb::engine::cuda {

class LaunchQueue;

/// Sets up the default memory pool of `device` to keep freed memory (release threshold: max).
cudaError_t configureDevicePool(int device);

/// Registers a cudaMallocAsync allocation made on `owner`'s stream so that its deleter finds it.
void registerAllocation(void* pointer, LaunchQueue* owner, int device);
/// The DeviceBuffer deleter of CUDA allocations (stream-ordered free, see above).
void freeDeviceAllocation(void* pointer);
/// The owner is going away (after synchronising): its remaining buffers are freed after a
/// device synchronisation when they are dropped later.
void orphanAllocations(LaunchQueue* owner);

/// Page-locked host memory (cudaMallocHost), grown on demand, move-only.
class PinnedBuffer {
public:
    PinnedBuffer() = default;
    ~PinnedBuffer();
    PinnedBuffer(PinnedBuffer&& other) noexcept;
    PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;
    /// Makes room for `bytes` (contents are not kept when it grows).
    cudaError_t reserve(std::size_t bytes);
    void* data() const { return m_data; }
    std::size_t capacity() const { return m_capacity; }

private:
    void* m_data = nullptr;
    std::size_t m_capacity = 0;
};

} // namespace lwb::engine::cuda
