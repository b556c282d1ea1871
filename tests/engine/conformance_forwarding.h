// Test decorators for the conformance harness's self-tests: a Backend that forwards every op to
// another one (override an op to perturb or replace it), and a driver that runs one family of
// cases on such a backend against the reference.
#pragma once

#include "conformance_harness.h"

#include <algorithm>

namespace lwb::engine::conformance {

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
    AttentionSavedDesc attentionSaved(std::int64_t B, std::int64_t NH, std::int64_t T) const override
    {
        return m_in->attentionSaved(B, NH, T);
    }
    void attentionBackward(const Tensor& dqkv, const Tensor& dout, const Tensor& qkv, const Tensor& out,
        const Tensor& att, int nHead) override
    {
        m_in->attentionBackward(dqkv, dout, qkv, out, att, nHead);
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

inline CaseResult runFamilyOn(Backend& dut, const std::string& family, DType dtype)
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

} // namespace lwb::engine::conformance
