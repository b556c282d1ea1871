// Softmax + cross-entropy fused with its gradient (one block per row: max, sum of exponentials,
// loss, then dlogits = scale * (softmax - onehot) written over the logits when they alias, zero
// in the padded vocabulary), and greedy argmax (lowest index among equal maxima, like the CPU).
#include "cuda/device_common.cuh"

#include <cmath>

namespace lwb::engine::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void crossEntropyKernel(CrossEntropyArgs a)
{
    __shared__ float scratch[32];
    const i64 r = blockIdx.x;
    const float* x = a.logits + r * a.Vp;
    const i64 target = a.targets[r];
    const float xt = x[target]; // read before any thread overwrites the row
    float localMax = -INFINITY;
    for (i64 v = threadIdx.x; v < a.V; v += blockDim.x)
        localMax = fmaxf(localMax, x[v]);
    const float m = blockMax(localMax, scratch);
    float localSum = 0;
    for (i64 v = threadIdx.x; v < a.V; v += blockDim.x)
        localSum += expf(x[v] - m);
    const float sum = blockSum(localSum, scratch);
    if (threadIdx.x == 0)
        a.losses[r] = logf(sum) + m - xt;
    if (!a.dlogits)
        return;
    const float inv = 1.0f / sum;
    for (i64 v = threadIdx.x; v < a.Vp; v += blockDim.x) {
        float d = 0.0f;
        if (v < a.V)
            d = a.scale * (expf(x[v] - m) * inv - (v == target ? 1.0f : 0.0f));
        storeElem(a.dlogits, a.dlogitsType, r * a.Vp + v, d);
    }
}

__device__ inline bool better(float x, i64 i, float bestX, i64 bestI)
{
    return x > bestX || (x == bestX && i < bestI);
}

__global__ void argmaxKernel(ArgmaxArgs a)
{
    __shared__ float values[32];
    __shared__ i64 indices[32];
    const i64 r = blockIdx.x;
    const float* x = a.logits + r * a.Vp;
    float best = -INFINITY;
    i64 bestI = a.V; // nothing yet
    for (i64 v = threadIdx.x; v < a.V; v += blockDim.x)
        if (bestI == a.V || better(x[v], v, best, bestI)) {
            best = x[v];
            bestI = v;
        }
    for (int o = 16; o > 0; o >>= 1) {
        const float ox = __shfl_xor_sync(kFullMask, best, o);
        const i64 oi = __shfl_xor_sync(kFullMask, bestI, o);
        if (oi != a.V && (bestI == a.V || better(ox, oi, best, bestI))) {
            best = ox;
            bestI = oi;
        }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) {
        values[warp] = best;
        indices[warp] = bestI;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < static_cast<int>(blockDim.x >> 5); ++w)
            if (indices[w] != a.V && (bestI == a.V || better(values[w], indices[w], best, bestI))) {
                best = values[w];
                bestI = indices[w];
            }
        a.out[r] = static_cast<std::int32_t>(bestI == a.V ? 0 : bestI);
    }
}

} // namespace

void launchCrossEntropy(KernelSink& sink, const CrossEntropyArgs& a)
{
    if (a.M > 0)
        sink.submit(kernelCall(crossEntropyKernel, static_cast<unsigned>(a.M), kThreads, 0, a));
}

void launchArgmax(KernelSink& sink, const ArgmaxArgs& a)
{
    if (a.M > 0)
        sink.submit(kernelCall(argmaxKernel, static_cast<unsigned>(a.M), kThreads, 0, a));
}

} // namespace lwb::engine::cuda
