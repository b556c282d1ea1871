// Every op against an independent double-precision formula (forward) and every backward op
// against central finite differences of L = sum(w * forward(x)) at sampled coordinates, on each
// backend under test. Problem sizes are small and include tails (rows/columns not multiples of
// the vector width, head sizes with and without specialised kernels).
#include "engine_test_util.h"

#include <functional>

namespace lwb::engine::test {
namespace {

class OpMath : public ::testing::TestWithParam<BackendUnderTest> {
protected:
    void SetUp() override
    {
        m_be = GetParam().create();
        ASSERT_NE(m_be, nullptr);
    }
    Backend& be() { return *m_be; }
    std::unique_ptr<Backend> m_be;
};

double weighted(const std::vector<float>& out, const std::vector<float>& w)
{
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        s += static_cast<double>(out[i]) * w[i];
    return s;
}

/// Compares `analytic` with central differences of L(x) = sum(w * f(x)) at sampled coordinates.
::testing::AssertionResult gradientMatches(std::vector<float> x, const std::vector<float>& analytic,
    const std::vector<float>& w, const std::function<std::vector<float>(const std::vector<float>&)>& f,
    double eps = 1e-3, double rtol = 2e-2, double atol = 2e-3)
{
    std::mt19937 rng(7);
    std::vector<std::size_t> idx {0, x.size() - 1};
    for (int i = 0; i < 24; ++i)
        idx.push_back(rng() % x.size());
    for (std::size_t i : idx) {
        const float keep = x[i];
        x[i] = keep + static_cast<float>(eps);
        const double plus = weighted(f(x), w);
        x[i] = keep - static_cast<float>(eps);
        const double minus = weighted(f(x), w);
        x[i] = keep;
        const double numeric = (plus - minus) / (2 * eps);
        if (std::fabs(numeric - analytic[i]) > atol + rtol * std::fabs(numeric))
            return ::testing::AssertionFailure()
                << "coordinate " << i << ": analytic " << analytic[i] << " vs numeric " << numeric;
    }
    return ::testing::AssertionSuccess();
}

TEST_P(OpMath, EmbeddingGradients)
{
    const std::int64_t B = 2, T = 4, C = 8, V = 6;
    std::vector<std::int32_t> tok {1, 5, 1, 0, 2, 2, 3, 1};
    Tensor tokens = uploadInts(be(), {B, T}, tok);
    auto wte = randn(V * C, 1), wpe = randn(T * C, 2), w = randn(B * T * C, 3);
    auto fwd = [&](const std::vector<float>& te, const std::vector<float>& pe) {
        Tensor out = zeros(be(), {B * T, C});
        be().embeddingForward(out, tokens, upload(be(), {V, C}, te), upload(be(), {T, C}, pe), 0);
        return download(be(), out);
    };
    Tensor dwte = zeros(be(), {V, C}), dwpe = zeros(be(), {T, C});
    be().embeddingBackward(dwte, dwpe, upload(be(), {B * T, C}, w), tokens);
    EXPECT_TRUE(gradientMatches(wte, download(be(), dwte), w, [&](const auto& x) { return fwd(x, wpe); }));
    EXPECT_TRUE(gradientMatches(wpe, download(be(), dwpe), w, [&](const auto& x) { return fwd(wte, x); }));
}

TEST_P(OpMath, LayerNormMatchesFormulaAndGradients)
{
    const std::int64_t N = 5, C = 21;
    auto x = randn(N * C, 4, 2.0f), g = randn(C, 5), b = randn(C, 6), w = randn(N * C, 7);
    auto fwd = [&](const std::vector<float>& xs, const std::vector<float>& gs, const std::vector<float>& bs) {
        Tensor out = zeros(be(), {N, C});
        be().layernormForward(
            out, Tensor(), Tensor(), upload(be(), {N, C}, xs), upload(be(), {C}, gs), upload(be(), {C}, bs));
        return download(be(), out);
    };
    auto y = fwd(x, g, b);
    for (std::int64_t r = 0; r < N; ++r) {
        double mean = 0, var = 0;
        for (std::int64_t c = 0; c < C; ++c)
            mean += x[static_cast<std::size_t>(r * C + c)] / static_cast<double>(C);
        for (std::int64_t c = 0; c < C; ++c)
            var += std::pow(x[static_cast<std::size_t>(r * C + c)] - mean, 2) / static_cast<double>(C);
        for (std::int64_t c = 0; c < C; ++c) {
            auto i = static_cast<std::size_t>(r * C + c);
            double want = (x[i] - mean) / std::sqrt(var + 1e-5) * g[static_cast<std::size_t>(c)]
                + b[static_cast<std::size_t>(c)];
            EXPECT_NEAR(y[i], want, 1e-5 * (1 + std::fabs(want)));
        }
    }
    Tensor xt = upload(be(), {N, C}, x), mean = zeros(be(), {N}), rstd = zeros(be(), {N}), out = zeros(be(), {N, C});
    Tensor gt = upload(be(), {C}, g);
    be().layernormForward(out, mean, rstd, xt, gt, upload(be(), {C}, b));
    Tensor dx = zeros(be(), {N, C}), dg = zeros(be(), {C}), db = zeros(be(), {C});
    be().layernormBackward(
        dx, dg, db, upload(be(), {N, C}, w), xt, gt, mean, rstd, Accumulate::Overwrite, Accumulate::Overwrite);
    EXPECT_TRUE(gradientMatches(x, download(be(), dx), w, [&](const auto& v) { return fwd(v, g, b); }));
    EXPECT_TRUE(gradientMatches(g, download(be(), dg), w, [&](const auto& v) { return fwd(x, v, b); }));
    EXPECT_TRUE(gradientMatches(b, download(be(), db), w, [&](const auto& v) { return fwd(x, g, v); }));
}

TEST_P(OpMath, GeluMatchesTanhFormulaAndGradient)
{
    const std::int64_t n = 77;
    auto x = randn(n, 8, 2.5f), w = randn(n, 9);
    auto fwd = [&](const std::vector<float>& xs) {
        Tensor y = zeros(be(), {n});
        be().geluForward(y, upload(be(), {n}, xs));
        return download(be(), y);
    };
    auto y = fwd(x);
    for (std::size_t i = 0; i < x.size(); ++i) {
        double v = x[i];
        double want = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        EXPECT_NEAR(y[i], want, 2e-6 * (1 + std::fabs(want)));
    }
    Tensor dx = zeros(be(), {n});
    be().geluBackward(dx, upload(be(), {n}, x), upload(be(), {n}, w));
    EXPECT_TRUE(gradientMatches(x, download(be(), dx), w, fwd));
}

TEST_P(OpMath, AttentionMatchesSoftmaxFormulaAndGradient)
{
    for (auto [T, C, NH] : {std::tuple {6, 32, 2}, std::tuple {9, 24, 3}, std::tuple {5, 128, 2}}) {
        const std::int64_t B = 2, hs = C / NH;
        auto qkv = randn(static_cast<std::size_t>(B * T * 3 * C), 10),
             w = randn(static_cast<std::size_t>(B * T * C), 11);
        auto fwd = [&](const std::vector<float>& x) {
            Tensor out = zeros(be(), {B, T, C}), att = zeros(be(), be().attentionSaved(B, NH, T).shape);
            be().attentionForward(out, att, upload(be(), {B, T, 3 * C}, x), NH);
            return download(be(), out);
        };
        auto y = fwd(qkv);
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t h = 0; h < NH; ++h)
                for (std::int64_t t = 0; t < T; ++t) {
                    auto at = [&](std::int64_t tt, std::int64_t part, std::int64_t d) {
                        return static_cast<double>(
                            qkv[static_cast<std::size_t>((b * T + tt) * 3 * C + part * C + h * hs + d)]);
                    };
                    std::vector<double> s(static_cast<std::size_t>(t + 1));
                    double mx = -1e300, sum = 0;
                    for (std::int64_t u = 0; u <= t; ++u) {
                        double dot = 0;
                        for (std::int64_t d = 0; d < hs; ++d)
                            dot += at(t, 0, d) * at(u, 1, d);
                        s[static_cast<std::size_t>(u)] = dot / std::sqrt(static_cast<double>(hs));
                        mx = std::max(mx, s[static_cast<std::size_t>(u)]);
                    }
                    for (auto& v : s)
                        sum += (v = std::exp(v - mx));
                    for (std::int64_t d = 0; d < hs; ++d) {
                        double want = 0;
                        for (std::int64_t u = 0; u <= t; ++u)
                            want += s[static_cast<std::size_t>(u)] / sum * at(u, 2, d);
                        EXPECT_NEAR(y[static_cast<std::size_t>((b * T + t) * C + h * hs + d)], want, 1e-5);
                    }
                }
        Tensor q = upload(be(), {B, T, 3 * C}, qkv), out = zeros(be(), {B, T, C}),
               att = zeros(be(), be().attentionSaved(B, NH, T).shape);
        be().attentionForward(out, att, q, NH);
        Tensor dqkv = zeros(be(), {B, T, 3 * C});
        be().attentionBackward(dqkv, upload(be(), {B, T, C}, w), q, out, att, NH);
        EXPECT_TRUE(gradientMatches(qkv, download(be(), dqkv), w, fwd)) << "T " << T << " C " << C;
    }
}

TEST_P(OpMath, MatmulMatchesFormulaAndGradients)
{
    const std::int64_t M = 13, K = 19, N = 23;
    auto x = randn(M * K, 12), wt = randn(N * K, 13), bias = randn(N, 14), w = randn(M * N, 15);
    auto fwd = [&](const std::vector<float>& xs, const std::vector<float>& ws, const std::vector<float>& bs) {
        auto packed = be().createPackedWeight({N, K, DType::F32, WeightLayout::Transposed, {M}});
        EXPECT_TRUE(packed.has_value());
        be().packWeight(**packed, upload(be(), {N, K}, ws));
        Tensor y = zeros(be(), {M, N});
        be().matmul(y, upload(be(), {M, K}, xs), **packed, upload(be(), {N}, bs), Accumulate::Overwrite);
        return download(be(), y);
    };
    auto y = fwd(x, wt, bias);
    for (std::int64_t m = 0; m < M; ++m)
        for (std::int64_t n = 0; n < N; ++n) {
            double want = bias[static_cast<std::size_t>(n)];
            for (std::int64_t k = 0; k < K; ++k)
                want += static_cast<double>(x[static_cast<std::size_t>(m * K + k)])
                    * wt[static_cast<std::size_t>(n * K + k)];
            EXPECT_NEAR(y[static_cast<std::size_t>(m * N + n)], want, 1e-4);
        }
    auto back = be().createPackedWeight({K, N, DType::F32, WeightLayout::Plain, {M}});
    ASSERT_TRUE(back.has_value());
    be().packWeight(**back, upload(be(), {N, K}, wt));
    Tensor g = upload(be(), {M, N}, w), dx = zeros(be(), {M, K}), dw = zeros(be(), {N, K}), db = zeros(be(), {N});
    be().matmul(dx, g, **back, Tensor(), Accumulate::Overwrite);
    be().matmulWeightGrad(dw, g, upload(be(), {M, K}, x), Accumulate::Overwrite);
    be().biasGrad(db, g, Accumulate::Overwrite);
    EXPECT_TRUE(gradientMatches(x, download(be(), dx), w, [&](const auto& v) { return fwd(v, wt, bias); }));
    EXPECT_TRUE(gradientMatches(wt, download(be(), dw), w, [&](const auto& v) { return fwd(x, v, bias); }));
    EXPECT_TRUE(gradientMatches(bias, download(be(), db), w, [&](const auto& v) { return fwd(x, wt, v); }));
}

TEST_P(OpMath, CrossEntropyMatchesFormulaAndGradient)
{
    const std::int64_t M = 6, V = 37, Vp = 40;
    auto logits = randn(M * Vp, 16, 2.0f);
    std::vector<std::int32_t> targets {0, 36, 5, 5, 12, 30};
    Tensor tg = uploadInts(be(), {M}, targets);
    auto losses = [&](const std::vector<float>& l) {
        Tensor out = zeros(be(), {M});
        be().crossEntropy(out, Tensor(), upload(be(), {M, Vp}, l), tg, V, 1.0f);
        return download(be(), out);
    };
    auto got = losses(logits);
    for (std::int64_t r = 0; r < M; ++r) {
        double mx = -1e300, sum = 0;
        for (std::int64_t v = 0; v < V; ++v)
            mx = std::max(mx, static_cast<double>(logits[static_cast<std::size_t>(r * Vp + v)]));
        for (std::int64_t v = 0; v < V; ++v)
            sum += std::exp(logits[static_cast<std::size_t>(r * Vp + v)] - mx);
        double want
            = std::log(sum) + mx - logits[static_cast<std::size_t>(r * Vp + targets[static_cast<std::size_t>(r)])];
        EXPECT_NEAR(got[static_cast<std::size_t>(r)], want, 2e-5 * (1 + want));
    }
    Tensor d = zeros(be(), {M, Vp});
    be().crossEntropy(zeros(be(), {M}), d, upload(be(), {M, Vp}, logits), tg, V, 0.5f);
    auto dl = download(be(), d);
    for (std::int64_t r = 0; r < M; ++r)
        for (std::int64_t v = V; v < Vp; ++v)
            EXPECT_EQ(dl[static_cast<std::size_t>(r * Vp + v)], 0.0f) << "padded vocabulary gets no gradient";
    EXPECT_TRUE(gradientMatches(logits, dl, std::vector<float>(M, 0.5f), losses));
}

TEST_P(OpMath, AdamWFollowsPyTorchAndSumSquaresIsExact)
{
    const std::int64_t n = 50;
    auto p = randn(n, 17), g = randn(n, 18), m = randn(n, 19, 0.1f), v = randn(n, 20, 0.1f);
    for (auto& x : v)
        x = x * x;
    AdamWStep s;
    s.lr = 1e-2f;
    s.t = 4;
    s.gradScale = 0.7f;
    Tensor pt = upload(be(), {n}, p), mt = upload(be(), {n}, m), vt = upload(be(), {n}, v);
    be().adamw(pt, upload(be(), {n}, g), mt, vt, s);
    auto p2 = download(be(), pt), m2 = download(be(), mt), v2 = download(be(), vt);
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        double gi = g[i] * 0.7, mi = 0.9 * m[i] + 0.1 * gi, vi = 0.95 * v[i] + 0.05 * gi * gi;
        double denom = std::sqrt(vi) / std::sqrt(1 - std::pow(0.95, 4)) + 1e-8;
        double want = p[i] * (1 - 1e-2 * 0.1) - 1e-2 / (1 - std::pow(0.9, 4)) * mi / denom;
        EXPECT_NEAR(m2[i], mi, 1e-6);
        EXPECT_NEAR(v2[i], vi, 1e-6);
        EXPECT_NEAR(p2[i], want, 1e-5);
    }
    auto x = randn(4099, 21);
    double want = 0;
    for (float f : x)
        want += static_cast<double>(f) * f;
    Tensor out = zeros(be(), {1});
    be().sumSquares(out, upload(be(), {4099}, x));
    EXPECT_NEAR(download(be(), out)[0], want, 1e-6 * want);
}

INSTANTIATE_TEST_SUITE_P(Backends, OpMath, ::testing::ValuesIn(backendsUnderTest()), backendLabel);

} // namespace
} // namespace lwb::engine::test
