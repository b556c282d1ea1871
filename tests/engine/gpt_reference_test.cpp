// A GPT-S training step (L6 C384 H6 V256; a short batch to keep CI fast) against an independent,
// naive double-precision implementation of the same model (llm.c's train_gpt2.c structure,
// written here from the equations): the loss and every parameter gradient must match. Also
// checks bf16 mixed precision against fp32 within the documented tolerances (docs/performance.md).
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"

namespace lwb::engine::test {
namespace {

/// Naive double-precision GPT with the engine's flat parameter layout.
class ReferenceGpt {
public:
    ReferenceGpt(const GptConfig& c, std::vector<double> params)
        : m_c(c)
        , m_p(std::move(params))
    {
    }

    /// Mean loss of [B, T]; fills `grads` (flat, same layout) with d(mean loss)/d(params).
    double step(const std::vector<std::int32_t>& tok, const std::vector<std::int32_t>& tgt, std::int64_t B,
        std::int64_t T, std::vector<double>& grads)
    {
        const std::int64_t C = m_c.nEmbd, L = m_c.nLayer, NH = m_c.nHead, hs = C / NH, V = m_c.vocabSize;
        const std::int64_t Vp = m_c.paddedVocab(), N = B * T;
        Offsets o = offsets();
        grads.assign(m_p.size(), 0.0);
        // Forward, keeping what backward needs.
        std::vector<double> x(static_cast<std::size_t>(N * C));
        for (std::int64_t r = 0; r < N; ++r)
            for (std::int64_t c = 0; c < C; ++c)
                x[at(r * C + c)] = m_p[at(o.wte + tok[at(r)] * C + c)] + m_p[at(o.wpe + (r % T) * C + c)];
        struct Layer {
            std::vector<double> in, ln1, m1, r1, qkv, att, atty, res2, ln2, m2, r2, fch, gelu;
        };
        std::vector<Layer> acts(static_cast<std::size_t>(L));
        for (std::int64_t l = 0; l < L; ++l) {
            Layer& a = acts[at(l)];
            a.in = x;
            layernorm(a.in, N, C, o.ln1w + l * C, o.ln1b + l * C, a.ln1, a.m1, a.r1);
            a.qkv = linear(a.ln1, N, C, 3 * C, o.qkvw + l * 3 * C * C, o.qkvb + l * 3 * C);
            attention(a.qkv, B, T, C, NH, a.att, a.atty);
            auto proj = linear(a.atty, N, C, C, o.attprojw + l * C * C, o.attprojb + l * C);
            a.res2 = a.in;
            for (std::size_t i = 0; i < proj.size(); ++i)
                a.res2[i] += proj[i];
            layernorm(a.res2, N, C, o.ln2w + l * C, o.ln2b + l * C, a.ln2, a.m2, a.r2);
            a.fch = linear(a.ln2, N, C, 4 * C, o.fcw + l * 4 * C * C, o.fcb + l * 4 * C);
            a.gelu = a.fch;
            for (auto& v : a.gelu)
                v = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
            auto proj2 = linear(a.gelu, N, 4 * C, C, o.fcprojw + l * C * 4 * C, o.fcprojb + l * C);
            x = a.res2;
            for (std::size_t i = 0; i < proj2.size(); ++i)
                x[i] += proj2[i];
        }
        std::vector<double> lnf, mf, rf;
        layernorm(x, N, C, o.lnfw, o.lnfb, lnf, mf, rf);
        auto logits = linear(lnf, N, C, Vp, o.wte, -1);
        double loss = 0;
        std::vector<double> dlogits(logits.size(), 0.0);
        for (std::int64_t r = 0; r < N; ++r) {
            double mx = -1e300, sum = 0;
            for (std::int64_t v = 0; v < V; ++v)
                mx = std::max(mx, logits[at(r * Vp + v)]);
            for (std::int64_t v = 0; v < V; ++v)
                sum += std::exp(logits[at(r * Vp + v)] - mx);
            loss += (std::log(sum) + mx - logits[at(r * Vp + tgt[at(r)])]) / static_cast<double>(N);
            for (std::int64_t v = 0; v < V; ++v)
                dlogits[at(r * Vp + v)] = (std::exp(logits[at(r * Vp + v)] - mx) / sum - (v == tgt[at(r)])) / N;
        }
        // Backward.
        auto dlnf = linearBackward(dlogits, lnf, N, C, Vp, o.wte, -1, grads);
        auto dx = layernormBackward(dlnf, x, mf, rf, N, C, o.lnfw, o.lnfb, grads);
        for (std::int64_t l = L - 1; l >= 0; --l) {
            Layer& a = acts[at(l)];
            auto dgelu = linearBackward(dx, a.gelu, N, 4 * C, C, o.fcprojw + l * C * 4 * C, o.fcprojb + l * C, grads);
            for (std::size_t i = 0; i < dgelu.size(); ++i) {
                double v = a.fch[i], u = std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v), th = std::tanh(u);
                double du = std::sqrt(2 / M_PI) * (1 + 3 * 0.044715 * v * v);
                dgelu[i] *= 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du;
            }
            auto dln2 = linearBackward(dgelu, a.ln2, N, C, 4 * C, o.fcw + l * 4 * C * C, o.fcb + l * 4 * C, grads);
            auto dres2 = layernormBackward(dln2, a.res2, a.m2, a.r2, N, C, o.ln2w + l * C, o.ln2b + l * C, grads);
            for (std::size_t i = 0; i < dx.size(); ++i)
                dx[i] += dres2[i]; // dx is now dL/d res2
            auto datty = linearBackward(dx, a.atty, N, C, C, o.attprojw + l * C * C, o.attprojb + l * C, grads);
            auto dqkv = attentionBackward(datty, a.qkv, a.att, B, T, C, NH);
            auto dln1 = linearBackward(dqkv, a.ln1, N, C, 3 * C, o.qkvw + l * 3 * C * C, o.qkvb + l * 3 * C, grads);
            auto din = layernormBackward(dln1, a.in, a.m1, a.r1, N, C, o.ln1w + l * C, o.ln1b + l * C, grads);
            for (std::size_t i = 0; i < dx.size(); ++i)
                dx[i] += din[i];
        }
        for (std::int64_t r = 0; r < N; ++r)
            for (std::int64_t c = 0; c < C; ++c) {
                grads[at(o.wte + tok[at(r)] * C + c)] += dx[at(r * C + c)];
                grads[at(o.wpe + (r % T) * C + c)] += dx[at(r * C + c)];
            }
        (void)hs;
        return loss;
    }

private:
    struct Offsets {
        std::int64_t wte, wpe, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb, lnfw,
            lnfb;
    };
    static std::size_t at(std::int64_t i) { return static_cast<std::size_t>(i); }
    Offsets offsets() const
    {
        const std::int64_t C = m_c.nEmbd, L = m_c.nLayer;
        Offsets o {};
        std::int64_t off = 0;
        auto take = [&](std::int64_t n) {
            std::int64_t r = off;
            off += n;
            return r;
        };
        o.wte = take(m_c.paddedVocab() * C);
        o.wpe = take(m_c.maxSeqLen * C);
        o.ln1w = take(L * C);
        o.ln1b = take(L * C);
        o.qkvw = take(L * 3 * C * C);
        o.qkvb = take(L * 3 * C);
        o.attprojw = take(L * C * C);
        o.attprojb = take(L * C);
        o.ln2w = take(L * C);
        o.ln2b = take(L * C);
        o.fcw = take(L * 4 * C * C);
        o.fcb = take(L * 4 * C);
        o.fcprojw = take(L * C * 4 * C);
        o.fcprojb = take(L * C);
        o.lnfw = take(C);
        o.lnfb = take(C);
        return o;
    }
    void layernorm(const std::vector<double>& in, std::int64_t N, std::int64_t C, std::int64_t w, std::int64_t b,
        std::vector<double>& out, std::vector<double>& mean, std::vector<double>& rstd) const
    {
        out.assign(in.size(), 0.0);
        mean.assign(at(N), 0.0);
        rstd.assign(at(N), 0.0);
        for (std::int64_t r = 0; r < N; ++r) {
            double m = 0, v = 0;
            for (std::int64_t c = 0; c < C; ++c)
                m += in[at(r * C + c)] / static_cast<double>(C);
            for (std::int64_t c = 0; c < C; ++c)
                v += std::pow(in[at(r * C + c)] - m, 2) / static_cast<double>(C);
            double s = 1 / std::sqrt(v + 1e-5);
            mean[at(r)] = m;
            rstd[at(r)] = s;
            for (std::int64_t c = 0; c < C; ++c)
                out[at(r * C + c)] = (in[at(r * C + c)] - m) * s * m_p[at(w + c)] + m_p[at(b + c)];
        }
    }
    std::vector<double> layernormBackward(const std::vector<double>& dout, const std::vector<double>& in,
        const std::vector<double>& mean, const std::vector<double>& rstd, std::int64_t N, std::int64_t C,
        std::int64_t w, std::int64_t b, std::vector<double>& g) const
    {
        std::vector<double> din(in.size(), 0.0);
        for (std::int64_t r = 0; r < N; ++r) {
            double a = 0, bb = 0;
            for (std::int64_t c = 0; c < C; ++c) {
                double norm = (in[at(r * C + c)] - mean[at(r)]) * rstd[at(r)];
                double dn = m_p[at(w + c)] * dout[at(r * C + c)];
                a += dn / static_cast<double>(C);
                bb += dn * norm / static_cast<double>(C);
                g[at(b + c)] += dout[at(r * C + c)];
                g[at(w + c)] += norm * dout[at(r * C + c)];
            }
            for (std::int64_t c = 0; c < C; ++c) {
                double norm = (in[at(r * C + c)] - mean[at(r)]) * rstd[at(r)];
                din[at(r * C + c)] = (m_p[at(w + c)] * dout[at(r * C + c)] - a - norm * bb) * rstd[at(r)];
            }
        }
        return din;
    }
    /// out[N, OC] = in[N, IC] . W[OC, IC]^T + b (b < 0: no bias).
    std::vector<double> linear(const std::vector<double>& in, std::int64_t N, std::int64_t IC, std::int64_t OC,
        std::int64_t w, std::int64_t b) const
    {
        std::vector<double> out(at(N * OC));
        for (std::int64_t r = 0; r < N; ++r)
            for (std::int64_t o = 0; o < OC; ++o) {
                double s = b >= 0 ? m_p[at(b + o)] : 0.0;
                const double* wr = m_p.data() + w + o * IC;
                const double* xr = in.data() + r * IC;
                for (std::int64_t i = 0; i < IC; ++i)
                    s += xr[i] * wr[i];
                out[at(r * OC + o)] = s;
            }
        return out;
    }
    std::vector<double> linearBackward(const std::vector<double>& dout, const std::vector<double>& in, std::int64_t N,
        std::int64_t IC, std::int64_t OC, std::int64_t w, std::int64_t b, std::vector<double>& g) const
    {
        std::vector<double> din(at(N * IC), 0.0);
        for (std::int64_t r = 0; r < N; ++r)
            for (std::int64_t o = 0; o < OC; ++o) {
                const double d = dout[at(r * OC + o)];
                if (b >= 0)
                    g[at(b + o)] += d;
                const double* wr = m_p.data() + w + o * IC;
                double* gw = g.data() + w + o * IC;
                const double* xr = in.data() + r * IC;
                double* dr = din.data() + r * IC;
                for (std::int64_t i = 0; i < IC; ++i) {
                    dr[i] += d * wr[i];
                    gw[i] += d * xr[i];
                }
            }
        return din;
    }
    void attention(const std::vector<double>& qkv, std::int64_t B, std::int64_t T, std::int64_t C, std::int64_t NH,
        std::vector<double>& att, std::vector<double>& out) const
    {
        const std::int64_t hs = C / NH;
        att.assign(at(B * NH * T * T), 0.0);
        out.assign(at(B * T * C), 0.0);
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t h = 0; h < NH; ++h)
                for (std::int64_t t = 0; t < T; ++t) {
                    double* a = att.data() + ((b * NH + h) * T + t) * T;
                    const double* q = qkv.data() + (b * T + t) * 3 * C + h * hs;
                    double mx = -1e300, sum = 0;
                    for (std::int64_t u = 0; u <= t; ++u) {
                        const double* k = qkv.data() + (b * T + u) * 3 * C + C + h * hs;
                        double s = 0;
                        for (std::int64_t d = 0; d < hs; ++d)
                            s += q[d] * k[d];
                        a[u] = s / std::sqrt(static_cast<double>(hs));
                        mx = std::max(mx, a[u]);
                    }
                    for (std::int64_t u = 0; u <= t; ++u)
                        sum += (a[u] = std::exp(a[u] - mx));
                    for (std::int64_t u = 0; u <= t; ++u) {
                        a[u] /= sum;
                        const double* v = qkv.data() + (b * T + u) * 3 * C + 2 * C + h * hs;
                        for (std::int64_t d = 0; d < hs; ++d)
                            out[at((b * T + t) * C + h * hs + d)] += a[u] * v[d];
                    }
                }
    }
    std::vector<double> attentionBackward(const std::vector<double>& dout, const std::vector<double>& qkv,
        const std::vector<double>& att, std::int64_t B, std::int64_t T, std::int64_t C, std::int64_t NH) const
    {
        const std::int64_t hs = C / NH;
        const double scale = 1 / std::sqrt(static_cast<double>(hs));
        std::vector<double> dqkv(qkv.size(), 0.0);
        std::vector<double> datt(at(T));
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t h = 0; h < NH; ++h)
                for (std::int64_t t = 0; t < T; ++t) {
                    const double* a = att.data() + ((b * NH + h) * T + t) * T;
                    const double* dy = dout.data() + (b * T + t) * C + h * hs;
                    double dot = 0;
                    for (std::int64_t u = 0; u <= t; ++u) {
                        const std::int64_t vo = (b * T + u) * 3 * C + 2 * C + h * hs;
                        double s = 0;
                        for (std::int64_t d = 0; d < hs; ++d) {
                            s += dy[d] * qkv[at(vo + d)];
                            dqkv[at(vo + d)] += a[u] * dy[d];
                        }
                        datt[at(u)] = s;
                        dot += a[u] * s;
                    }
                    const std::int64_t qo = (b * T + t) * 3 * C + h * hs;
                    for (std::int64_t u = 0; u <= t; ++u) {
                        const double ds = a[u] * (datt[at(u)] - dot) * scale;
                        const std::int64_t ko = (b * T + u) * 3 * C + C + h * hs;
                        for (std::int64_t d = 0; d < hs; ++d) {
                            dqkv[at(qo + d)] += ds * qkv[at(ko + d)];
                            dqkv[at(ko + d)] += ds * qkv[at(qo + d)];
                        }
                    }
                }
        return dqkv;
    }

    GptConfig m_c;
    std::vector<double> m_p;
};

struct StepResult {
    double loss = 0;
    std::vector<float> grads;
    std::vector<float> logits;
};

StepResult engineStep(Backend& be, const GptModel& model, Precision precision, const std::vector<std::int32_t>& tok,
    const std::vector<std::int32_t>& tgt, std::int64_t B, std::int64_t T)
{
    auto weights = GptWeights::create(be, model.config(), precision, WeightUse::Training, {B * T});
    EXPECT_TRUE(weights.has_value());
    (*weights)->pack(be, model);
    auto trainer = GptTrainer::create(be, model, **weights, B, T);
    EXPECT_TRUE(trainer.has_value());
    StepResult r;
    auto logitsOnly = (*trainer)->loss(tok.data(), tgt.data());
    EXPECT_TRUE(logitsOnly.has_value());
    r.logits = download(be, (*trainer)->logits());
    auto loss
        = (*trainer)->forwardBackward(tok.data(), tgt.data(), Accumulate::Overwrite, 1.0f / static_cast<float>(B * T));
    EXPECT_TRUE(loss.has_value()) << loss.error().describe();
    r.loss = *loss;
    r.grads = download(be, (*trainer)->gradients());
    return r;
}

class GptReference : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_be = cpuBackend(2);
        m_cfg.maxSeqLen = 32; // GPT-S widths and depth; a short context keeps the naive reference fast
        auto model = GptModel::create(*m_be, m_cfg);
        ASSERT_TRUE(model.has_value());
        m_model = std::move(*model);
        ASSERT_TRUE(m_model->initRandom(42).has_value());
        std::mt19937 rng(3);
        for (std::int64_t i = 0; i < B * T; ++i) {
            m_tok.push_back(static_cast<std::int32_t>(rng() % 256));
            m_tgt.push_back(static_cast<std::int32_t>(rng() % 256));
        }
    }
    static constexpr std::int64_t B = 2, T = 16;
    GptConfig m_cfg;
    std::unique_ptr<Backend> m_be;
    std::unique_ptr<GptModel> m_model;
    std::vector<std::int32_t> m_tok, m_tgt;
};

/// Worst per-tensor relative 2-norm error of the gradients, with the tensor's name.
std::pair<double, std::string> worstTensor(
    const GptModel& model, const std::vector<float>& got, const std::vector<double>& want)
{
    std::pair<double, std::string> worst {0.0, ""};
    const char* base = static_cast<const char*>(model.flat().data());
    for (const auto& [name, t] : model.tensors().named()) {
        auto off = static_cast<std::size_t>((static_cast<const char*>(t.data()) - base) / 4);
        double num = 0, den = 0;
        for (std::size_t i = off; i < off + static_cast<std::size_t>(t.numel()); ++i) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
        if (rel > worst.first)
            worst = {rel, name};
    }
    return worst;
}

TEST_F(GptReference, Fp32StepMatchesDoublePrecision)
{
    std::vector<float> p32 = download(*m_be, m_model->flat());
    ReferenceGpt ref(m_cfg, std::vector<double>(p32.begin(), p32.end()));
    std::vector<double> refGrads;
    const double refLoss = ref.step(m_tok, m_tgt, B, T, refGrads);
    StepResult got = engineStep(*m_be, *m_model, Precision::Fp32, m_tok, m_tgt, B, T);
    EXPECT_NEAR(got.loss, refLoss, 1e-5 * refLoss);
    EXPECT_NEAR(refLoss, std::log(256.0), 0.2) << "an untrained model predicts about uniformly";
    auto [worst, name] = worstTensor(*m_model, got.grads, refGrads);
    std::printf(
        "fp32 vs double: loss %.8f vs %.8f, worst gradient error %.2e (%s)\n", got.loss, refLoss, worst, name.c_str());
    EXPECT_LT(worst, 1e-3) << "gradient of " << name;
}

TEST_F(GptReference, Bf16MixedPrecisionStaysWithinDocumentedTolerance)
{
    if (!m_be->supports(Op::Matmul, DType::BF16))
        GTEST_SKIP() << "no bf16 matmul on this machine";
    StepResult f32 = engineStep(*m_be, *m_model, Precision::Fp32, m_tok, m_tgt, B, T);
    StepResult b16 = engineStep(*m_be, *m_model, Precision::Bf16, m_tok, m_tgt, B, T);
    // docs/performance.md: bf16 loss within 1e-2 of fp32, logits within 2e-2 and gradients within
    // 3e-2 relative (2-norm) of fp32.
    EXPECT_NEAR(b16.loss, f32.loss, 1e-2);
    EXPECT_LT(relativeError(b16.logits, f32.logits), 2e-2);
    std::vector<double> f32Grads(f32.grads.begin(), f32.grads.end());
    auto [worst, name] = worstTensor(*m_model, b16.grads, f32Grads);
    std::printf("bf16 vs fp32: loss %.5f vs %.5f, logits error %.2e, worst gradient error %.2e (%s)\n", b16.loss,
        f32.loss, relativeError(b16.logits, f32.logits), worst, name.c_str());
    EXPECT_LT(worst, 3e-2) << "gradient of " << name;
}

} // namespace
} // namespace lwb::engine::test
