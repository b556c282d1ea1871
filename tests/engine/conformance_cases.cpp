// The op cases of the conformance suite: every op of the Backend interface, forward and backward,
// at several shapes (tails that are not multiples of vector widths or tiles, a single row, shapes
// of GPT layers) and at every precision the op has (fp32, bf16, fp16; int8 for matmuls). Inputs
// are seeded; a case produces named outputs that the harness compares across backends. Output
// names must not depend on the precision (the fp32 run is the cross-precision reference).
#include "conformance_harness.h"

#include <cmath>
#include <fmt/core.h>

namespace lwb::engine::conformance {

namespace {

using test::randn;
const std::vector<DType> kF32 {DType::F32};
const std::vector<DType> kFloats {DType::F32, DType::BF16, DType::F16};
const std::vector<DType> kMatmulTypes {DType::F32, DType::BF16, DType::F16, DType::I8};

/// The dtype of activations that feed matmuls at a precision (int8 takes f32).
DType activationOf(DType d)
{
    return d == DType::BF16 || d == DType::F16 ? d : DType::F32;
}

std::vector<float> causalPart(const std::vector<float>& probs, std::int64_t pairs, std::int64_t T)
{
    std::vector<float> out;
    for (std::int64_t p = 0; p < pairs; ++p)
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t u = 0; u <= t; ++u)
                out.push_back(probs[static_cast<std::size_t>((p * T + t) * T + u)]);
    return out;
}

/// The causal probabilities P[t,u] = exp(q_t . k_u / sqrt(hs) - lse[t]) from a flash-attention
/// backend's saved row log-sum-exp (AttentionSaves::LogSumExp), in the layout of causalPart.
std::vector<float> probabilitiesFromLse(const std::vector<float>& qkv, const std::vector<float>& lse, std::int64_t B,
    std::int64_t T, std::int64_t C, std::int64_t NH)
{
    const std::int64_t hs = C / NH;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hs));
    std::vector<float> out;
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < NH; ++h)
            for (std::int64_t t = 0; t < T; ++t)
                for (std::int64_t u = 0; u <= t; ++u) {
                    double dot = 0;
                    for (std::int64_t d = 0; d < hs; ++d)
                        dot += static_cast<double>(qkv[static_cast<std::size_t>((b * T + t) * 3 * C + h * hs + d)])
                            * qkv[static_cast<std::size_t>((b * T + u) * 3 * C + C + h * hs + d)];
                    const double l = lse[static_cast<std::size_t>((b * NH + h) * T + t)];
                    out.push_back(static_cast<float>(std::exp(dot * scale - l)));
                }
    return out;
}

void elementwiseCases(std::vector<CaseSpec>& cs)
{
    for (std::int64_t n : {1, 1000, 4099}) {
        cs.push_back({"elementwise", fmt::format("fill_copy_add_n{}", n), {Op::Fill, Op::Copy, Op::Add}, kF32, 1,
            [n](Runner& r) {
                auto& be = r.be();
                Tensor a = r.input({n}, randn(static_cast<std::size_t>(n), 1, 3.0f));
                Tensor b = r.input({n}, randn(static_cast<std::size_t>(n), 2));
                Tensor f = r.zeros({n});
                be.fill(f, 2.5f);
                r.output("fill", f);
                Tensor z = r.input({n}, randn(static_cast<std::size_t>(n), 3));
                be.fill(z, 0.0f);
                r.output("fill_zero", z);
                Tensor c = r.zeros({n});
                be.copy(c, a);
                r.output("copy", c);
                Tensor s = r.zeros({n});
                be.add(s, a, b);
                r.output("add", s);
                be.add(a, a, b);
                r.output("add_in_place", a);
            }});
    }
    for (std::int64_t n : {7, 1003}) {
        cs.push_back({"elementwise", fmt::format("convert_n{}", n), {Op::Convert}, kFloats, 1, [n](Runner& r) {
                          auto& be = r.be();
                          auto xs = randn(static_cast<std::size_t>(n), 4, 4.0f);
                          xs[0] = 1e-6f; // a half-precision subnormal
                          xs[1] = -0.0f;
                          xs.back() = 300.5f;
                          Tensor x = r.input({n}, xs);
                          Tensor h = r.zeros({n}, r.dtype()), back = r.zeros({n});
                          be.convert(h, x);
                          be.convert(back, h);
                          r.output("converted", h);
                          r.output("round_trip", back);
                      }});
    }
    cs.push_back({"elementwise", "select_rows", {Op::SelectRows}, kF32, 1, [](Runner& r) {
                      auto& be = r.be();
                      Tensor a = r.input({6, 50}, randn(300, 5));
                      Tensor picked = r.zeros({2, 50});
                      be.selectRows(picked, a, 2, 3);
                      r.output("every_third_from_2", picked);
                      Tensor all = r.zeros({3, 100});
                      be.selectRows(all, a.reshape({3, 100}), 0, 1);
                      r.output("all_rows", all);
                      const std::int64_t B = 3, T = 7, C = 13; // last position of each sequence
                      Tensor seq = r.input({B * T, C}, randn(B * T * C, 6));
                      Tensor last = r.zeros({B, C});
                      be.selectRows(last, seq, T - 1, T);
                      r.output("last_positions", last);
                  }});
}

struct EmbeddingShape {
    std::int64_t B, T, C, V, Tmax, pos;
};

void embeddingCases(std::vector<CaseSpec>& cs)
{
    for (auto s : {EmbeddingShape {2, 5, 24, 11, 8, 2}, EmbeddingShape {3, 16, 64, 256, 16, 0},
             EmbeddingShape {1, 7, 33, 50, 20, 13}}) {
        cs.push_back({"embedding", fmt::format("B{}_T{}_C{}_V{}_pos{}", s.B, s.T, s.C, s.V, s.pos),
            {Op::Embedding, Op::EmbeddingBackward}, kF32, s.B * s.T, [s](Runner& r) {
                auto& be = r.be();
                const std::int64_t N = s.B * s.T;
                std::mt19937 rng(7);
                std::vector<std::int32_t> tok(static_cast<std::size_t>(N));
                for (auto& t : tok)
                    t = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(s.V));
                tok[0] = tok[static_cast<std::size_t>(N - 1)] = static_cast<std::int32_t>(s.V - 1); // repeats
                Tensor tokens = r.ints({s.B, s.T}, tok);
                Tensor wte = r.input({s.V, s.C}, randn(static_cast<std::size_t>(s.V * s.C), 8));
                Tensor wpe = r.input({s.Tmax, s.C}, randn(static_cast<std::size_t>(s.Tmax * s.C), 9));
                Tensor out = r.zeros({N, s.C});
                be.embeddingForward(out, tokens, wte, wpe, s.pos);
                r.output("out", out);
                // Backward adds into existing gradients (accumulation is part of the contract).
                Tensor dwte = r.input({s.V, s.C}, randn(static_cast<std::size_t>(s.V * s.C), 10));
                Tensor dwpe = r.input({s.Tmax, s.C}, randn(static_cast<std::size_t>(s.Tmax * s.C), 11));
                be.embeddingBackward(
                    dwte, dwpe, r.input({N, s.C}, randn(static_cast<std::size_t>(N * s.C), 12)), tokens);
                r.output("dwte", dwte);
                r.output("dwpe", dwpe);
            }});
    }
}

void layernormCases(std::vector<CaseSpec>& cs)
{
    for (auto [N, C] : {std::pair<std::int64_t, std::int64_t> {7, 40}, {33, 768}, {5, 21}, {3, 1}}) {
        cs.push_back({"layernorm", fmt::format("forward_N{}_C{}", N, C), {Op::LayerNorm, Op::ResidualLayerNorm},
            kFloats, C, [N, C](Runner& r) {
                auto& be = r.be();
                auto xs = randn(static_cast<std::size_t>(N * C), 13, 2.0f);
                for (auto& v : xs)
                    v += 0.5f; // a non-zero mean
                Tensor x = r.input({N, C}, xs), y = r.input({N, C}, randn(static_cast<std::size_t>(N * C), 14));
                Tensor w = r.input({C}, randn(static_cast<std::size_t>(C), 15)),
                       b = r.input({C}, randn(static_cast<std::size_t>(C), 16));
                Tensor out = r.zeros({N, C}, r.dtype()), mean = r.zeros({N}), rstd = r.zeros({N});
                be.layernormForward(out, mean, rstd, x, w, b);
                r.output("out", out);
                r.output("mean", mean);
                r.output("rstd", rstd);
                Tensor noStats = r.zeros({N, C}, r.dtype());
                be.layernormForward(noStats, Tensor(), Tensor(), x, w, b);
                r.output("out_without_stats", noStats);
                Tensor res = r.zeros({N, C}), out2 = r.zeros({N, C}, r.dtype()), m2 = r.zeros({N}), r2 = r.zeros({N});
                be.residualLayernormForward(res, out2, m2, r2, x, y, w, b);
                r.output("residual", res);
                r.output("residual_out", out2);
                r.output("residual_rstd", r2);
                // The residual written over its first input (the inference path does this).
                Tensor inPlace = r.input({N, C}, xs), out3 = r.zeros({N, C}, r.dtype());
                be.residualLayernormForward(inPlace, out3, Tensor(), Tensor(), inPlace, y, w, b);
                r.output("in_place_residual", inPlace);
                r.output("in_place_out", out3);
            }});
    }
    for (auto [N, C] : {std::pair<std::int64_t, std::int64_t> {7, 40}, {130, 64}, {33, 768}}) {
        cs.push_back({"layernorm", fmt::format("backward_N{}_C{}", N, C), {Op::LayerNorm, Op::LayerNormBackward}, kF32,
            std::max(N, C), [N, C](Runner& r) {
                auto& be = r.be();
                Tensor x = r.input({N, C}, randn(static_cast<std::size_t>(N * C), 17, 2.0f));
                Tensor w = r.input({C}, randn(static_cast<std::size_t>(C), 18)),
                       b = r.input({C}, randn(static_cast<std::size_t>(C), 19));
                Tensor out = r.zeros({N, C}), mean = r.zeros({N}), rstd = r.zeros({N});
                be.layernormForward(out, mean, rstd, x, w, b);
                Tensor dout = r.input({N, C}, randn(static_cast<std::size_t>(N * C), 20));
                Tensor dx = r.input({N, C}, randn(static_cast<std::size_t>(N * C), 21)),
                       dw = r.input({C}, randn(static_cast<std::size_t>(C), 22)),
                       db = r.input({C}, randn(static_cast<std::size_t>(C), 23));
                be.layernormBackward(dx, dw, db, dout, x, w, mean, rstd, Accumulate::Add, Accumulate::Add);
                r.output("dinp_add", dx);
                r.output("dweight_add", dw);
                r.output("dbias_add", db);
                Tensor dx2 = r.zeros({N, C}), dw2 = r.zeros({C}), db2 = r.zeros({C});
                be.layernormBackward(
                    dx2, dw2, db2, dout, x, w, mean, rstd, Accumulate::Overwrite, Accumulate::Overwrite);
                r.output("dinp", dx2);
                r.output("dweight", dw2);
                r.output("dbias", db2);
            }});
    }
}

void geluCases(std::vector<CaseSpec>& cs)
{
    for (std::int64_t n : {1001, 4103}) {
        cs.push_back({"gelu", fmt::format("n{}", n), {Op::Gelu, Op::GeluBackward}, kFloats, 1, [n](Runner& r) {
                          auto& be = r.be();
                          auto xs = randn(static_cast<std::size_t>(n), 24, 3.0f);
                          xs[0] = 12.0f;
                          xs[1] = -12.0f;
                          xs[2] = 0.0f;
                          Tensor x = r.input({n}, xs), g = r.input({n}, randn(static_cast<std::size_t>(n), 25));
                          Tensor y = r.zeros({n}, r.dtype()), dx = r.zeros({n}, r.dtype());
                          be.geluForward(y, x);
                          be.geluBackward(dx, x, g);
                          r.output("gelu", y);
                          r.output("dgelu", dx);
                      }});
    }
}

struct AttentionShape {
    std::int64_t B, T, C;
    int NH;
};

void attentionCases(std::vector<CaseSpec>& cs)
{
    // Head sizes 8, 16, 64, 96, 256; T below, at and across 32-row tiles and not a multiple of 4.
    for (auto s : {AttentionShape {2, 7, 32, 2}, AttentionShape {1, 37, 128, 2}, AttentionShape {1, 9, 24, 3},
             AttentionShape {1, 70, 96, 1}, AttentionShape {2, 33, 256, 1}, AttentionShape {1, 64, 128, 2}}) {
        const std::int64_t hs = s.C / s.NH;
        // A backend saves probabilities or the row log-sum-exp (attentionSaved); either way the
        // case outputs the probabilities (derived from the log-sum-exp on the host), so what the
        // backward relies on is checked, and the gradients through dqkv.
        cs.push_back({"attention", fmt::format("B{}_T{}_C{}_NH{}_hs{}", s.B, s.T, s.C, s.NH, hs),
            {Op::Attention, Op::AttentionBackward}, kFloats, s.T + hs,
            [s](Runner& r) {
                auto& be = r.be();
                const std::int64_t B = s.B, T = s.T, C = s.C, NH = s.NH;
                const auto qkvHost = randn(static_cast<std::size_t>(B * T * 3 * C), 26);
                Tensor qkv = r.input({B, T, 3 * C}, qkvHost);
                const AttentionSavedDesc saved = be.attentionSaved(B, NH, T);
                Tensor out = r.zeros({B, T, C}, r.dtype()), att = r.zeros(saved.shape);
                be.attentionForward(out, att, qkv, s.NH);
                r.output("out", out);
                r.output("probabilities",
                    saved.kind == AttentionSaves::Probabilities
                        ? causalPart(r.fetch(att), B * NH, T)
                        : probabilitiesFromLse(qkvHost, r.fetch(att), B, T, C, NH));
                Tensor dqkv = r.zeros({B, T, 3 * C}, r.dtype());
                be.attentionBackward(
                    dqkv, r.input({B, T, C}, randn(static_cast<std::size_t>(B * T * C), 27)), qkv, out, att, s.NH);
                r.output("dqkv", dqkv);
            },
            Operands::MayRound});
    }
}

struct KvShape {
    std::int64_t B, C;
    int NH;
    std::int64_t Tmax, prompt, steps;
};

void kvCacheCases(std::vector<CaseSpec>& cs)
{
    for (auto s : {KvShape {2, 128, 2, 12, 6, 3}, KvShape {1, 96, 3, 40, 17, 2}, KvShape {3, 64, 4, 9, 1, 8}}) {
        const std::int64_t hs = s.C / s.NH;
        cs.push_back({"attention_kv_cache",
            fmt::format("B{}_C{}_NH{}_Tmax{}_prompt{}_steps{}", s.B, s.C, s.NH, s.Tmax, s.prompt, s.steps),
            {Op::AttentionKvCache}, kFloats, s.Tmax + hs, [s, hs](Runner& r) {
                auto& be = r.be();
                const std::int64_t B = s.B, C = s.C, NH = s.NH, P = s.prompt;
                Tensor k = r.zeros({B, NH, hs, s.Tmax}), v = r.zeros({B, NH, s.Tmax, hs});
                Tensor scratch = r.zeros({B * NH * P * s.Tmax + B * NH * s.Tmax});
                Tensor y = r.zeros({B, P, C}, r.dtype());
                be.attentionKvCache(y, r.input({B, P, 3 * C}, randn(static_cast<std::size_t>(B * P * 3 * C), 28)), k, v,
                    0, s.NH, scratch);
                r.output("prefill", y);
                for (std::int64_t step = 0; step < s.steps; ++step) {
                    Tensor y1 = r.zeros({B, 1, C}, r.dtype());
                    be.attentionKvCache(y1,
                        r.input({B, 1, 3 * C},
                            randn(static_cast<std::size_t>(B * 3 * C), 29 + static_cast<std::uint64_t>(step))),
                        k, v, P + step, s.NH, scratch);
                    r.output(fmt::format("decode_{}", step), y1);
                }
            }});
    }
}

struct MatmulShape {
    std::int64_t M, K, N;
};

void matmulCases(std::vector<CaseSpec>& cs)
{
    // Forward, weights [N, K] (a Linear layer): with bias, accumulating, from f32 activations,
    // with a bias that is not 16-byte aligned and an input view that starts one row in.
    for (auto s : {MatmulShape {37, 50, 70}, MatmulShape {1, 64, 96}, MatmulShape {64, 128, 384},
             MatmulShape {130, 96, 40}, MatmulShape {17, 50, 12}}) {
        cs.push_back({"matmul", fmt::format("forward_M{}_K{}_N{}", s.M, s.K, s.N), {Op::Matmul}, kMatmulTypes, s.K,
            [s](Runner& r) {
                auto& be = r.be();
                const std::int64_t M = s.M, K = s.K, N = s.N;
                const DType act = activationOf(r.dtype());
                auto xs = randn(static_cast<std::size_t>((M + 1) * K), 30);
                auto weight = be.createPackedWeight({N, K, r.dtype(), WeightLayout::Transposed, {M}});
                if (!weight)
                    throw RunnerAbort {weight.error()};
                be.packWeight(**weight, r.input({N, K}, randn(static_cast<std::size_t>(N * K), 31)));
                const std::vector<float> x(xs.begin() + K, xs.end());
                Tensor in = r.input({M, K}, x, act), in32 = r.input({M, K}, x);
                Tensor biasStore = r.input({N + 1}, randn(static_cast<std::size_t>(N + 1), 32));
                Tensor bias = biasStore.view(0, {N}), oddBias = biasStore.view(1, {N});
                Tensor y = r.zeros({M, N});
                be.matmul(y, in, **weight, bias, Accumulate::Overwrite);
                r.output("bias", y);
                Tensor acc = r.input({M, N}, randn(static_cast<std::size_t>(M * N), 33));
                be.matmul(acc, in, **weight, Tensor(), Accumulate::Add);
                r.output("accumulate", acc);
                Tensor acc2 = r.input({M, N}, randn(static_cast<std::size_t>(M * N), 34));
                be.matmul(acc2, in, **weight, bias, Accumulate::Add);
                r.output("bias_accumulate", acc2);
                Tensor y32 = r.zeros({M, N});
                be.matmul(y32, in32, **weight, bias, Accumulate::Overwrite);
                r.output("f32_input", y32);
                Tensor yOdd = r.zeros({M, N});
                be.matmul(yOdd, in, **weight, oddBias, Accumulate::Overwrite);
                r.output("unaligned_bias", yOdd);
                Tensor all = r.input({M + 1, K}, xs, act), yView = r.zeros({M, N});
                be.matmul(yView, all.slice(1, M + 1), **weight, Tensor(), Accumulate::Overwrite);
                r.output("input_view", yView);
            }});
    }
    // Backward to the input: weights used as [K, N] (Plain), no int8.
    for (auto s : {MatmulShape {37, 50, 70}, MatmulShape {64, 384, 128}, MatmulShape {2, 96, 33}}) {
        cs.push_back(
            {"matmul", fmt::format("plain_M{}_K{}_N{}", s.M, s.K, s.N), {Op::Matmul}, kFloats, s.K, [s](Runner& r) {
                 auto& be = r.be();
                 const std::int64_t M = s.M, K = s.K, N = s.N;
                 auto weight = be.createPackedWeight({N, K, r.dtype(), WeightLayout::Plain, {M}});
                 if (!weight)
                     throw RunnerAbort {weight.error()};
                 be.packWeight(**weight, r.input({K, N}, randn(static_cast<std::size_t>(K * N), 35)));
                 Tensor in = r.input({M, K}, randn(static_cast<std::size_t>(M * K), 36), activationOf(r.dtype()));
                 Tensor y = r.zeros({M, N});
                 be.matmul(y, in, **weight, Tensor(), Accumulate::Overwrite);
                 r.output("out", y);
             }});
    }
    for (auto s : {MatmulShape {37, 50, 70}, MatmulShape {128, 64, 192}, MatmulShape {1, 16, 8}}) {
        cs.push_back({"matmul", fmt::format("weight_grad_M{}_K{}_N{}", s.M, s.K, s.N), {Op::MatmulWeightGrad}, kFloats,
            s.M, [s](Runner& r) {
                auto& be = r.be();
                const std::int64_t M = s.M, K = s.K, N = s.N;
                if (auto st = be.prepareWeightGrad(M, N, K, r.dtype()); !st)
                    throw RunnerAbort {st.error()};
                Tensor dout = r.input({M, N}, randn(static_cast<std::size_t>(M * N), 37), r.dtype());
                Tensor in = r.input({M, K}, randn(static_cast<std::size_t>(M * K), 38), r.dtype());
                Tensor dw = r.zeros({N, K});
                be.matmulWeightGrad(dw, dout, in, Accumulate::Overwrite);
                r.output("dweight", dw);
                Tensor dwAdd = r.input({N, K}, randn(static_cast<std::size_t>(N * K), 39));
                be.matmulWeightGrad(dwAdd, dout, in, Accumulate::Add);
                r.output("dweight_add", dwAdd);
            }});
    }
    for (auto [M, N] : {std::pair<std::int64_t, std::int64_t> {37, 70}, {300, 48}, {1, 5}}) {
        cs.push_back({"matmul", fmt::format("bias_grad_M{}_N{}", M, N), {Op::BiasGrad}, kFloats, M, [M, N](Runner& r) {
                          auto& be = r.be();
                          Tensor dout = r.input({M, N}, randn(static_cast<std::size_t>(M * N), 40), r.dtype());
                          Tensor db = r.zeros({N});
                          be.biasGrad(db, dout, Accumulate::Overwrite);
                          r.output("dbias", db);
                          Tensor dbAdd = r.input({N}, randn(static_cast<std::size_t>(N), 41));
                          be.biasGrad(dbAdd, dout, Accumulate::Add);
                          r.output("dbias_add", dbAdd);
                      }});
    }
}

struct LossShape {
    std::int64_t M, V, Vp;
};

void lossCases(std::vector<CaseSpec>& cs)
{
    for (auto s : {LossShape {9, 50, 64}, LossShape {4, 256, 256}, LossShape {3, 1000, 1024}, LossShape {1, 2, 64}}) {
        cs.push_back({"loss", fmt::format("cross_entropy_M{}_V{}_Vp{}", s.M, s.V, s.Vp), {Op::CrossEntropy}, kFloats,
            s.V, [s](Runner& r) {
                auto& be = r.be();
                const std::int64_t M = s.M, V = s.V, Vp = s.Vp;
                auto ls = randn(static_cast<std::size_t>(M * Vp), 42, 3.0f);
                std::vector<std::int32_t> tg(static_cast<std::size_t>(M));
                for (std::int64_t i = 0; i < M; ++i)
                    tg[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 7 + 3) % V);
                tg[0] = static_cast<std::int32_t>(V - 1);
                Tensor targets = r.ints({M}, tg);
                Tensor losses = r.zeros({M});
                Tensor logits = r.input({M, Vp}, ls);
                // fp32: the gradient is written over the logits (the training path); otherwise a
                // separate 16-bit gradient.
                Tensor dlogits = r.dtype() == DType::F32 ? logits : r.zeros({M, Vp}, r.dtype());
                be.crossEntropy(losses, dlogits, logits, targets, V, 0.125f);
                r.output("losses", losses);
                r.output("dlogits", dlogits);
                Tensor only = r.zeros({M});
                be.crossEntropy(only, Tensor(), r.input({M, Vp}, ls), targets, V, 1.0f);
                r.output("losses_without_gradient", only);
            }});
    }
    for (auto s : {LossShape {9, 50, 64}, LossShape {5, 256, 256}, LossShape {2, 3000, 3008}}) {
        cs.push_back({"loss", fmt::format("argmax_M{}_V{}", s.M, s.V), {Op::Argmax}, kF32, 1, [s](Runner& r) {
                          auto& be = r.be();
                          auto ls = randn(static_cast<std::size_t>(s.M * s.Vp), 43);
                          // Row 0: two equal maxima (the lower index wins); padded columns larger.
                          ls[3] = ls[static_cast<std::size_t>(s.V - 2)] = 50.0f;
                          for (std::int64_t v = s.V; v < s.Vp; ++v)
                              ls[static_cast<std::size_t>(v)] = 100.0f;
                          Tensor out = r.zeros({s.M}, DType::I32);
                          be.argmax(out, r.input({s.M, s.Vp}, ls), s.V);
                          r.output("argmax", out);
                      }});
    }
}

void optimizerCases(std::vector<CaseSpec>& cs)
{
    for (std::int64_t n : {1003, 50000}) {
        cs.push_back({"optimizer", fmt::format("adamw_n{}", n), {Op::AdamW}, kF32, 1, [n](Runner& r) {
                          auto& be = r.be();
                          const auto un = static_cast<std::size_t>(n);
                          auto vs = randn(un, 44, 0.1f);
                          for (auto& x : vs)
                              x = x * x;
                          Tensor p = r.input({n}, randn(un, 45)), g = r.input({n}, randn(un, 46));
                          Tensor m = r.input({n}, randn(un, 47, 0.1f)), v = r.input({n}, vs);
                          AdamWStep step;
                          step.lr = 1e-3f;
                          step.t = 3;
                          step.gradScale = 0.5f;
                          be.adamw(p, g, m, v, step);
                          r.output("param", p);
                          r.output("m", m);
                          r.output("v", v);
                      }});
    }
    for (std::int64_t n : {1, 4099, 100003}) {
        cs.push_back({"optimizer", fmt::format("sum_squares_n{}", n), {Op::SumSquares}, kF32, 1, [n](Runner& r) {
                          Tensor out = r.zeros({1});
                          r.be().sumSquares(out, r.input({n}, randn(static_cast<std::size_t>(n), 48)));
                          r.output("sum_squares", out);
                      }});
    }
}

} // namespace

const std::vector<CaseSpec>& allCases()
{
    static const std::vector<CaseSpec> cases = [] {
        std::vector<CaseSpec> cs;
        elementwiseCases(cs);
        embeddingCases(cs);
        layernormCases(cs);
        geluCases(cs);
        attentionCases(cs);
        kvCacheCases(cs);
        matmulCases(cs);
        lossCases(cs);
        optimizerCases(cs);
        return cs;
    }();
    return cases;
}

} // namespace lwb::engine::conformance
