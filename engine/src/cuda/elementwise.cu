// Elementwise and data-movement kernels of the CUDA backend: fill, copy, dtype conversion, add,
// row selection, GELU (tanh form, same sigmoid formulation as the CPU kernels), fused AdamW
// (PyTorch semantics, fp32 master weights and moments), the deterministic double-precision sum
// of squares (fixed partition by n, fixed reduction order), the non-finite check of fp16 loss
// scaling, and the weight packing (convert + tiled transpose into the [n, k] matmul layout).
// Also the thunks that enqueue recorded StreamCalls (kernel launch, memset, memcpy).
#include "cuda/device_common.cuh"

#include <cmath>

namespace lwb::engine::cuda {

namespace {
thread_local const char* tLastLibraryError = nullptr;
}

const char* lastLibraryError()
{
    return tLastLibraryError;
}

void setLastLibraryError(const char* text)
{
    tLastLibraryError = text;
}

cudaError_t launchKernelThunk(const void* args, cudaStream_t stream)
{
    const auto* k = static_cast<const KernelLaunchArgs*>(args);
    void* params[1] = {const_cast<unsigned char*>(k->params)};
    return cudaLaunchKernel(k->func, k->grid, k->block, params, k->smem, stream);
}

namespace {

constexpr int kThreads = 256;

cudaError_t memsetThunk(const void* args, cudaStream_t stream)
{
    const auto* a = static_cast<const FillArgs*>(args);
    return cudaMemsetAsync(a->dst, 0, static_cast<std::size_t>(a->count), stream);
}

cudaError_t memcpyThunk(const void* args, cudaStream_t stream)
{
    const auto* a = static_cast<const MemcpyArgs*>(args);
    return cudaMemcpyAsync(
        a->dst, a->src, static_cast<std::size_t>(a->bytes), static_cast<cudaMemcpyKind>(a->kind), stream);
}

__global__ void fillKernel(FillArgs a)
{
    float* d = static_cast<float*>(a.dst);
    for (i64 i = globalThread(); i < a.count; i += gridThreads())
        d[i] = a.value;
}

__global__ void convertKernel(ConvertArgs a)
{
    for (i64 i = globalThread(); i < a.n; i += gridThreads())
        storeElem(a.dst, a.to, i, loadElem(a.src, a.from, i));
}

__global__ void addKernel(AddArgs a)
{
    for (i64 i = globalThread(); i < a.n; i += gridThreads())
        a.dst[i] = a.a[i] + a.b[i];
}

__global__ void selectRowsKernel(SelectRowsArgs a)
{
    const bool words
        = ((a.rowBytes | reinterpret_cast<std::uintptr_t>(a.dst) | reinterpret_cast<std::uintptr_t>(a.src)) & 3) == 0;
    const i64 unit = words ? 4 : 1;
    const i64 perRow = a.rowBytes / unit;
    const i64 total = a.rows * perRow;
    for (i64 i = globalThread(); i < total; i += gridThreads()) {
        const i64 r = i / perRow, c = i % perRow;
        const i64 srcRow = a.first + r * a.step;
        if (words)
            reinterpret_cast<std::uint32_t*>(a.dst)[r * perRow + c]
                = reinterpret_cast<const std::uint32_t*>(a.src)[srcRow * perRow + c];
        else
            a.dst[r * perRow + c] = a.src[srcRow * perRow + c];
    }
}

constexpr float kGeluScale = 0.7978845608028654f; // sqrt(2/pi)
constexpr float kGeluCubic = 0.044715f;

__device__ inline float geluSigmoid(float x)
{
    const float u = kGeluScale * (x + kGeluCubic * x * x * x);
    return 1.0f / (1.0f + expf(-2.0f * u));
}

__global__ void geluKernel(GeluArgs a)
{
    for (i64 i = globalThread(); i < a.n; i += gridThreads()) {
        const float x = a.inp[i];
        const float s = geluSigmoid(x);
        if (a.backward) {
            const float du = kGeluScale * (1.0f + 3.0f * kGeluCubic * x * x);
            storeElem(a.out, a.outType, i, a.dout[i] * (s + x * s * (1.0f - s) * 2.0f * du));
        } else {
            storeElem(a.out, a.outType, i, x * s);
        }
    }
}

__global__ void adamwKernel(AdamWArgs a)
{
    const float stepSize = a.lr / a.biasCorrection1;
    const float invSqrtBc2 = 1.0f / sqrtf(a.biasCorrection2);
    const float decay = 1.0f - a.lr * a.weightDecay;
    for (i64 i = globalThread(); i < a.n; i += gridThreads()) {
        const float g = a.grad[i] * a.gradScale;
        const float m = a.beta1 * a.m[i] + (1.0f - a.beta1) * g;
        const float v = a.beta2 * a.v[i] + (1.0f - a.beta2) * g * g;
        a.m[i] = m;
        a.v[i] = v;
        const float denom = sqrtf(v) * invSqrtBc2 + a.eps;
        a.param[i] = a.param[i] * decay - stepSize * m / denom;
    }
}

constexpr int kSumSquaresThreads = 256;
constexpr int kSumSquaresMaxBlocks = 1024;

__global__ void sumSquaresPartialKernel(SumSquaresArgs a)
{
    __shared__ double warpSums[kSumSquaresThreads / 32];
    double acc = 0;
    for (i64 i = globalThread(); i < a.n; i += gridThreads()) {
        const double x = a.x[i];
        acc += x * x;
    }
    acc = warpSumDouble(acc);
    if ((threadIdx.x & 31) == 0)
        warpSums[threadIdx.x >> 5] = acc;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0;
        for (int w = 0; w < kSumSquaresThreads / 32; ++w)
            total += warpSums[w];
        a.partial[blockIdx.x] = total;
    }
}

struct SumPartialsArgs {
    float* out;
    const double* partial;
    i64 count;
};

__global__ void sumPartialsKernel(SumPartialsArgs a)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        double total = 0;
        for (i64 i = 0; i < a.count; ++i)
            total += a.partial[i];
        a.out[0] = static_cast<float>(total);
    }
}

__global__ void nonFiniteKernel(NonFiniteArgs a)
{
    for (i64 i = globalThread(); i < a.n; i += gridThreads())
        if (!isfinite(a.x[i]))
            *a.flag = 1;
}

constexpr int kTile = 32;

/// dst [rows, cols] from src [rows, cols] (plain) or src [cols, rows] (transpose), 32x32 tiles
/// through shared memory so that both the reads and the writes are coalesced.
__global__ void packKernel(PackArgs a)
{
    __shared__ float tile[kTile][kTile + 1];
    const i64 r0 = static_cast<i64>(blockIdx.y) * kTile, c0 = static_cast<i64>(blockIdx.x) * kTile;
    if (!a.transpose) {
        for (int y = threadIdx.y; y < kTile; y += blockDim.y) {
            const i64 r = r0 + y, c = c0 + threadIdx.x;
            if (r < a.rows && c < a.cols)
                storeElem(a.dst, a.dstType, r * a.cols + c, a.src[r * a.cols + c]);
        }
        return;
    }
    // Read src rows c0.. (source row = destination column), write destination rows r0..
    for (int y = threadIdx.y; y < kTile; y += blockDim.y) {
        const i64 srcRow = c0 + y, srcCol = r0 + threadIdx.x;
        tile[y][threadIdx.x] = srcRow < a.cols && srcCol < a.rows ? a.src[srcRow * a.rows + srcCol] : 0.0f;
    }
    __syncthreads();
    for (int y = threadIdx.y; y < kTile; y += blockDim.y) {
        const i64 r = r0 + y, c = c0 + threadIdx.x;
        if (r < a.rows && c < a.cols)
            storeElem(a.dst, a.dstType, r * a.cols + c, tile[threadIdx.x][y]);
    }
}

} // namespace

void launchFill(KernelSink& sink, const FillArgs& a)
{
    if (a.count <= 0)
        return;
    if (a.zeroBytes)
        sink.submit(StreamCall::make(&memsetThunk, a));
    else
        sink.submit(kernelCall(fillKernel, gridFor(a.count, kThreads), kThreads, 0, a));
}

void launchMemcpy(KernelSink& sink, const MemcpyArgs& a)
{
    if (a.bytes > 0)
        sink.submit(StreamCall::make(&memcpyThunk, a));
}

void launchConvert(KernelSink& sink, const ConvertArgs& a)
{
    if (a.n > 0)
        sink.submit(kernelCall(convertKernel, gridFor(a.n, kThreads), kThreads, 0, a));
}

void launchAdd(KernelSink& sink, const AddArgs& a)
{
    if (a.n > 0)
        sink.submit(kernelCall(addKernel, gridFor(a.n, kThreads), kThreads, 0, a));
}

void launchSelectRows(KernelSink& sink, const SelectRowsArgs& a)
{
    if (a.rows > 0 && a.rowBytes > 0)
        sink.submit(kernelCall(selectRowsKernel, gridFor(a.rows * a.rowBytes, kThreads), kThreads, 0, a));
}

void launchGelu(KernelSink& sink, const GeluArgs& a)
{
    if (a.n > 0)
        sink.submit(kernelCall(geluKernel, gridFor(a.n, kThreads), kThreads, 0, a));
}

void launchAdamW(KernelSink& sink, const AdamWArgs& a)
{
    if (a.n > 0)
        sink.submit(kernelCall(adamwKernel, gridFor(a.n, kThreads), kThreads, 0, a));
}

int sumSquaresPartials(i64 n)
{
    return static_cast<int>(gridFor(n, kSumSquaresThreads, kSumSquaresMaxBlocks));
}

void launchSumSquares(KernelSink& sink, const SumSquaresArgs& a)
{
    const int blocks = sumSquaresPartials(a.n);
    if (a.n > 0)
        sink.submit(kernelCall(sumSquaresPartialKernel, blocks, kSumSquaresThreads, 0, a));
    SumPartialsArgs s {a.out, a.partial, a.n > 0 ? blocks : 0};
    sink.submit(kernelCall(sumPartialsKernel, 1, 32, 0, s));
}

void launchNonFinite(KernelSink& sink, const NonFiniteArgs& a)
{
    if (a.n > 0)
        sink.submit(kernelCall(nonFiniteKernel, gridFor(a.n, kThreads), kThreads, 0, a));
}

void launchPack(KernelSink& sink, const PackArgs& a)
{
    if (a.rows <= 0 || a.cols <= 0)
        return;
    dim3 grid(static_cast<unsigned>((a.cols + kTile - 1) / kTile), static_cast<unsigned>((a.rows + kTile - 1) / kTile));
    sink.submit(kernelCall(packKernel, grid, dim3(kTile, 8), 0, a));
}

cudaError_t probeKernelImage()
{
    cudaFuncAttributes attributes;
    return cudaFuncGetAttributes(&attributes, reinterpret_cast<const void*>(fillKernel));
}

} // namespace lwb::engine::cuda
