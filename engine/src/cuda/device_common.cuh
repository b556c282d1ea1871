// Shared by the backend's .cu files (C++17): turning a kernel and its one argument struct into a
// StreamCall, warp/block reductions whose result is bit-identical in every thread (so that a
// value written by one lane and used by all agrees), and typed loads/stores for F32/BF16/F16.
// Kernels take exactly one struct parameter by value; launches go through cudaLaunchKernel so
// that they can be recorded and replayed (see kernels.h).
#pragma once

#include "cuda/kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lwb::engine::cuda {

constexpr std::size_t kKernelParamBytes = 320;

/// The recorded form of one kernel launch: function, geometry and the parameter struct bytes.
struct KernelLaunchArgs {
    const void* func;
    dim3 grid;
    dim3 block;
    std::uint32_t smem;
    std::uint32_t paramBytes;
    alignas(16) unsigned char params[kKernelParamBytes];
};
static_assert(offsetof(KernelLaunchArgs, smem) + 8 == kKernelGeometryBytes, "geometry prefix of a kernel launch");

template <typename Args>
StreamCall kernelCall(void (*kernel)(Args), dim3 grid, dim3 block, std::uint32_t smem, const Args& a)
{
    static_assert(sizeof(Args) <= kKernelParamBytes, "kernel parameter struct too large");
    KernelLaunchArgs k;
    std::memset(&k, 0, sizeof k);
    k.func = reinterpret_cast<const void*>(kernel);
    k.grid = grid;
    k.block = block;
    k.smem = smem;
    k.paramBytes = static_cast<std::uint32_t>(sizeof(Args));
    std::memcpy(k.params, &a, sizeof(Args));
    return StreamCall::make(&launchKernelThunk, k);
}

/// Grid for a grid-stride loop over n items with `threads` per block.
inline unsigned gridFor(i64 n, int threads, i64 maxBlocks = 8192)
{
    i64 blocks = (n + threads - 1) / threads;
    if (blocks > maxBlocks)
        blocks = maxBlocks;
    return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

/// Allows `bytes` of dynamic shared memory for `kernel` (needed above 48 KiB).
template <typename Args> void allowSharedMemory(void (*kernel)(Args), std::size_t bytes)
{
    if (bytes > 48 * 1024)
        cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), cudaFuncAttributeMaxDynamicSharedMemorySize,
            static_cast<int>(bytes));
}

constexpr unsigned kFullMask = 0xffffffffu;

/// Sum over the warp, identical in every lane (lane 0's value is broadcast).
__device__ inline float warpSum(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(kFullMask, v, o);
    return __shfl_sync(kFullMask, v, 0);
}

__device__ inline double warpSumDouble(double v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(kFullMask, v, o);
    return __shfl_sync(kFullMask, v, 0);
}

__device__ inline float warpMax(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
    return v;
}

/// Block-wide sum (blockDim.x a multiple of 32, at most 1024), identical in every thread.
/// `scratch` holds 32 floats; the function synchronises the block.
__device__ inline float blockSum(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warpSum(v);
    __syncthreads();
    if (lane == 0)
        scratch[warp] = v;
    __syncthreads();
    float total = 0;
    for (int w = 0; w < warps; ++w) // fixed order, same in every thread
        total += scratch[w];
    return total;
}

__device__ inline float blockMax(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warpMax(v);
    __syncthreads();
    if (lane == 0)
        scratch[warp] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < warps; ++w)
        m = fmaxf(m, scratch[w]);
    return m;
}

__device__ inline float loadElem(const void* p, Elem t, i64 i)
{
    switch (t) {
    case Elem::BF16:
        return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    case Elem::F16:
        return __half2float(static_cast<const __half*>(p)[i]);
    default:
        return static_cast<const float*>(p)[i];
    }
}

__device__ inline void storeElem(void* p, Elem t, i64 i, float v)
{
    switch (t) {
    case Elem::BF16:
        static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
        break;
    case Elem::F16:
        static_cast<__half*>(p)[i] = __float2half_rn(v);
        break;
    default:
        static_cast<float*>(p)[i] = v;
        break;
    }
}

__device__ inline i64 globalThread()
{
    return static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ inline i64 gridThreads()
{
    return static_cast<i64>(gridDim.x) * blockDim.x;
}

} // namespace lwb::engine::cuda
