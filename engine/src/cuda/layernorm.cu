// LayerNorm forward (optionally fused with the residual add before it), LayerNorm backward and
// bias gradients. One warp per row for the row-wise work (statistics in fp32, two passes like the
// CPU kernel: mean, then the variance of the centred values). Column sums over rows (dweight,
// dbias, bias gradients) go through fixed 128-row chunks written to a partial buffer and then
// summed chunk by chunk in order: deterministic, no float atomics.
#include "cuda/device_common.cuh"

namespace lwb::engine::cuda {

namespace {

constexpr int kRowsPerBlock = 8; // one warp per row
constexpr i64 kChunkRows = 128; // rows per partial sum of a column reduction
constexpr int kColumnTile = 32;
constexpr int kRowLanes = 8;

__global__ void layernormForwardKernel(LayernormForwardArgs a)
{
    const i64 r = static_cast<i64>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (r >= a.N)
        return;
    const i64 C = a.C;
    const float invC = 1.0f / static_cast<float>(C);
    const float* x = a.inp + r * C;
    float sum = 0;
    if (a.addend) {
        const float* y = a.addend + r * C;
        float* res = a.residual + r * C;
        for (i64 c = lane; c < C; c += 32) {
            const float v = x[c] + y[c];
            res[c] = v;
            sum += v;
        }
        x = res; // each lane reads back only what it wrote
    } else {
        for (i64 c = lane; c < C; c += 32)
            sum += x[c];
    }
    const float mean = warpSum(sum) * invC;
    float var = 0;
    for (i64 c = lane; c < C; c += 32) {
        const float d = x[c] - mean;
        var += d * d;
    }
    var = warpSum(var) * invC;
    const float rstd = 1.0f / sqrtf(var + 1e-5f);
    if (lane == 0 && a.mean) {
        a.mean[r] = mean;
        a.rstd[r] = rstd;
    }
    for (i64 c = lane; c < C; c += 32)
        storeElem(a.out, a.outType, r * C + c, (x[c] - mean) * rstd * a.weight[c] + a.bias[c]);
}

__global__ void layernormBackwardInputKernel(LayernormBackwardArgs a)
{
    const i64 r = static_cast<i64>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (r >= a.N)
        return;
    const i64 C = a.C;
    const float invC = 1.0f / static_cast<float>(C);
    const float* g = a.dout + r * C;
    const float* x = a.inp + r * C;
    const float mean = a.mean[r], rstd = a.rstd[r];
    float sumA = 0, sumB = 0;
    for (i64 c = lane; c < C; c += 32) {
        const float norm = (x[c] - mean) * rstd;
        const float dnorm = a.weight[c] * g[c];
        sumA += dnorm;
        sumB += dnorm * norm;
    }
    const float dnormMean = warpSum(sumA) * invC;
    const float dnormNormMean = warpSum(sumB) * invC;
    float* di = a.dinp + r * C;
    for (i64 c = lane; c < C; c += 32) {
        const float norm = (x[c] - mean) * rstd;
        const float v = (a.weight[c] * g[c] - dnormMean - norm * dnormNormMean) * rstd;
        di[c] = a.accumulateDinp ? di[c] + v : v;
    }
}

/// partial[chunk][0..C) = sum over the chunk's rows of norm * dout, [C..2C) of dout.
__global__ void layernormParamPartialKernel(LayernormBackwardArgs a)
{
    __shared__ float sw[kRowLanes][kColumnTile];
    __shared__ float sb[kRowLanes][kColumnTile];
    const i64 c = static_cast<i64>(blockIdx.y) * kColumnTile + threadIdx.x;
    const i64 chunk = blockIdx.x;
    const i64 r0 = chunk * kChunkRows, r1 = r0 + kChunkRows < a.N ? r0 + kChunkRows : a.N;
    float accW = 0, accB = 0;
    if (c < a.C) {
        for (i64 r = r0 + threadIdx.y; r < r1; r += kRowLanes) {
            const float g = a.dout[r * a.C + c];
            const float norm = (a.inp[r * a.C + c] - a.mean[r]) * a.rstd[r];
            accW += norm * g;
            accB += g;
        }
    }
    sw[threadIdx.y][threadIdx.x] = accW;
    sb[threadIdx.y][threadIdx.x] = accB;
    __syncthreads();
    if (threadIdx.y == 0 && c < a.C) {
        float w = 0, b = 0;
        for (int y = 0; y < kRowLanes; ++y) {
            w += sw[y][threadIdx.x];
            b += sb[y][threadIdx.x];
        }
        a.partial[chunk * 2 * a.C + c] = w;
        a.partial[chunk * 2 * a.C + a.C + c] = b;
    }
}

/// partial[chunk][0..N) = column sums of dout over the chunk's rows.
__global__ void biasGradPartialKernel(BiasGradArgs a)
{
    __shared__ float s[kRowLanes][kColumnTile];
    const i64 c = static_cast<i64>(blockIdx.y) * kColumnTile + threadIdx.x;
    const i64 chunk = blockIdx.x;
    const i64 r0 = chunk * kChunkRows, r1 = r0 + kChunkRows < a.M ? r0 + kChunkRows : a.M;
    float acc = 0;
    if (c < a.N)
        for (i64 r = r0 + threadIdx.y; r < r1; r += kRowLanes)
            acc += loadElem(a.dout, a.doutType, r * a.N + c);
    s[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < a.N) {
        float total = 0;
        for (int y = 0; y < kRowLanes; ++y)
            total += s[y][threadIdx.x];
        a.partial[chunk * a.N + c] = total;
    }
}

struct SumChunksArgs {
    float* out;
    const float* partial;
    i64 chunks, n, stride, offset;
    std::int32_t accumulate;
    std::int32_t pad;
};

/// out[c] (+)= sum over chunks, in chunk order, of partial[chunk * stride + offset + c].
__global__ void sumChunksKernel(SumChunksArgs a)
{
    for (i64 c = globalThread(); c < a.n; c += gridThreads()) {
        float total = 0;
        for (i64 k = 0; k < a.chunks; ++k)
            total += a.partial[k * a.stride + a.offset + c];
        a.out[c] = a.accumulate ? a.out[c] + total : total;
    }
}

i64 chunksFor(i64 rows)
{
    return (rows + kChunkRows - 1) / kChunkRows;
}

} // namespace

void launchLayernormForward(KernelSink& sink, const LayernormForwardArgs& a)
{
    if (a.N > 0 && a.C > 0)
        sink.submit(kernelCall(layernormForwardKernel, static_cast<unsigned>((a.N + kRowsPerBlock - 1) / kRowsPerBlock),
            kRowsPerBlock * 32, 0, a));
}

i64 layernormBackwardPartialFloats(i64 N, i64 C)
{
    return chunksFor(N) * 2 * C;
}

void launchLayernormBackward(KernelSink& sink, const LayernormBackwardArgs& a)
{
    if (a.N <= 0 || a.C <= 0)
        return;
    sink.submit(kernelCall(layernormBackwardInputKernel,
        static_cast<unsigned>((a.N + kRowsPerBlock - 1) / kRowsPerBlock), kRowsPerBlock * 32, 0, a));
    const i64 chunks = chunksFor(a.N);
    dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>((a.C + kColumnTile - 1) / kColumnTile));
    sink.submit(kernelCall(layernormParamPartialKernel, grid, dim3(kColumnTile, kRowLanes), 0, a));
    SumChunksArgs w {a.dweight, a.partial, chunks, a.C, 2 * a.C, 0, a.accumulateParams, 0};
    SumChunksArgs b {a.dbias, a.partial, chunks, a.C, 2 * a.C, a.C, a.accumulateParams, 0};
    sink.submit(kernelCall(sumChunksKernel, gridFor(a.C, 256), 256, 0, w));
    sink.submit(kernelCall(sumChunksKernel, gridFor(a.C, 256), 256, 0, b));
}

i64 biasGradPartialFloats(i64 M, i64 N)
{
    return chunksFor(M) * N;
}

void launchBiasGrad(KernelSink& sink, const BiasGradArgs& a)
{
    if (a.N <= 0)
        return;
    if (a.M <= 0) {
        if (!a.accumulate)
            launchFill(sink, FillArgs {a.dbias, a.N * 4, 0.0f, 1});
        return;
    }
    const i64 chunks = chunksFor(a.M);
    dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>((a.N + kColumnTile - 1) / kColumnTile));
    sink.submit(kernelCall(biasGradPartialKernel, grid, dim3(kColumnTile, kRowLanes), 0, a));
    SumChunksArgs s {a.dbias, a.partial, chunks, a.N, a.N, 0, a.accumulate, 0};
    sink.submit(kernelCall(sumChunksKernel, gridFor(a.N, 256), 256, 0, s));
}

} // namespace lwb::engine::cuda
