// Inference attention with a KV cache (decode): the new positions' keys and values go into the
// caches (keys transposed, as in the CPU backend, so the score loop reads them coalesced), then one
// block per query: threads over cached positions for the scores and softmax, then over head
// dimensions for P.V. Training attention is the flash kernels (attention_forward/backward.cu).
// Notation: T new positions, C channels, NH heads, hs = C / NH; q/k/v of row t at qkv + t*3C + {0,C,2C}.
#include "cuda/device_common.cuh"

#include <cmath>

namespace lwb::engine::cuda {

namespace {

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

} // namespace

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
