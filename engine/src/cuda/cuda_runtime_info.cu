// Minimal CUDA code: proves the toolchain in CI and gives `lwb doctor` the runtime's view.
// The real backend (matmuls, kernels, memory pool) lives beside this file, one .cu per op family.
#include "cuda_runtime_info.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

namespace lwb::engine::cuda {
namespace {
__global__ void fillIota(int* out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = i;
}

std::string describe(cudaError_t err)
{
    return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}
} // namespace

std::string toolkitVersion()
{
    return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string((CUDART_VERSION % 1000) / 10);
}

std::string runtimeVersion()
{
    int version = 0;
    if (cudaRuntimeGetVersion(&version) != cudaSuccess || version == 0)
        return toolkitVersion();
    return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string cublasLtVersion()
{
    const std::size_t v = cublasLtGetVersion(); // major * 10000 + minor * 100 + patch
    return std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." + std::to_string(v % 100);
}

DeviceCount runtimeDeviceCount()
{
    DeviceCount result;
    cudaError_t err = cudaGetDeviceCount(&result.count);
    if (err != cudaSuccess) {
        result.count = 0;
        result.error = describe(err);
    } else if (result.count == 0) {
        result.error = "no CUDA device";
    }
    return result;
}

std::string runSelfTest()
{
    constexpr int n = 1000;
    int* device = nullptr;
    if (cudaError_t err = cudaMalloc(&device, n * sizeof(int)); err != cudaSuccess)
        return describe(err);
    fillIota<<<(n + 255) / 256, 256>>>(device, n);
    int host[n];
    cudaError_t err = cudaMemcpy(host, device, sizeof host, cudaMemcpyDeviceToHost);
    cudaFree(device);
    if (err != cudaSuccess)
        return describe(err);
    long long sum = 0;
    for (int v : host)
        sum += v;
    return sum == static_cast<long long>(n) * (n - 1) / 2 ? std::string() : "wrong kernel result";
}

} // namespace lwb::engine::cuda
