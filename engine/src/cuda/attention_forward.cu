// Causal self-attention forward, FlashAttention-2 scheme: one block per (b, h) and tile of R query
// rows, W warps of 16 rows each. Key/value tiles of R rows go through shared memory (converted to
// the operand type E: bf16/fp16 for tensor cores, fp32 for CUDA cores or TF32 tensor cores); per
// tile a warp computes its scores S = Q K^T (fp32), the online softmax (running max m and sum l per row, fp32; the two
// lanes of a row take its even and odd columns), writes P = exp(S - m) as E, rescales its output
// accumulators and adds P V. Tiles above the diagonal are never loaded. The output is O / l and
// the saved statistic is LSE = m + log(l) per row (the backward recomputes P = exp(S - LSE)).
// Notation (see attention_tiles.cuh): HD padded head size, R tile rows, LD operand row length,
// LDS score row length; hs = C / NH; q/k/v of row t at qkv + t*3C + {0, C, 2C} + h*hs.
#include "cuda/attention_tiles.cuh"

namespace lwb::engine::cuda {

namespace {

using namespace flash;

template <typename Op, int HD, int R> struct ForwardLayout {
    using E = typename TileMath<Op>::Elem;
    static constexpr int W = R / 16, LD = HD + TileMath<Op>::kPad, LDS = R + 4, LDP = R + TileMath<Op>::kPad;
    // Byte offsets; every region starts 32-byte aligned (wmma pointers).
    static constexpr std::size_t table = 0;
    static constexpr std::size_t q = table + 256 * sizeof(float);
    static constexpr std::size_t k = q + sizeof(E) * R * LD;
    static constexpr std::size_t v = k + sizeof(E) * R * LD;
    static constexpr std::size_t s = v + sizeof(E) * R * LD; // [W][16][LDS] fp32 scores
    static constexpr std::size_t p = s + sizeof(float) * W * 16 * LDS; // [W][16][LDP] probabilities
    static constexpr std::size_t row = p + sizeof(E) * W * 16 * LDP; // [W][16] per-row factors
    static constexpr std::size_t bytes = row + sizeof(float) * W * 16;
    static_assert(k % 32 == 0 && v % 32 == 0 && s % 32 == 0 && p % 32 == 0 && row % 32 == 0, "alignment");
    static_assert(bytes <= 99 * 1024, "fits the opt-in shared memory of every sm_80+ GPU");
};

template <typename Op, int HD, int R> __global__ void flashForwardKernel(AttentionForwardArgs a)
{
    using M = TileMath<Op>;
    using E = typename M::Elem;
    using L = ForwardLayout<Op, HD, R>;
    constexpr int LD = L::LD, LDS = L::LDS, LDP = L::LDP, F = HD / 16;
    extern __shared__ __align__(128) unsigned char smem[];
    float* table = reinterpret_cast<float*>(smem + L::table);
    E* Qs = reinterpret_cast<E*>(smem + L::q);
    E* Ks = reinterpret_cast<E*>(smem + L::k);
    E* Vs = reinterpret_cast<E*>(smem + L::v);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* Sw = reinterpret_cast<float*>(smem + L::s) + warp * 16 * LDS;
    E* Pw = reinterpret_cast<E*>(smem + L::p) + warp * 16 * LDP;
    float* rowW = reinterpret_cast<float*>(smem + L::row) + warp * 16;

    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 t0 = static_cast<i64>(blockIdx.y) * R;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;

    fillCoordTable(table);
    loadTile<E, HD, R>(Qs, LD, base + t0 * C3, C3, T - t0, hs);
    __syncthreads();
    typename M::Acc map, o[F];
    M::coords(map, table);
#pragma unroll
    for (int f = 0; f < F; ++f)
        M::zero(o[f]);

    // This lane's softmax row and its even or odd columns (two lanes per row).
    const int myRow = lane >> 1, parity = lane & 1;
    const i64 t = t0 + warp * 16 + myRow; // may be >= T (tail rows: computed, never stored)
    float m = -INFINITY, l = 0.0f;
    const i64 last = lastKeyTile(t0, R, T, R);
    for (i64 kt = 0; kt <= last; ++kt) {
        const i64 u0 = kt * R;
        __syncthreads(); // every warp is done with the previous K/V tile
        loadTile<E, HD, R>(Ks, LD, base + u0 * C3 + C, C3, T - u0, hs);
        loadTile<E, HD, R>(Vs, LD, base + u0 * C3 + 2 * C, C3, T - u0, hs);
        __syncthreads();
        {
            typename M::Acc s[R / 16];
#pragma unroll
            for (int j = 0; j < R / 16; ++j)
                M::zero(s[j]);
            M::template mmaRow<true, R / 16>(s, Qs + warp * 16 * LD, LD, Ks, LD, 16 * LD, HD);
#pragma unroll
            for (int j = 0; j < R / 16; ++j)
                M::store(Sw + j * 16, LDS, s[j]);
        }
        __syncwarp();
        // Key u0 + c is visible to row t when u0 + c <= t; key 0 is in tile 0, so m is finite
        // after the first tile and a fully masked later tile leaves it unchanged. The row's
        // scores are read once into registers (sv[k]: column 2k + parity).
        float sv[R / 2];
        float mx = -INFINITY;
#pragma unroll
        for (int k = 0; k < R / 2; ++k) {
            const int c = 2 * k + parity;
            sv[k] = u0 + c <= t ? Sw[myRow * LDS + c] * scale : -INFINITY;
            mx = fmaxf(mx, sv[k]);
        }
        const float mNew = fmaxf(m, fmaxf(mx, __shfl_xor_sync(kFullMask, mx, 1)));
        float sum = 0.0f;
#pragma unroll
        for (int k = 0; k < R / 2; ++k) {
            const int c = 2 * k + parity;
            const float p = u0 + c <= t ? expf(sv[k] - mNew) : 0.0f;
            Pw[myRow * LDP + c] = toElem<E>(p);
            sum += p;
        }
        sum += __shfl_xor_sync(kFullMask, sum, 1); // both lanes of the row get the same value
        const float corr = expf(m - mNew); // 0 on the first tile (m = -inf, l = 0)
        l = l * corr + sum;
        m = mNew;
        if (parity == 0)
            rowW[myRow] = corr;
        __syncwarp();
#pragma unroll
        for (int f = 0; f < F; ++f)
#pragma unroll
            for (int i = 0; i < M::Acc::num_elements; ++i)
                o[f].x[i] *= rowW[accRow(map, i)];
        M::template mmaRow<false, F>(o, Pw, LDP, Vs, LD, 16, R);
        __syncwarp(); // rowW is read before the next tile rewrites it
    }
    if (parity == 0) {
        rowW[myRow] = 1.0f / l;
        if (t < T)
            a.lse[bh * T + t] = m + logf(l);
    }
    __syncwarp();
#pragma unroll
    for (int f = 0; f < F; ++f)
#pragma unroll
        for (int i = 0; i < M::Acc::num_elements; ++i) {
            const int r = accRow(map, i);
            const i64 tt = t0 + warp * 16 + r, d = f * 16 + accCol(map, i);
            if (tt < T && d < hs)
                storeElem(a.out, a.outType, (b * T + tt) * C + h * hs + d, o[f].x[i] * rowW[r]);
        }
}

template <typename Op, int HD> void launchForward(KernelSink& sink, const AttentionForwardArgs& a)
{
    constexpr int R = tileRows(HD, static_cast<int>(sizeof(typename TileMath<Op>::Elem)));
    const std::size_t smem = ForwardLayout<Op, HD, R>::bytes;
    allowSharedMemory(flashForwardKernel<Op, HD, R>, smem);
    dim3 grid(static_cast<unsigned>(a.B * a.NH), static_cast<unsigned>((a.T + R - 1) / R));
    sink.submit(kernelCall(flashForwardKernel<Op, HD, R>, grid, R * 2, static_cast<std::uint32_t>(smem), a));
}

} // namespace

void launchAttentionForward(KernelSink& sink, const AttentionForwardArgs& a)
{
    if (a.B * a.T * a.C == 0)
        return;
    dispatchTiles(a.outType, a.tf32, paddedHeadSize(a.C / a.NH), [&](auto variant) {
        using V = decltype(variant);
        launchForward<typename V::Operand, V::headSize>(sink, a);
    });
}

} // namespace lwb::engine::cuda
