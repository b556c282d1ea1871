// int8 inference kernels: symmetric per-row quantisation (activations per row on the fly,
// weights per output channel once per pack) with the CPU kernel's exact rounding (x * 127/absmax,
// clamp to +-127, round half away from zero), the dequantising epilogue after cuBLASLt's s8 x s8
// -> s32 IMMA matmul (acc * rowScale * colScale + bias), a dp4a fallback GEMM for shapes the IMMA
// kernels do not take (small M, K not a multiple of 4), and the bias add for matmuls whose bias
// could not go into the cuBLASLt epilogue.
#include "cuda/device_common.cuh"

#include <cmath>

namespace lwb::engine::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void quantizeRowsKernel(QuantizeRowsArgs a)
{
    __shared__ float scratch[32];
    const i64 r = blockIdx.x;
    const float* x = a.src + r * a.ldSrc;
    float amax = 0;
    for (i64 k = threadIdx.x; k < a.K; k += blockDim.x)
        amax = fmaxf(amax, fabsf(x[k]));
    amax = blockMax(amax, scratch);
    const float inv = amax > 0 ? 127.0f / amax : 0.0f;
    if (threadIdx.x == 0)
        a.scale[r] = amax > 0 ? amax / 127.0f : 1.0f;
    std::int8_t* o = a.dst + r * a.K;
    for (i64 k = threadIdx.x; k < a.K; k += blockDim.x) {
        float v = x[k] * inv;
        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
        v += v >= 0 ? 0.5f : -0.5f;
        o[k] = static_cast<std::int8_t>(static_cast<std::int32_t>(v));
    }
}

__global__ void dequantizeKernel(DequantizeArgs a)
{
    const i64 total = a.M * a.N;
    for (i64 i = globalThread(); i < total; i += gridThreads()) {
        const i64 m = i / a.N, n = i % a.N;
        const float v = static_cast<float>(a.acc[i]) * a.rowScale[m] * a.colScale[n] + (a.bias ? a.bias[n] : 0.0f);
        a.out[i] = a.accumulate ? a.out[i] + v : v;
    }
}

constexpr int kGemmWarps = 8;

/// One warp per output element; lanes over k (4 bytes at a time with dp4a when aligned).
__global__ void int8GemmKernel(Int8GemmArgs a)
{
    const i64 o = static_cast<i64>(blockIdx.x) * kGemmWarps + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (o >= a.M * a.N)
        return;
    const i64 m = o / a.N, n = o % a.N;
    const std::int8_t* x = a.a + m * a.K;
    const std::int8_t* w = a.w + n * a.K;
    int acc = 0;
    const bool aligned = ((a.K & 3) == 0)
        && ((reinterpret_cast<std::uintptr_t>(a.a) | reinterpret_cast<std::uintptr_t>(a.w)) & 3) == 0;
    if (aligned) {
        const int* x4 = reinterpret_cast<const int*>(x);
        const int* w4 = reinterpret_cast<const int*>(w);
        for (i64 k = lane; k < a.K / 4; k += 32)
            acc = __dp4a(x4[k], w4[k], acc);
    } else {
        for (i64 k = lane; k < a.K; k += 32)
            acc += static_cast<int>(x[k]) * static_cast<int>(w[k]);
    }
    for (int off = 16; off > 0; off >>= 1)
        acc += __shfl_xor_sync(kFullMask, acc, off);
    if (lane == 0)
        a.acc[o] = acc;
}

__global__ void addBiasKernel(AddBiasArgs a)
{
    const i64 total = a.M * a.N;
    for (i64 i = globalThread(); i < total; i += gridThreads())
        a.out[i] += a.bias[i % a.N];
}

} // namespace

void launchQuantizeRows(KernelSink& sink, const QuantizeRowsArgs& a)
{
    if (a.rows > 0)
        sink.submit(kernelCall(quantizeRowsKernel, static_cast<unsigned>(a.rows), kThreads, 0, a));
}

void launchDequantize(KernelSink& sink, const DequantizeArgs& a)
{
    if (a.M * a.N > 0)
        sink.submit(kernelCall(dequantizeKernel, gridFor(a.M * a.N, kThreads), kThreads, 0, a));
}

void launchInt8Gemm(KernelSink& sink, const Int8GemmArgs& a)
{
    const i64 outputs = a.M * a.N;
    if (outputs > 0)
        sink.submit(kernelCall(
            int8GemmKernel, static_cast<unsigned>((outputs + kGemmWarps - 1) / kGemmWarps), kGemmWarps * 32, 0, a));
}

void launchAddBias(KernelSink& sink, const AddBiasArgs& a)
{
    if (a.M * a.N > 0)
        sink.submit(kernelCall(addBiasKernel, gridFor(a.M * a.N, kThreads), kThreads, 0, a));
}

} // namespace lwb::engine::cuda
