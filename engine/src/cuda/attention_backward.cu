// Causal self-attention backward, FlashAttention-2 scheme without float atomics (the backend's
// determinism rule): P is recomputed from the forward's row log-sum-exp, P = exp(S - LSE).
//  1. rowDot: D[t] = dO[t] . O[t] per row and head (so that dS = P (dP - D), no pass over P).
//  2. dK/dV: one block per (b, h) and tile of R key rows, W warps of 16 key rows each; loop over
//     the query tiles at or below the diagonal: S^T = K Q^T and dP^T = V dO^T (fp32, shared
//     memory), P^T and dS^T = P^T (dP^T - D) / sqrt(hs) rounded to the operand type E, then
//     dV += P^T dO and dK += dS^T Q in register accumulators.
//  3. dQ: one block per tile of R query rows; loop over key tiles up to the diagonal: S and dP
//     again, dS, dQ += dS K. Recomputing S and dP (7 instead of 5 tile products) replaces
//     FlashAttention-2's atomic dQ accumulation; every output element has one writer and a fixed
//     summation order.
// Notation as in attention_forward.cu; dq/dk/dv of row t at dqkv + t*3C + {0, C, 2C} + h*hs.
#include "cuda/attention_tiles.cuh"

namespace lwb::engine::cuda {

namespace {

using namespace flash;

__global__ void rowDotKernel(AttentionBackwardArgs a)
{
    const i64 hs = a.C / a.NH, rows = a.B * a.T * a.NH;
    const int lane = threadIdx.x & 31;
    const i64 warps = gridThreads() / 32;
    for (i64 w = globalThread() / 32; w < rows; w += warps) {
        const i64 h = w % a.NH, bt = w / a.NH, b = bt / a.T, t = bt % a.T;
        const i64 first = bt * a.C + h * hs;
        float s = 0.0f;
        for (i64 d = lane; d < hs; d += 32)
            s += a.dout[first + d] * loadElem(a.out, a.outType, first + d);
        s = warpSum(s);
        if (lane == 0)
            a.rowDot[(b * a.NH + h) * a.T + t] = s;
    }
}

/// Shared memory of both tile kernels: table, two resident and two streamed operand tiles, the
/// per-row LSE and D of the query tile, and per-warp fp32 S/dP blocks and E blocks for P and dS.
template <typename Op, int HD, int R> struct BackwardLayout {
    using E = typename TileMath<Op>::Elem;
    static constexpr int W = R / 16, LD = HD + TileMath<Op>::kPad, LDS = R + 4, LDP = R + TileMath<Op>::kPad;
    static constexpr std::size_t table = 0;
    static constexpr std::size_t tile0 = table + 256 * sizeof(float);
    static constexpr std::size_t tile1 = tile0 + sizeof(E) * R * LD;
    static constexpr std::size_t tile2 = tile1 + sizeof(E) * R * LD;
    static constexpr std::size_t tile3 = tile2 + sizeof(E) * R * LD;
    static constexpr std::size_t lse = tile3 + sizeof(E) * R * LD; // [R]
    static constexpr std::size_t dot = lse + sizeof(float) * R; // [R]
    static constexpr std::size_t s = dot + sizeof(float) * R; // [W][16][LDS]
    static constexpr std::size_t dp = s + sizeof(float) * W * 16 * LDS; // [W][16][LDS]
    static constexpr std::size_t p = dp + sizeof(float) * W * 16 * LDS; // [W][16][LDP]
    static constexpr std::size_t ds = p + sizeof(E) * W * 16 * LDP; // [W][16][LDP]
    static constexpr std::size_t bytes = ds + sizeof(E) * W * 16 * LDP;
    static_assert(tile1 % 32 == 0 && tile2 % 32 == 0 && tile3 % 32 == 0 && lse % 32 == 0 && s % 32 == 0 && dp % 32 == 0
            && p % 32 == 0 && ds % 32 == 0,
        "alignment");
    static_assert(bytes <= 99 * 1024, "fits the opt-in shared memory of every sm_80+ GPU");
};

/// Loads LSE and D of query rows [t0, t0 + R) (zero past T).
template <int R> __device__ void loadRowStats(float* lse, float* dot, const AttentionBackwardArgs& a, i64 bh, i64 t0)
{
    for (int r = threadIdx.x; r < R; r += blockDim.x) {
        const i64 t = t0 + r;
        lse[r] = t < a.T ? a.lse[bh * a.T + t] : 0.0f;
        dot[r] = t < a.T ? a.rowDot[bh * a.T + t] : 0.0f;
    }
}

/// out (16 x R, fp32, row length ldo) = A (16 warp rows of a tile) . X^T for the R rows of X.
template <typename M, int R, typename E>
__device__ void rowProducts(float* out, int ldo, const E* a, const E* x, int ld, int hd)
{
    typename M::Acc c[R / 16];
#pragma unroll
    for (int j = 0; j < R / 16; ++j)
        M::zero(c[j]);
    M::template mmaRow<true, R / 16>(c, a, ld, x, ld, 16 * ld, hd);
#pragma unroll
    for (int j = 0; j < R / 16; ++j)
        M::store(out + j * 16, ldo, c[j]);
}

template <typename Op, int HD, int R> __global__ void flashBackwardKeyKernel(AttentionBackwardArgs a)
{
    using M = TileMath<Op>;
    using E = typename M::Elem;
    using L = BackwardLayout<Op, HD, R>;
    constexpr int LD = L::LD, LDS = L::LDS, LDP = L::LDP, F = HD / 16;
    extern __shared__ __align__(128) unsigned char smem[];
    float* table = reinterpret_cast<float*>(smem + L::table);
    E* Ks = reinterpret_cast<E*>(smem + L::tile0);
    E* Vs = reinterpret_cast<E*>(smem + L::tile1);
    E* Qs = reinterpret_cast<E*>(smem + L::tile2);
    E* dOs = reinterpret_cast<E*>(smem + L::tile3);
    float* lseS = reinterpret_cast<float*>(smem + L::lse);
    float* dotS = reinterpret_cast<float*>(smem + L::dot);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* STw = reinterpret_cast<float*>(smem + L::s) + warp * 16 * LDS; // S^T: [key][query]
    float* dPTw = reinterpret_cast<float*>(smem + L::dp) + warp * 16 * LDS;
    E* PTw = reinterpret_cast<E*>(smem + L::p) + warp * 16 * LDP;
    E* dSTw = reinterpret_cast<E*>(smem + L::ds) + warp * 16 * LDP;

    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 u0 = static_cast<i64>(blockIdx.y) * R;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;
    const float* dO = a.dout + b * T * C + h * hs;

    fillCoordTable(table);
    loadTile<E, HD, R>(Ks, LD, base + u0 * C3 + C, C3, T - u0, hs);
    loadTile<E, HD, R>(Vs, LD, base + u0 * C3 + 2 * C, C3, T - u0, hs);
    __syncthreads();
    typename M::Acc map, dk[F], dv[F];
    M::coords(map, table);
#pragma unroll
    for (int f = 0; f < F; ++f) {
        M::zero(dk[f]);
        M::zero(dv[f]);
    }
    // This lane's key row of the warp and its even or odd query columns.
    const int myRow = lane >> 1, parity = lane & 1;
    const i64 u = u0 + warp * 16 + myRow;
    const i64 tiles = (T + R - 1) / R;
    for (i64 qt = firstQueryTile(u0, R); qt < tiles; ++qt) { // query tiles with rows t >= u0
        const i64 t0 = qt * R;
        __syncthreads(); // every warp is done with the previous Q/dO tile
        loadTile<E, HD, R>(Qs, LD, base + t0 * C3, C3, T - t0, hs);
        loadTile<E, HD, R>(dOs, LD, dO + t0 * C, C, T - t0, hs);
        loadRowStats<R>(lseS, dotS, a, bh, t0);
        __syncthreads();
        rowProducts<M, R>(STw, LDS, Ks + warp * 16 * LD, Qs, LD, HD); // S^T = K_w Q^T
        rowProducts<M, R>(dPTw, LDS, Vs + warp * 16 * LD, dOs, LD, HD); // dP^T = V_w dO^T
        __syncwarp();
        for (int c = parity; c < R; c += 2) {
            const i64 t = t0 + c;
            float p = 0.0f, ds = 0.0f;
            if (t >= u && t < T) { // causal and inside the sequence (tail keys u >= T never pass)
                p = expf(STw[myRow * LDS + c] * scale - lseS[c]);
                ds = p * (dPTw[myRow * LDS + c] - dotS[c]) * scale;
            }
            PTw[myRow * LDP + c] = toElem<E>(p);
            dSTw[myRow * LDP + c] = toElem<E>(ds);
        }
        __syncwarp();
        M::template mmaRow<false, F>(dv, PTw, LDP, dOs, LD, 16, R);
        M::template mmaRow<false, F>(dk, dSTw, LDP, Qs, LD, 16, R);
        __syncwarp(); // P^T/dS^T are read before the next tile rewrites them
    }
#pragma unroll
    for (int f = 0; f < F; ++f)
#pragma unroll
        for (int i = 0; i < M::Acc::num_elements; ++i) {
            const i64 uu = u0 + warp * 16 + accRow(map, i), d = f * 16 + accCol(map, i);
            if (uu < T && d < hs) {
                const i64 at = (b * T + uu) * C3 + h * hs + d;
                storeElem(a.dqkv, a.dqkvType, at + C, dk[f].x[i]);
                storeElem(a.dqkv, a.dqkvType, at + 2 * C, dv[f].x[i]);
            }
        }
}

template <typename Op, int HD, int R> __global__ void flashBackwardQueryKernel(AttentionBackwardArgs a)
{
    using M = TileMath<Op>;
    using E = typename M::Elem;
    using L = BackwardLayout<Op, HD, R>;
    constexpr int LD = L::LD, LDS = L::LDS, LDP = L::LDP, F = HD / 16;
    extern __shared__ __align__(128) unsigned char smem[];
    float* table = reinterpret_cast<float*>(smem + L::table);
    E* Qs = reinterpret_cast<E*>(smem + L::tile0);
    E* dOs = reinterpret_cast<E*>(smem + L::tile1);
    E* Ks = reinterpret_cast<E*>(smem + L::tile2);
    E* Vs = reinterpret_cast<E*>(smem + L::tile3);
    float* lseS = reinterpret_cast<float*>(smem + L::lse);
    float* dotS = reinterpret_cast<float*>(smem + L::dot);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float* Sw = reinterpret_cast<float*>(smem + L::s) + warp * 16 * LDS;
    float* dPw = reinterpret_cast<float*>(smem + L::dp) + warp * 16 * LDS;
    E* dSw = reinterpret_cast<E*>(smem + L::ds) + warp * 16 * LDP;

    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 t0 = static_cast<i64>(blockIdx.y) * R;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;

    fillCoordTable(table);
    loadTile<E, HD, R>(Qs, LD, base + t0 * C3, C3, T - t0, hs);
    loadTile<E, HD, R>(dOs, LD, a.dout + (b * T + t0) * C + h * hs, C, T - t0, hs);
    loadRowStats<R>(lseS, dotS, a, bh, t0);
    __syncthreads();
    typename M::Acc map, dq[F];
    M::coords(map, table);
#pragma unroll
    for (int f = 0; f < F; ++f)
        M::zero(dq[f]);
    const int myRow = lane >> 1, parity = lane & 1;
    const i64 t = t0 + warp * 16 + myRow;
    const float lseT = lseS[warp * 16 + myRow], dotT = dotS[warp * 16 + myRow];
    const i64 last = lastKeyTile(t0, R, T, R);
    for (i64 kt = 0; kt <= last; ++kt) {
        const i64 u0 = kt * R;
        __syncthreads();
        loadTile<E, HD, R>(Ks, LD, base + u0 * C3 + C, C3, T - u0, hs);
        loadTile<E, HD, R>(Vs, LD, base + u0 * C3 + 2 * C, C3, T - u0, hs);
        __syncthreads();
        rowProducts<M, R>(Sw, LDS, Qs + warp * 16 * LD, Ks, LD, HD); // S = Q_w K^T
        rowProducts<M, R>(dPw, LDS, dOs + warp * 16 * LD, Vs, LD, HD); // dP = dO_w V^T
        __syncwarp();
        for (int c = parity; c < R; c += 2) {
            float ds = 0.0f;
            if (u0 + c <= t && t < T) {
                const float p = expf(Sw[myRow * LDS + c] * scale - lseT);
                ds = p * (dPw[myRow * LDS + c] - dotT) * scale;
            }
            dSw[myRow * LDP + c] = toElem<E>(ds);
        }
        __syncwarp();
        M::template mmaRow<false, F>(dq, dSw, LDP, Ks, LD, 16, R);
        __syncwarp();
    }
#pragma unroll
    for (int f = 0; f < F; ++f)
#pragma unroll
        for (int i = 0; i < M::Acc::num_elements; ++i) {
            const i64 tt = t0 + warp * 16 + accRow(map, i), d = f * 16 + accCol(map, i);
            if (tt < T && d < hs)
                storeElem(a.dqkv, a.dqkvType, (b * T + tt) * C3 + h * hs + d, dq[f].x[i]);
        }
}

template <typename Op, int HD> void launchBackward(KernelSink& sink, const AttentionBackwardArgs& a)
{
    constexpr int R = tileRows(HD, static_cast<int>(sizeof(typename TileMath<Op>::Elem)));
    const std::size_t smem = BackwardLayout<Op, HD, R>::bytes;
    dim3 grid(static_cast<unsigned>(a.B * a.NH), static_cast<unsigned>((a.T + R - 1) / R));
    allowSharedMemory(flashBackwardKeyKernel<Op, HD, R>, smem);
    sink.submit(kernelCall(flashBackwardKeyKernel<Op, HD, R>, grid, R * 2, static_cast<std::uint32_t>(smem), a));
    allowSharedMemory(flashBackwardQueryKernel<Op, HD, R>, smem);
    sink.submit(kernelCall(flashBackwardQueryKernel<Op, HD, R>, grid, R * 2, static_cast<std::uint32_t>(smem), a));
}

} // namespace

void launchAttentionBackward(KernelSink& sink, const AttentionBackwardArgs& a)
{
    if (a.B * a.T * a.C == 0)
        return;
    sink.submit(kernelCall(rowDotKernel, gridFor(a.B * a.T * a.NH * 32, 256), 256, 0, a));
    dispatchTiles(a.dqkvType, a.tf32, paddedHeadSize(a.C / a.NH), [&](auto variant) {
        using V = decltype(variant);
        launchBackward<typename V::Operand, V::headSize>(sink, a);
    });
}

} // namespace lwb::engine::cuda
