// Tests of the CUDA backend beyond op conformance. CudaHost.* need no GPU (registration rules,
// knobs and their way into CudaOptions) and run in every CUDA build; CudaDevice.* need a
// usable GPU and skip with the reason where there is none: memory accounting and limits, real
// out-of-memory, planning, CUDA graph replay against eager execution, pinned/pageable staging,
// TF32, fp16 gradients and the finiteness check, op tracing, sticky errors, and the gpt-train
// workload end to end on the GPU.
#include "cuda/cuda_backend.h"
#include "cuda/cuda_registry.h"
#include "workloads/common.h"

#include "engine_test_util.h"

#include "lwb/engine/gpt.h"

#include <cmath>
#include <mutex>
#include <set>

namespace lwb::engine::cuda {
namespace {

using test::randn;

// ---- no GPU needed ----------------------------------------------------------------------------

TEST(CudaHost, RegistrationNeedsADriverAGpuAndACompiledArchitecture)
{
    CudaInfo none;
    none.unavailableReason = "CUDA driver not found: libcuda.so.1: cannot open shared object file";
    EXPECT_NE(cudaUnusableReason(none).find("libcuda.so.1"), std::string::npos);

    CudaInfo noGpu;
    noGpu.driverAvailable = true;
    noGpu.driverVersion = 13000;
    EXPECT_FALSE(cudaUnusableReason(noGpu).empty());

    GpuInfo hopper;
    hopper.name = "NVIDIA H100 80GB HBM3";
    hopper.computeMajor = 9;
    CudaInfo ok = noGpu;
    ok.gpus = {hopper};
    EXPECT_EQ(cudaUnusableReason(ok), "") << "compute capability 9.0 runs every build (LWB_CUDA_ARCHS <= 90)";

    CudaInfo oldDriver = ok;
    oldDriver.driverVersion = 12040;
    EXPECT_NE(cudaUnusableReason(oldDriver).find("12.4"), std::string::npos);

    GpuInfo turing;
    turing.name = "Tesla T4";
    turing.computeMajor = 7;
    turing.computeMinor = 5;
    CudaInfo old = noGpu;
    old.gpus = {turing};
    EXPECT_NE(cudaUnusableReason(old).find("Tesla T4 (7.5)"), std::string::npos);
}

TEST(CudaHost, TheBackendIsRegisteredExactlyWhenAGpuIsUsable)
{
    const std::string why = cudaUnusableReason(makeDriverCudaProbe()->probe());
    auto names = backendNames();
    const bool registered = std::find(names.begin(), names.end(), "cuda") != names.end();
    EXPECT_EQ(registered, why.empty()) << why;
    auto w = makeBuiltinWorkload("gpt-train");
    ASSERT_TRUE(w.has_value());
    for (const auto& k : (*w)->knobs()) {
        if (k.name == "backend") {
            const bool offered = std::find(k.choices.begin(), k.choices.end(), "cuda") != k.choices.end();
            EXPECT_EQ(offered, registered) << "the backend knob offers cuda only where it can run";
        }
        if (k.name == "precision") {
            EXPECT_EQ(k.supportedByBackend.count("cuda") > 0, registered);
        }
    }
    if (!registered) {
        auto b = createBackend("cuda", BackendOptions {});
        ASSERT_FALSE(b.has_value());
        EXPECT_EQ(b.error().code, ErrorCode::NotFound);
        std::printf("cuda backend not registered here: %s\n", why.c_str());
    }
}

TEST(CudaHost, CapabilitiesAndKnobs)
{
    EXPECT_TRUE(cudaSupports(Op::Matmul, DType::I8));
    EXPECT_TRUE(cudaSupports(Op::Matmul, DType::F16));
    EXPECT_TRUE(cudaSupports(Op::MatmulWeightGrad, DType::BF16));
    EXPECT_TRUE(cudaSupports(Op::MatmulWeightGrad, DType::F16)) << "fp16 training with dynamic loss scaling";
    EXPECT_FALSE(cudaSupports(Op::MatmulWeightGrad, DType::I8));
    EXPECT_TRUE(cudaSupports(Op::Attention, DType::F16));
    EXPECT_FALSE(cudaSupports(Op::AdamW, DType::BF16)) << "fp32 master weights and moments";

    auto o = cudaOptionsFromConfig({{"fp32_math", std::string("tf32")}, {"cuda_graphs", true}, {"pinned_memory", false},
        {"prefetch_depth", std::int64_t {4}}, {"cuda_device", std::int64_t {1}}});
    ASSERT_TRUE(o.has_value()) << o.error().describe();
    EXPECT_EQ(o->fp32Math, Fp32Math::Tf32);
    EXPECT_EQ(o->graphs, GraphMode::CaptureReplay);
    EXPECT_EQ(o->staging, HostStaging::Pageable);
    EXPECT_EQ(o->prefetchDepth, 4);
    EXPECT_EQ(o->device, 1);
    auto defaults = cudaOptionsFromConfig({{"batch_size", std::int64_t {8}}});
    ASSERT_TRUE(defaults.has_value());
    EXPECT_EQ(defaults->graphs, GraphMode::Off);
    EXPECT_EQ(defaults->fp32Math, Fp32Math::Strict);
    auto bad = cudaOptionsFromConfig({{"prefetch_depth", std::int64_t {0}}});
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("prefetch_depth"), std::string::npos);
    auto badMath = cudaOptionsFromConfig({{"fp32_math", std::string("tf64")}});
    ASSERT_FALSE(badMath.has_value());
    EXPECT_NE(badMath.error().message.find("strict, tf32"), std::string::npos);
}

TEST(CudaHost, EveryWorkloadOffersTheCudaKnobsOnlyWhereTheyApply)
{
    auto names = backendNames();
    const bool registered = std::find(names.begin(), names.end(), "cuda") != names.end();
    for (const auto& workload : builtinWorkloadNames()) {
        auto w = makeBuiltinWorkload(workload);
        ASSERT_TRUE(w.has_value());
        auto knobs = (*w)->knobs();
        for (const KnobSpec& cudaKnob : cudaKnobs()) {
            const KnobSpec* k = findKnob(knobs, cudaKnob.name);
            ASSERT_NE(k, nullptr) << workload << " lacks " << cudaKnob.name;
            EXPECT_EQ(k->supportedByBackend.count("cuda"), 0u) << "the cuda backend runs every value";
            EXPECT_EQ(k->supportedByBackend.at("cpu"), std::vector<std::string> {knobValueToString(k->defaultValue)});
        }
        const auto& precision = findKnob(knobs, "precision")->supportedByBackend;
        if (registered) {
            const auto& cuda = precision.at("cuda");
            EXPECT_NE(std::find(cuda.begin(), cuda.end(), "tf32"), cuda.end()) << workload;
        }
    }
}

TEST(CudaHost, BackendSettingsOfAWorkloadConfigurationRoundTripIntoCudaOptions)
{
    Config c {{"backend", std::string("cuda")}, {"precision", std::string("tf32")}, {"cuda_graphs", true},
        {"pinned_memory", false}, {"prefetch_depth", std::int64_t {4}}, {"cuda_device", std::int64_t {1}},
        {"fp32_math", std::string("strict")}, {"batch_size", std::int64_t {8}}};
    BackendSettings settings = detail::backendSettings(c);
    EXPECT_EQ(settings.size(), cudaKnobs().size()) << "exactly the CUDA knobs travel in BackendOptions::settings";
    auto o = cudaOptionsFromConfig(settings);
    ASSERT_TRUE(o.has_value()) << o.error().describe();
    EXPECT_EQ(o->fp32Math, Fp32Math::Tf32) << "precision tf32 selects TF32 matmuls";
    EXPECT_EQ(o->graphs, GraphMode::CaptureReplay);
    EXPECT_EQ(o->staging, HostStaging::Pageable);
    EXPECT_EQ(o->prefetchDepth, 4);
    EXPECT_EQ(o->device, 1);
    c["precision"] = std::string("fp32");
    auto strict = cudaOptionsFromConfig(detail::backendSettings(c));
    ASSERT_TRUE(strict.has_value());
    EXPECT_EQ(strict->fp32Math, Fp32Math::Strict);
}

// ---- GPU needed -------------------------------------------------------------------------------

class CudaDevice : public ::testing::Test {
protected:
    void SetUp() override
    {
        const std::string why = cudaUnusableReason(makeDriverCudaProbe()->probe());
        if (!why.empty())
            GTEST_SKIP() << "no usable CUDA GPU here (" << why << "): the GPU tests need one";
    }
    std::unique_ptr<CudaBackend> make(CudaOptions cuda = {}, std::shared_ptr<MemoryTracker> tracker = nullptr)
    {
        BackendOptions options;
        options.memory = std::move(tracker);
        auto b = createCudaBackend(options, cuda);
        EXPECT_TRUE(b.has_value()) << b.error().describe();
        if (!b)
            return nullptr;
        return std::unique_ptr<CudaBackend>(static_cast<CudaBackend*>(b->release()));
    }
};

TEST_F(CudaDevice, DevicePropertiesAndKernelImage)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    const auto& d = be->device();
    EXPECT_GE(d.computeMajor, 8);
    EXPECT_GT(d.smCount, 0);
    EXPECT_GT(d.memoryBytes, 0);
    EXPECT_GT(d.smClockKHz, 0);
    EXPECT_GE(d.runtimeVersion / 1000, 13);
    std::printf("%s: cc %d.%d, %d SMs, %.1f GB, SM clock %d MHz, runtime %d, driver %d\n", d.name.c_str(),
        d.computeMajor, d.computeMinor, d.smCount, static_cast<double>(d.memoryBytes) / 1e9, d.smClockKHz / 1000,
        d.runtimeVersion, d.driverVersion);
}

TEST_F(CudaDevice, MemoryLimitAndPeakAccountingLikeTheCpuBackend)
{
    auto tracker = std::make_shared<MemoryTracker>(64 << 20);
    auto be = make({}, tracker);
    ASSERT_NE(be, nullptr);
    const auto base = tracker->stats().currentBytes; // cuBLASLt workspace and the like
    {
        auto a = be->allocate({8 << 20}, DType::F32, MemoryKind::Activations); // 32 MiB
        if (base + (32 << 20) <= (64 << 20)) {
            ASSERT_TRUE(a.has_value()) << a.error().describe();
        }
        auto b = be->allocate({10 << 20}, DType::F32, MemoryKind::Activations); // 40 MiB more
        ASSERT_FALSE(b.has_value());
        EXPECT_EQ(b.error().code, ErrorCode::OutOfMemory);
        EXPECT_NE(b.error().message.find("memory_limit"), std::string::npos);
    }
    EXPECT_EQ(tracker->stats().currentBytes, base) << "freed buffers are released from the accounting";
    EXPECT_GE(tracker->stats().peakBytes, base + (32 << 20));
    EXPECT_TRUE(be->synchronize().has_value());
}

TEST_F(CudaDevice, ARealOutOfMemoryIsReportedAsOutOfMemoryAndTheBackendGoesOn)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    auto huge = be->allocate({be->device().memoryBytes}, DType::F32, MemoryKind::Activations); // 4x the GPU
    ASSERT_FALSE(huge.has_value());
    EXPECT_EQ(huge.error().code, ErrorCode::OutOfMemory) << huge.error().describe();
    EXPECT_NE(huge.error().message.find("GPU"), std::string::npos);
    auto small = be->allocate({1024}, DType::F32, MemoryKind::Activations);
    ASSERT_TRUE(small.has_value());
    be->fill(*small, 1.0f);
    EXPECT_TRUE(be->synchronize().has_value());
}

TEST_F(CudaDevice, PlanningCountsWithoutAllocating)
{
    auto plan = std::make_shared<MemoryTracker>(0, MemoryTracker::Mode::Plan);
    auto be = make({}, plan);
    ASSERT_NE(be, nullptr);
    auto t = be->allocate({1000, 1000}, DType::F32, MemoryKind::Activations);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->data(), nullptr);
    EXPECT_GE(plan->stats().currentByKind[static_cast<int>(MemoryKind::Activations)], 4000000);
}

/// A small GPT trained for a few steps; returns the losses.
std::vector<double> trainSteps(Backend& be, int steps, Precision precision = Precision::Fp32)
{
    GptConfig cfg;
    cfg.nLayer = 2;
    cfg.nEmbd = 128;
    cfg.nHead = 2;
    cfg.maxSeqLen = 32;
    const std::int64_t B = 4, T = 32;
    auto model = GptModel::create(be, cfg);
    EXPECT_TRUE(model.has_value());
    EXPECT_TRUE((*model)->initRandom(5).has_value());
    auto weights = GptWeights::create(be, cfg, precision, WeightUse::Training, {B * T});
    EXPECT_TRUE(weights.has_value());
    (*weights)->pack(be, **model);
    auto trainer = GptTrainer::create(be, **model, **weights, B, T);
    EXPECT_TRUE(trainer.has_value());
    auto m = be.allocate({cfg.parameterCount()}, DType::F32, MemoryKind::OptimizerState);
    auto v = be.allocate({cfg.parameterCount()}, DType::F32, MemoryKind::OptimizerState);
    std::vector<std::int32_t> tok(static_cast<std::size_t>(B * T + 1));
    std::mt19937 rng(3);
    std::vector<double> losses;
    for (int s = 1; s <= steps; ++s) {
        for (auto& t : tok)
            t = static_cast<std::int32_t>(rng() % 256);
        auto loss = (*trainer)->forwardBackward(tok.data(), tok.data() + 1, Accumulate::Overwrite, 1.0f / (B * T));
        EXPECT_TRUE(loss.has_value()) << loss.error().describe();
        losses.push_back(loss ? *loss : NAN);
        AdamWStep step;
        step.lr = 1e-3f;
        step.t = s;
        be.adamw((*model)->flat(), (*trainer)->gradients(), *m, *v, step);
        (*weights)->pack(be, **model);
        EXPECT_TRUE(be.synchronize().has_value());
    }
    return losses;
}

TEST_F(CudaDevice, GraphReplayMatchesEagerExecution)
{
    auto eager = make();
    CudaOptions graphOptions;
    graphOptions.graphs = GraphMode::CaptureReplay;
    auto graphs = make(graphOptions);
    ASSERT_TRUE(eager && graphs);
    auto a = trainSteps(*eager, 4), b = trainSteps(*graphs, 4);
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(b[i], a[i], 1e-6 * std::fabs(a[i])) << "step " << i + 1;
    const auto stats = graphs->launchStats();
    std::printf("graph mode: %lld calls, %lld segments, %lld replays, %lld updates, %lld instantiations\n",
        static_cast<long long>(stats.calls), static_cast<long long>(stats.segments),
        static_cast<long long>(stats.replays), static_cast<long long>(stats.updates),
        static_cast<long long>(stats.instantiations));
    EXPECT_GT(stats.replays, 0) << "steps after the first replay their graphs";
    EXPECT_GT(stats.updates, 0) << "AdamW's changing step is patched into its graph";
    EXPECT_LT(stats.instantiations, stats.segments);
}

TEST_F(CudaDevice, PinnedAndPageableStagingGiveTheSameResults)
{
    CudaOptions pageable;
    pageable.staging = HostStaging::Pageable;
    CudaOptions shallow;
    shallow.prefetchDepth = 1;
    auto a = make(), b = make(pageable), c = make(shallow);
    ASSERT_TRUE(a && b && c);
    auto la = trainSteps(*a, 2), lb = trainSteps(*b, 2), lc = trainSteps(*c, 2);
    EXPECT_EQ(la, lb);
    EXPECT_EQ(la, lc);
}

TEST_F(CudaDevice, Tf32MatmulsStayWithinTf32Error)
{
    CudaOptions tf32;
    tf32.fp32Math = Fp32Math::Tf32;
    auto strict = make(), fast = make(tf32);
    ASSERT_TRUE(strict && fast);
    const std::int64_t M = 256, K = 768, N = 512;
    auto x = randn(M * K, 1), w = randn(N * K, 2);
    auto run = [&](CudaBackend& be) {
        auto packed = be.createPackedWeight({N, K, DType::F32, WeightLayout::Transposed, {M}});
        EXPECT_TRUE(packed.has_value());
        be.packWeight(**packed, test::upload(be, {N, K}, w));
        Tensor y = test::zeros(be, {M, N});
        be.matmul(y, test::upload(be, {M, K}, x), **packed, Tensor(), Accumulate::Overwrite);
        return test::download(be, y);
    };
    auto ys = run(*strict), yf = run(*fast);
    const double err = test::relativeError(yf, ys);
    std::printf("tf32 vs strict fp32 matmul (K=%lld): relative error %.2e\n", static_cast<long long>(K), err);
    EXPECT_LT(err, 4e-3) << "TF32 has a 10-bit mantissa: about 1e-3 relative error";
}

TEST_F(CudaDevice, Fp16WeightGradientsAndTheFinitenessCheck)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    const std::int64_t M = 64, K = 96, N = 80;
    auto dout = randn(M * N, 3), in = randn(M * K, 4);
    Tensor dw16 = test::zeros(*be, {N, K}), dw32 = test::zeros(*be, {N, K});
    be->matmulWeightGrad(dw16, test::upload(*be, {M, N}, dout, DType::F16), test::upload(*be, {M, K}, in, DType::F16),
        Accumulate::Overwrite);
    be->matmulWeightGrad(dw32, test::upload(*be, {M, N}, dout), test::upload(*be, {M, K}, in), Accumulate::Overwrite);
    const double err = test::relativeError(test::download(*be, dw16), test::download(*be, dw32));
    EXPECT_LT(err, 2e-3) << "fp16 operands, fp32 accumulation";
    auto finite = be->allFinite(dw32);
    ASSERT_TRUE(finite.has_value());
    EXPECT_TRUE(*finite);
    std::vector<float> bad(static_cast<std::size_t>(N * K), 1.0f);
    bad[1234] = INFINITY;
    be->copyFromHost(dw32, bad.data());
    auto overflow = be->allFinite(dw32);
    ASSERT_TRUE(overflow.has_value());
    EXPECT_FALSE(*overflow);
}

class RecordingObserver : public OpObserver {
public:
    void onOp(const OpEvent& e) override
    {
        std::lock_guard lock(mutex);
        names.insert(e.name);
        devices.insert(e.device);
        if (e.endNs < e.startNs)
            ++malformed;
    }
    std::mutex mutex;
    std::set<std::string> names;
    std::set<int> devices;
    int malformed = 0;
};

TEST_F(CudaDevice, EveryOpReportsToTheObserverWithTheGpuOrdinal)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    RecordingObserver observer;
    be->setTracing(&observer, 3);
    trainSteps(*be, 1);
    for (const char* op : {"embedding_fwd", "layernorm_fwd", "matmul", "attention_fwd", "attention_bwd",
             "cross_entropy", "matmul_weight_grad", "bias_grad", "layernorm_bwd", "embedding_bwd", "adamw", "copy_h2d",
             "copy_d2h", "pack_weight"})
        EXPECT_TRUE(observer.names.count(op)) << op;
    EXPECT_EQ(observer.devices, std::set<int> {be->device().index});
    EXPECT_EQ(observer.malformed, 0);
}

TEST_F(CudaDevice, OpErrorsAreStickyUntilSynchronize)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    const std::int64_t B = 1, T = 4, C = 512;
    Tensor qkv = test::upload(*be, {B, T, 3 * C}, randn(B * T * 3 * C, 5));
    Tensor out = test::zeros(*be, {B, T, C}), att = test::zeros(*be, be->attentionSaved(B, 1, T).shape);
    be->attentionForward(out, att, qkv, 1); // head size 512: beyond the kernels
    be->fill(out, 1.0f);
    auto s = be->synchronize();
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, ErrorCode::Unsupported);
    EXPECT_NE(s.error().message.find("head size 512"), std::string::npos);
    EXPECT_TRUE(be->synchronize().has_value()) << "reported once";
}

TEST_F(CudaDevice, ReplicasShareTheDeviceAndItsMemoryTracker)
{
    auto tracker = std::make_shared<MemoryTracker>();
    auto a = make({}, tracker), b = make({}, tracker);
    ASSERT_TRUE(a && b);
    auto la = trainSteps(*a, 2), lb = trainSteps(*b, 2);
    EXPECT_EQ(la, lb) << "replicas are deterministic and independent";
    EXPECT_GT(tracker->stats().peakBytes, 0);
}

TEST_F(CudaDevice, Bf16TrainingConvergesLikeFp32)
{
    auto be = make();
    ASSERT_NE(be, nullptr);
    auto l32 = trainSteps(*be, 5, Precision::Fp32), l16 = trainSteps(*be, 5, Precision::Bf16);
    for (std::size_t i = 0; i < l32.size(); ++i)
        EXPECT_NEAR(l16[i], l32[i], 2e-2 * l32[i]) << "step " << i + 1;
    EXPECT_LT(l32.back(), l32.front());
}

TEST_F(CudaDevice, GptWorkloadsRunOnTheGpu)
{
    struct Context : RunContext {
    } context;
    for (const char* name : {"gpt-train", "gpt-infer"}) {
        auto w = makeBuiltinWorkload(name);
        ASSERT_TRUE(w.has_value());
        Config c {{"backend", std::string("cuda")}, {"n_layer", std::int64_t {2}}, {"n_embd", std::int64_t {128}},
            {"n_head", std::int64_t {2}}, {"seq_len", std::int64_t {64}}, {"batch_size", std::int64_t {4}}};
        if (std::string(name) == "gpt-infer") {
            c["prompt_len"] = std::int64_t {16};
            c["gen_len"] = std::int64_t {16};
        }
        for (const char* precision : {"fp32", "tf32", "bf16", "fp16"}) {
            c["precision"] = std::string(precision);
            auto session = (*w)->prepare(c, context);
            ASSERT_TRUE(session.has_value()) << name << " " << precision << ": " << session.error().describe();
            auto window = (*session)->runWindow(context);
            ASSERT_TRUE(window.has_value()) << name << " " << precision << ": " << window.error().describe();
            for (const auto& [metric, value] : window->metrics)
                EXPECT_TRUE(std::isfinite(value)) << name << " " << metric;
            EXPECT_GT(window->metrics.at("peak_memory_gb"), 0);
            if (std::string(name) == "gpt-train") {
                EXPECT_EQ(window->metrics.at("loss_scale") == 1.0, std::string(precision) != "fp16")
                    << precision << ": only fp16 training scales the loss";
                EXPECT_LE(window->metrics.at("skipped_steps"), 1.0) << "an overflow at 2^16 may skip the first step";
            }
            std::printf("%s %s on the GPU: tokens/s %.0f (a smoke test, not a benchmark)\n", name, precision,
                window->metrics.at("tokens_per_s"));
        }
    }
}

} // namespace
} // namespace lwb::engine::cuda
