// CUDA matmuls through cuBLASLt. Row-major out[M, n] = in[M, k] . W^T is the column-major GEMM
// D(n x M) = W^T (n x k) . in (k x M): every packed weight is stored [n, k] row-major (Plain
// sources are transposed when packed), so all forward matmuls are "TN" — the layout cuBLASLt's
// int8 IMMA kernels require. Weight gradients dW[n, k] = dout^T . in are D(k x n) = in (k x M) .
// dout^T ("NT"). fp32 runs strict or as TF32 (option), bf16/fp16 accumulate in fp32 into fp32
// outputs, int8 is s8 x s8 -> s32 then an own dequantising epilogue (+bias). The bias goes into the
// BIAS epilogue when its pointer is 16-byte aligned. Plans (descriptors + the heuristic's
// algorithm) are cached per shape, types and pointer alignments; the workspace is 32 MiB on
// Hopper, 4 MiB before (cuda_backend.cpp). GELU has no epilogue here: the Backend interface
// keeps the pre-activation (needed by the backward pass) and the activation as separate tensors.
#include "cuda/cuda_backend.h"

#include <algorithm>
#include <fmt/core.h>

namespace lwb::engine::cuda {

namespace {

cudaDataType_t cudaType(DType d)
{
    switch (d) {
    case DType::BF16:
        return CUDA_R_16BF;
    case DType::F16:
        return CUDA_R_16F;
    case DType::I8:
        return CUDA_R_8I;
    case DType::I32:
        return CUDA_R_32I;
    default:
        return CUDA_R_32F;
    }
}

int alignmentOf(const void* p)
{
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    for (int al = 256; al > 1; al /= 2)
        if (a % static_cast<std::uintptr_t>(al) == 0)
            return al;
    return 1;
}

const char* statusText(cublasStatus_t st)
{
    switch (st) {
    case CUBLAS_STATUS_NOT_INITIALIZED:
        return "cuBLASLt: not initialised";
    case CUBLAS_STATUS_ALLOC_FAILED:
        return "cuBLASLt: allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:
        return "cuBLASLt: invalid value";
    case CUBLAS_STATUS_ARCH_MISMATCH:
        return "cuBLASLt: architecture mismatch";
    case CUBLAS_STATUS_EXECUTION_FAILED:
        return "cuBLASLt: execution failed";
    case CUBLAS_STATUS_NOT_SUPPORTED:
        return "cuBLASLt: not supported";
    case CUBLAS_STATUS_INTERNAL_ERROR:
        return "cuBLASLt: internal error";
    default:
        return "cuBLASLt: error";
    }
}

/// One recorded cublasLtMatmul call (D = alpha op(A) op(B) + beta D).
struct LtCallArgs {
    cublasLtHandle_t handle;
    const MatmulPlan* plan;
    const void* a;
    const void* b;
    void* d;
    const void* bias;
    void* workspace;
    std::uint64_t workspaceBytes;
    float alpha, beta;
    std::int32_t alphaInt, betaInt;
};

cudaError_t ltMatmulThunk(const void* args, cudaStream_t stream)
{
    const auto& c = *static_cast<const LtCallArgs*>(args);
    const MatmulPlan& p = *c.plan;
    if (p.bias) {
        cublasStatus_t st
            = cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &c.bias, sizeof(c.bias));
        if (st != CUBLAS_STATUS_SUCCESS) {
            setLastLibraryError(statusText(st));
            return cudaErrorUnknown;
        }
    }
    const void* alpha = p.integer ? static_cast<const void*>(&c.alphaInt) : static_cast<const void*>(&c.alpha);
    const void* beta = p.integer ? static_cast<const void*>(&c.betaInt) : static_cast<const void*>(&c.beta);
    cublasStatus_t st = cublasLtMatmul(c.handle, p.op, alpha, c.a, p.a, c.b, p.b, beta, c.d, p.d, c.d, p.d, &p.algo,
        c.workspace, static_cast<std::size_t>(c.workspaceBytes), stream);
    if (st != CUBLAS_STATUS_SUCCESS) {
        setLastLibraryError(statusText(st));
        return cudaErrorUnknown;
    }
    return cudaSuccess;
}

enum KeyField { kTransA, kTransB, kM, kN, kK, kLda, kLdb, kLdd, kTypeA, kTypeB, kTypeD, kCompute, kBias };

constexpr std::size_t kScratchAlign = 256;
std::size_t alignUp(std::size_t bytes)
{
    return (bytes + kScratchAlign - 1) / kScratchAlign * kScratchAlign;
}

/// Scratch of the int8 path for M rows: s8 rows, row scales, s32 accumulators.
struct Int8Scratch {
    std::size_t quantized, rowScale, acc, total;
};
Int8Scratch int8Scratch(std::int64_t M, std::int64_t K, std::int64_t N)
{
    Int8Scratch s;
    s.quantized = 0;
    s.rowScale = alignUp(static_cast<std::size_t>(M * K));
    s.acc = s.rowScale + alignUp(static_cast<std::size_t>(M) * 4);
    s.total = s.acc + alignUp(static_cast<std::size_t>(M * N) * 4);
    return s;
}

} // namespace

MatmulPlan::~MatmulPlan()
{
    if (a)
        cublasLtMatrixLayoutDestroy(a);
    if (b)
        cublasLtMatrixLayoutDestroy(b);
    if (d)
        cublasLtMatrixLayoutDestroy(d);
    if (op)
        cublasLtMatmulDescDestroy(op);
}

const MatmulPlan* CudaBackend::matmulPlan(const MatmulKey& key, const void* biasPointer)
{
    if (auto it = m_plans.find(key); it != m_plans.end())
        return it->second.get();
    auto plan = std::make_unique<MatmulPlan>();
    const auto transA = static_cast<cublasOperation_t>(std::get<kTransA>(key));
    const auto transB = static_cast<cublasOperation_t>(std::get<kTransB>(key));
    const std::int64_t m = std::get<kM>(key), n = std::get<kN>(key), k = std::get<kK>(key);
    const auto compute = static_cast<cublasComputeType_t>(std::get<kCompute>(key));
    plan->integer = compute == CUBLAS_COMPUTE_32I;
    plan->bias = std::get<kBias>(key) != 0;
    auto check = [&](cublasStatus_t st, const char* what) {
        if (st == CUBLAS_STATUS_SUCCESS)
            return true;
        recordError(ErrorCode::Cuda, fmt::format("{}: {} (matmul {}x{}x{})", what, statusText(st), m, n, k));
        return false;
    };
    if (!check(cublasLtMatmulDescCreate(&plan->op, compute, plan->integer ? CUDA_R_32I : CUDA_R_32F),
            "cublasLtMatmulDescCreate"))
        return nullptr;
    const std::int32_t ta = transA, tb = transB;
    check(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), "TRANSA");
    check(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb), "TRANSB");
    if (plan->bias) {
        const std::uint32_t epilogue = CUBLASLT_EPILOGUE_BIAS;
        check(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue),
            "EPILOGUE");
        check(cublasLtMatmulDescSetAttribute(
                  plan->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &biasPointer, sizeof biasPointer),
            "BIAS_POINTER");
    }
    // Stored shapes: op(A) is m x k, op(B) is k x n, D is m x n (column-major).
    const auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
    const bool tA = transA == CUBLAS_OP_T, tB = transB == CUBLAS_OP_T;
    if (!check(cublasLtMatrixLayoutCreate(&plan->a, static_cast<cudaDataType_t>(std::get<kTypeA>(key)), u(tA ? k : m),
                   u(tA ? m : k), std::get<kLda>(key)),
            "layout A")
        || !check(cublasLtMatrixLayoutCreate(&plan->b, static_cast<cudaDataType_t>(std::get<kTypeB>(key)),
                      u(tB ? n : k), u(tB ? k : n), std::get<kLdb>(key)),
            "layout B")
        || !check(cublasLtMatrixLayoutCreate(
                      &plan->d, static_cast<cudaDataType_t>(std::get<kTypeD>(key)), u(m), u(n), std::get<kLdd>(key)),
            "layout D"))
        return nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    if (check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate")) {
        const std::uint64_t workspace = cublasWorkspaceBytes();
        cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof workspace);
        const std::uint32_t align[4]
            = {static_cast<std::uint32_t>(std::get<13>(key)), static_cast<std::uint32_t>(std::get<14>(key)),
                static_cast<std::uint32_t>(std::get<15>(key)), static_cast<std::uint32_t>(std::get<15>(key))};
        cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &align[0], sizeof align[0]);
        cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &align[1], sizeof align[1]);
        cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align[2], sizeof align[2]);
        cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align[3], sizeof align[3]);
        cublasLtMatmulHeuristicResult_t result {};
        int found = 0;
        cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(
            m_cublas.get(), plan->op, plan->a, plan->b, plan->d, plan->d, pref, 1, &result, &found);
        if (st == CUBLAS_STATUS_SUCCESS && found > 0) {
            plan->algo = result.algo;
            plan->workspace = result.workspaceSize;
            plan->found = true;
        }
        cublasLtMatmulPreferenceDestroy(pref);
    }
    return m_plans.emplace(key, std::move(plan)).first->second.get();
}

namespace {

int computeType(DType weights, Fp32Math math)
{
    if (weights == DType::I8)
        return CUBLAS_COMPUTE_32I;
    if (weights == DType::F32 && math == Fp32Math::Tf32)
        return CUBLAS_COMPUTE_32F_FAST_TF32;
    return CUBLAS_COMPUTE_32F;
}

/// Forward key: D(n x M) = W^T (W stored k x n) . in (k x M).
MatmulKey forwardKey(std::int64_t M, std::int64_t K, std::int64_t N, DType type, DType out, int compute, bool bias,
    const void* w, const void* in, const void* d, const void* biasPtr)
{
    return MatmulKey {CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, K, K, N, cudaType(type), cudaType(type), cudaType(out),
        compute, bias ? 1 : 0, alignmentOf(w), alignmentOf(in), alignmentOf(d), bias ? alignmentOf(biasPtr) : 0};
}

/// Weight-gradient key: D(k x n) = in (k x M) . dout^T (dout stored n x M).
MatmulKey weightGradKey(std::int64_t M, std::int64_t K, std::int64_t N, DType type, int compute, const void* in,
    const void* dout, const void* d)
{
    return MatmulKey {CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, K, N, K, cudaType(type), cudaType(type), cudaType(DType::F32),
        compute, 0, alignmentOf(in), alignmentOf(dout), alignmentOf(d), 0};
}

} // namespace

Result<std::unique_ptr<PackedWeight>> CudaBackend::createPackedWeight(const PackedWeightDesc& desc)
{
    if (!cudaSupports(Op::Matmul, desc.dtype))
        return fail(
            ErrorCode::Unsupported, fmt::format("the CUDA backend has no {} matmul", dtypeName(desc.dtype)), LWB_WHERE);
    if (desc.dtype == DType::I8 && desc.layout != WeightLayout::Transposed)
        return fail(ErrorCode::Unsupported, "int8 weights are only supported for forward (transposed) use", LWB_WHERE);
    if (desc.n <= 0 || desc.k <= 0)
        return fail(ErrorCode::InvalidArgument, fmt::format("bad weight shape {}x{}", desc.n, desc.k), LWB_WHERE);
    auto w = std::make_unique<CudaPackedWeight>();
    w->m_desc = desc;
    LWB_ASSIGN_OR_RETURN(w->m_data, allocate({desc.n, desc.k}, desc.dtype, MemoryKind::Parameters));
    if (desc.dtype == DType::I8) {
        LWB_ASSIGN_OR_RETURN(w->m_colScale, allocate({desc.n}, DType::F32, MemoryKind::Parameters));
    }
    // Size the scratch for the announced row counts now, so that memory planning sees it.
    for (std::int64_t m : desc.rowHints) {
        std::size_t need = 0;
        if (desc.dtype == DType::I8)
            need = int8Scratch(m, desc.k, desc.n).total;
        else if (desc.dtype != DType::F32)
            need = static_cast<std::size_t>(m * desc.k) * 2; // f32 activations converted for 16-bit weights
        if (need && !ensureScratch(need))
            break;
    }
    LWB_RETURN_IF_ERROR(synchronize());
    return std::unique_ptr<PackedWeight>(std::move(w));
}

void CudaBackend::packWeight(PackedWeight& packedWeight, const Tensor& source)
{
    auto& w = static_cast<CudaPackedWeight&>(packedWeight);
    const auto& d = w.m_desc;
    Trace trace(*this, "pack_weight", OpCategory::Memcpy, 0, static_cast<double>(source.bytes() + w.bytes()));
    if (source.dtype() != DType::F32 || source.numel() != d.n * d.k) {
        recordError(
            ErrorCode::InvalidArgument, fmt::format("packWeight needs an f32 source of {}x{} elements", d.n, d.k));
        return;
    }
    if (d.dtype == DType::I8) {
        launchQuantizeRows(*m_queue,
            QuantizeRowsArgs {
                w.m_data.data<std::int8_t>(), w.m_colScale.data<float>(), source.data<float>(), d.n, d.k, d.k});
        return;
    }
    launchPack(*m_queue,
        PackArgs {w.m_data.data(), source.data<float>(), d.n, d.k, static_cast<Elem>(static_cast<int>(d.dtype)),
            d.layout == WeightLayout::Plain ? 1 : 0});
}

void CudaBackend::matmul(
    const Tensor& out, const Tensor& in, const PackedWeight& packedWeight, const Tensor& bias, Accumulate mode)
{
    const auto& w = static_cast<const CudaPackedWeight&>(packedWeight);
    const auto& d = w.m_desc;
    const std::int64_t M = in.shape().rows(), K = in.shape().cols(), N = d.n;
    Trace trace(*this, "matmul", OpCategory::Compute, 2.0 * static_cast<double>(M * N * K),
        static_cast<double>(in.bytes() + out.bytes() + w.bytes()));
    if (K != d.k || out.shape().cols() != N || out.shape().rows() != M || out.dtype() != DType::F32) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("matmul shapes: in {} x weight [{}, {}] -> out {} ({})", in.shape().toString(), d.n, d.k,
                out.shape().toString(), dtypeName(out.dtype())));
        return;
    }
    if (M == 0)
        return;
    const Tensor noBias;
    const bool accumulate = mode == Accumulate::Add;

    if (d.dtype == DType::I8) {
        if (in.dtype() != DType::F32) {
            recordError(ErrorCode::Unsupported, "int8 matmuls take f32 activations (quantised per row on the fly)");
            return;
        }
        const Int8Scratch s = int8Scratch(M, K, N);
        if (!ensureScratch(s.total))
            return;
        auto* quantized = reinterpret_cast<std::int8_t*>(scratch() + s.quantized);
        auto* rowScale = reinterpret_cast<float*>(scratch() + s.rowScale);
        auto* acc = reinterpret_cast<std::int32_t*>(scratch() + s.acc);
        launchQuantizeRows(*m_queue, QuantizeRowsArgs {quantized, rowScale, in.data<float>(), M, K, K});
        const MatmulPlan* plan = nullptr;
        if (M >= 16 && K % 4 == 0 && N % 4 == 0) {
            plan = matmulPlan(forwardKey(M, K, N, DType::I8, DType::I32, CUBLAS_COMPUTE_32I, false, w.m_data.data(),
                                  quantized, acc, nullptr),
                nullptr);
        }
        if (plan && plan->found) {
            LtCallArgs call {m_cublas.get(), plan, w.m_data.data(), quantized, acc, nullptr, cublasWorkspace(),
                cublasWorkspaceBytes(), 1.0f, 0.0f, 1, 0};
            m_queue->submit(StreamCall::make(&ltMatmulThunk, call));
        } else {
            launchInt8Gemm(*m_queue, Int8GemmArgs {acc, quantized, w.m_data.data<std::int8_t>(), M, N, K});
        }
        launchDequantize(*m_queue,
            DequantizeArgs {out.data<float>(), acc, rowScale, w.m_colScale.data<float>(),
                bias.defined() ? bias.data<float>() : nullptr, M, N, accumulate ? 1 : 0, 0});
        return;
    }

    const void* src = in.data();
    if (in.dtype() != d.dtype) {
        if (!(in.dtype() == DType::F32 && (d.dtype == DType::BF16 || d.dtype == DType::F16))) {
            recordError(ErrorCode::Unsupported,
                fmt::format("matmul of {} input with {} weights", dtypeName(in.dtype()), dtypeName(d.dtype)));
            return;
        }
        if (!ensureScratch(static_cast<std::size_t>(M * K) * 2))
            return;
        launchConvert(*m_queue,
            ConvertArgs {scratch(), in.data(), M * K, static_cast<Elem>(static_cast<int>(d.dtype)), Elem::F32});
        src = scratch();
    }
    const bool epilogueBias = bias.defined() && alignmentOf(bias.data()) >= 16;
    const MatmulPlan* plan = matmulPlan(forwardKey(M, K, N, d.dtype, DType::F32, computeType(d.dtype, m_cuda.fp32Math),
                                            epilogueBias, w.m_data.data(), src, out.data(), bias.data()),
        bias.data());
    if (!plan)
        return;
    if (!plan->found) {
        recordError(ErrorCode::Unsupported,
            fmt::format("cuBLASLt has no algorithm for a {} matmul of {}x{}x{}", dtypeName(d.dtype), M, K, N));
        return;
    }
    LtCallArgs call {m_cublas.get(), plan, w.m_data.data(), src, out.data(), epilogueBias ? bias.data() : nullptr,
        cublasWorkspace(), cublasWorkspaceBytes(), 1.0f, accumulate ? 1.0f : 0.0f, 1, 0};
    m_queue->submit(StreamCall::make(&ltMatmulThunk, call));
    if (bias.defined() && !epilogueBias)
        launchAddBias(*m_queue, AddBiasArgs {out.data<float>(), bias.data<float>(), M, N});
}

Status CudaBackend::prepareWeightGrad(std::int64_t m, std::int64_t n, std::int64_t k, DType dtype)
{
    if (dtype != DType::F32 && dtype != DType::BF16 && dtype != DType::F16)
        return fail(ErrorCode::Unsupported,
            fmt::format("the CUDA backend has no {} weight-gradient matmul", dtypeName(dtype)), LWB_WHERE);
    // The backward pass's column reductions (bias and LayerNorm parameter gradients) and the
    // embedding sort use the scratch buffer: size it now so that memory planning sees it.
    const std::size_t reductions = static_cast<std::size_t>(std::max(biasGradPartialFloats(m, std::max(n, k)),
                                       layernormBackwardPartialFloats(m, std::min(n, k))))
        * sizeof(float);
    if (!ensureScratch(std::max(reductions, embeddingBackwardTempBytes(m, std::int64_t {1} << 20))))
        return synchronize();
    if (!planning()) {
        const void* aligned = reinterpret_cast<const void*>(std::uintptr_t {256});
        matmulPlan(
            weightGradKey(m, k, n, dtype, computeType(dtype, m_cuda.fp32Math), aligned, aligned, aligned), nullptr);
    }
    return synchronize();
}

void CudaBackend::matmulWeightGrad(const Tensor& dweight, const Tensor& dout, const Tensor& in, Accumulate mode)
{
    const std::int64_t M = in.shape().rows(), K = in.shape().cols(), N = dout.shape().cols();
    Trace trace(*this, "matmul_weight_grad", OpCategory::Compute, 2.0 * static_cast<double>(M * N * K),
        static_cast<double>(in.bytes() + dout.bytes() + dweight.bytes()));
    if (dout.shape().rows() != M || dweight.numel() != N * K || dout.dtype() != in.dtype()
        || dweight.dtype() != DType::F32
        || !(in.dtype() == DType::F32 || in.dtype() == DType::BF16 || in.dtype() == DType::F16)) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("matmul_weight_grad shapes: dout {} ({}), in {} ({}), dweight {}", dout.shape().toString(),
                dtypeName(dout.dtype()), in.shape().toString(), dtypeName(in.dtype()), dweight.shape().toString()));
        return;
    }
    if (M == 0) {
        if (mode == Accumulate::Overwrite)
            launchFill(*m_queue, FillArgs {dweight.data(), static_cast<i64>(dweight.bytes()), 0.0f, 1});
        return;
    }
    const MatmulPlan* plan = matmulPlan(weightGradKey(M, K, N, in.dtype(), computeType(in.dtype(), m_cuda.fp32Math),
                                            in.data(), dout.data(), dweight.data()),
        nullptr);
    if (!plan)
        return;
    if (!plan->found) {
        recordError(ErrorCode::Unsupported,
            fmt::format(
                "cuBLASLt has no algorithm for a {} weight gradient of {}x{}x{}", dtypeName(in.dtype()), M, K, N));
        return;
    }
    LtCallArgs call {m_cublas.get(), plan, in.data(), dout.data(), dweight.data(), nullptr, cublasWorkspace(),
        cublasWorkspaceBytes(), 1.0f, mode == Accumulate::Add ? 1.0f : 0.0f, 1, 0};
    m_queue->submit(StreamCall::make(&ltMatmulThunk, call));
}

void CudaBackend::biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate mode)
{
    const std::int64_t M = dout.shape().rows(), N = dout.shape().cols();
    Trace trace(*this, "bias_grad", OpCategory::Compute, static_cast<double>(M * N), static_cast<double>(dout.bytes()));
    if (!(dout.dtype() == DType::F32 || dout.dtype() == DType::BF16 || dout.dtype() == DType::F16)) {
        recordError(ErrorCode::Unsupported, "bias_grad needs an f32, bf16 or f16 gradient");
        return;
    }
    if (!ensureScratch(static_cast<std::size_t>(biasGradPartialFloats(M, N)) * sizeof(float)))
        return;
    launchBiasGrad(*m_queue,
        BiasGradArgs {dbias.data<float>(), reinterpret_cast<float*>(scratch()), dout.data(), M, N,
            static_cast<Elem>(static_cast<int>(dout.dtype())), mode == Accumulate::Add ? 1 : 0});
}

} // namespace lwb::engine::cuda
