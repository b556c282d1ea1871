// CPU backend: creation, memory, tracing, and the non-matmul ops (each split over the pool by
// rows, items or (batch, head) pairs; see cpu_backend.h). Matmuls are in cpu_matmul.cpp.
#include "cpu/cpu_backend.h"

#include "lwb/core/hardware.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fmt/core.h>
#include <sys/mman.h>

namespace lwb::engine::cpu {

namespace {
const KernelTable* bestKernels()
{
#if defined(LWB_ENGINE_NO_AVX512)
    return &genericKernels();
#else
    return &avx512Kernels();
#endif
}
} // namespace

const CpuFeatures& cpuFeatures()
{
    static const CpuFeatures features = [] {
        CpuFeatures f;
        CpuInfo info = detectCpu();
        f.avx512 = info.has("avx512f") && info.has("avx512bw") && info.has("avx512vl") && info.has("avx512dq");
        f.avx512Bf16 = f.avx512 && info.has("avx512_bf16");
        f.vnni = f.avx512 && info.has("avx512_vnni");
        return f;
    }();
    return features;
}

bool cpuSupports(Op op, DType dtype)
{
    const auto& f = cpuFeatures();
    switch (op) {
    case Op::Matmul:
        return dtype == DType::F32 || (dtype == DType::BF16 && f.avx512Bf16) || (dtype == DType::I8 && f.vnni);
    case Op::MatmulWeightGrad:
        return dtype == DType::F32 || (dtype == DType::BF16 && f.avx512Bf16);
    case Op::Convert:
        return dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16;
    case Op::LayerNorm:
    case Op::ResidualLayerNorm:
    case Op::Gelu:
    case Op::GeluBackward:
    case Op::Attention:
    case Op::AttentionBackward:
    case Op::AttentionKvCache:
    case Op::CrossEntropy:
    case Op::BiasGrad:
        return dtype == DType::F32 || dtype == DType::BF16;
    default:
        return dtype == DType::F32;
    }
}

BackendFactory cpuBackendFactory()
{
    BackendFactory f;
    f.name = "cpu";
    f.description = "CPU: oneDNN matmuls (f32, bf16, int8) and own vectorised kernels";
    f.unavailableReason = [] { return std::string(); };
    f.supports = cpuSupports;
    f.create = [](const BackendOptions& options) { return CpuBackend::create(options); };
    return f;
}

Result<std::unique_ptr<Backend>> CpuBackend::create(const BackendOptions& options)
{
    auto tracker = options.memory ? options.memory : std::make_shared<MemoryTracker>();
    try {
        std::unique_ptr<CpuBackend> backend(new CpuBackend(options, std::move(tracker)));
        backend->m_kernels
            = options.cpuKernels == CpuKernels::Best && cpuFeatures().avx512 ? bestKernels() : &genericKernels();
        return std::unique_ptr<Backend>(std::move(backend));
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, fmt::format("creating the CPU backend failed: {}", e.what()), LWB_WHERE);
    }
}

CpuBackend::CpuBackend(const BackendOptions& options, std::shared_ptr<MemoryTracker> tracker)
    : m_tracker(std::move(tracker))
    , m_pool(options.threads)
    , m_kernels(&genericKernels())
    , m_engine(dnnl::engine::kind::cpu, 0)
{
    useSingleThreadedOneDnnOnThisThread();
    for (int t = 0; t < m_pool.size(); ++t)
        m_streams.emplace_back(m_engine);
    m_threadWorkspace.resize(static_cast<std::size_t>(m_pool.size()));
    m_partials.resize(static_cast<std::size_t>(m_pool.size()));
}

CpuBackend::~CpuBackend() = default;

CpuBackend::Trace::~Trace()
{
    if (OpObserver* observer = m_backend.m_observer) {
        OpEvent e;
        e.name = m_name;
        e.category = m_category;
        e.device = -1;
        e.stream = m_backend.m_stream;
        e.startNs = m_start;
        e.endNs = monotonicNs();
        e.flops = m_flops;
        e.bytes = m_bytes;
        e.step = m_backend.m_step;
        observer->onOp(e);
    }
}

void CpuBackend::recordError(ErrorCode code, std::string message)
{
    if (!m_failed) {
        m_failed = true;
        m_error = Error {code, std::move(message), "cpu backend"};
    }
}

Status CpuBackend::synchronize()
{
    if (!m_failed)
        return {};
    m_failed = false;
    return fail(std::move(m_error));
}

Result<Tensor> CpuBackend::allocate(const Shape& shape, DType dtype, MemoryKind kind)
{
    if (shape.numel() < 0)
        return fail(ErrorCode::InvalidArgument, "negative tensor size " + shape.toString(), LWB_WHERE);
    std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtypeSize(dtype);
    constexpr std::size_t kHuge = std::size_t {2} << 20;
    const std::size_t align = bytes >= 2 * kHuge ? kHuge : 64;
    std::size_t rounded = (std::max<std::size_t>(bytes, 1) + align - 1) / align * align;
    LWB_RETURN_IF_ERROR(m_tracker->reserve(rounded, kind));
    void* data = nullptr;
    if (!planning()) {
        data = std::aligned_alloc(align, rounded);
        if (!data) {
            m_tracker->release(rounded, kind);
            return fail(ErrorCode::OutOfMemory,
                fmt::format("the host could not allocate {:.1f} MB", static_cast<double>(rounded) / 1e6), LWB_WHERE);
        }
        if (align == kHuge)
            madvise(data, rounded, MADV_HUGEPAGE);
        std::memset(data, 0, rounded);
    }
    auto buffer = std::make_shared<DeviceBuffer>(data, rounded, kind, m_tracker, &std::free);
    return Tensor(std::move(buffer), 0, shape, dtype);
}

std::int64_t CpuBackend::deviceAvailableBytes() const
{
    std::FILE* f = std::fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    std::int64_t kb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
            break;
    std::fclose(f);
    return kb * 1024;
}

bool CpuBackend::ensureThreadWorkspace(std::size_t bytes)
{
    for (auto& ws : m_threadWorkspace) {
        if (ws.defined() && ws.bytes() >= bytes)
            continue;
        auto fresh
            = allocate(Shape {static_cast<std::int64_t>((bytes + 63) / 64 * 16)}, DType::F32, MemoryKind::Workspace);
        if (!fresh) {
            recordError(fresh.error().code, fresh.error().message);
            return false;
        }
        ws = std::move(*fresh);
    }
    return true;
}

bool CpuBackend::ensureSharedWorkspace(std::size_t bytes)
{
    if (m_sharedWorkspace.defined() && m_sharedWorkspace.bytes() >= bytes)
        return true;
    m_sharedWorkspace = Tensor();
    auto fresh = allocate(Shape {static_cast<std::int64_t>((bytes + 63) / 64 * 64)}, DType::U8, MemoryKind::Workspace);
    if (!fresh) {
        recordError(fresh.error().code, fresh.error().message);
        return false;
    }
    m_sharedWorkspace = std::move(*fresh);
    return true;
}

void CpuBackend::copyFromHost(const Tensor& dst, const void* src)
{
    Trace trace(*this, "copy_h2d", OpCategory::Memcpy, 0, static_cast<double>(dst.bytes()));
    std::memcpy(dst.data(), src, dst.bytes());
}

void CpuBackend::copyToHost(void* dst, const Tensor& src)
{
    Trace trace(*this, "copy_d2h", OpCategory::Memcpy, 0, static_cast<double>(src.bytes()));
    std::memcpy(dst, src.data(), src.bytes());
}

// ---- elementwise -----------------------------------------------------------------------------

namespace {
constexpr std::int64_t kElementGrain = 4096;
bf16* asBf16(const Tensor& t)
{
    return t.dtype() == DType::BF16 ? t.data<bf16>() : nullptr;
}
float* asF32(const Tensor& t)
{
    return t.dtype() == DType::F32 ? t.data<float>() : nullptr;
}
} // namespace

void CpuBackend::fill(const Tensor& dst, float value)
{
    Trace trace(*this, "fill", OpCategory::Memset, 0, static_cast<double>(dst.bytes()));
    if (value == 0.0f) {
        std::memset(dst.data(), 0, dst.bytes());
        return;
    }
    if (dst.dtype() != DType::F32) {
        recordError(ErrorCode::Unsupported, "fill with a non-zero value needs an f32 tensor");
        return;
    }
    float* d = dst.data<float>();
    for (std::int64_t i = 0; i < dst.numel(); ++i)
        d[i] = value;
}

void CpuBackend::copy(const Tensor& dst, const Tensor& src)
{
    Trace trace(*this, "copy", OpCategory::Memcpy, 0, 2.0 * static_cast<double>(src.bytes()));
    std::memcpy(dst.data(), src.data(), std::min(dst.bytes(), src.bytes()));
}

void CpuBackend::convert(const Tensor& dst, const Tensor& src)
{
    Trace trace(*this, "convert", OpCategory::Compute, 0, static_cast<double>(dst.bytes() + src.bytes()));
    const std::int64_t n = std::min(dst.numel(), src.numel());
    if (dst.dtype() == src.dtype()) {
        std::memcpy(dst.data(), src.data(), std::min(dst.bytes(), src.bytes()));
    } else if (src.dtype() == DType::F32 && dst.dtype() == DType::BF16) {
        m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) {
            k().f32ToBf16(dst.data<bf16>() + i0, src.data<float>() + i0, i1 - i0);
        });
    } else if (src.dtype() == DType::BF16 && dst.dtype() == DType::F32) {
        m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) {
            k().bf16ToF32(dst.data<float>() + i0, src.data<bf16>() + i0, i1 - i0);
        });
    } else if (src.dtype() == DType::F32 && dst.dtype() == DType::F16) {
        for (std::int64_t i = 0; i < n; ++i)
            dst.data<std::uint16_t>()[i] = floatToHalf(src.data<float>()[i]);
    } else if (src.dtype() == DType::F16 && dst.dtype() == DType::F32) {
        for (std::int64_t i = 0; i < n; ++i)
            dst.data<float>()[i] = halfToFloat(src.data<std::uint16_t>()[i]);
    } else {
        recordError(ErrorCode::Unsupported,
            fmt::format("convert from {} to {} is not supported", dtypeName(src.dtype()), dtypeName(dst.dtype())));
    }
}

void CpuBackend::add(const Tensor& dst, const Tensor& a, const Tensor& b)
{
    Trace trace(
        *this, "add", OpCategory::Compute, static_cast<double>(dst.numel()), 3.0 * static_cast<double>(dst.bytes()));
    m_pool.parallelFor(dst.numel(), kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) {
        k().add(dst.data<float>() + i0, a.data<float>() + i0, b.data<float>() + i0, i1 - i0);
    });
}

void CpuBackend::selectRows(const Tensor& dst, const Tensor& src, std::int64_t first, std::int64_t step)
{
    Trace trace(*this, "select_rows", OpCategory::Memcpy, 0, 2.0 * static_cast<double>(dst.bytes()));
    const std::int64_t rows = dst.shape().rows();
    const std::size_t rowBytes = static_cast<std::size_t>(dst.shape().cols()) * dtypeSize(dst.dtype());
    for (std::int64_t r = 0; r < rows; ++r)
        std::memcpy(static_cast<char*>(dst.data()) + static_cast<std::size_t>(r) * rowBytes,
            static_cast<const char*>(src.data()) + static_cast<std::size_t>(first + r * step) * rowBytes, rowBytes);
}

// ---- GPT building blocks ---------------------------------------------------------------------

void CpuBackend::embeddingForward(
    const Tensor& out, const Tensor& tokens, const Tensor& wte, const Tensor& wpe, std::int64_t posOffset)
{
    const std::int64_t N = tokens.numel(), T = tokens.shape().cols(), C = wte.shape().cols();
    Trace trace(
        *this, "embedding_fwd", OpCategory::Compute, static_cast<double>(N * C), 12.0 * static_cast<double>(N * C));
    m_pool.parallelFor(N, 1, [&](std::int64_t r0, std::int64_t r1, int) {
        k().embeddingForward(out.data<float>(), tokens.data<std::int32_t>(), wte.data<float>(), wpe.data<float>(), T, C,
            posOffset, r0, r1);
    });
}

void CpuBackend::embeddingBackward(const Tensor& dwte, const Tensor& dwpe, const Tensor& dout, const Tensor& tokens)
{
    const std::int64_t N = tokens.numel(), T = tokens.shape().cols(), B = N / T, C = dwte.shape().cols();
    const std::int64_t V = dwte.shape()[0];
    Trace trace(*this, "embedding_bwd", OpCategory::Compute, 2.0 * static_cast<double>(N * C),
        16.0 * static_cast<double>(N * C));
    m_pool.run([&](int t) {
        auto [v0, v1] = ThreadPool::chunk(V, 1, m_pool.size(), t);
        k().embeddingBackwardWte(dwte.data<float>(), dout.data<float>(), tokens.data<std::int32_t>(), N, C, v0, v1);
        auto [t0, t1] = ThreadPool::chunk(T, 1, m_pool.size(), t);
        k().embeddingBackwardWpe(dwpe.data<float>(), dout.data<float>(), B, T, C, t0, t1);
    });
}

void CpuBackend::layernormForward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& inp,
    const Tensor& weight, const Tensor& bias)
{
    const std::int64_t N = inp.shape().rows(), C = inp.shape().cols();
    Trace trace(*this, "layernorm_fwd", OpCategory::Compute, 8.0 * static_cast<double>(N * C),
        static_cast<double>(inp.bytes() + out.bytes()));
    LayernormArgs a {inp.data<float>(), nullptr, nullptr, weight.data<float>(), bias.data<float>(), asF32(out),
        asBf16(out), mean.defined() ? mean.data<float>() : nullptr, rstd.defined() ? rstd.data<float>() : nullptr, C};
    m_pool.parallelFor(N, 1, [&](std::int64_t r0, std::int64_t r1, int) { k().layernormForward(a, r0, r1); });
}

void CpuBackend::residualLayernormForward(const Tensor& residual, const Tensor& out, const Tensor& mean,
    const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias)
{
    const std::int64_t N = a.shape().rows(), C = a.shape().cols();
    Trace trace(*this, "residual_layernorm_fwd", OpCategory::Compute, 9.0 * static_cast<double>(N * C),
        static_cast<double>(3 * a.bytes() + out.bytes()));
    LayernormArgs args {a.data<float>(), b.data<float>(), residual.data<float>(), weight.data<float>(),
        bias.data<float>(), asF32(out), asBf16(out), mean.defined() ? mean.data<float>() : nullptr,
        rstd.defined() ? rstd.data<float>() : nullptr, C};
    m_pool.parallelFor(N, 1, [&](std::int64_t r0, std::int64_t r1, int) { k().layernormForward(args, r0, r1); });
}

void CpuBackend::layernormBackward(const Tensor& dinp, const Tensor& dweight, const Tensor& dbias, const Tensor& dout,
    const Tensor& inp, const Tensor& weight, const Tensor& mean, const Tensor& rstd, Accumulate dinpMode,
    Accumulate paramMode)
{
    const std::int64_t N = inp.shape().rows(), C = inp.shape().cols();
    Trace trace(*this, "layernorm_bwd", OpCategory::Compute, 14.0 * static_cast<double>(N * C),
        static_cast<double>(4 * inp.bytes()));
    if (!ensureThreadWorkspace(static_cast<std::size_t>(2 * C) * sizeof(float)))
        return;
    LayernormBackwardArgs a {dinp.data<float>(), dinpMode == Accumulate::Add ? 1 : 0, dout.data<float>(),
        inp.data<float>(), weight.data<float>(), mean.data<float>(), rstd.data<float>(), C};
    const int parts = m_pool.size();
    m_pool.run([&](int t) {
        float* partial = threadWorkspace(t);
        std::memset(partial, 0, static_cast<std::size_t>(2 * C) * sizeof(float));
        auto [r0, r1] = ThreadPool::chunk(N, 1, parts, t);
        if (r0 < r1)
            k().layernormBackward(a, r0, r1, partial, partial + C);
    });
    float* dw = dweight.data<float>();
    float* db = dbias.data<float>();
    if (paramMode == Accumulate::Overwrite) {
        std::memset(dw, 0, static_cast<std::size_t>(C) * sizeof(float));
        std::memset(db, 0, static_cast<std::size_t>(C) * sizeof(float));
    }
    for (int t = 0; t < parts; ++t) {
        const float* partial = threadWorkspace(t);
        k().add(dw, dw, partial, C);
        k().add(db, db, partial + C, C);
    }
}

void CpuBackend::geluForward(const Tensor& out, const Tensor& inp)
{
    const std::int64_t n = inp.numel();
    Trace trace(*this, "gelu_fwd", OpCategory::Compute, 20.0 * static_cast<double>(n),
        static_cast<double>(inp.bytes() + out.bytes()));
    m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) {
        k().geluForward(asF32(out), asBf16(out), inp.data<float>(), i0, i1);
    });
}

void CpuBackend::geluBackward(const Tensor& dinp, const Tensor& inp, const Tensor& dout)
{
    const std::int64_t n = inp.numel();
    Trace trace(*this, "gelu_bwd", OpCategory::Compute, 30.0 * static_cast<double>(n),
        static_cast<double>(inp.bytes() + dout.bytes() + dinp.bytes()));
    m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) {
        k().geluBackward(asF32(dinp), asBf16(dinp), inp.data<float>(), dout.data<float>(), i0, i1);
    });
}

void CpuBackend::attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
    const double flops = 2.0 * static_cast<double>(B * T * T * C); // causal half of 2 x (2 T T C)
    Trace trace(*this, "attention_fwd", OpCategory::Compute, flops,
        static_cast<double>(qkv.bytes() + out.bytes()) + 4.0 * static_cast<double>(B * nHead * T * T));
    if (!ensureThreadWorkspace(static_cast<std::size_t>(attentionWorkspaceFloats(T, C / nHead)) * sizeof(float)))
        return;
    AttentionArgs a {B, T, C, nHead, qkv.data<float>(), att.data<float>(), asF32(out), asBf16(out)};
    m_pool.parallelFor(B * nHead, 1,
        [&](std::int64_t p0, std::int64_t p1, int t) { k().attentionForward(a, p0, p1, threadWorkspace(t)); });
}

void CpuBackend::attentionBackward(
    const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& /*out*/, const Tensor& att, int nHead)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
    Trace trace(*this, "attention_bwd", OpCategory::Compute, 4.0 * static_cast<double>(B * T * T * C),
        static_cast<double>(qkv.bytes() + dqkv.bytes() + dout.bytes()) + 8.0 * static_cast<double>(B * nHead * T * T));
    if (!ensureThreadWorkspace(static_cast<std::size_t>(attentionWorkspaceFloats(T, C / nHead)) * sizeof(float)))
        return;
    AttentionBackwardArgs a {
        B, T, C, nHead, qkv.data<float>(), att.data<float>(), dout.data<float>(), asF32(dqkv), asBf16(dqkv)};
    m_pool.parallelFor(B * nHead, 1,
        [&](std::int64_t p0, std::int64_t p1, int t) { k().attentionBackward(a, p0, p1, threadWorkspace(t)); });
}

void CpuBackend::attentionKvCache(const Tensor& out, const Tensor& qkv, const Tensor& kCache, const Tensor& vCache,
    std::int64_t pos, int nHead, const Tensor& scratch)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3, Tmax = vCache.dim(2);
    const std::int64_t L = pos + T;
    Trace trace(*this, "attention_kv_cache", OpCategory::Compute, 4.0 * static_cast<double>(B * T * L * C),
        static_cast<double>(qkv.bytes() + out.bytes()) + 8.0 * static_cast<double>(B * L * C));
    if (pos + T > Tmax || scratch.numel() < B * nHead * T * L) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("attention_kv_cache: positions up to {} exceed the cache ({}) or scratch", pos + T, Tmax));
        return;
    }
    if (kCache.dtype() != vCache.dtype() || (kCache.dtype() != DType::F32 && kCache.dtype() != DType::BF16)) {
        recordError(ErrorCode::Unsupported, "attention_kv_cache: caches must both be f32 or both bf16");
        return;
    }
    KvCacheArgs a {B, T, C, nHead, Tmax, pos, qkv.data<float>(), kCache.data(), vCache.data(),
        kCache.dtype() == DType::BF16 ? 1 : 0, scratch.data<float>(), asF32(out), asBf16(out)};
    m_pool.parallelFor(B * nHead, 1, [&](std::int64_t p0, std::int64_t p1, int) { k().attentionKvCache(a, p0, p1); });
}

// ---- loss, sampling, optimiser ---------------------------------------------------------------

void CpuBackend::crossEntropy(const Tensor& losses, const Tensor& dlogits, const Tensor& logits, const Tensor& targets,
    std::int64_t vocab, float dlossScale)
{
    const std::int64_t M = logits.shape().rows(), Vp = logits.shape().cols();
    Trace trace(*this, "cross_entropy", OpCategory::Compute, 8.0 * static_cast<double>(M * vocab),
        static_cast<double>(logits.bytes()) * (dlogits.defined() ? 2.0 : 1.0));
    CrossEntropyArgs a {logits.data<float>(), targets.data<std::int32_t>(), losses.data<float>(),
        dlogits.defined() ? asF32(dlogits) : nullptr, dlogits.defined() ? asBf16(dlogits) : nullptr, vocab, Vp,
        dlossScale};
    m_pool.parallelFor(M, 1, [&](std::int64_t r0, std::int64_t r1, int) { k().crossEntropy(a, r0, r1); });
}

void CpuBackend::argmax(const Tensor& out, const Tensor& logits, std::int64_t vocab)
{
    const std::int64_t M = logits.shape().rows(), Vp = logits.shape().cols();
    Trace trace(*this, "argmax", OpCategory::Compute, 0, static_cast<double>(logits.bytes()));
    k().argmax(out.data<std::int32_t>(), logits.data<float>(), vocab, Vp, 0, M);
}

void CpuBackend::adamw(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWStep& step)
{
    const std::int64_t n = param.numel();
    Trace trace(*this, "adamw", OpCategory::Optimizer, 12.0 * static_cast<double>(n), 28.0 * static_cast<double>(n));
    const double t = static_cast<double>(step.t);
    AdamWArgs a {param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), step.lr, step.beta1,
        step.beta2, step.eps, step.weightDecay, step.gradScale,
        static_cast<float>(1.0 - std::pow(static_cast<double>(step.beta1), t)),
        static_cast<float>(1.0 - std::pow(static_cast<double>(step.beta2), t))};
    m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int) { k().adamw(a, i0, i1); });
}

void CpuBackend::sumSquares(const Tensor& out, const Tensor& x)
{
    const std::int64_t n = x.numel();
    Trace trace(
        *this, "sum_squares", OpCategory::Optimizer, 2.0 * static_cast<double>(n), static_cast<double>(x.bytes()));
    std::fill(m_partials.begin(), m_partials.end(), 0.0);
    m_pool.parallelFor(n, kElementGrain, [&](std::int64_t i0, std::int64_t i1, int t) {
        m_partials[static_cast<std::size_t>(t)] = k().sumSquares(x.data<float>() + i0, i1 - i0);
    });
    double total = 0;
    for (double p : m_partials)
        total += p;
    out.data<float>()[0] = static_cast<float>(total);
}

} // namespace lwb::engine::cpu
