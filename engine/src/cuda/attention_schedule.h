// Tile schedule of the flash-attention kernels (attention_forward.cu, attention_backward.cu),
// plain C++17 without CUDA headers so that host code and tests (the CPU emulation of the kernels'
// numerics in tests/engine) follow the same tiles: head sizes padded to an instantiated width,
// rows per tile, and the causal range of key tiles a query tile visits.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define LWB_FLASH_HD __host__ __device__
#else
#define LWB_FLASH_HD
#endif

namespace lwb::engine::cuda::flash {

/// Head size the kernels are instantiated for (hs <= 256): 32, 64, 128 or 256 (zero columns).
inline int paddedHeadSize(std::int64_t hs)
{
    return hs <= 32 ? 32 : hs <= 64 ? 64 : hs <= 128 ? 128 : 256;
}

/// Rows per tile (query tiles and key tiles alike, warps of 16 rows): 64 for 16-bit operands up to
/// head size 64 (the GPT-2 shapes), otherwise 32, and 16 for 256-wide fp32 heads, so that every
/// kernel needs at most 99 KiB of shared memory, the opt-in limit of sm_86/sm_89 (sm_80 has
/// 163 KiB, sm_90 227 KiB).
constexpr int tileRows(int hd, int elemBytes)
{
    return elemBytes == 2 && hd <= 64 ? 64 : elemBytes == 4 && hd == 256 ? 16 : 32;
}

/// Last key tile (inclusive) that query rows [t0, t0 + rows) attend to (causal, T rows): tiles
/// above the diagonal are never loaded.
LWB_FLASH_HD inline std::int64_t lastKeyTile(std::int64_t t0, std::int64_t rows, std::int64_t T, std::int64_t keyRows)
{
    const std::int64_t end = t0 + rows < T ? t0 + rows : T;
    return (end - 1) / keyRows;
}

/// First query tile that attends to keys from u0 on (the dK/dV kernel's loop start).
LWB_FLASH_HD inline std::int64_t firstQueryTile(std::int64_t u0, std::int64_t queryRows)
{
    return u0 / queryRows;
}

} // namespace lwb::engine::cuda::flash

#undef LWB_FLASH_HD
