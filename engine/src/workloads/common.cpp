// Shared workload machinery (see common.h).
#include "workloads/common.h"

#include "lwb/core/clock.h"

#if LWB_HAVE_CUDA
#include "cuda/cuda_registry.h"
#endif

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <thread>

namespace lwb::engine::detail {

KnobSpec intKnob(std::string name, std::string description, std::int64_t value, double min, double max, KnobScale scale,
    std::string unit)
{
    KnobSpec k;
    k.name = std::move(name);
    k.type = KnobType::Int;
    k.description = std::move(description);
    k.defaultValue = value;
    k.min = min;
    k.max = max;
    k.scale = scale;
    k.unit = std::move(unit);
    return k;
}

KnobSpec floatKnob(
    std::string name, std::string description, double value, double min, double max, KnobScale scale, std::string unit)
{
    KnobSpec k = intKnob(std::move(name), std::move(description), 0, min, max, scale, std::move(unit));
    k.type = KnobType::Float;
    k.defaultValue = value;
    return k;
}

KnobSpec choiceKnob(std::string name, std::string description, std::string value, std::vector<std::string> choices)
{
    KnobSpec k;
    k.name = std::move(name);
    k.type = KnobType::Categorical;
    k.description = std::move(description);
    k.defaultValue = std::move(value);
    k.choices = std::move(choices);
    return k;
}

KnobSpec textKnob(std::string name, std::string description)
{
    return choiceKnob(std::move(name), std::move(description), "", {});
}

namespace {

bool readsSetting(const BackendFactory& factory, const std::string& knob)
{
    return std::find(factory.settingNames.begin(), factory.settingNames.end(), knob) != factory.settingNames.end();
}

} // namespace

std::map<std::string, std::vector<std::string>> supportedPrecisions(Purpose purpose)
{
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& name : backendNames()) {
        const BackendFactory* f = findBackend(name);
        auto& list = out[name];
        for (auto p : {Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Int8}) {
            DType d = weightDType(p);
            bool ok = f->supports(Op::Matmul, d);
            if (purpose == Purpose::Training)
                ok = ok && p != Precision::Int8 && f->supports(Op::MatmulWeightGrad, d);
            if (ok)
                list.emplace_back(precisionName(p));
        }
        // tf32 = the fp32 model with TF32 matmuls: only a backend with the fp32_math setting has it.
        if (readsSetting(*f, "fp32_math") && std::find(list.begin(), list.end(), "fp32") != list.end())
            list.emplace_back("tf32");
    }
    return out;
}

std::vector<KnobSpec> backendSettingKnobs()
{
    std::vector<KnobSpec> knobs;
#if LWB_HAVE_CUDA
    for (auto& k : cuda::cudaSettingKnobs()) {
        k.description += " (cuda backend only)";
        knobs.push_back(std::move(k));
    }
#endif
    for (auto& k : knobs)
        for (const auto& name : backendNames())
            if (!readsSetting(*findBackend(name), k.name))
                k.supportedByBackend[name] = {knobValueToString(k.defaultValue)};
    return knobs;
}

std::vector<KnobSpec> commonKnobs(Purpose purpose, std::int64_t defaultBatch)
{
    std::vector<KnobSpec> knobs;
    knobs.push_back(choiceKnob("backend", "compute backend", "cpu", backendNames()));
    KnobSpec precision = choiceKnob("precision",
        purpose == Purpose::Training
            ? "fp32; tf32 (fp32 tensors, TF32 tensor-core matmuls: cuda only); bf16 mixed precision (bf16 matmul "
              "operands, fp32 master weights and optimiser state); fp16 mixed precision with dynamic loss scaling"
            : "fp32; tf32 (fp32 tensors, TF32 tensor-core matmuls: cuda only); bf16; fp16; int8 (per-channel s8 "
              "weights, per-row s8 activations, s32 accumulation)",
        "fp32", {"fp32", "tf32", "bf16", "fp16", "int8"});
    precision.supportedByBackend = supportedPrecisions(purpose);
    knobs.push_back(std::move(precision));
    knobs.push_back(intKnob("batch_size",
        purpose == Purpose::Training ? "sequences (samples) per micro-batch and replica"
                                     : "requests per batch and stream",
        defaultBatch, 1, 4096, KnobScale::PowerOfTwo));
    // Up to twice the logical cores: enough to see oversubscription, bounded for the tuner.
    const double maxThreads = std::max(2.0, 2.0 * static_cast<double>(std::thread::hardware_concurrency()));
    knobs.push_back(intKnob("threads", "intra-op threads per replica", 1, 1, maxThreads));
    if (purpose == Purpose::Training) {
        knobs.push_back(
            intKnob("replicas", "data-parallel replicas (gradients all-reduced every step)", 1, 1, maxThreads));
    } else {
        knobs.push_back(intKnob("streams",
            "concurrent inference streams sharing the weights (a backend instance each: CPU threads, CUDA streams "
            "on one GPU)",
            1, 1, maxThreads));
        knobs.push_back(
            intKnob("replicas", "the former name of streams (same value; set one of the two)", 1, 1, maxThreads));
    }
    knobs.push_back(floatKnob("memory_limit", "device memory budget in GB; 0 = what the device has available", 0.0, 0.0,
        1e6, KnobScale::Linear, "GB"));
    knobs.push_back(intKnob("seed", "seed of the weights and data order", 1337, 0, 2147483647.0));
    knobs.push_back(textKnob("checkpoint", "safetensors weights to start from (empty: random init from seed)"));
    for (auto& k : backendSettingKnobs())
        knobs.push_back(std::move(k));
    return knobs;
}

std::vector<KnobSpec> gptModelKnobs()
{
    return {intKnob("n_layer", "transformer blocks", 6, 1, 96),
        intKnob("n_embd", "model width (channels); a multiple of n_head", 384, 16, 8192),
        intKnob("n_head", "attention heads", 6, 1, 128),
        intKnob("seq_len", "context length (training sequence length; positions of the model)", 256, 2, 8192,
            KnobScale::Linear, "tokens")};
}

Status checkGptShape(const Config& config)
{
    const std::int64_t embd = intValue(config, "n_embd"), heads = intValue(config, "n_head");
    if (embd % heads != 0)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("invalid value {} for knob 'n_embd': must be a multiple of knob 'n_head' ({})", embd, heads),
            LWB_WHERE);
    return {};
}

std::int64_t intValue(const Config& config, const std::string& name)
{
    auto it = config.find(name);
    if (it == config.end())
        return 0;
    if (const auto* v = std::get_if<std::int64_t>(&it->second))
        return *v;
    if (const auto* d = std::get_if<double>(&it->second))
        return static_cast<std::int64_t>(*d);
    return 0;
}

double floatValue(const Config& config, const std::string& name)
{
    auto it = config.find(name);
    if (it == config.end())
        return 0;
    if (const auto* d = std::get_if<double>(&it->second))
        return *d;
    if (const auto* v = std::get_if<std::int64_t>(&it->second))
        return static_cast<double>(*v);
    return 0;
}

std::string textValue(const Config& config, const std::string& name)
{
    auto it = config.find(name);
    if (it == config.end())
        return {};
    if (const auto* s = std::get_if<std::string>(&it->second))
        return *s;
    return knobValueToString(it->second);
}

namespace {

/// Inference: `streams` and its former name `replicas` are one setting; the one given wins.
Status resolveStreamsAlias(const Config& partial, Config& config)
{
    auto streams = partial.find("streams");
    auto replicas = partial.find("replicas");
    if (streams != partial.end() && replicas != partial.end() && streams->second != replicas->second)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("knob 'streams' ({}) and its former name 'replicas' ({}) disagree: set one of them",
                knobValueToString(streams->second), knobValueToString(replicas->second)),
            LWB_WHERE);
    if (streams != partial.end())
        config["replicas"] = config.at("streams");
    else
        config["streams"] = config.at("replicas");
    return {};
}

} // namespace

Result<Config> resolveCommon(const Workload& workload, const Config& partial, Purpose purpose)
{
    LWB_ASSIGN_OR_RETURN(Config config, workload.Workload::resolve(partial));
    const std::string backend = textValue(config, "backend");
    const std::string precision = textValue(config, "precision");
    if (purpose == Purpose::Training && precision == "int8")
        return fail(ErrorCode::Unsupported,
            fmt::format(
                "precision 'int8' is for inference only ({} trains in fp32, tf32, bf16 or fp16)", workload.name()),
            LWB_WHERE);
    if (purpose == Purpose::Inference)
        LWB_RETURN_IF_ERROR(resolveStreamsAlias(partial, config));
    for (const KnobSpec& k : workload.knobs()) {
        if (k.supportedByBackend.empty())
            continue;
        Status s = validateKnob(k, config.at(k.name), backend);
        if (!s && k.name == "precision" && precision == "tf32")
            return fail(ErrorCode::Unsupported,
                fmt::format("precision 'tf32' (fp32 tensors, TF32 tensor-core matmuls) is not supported by the {} "
                            "backend: it has no TF32 matmuls (the cuda backend has); use fp32",
                    backend),
                LWB_WHERE);
        LWB_RETURN_IF_ERROR(s);
    }
    if (const BackendFactory* f = findBackend(backend); f && f->unavailableReason) {
        if (std::string why = f->unavailableReason(); !why.empty())
            return fail(
                ErrorCode::Unavailable, fmt::format("backend '{}' cannot run here: {}", backend, why), LWB_WHERE);
    }
    return config;
}

Result<Precision> modelPrecision(const Config& config)
{
    const std::string name = textValue(config, "precision");
    if (name == "tf32")
        return Precision::Fp32;
    return parsePrecision(name);
}

BackendSettings backendSettings(const Config& config)
{
    BackendSettings settings;
    for (const auto& k : backendSettingKnobs())
        if (auto it = config.find(k.name); it != config.end())
            settings[k.name] = it->second;
    if (textValue(config, "precision") == "tf32")
        settings["fp32_math"] = std::string("tf32");
    return settings;
}

DeviceSetup deviceSetup(const Config& config)
{
    DeviceSetup setup;
    setup.backend = textValue(config, "backend");
    setup.threads = static_cast<int>(intValue(config, "threads"));
    setup.replicas = static_cast<int>(intValue(config, "replicas"));
    setup.settings = backendSettings(config);
    return setup;
}

// ---- replicas --------------------------------------------------------------------------------

Status ReplicaSet::run(const std::function<Status(int)>& fn)
{
    std::vector<Status> results(backends.size());
    pool->run([&](int r) {
        try {
            results[static_cast<std::size_t>(r)] = fn(r);
        } catch (const std::exception& e) {
            results[static_cast<std::size_t>(r)]
                = fail(ErrorCode::Internal, std::string("unexpected exception: ") + e.what(), LWB_WHERE);
        }
    });
    for (auto& s : results)
        if (!s)
            return s;
    return {};
}

Result<ReplicaSet> makeReplicas(const DeviceSetup& setup, std::shared_ptr<MemoryTracker> tracker)
{
    ReplicaSet set;
    set.tracker = std::move(tracker);
    set.threads = setup.threads;
    set.placement = setup.placement;
    BackendOptions options;
    options.threads = setup.threads;
    options.memory = set.tracker;
    options.settings = setup.settings;
    const std::int64_t firstDevice
        = options.settings.count("cuda_device") ? std::get<std::int64_t>(options.settings.at("cuda_device")) : 0;
    for (int r = 0; r < setup.replicas; ++r) {
        if (setup.placement == ReplicaPlacement::DevicePerReplica && r > 0) {
            // Replica r on GPU cuda_device + r, with that device's own tracker (same budget).
            const MemoryStats stats = set.tracker->stats();
            options.memory = std::make_shared<MemoryTracker>(stats.limitBytes, set.tracker->mode());
            options.settings["cuda_device"] = firstDevice + r;
        }
        LWB_ASSIGN_OR_RETURN(auto b, createBackend(setup.backend, options));
        set.backends.push_back(std::move(b));
    }
    set.pool = std::make_unique<cpu::ThreadPool>(setup.replicas);
    return set;
}

Result<ReplicaSet> planMemory(const DeviceSetup& setup, std::int64_t limitBytes,
    const std::function<Status(ReplicaSet&)>& allocate, std::int64_t* plannedBytes)
{
    MemoryStats planned;
    std::int64_t available = 0;
    {
        auto planTracker = std::make_shared<MemoryTracker>(limitBytes, MemoryTracker::Mode::Plan);
        LWB_ASSIGN_OR_RETURN(ReplicaSet plan, makeReplicas(setup, planTracker));
        LWB_RETURN_IF_ERROR(allocate(plan));
        planned = planTracker->stats();
        available = plan.primary().deviceAvailableBytes();
    }
    if (plannedBytes)
        *plannedBytes = planned.peakBytes;
    if (limitBytes > 0 && planned.peakBytes > limitBytes)
        return fail(ErrorCode::OutOfMemory,
            fmt::format("out of device memory: this configuration needs {} but memory_limit is {:.1f} MB; nothing "
                        "was allocated",
                planned.describe(), static_cast<double>(limitBytes) / 1e6),
            LWB_WHERE);
    // Without a budget the device itself is the limit (keeping 10% for everything else), so that a
    // configuration too large for the machine fails cleanly instead of being killed mid-allocation.
    if (available > 0 && planned.peakBytes > available / 10 * 9)
        return fail(ErrorCode::OutOfMemory,
            fmt::format("out of device memory: this configuration needs {} but the {} device has only {:.1f} MB "
                        "available; nothing was allocated",
                planned.describe(), setup.backend, static_cast<double>(available) / 1e6),
            LWB_WHERE);
    return makeReplicas(setup, std::make_shared<MemoryTracker>(limitBytes));
}

// ---- training --------------------------------------------------------------------------------

double learningRate(const TrainHyper& h, std::int64_t step)
{
    if (step < h.warmupSteps)
        return h.lr * static_cast<double>(step + 1) / static_cast<double>(h.warmupSteps);
    double denom = static_cast<double>(std::max<std::int64_t>(1, h.maxSteps - h.warmupSteps));
    double progress = std::min(1.0, static_cast<double>(step - h.warmupSteps) / denom);
    double minLr = h.minLrFraction * h.lr;
    return minLr + 0.5 * (h.lr - minLr) * (1.0 + std::cos(M_PI * progress));
}

Result<DataParallelOptimizer> DataParallelOptimizer::create(ReplicaSet& replicas, const Tensor& params,
    std::vector<Tensor> grads, LossScaling scaling, DynamicLossScaler::Settings scalerSettings)
{
    DataParallelOptimizer opt;
    opt.m_scaling = scaling;
    opt.m_scaler = DynamicLossScaler(scalerSettings);
    opt.m_params = params;
    opt.m_grads = std::move(grads);
    Backend& be = replicas.primary();
    LWB_ASSIGN_OR_RETURN(opt.m_m, be.allocate({params.numel()}, DType::F32, MemoryKind::OptimizerState));
    LWB_ASSIGN_OR_RETURN(opt.m_v, be.allocate({params.numel()}, DType::F32, MemoryKind::OptimizerState));
    for (int r = 0; r < replicas.size(); ++r) {
        LWB_ASSIGN_OR_RETURN(auto slot, be.allocate({1}, DType::F32, MemoryKind::Workspace));
        opt.m_norms.push_back(std::move(slot));
    }
    return opt;
}

Result<DataParallelOptimizer> DataParallelOptimizer::createPerDevice(ReplicaSet& replicas, std::vector<Tensor> params,
    std::vector<Tensor> grads, LossScaling scaling, DynamicLossScaler::Settings scalerSettings)
{
    DataParallelOptimizer opt;
    opt.m_scaling = scaling;
    opt.m_scaler = DynamicLossScaler(scalerSettings);
    opt.m_params = params.front();
    opt.m_grads = std::move(grads);
    opt.m_replicaParams = std::move(params);
    for (int r = 0; r < replicas.size(); ++r) {
        Backend& be = *replicas.backends[static_cast<std::size_t>(r)];
        const std::int64_t n = opt.m_params.numel();
        LWB_ASSIGN_OR_RETURN(auto m, be.allocate({n}, DType::F32, MemoryKind::OptimizerState));
        LWB_ASSIGN_OR_RETURN(auto v, be.allocate({n}, DType::F32, MemoryKind::OptimizerState));
        LWB_ASSIGN_OR_RETURN(auto slot, be.allocate({1}, DType::F32, MemoryKind::Workspace));
        opt.m_replicaM.push_back(std::move(m));
        opt.m_replicaV.push_back(std::move(v));
        opt.m_norms.push_back(std::move(slot));
    }
    return opt;
}

Result<OptimizerStepResult> DataParallelOptimizer::decide(
    double scaledNorm, std::int64_t step, double lr, const TrainHyper& hyper, AdamWStep& s)
{
    OptimizerStepResult result;
    result.lossScale = lossScale();
    if (m_scaling == LossScaling::Dynamic
        && m_scaler.update(std::isfinite(scaledNorm)) == DynamicLossScaler::Decision::Skip) {
        result.gradNorm = scaledNorm;
        result.applied = false; // fp16 overflow: no update, the scale was reduced
        return result;
    }
    if (!std::isfinite(scaledNorm))
        return fail(ErrorCode::NumericalError,
            fmt::format(
                "training diverged: the gradient norm is {} at step {} (the update was not applied)", scaledNorm, step),
            LWB_WHERE);
    const double norm = scaledNorm / result.lossScale;
    result.gradNorm = norm;
    const double clip = hyper.gradClip > 0 && norm > hyper.gradClip ? hyper.gradClip / (norm + 1e-6) : 1.0;
    s.lr = static_cast<float>(lr);
    s.beta1 = static_cast<float>(hyper.beta1);
    s.beta2 = static_cast<float>(hyper.beta2);
    s.eps = static_cast<float>(hyper.eps);
    s.weightDecay = static_cast<float>(hyper.weightDecay);
    s.gradScale = static_cast<float>(clip / result.lossScale);
    s.t = step - m_scaler.skippedSteps(); // bias correction counts applied updates (as PyTorch's GradScaler)
    return result;
}

Result<OptimizerStepResult> DataParallelOptimizer::step(
    ReplicaSet& replicas, std::int64_t step, double lr, const TrainHyper& hyper, OpObserver* observer)
{
    if (!m_replicaParams.empty())
        return stepPerDevice(replicas, step, lr, hyper);
    const int R = replicas.size();
    const std::int64_t n = m_params.numel();
    std::vector<float> partial(static_cast<std::size_t>(R), 0.0f);
    auto chunkOf = [&](const Tensor& t, int r) {
        auto [b, e] = cpu::ThreadPool::chunk(n, 16, R, r);
        return std::pair {t.view(b, {e - b}), e > b};
    };
    // Reduce-scatter (replica r sums chunk r of every replica's gradients into replica 0's
    // buffer, in replica order) and the chunk's sum of squares.
    LWB_RETURN_IF_ERROR(replicas.run([&](int r) -> Status {
        Backend& be = *replicas.backends[static_cast<std::size_t>(r)];
        std::int64_t start = observer && R > 1 ? monotonicNs() : 0;
        auto [g0, any] = chunkOf(m_grads[0], r);
        if (!any)
            return {};
        for (int j = 1; j < R; ++j)
            be.add(g0, g0, chunkOf(m_grads[static_cast<std::size_t>(j)], r).first);
        if (observer && R > 1) {
            OpEvent e;
            e.name = "allreduce_reduce_scatter";
            e.category = OpCategory::Communication;
            e.stream = static_cast<std::uint32_t>(r * replicas.threads);
            e.startNs = start;
            e.endNs = monotonicNs();
            e.bytes = static_cast<double>(g0.bytes()) * R;
            e.step = step;
            observer->onOp(e);
        }
        be.sumSquares(m_norms[static_cast<std::size_t>(r)], g0);
        be.copyToHost(&partial[static_cast<std::size_t>(r)], m_norms[static_cast<std::size_t>(r)]);
        return be.synchronize();
    }));
    double total = 0;
    for (float p : partial)
        total += p;
    AdamWStep s;
    LWB_ASSIGN_OR_RETURN(OptimizerStepResult result, decide(std::sqrt(total), step, lr, hyper, s));
    if (!result.applied)
        return result;
    LWB_RETURN_IF_ERROR(replicas.run([&](int r) -> Status {
        Backend& be = *replicas.backends[static_cast<std::size_t>(r)];
        auto [p, any] = chunkOf(m_params, r);
        if (any)
            be.adamw(p, chunkOf(m_grads[0], r).first, chunkOf(m_m, r).first, chunkOf(m_v, r).first, s);
        return be.synchronize();
    }));
    return result;
}

Result<OptimizerStepResult> DataParallelOptimizer::stepPerDevice(
    ReplicaSet& replicas, std::int64_t step, double lr, const TrainHyper& hyper)
{
    // Every replica waits for its all-reduces and computes the norm of the (identical) summed
    // gradients; replica 0's decides for all, so the copies of the weights stay identical.
    std::vector<float> partial(static_cast<std::size_t>(replicas.size()), 0.0f);
    LWB_RETURN_IF_ERROR(replicas.run([&](int r) -> Status {
        const auto i = static_cast<std::size_t>(r);
        Backend& be = *replicas.backends[i];
        if (m_allReduce) {
            if (Status finished = m_allReduce->finish(r); !finished)
                return finished;
        }
        be.sumSquares(m_norms[i], m_grads[i]);
        be.copyToHost(&partial[i], m_norms[i]);
        return be.synchronize();
    }));
    AdamWStep s;
    LWB_ASSIGN_OR_RETURN(OptimizerStepResult result, decide(std::sqrt(partial[0]), step, lr, hyper, s));
    if (!result.applied)
        return result;
    LWB_RETURN_IF_ERROR(replicas.run([&](int r) -> Status {
        const auto i = static_cast<std::size_t>(r);
        Backend& be = *replicas.backends[i];
        be.adamw(m_replicaParams[i], m_grads[i], m_replicaM[i], m_replicaV[i], s);
        return be.synchronize();
    }));
    return result;
}

double percentile(std::vector<double> values, double q)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    double pos = q / 100.0 * static_cast<double>(values.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = std::min(values.size() - 1, lo + 1);
    double frac = pos - static_cast<double>(lo);
    return values[lo] * (1 - frac) + values[hi] * frac;
}

} // namespace lwb::engine::detail
