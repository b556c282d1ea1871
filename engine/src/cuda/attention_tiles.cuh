// Tile math shared by the flash-attention kernels (attention_forward.cu, attention_backward.cu).
// A warp owns 16 rows of a tile and computes 16 x 16 blocks of tile products from shared memory:
// on tensor cores (nvcuda::wmma: bf16/fp16 operands, or fp32 operands rounded to TF32 with
// fp32_math = tf32; fp32 accumulation) or, for strict fp32, on CUDA cores with the same
// interface. Accumulators stay in registers; where a kernel needs the (row, column) of an
// accumulator element (softmax rescaling, stores) it reads it from a "coordinate fragment" loaded
// from a table holding r * 16 + c (wmma's element mapping is fixed per fragment type but not
// documented, so the table reveals it).
// Notation: HD head size padded to 32/64/128/256 (zero columns), R rows per tile (tileRows in
// attention_schedule.h: 64, 32 or 16), W = R / 16 warps, LD padded leading dimension.
#pragma once

#include "cuda/attention_schedule.h"
#include "cuda/device_common.cuh"

#include <mma.h>

#include <cmath>
#include <type_traits>

namespace lwb::engine::cuda::flash {

template <typename E> __device__ inline E toElem(float v);
template <> __device__ inline float toElem<float>(float v)
{
    return v;
}
template <> __device__ inline __nv_bfloat16 toElem<__nv_bfloat16>(float v)
{
    return __float2bfloat16_rn(v);
}
template <> __device__ inline __half toElem<__half>(float v)
{
    return __float2half_rn(v);
}

/// Operand tag of the TF32 tiles: fp32 operands in shared memory, rounded to TF32 (10-bit
/// mantissa) in the fragments; only with fp32_math = tf32.
struct Tf32 { };

/// Tensor-core warp tiles (E = __nv_bfloat16 or __half; TileMath<float> and TileMath<Tf32> below).
template <typename E> struct TileMath {
    using Elem = E; ///< operand storage type in shared memory
    using Acc = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float>;
    /// Row padding of operand tiles: keeps rows 16-byte aligned (wmma needs ldm % 8 == 0 for
    /// 16-bit types and 256-bit aligned fragment pointers) and spreads rows over the banks.
    static constexpr int kPad = 8;

    __device__ static void zero(Acc& c) { nvcuda::wmma::fill_fragment(c, 0.0f); }

    /// c[j] += A (16 x K) . B_j (K x 16) for j < N: A(r, k) = a[r * lda + k]; B_j at
    /// bj = b + j * bStep, B_j(k, c) = bj[k * ldb + c], or bj[c * ldb + k] when BCol (the transpose
    /// of a row-major tile). A row of output blocks shares A's fragment, loaded once per k-step.
    /// K % 16 == 0; ldb, lda % 8 == 0; fragment pointers 32-byte aligned.
    template <bool BCol, int N>
    __device__ static void mmaRow(Acc (&c)[N], const E* a, int lda, const E* b, int ldb, int bStep, int K)
    {
        namespace w = nvcuda::wmma;
        using LB = std::conditional_t<BCol, w::col_major, w::row_major>;
        for (int k = 0; k < K; k += 16) {
            w::fragment<w::matrix_a, 16, 16, 16, E, w::row_major> fa;
            w::load_matrix_sync(fa, a + k, static_cast<unsigned>(lda));
#pragma unroll
            for (int j = 0; j < N; ++j) {
                w::fragment<w::matrix_b, 16, 16, 16, E, LB> fb;
                const E* bj = b + static_cast<i64>(j) * bStep;
                w::load_matrix_sync(fb, BCol ? bj + k : bj + static_cast<i64>(k) * ldb, static_cast<unsigned>(ldb));
                w::mma_sync(c[j], fa, fb, c[j]);
            }
        }
    }

    /// p[r * ld + j] = c(r, j); ld % 4 == 0, p 32-byte aligned.
    __device__ static void store(float* p, int ld, const Acc& c)
    {
        nvcuda::wmma::store_matrix_sync(p, c, static_cast<unsigned>(ld), nvcuda::wmma::mem_row_major);
    }

    /// map.x[i] = 16 * row + column of element i (table[i] = i, 32-byte aligned).
    __device__ static void coords(Acc& map, const float* table)
    {
        nvcuda::wmma::load_matrix_sync(map, table, 16, nvcuda::wmma::mem_row_major);
    }
};

/// CUDA-core warp tiles for strict fp32: lane l owns row l / 2, columns (l % 2) * 8 + [0, 8).
template <> struct TileMath<float> {
    using Elem = float;
    struct Acc {
        static constexpr int num_elements = 8;
        float x[8];
    };
    /// Rows of 4k + 4 floats: 16-byte aligned (float4 loads), and a quarter-warp's four rows of a
    /// column start in different banks.
    static constexpr int kPad = 4;

    __device__ static void zero(Acc& c)
    {
        for (float& v : c.x)
            v = 0.0f;
    }

    /// c += A (16 x K) . B (K x 16), layouts as in mmaRow; K % 4 == 0, lda and ldb % 4 == 0, 16-byte
    /// aligned tiles. float4 loads: 9 shared loads per 32 FMAs per lane (A is broadcast to the
    /// row's two lanes, B to the 16 lanes of a column half). Each output sums k in order.
    template <bool BCol> __device__ static void mma(Acc& c, const float* a, int lda, const float* b, int ldb, int K)
    {
        const int lane = threadIdx.x & 31, r = lane >> 1, c0 = (lane & 1) * 8;
        const float* ar = a + static_cast<i64>(r) * lda;
        for (int k = 0; k < K; k += 4) {
            const float4 a4 = *reinterpret_cast<const float4*>(ar + k);
            const float av[4] = {a4.x, a4.y, a4.z, a4.w};
            if (BCol) {
#pragma unroll
                for (int j = 0; j < 8; ++j) {
                    const float4 b4 = *reinterpret_cast<const float4*>(b + static_cast<i64>(c0 + j) * ldb + k);
                    c.x[j] += av[0] * b4.x;
                    c.x[j] += av[1] * b4.y;
                    c.x[j] += av[2] * b4.z;
                    c.x[j] += av[3] * b4.w;
                }
            } else {
#pragma unroll
                for (int kk = 0; kk < 4; ++kk) {
                    const float* bk = b + static_cast<i64>(k + kk) * ldb + c0;
                    const float4 lo = *reinterpret_cast<const float4*>(bk);
                    const float4 hi = *reinterpret_cast<const float4*>(bk + 4);
                    const float bv[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
#pragma unroll
                    for (int j = 0; j < 8; ++j)
                        c.x[j] += av[kk] * bv[j];
                }
            }
        }
    }

    template <bool BCol, int N>
    __device__ static void mmaRow(Acc (&c)[N], const float* a, int lda, const float* b, int ldb, int bStep, int K)
    {
#pragma unroll
        for (int j = 0; j < N; ++j)
            mma<BCol>(c[j], a, lda, b + static_cast<i64>(j) * bStep, ldb, K);
    }

    __device__ static void store(float* p, int ld, const Acc& c)
    {
        const int lane = threadIdx.x & 31, r = lane >> 1, c0 = (lane & 1) * 8;
#pragma unroll
        for (int j = 0; j < 8; ++j)
            p[r * ld + c0 + j] = c.x[j];
    }

    __device__ static void coords(Acc& map, const float* table)
    {
        const int lane = threadIdx.x & 31;
#pragma unroll
        for (int j = 0; j < 8; ++j)
            map.x[j] = table[(lane >> 1) * 16 + (lane & 1) * 8 + j];
    }
};

/// TF32 tensor-core warp tiles (16 x 16 x 8), fp32 accumulation.
template <> struct TileMath<Tf32> {
    using Elem = float;
    using Acc = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 8, float>;
    static constexpr int kPad = 4; // ldm % 4 == 0 for 32-bit wmma loads

    __device__ static void zero(Acc& c) { nvcuda::wmma::fill_fragment(c, 0.0f); }

    /// As TileMath<E>::mmaRow, with k-steps of 8 and operands rounded to TF32 after loading.
    template <bool BCol, int N>
    __device__ static void mmaRow(Acc (&c)[N], const float* a, int lda, const float* b, int ldb, int bStep, int K)
    {
        namespace w = nvcuda::wmma;
        using LB = std::conditional_t<BCol, w::col_major, w::row_major>;
        for (int k = 0; k < K; k += 8) {
            w::fragment<w::matrix_a, 16, 16, 8, w::precision::tf32, w::row_major> fa;
            w::load_matrix_sync(fa, a + k, static_cast<unsigned>(lda));
#pragma unroll
            for (int i = 0; i < fa.num_elements; ++i)
                fa.x[i] = w::__float_to_tf32(fa.x[i]);
#pragma unroll
            for (int j = 0; j < N; ++j) {
                w::fragment<w::matrix_b, 16, 16, 8, w::precision::tf32, LB> fb;
                const float* bj = b + static_cast<i64>(j) * bStep;
                w::load_matrix_sync(fb, BCol ? bj + k : bj + static_cast<i64>(k) * ldb, static_cast<unsigned>(ldb));
#pragma unroll
                for (int i = 0; i < fb.num_elements; ++i)
                    fb.x[i] = w::__float_to_tf32(fb.x[i]);
                w::mma_sync(c[j], fa, fb, c[j]);
            }
        }
    }

    __device__ static void store(float* p, int ld, const Acc& c)
    {
        nvcuda::wmma::store_matrix_sync(p, c, static_cast<unsigned>(ld), nvcuda::wmma::mem_row_major);
    }

    __device__ static void coords(Acc& map, const float* table)
    {
        nvcuda::wmma::load_matrix_sync(map, table, 16, nvcuda::wmma::mem_row_major);
    }
};

/// Row and column (0..15) of accumulator element i from a coordinate fragment.
template <typename Acc> __device__ inline int accRow(const Acc& map, int i)
{
    return static_cast<int>(map.x[i]) >> 4;
}
template <typename Acc> __device__ inline int accCol(const Acc& map, int i)
{
    return static_cast<int>(map.x[i]) & 15;
}

/// dst[r * ld + d] = src[r * stride + d] for r < rows, d < hs, converted to E; zero elsewhere in
/// the R x HD tile. Consecutive threads read consecutive columns (coalesced).
template <typename E, int HD, int R>
__device__ inline void loadTile(E* dst, int ld, const float* src, i64 stride, i64 rows, i64 hs)
{
    for (int idx = threadIdx.x; idx < R * HD; idx += blockDim.x) {
        const int r = idx / HD, d = idx % HD;
        const float v = r < rows && d < hs ? src[r * stride + d] : 0.0f;
        dst[r * ld + d] = toElem<E>(v);
    }
}

/// Shared-memory table of r * 16 + c for TileMath::coords (256 floats, first in shared memory).
__device__ inline void fillCoordTable(float* table)
{
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        table[i] = static_cast<float>(i);
}

/// One kernel instantiation: the tile operand type and the padded head size (see dispatchTiles).
template <typename Op, int HD> struct TileVariant {
    using Operand = Op;
    static constexpr int headSize = HD;
};

template <typename T> struct TypeTag {
    using type = T;
};

/// Calls launch(TileVariant<Op, HD> {}) for the operand type of `type` (bf16, fp16; fp32 on TF32
/// tensor cores when `tf32`, else strict fp32) and the padded head size `hd` (32, 64, 128, else
/// 256): the one place where the forward and backward launchers turn the run-time precision and
/// shape into a template instantiation.
template <typename Launch> void dispatchTiles(Elem type, bool tf32, int hd, Launch&& launch)
{
    auto byHeadSize = [&](auto operand) {
        using Op = typename decltype(operand)::type;
        switch (hd) {
        case 32:
            return launch(TileVariant<Op, 32> {});
        case 64:
            return launch(TileVariant<Op, 64> {});
        case 128:
            return launch(TileVariant<Op, 128> {});
        default:
            return launch(TileVariant<Op, 256> {});
        }
    };
    switch (type) {
    case Elem::BF16:
        return byHeadSize(TypeTag<__nv_bfloat16> {});
    case Elem::F16:
        return byHeadSize(TypeTag<__half> {});
    default:
        return tf32 ? byHeadSize(TypeTag<Tf32> {}) : byHeadSize(TypeTag<float> {});
    }
}

} // namespace lwb::engine::cuda::flash
