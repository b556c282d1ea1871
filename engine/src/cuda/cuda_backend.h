// The CUDA backend: the Backend interface on one NVIDIA GPU, checked op by op against the CPU
// backend (the specification). One compute stream per instance (replicas = instances sharing
// the device and its memory tracker), a LaunchQueue that runs work eagerly or records it into CUDA
// graphs, device memory from the stream-ordered pool counted by the engine's MemoryTracker (the
// same memory_limit behaviour as the CPU backend; a real CUDA out-of-memory is ErrorCode::
// OutOfMemory), cuBLASLt matmuls (cuda_matmul.cpp) and own kernels (*.cu via kernels.h).
// Every op reports to the OpObserver (host enqueue time, device = GPU ordinal) inside an NVTX range.
// Internal header (C++20, includes CUDA headers): never included from a public header.
#pragma once

#include "lwb/core/clock.h"
#include "lwb/engine/backend.h"
#include "lwb/engine/workload.h"

#include "cuda/cuda_handles.h"
#include "cuda/cuda_launch_queue.h"
#include "cuda/cuda_memory.h"
#include "cuda/kernels.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace lwb::engine::cuda {

/// fp32 matmuls: strict IEEE fp32 (tests, reference runs) or TF32 tensor cores (Ampere+).
enum class Fp32Math : std::uint8_t { Strict, Tf32 };
/// How copyFromHost stages host data: straight from pageable memory, or through a ring of
/// pinned buffers so that the copy is asynchronous to the host.
enum class HostStaging : std::uint8_t { Pageable, Pinned };

/// GPU-specific settings of one backend instance (the CUDA knobs, see cudaKnobs()).
struct CudaOptions {
    int device = 0;
    Fp32Math fp32Math = Fp32Math::Strict;
    GraphMode graphs = GraphMode::Off;
    HostStaging staging = HostStaging::Pinned;
    int prefetchDepth = 2; ///< pinned staging slots: host-to-device copies in flight
};

/// Knobs a workload adds for the CUDA backend: fp32_math, cuda_graphs, pinned_memory,
/// prefetch_depth (and documents that `replicas` share one GPU as concurrent streams).
std::vector<KnobSpec> cudaKnobs();
/// Reads those knobs (absent ones keep their defaults); errors name the knob.
Result<CudaOptions> cudaOptionsFromConfig(const Config& config);

struct DeviceProperties {
    int index = 0;
    std::string name;
    int computeMajor = 0, computeMinor = 0;
    int smCount = 0;
    std::int64_t memoryBytes = 0;
    int smClockKHz = 0;
    int memoryClockKHz = 0;
    int memoryBusWidthBits = 0;
    int l2Bytes = 0;
    std::int64_t sharedMemoryPerBlockOptin = 0;
    int runtimeVersion = 0; ///< e.g. 13000
    int driverVersion = 0;
};
Result<DeviceProperties> queryDevice(int device);

bool cudaSupports(Op op, DType dtype);

/// A matmul weight in the [n, k] row-major layout every matmul here uses (Plain sources are
/// transposed when packed), converted to the weight dtype; I8 with per-output-channel scales.
class CudaPackedWeight final : public PackedWeight {
public:
    const PackedWeightDesc& desc() const override { return m_desc; }
    std::size_t bytes() const override { return m_data.bytes() + (m_colScale.defined() ? m_colScale.bytes() : 0); }
    PackedWeightDesc m_desc;
    Tensor m_data; ///< [n, k] in desc.dtype
    Tensor m_colScale; ///< I8: [n] F32
};

/// A cached cuBLASLt matmul: descriptors and the algorithm the heuristic chose for one shape.
struct MatmulPlan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
    cublasLtMatmulAlgo_t algo {};
    bool found = false; ///< false: cuBLASLt has no algorithm (int8 falls back to an own kernel)
    bool integer = false; ///< int32 alpha/beta (IMMA)
    bool bias = false; ///< BIAS epilogue
    std::size_t workspace = 0;
    ~MatmulPlan();
};

/// (transA, transB, m, n, k, lda, ldb, ldd, typeA, typeB, typeD, compute, bias, alignments...)
using MatmulKey = std::tuple<int, int, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
    std::int64_t, int, int, int, int, int, int, int, int, int>;

class CudaBackend final : public Backend {
public:
    static Result<std::unique_ptr<Backend>> create(const BackendOptions& options, const CudaOptions& cuda);
    ~CudaBackend() override;

    std::string name() const override { return "cuda"; }
    int threads() const override { return m_threads; }
    bool supports(Op op, DType dtype) const override { return cudaSupports(op, dtype); }

    Result<Tensor> allocate(const Shape& shape, DType dtype, MemoryKind kind) override;
    MemoryStats memoryStats() const override { return m_tracker->stats(); }
    /// Free device memory plus what the stream-ordered pool holds but does not use.
    std::int64_t deviceAvailableBytes() const override;
    const std::shared_ptr<MemoryTracker>& memoryTracker() const override { return m_tracker; }
    Status synchronize() override;
    void copyFromHost(const Tensor& dst, const void* src) override;
    void copyToHost(void* dst, const Tensor& src) override;
    void setTracing(OpObserver* observer, std::uint32_t stream) override
    {
        m_observer = observer;
        m_traceStream = stream;
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
    /// Flash attention: only the row log-sum-exp is saved; the backward recomputes P.
    AttentionSavedDesc attentionSaved(std::int64_t B, std::int64_t NH, std::int64_t T) const override;
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

    // CUDA-specific (tests, benchmarks, fp16 loss scaling).
    const DeviceProperties& device() const { return m_props; }
    const CudaOptions& cudaOptions() const { return m_cuda; }
    /// The compute stream every op is enqueued on (multi-GPU all-reduce orders itself after it).
    cudaStream_t computeStream() const { return m_stream; }
    LaunchQueue::Stats launchStats() const { return m_queue->stats(); }
    /// Whether every element of x (F32) is finite (the overflow check of dynamic loss scaling).
    Result<bool> allFinite(const Tensor& x);

    // Internals shared with cuda_matmul.cpp.
    void recordError(ErrorCode code, std::string message);
    bool planning() const { return m_tracker->mode() == MemoryTracker::Mode::Plan; }
    /// Grow-only scratch buffer for op temporaries (conversions, partial sums, int8 staging).
    bool ensureScratch(std::size_t bytes);
    unsigned char* scratch() const { return m_scratch.data<unsigned char>(); }
    LaunchQueue& queue() { return *m_queue; }
    const MatmulPlan* matmulPlan(const MatmulKey& key, const void* biasPointer);
    void* cublasWorkspace() const { return m_cublasWorkspace.data(); }
    std::size_t cublasWorkspaceBytes() const { return m_cublasWorkspace.bytes(); }
    cublasLtHandle_t cublas() const { return m_cublas.get(); }
    void useDevice() const;

    /// Times an op for the observer and opens an NVTX range around its enqueueing.
    class Trace {
    public:
        Trace(CudaBackend& backend, const char* name, OpCategory category, double flops, double bytes);
        ~Trace();
        Trace(const Trace&) = delete;
        Trace& operator=(const Trace&) = delete;

    private:
        CudaBackend& m_backend;
        const char* m_name;
        OpCategory m_category;
        double m_flops, m_bytes;
        std::int64_t m_start;
    };

private:
    CudaBackend(const BackendOptions& options, const CudaOptions& cuda, std::shared_ptr<MemoryTracker> tracker);
    Status init();

    std::shared_ptr<MemoryTracker> m_tracker;
    CudaOptions m_cuda;
    DeviceProperties m_props;
    int m_threads = 1;
    StreamHandle m_streamHandle;
    cudaStream_t m_stream = nullptr; ///< m_streamHandle.get()
    std::unique_ptr<LaunchQueue> m_queue;
    CublasLtHandle m_cublas;
    Tensor m_cublasWorkspace;
    Tensor m_scratch;
    std::map<MatmulKey, std::unique_ptr<MatmulPlan>> m_plans;
    struct StagingSlot {
        PinnedBuffer buffer;
        EventHandle done;
        bool inFlight = false;
    };
    std::vector<StagingSlot> m_slots; ///< eager pinned staging ring
    int m_nextSlot = 0;
    std::vector<PinnedBuffer> m_graphSlots; ///< graph mode: one per copy position in a segment
    Tensor m_flag; ///< I32 [1] for allFinite
    OpObserver* m_observer = nullptr;
    std::uint32_t m_traceStream = 0;
    std::int64_t m_step = -1;
    bool m_failed = false;
    Error m_error;
};

Result<std::unique_ptr<Backend>> createCudaBackend(const BackendOptions& options, const CudaOptions& cuda);

} // namespace lwb::engine::cuda
