// Causal self-attention kernels (own fused kernels; the interface keeps q/k/v and the saved
// probabilities in fp32, so cuDNN's 16-bit fused SDPA does not apply).
// Training, per (b, h) and tile of 32 query rows, 8 warps x 4 rows: key/value tiles of 32 rows go
// through shared memory; lanes run over keys for the scores (no shuffles in the dot products)
// and over head dimensions for P.V; an online softmax keeps the running max/sum. Raw scores are
// written to `att` tile by tile and normalised in a last pass over the row (each lane reads back
// only what it wrote), so `att` ends with the probabilities the backward pass needs.
// Backward: dV = P^T dO (key-side kernel on P), then dS = P (dP - rowsum(P dP)) / sqrt(hs) with
// dQ = dS K (query-side kernel, dS overwrites P in `att`), then dK = dS^T Q (key-side kernel on
// dS). Every output element is written by one thread with a fixed summation order.
// Inference with a KV cache: one block per query, threads over cached positions (keys are cached
// transposed, so those reads are coalesced), then over head dimensions.
// Notation: T sequence, C channels, NH heads, hs = C / NH; q/k/v of row t at qkv + t*3C + {0,C,2C}.
#include "cuda/device_common.cuh"

#include <cmath>

namespace lwb::engine::cuda {

namespace {

constexpr int kTileRows = 32;
constexpr int kWarps = 8;
constexpr int kRowsPerWarp = kTileRows / kWarps; // 4
constexpr int kThreads = kWarps * 32;

std::size_t tiledSharedBytes(i64 hs)
{
    return static_cast<std::size_t>(kTileRows * hs + 2 * kTileRows * (hs + 1)) * sizeof(float);
}

template <int DPL> __global__ void attentionForwardKernel(AttentionForwardArgs a)
{
    extern __shared__ float smem[];
    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    const i64 hsPad = hs + 1;
    float* Qs = smem;
    float* Ks = Qs + kTileRows * hs;
    float* Vs = Ks + kTileRows * hsPad;
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 qt = blockIdx.y, t0 = qt * kTileRows;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;

    for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
        const i64 row = idx / hs, d = idx % hs, t = t0 + row;
        Qs[idx] = t < T ? base[t * C3 + d] : 0.0f;
    }
    float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][DPL];
    for (int r = 0; r < kRowsPerWarp; ++r) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
        for (int i = 0; i < DPL; ++i)
            acc[r][i] = 0.0f;
    }
    for (i64 kt = 0; kt <= qt; ++kt) {
        __syncthreads(); // the previous tile is consumed (and the query tile is loaded)
        for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
            const i64 j = idx / hs, d = idx % hs, u = kt * kTileRows + j;
            Ks[j * hsPad + d] = u < T ? base[u * C3 + C + d] : 0.0f;
            Vs[j * hsPad + d] = u < T ? base[u * C3 + 2 * C + d] : 0.0f;
        }
        __syncthreads();
        float s[kRowsPerWarp] = {};
        for (i64 d = 0; d < hs; ++d) {
            const float k = Ks[lane * hsPad + d];
            for (int r = 0; r < kRowsPerWarp; ++r)
                s[r] += Qs[(warp * kRowsPerWarp + r) * hs + d] * k;
        }
        const i64 u = kt * kTileRows + lane;
        float p[kRowsPerWarp] = {};
        for (int r = 0; r < kRowsPerWarp; ++r) {
            const i64 t = t0 + warp * kRowsPerWarp + r;
            if (t >= T) // warp-uniform
                continue;
            const bool valid = u <= t;
            const float sc = valid ? s[r] * scale : -INFINITY;
            if (u < T)
                a.att[(bh * T + t) * T + u] = valid ? sc : 0.0f;
            const float mNew = fmaxf(m[r], warpMax(sc)); // key kt*32 <= t: finite
            p[r] = valid ? expf(sc - mNew) : 0.0f;
            const float corr = expf(m[r] - mNew);
            l[r] = l[r] * corr + warpSum(p[r]);
            for (int i = 0; i < DPL; ++i)
                acc[r][i] *= corr;
            m[r] = mNew;
        }
        for (int j = 0; j < kTileRows; ++j) {
            float v[DPL];
            for (int i = 0; i < DPL; ++i) {
                const i64 d = lane + 32 * i;
                v[i] = d < hs ? Vs[j * hsPad + d] : 0.0f;
            }
            for (int r = 0; r < kRowsPerWarp; ++r) {
                const float pj = __shfl_sync(kFullMask, p[r], j);
                for (int i = 0; i < DPL; ++i)
                    acc[r][i] += pj * v[i];
            }
        }
    }
    for (int r = 0; r < kRowsPerWarp; ++r) {
        const i64 t = t0 + warp * kRowsPerWarp + r;
        if (t >= T)
            continue;
        const float inv = 1.0f / l[r];
        for (int i = 0; i < DPL; ++i) {
            const i64 d = lane + 32 * i;
            if (d < hs)
                storeElem(a.out, a.outType, (b * T + t) * C + h * hs + d, acc[r][i] * inv);
        }
        float* row = a.att + (bh * T + t) * T;
        for (i64 uu = lane; uu < T; uu += 32) // lane uu % 32 wrote row[uu] above
            row[uu] = uu <= t ? expf(row[uu] - m[r]) * inv : 0.0f;
    }
}

/// dS (into att) and dQ for a tile of 32 query rows.
template <int DPL> __global__ void attentionBackwardQueryKernel(AttentionBackwardArgs a)
{
    extern __shared__ float smem[];
    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    const i64 hsPad = hs + 1;
    float* dOs = smem;
    float* Ks = dOs + kTileRows * hs;
    float* Vs = Ks + kTileRows * hsPad;
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 qt = blockIdx.y, t0 = qt * kTileRows;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;

    for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
        const i64 row = idx / hs, d = idx % hs, t = t0 + row;
        dOs[idx] = t < T ? a.dout[(b * T + t) * C + h * hs + d] : 0.0f;
    }
    // Pass 1: D[t] = sum_u P[t,u] dP[t,u] with dP[t,u] = dO[t] . V[u].
    float dsum[kRowsPerWarp] = {};
    for (i64 kt = 0; kt <= qt; ++kt) {
        __syncthreads();
        for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
            const i64 j = idx / hs, d = idx % hs, u = kt * kTileRows + j;
            Vs[j * hsPad + d] = u < T ? base[u * C3 + 2 * C + d] : 0.0f;
        }
        __syncthreads();
        float dp[kRowsPerWarp] = {};
        for (i64 d = 0; d < hs; ++d) {
            const float v = Vs[lane * hsPad + d];
            for (int r = 0; r < kRowsPerWarp; ++r)
                dp[r] += dOs[(warp * kRowsPerWarp + r) * hs + d] * v;
        }
        const i64 u = kt * kTileRows + lane;
        for (int r = 0; r < kRowsPerWarp; ++r) {
            const i64 t = t0 + warp * kRowsPerWarp + r;
            if (t < T && u <= t)
                dsum[r] += a.att[(bh * T + t) * T + u] * dp[r];
        }
    }
    for (int r = 0; r < kRowsPerWarp; ++r)
        dsum[r] = warpSum(dsum[r]);
    // Pass 2: dS = P (dP - D) * scale, written over P; dQ = dS K.
    float dq[kRowsPerWarp][DPL] = {};
    for (i64 kt = 0; kt <= qt; ++kt) {
        __syncthreads();
        for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
            const i64 j = idx / hs, d = idx % hs, u = kt * kTileRows + j;
            Ks[j * hsPad + d] = u < T ? base[u * C3 + C + d] : 0.0f;
            Vs[j * hsPad + d] = u < T ? base[u * C3 + 2 * C + d] : 0.0f;
        }
        __syncthreads();
        float dp[kRowsPerWarp] = {};
        for (i64 d = 0; d < hs; ++d) {
            const float v = Vs[lane * hsPad + d];
            for (int r = 0; r < kRowsPerWarp; ++r)
                dp[r] += dOs[(warp * kRowsPerWarp + r) * hs + d] * v;
        }
        const i64 u = kt * kTileRows + lane;
        float ds[kRowsPerWarp] = {};
        for (int r = 0; r < kRowsPerWarp; ++r) {
            const i64 t = t0 + warp * kRowsPerWarp + r;
            if (t < T && u <= t) {
                float* cell = a.att + (bh * T + t) * T + u;
                ds[r] = *cell * (dp[r] - dsum[r]) * scale;
                *cell = ds[r];
            }
        }
        for (int j = 0; j < kTileRows; ++j) {
            float k[DPL];
            for (int i = 0; i < DPL; ++i) {
                const i64 d = lane + 32 * i;
                k[i] = d < hs ? Ks[j * hsPad + d] : 0.0f;
            }
            for (int r = 0; r < kRowsPerWarp; ++r) {
                const float dsj = __shfl_sync(kFullMask, ds[r], j);
                for (int i = 0; i < DPL; ++i)
                    dq[r][i] += dsj * k[i];
            }
        }
    }
    for (int r = 0; r < kRowsPerWarp; ++r) {
        const i64 t = t0 + warp * kRowsPerWarp + r;
        if (t >= T)
            continue;
        for (int i = 0; i < DPL; ++i) {
            const i64 d = lane + 32 * i;
            if (d < hs)
                storeElem(a.dqkv, a.dqkvType, (b * T + t) * C3 + h * hs + d, dq[r][i]);
        }
    }
}

struct KeySideArgs {
    void* dqkv;
    const float* mat; ///< [B, NH, T, T]: P (for dV) or dS (for dK)
    const float* x; ///< rows t of X at x + (b*T + t) * xStride + h*hs
    i64 xStride;
    i64 part; ///< 1 (dK) or 2 (dV): column block of dqkv
    i64 B, T, C, NH;
    Elem dqkvType;
    std::int32_t pad;
};

/// out[u] = sum_{t >= u} mat[t, u] X[t] for a tile of 32 key rows u.
template <int DPL> __global__ void attentionBackwardKeyKernel(KeySideArgs a)
{
    extern __shared__ float smem[];
    const i64 T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
    float* Ms = smem; // [32 t][33]
    float* Xs = Ms + kTileRows * (kTileRows + 1); // [32 t][hs]
    const i64 bh = blockIdx.x, b = bh / NH, h = bh % NH;
    const i64 kt = blockIdx.y, u0 = kt * kTileRows;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const i64 tiles = (T + kTileRows - 1) / kTileRows;
    float acc[kRowsPerWarp][DPL] = {};
    for (i64 qt = kt; qt < tiles; ++qt) {
        __syncthreads();
        for (int idx = threadIdx.x; idx < kTileRows * kTileRows; idx += kThreads) {
            const i64 tt = idx / kTileRows, uu = idx % kTileRows;
            const i64 t = qt * kTileRows + tt, u = u0 + uu;
            Ms[tt * (kTileRows + 1) + uu] = t < T && u <= t ? a.mat[(bh * T + t) * T + u] : 0.0f;
        }
        for (i64 idx = threadIdx.x; idx < kTileRows * hs; idx += kThreads) {
            const i64 tt = idx / hs, d = idx % hs, t = qt * kTileRows + tt;
            Xs[idx] = t < T ? a.x[(b * T + t) * a.xStride + h * hs + d] : 0.0f;
        }
        __syncthreads();
        for (int tt = 0; tt < kTileRows; ++tt) {
            float x[DPL];
            for (int i = 0; i < DPL; ++i) {
                const i64 d = lane + 32 * i;
                x[i] = d < hs ? Xs[tt * hs + d] : 0.0f;
            }
            for (int r = 0; r < kRowsPerWarp; ++r) {
                const float mv = Ms[tt * (kTileRows + 1) + warp * kRowsPerWarp + r];
                for (int i = 0; i < DPL; ++i)
                    acc[r][i] += mv * x[i];
            }
        }
    }
    for (int r = 0; r < kRowsPerWarp; ++r) {
        const i64 u = u0 + warp * kRowsPerWarp + r;
        if (u >= T)
            continue;
        for (int i = 0; i < DPL; ++i) {
            const i64 d = lane + 32 * i;
            if (d < hs)
                storeElem(a.dqkv, a.dqkvType, (b * T + u) * C3 + a.part * C + h * hs + d, acc[r][i]);
        }
    }
}

__global__ void kvCacheWriteKernel(KvCacheArgs a)
{
    const i64 hs = a.C / a.NH, C3 = 3 * a.C, total = a.B * a.T * a.C;
    for (i64 i = globalThread(); i < total; i += gridThreads()) {
        const i64 c = i % a.C, bt = i / a.C, t = bt % a.T, b = bt / a.T;
        const i64 h = c / hs, d = c % hs, bh = b * a.NH + h;
        a.kCache[(bh * hs + d) * a.Tmax + a.pos + t] = a.qkv[bt * C3 + a.C + c];
        a.vCache[(bh * a.Tmax + a.pos + t) * hs + d] = a.qkv[bt * C3 + 2 * a.C + c];
    }
}

constexpr int kKvThreads = 128;

__global__ void kvCacheAttendKernel(KvCacheArgs a)
{
    extern __shared__ float q[]; // [hs]
    __shared__ float scratch[32];
    const i64 hs = a.C / a.NH, C3 = 3 * a.C;
    const i64 bh = blockIdx.x, t = blockIdx.y, b = bh / a.NH, h = bh % a.NH;
    const i64 L = a.pos + t + 1, ld = a.pos + a.T;
    const float scale = 1.0f / sqrtf(static_cast<float>(hs));
    for (i64 d = threadIdx.x; d < hs; d += kKvThreads)
        q[d] = a.qkv[(b * a.T + t) * C3 + h * hs + d];
    __syncthreads();
    const float* kt = a.kCache + bh * hs * a.Tmax;
    const float* v = a.vCache + bh * a.Tmax * hs;
    float* sc = a.scores + (bh * a.T + t) * ld;
    float localMax = -INFINITY;
    for (i64 u = threadIdx.x; u < L; u += kKvThreads) {
        float s = 0;
        for (i64 d = 0; d < hs; ++d)
            s += q[d] * kt[d * a.Tmax + u];
        s *= scale;
        sc[u] = s;
        localMax = fmaxf(localMax, s);
    }
    const float m = blockMax(localMax, scratch);
    float localSum = 0;
    for (i64 u = threadIdx.x; u < L; u += kKvThreads) {
        const float p = expf(sc[u] - m);
        sc[u] = p;
        localSum += p;
    }
    const float inv = 1.0f / blockSum(localSum, scratch); // synchronises: sc is visible
    for (i64 d = threadIdx.x; d < hs; d += kKvThreads) {
        float acc = 0;
        for (i64 u = 0; u < L; ++u)
            acc += sc[u] * v[u * hs + d];
        storeElem(a.out, a.outType, (b * a.T + t) * a.C + h * hs + d, acc * inv);
    }
}

template <typename Args, typename K1, typename K2, typename K4, typename K8>
void dispatchHeadSize(KernelSink& sink, i64 hs, dim3 grid, std::size_t smem, const Args& a, K1 k1, K2 k2, K4 k4, K8 k8)
{
    auto submit = [&](auto kernel) {
        allowSharedMemory(kernel, smem);
        sink.submit(kernelCall(kernel, grid, kThreads, static_cast<std::uint32_t>(smem), a));
    };
    if (hs <= 32)
        submit(k1);
    else if (hs <= 64)
        submit(k2);
    else if (hs <= 128)
        submit(k4);
    else
        submit(k8);
}

} // namespace

void launchAttentionForward(KernelSink& sink, const AttentionForwardArgs& a)
{
    const i64 hs = a.C / a.NH;
    if (a.B * a.T * a.C == 0)
        return;
    dim3 grid(static_cast<unsigned>(a.B * a.NH), static_cast<unsigned>((a.T + kTileRows - 1) / kTileRows));
    dispatchHeadSize(sink, hs, grid, tiledSharedBytes(hs), a, attentionForwardKernel<1>, attentionForwardKernel<2>,
        attentionForwardKernel<4>, attentionForwardKernel<8>);
}

void launchAttentionBackward(KernelSink& sink, const AttentionBackwardArgs& a)
{
    const i64 hs = a.C / a.NH;
    if (a.B * a.T * a.C == 0)
        return;
    dim3 grid(static_cast<unsigned>(a.B * a.NH), static_cast<unsigned>((a.T + kTileRows - 1) / kTileRows));
    const std::size_t keySmem = static_cast<std::size_t>(kTileRows * (kTileRows + 1) + kTileRows * hs) * sizeof(float);
    // dV from P (before the query-side kernel overwrites P with dS).
    KeySideArgs dv {a.dqkv, a.att, a.dout, a.C, 2, a.B, a.T, a.C, a.NH, a.dqkvType, 0};
    dispatchHeadSize(sink, hs, grid, keySmem, dv, attentionBackwardKeyKernel<1>, attentionBackwardKeyKernel<2>,
        attentionBackwardKeyKernel<4>, attentionBackwardKeyKernel<8>);
    dispatchHeadSize(sink, hs, grid, tiledSharedBytes(hs), a, attentionBackwardQueryKernel<1>,
        attentionBackwardQueryKernel<2>, attentionBackwardQueryKernel<4>, attentionBackwardQueryKernel<8>);
    KeySideArgs dk {a.dqkv, a.att, a.qkv, 3 * a.C, 1, a.B, a.T, a.C, a.NH, a.dqkvType, 0};
    dispatchHeadSize(sink, hs, grid, keySmem, dk, attentionBackwardKeyKernel<1>, attentionBackwardKeyKernel<2>,
        attentionBackwardKeyKernel<4>, attentionBackwardKeyKernel<8>);
}

void launchAttentionKvCache(KernelSink& sink, const KvCacheArgs& a)
{
    if (a.B * a.T * a.C == 0)
        return;
    sink.submit(kernelCall(kvCacheWriteKernel, gridFor(a.B * a.T * a.C, 256), 256, 0, a));
    const i64 hs = a.C / a.NH;
    const std::size_t smem = static_cast<std::size_t>(hs) * sizeof(float);
    allowSharedMemory(kvCacheAttendKernel, smem);
    dim3 grid(static_cast<unsigned>(a.B * a.NH), static_cast<unsigned>(a.T));
    sink.submit(kernelCall(kvCacheAttendKernel, grid, kKvThreads, static_cast<std::uint32_t>(smem), a));
}

} // namespace lwb::engine::cuda
