// Embedding kernels. Forward: out[r] = wte[token[r]] + wpe[pos + r % T]. Backward without float
// atomics, so that it is deterministic and adds in the CPU reference's order: dwpe[t] sums the
// batch in order b = 0..B-1; for dwte the (token, row) pairs are radix-sorted (CUB, stable), and
// one block per run of equal tokens adds that token's dout rows in ascending row order.
#include "cuda/device_common.cuh"

#include <cub/device/device_radix_sort.cuh>

namespace lwb::engine::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void embeddingForwardKernel(EmbeddingForwardArgs a)
{
    const i64 total = a.N * a.C;
    for (i64 i = globalThread(); i < total; i += gridThreads()) {
        const i64 r = i / a.C, c = i % a.C;
        const i64 token = a.tokens[r];
        a.out[i] = a.wte[token * a.C + c] + a.wpe[(a.posOffset + r % a.T) * a.C + c];
    }
}

__global__ void embeddingBackwardWpeKernel(EmbeddingBackwardArgs a)
{
    const i64 total = a.T * a.C, B = a.N / a.T;
    for (i64 i = globalThread(); i < total; i += gridThreads()) {
        const i64 t = i / a.C, c = i % a.C;
        float acc = a.dwpe[i];
        for (i64 b = 0; b < B; ++b)
            acc += a.dout[(b * a.T + t) * a.C + c];
        a.dwpe[i] = acc;
    }
}

struct SortBuffers {
    unsigned* keysOut;
    int* valuesIn;
    int* valuesOut;
    void* cubTemp;
    std::size_t cubBytes;
};

std::size_t alignUp(std::size_t bytes)
{
    return (bytes + 255) / 256 * 256;
}

SortBuffers carve(void* temp, i64 N, std::size_t cubBytes)
{
    auto* base = static_cast<unsigned char*>(temp);
    const std::size_t ints = alignUp(static_cast<std::size_t>(N) * 4);
    SortBuffers s;
    s.keysOut = reinterpret_cast<unsigned*>(base);
    s.valuesIn = reinterpret_cast<int*>(base + ints);
    s.valuesOut = reinterpret_cast<int*>(base + 2 * ints);
    s.cubTemp = base + 3 * ints;
    s.cubBytes = cubBytes;
    return s;
}

std::size_t cubSortBytes(i64 N, int bits)
{
    std::size_t bytes = 0;
    cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const unsigned*>(nullptr),
        static_cast<unsigned*>(nullptr), static_cast<const int*>(nullptr), static_cast<int*>(nullptr),
        static_cast<int>(N), 0, bits);
    return bytes;
}

struct IotaArgs {
    int* out;
    i64 n;
};

__global__ void iotaKernel(IotaArgs a)
{
    for (i64 i = globalThread(); i < a.n; i += gridThreads())
        a.out[i] = static_cast<int>(i);
}

struct SegmentArgs {
    float* dwte;
    const float* dout;
    const unsigned* keys;
    const int* rows;
    i64 N, C, V;
};

/// Block i handles the run of equal tokens that starts at sorted position i (if one does).
__global__ void embeddingSegmentKernel(SegmentArgs a)
{
    const i64 i = blockIdx.x;
    const unsigned token = a.keys[i];
    if ((i > 0 && a.keys[i - 1] == token) || static_cast<i64>(token) >= a.V)
        return;
    i64 end = i + 1;
    while (end < a.N && a.keys[end] == token)
        ++end;
    float* d = a.dwte + static_cast<i64>(token) * a.C;
    for (i64 c = threadIdx.x; c < a.C; c += blockDim.x) {
        float acc = d[c];
        for (i64 j = i; j < end; ++j)
            acc += a.dout[static_cast<i64>(a.rows[j]) * a.C + c];
        d[c] = acc;
    }
}

cudaError_t embeddingWteThunk(const void* args, cudaStream_t stream)
{
    const auto& a = *static_cast<const EmbeddingBackwardArgs*>(args);
    const std::size_t cubBytes = cubSortBytes(a.N, a.sortBits);
    SortBuffers s = carve(a.temp, a.N, cubBytes);
    IotaArgs iota {s.valuesIn, a.N};
    iotaKernel<<<gridFor(a.N, kThreads), kThreads, 0, stream>>>(iota);
    if (cudaError_t err = cudaGetLastError(); err != cudaSuccess)
        return err;
    std::size_t bytes = s.cubBytes;
    if (cudaError_t err = cub::DeviceRadixSort::SortPairs(s.cubTemp, bytes, reinterpret_cast<const unsigned*>(a.tokens),
            s.keysOut, s.valuesIn, s.valuesOut, static_cast<int>(a.N), 0, a.sortBits, stream);
        err != cudaSuccess) {
        setLastLibraryError("cub::DeviceRadixSort::SortPairs failed");
        return err;
    }
    SegmentArgs seg {a.dwte, a.dout, s.keysOut, s.valuesOut, a.N, a.C, a.V};
    const int threads = a.C >= 256 ? 256 : 128;
    embeddingSegmentKernel<<<static_cast<unsigned>(a.N), threads, 0, stream>>>(seg);
    return cudaGetLastError();
}

} // namespace

int embeddingSortBits(i64 V)
{
    // All 32 bits, not just those of V - 1: a token outside [0, V) (skipped, like on the CPU)
    // must not sort between two rows of a valid token and split its run.
    (void)V;
    return 32;
}

std::size_t embeddingBackwardTempBytes(i64 N, i64 V)
{
    return 3 * alignUp(static_cast<std::size_t>(N) * 4) + alignUp(cubSortBytes(N, embeddingSortBits(V))) + 256;
}

void launchEmbeddingForward(KernelSink& sink, const EmbeddingForwardArgs& a)
{
    if (a.N * a.C > 0)
        sink.submit(kernelCall(embeddingForwardKernel, gridFor(a.N * a.C, kThreads), kThreads, 0, a));
}

void launchEmbeddingBackward(KernelSink& sink, const EmbeddingBackwardArgs& a)
{
    if (a.N <= 0 || a.C <= 0)
        return;
    sink.submit(kernelCall(embeddingBackwardWpeKernel, gridFor(a.T * a.C, kThreads), kThreads, 0, a));
    sink.submit(StreamCall::make(&embeddingWteThunk, a));
}

} // namespace lwb::engine::cuda
