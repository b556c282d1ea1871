// Multi-GPU data parallelism with NCCL (label gpu): needs at least two usable GPUs and a build
// with NCCL, and skips with the reason otherwise. Two replicas on two GPUs, each with half of the
// global batch, gradients all-reduced in buckets launched during the backward pass, must make the
// same AdamW steps as one replica with the whole batch, and their weight copies must stay
// identical. Then gpt-train end to end with replicas = 2.
#include "cuda/cuda_registry.h"
#include "workloads/common.h"
#include "workloads/multi_gpu.h"

#include "engine_test_util.h"

#include "lwb/engine/gpt.h"

namespace lwb::engine::test {
namespace {

class MultiGpu : public ::testing::Test {
protected:
    void SetUp() override
    {
        const int gpus = cuda::cudaVisibleGpuCount();
        if (gpus < 2)
            GTEST_SKIP() << "multi-GPU data parallelism needs at least 2 usable GPUs, " << gpus << " here";
    }
};

/// Weights after `steps` AdamW steps of `replicas` replicas (one GPU each) sharing a batch of B.
std::vector<std::vector<float>> train(int replicas, int steps, bool* skipped)
{
    GptConfig cfg;
    cfg.nLayer = 2;
    cfg.nEmbd = 64;
    cfg.nHead = 4;
    cfg.maxSeqLen = 32;
    const std::int64_t B = 4, T = 32, perReplica = B / replicas;
    detail::DeviceSetup setup;
    setup.backend = "cuda";
    setup.replicas = replicas;
    setup.settings["cuda_device"] = std::int64_t {0};
    setup.placement = detail::ReplicaPlacement::DevicePerReplica;
    auto set = detail::makeReplicas(setup, std::make_shared<MemoryTracker>());
    EXPECT_TRUE(set.has_value()) << set.error().describe();
    std::vector<std::unique_ptr<GptModel>> models;
    std::vector<std::unique_ptr<GptWeights>> weights;
    std::vector<std::unique_ptr<GptTrainer>> trainers;
    std::vector<Tensor> params, grads;
    for (int r = 0; r < replicas; ++r) {
        Backend& be = *set->backends[static_cast<std::size_t>(r)];
        auto model = GptModel::create(be, cfg);
        EXPECT_TRUE(model.has_value());
        EXPECT_TRUE((*model)->initRandom(7).has_value());
        auto w = GptWeights::create(be, cfg, Precision::Fp32, WeightUse::Training, {perReplica * T});
        EXPECT_TRUE(w.has_value());
        (*w)->pack(be, **model);
        auto t = GptTrainer::create(be, **model, **w, perReplica, T);
        EXPECT_TRUE(t.has_value());
        params.push_back((*model)->flat());
        grads.push_back((*t)->gradients());
        models.push_back(std::move(*model));
        weights.push_back(std::move(*w));
        trainers.push_back(std::move(*t));
    }
    auto opt = detail::DataParallelOptimizer::createPerDevice(*set, params, grads);
    EXPECT_TRUE(opt.has_value());
    std::unique_ptr<detail::GradientAllReduce> allReduce;
    if (replicas > 1) {
        auto ar = detail::makeGradientAllReduce(*set, grads);
        if (!ar) {
            *skipped = true; // a build without NCCL
            std::printf("skipped: %s\n", ar.error().message.c_str());
            return {};
        }
        allReduce = std::move(*ar);
        opt->setAllReduce(allReduce.get());
    }
    // Buckets of 64 KiB so that this small model has several, launched at different stages.
    const auto buckets = detail::planGradientBuckets(detail::gptGradientsInBackwardOrder(cfg), 64 << 10);
    std::vector<std::int32_t> tok(static_cast<std::size_t>(B * T)), tgt(tok.size());
    for (std::size_t i = 0; i < tok.size(); ++i) {
        tok[i] = static_cast<std::int32_t>((i * 13 + 5) % 256);
        tgt[i] = static_cast<std::int32_t>((i * 29 + 3) % 256);
    }
    detail::TrainHyper hyper;
    hyper.lr = 1e-2;
    for (int step = 1; step <= steps; ++step) {
        auto status = set->run([&](int r) -> Status {
            auto& trainer = *trainers[static_cast<std::size_t>(r)];
            if (allReduce)
                trainer.setBackwardStageHook([&, r](int stage) {
                    for (const auto& b : buckets)
                        if (b.readyStage == stage)
                            allReduce->launch(r, b);
                });
            const std::int64_t off = r * perReplica * T;
            auto l = trainer.forwardBackward(
                tok.data() + off, tgt.data() + off, Accumulate::Overwrite, 1.0f / static_cast<float>(B * T));
            trainer.setBackwardStageHook({});
            return l ? Status {} : Status(fail(l.error()));
        });
        EXPECT_TRUE(status.has_value()) << status.error().describe();
        auto result = opt->step(*set, step, detail::learningRate(hyper, step - 1), hyper, nullptr);
        EXPECT_TRUE(result.has_value()) << result.error().describe();
        for (int r = 0; r < replicas; ++r)
            weights[static_cast<std::size_t>(r)]->pack(
                *set->backends[static_cast<std::size_t>(r)], *models[static_cast<std::size_t>(r)]);
    }
    std::vector<std::vector<float>> out;
    for (int r = 0; r < replicas; ++r)
        out.push_back(download(*set->backends[static_cast<std::size_t>(r)], params[static_cast<std::size_t>(r)]));
    return out;
}

TEST_F(MultiGpu, TwoGpusWithHalfTheBatchEachMatchOneGpuWithTheWholeBatch)
{
    bool skipped = false;
    auto two = train(2, 3, &skipped);
    if (skipped)
        GTEST_SKIP() << "this build has no NCCL";
    auto one = train(1, 3, &skipped);
    ASSERT_EQ(two.size(), 2u);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(two[0], two[1]) << "the replicas' weight copies stay bitwise identical";
    EXPECT_LT(relativeError(two[0], one[0]), 1e-5) << "same global batch, same update";
}

TEST_F(MultiGpu, GptTrainRunsOneReplicaPerGpu)
{
    auto w = makeBuiltinWorkload("gpt-train");
    ASSERT_TRUE(w.has_value());
    Config c {{"backend", std::string("cuda")}, {"replicas", std::int64_t {2}}, {"n_layer", std::int64_t {2}},
        {"n_embd", std::int64_t {128}}, {"n_head", std::int64_t {2}}, {"seq_len", std::int64_t {64}},
        {"batch_size", std::int64_t {4}}};
    RunContext context;
    auto session = (*w)->prepare(c, context);
    if (!session && session.error().code == ErrorCode::Unsupported)
        GTEST_SKIP() << session.error().message;
    ASSERT_TRUE(session.has_value()) << session.error().describe();
    auto window = (*session)->runWindow(context);
    ASSERT_TRUE(window.has_value()) << window.error().describe();
    EXPECT_TRUE(std::isfinite(window->metrics.at("loss")));
    std::printf(
        "gpt-train on 2 GPUs: tokens/s %.0f (a smoke test, not a benchmark)\n", window->metrics.at("tokens_per_s"));
}

} // namespace
} // namespace lwb::engine::test
