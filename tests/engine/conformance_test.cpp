// Runs the conformance suite on every backend registered on this machine (the CPU backend with
// AVX-512 kernels on 1 and 2 threads and with the portable kernels on 2 threads; CUDA where a GPU
// is usable), and tests the harness itself: every op of the interface has a case, tolerances
// order by precision, and deliberately wrong backends (a decorator that perturbs one op) fail.
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

/// Forwards every op to a CPU backend; subclasses break one op on purpose.
class ForwardingBackend : public Backend {
public:
    explicit ForwardingBackend(std::unique_ptr<Backend> inner)
        : m_in(std::move(inner))
    {
    }
    std::string name() const override { return "mutant"; }
    int threads() const override { return m_in->threads(); }
    bool supports(Op op, DType dtype) const override { return m_in->supports(op, dtype); }
    Result<Tensor> allocate(const Shape& shape, DType dtype, MemoryKind kind) override
    {
        return m_in->allocate(shape, dtype, kind);
    }
    MemoryStats memoryStats() const override { return m_in->memoryStats(); }
    std::int64_t deviceAvailableBytes() const override { return m_in->deviceAvailableBytes(); }
    const std::shared_ptr<MemoryTracker>& memoryTracker() const override { return m_in->memoryTracker(); }
    Status synchronize() override { return m_in->synchronize(); }
    void copyFromHost(const Tensor& dst, const void* src) override { m_in->copyFromHost(dst, src); }
    void copyToHost(void* dst, const Tensor& src) override { m_in->copyToHost(dst, src); }
    void setTracing(OpObserver* observer, std::uint32_t stream) override { m_in->setTracing(observer, stream); }
    void setStep(std::int64_t step) override { m_in->setStep(step); }
    void fill(const Tensor& dst, float value) override { m_in->fill(dst, value); }
    void copy(const Tensor& dst, const Tensor& src) override { m_in->copy(dst, src); }
    void convert(const Tensor& dst, const Tensor& src) override { m_in->convert(dst, src); }
    void add(const Tensor& dst, const Tensor& a, const Tensor& b) override { m_in->add(dst, a, b); }
    void selectRows(const Tensor& dst, const Tensor& src, std::int64_t first, std::int64_t step) override
    {
        m_in->selectRows(dst, src, first, step);
    }
    void embeddingForward(
        const Tensor& out, const Tensor& tokens, const Tensor& wte, const Tensor& wpe, std::int64_t posOffset) override
    {
        m_in->embeddingForward(out, tokens, wte, wpe, posOffset);
    }
    void embeddingBackward(const Tensor& dwte, const Tensor& dwpe, const Tensor& dout, const Tensor& tokens) override
    {
        m_in->embeddingBackward(dwte, dwpe, dout, tokens);
    }
    void layernormForward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& inp,
        const Tensor& weight, const Tensor& bias) override
    {
        m_in->layernormForward(out, mean, rstd, inp, weight, bias);
    }
    void residualLayernormForward(const Tensor& residual, const Tensor& out, const Tensor& mean, const Tensor& rstd,
        const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias) override
    {
        m_in->residualLayernormForward(residual, out, mean, rstd, a, b, weight, bias);
    }
    void layernormBackward(const Tensor& dinp, const Tensor& dweight, const Tensor& dbias, const Tensor& dout,
        const Tensor& inp, const Tensor& weight, const Tensor& mean, const Tensor& rstd, Accumulate dinpMode,
        Accumulate paramMode) override
    {
        m_in->layernormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, dinpMode, paramMode);
    }
    void geluForward(const Tensor& out, const Tensor& inp) override { m_in->geluForward(out, inp); }
    void geluBackward(const Tensor& dinp, const Tensor& inp, const Tensor& dout) override
    {
        m_in->geluBackward(dinp, inp, dout);
    }
    void attentionForward(const Tensor& out, const Tensor& att, const Tensor& qkv, int nHead) override
    {
        m_in->attentionForward(out, att, qkv, nHead);
    }
    void attentionBackward(
        const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& att, int nHead) override
    {
        m_in->attentionBackward(dqkv, dout, qkv, att, nHead);
    }
    void attentionKvCache(const Tensor& out, const Tensor& qkv, const Tensor& kCache, const Tensor& vCache,
        std::int64_t pos, int nHead, const Tensor& scratch) override
    {
        m_in->attentionKvCache(out, qkv, kCache, vCache, pos, nHead, scratch);
    }
    Result<std::unique_ptr<PackedWeight>> createPackedWeight(const PackedWeightDesc& desc) override
    {
        return m_in->createPackedWeight(desc);
    }
    void packWeight(PackedWeight& weight, const Tensor& source) override { m_in->packWeight(weight, source); }
    void matmul(
        const Tensor& out, const Tensor& in, const PackedWeight& weight, const Tensor& bias, Accumulate mode) override
    {
        m_in->matmul(out, in, weight, bias, mode);
    }
    Status prepareWeightGrad(std::int64_t m, std::int64_t n, std::int64_t k, DType dtype) override
    {
        return m_in->prepareWeightGrad(m, n, k, dtype);
    }
    void matmulWeightGrad(const Tensor& dweight, const Tensor& dout, const Tensor& in, Accumulate mode) override
    {
        m_in->matmulWeightGrad(dweight, dout, in, mode);
    }
    void biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate mode) override
    {
        m_in->biasGrad(dbias, dout, mode);
    }
    void crossEntropy(const Tensor& losses, const Tensor& dlogits, const Tensor& logits, const Tensor& targets,
        std::int64_t vocab, float dlossScale) override
    {
        m_in->crossEntropy(losses, dlogits, logits, targets, vocab, dlossScale);
    }
    void argmax(const Tensor& out, const Tensor& logits, std::int64_t vocab) override
    {
        m_in->argmax(out, logits, vocab);
    }
    void adamw(
        const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWStep& step) override
    {
        m_in->adamw(param, grad, m, v, step);
    }
    void sumSquares(const Tensor& out, const Tensor& x) override { m_in->sumSquares(out, x); }

protected:
    /// Multiplies an F32 (CPU) tensor in place: the CPU backend's data is host memory.
    static void scale(const Tensor& t, float factor, std::int64_t first = 0)
    {
        float* p = t.data<float>();
        for (std::int64_t i = first; i < t.numel(); ++i)
            p[i] *= factor;
    }
    std::unique_ptr<Backend> m_in;
};

CaseResult runFamilyOn(Backend& dut, const std::string& family, DType dtype)
{
    auto ref = referenceBackend();
    CaseResult all;
    for (const auto& c : allCases()) {
        if (c.family != family || std::find(c.dtypes.begin(), c.dtypes.end(), dtype) == c.dtypes.end())
            continue;
        CaseResult r = runCase(c, dtype, dut, *ref);
        all.ran = all.ran || r.ran;
        all.worstRatio = std::max(all.worstRatio, r.worstRatio);
        all.failures.insert(all.failures.end(), r.failures.begin(), r.failures.end());
    }
    return all;
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
