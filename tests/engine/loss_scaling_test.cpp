// fp16 training's dynamic loss scaling as the training loops drive it (DataParallelOptimizer with
// LossScaling::Dynamic), on the CPU backend: the scaler's state machine; an overflow in a
// gradient (an inf written into one gradient element on chosen steps, which is what an fp16
// overflow leaves in the fp32 gradients) skips the step without touching the weights, halves
// the scale and training goes on; and with a finite scale the unscaled update equals the
// unscaled fp32 update (scaling by powers of two is exact), with and without clipping.
// The overflow is injected into the gradient tensor between backward and optimiser step rather
// than by a Backend decorator: the optimiser only sees the gradients, and a decorator would have
// to forward the whole Backend interface.
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"
#include "workloads/common.h"
#include "workloads/loss_scaler.h"

#include <cmath>
#include <limits>

namespace lwb::engine::test {
namespace {

using detail::DynamicLossScaler;
using detail::LossScaling;

TEST(LossScaling, TheScalerSkipsOverflowsAndGrowsAfterCleanSteps)
{
    DynamicLossScaler::Settings s;
    s.initialScale = 1024;
    s.growthInterval = 3;
    s.minScale = 1;
    s.maxScale = 4096;
    DynamicLossScaler scaler(s);
    EXPECT_EQ(scaler.scale(), 1024);
    EXPECT_EQ(scaler.update(false), DynamicLossScaler::Decision::Skip);
    EXPECT_EQ(scaler.scale(), 512);
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.scale(), 512);
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.scale(), 1024) << "grows after growthInterval clean steps";
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.update(false), DynamicLossScaler::Decision::Skip);
    EXPECT_EQ(scaler.scale(), 512);
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.update(true), DynamicLossScaler::Decision::Apply);
    EXPECT_EQ(scaler.scale(), 512) << "an overflow restarts the clean-step count";
    for (int i = 0; i < 30; ++i)
        scaler.update(false);
    EXPECT_EQ(scaler.scale(), 1) << "bounded below";
    for (int i = 0; i < 100; ++i)
        scaler.update(true);
    EXPECT_EQ(scaler.scale(), 4096) << "bounded above";
    EXPECT_EQ(scaler.skippedSteps(), 32);
}

/// A tiny GPT trained by DataParallelOptimizer on `replicas` CPU replicas, each on its own
/// part of a fixed batch; overflow(step) says on which steps to plant an inf in replica 0's
/// gradients after the backward pass.
class ScaledTraining {
public:
    ScaledTraining(int replicas, LossScaling scaling, DynamicLossScaler::Settings settings, double gradClip)
        : m_replicas(replicas)
    {
        m_config.nLayer = 1;
        m_config.nEmbd = 32;
        m_config.nHead = 2;
        m_config.maxSeqLen = 8;
        m_hyper.lr = 1e-2;
        m_hyper.warmupSteps = 0;
        m_hyper.gradClip = gradClip;
        auto set = detail::makeReplicas({"cpu", 1, replicas, {}}, std::make_shared<MemoryTracker>());
        EXPECT_TRUE(set.has_value());
        m_set = std::move(*set);
        auto model = GptModel::create(m_set.primary(), m_config);
        EXPECT_TRUE(model.has_value());
        m_model = std::move(*model);
        EXPECT_TRUE(m_model->initRandom(11).has_value());
        auto weights
            = GptWeights::create(m_set.primary(), m_config, Precision::Fp32, WeightUse::Training, {kPerReplica * kT});
        EXPECT_TRUE(weights.has_value());
        m_weights = std::move(*weights);
        m_weights->pack(m_set.primary(), *m_model);
        std::vector<Tensor> grads;
        for (auto& backend : m_set.backends) {
            auto trainer = GptTrainer::create(*backend, *m_model, *m_weights, kPerReplica, kT);
            EXPECT_TRUE(trainer.has_value());
            grads.push_back((*trainer)->gradients());
            m_trainers.push_back(std::move(*trainer));
        }
        auto opt = detail::DataParallelOptimizer::create(m_set, m_model->flat(), grads, scaling, settings);
        EXPECT_TRUE(opt.has_value());
        m_optimizer.emplace(std::move(*opt));
    }

    /// One training step; plants an inf in a gradient first when `overflow`.
    Result<detail::OptimizerStepResult> tryStep(std::int64_t step, bool overflow)
    {
        const std::int64_t n = kPerReplica * kT;
        const float lossScale = m_optimizer->lossScale() / static_cast<float>(n * m_replicas);
        LWB_RETURN_IF_ERROR(m_set.run([&](int r) -> Status {
            std::vector<std::int32_t> tokens(static_cast<std::size_t>(n)), targets(tokens.size());
            for (std::int64_t i = 0; i < n; ++i) { // a fixed pattern per step and replica
                tokens[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 7 + step * 3 + r * 5) % 256);
                targets[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 11 + step + r) % 256);
            }
            auto loss = m_trainers[static_cast<std::size_t>(r)]->forwardBackward(
                tokens.data(), targets.data(), Accumulate::Overwrite, lossScale);
            return loss ? Status {} : Status(fail(loss.error()));
        }));
        if (overflow) {
            Backend& be = m_set.primary();
            auto grads = download(be, m_trainers[0]->gradients());
            grads[grads.size() / 3] = std::numeric_limits<float>::infinity();
            be.copyFromHost(m_trainers[0]->gradients(), grads.data());
        }
        LWB_ASSIGN_OR_RETURN(
            auto result, m_optimizer->step(m_set, step, detail::learningRate(m_hyper, step - 1), m_hyper, nullptr));
        if (result.applied)
            m_weights->pack(m_set.primary(), *m_model);
        return result;
    }
    detail::OptimizerStepResult step(std::int64_t step, bool overflow)
    {
        auto result = tryStep(step, overflow);
        EXPECT_TRUE(result.has_value()) << result.error().describe();
        return result ? *result : detail::OptimizerStepResult {};
    }

    std::vector<float> weights() { return download(m_set.primary(), m_model->flat()); }
    float lossScale() const { return m_optimizer->lossScale(); }
    std::int64_t skipped() const { return m_optimizer->skippedSteps(); }

private:
    static constexpr std::int64_t kPerReplica = 2, kT = 8;
    int m_replicas;
    GptConfig m_config;
    detail::TrainHyper m_hyper;
    detail::ReplicaSet m_set;
    std::unique_ptr<GptModel> m_model;
    std::unique_ptr<GptWeights> m_weights;
    std::vector<std::unique_ptr<GptTrainer>> m_trainers;
    std::optional<detail::DataParallelOptimizer> m_optimizer;
};

DynamicLossScaler::Settings scalerSettings(float initial, std::int64_t growthInterval)
{
    DynamicLossScaler::Settings s;
    s.initialScale = initial;
    s.growthInterval = growthInterval;
    return s;
}

TEST(LossScaling, AnOverflowSkipsTheStepKeepsTheWeightsAndHalvesTheScale)
{
    for (int replicas : {1, 2}) {
        ScaledTraining run(replicas, LossScaling::Dynamic, scalerSettings(1024, 3), 1.0);
        auto first = run.step(1, false);
        EXPECT_TRUE(first.applied);
        EXPECT_EQ(first.lossScale, 1024);
        EXPECT_TRUE(std::isfinite(first.gradNorm));
        const auto before = run.weights();

        auto overflow = run.step(2, true);
        EXPECT_FALSE(overflow.applied) << replicas << " replicas: an inf gradient must not be applied";
        EXPECT_FALSE(std::isfinite(overflow.gradNorm));
        EXPECT_EQ(run.weights(), before) << "a skipped step leaves every weight bit as it was";
        EXPECT_EQ(run.lossScale(), 512) << "the scale halves on an overflow";
        EXPECT_EQ(run.skipped(), 1);

        // Training goes on at the lower scale and grows back after growthInterval clean steps.
        for (std::int64_t step = 3; step <= 5; ++step) {
            auto r = run.step(step, false);
            EXPECT_TRUE(r.applied) << "step " << step;
            EXPECT_EQ(r.lossScale, 512) << "step " << step;
            EXPECT_TRUE(std::isfinite(r.gradNorm));
        }
        EXPECT_NE(run.weights(), before) << "the clean steps after the overflow update the weights";
        EXPECT_EQ(run.lossScale(), 1024) << "three clean steps double the scale again";
        EXPECT_EQ(run.skipped(), 1);
    }
}

TEST(LossScaling, WithoutLossScalingAnOverflowIsStillANumericalError)
{
    ScaledTraining run(1, LossScaling::Off, {}, 1.0);
    EXPECT_EQ(run.lossScale(), 1.0f);
    EXPECT_TRUE(run.step(1, false).applied);
    const auto before = run.weights();
    auto overflow = run.tryStep(2, true);
    ASSERT_FALSE(overflow.has_value()) << "fp32/bf16 training does not skip steps silently";
    EXPECT_EQ(overflow.error().code, ErrorCode::NumericalError);
    EXPECT_EQ(run.weights(), before);
    EXPECT_EQ(run.skipped(), 0);
}

TEST(LossScaling, TheUnscaledUpdateEqualsTheFp32Update)
{
    // The scale doubles after every step (growth interval 1), so the moments would mix gradients
    // of different scales if the optimiser did not unscale (Adam alone is invariant to a constant
    // scale, not to a changing one). grad_clip 1e3: no clipping; 1e-3: every step is clipped
    // (norm > clip), so gradScale = clip / scale is exercised.
    for (double clip : {1e3, 1e-3}) {
        ScaledTraining plain(1, LossScaling::Off, {}, clip);
        ScaledTraining scaled(1, LossScaling::Dynamic, scalerSettings(4096, 1), clip);
        const auto initial = plain.weights();
        ASSERT_EQ(scaled.weights(), initial);
        for (std::int64_t step = 1; step <= 3; ++step) {
            auto a = plain.step(step, false);
            auto b = scaled.step(step, false);
            ASSERT_TRUE(b.applied);
            EXPECT_EQ(b.lossScale, 4096.0f * static_cast<float>(1 << (step - 1)));
            EXPECT_NEAR(b.gradNorm, a.gradNorm, 1e-6 * a.gradNorm) << "the norm is unscaled, step " << step;
        }
        auto delta = [&](std::vector<float> w) {
            for (std::size_t i = 0; i < w.size(); ++i)
                w[i] -= initial[i];
            return w;
        };
        EXPECT_LT(relativeError(delta(scaled.weights()), delta(plain.weights())), 1e-5)
            << "clip " << clip << ": the update from scaled gradients equals the fp32 update";
    }
}

} // namespace
} // namespace lwb::engine::test
