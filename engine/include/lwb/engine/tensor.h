// Tensors: a dtype, a shape (up to 4 dimensions, row-major, contiguous) and a view into a buffer
// owned by a Backend. A Tensor is a cheap handle (shared ownership of the buffer); views share
// the buffer. `data()` is a device pointer: host code reads it directly only on the CPU backend,
// and goes through Backend::copyToHost/copyFromHost otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace lwb::engine {

/// Element types. F32/BF16/F16/I8 are the compute precisions; I32 holds token ids, U8 raw bytes.
enum class DType : std::uint8_t { F32, BF16, F16, I8, I32, U8 };

std::size_t dtypeSize(DType dtype);
std::string_view dtypeName(DType dtype);

/// Round-to-nearest-even float -> bfloat16 (NaN stays NaN).
inline std::uint16_t floatToBf16(float value)
{
    std::uint32_t bits;
    __builtin_memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}
inline float bf16ToFloat(std::uint16_t value)
{
    std::uint32_t bits = static_cast<std::uint32_t>(value) << 16;
    float out;
    __builtin_memcpy(&out, &bits, 4);
    return out;
}
/// IEEE half precision conversions (round to nearest even; overflow to infinity).
std::uint16_t floatToHalf(float value);
float halfToFloat(std::uint16_t value);

/// Up to four dimensions, outermost first.
class Shape {
public:
    static constexpr int kMaxRank = 4;
    Shape() = default;
    Shape(std::initializer_list<std::int64_t> dims);
    int rank() const { return m_rank; }
    std::int64_t operator[](int i) const { return m_dims[static_cast<std::size_t>(i)]; }
    std::int64_t numel() const;
    /// Product of all dimensions but the last (the "rows" of a matrix view).
    std::int64_t rows() const { return m_rank == 0 ? 1 : numel() / m_dims[static_cast<std::size_t>(m_rank - 1)]; }
    std::int64_t cols() const { return m_rank == 0 ? 1 : m_dims[static_cast<std::size_t>(m_rank - 1)]; }
    bool operator==(const Shape& other) const;
    std::string toString() const; ///< "[8, 256, 384]"

private:
    std::array<std::int64_t, kMaxRank> m_dims {};
    int m_rank = 0;
};

/// What a buffer holds, for the memory breakdown (and out-of-memory messages).
enum class MemoryKind : std::uint8_t { Parameters, Gradients, OptimizerState, Activations, KvCache, Workspace };
constexpr int kMemoryKindCount = 6;
std::string_view memoryKindName(MemoryKind kind);

class MemoryTracker;

/// A device allocation; frees itself and its accounting when the last Tensor drops it. In a
/// planning pass (MemoryTracker::Mode::Plan) `data` is null and only the bytes are counted.
class DeviceBuffer {
public:
    using Deleter = void (*)(void*);
    DeviceBuffer(
        void* data, std::size_t bytes, MemoryKind kind, std::shared_ptr<MemoryTracker> tracker, Deleter deleter);
    ~DeviceBuffer();
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    void* data() const { return m_data; }
    std::size_t bytes() const { return m_bytes; }

private:
    void* m_data;
    std::size_t m_bytes;
    MemoryKind m_kind;
    std::shared_ptr<MemoryTracker> m_tracker;
    Deleter m_deleter;
};

class Tensor {
public:
    Tensor() = default;
    Tensor(std::shared_ptr<DeviceBuffer> buffer, std::size_t byteOffset, Shape shape, DType dtype);

    bool defined() const { return m_buffer != nullptr; }
    DType dtype() const { return m_dtype; }
    const Shape& shape() const { return m_shape; }
    std::int64_t dim(int i) const { return m_shape[i]; }
    int rank() const { return m_shape.rank(); }
    std::int64_t numel() const { return m_shape.numel(); }
    std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtypeSize(m_dtype); }

    /// Device pointer (null in a planning pass).
    void* data() const
    {
        return m_buffer && m_buffer->data() ? static_cast<char*>(m_buffer->data()) + m_offset : nullptr;
    }
    template <typename T> T* data() const { return static_cast<T*>(data()); }

    /// A tensor over `shape.numel()` elements starting `elementOffset` elements into this one.
    Tensor view(std::int64_t elementOffset, Shape shape) const;
    /// The same elements with another shape (same element count).
    Tensor reshape(Shape shape) const;
    /// Rows [begin, end) of the outermost dimension.
    Tensor slice(std::int64_t begin, std::int64_t end) const;

private:
    std::shared_ptr<DeviceBuffer> m_buffer;
    std::size_t m_offset = 0;
    Shape m_shape;
    DType m_dtype = DType::F32;
};

} // namespace lwb::engine
