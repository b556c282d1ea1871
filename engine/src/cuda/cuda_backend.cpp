// CUDA backend: device setup, memory, host copies (pinned staging ring or per-segment staging
// in graph mode), tracing and the non-matmul ops, each validated on the host and handed to the
// launchers of kernels.h. Matmuls are in cuda_matmul.cpp, the registration in cuda_registry.cpp.
#include "cuda/cuda_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/core.h>

#if LWB_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#endif

namespace lwb::engine::cuda {

namespace {

Elem elem(DType d)
{
    return static_cast<Elem>(static_cast<std::int32_t>(d));
}

bool isFloatType(DType d)
{
    return d == DType::F32 || d == DType::BF16 || d == DType::F16;
}

std::string cudaText(cudaError_t err)
{
    return fmt::format("{} ({})", cudaGetErrorName(err), cudaGetErrorString(err));
}

Error cudaFailure(cudaError_t err, const std::string& what, std::string where)
{
    cudaGetLastError();
    return Error {err == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Cuda,
        what + ": " + cudaText(err), std::move(where)};
}

constexpr std::size_t kAlign = 256;

std::size_t alignUp(std::size_t bytes)
{
    return (bytes + kAlign - 1) / kAlign * kAlign;
}

} // namespace

// ---- capabilities, knobs, device ---------------------------------------------------------------

bool cudaSupports(Op op, DType dtype)
{
    switch (op) {
    case Op::Matmul:
        return dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16 || dtype == DType::I8;
    case Op::MatmulWeightGrad:
        // fp16 training: the workloads drive dynamic loss scaling (workloads/loss_scaler.h).
        return dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16;
    case Op::Convert:
    case Op::LayerNorm:
    case Op::ResidualLayerNorm:
    case Op::Gelu:
    case Op::GeluBackward:
    case Op::Attention:
    case Op::AttentionBackward:
    case Op::AttentionKvCache:
    case Op::CrossEntropy:
    case Op::BiasGrad:
        return isFloatType(dtype);
    default:
        return dtype == DType::F32;
    }
}

std::vector<KnobSpec> cudaKnobs()
{
    std::vector<KnobSpec> knobs;
    KnobSpec device;
    device.name = "cuda_device";
    device.type = KnobType::Int;
    device.description = "GPU ordinal the CUDA backend runs on (with several GPUs, gpt-train replica r runs on "
                         "cuda_device + r; on one GPU replicas are concurrent streams)";
    device.defaultValue = std::int64_t {0};
    device.min = 0;
    device.max = 63;
    knobs.push_back(device);
    KnobSpec math;
    math.name = "fp32_math";
    math.type = KnobType::Categorical;
    math.description = "fp32 matmuls: strict IEEE fp32, or TF32 tensor cores (10-bit mantissa inputs)";
    math.defaultValue = std::string("strict");
    math.choices = {"strict", "tf32"};
    knobs.push_back(math);
    KnobSpec graphs;
    graphs.name = "cuda_graphs";
    graphs.type = KnobType::Bool;
    graphs.description = "record the work between synchronisations as CUDA graphs and replay them";
    graphs.defaultValue = false;
    knobs.push_back(graphs);
    KnobSpec pinned;
    pinned.name = "pinned_memory";
    pinned.type = KnobType::Bool;
    pinned.description = "stage host-to-device copies in page-locked buffers (asynchronous to the host)";
    pinned.defaultValue = true;
    knobs.push_back(pinned);
    KnobSpec depth;
    depth.name = "prefetch_depth";
    depth.type = KnobType::Int;
    depth.description = "pinned staging buffers, i.e. host-to-device copies in flight before the host waits";
    depth.defaultValue = std::int64_t {2};
    depth.min = 1;
    depth.max = 16;
    knobs.push_back(depth);
    return knobs;
}

Result<CudaOptions> cudaOptionsFromConfig(const Config& config)
{
    CudaOptions o;
    for (const auto& knob : cudaKnobs()) {
        auto it = config.find(knob.name);
        if (it == config.end())
            continue;
        LWB_RETURN_IF_ERROR(validateKnob(knob, it->second));
        const KnobValue& v = it->second;
        if (knob.name == "cuda_device")
            o.device = static_cast<int>(std::get<std::int64_t>(v));
        else if (knob.name == "fp32_math")
            o.fp32Math = std::get<std::string>(v) == "tf32" ? Fp32Math::Tf32 : Fp32Math::Strict;
        else if (knob.name == "cuda_graphs")
            o.graphs = std::get<bool>(v) ? GraphMode::CaptureReplay : GraphMode::Off;
        else if (knob.name == "pinned_memory")
            o.staging = std::get<bool>(v) ? HostStaging::Pinned : HostStaging::Pageable;
        else if (knob.name == "prefetch_depth")
            o.prefetchDepth = static_cast<int>(std::get<std::int64_t>(v));
    }
    return o;
}

Result<DeviceProperties> queryDevice(int device)
{
    int count = 0;
    if (cudaError_t err = cudaGetDeviceCount(&count); err != cudaSuccess)
        return fail(cudaFailure(err, "cudaGetDeviceCount", LWB_WHERE));
    if (device < 0 || device >= count)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("cuda_device {} does not exist ({} visible device(s))", device, count), LWB_WHERE);
    cudaDeviceProp p {};
    if (cudaError_t err = cudaGetDeviceProperties(&p, device); err != cudaSuccess)
        return fail(cudaFailure(err, "cudaGetDeviceProperties", LWB_WHERE));
    DeviceProperties d;
    d.index = device;
    d.name = p.name;
    d.computeMajor = p.major;
    d.computeMinor = p.minor;
    d.smCount = p.multiProcessorCount;
    d.memoryBytes = static_cast<std::int64_t>(p.totalGlobalMem);
    d.l2Bytes = p.l2CacheSize;
    d.sharedMemoryPerBlockOptin = static_cast<std::int64_t>(p.sharedMemPerBlockOptin);
    cudaDeviceGetAttribute(&d.smClockKHz, cudaDevAttrClockRate, device);
    cudaDeviceGetAttribute(&d.memoryClockKHz, cudaDevAttrMemoryClockRate, device);
    cudaDeviceGetAttribute(&d.memoryBusWidthBits, cudaDevAttrGlobalMemoryBusWidth, device);
    cudaRuntimeGetVersion(&d.runtimeVersion);
    cudaDriverGetVersion(&d.driverVersion);
    cudaGetLastError();
    return d;
}

// ---- creation ----------------------------------------------------------------------------------

Result<std::unique_ptr<Backend>> createCudaBackend(const BackendOptions& options, const CudaOptions& cuda)
{
    return CudaBackend::create(options, cuda);
}

Result<std::unique_ptr<Backend>> CudaBackend::create(const BackendOptions& options, const CudaOptions& cuda)
{
    if (cuda.prefetchDepth < 1)
        return fail(ErrorCode::InvalidArgument, fmt::format("prefetch_depth must be >= 1, got {}", cuda.prefetchDepth),
            LWB_WHERE);
    auto tracker = options.memory ? options.memory : std::make_shared<MemoryTracker>();
    std::unique_ptr<CudaBackend> backend(new CudaBackend(options, cuda, std::move(tracker)));
    LWB_RETURN_IF_ERROR(backend->init());
    return std::unique_ptr<Backend>(std::move(backend));
}

CudaBackend::CudaBackend(const BackendOptions& options, const CudaOptions& cuda, std::shared_ptr<MemoryTracker> tracker)
    : m_tracker(std::move(tracker))
    , m_cuda(cuda)
    , m_threads(options.threads)
{
}

void CudaBackend::useDevice() const
{
    int current = -1;
    if (cudaGetDevice(&current) != cudaSuccess || current != m_cuda.device)
        cudaSetDevice(m_cuda.device);
}

Status CudaBackend::init()
{
    LWB_ASSIGN_OR_RETURN(m_props, queryDevice(m_cuda.device));
    if (m_props.computeMajor < 8)
        return fail(ErrorCode::Unsupported,
            fmt::format("the CUDA backend needs compute capability 8.0 or newer (bf16 tensor cores); {} is {}.{}",
                m_props.name, m_props.computeMajor, m_props.computeMinor),
            LWB_WHERE);
    if (cudaError_t err = cudaSetDevice(m_cuda.device); err != cudaSuccess)
        return fail(cudaFailure(err, "cudaSetDevice", LWB_WHERE));
    if (cudaError_t err = probeKernelImage(); err != cudaSuccess) {
        cudaGetLastError();
        return fail(ErrorCode::Unavailable,
            fmt::format("this build has no kernels for {} (compute capability {}.{}): {}; rebuild with "
                        "-DLWB_CUDA_ARCHS including {}{}",
                m_props.name, m_props.computeMajor, m_props.computeMinor, cudaText(err), m_props.computeMajor,
                m_props.computeMinor),
            LWB_WHERE);
    }
    if (cudaError_t err = configureDevicePool(m_cuda.device); err != cudaSuccess)
        return fail(cudaFailure(err, "configuring the device memory pool", LWB_WHERE));
    if (cudaError_t err = createStream(m_streamHandle); err != cudaSuccess)
        return fail(cudaFailure(err, "cudaStreamCreateWithFlags", LWB_WHERE));
    m_stream = m_streamHandle.get();
    m_queue = std::make_unique<LaunchQueue>(m_stream, m_cuda.graphs, [this](cudaError_t err, const std::string& what) {
        recordError(err == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Cuda, what);
    });
    if (cublasStatus_t st = createCublasLt(m_cublas); st != CUBLAS_STATUS_SUCCESS)
        return fail(
            ErrorCode::Cuda, fmt::format("cublasLtCreate failed with status {}", static_cast<int>(st)), LWB_WHERE);
    // cuBLASLt picks faster kernels with a workspace: 32 MiB on Hopper and newer, 4 MiB before.
    const std::int64_t workspace = m_props.computeMajor >= 9 ? (32 << 20) : (4 << 20);
    LWB_ASSIGN_OR_RETURN(m_cublasWorkspace, allocate({workspace}, DType::U8, MemoryKind::Workspace));
    LWB_ASSIGN_OR_RETURN(m_flag, allocate({1}, DType::I32, MemoryKind::Workspace));
    if (!planning() && m_cuda.staging == HostStaging::Pinned && m_cuda.graphs == GraphMode::Off) {
        m_slots.resize(static_cast<std::size_t>(m_cuda.prefetchDepth));
        for (auto& s : m_slots)
            if (cudaError_t err = createEvent(s.done); err != cudaSuccess)
                return fail(cudaFailure(err, "cudaEventCreateWithFlags", LWB_WHERE));
    }
    return {};
}

CudaBackend::~CudaBackend()
{
    if (m_queue) {
        useDevice();
        m_queue->flush();
        cudaStreamSynchronize(m_stream);
        // Own buffers go now (their stream still exists); anything still held elsewhere is orphaned.
        m_flag = Tensor();
        m_scratch = Tensor();
        m_cublasWorkspace = Tensor();
        cudaStreamSynchronize(m_stream);
        orphanAllocations(m_queue.get());
    }
    // Handles go in dependency order: plans before their cuBLASLt context, the queue (and its
    // graphs) before the stream.
    m_slots.clear();
    m_graphSlots.clear();
    m_plans.clear();
    m_cublas.reset();
    m_queue.reset();
    m_streamHandle.reset();
    cudaGetLastError();
}

// ---- errors, tracing ---------------------------------------------------------------------------

void CudaBackend::recordError(ErrorCode code, std::string message)
{
    if (!m_failed) {
        m_failed = true;
        m_error = Error {code, std::move(message), fmt::format("cuda backend (device {})", m_cuda.device)};
    }
}

CudaBackend::Trace::Trace(CudaBackend& backend, const char* name, OpCategory category, double flops, double bytes)
    : m_backend(backend)
    , m_name(name)
    , m_category(category)
    , m_flops(flops)
    , m_bytes(bytes)
    , m_start(backend.m_observer ? monotonicNs() : 0)
{
#if LWB_HAVE_NVTX
    nvtxRangePushA(name);
#endif
    backend.useDevice();
}

CudaBackend::Trace::~Trace()
{
#if LWB_HAVE_NVTX
    nvtxRangePop();
#endif
    if (OpObserver* observer = m_backend.m_observer) {
        OpEvent e;
        e.name = m_name;
        e.category = m_category;
        e.device = m_backend.m_cuda.device;
        e.stream = m_backend.m_traceStream;
        e.startNs = m_start;
        e.endNs = monotonicNs();
        e.flops = m_flops;
        e.bytes = m_bytes;
        e.step = m_backend.m_step;
        observer->onOp(e);
    }
}

// ---- memory and synchronisation ----------------------------------------------------------------

Result<Tensor> CudaBackend::allocate(const Shape& shape, DType dtype, MemoryKind kind)
{
    if (shape.numel() < 0)
        return fail(ErrorCode::InvalidArgument, "negative tensor size " + shape.toString(), LWB_WHERE);
    const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtypeSize(dtype);
    const std::size_t rounded = alignUp(std::max<std::size_t>(bytes, 1)); // cuBLASLt's 256-byte alignment
    LWB_RETURN_IF_ERROR(m_tracker->reserve(rounded, kind));
    void* data = nullptr;
    if (!planning()) {
        useDevice();
        if (cudaError_t err = cudaMallocAsync(&data, rounded, m_stream); err != cudaSuccess) {
            cudaGetLastError();
            m_tracker->release(rounded, kind);
            std::size_t freeBytes = 0, totalBytes = 0;
            cudaMemGetInfo(&freeBytes, &totalBytes);
            cudaGetLastError();
            if (err == cudaErrorMemoryAllocation)
                return fail(ErrorCode::OutOfMemory,
                    fmt::format("out of GPU memory: allocating {:.1f} MB of {} failed on {} ({:.1f} MB free of {:.1f} "
                                "MB; this process has {})",
                        static_cast<double>(rounded) / 1e6, memoryKindName(kind), m_props.name,
                        static_cast<double>(freeBytes) / 1e6, static_cast<double>(totalBytes) / 1e6,
                        m_tracker->stats().describe()),
                    LWB_WHERE);
            return fail(cudaFailure(err, "cudaMallocAsync", LWB_WHERE));
        }
        registerAllocation(data, m_queue.get(), m_cuda.device);
        if (cudaError_t err = cudaMemsetAsync(data, 0, rounded, m_stream); err != cudaSuccess)
            recordError(ErrorCode::Cuda, "zeroing a new allocation: " + cudaText(err));
    }
    auto buffer = std::make_shared<DeviceBuffer>(data, rounded, kind, m_tracker, &freeDeviceAllocation);
    return Tensor(std::move(buffer), 0, shape, dtype);
}

std::int64_t CudaBackend::deviceAvailableBytes() const
{
    useDevice();
    std::size_t freeBytes = 0, totalBytes = 0;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    std::uint64_t reserved = 0, used = 0;
    cudaMemPool_t pool = nullptr;
    if (cudaDeviceGetDefaultMemPool(&pool, m_cuda.device) == cudaSuccess
        && cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &reserved) == cudaSuccess
        && cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &used) == cudaSuccess && reserved > used)
        freeBytes += static_cast<std::size_t>(reserved - used);
    cudaGetLastError();
    return static_cast<std::int64_t>(freeBytes);
}

bool CudaBackend::ensureScratch(std::size_t bytes)
{
    if (m_scratch.defined() && m_scratch.bytes() >= bytes)
        return true;
    m_scratch = Tensor(); // freed after the work that used it (stream order, or after the graph)
    auto fresh = allocate({static_cast<std::int64_t>(alignUp(bytes))}, DType::U8, MemoryKind::Workspace);
    if (!fresh) {
        recordError(fresh.error().code, fresh.error().message);
        return false;
    }
    m_scratch = std::move(*fresh);
    return true;
}

Status CudaBackend::synchronize()
{
    if (m_queue) {
        useDevice();
        m_queue->flush();
        if (cudaError_t err = cudaStreamSynchronize(m_stream); err != cudaSuccess)
            recordError(err == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Cuda,
                "stream synchronisation: " + cudaText(err));
    }
    if (!m_failed)
        return {};
    m_failed = false;
    return fail(std::move(m_error));
}

void CudaBackend::copyFromHost(const Tensor& dst, const void* src)
{
    Trace trace(*this, "copy_h2d", OpCategory::Memcpy, 0, static_cast<double>(dst.bytes()));
    const std::size_t bytes = dst.bytes();
    if (bytes == 0 || !dst.data())
        return;
    if (m_queue->mode() == GraphMode::CaptureReplay) {
        // One pinned buffer per copy position of the segment: stable addresses for the replays.
        const auto slot = static_cast<std::size_t>(m_queue->nextCopySlot());
        if (m_graphSlots.size() <= slot)
            m_graphSlots.resize(slot + 1);
        if (cudaError_t err = m_graphSlots[slot].reserve(bytes); err != cudaSuccess) {
            recordError(ErrorCode::OutOfMemory, "pinned staging buffer: " + cudaText(err));
            return;
        }
        std::memcpy(m_graphSlots[slot].data(), src, bytes);
        launchMemcpy(*m_queue,
            MemcpyArgs {dst.data(), m_graphSlots[slot].data(), static_cast<i64>(bytes), cudaMemcpyHostToDevice, 0});
        return;
    }
    cudaError_t err = cudaSuccess;
    if (m_slots.empty()) {
        // Pageable: the runtime stages the source before returning, so `src` may be reused.
        err = cudaMemcpyAsync(dst.data(), src, bytes, cudaMemcpyHostToDevice, m_stream);
    } else {
        StagingSlot& s = m_slots[static_cast<std::size_t>(m_nextSlot)];
        m_nextSlot = (m_nextSlot + 1) % static_cast<int>(m_slots.size());
        if (s.inFlight)
            err = cudaEventSynchronize(s.done.get()); // the copy that used this buffer last is done
        if (err == cudaSuccess)
            err = s.buffer.reserve(bytes);
        if (err == cudaSuccess) {
            std::memcpy(s.buffer.data(), src, bytes);
            err = cudaMemcpyAsync(dst.data(), s.buffer.data(), bytes, cudaMemcpyHostToDevice, m_stream);
        }
        if (err == cudaSuccess)
            err = cudaEventRecord(s.done.get(), m_stream);
        s.inFlight = err == cudaSuccess;
    }
    if (err != cudaSuccess) {
        cudaGetLastError();
        recordError(ErrorCode::Cuda, "host-to-device copy: " + cudaText(err));
    }
}

void CudaBackend::copyToHost(void* dst, const Tensor& src)
{
    Trace trace(*this, "copy_d2h", OpCategory::Memcpy, 0, static_cast<double>(src.bytes()));
    if (src.bytes() == 0 || !src.data())
        return;
    m_queue->flush();
    cudaError_t err = cudaMemcpyAsync(dst, src.data(), src.bytes(), cudaMemcpyDeviceToHost, m_stream);
    if (err == cudaSuccess)
        err = cudaStreamSynchronize(m_stream);
    if (err != cudaSuccess) {
        cudaGetLastError();
        recordError(ErrorCode::Cuda, "device-to-host copy: " + cudaText(err));
    }
}

Result<bool> CudaBackend::allFinite(const Tensor& x)
{
    if (x.dtype() != DType::F32)
        return fail(ErrorCode::InvalidArgument, "allFinite needs an f32 tensor", LWB_WHERE);
    {
        Trace trace(*this, "non_finite_check", OpCategory::Optimizer, 0, static_cast<double>(x.bytes()));
        launchFill(*m_queue, FillArgs {m_flag.data(), 4, 0.0f, 1});
        launchNonFinite(*m_queue, NonFiniteArgs {x.data<float>(), m_flag.data<std::int32_t>(), x.numel()});
    }
    std::int32_t flag = 0;
    copyToHost(&flag, m_flag);
    LWB_RETURN_IF_ERROR(synchronize());
    return flag == 0;
}

// ---- elementwise and data movement ---------------------------------------------------------------

void CudaBackend::fill(const Tensor& dst, float value)
{
    Trace trace(*this, "fill", OpCategory::Memset, 0, static_cast<double>(dst.bytes()));
    if (value == 0.0f) {
        launchFill(*m_queue, FillArgs {dst.data(), static_cast<i64>(dst.bytes()), 0.0f, 1});
        return;
    }
    if (dst.dtype() != DType::F32) {
        recordError(ErrorCode::Unsupported, "fill with a non-zero value needs an f32 tensor");
        return;
    }
    launchFill(*m_queue, FillArgs {dst.data(), dst.numel(), value, 0});
}

void CudaBackend::copy(const Tensor& dst, const Tensor& src)
{
    Trace trace(*this, "copy", OpCategory::Memcpy, 0, 2.0 * static_cast<double>(src.bytes()));
    launchMemcpy(*m_queue,
        MemcpyArgs {
            dst.data(), src.data(), static_cast<i64>(std::min(dst.bytes(), src.bytes())), cudaMemcpyDeviceToDevice, 0});
}

void CudaBackend::convert(const Tensor& dst, const Tensor& src)
{
    Trace trace(*this, "convert", OpCategory::Compute, 0, static_cast<double>(dst.bytes() + src.bytes()));
    if (dst.dtype() == src.dtype()) {
        launchMemcpy(*m_queue,
            MemcpyArgs {dst.data(), src.data(), static_cast<i64>(std::min(dst.bytes(), src.bytes())),
                cudaMemcpyDeviceToDevice, 0});
        return;
    }
    if (!isFloatType(dst.dtype()) || !isFloatType(src.dtype())) {
        recordError(ErrorCode::Unsupported,
            fmt::format("convert from {} to {} is not supported", dtypeName(src.dtype()), dtypeName(dst.dtype())));
        return;
    }
    launchConvert(*m_queue,
        ConvertArgs {dst.data(), src.data(), std::min(dst.numel(), src.numel()), elem(dst.dtype()), elem(src.dtype())});
}

void CudaBackend::add(const Tensor& dst, const Tensor& a, const Tensor& b)
{
    Trace trace(
        *this, "add", OpCategory::Compute, static_cast<double>(dst.numel()), 3.0 * static_cast<double>(dst.bytes()));
    if (dst.dtype() != DType::F32 || a.dtype() != DType::F32 || b.dtype() != DType::F32) {
        recordError(ErrorCode::Unsupported, "add needs f32 tensors");
        return;
    }
    launchAdd(*m_queue, AddArgs {dst.data<float>(), a.data<float>(), b.data<float>(), dst.numel()});
}

void CudaBackend::selectRows(const Tensor& dst, const Tensor& src, std::int64_t first, std::int64_t step)
{
    Trace trace(*this, "select_rows", OpCategory::Memcpy, 0, 2.0 * static_cast<double>(dst.bytes()));
    launchSelectRows(*m_queue,
        SelectRowsArgs {dst.data<unsigned char>(), src.data<unsigned char>(), dst.shape().rows(),
            static_cast<i64>(static_cast<std::size_t>(dst.shape().cols()) * dtypeSize(dst.dtype())), first, step});
}

// ---- GPT building blocks ------------------------------------------------------------------------

void CudaBackend::embeddingForward(
    const Tensor& out, const Tensor& tokens, const Tensor& wte, const Tensor& wpe, std::int64_t posOffset)
{
    const std::int64_t N = tokens.numel(), T = tokens.shape().cols(), C = wte.shape().cols();
    Trace trace(
        *this, "embedding_fwd", OpCategory::Compute, static_cast<double>(N * C), 12.0 * static_cast<double>(N * C));
    launchEmbeddingForward(*m_queue,
        EmbeddingForwardArgs {
            out.data<float>(), tokens.data<std::int32_t>(), wte.data<float>(), wpe.data<float>(), N, T, C, posOffset});
}

void CudaBackend::embeddingBackward(const Tensor& dwte, const Tensor& dwpe, const Tensor& dout, const Tensor& tokens)
{
    const std::int64_t N = tokens.numel(), T = tokens.shape().cols(), C = dwte.shape().cols(), V = dwte.shape()[0];
    Trace trace(*this, "embedding_bwd", OpCategory::Compute, 2.0 * static_cast<double>(N * C),
        16.0 * static_cast<double>(N * C));
    const std::size_t temp = embeddingBackwardTempBytes(N, V);
    if (!ensureScratch(temp))
        return;
    launchEmbeddingBackward(*m_queue,
        EmbeddingBackwardArgs {dwte.data<float>(), dwpe.data<float>(), dout.data<float>(), tokens.data<std::int32_t>(),
            scratch(), temp, N, T, C, V, embeddingSortBits(V), 0});
}

void CudaBackend::layernormForward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& inp,
    const Tensor& weight, const Tensor& bias)
{
    const std::int64_t N = inp.shape().rows(), C = inp.shape().cols();
    Trace trace(*this, "layernorm_fwd", OpCategory::Compute, 8.0 * static_cast<double>(N * C),
        static_cast<double>(inp.bytes() + out.bytes()));
    if (!isFloatType(out.dtype())) {
        recordError(ErrorCode::Unsupported, "layernorm output must be f32, bf16 or f16");
        return;
    }
    launchLayernormForward(*m_queue,
        LayernormForwardArgs {inp.data<float>(), nullptr, nullptr, weight.data<float>(), bias.data<float>(), out.data(),
            mean.defined() ? mean.data<float>() : nullptr, rstd.defined() ? rstd.data<float>() : nullptr, N, C,
            elem(out.dtype()), 0});
}

void CudaBackend::residualLayernormForward(const Tensor& residual, const Tensor& out, const Tensor& mean,
    const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias)
{
    const std::int64_t N = a.shape().rows(), C = a.shape().cols();
    Trace trace(*this, "residual_layernorm_fwd", OpCategory::Compute, 9.0 * static_cast<double>(N * C),
        static_cast<double>(3 * a.bytes() + out.bytes()));
    if (!isFloatType(out.dtype())) {
        recordError(ErrorCode::Unsupported, "layernorm output must be f32, bf16 or f16");
        return;
    }
    launchLayernormForward(*m_queue,
        LayernormForwardArgs {a.data<float>(), b.data<float>(), residual.data<float>(), weight.data<float>(),
            bias.data<float>(), out.data(), mean.defined() ? mean.data<float>() : nullptr,
            rstd.defined() ? rstd.data<float>() : nullptr, N, C, elem(out.dtype()), 0});
}

void CudaBackend::layernormBackward(const Tensor& dinp, const Tensor& dweight, const Tensor& dbias, const Tensor& dout,
    const Tensor& inp, const Tensor& weight, const Tensor& mean, const Tensor& rstd, Accumulate dinpMode,
    Accumulate paramMode)
{
    const std::int64_t N = inp.shape().rows(), C = inp.shape().cols();
    Trace trace(*this, "layernorm_bwd", OpCategory::Compute, 14.0 * static_cast<double>(N * C),
        static_cast<double>(4 * inp.bytes()));
    if (!ensureScratch(static_cast<std::size_t>(layernormBackwardPartialFloats(N, C)) * sizeof(float)))
        return;
    launchLayernormBackward(*m_queue,
        LayernormBackwardArgs {dinp.data<float>(), dweight.data<float>(), dbias.data<float>(),
            reinterpret_cast<float*>(scratch()), dout.data<float>(), inp.data<float>(), weight.data<float>(),
            mean.data<float>(), rstd.data<float>(), N, C, dinpMode == Accumulate::Add ? 1 : 0,
            paramMode == Accumulate::Add ? 1 : 0});
}

void CudaBackend::geluForward(const Tensor& out, const Tensor& inp)
{
    const std::int64_t n = inp.numel();
    Trace trace(*this, "gelu_fwd", OpCategory::Compute, 20.0 * static_cast<double>(n),
        static_cast<double>(inp.bytes() + out.bytes()));
    if (!isFloatType(out.dtype())) {
        recordError(ErrorCode::Unsupported, "gelu output must be f32, bf16 or f16");
        return;
    }
    launchGelu(*m_queue, GeluArgs {out.data(), inp.data<float>(), nullptr, n, elem(out.dtype()), 0});
}

void CudaBackend::geluBackward(const Tensor& dinp, const Tensor& inp, const Tensor& dout)
{
    const std::int64_t n = inp.numel();
    Trace trace(*this, "gelu_bwd", OpCategory::Compute, 30.0 * static_cast<double>(n),
        static_cast<double>(inp.bytes() + dout.bytes() + dinp.bytes()));
    if (!isFloatType(dinp.dtype())) {
        recordError(ErrorCode::Unsupported, "gelu gradient must be f32, bf16 or f16");
        return;
    }
    launchGelu(*m_queue, GeluArgs {dinp.data(), inp.data<float>(), dout.data<float>(), n, elem(dinp.dtype()), 1});
}

namespace {
bool checkHeads(CudaBackend& be, std::int64_t C, int nHead, const char* op)
{
    if (nHead < 1 || C % nHead != 0) {
        be.recordError(
            ErrorCode::InvalidArgument, fmt::format("{}: {} channels do not split into {} heads", op, C, nHead));
        return false;
    }
    if (C / nHead > kMaxAttentionHeadSize) {
        be.recordError(ErrorCode::Unsupported,
            fmt::format("{}: head size {} exceeds the CUDA attention kernels' maximum of {} (use more heads)", op,
                C / nHead, kMaxAttentionHeadSize));
        return false;
    }
    return true;
}
} // namespace

AttentionSavedDesc CudaBackend::attentionSaved(std::int64_t B, std::int64_t NH, std::int64_t T) const
{
    return {AttentionSaves::LogSumExp, Shape {2, B, NH, T}}; // log-sum-exp, then the backward's D
}

void CudaBackend::attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
    const double flops = 2.0 * static_cast<double>(B * T * T * C); // causal half of 2 x (2 T T C)
    Trace trace(*this, "attention_fwd", OpCategory::Compute, flops,
        static_cast<double>(qkv.bytes() + out.bytes()) + 4.0 * static_cast<double>(B * nHead * T));
    if (!checkHeads(*this, C, nHead, "attention_fwd"))
        return;
    launchAttentionForward(*m_queue,
        AttentionForwardArgs {qkv.data<float>(), att.data<float>(), out.data(), B, T, C, nHead, elem(out.dtype()),
            m_cuda.fp32Math == Fp32Math::Tf32 ? 1 : 0});
}

void CudaBackend::attentionBackward(
    const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& out, const Tensor& att, int nHead)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
    // The model's FLOPs (as the CPU backend counts them); the kernels recompute S and dP once more
    // for dQ (7 instead of 4 causal T x T x C products, see attention_backward.cu).
    Trace trace(*this, "attention_bwd", OpCategory::Compute, 4.0 * static_cast<double>(B * T * T * C),
        static_cast<double>(qkv.bytes() + dqkv.bytes() + dout.bytes() + out.bytes()));
    if (!checkHeads(*this, C, nHead, "attention_bwd"))
        return;
    float* lse = att.data<float>();
    launchAttentionBackward(*m_queue,
        AttentionBackwardArgs {dqkv.data(), dout.data<float>(), qkv.data<float>(), out.data(), lse, lse + B * nHead * T,
            B, T, C, nHead, elem(dqkv.dtype()), elem(out.dtype()), m_cuda.fp32Math == Fp32Math::Tf32 ? 1 : 0, 0});
}

void CudaBackend::attentionKvCache(const Tensor& out, const Tensor& qkv, const Tensor& kCache, const Tensor& vCache,
    std::int64_t pos, int nHead, const Tensor& scratchTensor)
{
    const std::int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3, Tmax = vCache.dim(2);
    const std::int64_t L = pos + T;
    Trace trace(*this, "attention_kv_cache", OpCategory::Compute, 4.0 * static_cast<double>(B * T * L * C),
        static_cast<double>(qkv.bytes() + out.bytes()) + 8.0 * static_cast<double>(B * L * C));
    if (nHead < 1 || C % nHead != 0) {
        recordError(ErrorCode::InvalidArgument, "attention_kv_cache: channels do not split into heads");
        return;
    }
    if (pos + T > Tmax || scratchTensor.numel() < B * nHead * T * L) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("attention_kv_cache: positions up to {} exceed the cache ({}) or scratch", pos + T, Tmax));
        return;
    }
    launchAttentionKvCache(*m_queue,
        KvCacheArgs {qkv.data<float>(), kCache.data<float>(), vCache.data<float>(), scratchTensor.data<float>(),
            out.data(), B, T, C, nHead, Tmax, pos, elem(out.dtype()), 0});
}

// ---- loss, sampling, optimiser ------------------------------------------------------------------

void CudaBackend::crossEntropy(const Tensor& losses, const Tensor& dlogits, const Tensor& logits, const Tensor& targets,
    std::int64_t vocab, float dlossScale)
{
    const std::int64_t M = logits.shape().rows(), Vp = logits.shape().cols();
    Trace trace(*this, "cross_entropy", OpCategory::Compute, 8.0 * static_cast<double>(M * vocab),
        static_cast<double>(logits.bytes()) * (dlogits.defined() ? 2.0 : 1.0));
    if (dlogits.defined() && !isFloatType(dlogits.dtype())) {
        recordError(ErrorCode::Unsupported, "dlogits must be f32, bf16 or f16");
        return;
    }
    launchCrossEntropy(*m_queue,
        CrossEntropyArgs {logits.data<float>(), targets.data<std::int32_t>(), losses.data<float>(),
            dlogits.defined() ? dlogits.data() : nullptr, M, vocab, Vp, dlossScale,
            dlogits.defined() ? elem(dlogits.dtype()) : Elem::F32});
}

void CudaBackend::argmax(const Tensor& out, const Tensor& logits, std::int64_t vocab)
{
    const std::int64_t M = logits.shape().rows(), Vp = logits.shape().cols();
    Trace trace(*this, "argmax", OpCategory::Compute, 0, static_cast<double>(logits.bytes()));
    launchArgmax(*m_queue, ArgmaxArgs {out.data<std::int32_t>(), logits.data<float>(), M, vocab, Vp});
}

void CudaBackend::adamw(
    const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWStep& step)
{
    const std::int64_t n = param.numel();
    Trace trace(*this, "adamw", OpCategory::Optimizer, 12.0 * static_cast<double>(n), 28.0 * static_cast<double>(n));
    const double t = static_cast<double>(step.t);
    launchAdamW(*m_queue,
        AdamWArgs {param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), n, step.lr, step.beta1,
            step.beta2, step.eps, step.weightDecay, step.gradScale,
            static_cast<float>(1.0 - std::pow(static_cast<double>(step.beta1), t)),
            static_cast<float>(1.0 - std::pow(static_cast<double>(step.beta2), t))});
}

void CudaBackend::sumSquares(const Tensor& out, const Tensor& x)
{
    const std::int64_t n = x.numel();
    Trace trace(
        *this, "sum_squares", OpCategory::Optimizer, 2.0 * static_cast<double>(n), static_cast<double>(x.bytes()));
    if (!ensureScratch(static_cast<std::size_t>(sumSquaresPartials(n)) * sizeof(double)))
        return;
    launchSumSquares(
        *m_queue, SumSquaresArgs {out.data<float>(), x.data<float>(), reinterpret_cast<double*>(scratch()), n});
}

} // namespace lwb::engine::cuda
