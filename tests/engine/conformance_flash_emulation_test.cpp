// The CUDA flash-attention kernels' arithmetic emulated on the CPU (no GPU needed), run through
// the attention conformance cases. The emulation follows the kernels' tile schedule
// (cuda/attention_schedule.h: tile rows per head size and precision, causal key-tile ranges, tail
// rows) and their rounding points: q, k, v and dO rounded to the operand precision, P rounded
// before P.V and P^T.dO, dS before dS.K and dS^T.Q, fp32 dot products, online softmax across key
// tiles, LSE = m + log(l) saved, P = exp(S - LSE) recomputed, D = dO . O from the stored output.
// So the GPU conformance run checks what passes here: that the LSE path of the suite works, that
// its tolerances admit 16-bit tensor-core operands, and that a schedule error (a skipped
// diagonal tile, a perturbed LSE) is caught. It does not execute the CUDA code itself.
#include "conformance_forwarding.h"
#include "conformance_harness.h"

#include "cuda/attention_schedule.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace lwb::engine::conformance {
namespace {

namespace flash = cuda::flash;
using i64 = std::int64_t;

/// Rounds to TF32 (10-bit mantissa), to nearest with ties away from zero, as cvt.rna.tf32.f32
/// (wmma::__float_to_tf32) does for finite values.
float roundTf32(float x)
{
    std::uint32_t u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x1000u) & 0xffffe000u;
    std::memcpy(&x, &u, 4);
    return x;
}

/// Precision of the emulated tiles' operands: the output's (bf16/fp16/strict fp32) or TF32.
enum class Operand { OutputPrecision, Tf32 };
Operand g_operand = Operand::OutputPrecision; // set by the TF32 test only

float roundTo(float x, DType d)
{
    if (d == DType::F32 && g_operand == Operand::Tf32)
        return roundTf32(x);
    if (d == DType::BF16)
        return bf16ToFloat(floatToBf16(x));
    if (d == DType::F16)
        return halfToFloat(floatToHalf(x));
    return x;
}

float loadAs(const Tensor& t, i64 i)
{
    if (t.dtype() == DType::F32)
        return t.data<float>()[i];
    const std::uint16_t h = t.data<std::uint16_t>()[i];
    return t.dtype() == DType::BF16 ? bf16ToFloat(h) : halfToFloat(h);
}

void storeAs(const Tensor& t, i64 i, float v)
{
    if (t.dtype() == DType::F32)
        t.data<float>()[i] = v;
    else
        t.data<std::uint16_t>()[i] = t.dtype() == DType::BF16 ? floatToBf16(v) : floatToHalf(v);
}

/// Which key tiles the emulated forward visits: the kernels' range, or one short (a bug the
/// suite must catch).
enum class Schedule { Kernel, SkipDiagonalTile };

/// A CPU backend whose training attention is the emulated flash kernels (host memory: CPU tensors).
class FlashEmulation : public ForwardingBackend {
public:
    FlashEmulation(std::unique_ptr<Backend> in, Schedule schedule)
        : ForwardingBackend(std::move(in))
        , m_schedule(schedule)
    {
    }
    /// fp16 too (the CPU backend has no fp16 attention; the emulation has).
    bool supports(Op op, DType dtype) const override
    {
        const bool attention = op == Op::Attention || op == Op::AttentionBackward;
        return (attention && dtype == DType::F16) || m_in->supports(op, dtype);
    }
    AttentionSavedDesc attentionSaved(i64 B, i64 NH, i64 T) const override
    {
        return {AttentionSaves::LogSumExp, Shape {2, B, NH, T}};
    }

    void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) override
    {
        Geometry g(qkv, nHead, out.dtype());
        float* lse = att.data<float>();
        for (i64 b = 0; b < g.B; ++b)
            for (i64 h = 0; h < g.NH; ++h)
                for (i64 t0 = 0; t0 < g.T; t0 += g.R)
                    for (i64 t = t0; t < std::min(t0 + g.R, g.T); ++t) {
                        float m = -INFINITY, l = 0.0f;
                        std::vector<float> o(static_cast<std::size_t>(g.hs), 0.0f), p(static_cast<std::size_t>(g.R));
                        i64 last = flash::lastKeyTile(t0, g.R, g.T, g.R);
                        if (m_schedule == Schedule::SkipDiagonalTile && last > 0)
                            --last;
                        for (i64 kt = 0; kt <= last; ++kt) {
                            const i64 u0 = kt * g.R;
                            float mx = -INFINITY;
                            for (i64 c = 0; c < g.R; ++c)
                                if (u0 + c <= t)
                                    mx = std::max(mx, g.dot(b, h, t, 0, u0 + c, 1) * g.scale);
                            const float mNew = std::max(m, mx);
                            float sum = 0.0f;
                            for (i64 c = 0; c < g.R; ++c) {
                                const float pc
                                    = u0 + c <= t ? std::exp(g.dot(b, h, t, 0, u0 + c, 1) * g.scale - mNew) : 0.0f;
                                p[static_cast<std::size_t>(c)] = roundTo(pc, g.E);
                                sum += pc;
                            }
                            const float corr = std::exp(m - mNew);
                            l = l * corr + sum;
                            m = mNew;
                            for (i64 d = 0; d < g.hs; ++d) {
                                float acc = 0.0f;
                                for (i64 c = 0; c < g.R && u0 + c <= t; ++c)
                                    acc += p[static_cast<std::size_t>(c)] * g.op(b, u0 + c, 2, h, d);
                                o[static_cast<std::size_t>(d)] = o[static_cast<std::size_t>(d)] * corr + acc;
                            }
                        }
                        for (i64 d = 0; d < g.hs; ++d)
                            storeAs(out, (b * g.T + t) * g.C + h * g.hs + d, o[static_cast<std::size_t>(d)] / l);
                        lse[(b * g.NH + h) * g.T + t] = m + std::log(l);
                    }
    }

    void attentionBackward(const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& out,
        const Tensor& att, int nHead) override
    {
        Geometry g(qkv, nHead, dqkv.dtype());
        const float* lse = att.data<float>();
        float* rowDot = att.data<float>() + g.B * g.NH * g.T; // the second half: scratch for D
        const float* dO = dout.data<float>();
        auto dOr = [&](i64 b, i64 t, i64 h, i64 d) { return roundTo(dO[(b * g.T + t) * g.C + h * g.hs + d], g.E); };
        for (i64 b = 0; b < g.B; ++b)
            for (i64 t = 0; t < g.T; ++t)
                for (i64 h = 0; h < g.NH; ++h) {
                    float s = 0.0f;
                    for (i64 d = 0; d < g.hs; ++d) {
                        const i64 i = (b * g.T + t) * g.C + h * g.hs + d;
                        s += dO[i] * loadAs(out, i);
                    }
                    rowDot[(b * g.NH + h) * g.T + t] = s;
                }
        // P and dS of one (query t, key u) pair, as both backward kernels recompute them.
        auto pds = [&](i64 b, i64 h, i64 t, i64 u, float* p, float* ds) {
            const i64 row = (b * g.NH + h) * g.T + t;
            *p = std::exp(g.dot(b, h, t, 0, u, 1) * g.scale - lse[row]);
            float dp = 0.0f;
            for (i64 d = 0; d < g.hs; ++d)
                dp += dOr(b, t, h, d) * g.op(b, u, 2, h, d);
            *ds = *p * (dp - rowDot[row]) * g.scale;
        };
        const i64 tiles = (g.T + g.R - 1) / g.R, C3 = 3 * g.C;
        std::vector<float> dk(static_cast<std::size_t>(g.hs)), dv(dk.size()), dq(dk.size());
        for (i64 b = 0; b < g.B; ++b)
            for (i64 h = 0; h < g.NH; ++h) {
                for (i64 u0 = 0; u0 < g.T; u0 += g.R) // dK/dV kernel: key tiles, query tiles from the diagonal
                    for (i64 u = u0; u < std::min(u0 + g.R, g.T); ++u) {
                        std::fill(dk.begin(), dk.end(), 0.0f);
                        std::fill(dv.begin(), dv.end(), 0.0f);
                        for (i64 qt = flash::firstQueryTile(u0, g.R); qt < tiles; ++qt)
                            for (i64 t = qt * g.R; t < std::min((qt + 1) * g.R, g.T); ++t) {
                                if (t < u)
                                    continue;
                                float p, ds;
                                pds(b, h, t, u, &p, &ds);
                                for (i64 d = 0; d < g.hs; ++d) {
                                    dv[static_cast<std::size_t>(d)] += roundTo(p, g.E) * dOr(b, t, h, d);
                                    dk[static_cast<std::size_t>(d)] += roundTo(ds, g.E) * g.op(b, t, 0, h, d);
                                }
                            }
                        for (i64 d = 0; d < g.hs; ++d) {
                            storeAs(dqkv, (b * g.T + u) * C3 + g.C + h * g.hs + d, dk[static_cast<std::size_t>(d)]);
                            storeAs(dqkv, (b * g.T + u) * C3 + 2 * g.C + h * g.hs + d, dv[static_cast<std::size_t>(d)]);
                        }
                    }
                for (i64 t0 = 0; t0 < g.T; t0 += g.R) // dQ kernel: query tiles, key tiles to the diagonal
                    for (i64 t = t0; t < std::min(t0 + g.R, g.T); ++t) {
                        std::fill(dq.begin(), dq.end(), 0.0f);
                        for (i64 kt = 0; kt <= flash::lastKeyTile(t0, g.R, g.T, g.R); ++kt)
                            for (i64 u = kt * g.R; u < (kt + 1) * g.R && u <= t; ++u) {
                                float p, ds;
                                pds(b, h, t, u, &p, &ds);
                                for (i64 d = 0; d < g.hs; ++d)
                                    dq[static_cast<std::size_t>(d)] += roundTo(ds, g.E) * g.op(b, u, 1, h, d);
                            }
                        for (i64 d = 0; d < g.hs; ++d)
                            storeAs(dqkv, (b * g.T + t) * C3 + h * g.hs + d, dq[static_cast<std::size_t>(d)]);
                    }
            }
    }

private:
    /// Shapes, tile rows and rounded operands of one call.
    struct Geometry {
        Geometry(const Tensor& qkv, int nHead, DType operands)
            : B(qkv.dim(0))
            , T(qkv.dim(1))
            , C(qkv.dim(2) / 3)
            , NH(nHead)
            , hs(C / nHead)
            , R(flash::tileRows(flash::paddedHeadSize(hs), operands == DType::F32 ? 4 : 2))
            , E(operands)
            , scale(1.0f / std::sqrt(static_cast<float>(hs)))
            , x(qkv.data<float>())
        {
        }
        /// q (part 0), k (1) or v (2) of row t, head h, rounded to the operand precision.
        float op(i64 b, i64 t, int part, i64 h, i64 d) const
        {
            return roundTo(x[(b * T + t) * 3 * C + part * C + h * hs + d], E);
        }
        float dot(i64 b, i64 h, i64 t, int partT, i64 u, int partU) const
        {
            float s = 0.0f;
            for (i64 d = 0; d < hs; ++d)
                s += op(b, t, partT, h, d) * op(b, u, partU, h, d);
            return s;
        }
        i64 B, T, C, NH, hs, R;
        DType E;
        float scale;
        const float* x;
    };
    Schedule m_schedule;
};

TEST(FlashAttentionEmulation, KernelArithmeticPassesTheAttentionCasesAtEveryPrecision)
{
    FlashEmulation emulation(test::cpuBackend(1), Schedule::Kernel);
    for (DType d : {DType::F32, DType::BF16, DType::F16}) {
        CaseResult r = runFamilyOn(emulation, "attention", d);
        ASSERT_TRUE(r.ran);
        std::printf("[ flash emulation ] attention at %s: worst error %.3f of the tolerance\n",
            std::string(dtypeName(d)).c_str(), r.worstRatio);
        for (const auto& f : r.failures)
            ADD_FAILURE() << dtypeName(d) << ": " << f;
    }
}

TEST(FlashAttentionEmulation, GptStepWithTheKernelArithmeticMatchesTheReference)
{
    // The GPT-S step tolerances (bf16 gradients within 3e-2 of the CPU's bf16 step) with the
    // kernels' rounding in every layer's attention, as on the GPU.
    FlashEmulation emulation(test::cpuBackend(1), Schedule::Kernel);
    auto ref = referenceBackend();
    checkGptStep(emulation, *ref, "flash emulation");
}

TEST(FlashAttentionEmulation, Tf32TilesStayWithinTheTf32Bound)
{
    // fp32_math = tf32: fp32 q, k, v, dO, P and dS rounded to TF32 where the fragments load them.
    FlashEmulation emulation(test::cpuBackend(1), Schedule::Kernel);
    auto ref = referenceBackend();
    g_operand = Operand::Tf32;
    CaseResult r = runFamilyWithTolerance("attention", DType::F32, emulation, *ref, tf32Tolerance);
    g_operand = Operand::OutputPrecision;
    ASSERT_TRUE(r.ran);
    std::printf("[ flash emulation ] attention on TF32 tiles: worst error %.3f of the tolerance\n", r.worstRatio);
    for (const auto& f : r.failures)
        ADD_FAILURE() << f;
    EXPECT_GT(r.worstRatio, 0.01) << "TF32 rounding must show against strict fp32";
}

TEST(FlashAttentionEmulation, ASkippedDiagonalTileOrAWrongLogSumExpIsCaught)
{
    FlashEmulation skips(test::cpuBackend(1), Schedule::SkipDiagonalTile);
    EXPECT_FALSE(runFamilyOn(skips, "attention", DType::F32).failures.empty())
        << "the cases cross a tile boundary: a missing diagonal tile must show";

    struct LseOff : FlashEmulation {
        using FlashEmulation::FlashEmulation;
        void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) override
        {
            FlashEmulation::attentionForward(out, att, qkv, nHead);
            att.data<float>()[qkv.dim(1) - 1] += 0.01f; // the last row of head 0: its P 1% off
        }
    };
    LseOff off(test::cpuBackend(1), Schedule::Kernel);
    EXPECT_FALSE(runFamilyOn(off, "attention", DType::F32).failures.empty());
}

} // namespace
} // namespace lwb::engine::conformance
