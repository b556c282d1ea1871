// Inference paths and precisions: KV-cache generation reproduces the full causal forward pass;
// bf16 and int8 outputs stay within the tolerances documented in docs/performance.md of fp32;
// precisions a backend cannot run are reported as Unsupported, never substituted.
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"
#include "lwb/engine/mlp.h"

namespace lwb::engine::test {
namespace {

class GptInference : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_be = cpuBackend(1);
        m_cfg.nLayer = 2;
        m_cfg.nEmbd = 128;
        m_cfg.nHead = 2;
        m_cfg.maxSeqLen = 24;
        auto model = GptModel::create(*m_be, m_cfg);
        ASSERT_TRUE(model.has_value());
        m_model = std::move(*model);
        ASSERT_TRUE(m_model->initRandom(5).has_value());
        std::mt19937 rng(9);
        for (std::int64_t i = 0; i < B * T; ++i)
            m_seq.push_back(static_cast<std::int32_t>(rng() % 256));
    }

    /// Logits [B, Vp] of prefill(prompt P) then one per decode step, for the fixed sequences.
    std::vector<std::vector<float>> generate(Precision precision)
    {
        auto weights = GptWeights::create(*m_be, m_cfg, precision, WeightUse::Inference, {B, B * P});
        EXPECT_TRUE(weights.has_value());
        (*weights)->pack(*m_be, *m_model);
        auto gen = GptGenerator::create(*m_be, *m_model, **weights, B, P);
        EXPECT_TRUE(gen.has_value());
        std::vector<std::int32_t> prompt;
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t t = 0; t < P; ++t)
                prompt.push_back(m_seq[static_cast<std::size_t>(b * T + t)]);
        std::vector<std::vector<float>> out;
        EXPECT_TRUE((*gen)->prefill(prompt.data(), P).has_value());
        out.push_back(download(*m_be, (*gen)->logits()));
        for (std::int64_t t = P; t < T; ++t) {
            std::vector<std::int32_t> next;
            for (std::int64_t b = 0; b < B; ++b)
                next.push_back(m_seq[static_cast<std::size_t>(b * T + t)]);
            auto r = (*gen)->decode(next);
            EXPECT_TRUE(r.has_value());
            out.push_back(download(*m_be, (*gen)->logits()));
        }
        return out;
    }

    static constexpr std::int64_t B = 3, P = 9, T = 14;
    GptConfig m_cfg;
    std::unique_ptr<Backend> m_be;
    std::unique_ptr<GptModel> m_model;
    std::vector<std::int32_t> m_seq;
};

TEST_F(GptInference, KvCacheGenerationMatchesTheFullForwardPass)
{
    auto weights = GptWeights::create(*m_be, m_cfg, Precision::Fp32, WeightUse::Training, {B * T});
    ASSERT_TRUE(weights.has_value());
    (*weights)->pack(*m_be, *m_model);
    auto trainer = GptTrainer::create(*m_be, *m_model, **weights, B, T);
    ASSERT_TRUE(trainer.has_value());
    ASSERT_TRUE((*trainer)->loss(m_seq.data(), m_seq.data()).has_value());
    auto full = download(*m_be, (*trainer)->logits());
    const std::int64_t Vp = m_cfg.paddedVocab();
    auto steps = generate(Precision::Fp32);
    for (std::int64_t s = 0; s < static_cast<std::int64_t>(steps.size()); ++s) {
        const std::int64_t pos = P - 1 + s;
        std::vector<float> want;
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t v = 0; v < Vp; ++v)
                want.push_back(full[static_cast<std::size_t>((b * T + pos) * Vp + v)]);
        EXPECT_TRUE(allClose(steps[static_cast<std::size_t>(s)], want, 1e-4, 1e-4)) << "position " << pos;
    }
}

TEST_F(GptInference, Bf16AndInt8LogitsStayCloseToFp32)
{
    auto ref = generate(Precision::Fp32);
    for (Precision p : {Precision::Bf16, Precision::Int8}) {
        if (!m_be->supports(Op::Matmul, weightDType(p))) {
            std::printf("skipping %s: not supported here\n", std::string(precisionName(p)).c_str());
            continue;
        }
        auto got = generate(p);
        double worst = 0;
        for (std::size_t s = 0; s < ref.size(); ++s)
            worst = std::max(worst, relativeError(got[s], ref[s]));
        std::printf("%s vs fp32: worst relative logits error %.2e\n", std::string(precisionName(p)).c_str(), worst);
        // docs/performance.md: bf16 within 2e-2, int8 within 5e-2 (relative 2-norm of the logits).
        EXPECT_LT(worst, p == Precision::Bf16 ? 2e-2 : 5e-2) << precisionName(p);
    }
}

TEST(Precision, Int8MatmulQuantisesPerChannelAndPerRow)
{
    auto be = cpuBackend(1);
    if (!be->supports(Op::Matmul, DType::I8))
        GTEST_SKIP() << "no int8 matmul on this machine";
    const std::int64_t M = 40, K = 384, N = 96;
    auto w = randn(N * K, 1);
    for (std::int64_t n = 0; n < N; ++n) // channels of very different scales: per-channel scales matter
        for (std::int64_t k = 0; k < K; ++k)
            w[static_cast<std::size_t>(n * K + k)] *= static_cast<float>(1 + n % 7) * 0.3f;
    Tensor wt = upload(*be, {N, K}, w), x = upload(*be, {M, K}, randn(M * K, 2)), bias = upload(*be, {N}, randn(N, 3));
    auto f32 = be->createPackedWeight({N, K, DType::F32, WeightLayout::Transposed, {M}});
    auto i8 = be->createPackedWeight({N, K, DType::I8, WeightLayout::Transposed, {M}});
    ASSERT_TRUE(f32.has_value() && i8.has_value());
    be->packWeight(**f32, wt);
    be->packWeight(**i8, wt);
    Tensor y32 = zeros(*be, {M, N}), y8 = zeros(*be, {M, N});
    be->matmul(y32, x, **f32, bias, Accumulate::Overwrite);
    be->matmul(y8, x, **i8, bias, Accumulate::Overwrite);
    const double err = relativeError(download(*be, y8), download(*be, y32));
    std::printf("int8 matmul relative error %.2e\n", err);
    EXPECT_LT(err, 1.5e-2);
    EXPECT_LT((*i8)->bytes(), (*f32)->bytes() / 3) << "int8 weights take about a quarter of the memory";
}

TEST(Precision, UnsupportedPrecisionIsAnErrorNotASubstitute)
{
    auto be = cpuBackend(1);
    GptConfig cfg;
    cfg.nLayer = 1;
    cfg.nEmbd = 64;
    cfg.nHead = 2;
    cfg.maxSeqLen = 16;
    auto fp16 = GptWeights::create(*be, cfg, Precision::Fp16, WeightUse::Inference, {4});
    ASSERT_FALSE(fp16.has_value());
    EXPECT_EQ(fp16.error().code, ErrorCode::Unsupported);
    EXPECT_NE(fp16.error().message.find("fp16"), std::string::npos);
    auto int8Training = GptWeights::create(*be, cfg, Precision::Int8, WeightUse::Training, {4});
    ASSERT_FALSE(int8Training.has_value());
    EXPECT_EQ(int8Training.error().code, ErrorCode::Unsupported);
    EXPECT_FALSE(be->supports(Op::Matmul, DType::F16));
    auto f16Weight = be->createPackedWeight({8, 8, DType::F16, WeightLayout::Transposed, {}});
    ASSERT_FALSE(f16Weight.has_value());
    EXPECT_EQ(f16Weight.error().code, ErrorCode::Unsupported);
}

TEST(Precision, MlpPredictionsAgreeAcrossPrecisions)
{
    auto be = cpuBackend(1);
    MlpConfig cfg;
    cfg.inputDim = 64;
    cfg.hiddenDim = 128;
    cfg.classes = 10;
    auto model = MlpModel::create(*be, cfg);
    ASSERT_TRUE(model.has_value());
    ASSERT_TRUE((*model)->initRandom(3).has_value());
    const std::int64_t B = 256;
    auto x = randn(B * cfg.inputDim, 4);
    auto predict = [&](Precision p) {
        auto w = MlpWeights::create(*be, cfg, p, WeightUse::Inference, {B});
        EXPECT_TRUE(w.has_value());
        (*w)->pack(*be, **model);
        auto runner = MlpRunner::create(*be, **model, **w, B, WeightUse::Inference);
        EXPECT_TRUE(runner.has_value());
        auto pred = (*runner)->predict(x.data());
        EXPECT_TRUE(pred.has_value());
        return *pred;
    };
    auto ref = predict(Precision::Fp32);
    for (Precision p : {Precision::Bf16, Precision::Int8}) {
        if (!be->supports(Op::Matmul, weightDType(p)))
            continue;
        auto got = predict(p);
        int same = 0;
        for (std::size_t i = 0; i < ref.size(); ++i)
            same += got[i] == ref[i] ? 1 : 0;
        EXPECT_GE(same, static_cast<int>(0.9 * B)) << precisionName(p) << " changes too many predictions";
    }
}

} // namespace
} // namespace lwb::engine::test
