// The built-in workloads through the Workload interface the workbench uses: knob declarations and
// validation errors, out-of-memory before allocation, unsupported precision, NaN loss, pruning and
// cancellation, determinism, replicas, metrics, op tracing, checkpoints between workloads.
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"
#include "lwb/engine/workload.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <unistd.h>

namespace lwb::engine::test {
namespace {

namespace fs = std::filesystem;

class TestContext : public RunContext {
public:
    bool cancelled() const override { return cancel; }
    bool report(std::int64_t step, double value) override
    {
        reports.emplace_back(step, value);
        return pruneAt > 0 && step >= pruneAt;
    }
    OpObserver* observer() override { return tracer; }
    bool cancel = false;
    std::int64_t pruneAt = 0;
    OpObserver* tracer = nullptr;
    std::vector<std::pair<std::int64_t, double>> reports;
};

class CountingObserver : public OpObserver {
public:
    void onOp(const OpEvent& e) override
    {
        std::lock_guard lock(mutex);
        ++ops;
        names.insert(e.name);
        streams.insert(e.stream);
        categories.insert(e.category);
        if (e.endNs < e.startNs || e.device != -1)
            ++malformed;
    }
    void onStepBegin(std::int64_t) override { ++begins; }
    void onStepEnd(std::int64_t) override { ++ends; }
    std::mutex mutex;
    int ops = 0, malformed = 0;
    std::atomic<int> begins {0}, ends {0};
    std::set<std::string> names;
    std::set<std::uint32_t> streams;
    std::set<OpCategory> categories;
};

/// A GPT small enough for unit tests.
Config tinyGpt(Config extra = {})
{
    Config c {{"n_layer", std::int64_t {2}}, {"n_embd", std::int64_t {64}}, {"n_head", std::int64_t {2}},
        {"seq_len", std::int64_t {32}}, {"batch_size", std::int64_t {4}}};
    for (auto& [k, v] : extra)
        c[k] = v;
    return c;
}

std::unique_ptr<Workload> workload(const char* name)
{
    auto w = makeBuiltinWorkload(name);
    EXPECT_TRUE(w.has_value());
    return std::move(*w);
}

TEST(Workloads, RegistryAndKnobDeclarations)
{
    EXPECT_EQ(builtinWorkloadNames(), (std::vector<std::string> {"gpt-train", "gpt-infer", "mlp-train", "mlp-infer"}));
    auto unknown = makeBuiltinWorkload("resnet");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, ErrorCode::NotFound);
    EXPECT_NE(unknown.error().message.find("gpt-train"), std::string::npos);
    for (const auto& name : builtinWorkloadNames()) {
        auto w = workload(name.c_str());
        auto knobs = w->knobs();
        for (const char* k : {"batch_size", "precision", "threads", "replicas", "memory_limit", "seed", "backend"})
            EXPECT_NE(findKnob(knobs, k), nullptr) << name << " lacks " << k;
        const KnobSpec* precision = findKnob(knobs, "precision");
        const auto& cpu = precision->supportedByBackend.at("cpu");
        EXPECT_NE(std::find(cpu.begin(), cpu.end(), "fp32"), cpu.end());
        EXPECT_EQ(std::find(cpu.begin(), cpu.end(), "fp16"), cpu.end()) << "no fp16 matmuls on the CPU backend";
        if (name.find("train") != std::string::npos) {
            EXPECT_EQ(std::find(cpu.begin(), cpu.end(), "int8"), cpu.end()) << "int8 is inference only";
        }
        EXPECT_EQ(findKnob(knobs, "batch_size")->scale, KnobScale::PowerOfTwo);
        EXPECT_FALSE(w->metrics().empty());
        auto defaults = w->resolve({});
        EXPECT_TRUE(defaults.has_value()) << name << ": " << defaults.error().describe();
    }
    const auto trainKnobs = workload("gpt-train")->knobs();
    for (const char* k : {"grad_accum", "lr", "warmup_steps", "seq_len", "n_layer", "n_embd", "n_head", "corpus"})
        EXPECT_NE(findKnob(trainKnobs, k), nullptr) << k;
    ASSERT_NE(findKnob(trainKnobs, "lr"), nullptr);
    EXPECT_EQ(findKnob(trainKnobs, "lr")->scale, KnobScale::Log);
}

TEST(Workloads, ValidationErrorsNameTheKnobAndDomain)
{
    auto w = workload("gpt-train");
    auto expectError = [&](Config c, ErrorCode code, const std::vector<std::string>& words) {
        auto r = w->resolve(c);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, code) << r.error().message;
        for (const auto& word : words)
            EXPECT_NE(r.error().message.find(word), std::string::npos) << r.error().message << " lacks " << word;
    };
    expectError({{"batch_size", std::int64_t {3}}}, ErrorCode::InvalidArgument, {"batch_size", "power of two"});
    expectError({{"threads", std::int64_t {0}}}, ErrorCode::InvalidArgument, {"threads", "[1, "});
    expectError({{"replicas", std::int64_t {100000}}}, ErrorCode::InvalidArgument, {"replicas"});
    expectError({{"lr", 5.0}}, ErrorCode::InvalidArgument, {"lr"});
    expectError({{"n_embd", std::int64_t {100}}, {"n_head", std::int64_t {3}}}, ErrorCode::InvalidArgument,
        {"n_embd", "n_head"});
    expectError({{"precision", std::string("fp64")}}, ErrorCode::InvalidArgument, {"precision", "fp32"});
    expectError({{"precision", std::string("fp16")}}, ErrorCode::Unsupported, {"fp16", "cpu"});
    expectError({{"precision", std::string("int8")}}, ErrorCode::Unsupported, {"int8", "inference"});
    expectError({{"warp_size", std::int64_t {32}}}, ErrorCode::InvalidArgument, {"warp_size"});
    auto infer = workload("gpt-infer");
    auto tooLong = infer->resolve({{"prompt_len", std::int64_t {200}}, {"gen_len", std::int64_t {100}}});
    ASSERT_FALSE(tooLong.has_value());
    EXPECT_NE(tooLong.error().message.find("gen_len"), std::string::npos);
    TestContext ctx;
    auto prepared = w->prepare({{"precision", std::string("fp16")}}, ctx);
    ASSERT_FALSE(prepared.has_value());
    EXPECT_EQ(prepared.error().code, ErrorCode::Unsupported);
}

TEST(Workloads, OutOfMemoryIsReportedBeforeAnythingIsAllocated)
{
    TestContext ctx;
    auto w = workload("gpt-train");
    // ~1.5 TB of activations: planning must refuse it without touching memory.
    auto huge
        = w->prepare({{"n_layer", std::int64_t {48}}, {"n_embd", std::int64_t {4096}}, {"n_head", std::int64_t {32}},
                         {"batch_size", std::int64_t {1024}}, {"seq_len", std::int64_t {2048}}, {"memory_limit", 8.0}},
            ctx);
    ASSERT_FALSE(huge.has_value());
    EXPECT_EQ(huge.error().code, ErrorCode::OutOfMemory);
    EXPECT_NE(huge.error().message.find("memory_limit"), std::string::npos) << huge.error().message;
    EXPECT_NE(huge.error().message.find("activations"), std::string::npos) << huge.error().message;
    // The batch-size limit is real: under the same budget a small batch fits, a large one does not.
    // Without a budget, the device's available memory is the limit: still an error, not a crash.
    auto noBudget
        = w->prepare({{"n_layer", std::int64_t {48}}, {"n_embd", std::int64_t {4096}}, {"n_head", std::int64_t {32}},
                         {"batch_size", std::int64_t {1024}}, {"seq_len", std::int64_t {2048}}},
            ctx);
    ASSERT_FALSE(noBudget.has_value());
    EXPECT_EQ(noBudget.error().code, ErrorCode::OutOfMemory);
    EXPECT_NE(noBudget.error().message.find("available"), std::string::npos) << noBudget.error().message;
    auto fits = w->prepare(tinyGpt({{"batch_size", std::int64_t {2}}, {"memory_limit", 0.05}}), ctx);
    EXPECT_TRUE(fits.has_value()) << fits.error().describe();
    auto tooBig = w->prepare(tinyGpt({{"batch_size", std::int64_t {256}}, {"memory_limit", 0.05}}), ctx);
    ASSERT_FALSE(tooBig.has_value());
    EXPECT_EQ(tooBig.error().code, ErrorCode::OutOfMemory);
    auto infer = workload("gpt-infer")
                     ->prepare(tinyGpt({{"batch_size", std::int64_t {512}}, {"prompt_len", std::int64_t {16}},
                                   {"gen_len", std::int64_t {8}}, {"memory_limit", 0.01}}),
                         ctx);
    ASSERT_FALSE(infer.has_value());
    EXPECT_EQ(infer.error().code, ErrorCode::OutOfMemory);
    EXPECT_NE(infer.error().message.find("kv cache"), std::string::npos) << infer.error().message;
}

TEST(Workloads, NanLossStopsTrainingNamingTheStep)
{
    auto be = cpuBackend();
    GptConfig cfg;
    cfg.nLayer = 2;
    cfg.nEmbd = 64;
    cfg.nHead = 2;
    cfg.maxSeqLen = 32;
    auto model = GptModel::create(*be, cfg);
    ASSERT_TRUE(model.has_value());
    ASSERT_TRUE((*model)->initRandom(1).has_value());
    auto params = download(*be, (*model)->flat());
    params[12345] = std::nanf(""); // a corrupted weight in the token embedding
    be->copyFromHost((*model)->flat(), params.data());
    const fs::path ckpt = fs::temp_directory_path() / ("lwb_nan_" + std::to_string(::getpid()) + ".safetensors");
    ASSERT_TRUE((*model)->save(ckpt).has_value());
    TestContext ctx;
    auto session = workload("gpt-train")->prepare(tinyGpt({{"checkpoint", ckpt.string()}}), ctx);
    ASSERT_TRUE(session.has_value()) << session.error().describe();
    auto window = (*session)->runWindow(ctx);
    fs::remove(ckpt);
    ASSERT_FALSE(window.has_value());
    EXPECT_EQ(window.error().code, ErrorCode::NumericalError);
    EXPECT_NE(window.error().message.find("step 1"), std::string::npos) << window.error().message;
}

TEST(Workloads, PruningAndCancellationStopTheWindow)
{
    auto w = workload("gpt-train");
    TestContext ctx;
    ctx.pruneAt = 2;
    auto session = w->prepare(tinyGpt({{"steps_per_window", std::int64_t {5}}}), ctx);
    ASSERT_TRUE(session.has_value());
    auto pruned = (*session)->runWindow(ctx);
    ASSERT_FALSE(pruned.has_value());
    EXPECT_EQ(pruned.error().code, ErrorCode::Cancelled);
    EXPECT_NE(pruned.error().message.find("pruned"), std::string::npos);
    EXPECT_EQ(ctx.reports.size(), 2u) << "one report per step until the tuner asks to stop";
    TestContext cancel;
    cancel.cancel = true;
    auto cancelled = (*session)->runWindow(cancel);
    ASSERT_FALSE(cancelled.has_value());
    EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled);
}

std::vector<double> lossCurve(Config c, int windows)
{
    TestContext ctx;
    auto session = workload("gpt-train")->prepare(c, ctx);
    EXPECT_TRUE(session.has_value());
    std::vector<double> curve;
    for (int i = 0; i < windows; ++i) {
        auto r = (*session)->runWindow(ctx);
        EXPECT_TRUE(r.has_value()) << r.error().describe();
        for (auto [step, loss] : r->intermediate)
            curve.push_back(loss);
    }
    EXPECT_EQ(ctx.reports.size(), curve.size());
    return curve;
}

TEST(Workloads, SameSeedSameLossCurve)
{
    Config c = tinyGpt({{"steps_per_window", std::int64_t {4}}, {"threads", std::int64_t {2}}, {"lr", 3e-3}});
    auto a = lossCurve(c, 2), b = lossCurve(c, 2);
    ASSERT_EQ(a.size(), 8u);
    EXPECT_EQ(a, b) << "deterministic: bitwise identical losses";
    c["seed"] = std::int64_t {7};
    EXPECT_NE(lossCurve(c, 2), a);
    EXPECT_LT(a.back(), a.front()) << "the loss falls";
}

TEST(Workloads, TrainingReplicasAllReduceAndTraceOps)
{
    CountingObserver tracer;
    TestContext ctx;
    ctx.tracer = &tracer;
    auto session = workload("gpt-train")
                       ->prepare(tinyGpt({{"replicas", std::int64_t {2}}, {"grad_accum", std::int64_t {2}},
                                     {"steps_per_window", std::int64_t {3}}}),
                           ctx);
    ASSERT_TRUE(session.has_value()) << session.error().describe();
    auto r = (*session)->runWindow(ctx);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    for (const char* m : {"tokens_per_s", "samples_per_s", "step_time_ms", "loss", "peak_memory_gb"})
        EXPECT_GT(r->metrics.at(m), 0) << m;
    EXPECT_EQ(r->intermediate.size(), 3u);
    // Throughput counts the tokens of the window's 3 steps over their summed time: at least the
    // tokens over the whole window's wall time, and at most the tokens over twice the median step
    // (of three sorted durations a <= m <= c, a + m + c >= 2m). Holds however uneven the steps are.
    const double tokens = 4.0 * 32 * 2 * 2 * 3; // batch x seq_len x grad_accum x replicas x steps
    EXPECT_GE(r->metrics.at("tokens_per_s"), tokens / r->seconds);
    EXPECT_LE(r->metrics.at("tokens_per_s"), tokens / (2 * r->metrics.at("step_time_ms") * 1e-3));
    EXPECT_EQ(tracer.begins.load(), 3);
    EXPECT_EQ(tracer.ends.load(), 3);
    EXPECT_EQ(tracer.malformed, 0);
    EXPECT_GT(tracer.ops, 300);
    EXPECT_EQ(tracer.streams, (std::set<std::uint32_t> {0, 1})) << "one stream per replica";
    for (const char* op : {"matmul", "attention_fwd", "attention_bwd", "layernorm_bwd", "adamw", "cross_entropy",
             "allreduce_reduce_scatter", "pack_weight"})
        EXPECT_TRUE(tracer.names.count(op)) << op;
    EXPECT_TRUE(tracer.categories.count(OpCategory::Communication));
    EXPECT_TRUE(tracer.categories.count(OpCategory::Optimizer));
    auto summary = (*session)->summary();
    for (const char* m : {"val_loss", "final_loss", "peak_memory_gb", "step_time_p50_ms", "tokens_per_s"})
        EXPECT_TRUE(summary.count(m)) << m;
    EXPECT_NEAR(summary.at("peak_memory_gb"), summary.at("planned_memory_gb"), 0.05 * summary.at("planned_memory_gb"))
        << "the plan predicts the real footprint";
}

TEST(Workloads, GptInferenceReportsLatencyAndThroughput)
{
    for (const char* precision : {"fp32", "bf16", "int8"}) {
        auto w = workload("gpt-infer");
        Config c
            = tinyGpt({{"prompt_len", std::int64_t {12}}, {"gen_len", std::int64_t {8}}, {"replicas", std::int64_t {2}},
                {"rounds_per_window", std::int64_t {2}}, {"precision", std::string(precision)}});
        if (!w->resolve(c)) {
            std::printf("skipping %s: %s\n", precision, w->resolve(c).error().message.c_str());
            continue;
        }
        TestContext ctx;
        auto session = w->prepare(c, ctx);
        ASSERT_TRUE(session.has_value()) << session.error().describe();
        auto r = (*session)->runWindow(ctx);
        ASSERT_TRUE(r.has_value()) << r.error().describe();
        for (const char* m : {"prefill_tokens_per_s", "decode_tokens_per_s", "tokens_per_s", "p50_latency_ms",
                 "p99_latency_ms", "ttft_ms", "peak_memory_gb"})
            EXPECT_GT(r->metrics.at(m), 0) << precision << " " << m;
        EXPECT_GE(r->metrics.at("p99_latency_ms"), r->metrics.at("p50_latency_ms"));
        EXPECT_LE(r->metrics.at("ttft_ms"), r->metrics.at("p99_latency_ms"));
    }
}

TEST(Workloads, MlpTrainingLearnsAndInferenceRuns)
{
    TestContext ctx;
    Config c {{"input_dim", std::int64_t {32}}, {"hidden_dim", std::int64_t {64}}, {"classes", std::int64_t {4}},
        {"batch_size", std::int64_t {64}}, {"steps_per_window", std::int64_t {60}}, {"lr", 3e-3}};
    auto session = workload("mlp-train")->prepare(c, ctx);
    ASSERT_TRUE(session.has_value()) << session.error().describe();
    auto r = (*session)->runWindow(ctx);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_GT(r->metrics.at("samples_per_s"), 0);
    EXPECT_LT(r->intermediate.back().second, r->intermediate.front().second);
    auto summary = (*session)->summary();
    EXPECT_GT(summary.at("val_accuracy"), 0.5) << "well above chance (0.25)";
    Config inferConfig {{"input_dim", std::int64_t {32}}, {"hidden_dim", std::int64_t {64}},
        {"classes", std::int64_t {4}}, {"replicas", std::int64_t {2}}, {"iterations_per_window", std::int64_t {5}}};
    auto infer = workload("mlp-infer")->prepare(inferConfig, ctx);
    ASSERT_TRUE(infer.has_value()) << infer.error().describe();
    auto ir = (*infer)->runWindow(ctx);
    ASSERT_TRUE(ir.has_value());
    EXPECT_GT(ir->metrics.at("samples_per_s"), 0);
    EXPECT_GE(ir->metrics.at("p99_latency_ms"), ir->metrics.at("p50_latency_ms"));
}

TEST(Workloads, TrainedCheckpointFeedsInference)
{
    const fs::path ckpt = fs::temp_directory_path() / ("lwb_ckpt_" + std::to_string(::getpid()) + ".safetensors");
    TestContext ctx;
    auto train = workload("gpt-train")->prepare(tinyGpt({{"save_checkpoint", ckpt.string()}}), ctx);
    ASSERT_TRUE(train.has_value());
    ASSERT_TRUE((*train)->runWindow(ctx).has_value());
    ASSERT_TRUE(fs::exists(ckpt));
    auto infer = workload("gpt-infer")
                     ->prepare(tinyGpt({{"checkpoint", ckpt.string()}, {"prompt_len", std::int64_t {8}},
                                   {"gen_len", std::int64_t {4}}}),
                         ctx);
    ASSERT_TRUE(infer.has_value()) << infer.error().describe();
    EXPECT_TRUE((*infer)->runWindow(ctx).has_value());
    auto wrongShape = workload("gpt-infer")
                          ->prepare(tinyGpt({{"checkpoint", ckpt.string()}, {"n_layer", std::int64_t {3}},
                                        {"prompt_len", std::int64_t {8}}, {"gen_len", std::int64_t {4}}}),
                              ctx);
    ASSERT_FALSE(wrongShape.has_value());
    EXPECT_NE(wrongShape.error().message.find("n_layer"), std::string::npos);
    auto missingCorpus = workload("gpt-train")->prepare(tinyGpt({{"corpus", std::string("/no/such/file.txt")}}), ctx);
    ASSERT_FALSE(missingCorpus.has_value());
    EXPECT_EQ(missingCorpus.error().code, ErrorCode::NotFound);
    fs::remove(ckpt);
}

} // namespace
} // namespace lwb::engine::test
