// The CPU backend: the reference implementation of the Backend interface. oneDNN matmuls (f32;
// bf16 on AVX512-BF16; int8 with VNNI) with weights packed once per update, own kernels for
// everything else (kernels.h), one fixed-size thread pool per instance over which every op is
// split by thread index (no atomics, fixed reduction orders: deterministic for a given thread
// count). Ops record the first failure as a sticky error returned by synchronize().
#pragma once

#include "lwb/core/clock.h"
#include "lwb/engine/backend.h"

#include "cpu/kernels.h"
#include "cpu/thread_pool.h"

#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace lwb::engine::cpu {

/// CPU features the backend cares about, read once.
struct CpuFeatures {
    bool avx512 = false; ///< F, BW, VL, DQ: the AVX-512 kernel table
    bool avx512Bf16 = false; ///< native bf16 dot products: bf16 matmuls
    bool vnni = false; ///< int8 dot products: int8 matmuls
};
const CpuFeatures& cpuFeatures();
bool cpuSupports(Op op, DType dtype);
BackendFactory cpuBackendFactory();

/// A weight packed by oneDNN, split into column parts (one per pool thread).
class CpuPackedWeight final : public PackedWeight {
public:
    struct Part {
        std::int64_t n0 = 0, n1 = 0;
        Tensor packed; ///< oneDNN's blocked layout (format_tag::any chosen for this shape)
        dnnl::memory::desc packedDesc;
    };
    const PackedWeightDesc& desc() const override { return m_desc; }
    std::size_t bytes() const override;

    PackedWeightDesc m_desc;
    std::vector<Part> m_parts;
    Tensor m_colScale; ///< I8: per output channel scale [n]
    Tensor m_quantized; ///< I8: plain s8 staging [n, k] for the reorder into parts
};

/// Key of a cached oneDNN matmul primitive.
struct MatmulKey {
    std::int64_t m, k, n, lda, ldc;
    int src, wei; ///< dnnl data types
    int weightsPlain; ///< 0: packed desc of (k, n, wei); 1: weights [m-rows ... see matmulWeightGrad]
    int transA, bias, sum;
    auto tie() const { return std::tie(m, k, n, lda, ldc, src, wei, weightsPlain, transA, bias, sum); }
    bool operator<(const MatmulKey& o) const { return tie() < o.tie(); }
};

class CpuBackend final : public Backend {
public:
    static Result<std::unique_ptr<Backend>> create(const BackendOptions& options);
    ~CpuBackend() override;

    std::string name() const override { return "cpu"; }
    int threads() const override { return m_pool.size(); }
    bool supports(Op op, DType dtype) const override { return cpuSupports(op, dtype); }

    Result<Tensor> allocate(const Shape& shape, DType dtype, MemoryKind kind) override;
    MemoryStats memoryStats() const override { return m_tracker->stats(); }
    std::int64_t deviceAvailableBytes() const override;
    const std::shared_ptr<MemoryTracker>& memoryTracker() const override { return m_tracker; }
    Status synchronize() override;
    void copyFromHost(const Tensor& dst, const void* src) override;
    void copyToHost(void* dst, const Tensor& src) override;
    void setTracing(OpObserver* observer, std::uint32_t stream) override
    {
        m_observer = observer;
        m_stream = stream;
    }
    void setStep(std::int64_t step) override { m_step = step; }

    void fill(const Tensor& dst, float value) override;
    void copy(const Tensor& dst, const Tensor& src) override;
    void convert(const Tensor& dst, const Tensor& src) override;
    void add(const Tensor& dst, const Tensor& a, const Tensor& b) override;
    void selectRows(const Tensor& dst, const Tensor& src, std::int64_t first, std::int64_t step) override;
    void embeddingForward(
        const Tensor& out, const Tensor& tokens, const Tensor& wte, const Tensor& wpe, std::int64_t posOffset) override;
    void embeddingBackward(const Tensor& dwte, const Tensor& dwpe, const Tensor& dout, const Tensor& tokens) override;
    void layernormForward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& inp,
        const Tensor& weight, const Tensor& bias) override;
    void residualLayernormForward(const Tensor& residual, const Tensor& out, const Tensor& mean, const Tensor& rstd,
        const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias) override;
    void layernormBackward(const Tensor& dinp, const Tensor& dweight, const Tensor& dbias, const Tensor& dout,
        const Tensor& inp, const Tensor& weight, const Tensor& mean, const Tensor& rstd, Accumulate dinpMode,
        Accumulate paramMode) override;
    void geluForward(const Tensor& out, const Tensor& inp) override;
    void geluBackward(const Tensor& dinp, const Tensor& inp, const Tensor& dout) override;
    void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) override;
    void attentionBackward(const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& out,
        const Tensor& att, int nHead) override;
    void attentionKvCache(const Tensor& out, const Tensor& qkv, const Tensor& kCache, const Tensor& vCache,
        std::int64_t pos, int nHead, const Tensor& scratch) override;

    Result<std::unique_ptr<PackedWeight>> createPackedWeight(const PackedWeightDesc& desc) override;
    void packWeight(PackedWeight& weight, const Tensor& source) override;
    void matmul(
        const Tensor& out, const Tensor& in, const PackedWeight& weight, const Tensor& bias, Accumulate mode) override;
    Status prepareWeightGrad(std::int64_t m, std::int64_t n, std::int64_t k, DType dtype) override;
    void matmulWeightGrad(const Tensor& dweight, const Tensor& dout, const Tensor& in, Accumulate mode) override;
    void biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate mode) override;

    void crossEntropy(const Tensor& losses, const Tensor& dlogits, const Tensor& logits, const Tensor& targets,
        std::int64_t vocab, float dlossScale) override;
    void argmax(const Tensor& out, const Tensor& logits, std::int64_t vocab) override;
    void adamw(
        const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWStep& step) override;
    void sumSquares(const Tensor& out, const Tensor& x) override;

    // Internals shared by the .cpp files of the backend.
    /// A oneDNN matmul primitive for one shape, with per-thread argument slots so that a call
    /// only swaps data pointers (creating memory objects per call costs microseconds in decode).
    struct CachedMatmul {
        dnnl::matmul primitive;
        dnnl::memory::desc src, weights, dst, bias, scratch;
        std::size_t scratchBytes = 0;
        struct Slot {
            dnnl::memory src, weights, dst, bias, scratch;
            std::unordered_map<int, dnnl::memory> args;
        };
        mutable std::vector<Slot> slots; ///< one per pool thread; thread t only touches slots[t]
        void run(int thread, dnnl::stream& stream, const void* a, const void* b, void* c, const void* biasData,
            void* scratchData) const;
    };
    /// Records the first error (sticky until synchronize()).
    void recordError(ErrorCode code, std::string message);
    bool planning() const { return m_tracker->mode() == MemoryTracker::Mode::Plan; }
    /// Per-thread workspace of at least `bytes`; grows through the tracker (false: failed).
    bool ensureThreadWorkspace(std::size_t bytes);
    bool ensureSharedWorkspace(std::size_t bytes);
    float* threadWorkspace(int thread) const
    {
        return m_threadWorkspace[static_cast<std::size_t>(thread)].data<float>();
    }
    void* sharedWorkspace() const { return m_sharedWorkspace.data(); }
    const CachedMatmul* matmulPrimitive(const MatmulKey& key, const dnnl::memory::desc* packedWeights);

    /// Times an op for the observer; a null check when nobody observes.
    class Trace {
    public:
        Trace(CpuBackend& backend, const char* name, OpCategory category, double flops, double bytes)
            : m_backend(backend)
            , m_name(name)
            , m_category(category)
            , m_flops(flops)
            , m_bytes(bytes)
            , m_start(backend.m_observer ? monotonicNs() : 0)
        {
        }
        ~Trace();
        Trace(const Trace&) = delete;
        Trace& operator=(const Trace&) = delete;

    private:
        CpuBackend& m_backend;
        const char* m_name;
        OpCategory m_category;
        double m_flops, m_bytes;
        std::int64_t m_start;
    };

    const KernelTable& k() const { return *m_kernels; }
    ThreadPool& pool() { return m_pool; }
    dnnl::engine& dnnlEngine() { return m_engine; }
    dnnl::stream& dnnlStream(int thread) { return m_streams[static_cast<std::size_t>(thread)]; }

private:
    CpuBackend(const BackendOptions& options, std::shared_ptr<MemoryTracker> tracker);

    std::shared_ptr<MemoryTracker> m_tracker;
    ThreadPool m_pool;
    const KernelTable* m_kernels;
    dnnl::engine m_engine;
    std::vector<dnnl::stream> m_streams;
    std::vector<Tensor> m_threadWorkspace;
    Tensor m_sharedWorkspace;
    std::map<MatmulKey, std::unique_ptr<CachedMatmul>> m_matmuls;
    std::vector<double> m_partials; ///< per-thread reduction slots
    OpObserver* m_observer = nullptr;
    std::uint32_t m_stream = 0;
    std::int64_t m_step = -1;
    bool m_failed = false;
    Error m_error;
};

} // namespace lwb::engine::cpu
