// Runs the conformance suite on every backend registered on this machine (the CPU backend with
// AVX-512 kernels on 1 and 2 threads and with the portable kernels on 2 threads; CUDA where a GPU
// is usable), and tests the harness itself: every op of the interface has a case, tolerances
// order by precision, and deliberately wrong backends (a decorator that perturbs one op) fail.
#include "conformance_forwarding.h"
#include "conformance_harness.h"

#include <cmath>

namespace lwb::engine::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Backends, BackendConformance, ::testing::ValuesIn(test::backendsUnderTest()), test::backendLabel);
INSTANTIATE_TEST_SUITE_P(
    Backends, GptStepConformance, ::testing::ValuesIn(test::backendsUnderTest()), test::backendLabel);

TEST(ConformanceHarness, EveryOpHasACase)
{
    std::vector<int> seen(kOpCount, 0);
    for (const auto& c : allCases())
        for (Op op : c.ops)
            ++seen[static_cast<std::size_t>(op)];
    for (int i = 0; i < kOpCount; ++i)
        EXPECT_GT(seen[static_cast<std::size_t>(i)], 0) << opName(static_cast<Op>(i)) << " has no conformance case";
}

TEST(ConformanceHarness, EveryOpWithALowerPrecisionIsRunAtIt)
{
    // An op the interface offers in bf16/fp16 must have a case at that precision.
    for (Op op : {Op::Convert, Op::LayerNorm, Op::ResidualLayerNorm, Op::Gelu, Op::GeluBackward, Op::Attention,
             Op::AttentionBackward, Op::AttentionKvCache, Op::Matmul, Op::MatmulWeightGrad, Op::BiasGrad,
             Op::CrossEntropy}) {
        for (DType d : {DType::BF16, DType::F16}) {
            bool found = false;
            for (const auto& c : allCases())
                if (std::find(c.ops.begin(), c.ops.end(), op) != c.ops.end()
                    && std::find(c.dtypes.begin(), c.dtypes.end(), d) != c.dtypes.end())
                    found = true;
            EXPECT_TRUE(found) << opName(op) << " has no case at " << dtypeName(d);
        }
    }
}

TEST(ConformanceHarness, TolerancesScaleWithPrecisionAndReductionLength)
{
    EXPECT_LT(tolerance(DType::F32, 1, Mode::SamePrecision), tolerance(DType::F16, 1, Mode::SamePrecision));
    EXPECT_LT(tolerance(DType::F16, 1, Mode::SamePrecision), tolerance(DType::BF16, 1, Mode::SamePrecision));
    EXPECT_LT(tolerance(DType::F16, 1, Mode::AgainstFp32), tolerance(DType::BF16, 1, Mode::AgainstFp32));
    EXPECT_LT(tolerance(DType::BF16, 1, Mode::AgainstFp32), tolerance(DType::I8, 1, Mode::AgainstFp32));
    EXPECT_LT(tolerance(DType::BF16, 64, Mode::SamePrecision), tolerance(DType::BF16, 64, Mode::AgainstFp32));
    EXPECT_LT(tolerance(DType::F32, 16, Mode::SamePrecision), tolerance(DType::F32, 4096, Mode::SamePrecision));
    // fp32: a few unit roundoffs per sqrt(K): below 1e-4 up to K = 1024.
    EXPECT_LT(tolerance(DType::F32, 1024, Mode::SamePrecision), 1e-4);
    EXPECT_NEAR(tolerance(DType::BF16, 1, Mode::AgainstFp32), 8.0 / 256, 1e-5);
    EXPECT_LT(tolerance(DType::BF16, 64, Mode::AgainstFp32), tolerance(DType::BF16, 64, Mode::RoundedOperands));
    EXPECT_EQ(tolerance(DType::F32, 64, Mode::RoundedOperands), tolerance(DType::F32, 64, Mode::SamePrecision))
        << "fp32 rounds nothing more";
}

TEST(ConformanceHarness, CompareUsesRelativeAndRmsScaledBounds)
{
    Outputs want {{"x", {1.0f, -2.0f, 0.0f, 3.0f}}};
    // rms = sqrt(14/4) = 1.87: allowed error at element 2 (value 0) is rtol * 1.87.
    Outputs got {{"x", {1.0f, -2.0f, 0.0018f, 3.0f}}};
    EXPECT_TRUE(compare(got, want, 1e-3).ok);
    got[0].values[2] = 0.0019f;
    EXPECT_FALSE(compare(got, want, 1e-3).ok);
    got[0].values[2] = NAN;
    EXPECT_FALSE(compare(got, want, 1.0).ok) << "NaN where the reference is finite";
    EXPECT_FALSE(compare(Outputs {{"y", {1.0f}}}, Outputs {{"x", {1.0f}}}, 1.0).ok) << "names must match";
    EXPECT_TRUE(compare(Outputs {{"x", {INFINITY}}}, Outputs {{"x", {INFINITY}}}, 0.0).ok);
}

TEST(ConformanceHarness, CatchesARelativeErrorOf1e4InAnFp32Op)
{
    struct Mutant : ForwardingBackend {
        using ForwardingBackend::ForwardingBackend;
        void geluForward(const Tensor& out, const Tensor& inp) override
        {
            m_in->geluForward(out, inp);
            if (out.dtype() == DType::F32)
                scale(out, 1.0f + 1e-4f);
        }
    };
    Mutant mutant(test::cpuBackend(1));
    CaseResult r = runFamilyOn(mutant, "gelu", DType::F32);
    ASSERT_TRUE(r.ran);
    EXPECT_FALSE(r.failures.empty()) << "a 1e-4 relative error in fp32 GELU went unnoticed";
}

TEST(ConformanceHarness, CatchesWrongProbabilitiesAndAMissingAccumulation)
{
    struct LeakyAttention : ForwardingBackend {
        using ForwardingBackend::ForwardingBackend;
        void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) override
        {
            m_in->attentionForward(out, att, qkv, nHead);
            att.data<float>()[0] *= 0.99f; // the saved probabilities of row 0 off by 1%
        }
    };
    LeakyAttention leaky(test::cpuBackend(1));
    EXPECT_FALSE(runFamilyOn(leaky, "attention", DType::F32).failures.empty());

    struct Overwrites : ForwardingBackend {
        using ForwardingBackend::ForwardingBackend;
        void biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate) override
        {
            m_in->biasGrad(dbias, dout, Accumulate::Overwrite);
        }
    };
    Overwrites overwrites(test::cpuBackend(1));
    EXPECT_FALSE(runFamilyOn(overwrites, "matmul", DType::F32).failures.empty());
}

TEST(ConformanceHarness, CatchesAnInt8MatmulErrorBeyondQuantisationNoise)
{
    auto probe = test::cpuBackend(1);
    if (!probe->supports(Op::Matmul, DType::I8))
        GTEST_SKIP() << "no int8 matmul on this CPU";
    struct Int8Off : ForwardingBackend {
        using ForwardingBackend::ForwardingBackend;
        void matmul(const Tensor& out, const Tensor& in, const PackedWeight& weight, const Tensor& bias,
            Accumulate mode) override
        {
            m_in->matmul(out, in, weight, bias, mode);
            if (weight.desc().dtype == DType::I8)
                scale(out, 1.1f);
        }
    };
    Int8Off off(test::cpuBackend(1));
    EXPECT_FALSE(runFamilyOn(off, "matmul", DType::I8).failures.empty());
    // ...while the unmodified backend passes the same cases against fp32 (quantisation only).
    auto exact = test::cpuBackend(1);
    CaseResult r = runFamilyOn(*exact, "matmul", DType::I8);
    EXPECT_TRUE(r.failures.empty()) << r.failures.front();
}

} // namespace
} // namespace lwb::engine::conformance
