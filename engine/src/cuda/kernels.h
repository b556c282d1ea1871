// The boundary between the CUDA backend's host code (C++20 .cpp files) and its kernels (.cu files,
// compiled as C++17 because CMake 3.25 cannot ask nvcc for C++20): plain argument structs and one
// launcher per op family. A launcher does not launch: it turns an op into StreamCalls handed to a
// KernelSink, which runs them on its stream now (eager mode) or records them for a CUDA graph that
// is captured once and replayed (cuda_launch_queue.h). Only C++17-safe headers are included here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lwb::engine::cuda {

using i64 = std::int64_t;

/// Element types, numbered like lwb::engine::DType (static_cast between the two is valid).
enum class Elem : std::int32_t { F32 = 0, BF16 = 1, F16 = 2, I8 = 3, I32 = 4, U8 = 5 };

/// One unit of stream work: a function that enqueues something on `stream` from a copy of its
/// arguments. The argument bytes are also the work's identity: a recorded graph is replayed
/// only when every call's function and argument bytes are the same as when it was captured.
struct StreamCall {
    static constexpr std::size_t kArgBytes = 384;
    using Fn = cudaError_t (*)(const void* args, cudaStream_t stream);
    Fn fn; // no default initialisers: a trivial type, zeroed whole (padding included) by make()
    std::uint32_t size;
    std::uint32_t reserved;
    alignas(16) unsigned char args[kArgBytes];

    template <typename Args> static StreamCall make(Fn fn, const Args& a)
    {
        static_assert(sizeof(Args) <= kArgBytes, "stream call arguments too large");
        StreamCall c;
        std::memset(&c, 0, sizeof c);
        c.fn = fn;
        c.size = static_cast<std::uint32_t>(sizeof(Args));
        std::memcpy(c.args, &a, sizeof(Args));
        return c;
    }
    bool sameAs(const StreamCall& o) const
    {
        return fn == o.fn && size == o.size && std::memcmp(args, o.args, size) == 0;
    }
};

/// Where launchers put their work (the backend's LaunchQueue).
class KernelSink {
public:
    virtual ~KernelSink() = default;
    virtual void submit(const StreamCall& call) = 0;
};

/// Enqueues a recorded kernel launch (the StreamCall of every kernel the launchers submit). Its
/// arguments start with kKernelGeometryBytes of function pointer, grid, block and shared memory
/// size: calls that agree there have the same graph topology.
cudaError_t launchKernelThunk(const void* args, cudaStream_t stream);
constexpr std::size_t kKernelGeometryBytes = 40;

/// If the last StreamCall failed inside cuBLAS(Lt)/CUB rather than the runtime, its status text.
const char* lastLibraryError();
void setLastLibraryError(const char* text);

// ---- elementwise and data movement (elementwise.cu) ----------------------------------------------

struct FillArgs {
    void* dst;
    i64 count; ///< elements (F32) or bytes (zero fill)
    float value;
    std::int32_t zeroBytes; ///< 1: memset count bytes to zero
};
void launchFill(KernelSink& sink, const FillArgs& a);

struct MemcpyArgs {
    void* dst;
    const void* src;
    i64 bytes;
    std::int32_t kind; ///< cudaMemcpyKind
    std::int32_t pad;
};
void launchMemcpy(KernelSink& sink, const MemcpyArgs& a);

struct ConvertArgs {
    void* dst;
    const void* src;
    i64 n;
    Elem to;
    Elem from;
};
void launchConvert(KernelSink& sink, const ConvertArgs& a);

struct AddArgs {
    float* dst;
    const float* a;
    const float* b;
    i64 n;
};
void launchAdd(KernelSink& sink, const AddArgs& a);

struct SelectRowsArgs {
    unsigned char* dst;
    const unsigned char* src;
    i64 rows;
    i64 rowBytes;
    i64 first;
    i64 step;
};
void launchSelectRows(KernelSink& sink, const SelectRowsArgs& a);

struct GeluArgs {
    void* out; ///< forward: the activation; backward: dinp
    const float* inp;
    const float* dout; ///< backward only
    i64 n;
    Elem outType;
    std::int32_t backward;
};
void launchGelu(KernelSink& sink, const GeluArgs& a);

struct AdamWArgs {
    float* param;
    const float* grad;
    float* m;
    float* v;
    i64 n;
    float lr, beta1, beta2, eps, weightDecay, gradScale, biasCorrection1, biasCorrection2;
};
void launchAdamW(KernelSink& sink, const AdamWArgs& a);

/// Deterministic sum of squares in double: a fixed number of partial sums (fixed by n), then
/// one block adds them in order. `partial` holds sumSquaresPartials(n) doubles.
struct SumSquaresArgs {
    float* out;
    const float* x;
    double* partial;
    i64 n;
};
int sumSquaresPartials(i64 n);
void launchSumSquares(KernelSink& sink, const SumSquaresArgs& a);

/// flag (int, device) |= 1 when any of x[0, n) is not finite (fp16 loss scaling).
struct NonFiniteArgs {
    const float* x;
    std::int32_t* flag;
    i64 n;
};
void launchNonFinite(KernelSink& sink, const NonFiniteArgs& a);

/// dst [rows, cols] (dstType) = src [rows, cols] F32, or its transpose when `transpose` (src is
/// then [cols, rows]): packs matmul weights into the [n, k] layout the matmuls use.
struct PackArgs {
    void* dst;
    const float* src;
    i64 rows;
    i64 cols;
    Elem dstType;
    std::int32_t transpose;
};
void launchPack(KernelSink& sink, const PackArgs& a);

// ---- embedding (embedding.cu) --------------------------------------------------------------------

struct EmbeddingForwardArgs {
    float* out;
    const std::int32_t* tokens;
    const float* wte;
    const float* wpe;
    i64 N, T, C, posOffset;
};
void launchEmbeddingForward(KernelSink& sink, const EmbeddingForwardArgs& a);

/// dwpe[t] += sum over b of dout[b, t]; dwte[v] += dout rows with token v, added in row order
/// after a stable sort of (token, row) pairs. `temp` holds embeddingBackwardTempBytes(N) bytes.
struct EmbeddingBackwardArgs {
    float* dwte;
    float* dwpe;
    const float* dout;
    const std::int32_t* tokens;
    void* temp;
    std::size_t tempBytes;
    i64 N, T, C, V;
    std::int32_t sortBits;
    std::int32_t pad;
};
std::size_t embeddingBackwardTempBytes(i64 N, i64 V);
int embeddingSortBits(i64 V);
void launchEmbeddingBackward(KernelSink& sink, const EmbeddingBackwardArgs& a);

// ---- layernorm and column reductions (layernorm.cu) ---------------------------------------------

struct LayernormForwardArgs {
    const float* inp;
    const float* addend; ///< null unless fused residual: the input is inp + addend
    float* residual; ///< fused residual output (may alias inp)
    const float* weight;
    const float* bias;
    void* out;
    float* mean; ///< [N] or null
    float* rstd; ///< [N] or null
    i64 N, C;
    Elem outType;
    std::int32_t pad;
};
void launchLayernormForward(KernelSink& sink, const LayernormForwardArgs& a);

/// dinp per the mode; dweight/dbias through per-chunk partial sums in `partial` (fixed order).
struct LayernormBackwardArgs {
    float* dinp;
    float* dweight;
    float* dbias;
    float* partial; ///< layernormBackwardPartialFloats(N, C)
    const float* dout;
    const float* inp;
    const float* weight;
    const float* mean;
    const float* rstd;
    i64 N, C;
    std::int32_t accumulateDinp;
    std::int32_t accumulateParams;
};
i64 layernormBackwardPartialFloats(i64 N, i64 C);
void launchLayernormBackward(KernelSink& sink, const LayernormBackwardArgs& a);

/// dbias[n] (+)= column sums of dout [M, N] (F32/BF16/F16), deterministic.
struct BiasGradArgs {
    float* dbias;
    float* partial; ///< biasGradPartialFloats(M, N)
    const void* dout;
    i64 M, N;
    Elem doutType;
    std::int32_t accumulate;
};
i64 biasGradPartialFloats(i64 M, i64 N);
void launchBiasGrad(KernelSink& sink, const BiasGradArgs& a);

// ---- flash attention (attention_forward.cu, attention_backward.cu) --------------------------------
// The precision of the tile products follows the output: F32 on CUDA cores (strict fp32) or TF32
// tensor cores (fp32_math = tf32), BF16 and F16 on tensor cores (q, k, v, dO, P and dS rounded to
// it; fp32 accumulation and statistics).

/// Largest head size of the tiled training-attention kernels.
constexpr i64 kMaxAttentionHeadSize = 256;

struct AttentionForwardArgs {
    const float* qkv; ///< [B, T, 3C]
    float* lse; ///< [B, NH, T]: log-sum-exp of each row's scaled scores (for the backward)
    void* out; ///< [B, T, C]
    i64 B, T, C, NH;
    Elem outType;
    std::int32_t tf32; ///< 1: F32 operands on TF32 tensor cores (fp32_math = tf32)
};
void launchAttentionForward(KernelSink& sink, const AttentionForwardArgs& a);

struct AttentionBackwardArgs {
    void* dqkv; ///< [B, T, 3C], overwritten
    const float* dout; ///< [B, T, C]
    const float* qkv;
    const void* out; ///< [B, T, C]: the forward's output (for rowDot)
    const float* lse; ///< [B, NH, T] from the forward
    float* rowDot; ///< [B, NH, T] scratch: D[t] = dO[t] . O[t]
    i64 B, T, C, NH;
    Elem dqkvType;
    Elem outType;
    std::int32_t tf32; ///< as in AttentionForwardArgs
    std::int32_t pad;
};
void launchAttentionBackward(KernelSink& sink, const AttentionBackwardArgs& a);

// ---- KV-cache attention (attention_kv_cache.cu) ---------------------------------------------------

struct KvCacheArgs {
    const float* qkv; ///< [B, T, 3C] at positions pos .. pos+T-1
    float* kCache; ///< [B, NH, hs, Tmax] (transposed)
    float* vCache; ///< [B, NH, Tmax, hs]
    float* scores; ///< [B, NH, T, pos+T]
    void* out; ///< [B, T, C]
    i64 B, T, C, NH, Tmax, pos;
    Elem outType;
    std::int32_t pad;
};
void launchAttentionKvCache(KernelSink& sink, const KvCacheArgs& a);

// ---- loss and sampling (loss.cu) -----------------------------------------------------------------

struct CrossEntropyArgs {
    const float* logits; ///< [M, Vp]
    const std::int32_t* targets;
    float* losses;
    void* dlogits; ///< null, or [M, Vp] (may alias logits)
    i64 M, V, Vp;
    float scale;
    Elem dlogitsType;
};
void launchCrossEntropy(KernelSink& sink, const CrossEntropyArgs& a);

struct ArgmaxArgs {
    std::int32_t* out;
    const float* logits;
    i64 M, V, Vp;
};
void launchArgmax(KernelSink& sink, const ArgmaxArgs& a);

// ---- int8 (quantize.cu) --------------------------------------------------------------------------

/// Symmetric per-row int8: scale[r] = absmax / 127, dst = round-half-away(src / scale), like
/// the CPU kernel (activations per row on the fly; weights per output channel).
struct QuantizeRowsArgs {
    std::int8_t* dst; ///< [rows, K]
    float* scale; ///< [rows]
    const float* src; ///< [rows, ldSrc]
    i64 rows, K, ldSrc;
};
void launchQuantizeRows(KernelSink& sink, const QuantizeRowsArgs& a);

/// out[m, n] (+)= acc[m, n] * rowScale[m] * colScale[n] (+ bias[n]).
struct DequantizeArgs {
    float* out;
    const std::int32_t* acc;
    const float* rowScale;
    const float* colScale;
    const float* bias;
    i64 M, N;
    std::int32_t accumulate;
    std::int32_t pad;
};
void launchDequantize(KernelSink& sink, const DequantizeArgs& a);

/// acc[m, n] = sum_k a[m, k] * w[n, k] in int32 (shapes cuBLASLt's IMMA kernels do not take).
struct Int8GemmArgs {
    std::int32_t* acc;
    const std::int8_t* a;
    const std::int8_t* w;
    i64 M, N, K;
};
void launchInt8Gemm(KernelSink& sink, const Int8GemmArgs& a);

/// out[m, n] += bias[n] (a matmul whose bias could not go into the cuBLASLt epilogue).
struct AddBiasArgs {
    float* out;
    const float* bias;
    i64 M, N;
};
void launchAddBias(KernelSink& sink, const AddBiasArgs& a);

/// Runs the smallest kernel of the backend on the current device: whether this build has code
/// for it (cudaErrorNoKernelImageForDevice otherwise).
cudaError_t probeKernelImage();

} // namespace lwb::engine::cuda
