// Gradient accumulation and data-parallel replicas compute the same update as one big batch:
// two accumulated micro-batches give the gradient of their union, and two replicas (each with its
// half of the batch, all-reduced by chunks) give the same AdamW step as one replica with the whole
// batch. Also the learning-rate schedule (the peer's warmup + cosine).
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"
#include "workloads/common.h"

namespace lwb::engine::test {
namespace {

GptConfig tinyConfig()
{
    GptConfig c;
    c.nLayer = 2;
    c.nEmbd = 64;
    c.nHead = 4;
    c.maxSeqLen = 16;
    return c;
}

std::vector<std::int32_t> sequence(std::int64_t n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::vector<std::int32_t> v;
    for (std::int64_t i = 0; i < n; ++i)
        v.push_back(static_cast<std::int32_t>(rng() % 256));
    return v;
}

TEST(DataParallel, AccumulatedMicroBatchesEqualOneBatch)
{
    auto be = cpuBackend(1);
    const GptConfig cfg = tinyConfig();
    const std::int64_t B = 4, T = 16, half = B / 2 * T;
    auto model = GptModel::create(*be, cfg);
    ASSERT_TRUE(model.has_value());
    ASSERT_TRUE((*model)->initRandom(3).has_value());
    auto tok = sequence(B * T, 1), tgt = sequence(B * T, 2);
    auto wFull = GptWeights::create(*be, cfg, Precision::Fp32, WeightUse::Training, {B * T});
    auto wHalf = GptWeights::create(*be, cfg, Precision::Fp32, WeightUse::Training, {B / 2 * T});
    ASSERT_TRUE(wFull.has_value() && wHalf.has_value());
    (*wFull)->pack(*be, **model);
    (*wHalf)->pack(*be, **model);
    auto full = GptTrainer::create(*be, **model, **wFull, B, T);
    auto part = GptTrainer::create(*be, **model, **wHalf, B / 2, T);
    ASSERT_TRUE(full.has_value() && part.has_value());
    const float scale = 1.0f / static_cast<float>(B * T);
    auto lossFull = (*full)->forwardBackward(tok.data(), tgt.data(), Accumulate::Overwrite, scale);
    ASSERT_TRUE(lossFull.has_value());
    auto l1 = (*part)->forwardBackward(tok.data(), tgt.data(), Accumulate::Overwrite, scale);
    auto l2 = (*part)->forwardBackward(tok.data() + half, tgt.data() + half, Accumulate::Add, scale);
    ASSERT_TRUE(l1.has_value() && l2.has_value());
    EXPECT_NEAR((*l1 + *l2) / 2, *lossFull, 1e-5);
    auto g1 = download(*be, (*full)->gradients()), g2 = download(*be, (*part)->gradients());
    EXPECT_LT(relativeError(g2, g1), 1e-5);
}

TEST(DataParallel, TwoReplicasMatchOneReplicaWithTheWholeBatch)
{
    const GptConfig cfg = tinyConfig();
    const std::int64_t B = 4, T = 16, half = B / 2 * T;
    auto tok = sequence(B * T, 5), tgt = sequence(B * T, 6);
    detail::TrainHyper hyper;
    hyper.lr = 1e-2;
    auto run = [&](int replicas) {
        auto set = detail::makeReplicas({"cpu", 1, replicas, {}}, std::make_shared<MemoryTracker>());
        EXPECT_TRUE(set.has_value());
        auto model = GptModel::create(set->primary(), cfg);
        EXPECT_TRUE(model.has_value());
        EXPECT_TRUE((*model)->initRandom(7).has_value());
        const std::int64_t perReplica = B / replicas;
        auto weights = GptWeights::create(set->primary(), cfg, Precision::Fp32, WeightUse::Training, {perReplica * T});
        EXPECT_TRUE(weights.has_value());
        (*weights)->pack(set->primary(), **model);
        std::vector<std::unique_ptr<GptTrainer>> trainers;
        std::vector<Tensor> grads;
        for (auto& backend : set->backends) {
            auto t = GptTrainer::create(*backend, **model, **weights, perReplica, T);
            EXPECT_TRUE(t.has_value());
            grads.push_back((*t)->gradients());
            trainers.push_back(std::move(*t));
        }
        auto opt = detail::DataParallelOptimizer::create(*set, (*model)->flat(), grads);
        EXPECT_TRUE(opt.has_value());
        for (std::int64_t step = 1; step <= 2; ++step) {
            auto status = set->run([&](int r) -> Status {
                const std::int64_t off = r * half * (replicas == 2 ? 1 : 0);
                auto l = trainers[static_cast<std::size_t>(r)]->forwardBackward(
                    tok.data() + off, tgt.data() + off, Accumulate::Overwrite, 1.0f / static_cast<float>(B * T));
                return l ? Status {} : Status(fail(l.error()));
            });
            EXPECT_TRUE(status.has_value());
            auto norm = opt->step(*set, step, detail::learningRate(hyper, step - 1), hyper, nullptr);
            EXPECT_TRUE(norm.has_value());
            (*weights)->pack(set->primary(), **model);
        }
        return download(set->primary(), (*model)->flat());
    };
    auto one = run(1), two = run(2);
    EXPECT_LT(relativeError(two, one), 1e-5);
}

TEST(DataParallel, LearningRateScheduleMatchesThePeer)
{
    detail::TrainHyper h;
    h.lr = 6e-4;
    h.warmupSteps = 10;
    h.maxSteps = 1000;
    EXPECT_DOUBLE_EQ(detail::learningRate(h, 0), 6e-5);
    EXPECT_DOUBLE_EQ(detail::learningRate(h, 9), 6e-4);
    EXPECT_NEAR(detail::learningRate(h, 10), 6e-4, 1e-12);
    EXPECT_NEAR(detail::learningRate(h, 505), 0.1 * 6e-4 + 0.45 * 6e-4, 1e-9);
    EXPECT_NEAR(detail::learningRate(h, 1000), 6e-5, 1e-12);
    EXPECT_NEAR(detail::learningRate(h, 5000), 6e-5, 1e-12);
}

} // namespace
} // namespace lwb::engine::test
