// Backend: the device interface every model runs on (ggml-backend / llm.c style). A backend
// allocates tracked memory, prepares matmul weights, and runs a fixed list of ops with explicit
// shapes. The CPU backend (engine/src/cpu/) is the specification: any other backend (CUDA) plugs
// in by implementing this class, registering a BackendFactory, and passing the conformance tests
// that run every op on it against the CPU backend. Ops do not return errors: like CUDA kernels
// they record a sticky error that synchronize() returns (shapes are checked when models build).
#pragma once

#include "lwb/core/op_observer.h"
#include "lwb/core/result.h"
#include "lwb/engine/knob_value.h"
#include "lwb/engine/tensor.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::engine {

/// The op list. `supports(op, dtype)`: for Matmul the weight precision, otherwise the precision of
/// the op's activation output.
enum class Op : std::uint8_t {
    Fill,
    Copy,
    Convert,
    Add,
    SelectRows,
    Embedding,
    EmbeddingBackward,
    LayerNorm,
    ResidualLayerNorm,
    LayerNormBackward,
    Gelu,
    GeluBackward,
    Attention,
    AttentionBackward,
    AttentionKvCache,
    Matmul,
    MatmulWeightGrad,
    BiasGrad,
    CrossEntropy,
    Argmax,
    AdamW,
    SumSquares,
};
constexpr int kOpCount = 22;
std::string_view opName(Op op);

/// Whether an op overwrites its destination or adds to it (gradient accumulation).
enum class Accumulate : std::uint8_t { Overwrite, Add };

struct MemoryStats {
    std::int64_t currentBytes = 0;
    std::int64_t peakBytes = 0;
    std::int64_t limitBytes = 0; ///< 0: no limit
    std::array<std::int64_t, kMemoryKindCount> currentByKind {};
    std::array<std::int64_t, kMemoryKindCount> peakByKind {};
    /// "1.23 GB (parameters 0.04, gradients 0.04, ...)"
    std::string describe() const;
};

/// Accounts the memory of one device, shared by every backend instance (replica) on it, and
/// enforces the device memory budget. In Plan mode nothing is allocated: buffers have no data and
/// only their sizes are counted, so a configuration's footprint is known before it allocates.
class MemoryTracker {
public:
    enum class Mode { Allocate, Plan };
    explicit MemoryTracker(std::int64_t limitBytes = 0, Mode mode = Mode::Allocate);
    Mode mode() const { return m_mode; }
    /// Counts `bytes`; in Allocate mode fails with OutOfMemory when the budget would be exceeded.
    Status reserve(std::size_t bytes, MemoryKind kind);
    void release(std::size_t bytes, MemoryKind kind);
    MemoryStats stats() const;

private:
    mutable std::mutex m_mutex;
    Mode m_mode;
    MemoryStats m_stats;
};

/// Which CPU kernels run: the fastest for this CPU, or the portable reference loops (tests).
enum class CpuKernels : std::uint8_t { Best, Reference };

struct BackendOptions {
    int threads = 1; ///< intra-op threads of this backend instance
    std::shared_ptr<MemoryTracker> memory; ///< shared per device; a fresh unlimited one when null
    CpuKernels cpuKernels = CpuKernels::Best;
    /// Backend-specific knobs by name (the cuda backend reads cuda_device, fp32_math, cuda_graphs,
    /// pinned_memory, prefetch_depth); a backend reads the ones it declares in
    /// BackendFactory::settingNames and ignores the rest. Absent ones keep the backend's defaults.
    BackendSettings settings;
};

/// How a weight matrix is used by Backend::matmul.
enum class WeightLayout : std::uint8_t {
    Transposed, ///< source W is [n, k]: out = in · Wᵀ (a Linear layer's forward)
    Plain, ///< source W is [k, n]: out = in · W (a Linear layer's backward to its input)
};

struct PackedWeightDesc {
    std::int64_t n = 0; ///< output columns
    std::int64_t k = 0; ///< reduction length
    DType dtype = DType::F32; ///< F32, BF16 (mixed precision) or I8 (per-output-channel symmetric)
    WeightLayout layout = WeightLayout::Transposed;
    /// Row counts (M) the weight will be multiplied with; the backend prepares kernels and
    /// workspace for them now so that memory planning sees everything.
    std::vector<std::int64_t> rowHints;
};

/// A weight in the backend's preferred layout and precision (oneDNN packed blocks on CPU).
class PackedWeight {
public:
    virtual ~PackedWeight() = default;
    virtual const PackedWeightDesc& desc() const = 0;
    virtual std::size_t bytes() const = 0;
};

/// AdamW hyper-parameters of one update (PyTorch semantics, decoupled weight decay).
struct AdamWStep {
    float lr = 6e-4f;
    float beta1 = 0.9f;
    float beta2 = 0.95f;
    float eps = 1e-8f;
    float weightDecay = 0.1f;
    float gradScale = 1.0f; ///< multiplies the gradient first (clipping)
    std::int64_t t = 1; ///< 1-based step for bias correction
};

/// What attentionForward saves in `att` for attentionBackward; each backend chooses (F32 always).
enum class AttentionSaves : std::uint8_t {
    /// [B,NH,T,T] softmax probabilities (lower triangle; zero above): the CPU reference.
    Probabilities,
    /// [2,B,NH,T]: the first [B,NH,T] holds each row's log-sum-exp of the scaled scores, from which
    /// the backward recomputes the probabilities tile by tile (flash attention); the second half
    /// is the backward's scratch (row sums of dO * O).
    LogSumExp,
};
struct AttentionSavedDesc {
    AttentionSaves kind = AttentionSaves::Probabilities;
    Shape shape;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;
    virtual int threads() const = 0;
    /// Whether this backend runs `op` at precision `dtype` on this machine.
    virtual bool supports(Op op, DType dtype) const = 0;

    // Memory and synchronisation.
    virtual Result<Tensor> allocate(const Shape& shape, DType dtype, MemoryKind kind) = 0;
    virtual MemoryStats memoryStats() const = 0;
    /// Memory the device can still give (CPU: the host's available memory; 0 when unknown). A
    /// configuration planned above it fails with OutOfMemory even without a memory_limit.
    virtual std::int64_t deviceAvailableBytes() const = 0;
    virtual const std::shared_ptr<MemoryTracker>& memoryTracker() const = 0;
    /// Waits for queued work; returns the first error any op recorded since the last call.
    virtual Status synchronize() = 0;
    virtual void copyFromHost(const Tensor& dst, const void* src) = 0;
    virtual void copyToHost(void* dst, const Tensor& src) = 0;

    /// Ops are reported to `observer` (may be null) as coming from `stream`; `step` tags them.
    virtual void setTracing(OpObserver* observer, std::uint32_t stream) = 0;
    virtual void setStep(std::int64_t step) = 0;

    // Elementwise and data movement.
    virtual void fill(const Tensor& dst, float value) = 0;
    virtual void copy(const Tensor& dst, const Tensor& src) = 0;
    /// Element-wise dtype conversion between F32, BF16 and F16.
    virtual void convert(const Tensor& dst, const Tensor& src) = 0;
    /// dst = a + b (F32; dst may alias a or b).
    virtual void add(const Tensor& dst, const Tensor& a, const Tensor& b) = 0;
    /// dst[i] = src[first + i * step] row-wise (e.g. the last position of every sequence).
    virtual void selectRows(const Tensor& dst, const Tensor& src, std::int64_t first, std::int64_t step) = 0;

    // GPT building blocks. Shapes: B batch, T time, C channels, NH heads, V vocabulary rows.
    /// out[B,T,C] = wte[tokens[b,t]] + wpe[posOffset + t]; tokens I32 [B,T].
    virtual void embeddingForward(
        const Tensor& out, const Tensor& tokens, const Tensor& wte, const Tensor& wpe, std::int64_t posOffset)
        = 0;
    /// dwte[V,C] += scatter of dout by token, dwpe[T,C] += sum over the batch (deterministic).
    virtual void embeddingBackward(const Tensor& dwte, const Tensor& dwpe, const Tensor& dout, const Tensor& tokens)
        = 0;
    /// out[N,C] (F32|BF16) = (inp - mean) * rstd * weight + bias; mean/rstd [N] saved when defined.
    virtual void layernormForward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& inp,
        const Tensor& weight, const Tensor& bias)
        = 0;
    /// residual = a + b (may alias a), then layernormForward(out, mean, rstd, residual, ...).
    virtual void residualLayernormForward(const Tensor& residual, const Tensor& out, const Tensor& mean,
        const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias)
        = 0;
    /// Gradients of layernormForward: dinp [N,C] and dweight/dbias [C] (F32), per Accumulate mode.
    virtual void layernormBackward(const Tensor& dinp, const Tensor& dweight, const Tensor& dbias, const Tensor& dout,
        const Tensor& inp, const Tensor& weight, const Tensor& mean, const Tensor& rstd, Accumulate dinpMode,
        Accumulate paramMode)
        = 0;
    /// out (F32|BF16) = x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
    virtual void geluForward(const Tensor& out, const Tensor& inp) = 0;
    /// dinp (F32|BF16) = dout * gelu'(inp).
    virtual void geluBackward(const Tensor& dinp, const Tensor& inp, const Tensor& dout) = 0;
    /// The tensor attentionForward saves for the backward (`att`), for B x NH heads of length T.
    /// Models allocate exactly this (so memory planning sees it); the default is the probabilities.
    virtual AttentionSavedDesc attentionSaved(std::int64_t B, std::int64_t NH, std::int64_t T) const
    {
        return {AttentionSaves::Probabilities, Shape {B, NH, T, T}};
    }
    /// Causal self-attention: qkv F32 [B,T,3C] (q | k | v, heads of C/NH), out [B,T,C] (F32|BF16),
    /// att (F32, shaped by attentionSaved) receives what the backward pass needs.
    virtual void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) = 0;
    /// dqkv [B,T,3C] (F32|BF16, overwritten) from dout F32 [B,T,C], the forward's inputs, output
    /// `out` and `att`, which this op uses as scratch (its contents are unspecified afterwards).
    virtual void attentionBackward(
        const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& out, const Tensor& att, int nHead)
        = 0;
    /// Inference attention with a KV cache: qkv [B,T,3C] holds positions pos..pos+T-1; their k, v
    /// are written into the caches, kCache [B,NH,C/NH,Tmax] (keys transposed) and vCache
    /// [B,NH,Tmax,C/NH], both F32 or both BF16; each query attends causally to cache positions
    /// [0, pos+t]. out [B,T,C] (F32|BF16); scratch F32 of at least B*NH*T*(pos+T).
    virtual void attentionKvCache(const Tensor& out, const Tensor& qkv, const Tensor& kCache, const Tensor& vCache,
        std::int64_t pos, int nHead, const Tensor& scratch)
        = 0;

    // Matmuls.
    virtual Result<std::unique_ptr<PackedWeight>> createPackedWeight(const PackedWeightDesc& desc) = 0;
    /// Re-packs from an F32 source (after every optimiser step in training); I8 quantises per
    /// output channel.
    virtual void packWeight(PackedWeight& weight, const Tensor& source) = 0;
    /// out[M,n] (F32) = in[M,k] · W (+ bias[n]); `in` is F32 or BF16 (BF16 weights) and F32 for
    /// I8 weights (quantised per row on the fly). Accumulate::Add adds to out (bias included).
    virtual void matmul(
        const Tensor& out, const Tensor& in, const PackedWeight& weight, const Tensor& bias, Accumulate mode)
        = 0;
    /// Prepares kernels and workspace for matmulWeightGrad shapes (optional; planning sees it).
    virtual Status prepareWeightGrad(std::int64_t m, std::int64_t n, std::int64_t k, DType dtype) = 0;
    /// dweight[n,k] (F32) = doutᵀ · in with dout [M,n], in [M,k] both F32 or both BF16.
    virtual void matmulWeightGrad(const Tensor& dweight, const Tensor& dout, const Tensor& in, Accumulate mode) = 0;
    /// dbias[n] (F32) = column sums of dout [M,n] (F32|BF16).
    virtual void biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate mode) = 0;

    // Loss, sampling, optimiser.
    /// Softmax + cross-entropy over the first `vocab` columns of logits F32 [M,Vp]: losses [M]
    /// F32; when dlogits (F32|BF16 [M,Vp], may alias logits) is defined it receives
    /// dlossScale * (softmax - onehot) (zero in padded columns). targets I32 [M].
    virtual void crossEntropy(const Tensor& losses, const Tensor& dlogits, const Tensor& logits, const Tensor& targets,
        std::int64_t vocab, float dlossScale)
        = 0;
    /// out I32 [M] = argmax over the first `vocab` columns (lowest index on ties).
    virtual void argmax(const Tensor& out, const Tensor& logits, std::int64_t vocab) = 0;
    /// One fused AdamW update of F32 param/grad/m/v (same shapes).
    virtual void adamw(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWStep& step)
        = 0;
    /// out F32 [1] = sum of squares of x (F32), accumulated in double in a fixed order.
    virtual void sumSquares(const Tensor& out, const Tensor& x) = 0;
};

/// How a backend is found and created; backends register themselves in one place
/// (backend_registry.cpp; CUDA behind LWB_HAVE_CUDA).
struct BackendFactory {
    std::string name;
    std::string description;
    /// Empty when usable on this machine, else why not (no GPU, no driver).
    std::function<std::string()> unavailableReason;
    /// Capability on this machine without creating an instance.
    std::function<bool(Op, DType)> supports;
    std::function<Result<std::unique_ptr<Backend>>(const BackendOptions&)> create;
    /// Names of the backend-specific knobs `create` reads from BackendOptions::settings.
    std::vector<std::string> settingNames;
};

Status registerBackend(BackendFactory factory);
std::vector<std::string> backendNames();
const BackendFactory* findBackend(std::string_view name);
/// Creates a backend; NotFound for unknown names, Unavailable when it cannot run here.
Result<std::unique_ptr<Backend>> createBackend(std::string_view name, const BackendOptions& options);

} // namespace lwb::engine
