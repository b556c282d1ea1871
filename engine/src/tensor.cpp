// Tensor, Shape and dtype helpers (see tensor.h), and the memory tracker every backend shares.
#include "lwb/engine/tensor.h"
#include "lwb/engine/backend.h"

#include <cassert>
#include <cstring>
#include <fmt/core.h>

namespace lwb::engine {

std::size_t dtypeSize(DType dtype)
{
    switch (dtype) {
    case DType::F32:
        return 4;
    case DType::BF16:
        return 2;
    case DType::F16:
        return 2;
    case DType::I8:
        return 1;
    case DType::I32:
        return 4;
    case DType::U8:
        return 1;
    }
    return 1;
}

std::string_view dtypeName(DType dtype)
{
    switch (dtype) {
    case DType::F32:
        return "f32";
    case DType::BF16:
        return "bf16";
    case DType::F16:
        return "f16";
    case DType::I8:
        return "i8";
    case DType::I32:
        return "i32";
    case DType::U8:
        return "u8";
    }
    return "?";
}

std::uint16_t floatToHalf(float value)
{
    std::uint32_t x;
    std::memcpy(&x, &value, 4);
    std::uint32_t sign = (x >> 16) & 0x8000u;
    std::uint32_t mag = x & 0x7fffffffu;
    if (mag > 0x7f800000u)
        return static_cast<std::uint16_t>(sign | 0x7e00u); // NaN
    if (mag >= 0x477ff000u) // rounds to >= 65520: infinity
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    if (mag < 0x38800000u) { // subnormal half (or zero)
        float f;
        std::memcpy(&f, &mag, 4);
        // Scale so that the half subnormal unit (2^-24) becomes 1, then round to nearest even.
        float scaled = f * 16777216.0f;
        auto units = static_cast<std::uint32_t>(scaled);
        float frac = scaled - static_cast<float>(units);
        if (frac > 0.5f || (frac == 0.5f && (units & 1u)))
            ++units;
        return static_cast<std::uint16_t>(sign | units);
    }
    std::uint32_t rounded = mag + 0xfffu + ((mag >> 13) & 1u);
    return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

float halfToFloat(std::uint16_t value)
{
    std::uint32_t sign = static_cast<std::uint32_t>(value & 0x8000u) << 16;
    std::uint32_t exp = (value >> 10) & 0x1fu;
    std::uint32_t mant = value & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp == 0) {
        float f = static_cast<float>(mant) * (1.0f / 16777216.0f);
        std::memcpy(&bits, &f, 4);
        bits |= sign;
    } else {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

Shape::Shape(std::initializer_list<std::int64_t> dims)
{
    assert(dims.size() <= kMaxRank);
    for (auto d : dims)
        m_dims[static_cast<std::size_t>(m_rank++)] = d;
}

std::int64_t Shape::numel() const
{
    std::int64_t n = 1;
    for (int i = 0; i < m_rank; ++i)
        n *= m_dims[static_cast<std::size_t>(i)];
    return n;
}

bool Shape::operator==(const Shape& other) const
{
    if (m_rank != other.m_rank)
        return false;
    for (int i = 0; i < m_rank; ++i)
        if (m_dims[static_cast<std::size_t>(i)] != other.m_dims[static_cast<std::size_t>(i)])
            return false;
    return true;
}

std::string Shape::toString() const
{
    std::string out = "[";
    for (int i = 0; i < m_rank; ++i)
        out += (i ? ", " : "") + std::to_string(m_dims[static_cast<std::size_t>(i)]);
    return out + "]";
}

std::string_view memoryKindName(MemoryKind kind)
{
    switch (kind) {
    case MemoryKind::Parameters:
        return "parameters";
    case MemoryKind::Gradients:
        return "gradients";
    case MemoryKind::OptimizerState:
        return "optimizer state";
    case MemoryKind::Activations:
        return "activations";
    case MemoryKind::KvCache:
        return "kv cache";
    case MemoryKind::Workspace:
        return "workspace";
    }
    return "other";
}

DeviceBuffer::DeviceBuffer(
    void* data, std::size_t bytes, MemoryKind kind, std::shared_ptr<MemoryTracker> tracker, Deleter deleter)
    : m_data(data)
    , m_bytes(bytes)
    , m_kind(kind)
    , m_tracker(std::move(tracker))
    , m_deleter(deleter)
{
}

DeviceBuffer::~DeviceBuffer()
{
    if (m_data && m_deleter)
        m_deleter(m_data);
    if (m_tracker)
        m_tracker->release(m_bytes, m_kind);
}

Tensor::Tensor(std::shared_ptr<DeviceBuffer> buffer, std::size_t byteOffset, Shape shape, DType dtype)
    : m_buffer(std::move(buffer))
    , m_offset(byteOffset)
    , m_shape(shape)
    , m_dtype(dtype)
{
}

Tensor Tensor::view(std::int64_t elementOffset, Shape shape) const
{
    assert(elementOffset >= 0 && elementOffset + shape.numel() <= numel());
    return Tensor(m_buffer, m_offset + static_cast<std::size_t>(elementOffset) * dtypeSize(m_dtype), shape, m_dtype);
}

Tensor Tensor::reshape(Shape shape) const
{
    assert(shape.numel() == numel());
    return Tensor(m_buffer, m_offset, shape, m_dtype);
}

Tensor Tensor::slice(std::int64_t begin, std::int64_t end) const
{
    assert(rank() >= 1 && begin >= 0 && begin <= end && end <= m_shape[0]);
    std::int64_t inner = m_shape[0] == 0 ? 0 : numel() / m_shape[0];
    Shape s;
    switch (rank()) {
    case 1:
        s = Shape {end - begin};
        break;
    case 2:
        s = Shape {end - begin, m_shape[1]};
        break;
    case 3:
        s = Shape {end - begin, m_shape[1], m_shape[2]};
        break;
    default:
        s = Shape {end - begin, m_shape[1], m_shape[2], m_shape[3]};
        break;
    }
    return view(begin * inner, s);
}

// ---- MemoryTracker ---------------------------------------------------------------------------

MemoryTracker::MemoryTracker(std::int64_t limitBytes, Mode mode)
    : m_mode(mode)
{
    m_stats.limitBytes = limitBytes;
}

Status MemoryTracker::reserve(std::size_t bytes, MemoryKind kind)
{
    std::lock_guard lock(m_mutex);
    auto n = static_cast<std::int64_t>(bytes);
    if (m_mode == Mode::Allocate && m_stats.limitBytes > 0 && m_stats.currentBytes + n > m_stats.limitBytes)
        return fail(ErrorCode::OutOfMemory,
            fmt::format("out of device memory: allocating {:.1f} MB of {} with {:.1f} MB in use exceeds the "
                        "memory_limit of {:.1f} MB",
                static_cast<double>(n) / 1e6, memoryKindName(kind), static_cast<double>(m_stats.currentBytes) / 1e6,
                static_cast<double>(m_stats.limitBytes) / 1e6),
            LWB_WHERE);
    auto k = static_cast<std::size_t>(kind);
    m_stats.currentBytes += n;
    m_stats.currentByKind[k] += n;
    m_stats.peakBytes = std::max(m_stats.peakBytes, m_stats.currentBytes);
    m_stats.peakByKind[k] = std::max(m_stats.peakByKind[k], m_stats.currentByKind[k]);
    return {};
}

void MemoryTracker::release(std::size_t bytes, MemoryKind kind)
{
    std::lock_guard lock(m_mutex);
    auto n = static_cast<std::int64_t>(bytes);
    m_stats.currentBytes -= n;
    m_stats.currentByKind[static_cast<std::size_t>(kind)] -= n;
}

MemoryStats MemoryTracker::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::string MemoryStats::describe() const
{
    std::string parts;
    for (int k = 0; k < kMemoryKindCount; ++k) {
        if (peakByKind[static_cast<std::size_t>(k)] == 0)
            continue;
        parts += fmt::format("{}{} {:.1f} MB", parts.empty() ? "" : ", ", memoryKindName(static_cast<MemoryKind>(k)),
            static_cast<double>(peakByKind[static_cast<std::size_t>(k)]) / 1e6);
    }
    return fmt::format("{:.1f} MB ({})", static_cast<double>(peakBytes) / 1e6, parts);
}

} // namespace lwb::engine
