// GptGenerator: batched greedy generation with a KV cache. Prefill runs the prompt through every
// layer (writing keys/values of all positions), decode feeds one token per sequence. The LM head
// runs on the last position of each sequence only. Keys are cached transposed ([B,NH,hs,Tmax])
// so that one query's scores are a vector loop over positions; values as [B,NH,Tmax,hs]. The
// cache is bf16 in bf16 and int8 precision (decode at batch > 1 is bound by reading it), fp32 in
// fp32.
#include "lwb/engine/gpt.h"

#include <fmt/core.h>

namespace lwb::engine {

Result<std::unique_ptr<GptGenerator>> GptGenerator::create(
    Backend& backend, const GptModel& model, const GptWeights& weights, std::int64_t batch, std::int64_t maxPrompt)
{
    const GptConfig& c = model.config();
    if (batch < 1 || maxPrompt < 1 || maxPrompt > c.maxSeqLen)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("generation needs batch >= 1 and 1 <= prompt <= {} (got batch {}, prompt {})", c.maxSeqLen,
                batch, maxPrompt),
            LWB_WHERE);
    std::unique_ptr<GptGenerator> g(new GptGenerator(backend, model, weights));
    const std::int64_t B = batch, P = maxPrompt, C = c.nEmbd, NH = c.nHead, hs = C / NH, Tmax = c.maxSeqLen;
    const std::int64_t Vp = c.paddedVocab();
    g->m_B = B;
    g->m_maxPrompt = P;
    g->m_act = activationDType(weights.precision());
    const DType cacheType = weights.precision() == Precision::Fp32 ? DType::F32 : DType::BF16;
    for (std::int64_t l = 0; l < c.nLayer; ++l) {
        LWB_ASSIGN_OR_RETURN(auto k, backend.allocate({B, NH, hs, Tmax}, cacheType, MemoryKind::KvCache));
        LWB_ASSIGN_OR_RETURN(auto v, backend.allocate({B, NH, Tmax, hs}, cacheType, MemoryKind::KvCache));
        g->m_kCache.push_back(std::move(k));
        g->m_vCache.push_back(std::move(v));
    }
    auto act = [&](Shape s, DType d) { return backend.allocate(s, d, MemoryKind::Activations); };
    LWB_ASSIGN_OR_RETURN(g->m_tokens, act({B * P}, DType::I32));
    LWB_ASSIGN_OR_RETURN(g->m_residual, act({B * P * C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_ln, act({B * P * C}, g->m_act));
    LWB_ASSIGN_OR_RETURN(g->m_qkv, act({B * P * 3 * C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_atty, act({B * P * C}, g->m_act));
    LWB_ASSIGN_OR_RETURN(g->m_proj, act({B * P * C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_fch, act({B * P * 4 * C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_fchGelu, act({B * P * 4 * C}, g->m_act));
    LWB_ASSIGN_OR_RETURN(g->m_scores, act({B * NH * P * Tmax}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_last, act({B, C}, g->m_act));
    LWB_ASSIGN_OR_RETURN(g->m_logits, act({B, Vp}, DType::F32));
    LWB_ASSIGN_OR_RETURN(g->m_next, act({B}, DType::I32));
    return g;
}

Result<std::vector<std::int32_t>> GptGenerator::prefill(const std::int32_t* prompts, std::int64_t promptLen)
{
    if (promptLen < 1 || promptLen > m_maxPrompt)
        return fail(ErrorCode::InvalidArgument, fmt::format("prompt length {} outside [1, {}]", promptLen, m_maxPrompt),
            LWB_WHERE);
    m_pos = 0;
    m_backend.copyFromHost(m_tokens.view(0, {m_B * promptLen}), prompts);
    return run(promptLen);
}

Result<std::vector<std::int32_t>> GptGenerator::decode(const std::vector<std::int32_t>& tokens)
{
    if (static_cast<std::int64_t>(tokens.size()) != m_B)
        return fail(
            ErrorCode::InvalidArgument, fmt::format("decode needs {} tokens, got {}", m_B, tokens.size()), LWB_WHERE);
    m_backend.copyFromHost(m_tokens.view(0, {m_B}), tokens.data());
    return run(1);
}

Result<std::vector<std::int32_t>> GptGenerator::run(std::int64_t T)
{
    const GptConfig& c = m_model.config();
    if (m_pos + T > c.maxSeqLen)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("generation ran past the context of {} positions", c.maxSeqLen), LWB_WHERE);
    const GptTensors& p = m_model.tensors();
    const std::int64_t B = m_B, N = B * T, C = c.nEmbd, NH = c.nHead, L = c.nLayer;
    Backend& be = m_backend;
    Tensor tokens = m_tokens.view(0, {B, T});
    Tensor residual = m_residual.view(0, {N, C});
    Tensor ln = m_ln.view(0, {N, C});
    Tensor qkv = m_qkv.view(0, {B, T, 3 * C});
    Tensor atty = m_atty.view(0, {N, C});
    Tensor proj = m_proj.view(0, {N, C});
    Tensor fch = m_fch.view(0, {N, 4 * C});
    Tensor fchGelu = m_fchGelu.view(0, {N, 4 * C});
    Tensor scores = m_scores.view(0, {B * NH * T * (m_pos + T)});
    Tensor none;
    be.embeddingForward(residual, tokens, p.wte, p.wpe, m_pos);
    be.layernormForward(ln, none, none, residual, p.layers[0].ln1w, p.layers[0].ln1b);
    for (std::int64_t l = 0; l < L; ++l) {
        const auto& w = p.layers[static_cast<std::size_t>(l)];
        const auto& pw = m_weights.layers[static_cast<std::size_t>(l)];
        be.matmul(qkv, ln, *pw.qkv, w.qkvb, Accumulate::Overwrite);
        be.attentionKvCache(atty, qkv, m_kCache[static_cast<std::size_t>(l)], m_vCache[static_cast<std::size_t>(l)],
            m_pos, static_cast<int>(NH), scores);
        be.matmul(proj, atty, *pw.attproj, w.attprojb, Accumulate::Overwrite);
        be.residualLayernormForward(residual, ln, none, none, residual, proj, w.ln2w, w.ln2b);
        be.matmul(fch, ln, *pw.fc, w.fcb, Accumulate::Overwrite);
        be.geluForward(fchGelu, fch);
        be.matmul(proj, fchGelu, *pw.fcproj, w.fcprojb, Accumulate::Overwrite);
        const bool lastLayer = l + 1 == L;
        const Tensor& gain = lastLayer ? p.lnfw : p.layers[static_cast<std::size_t>(l + 1)].ln1w;
        const Tensor& shift = lastLayer ? p.lnfb : p.layers[static_cast<std::size_t>(l + 1)].ln1b;
        be.residualLayernormForward(residual, ln, none, none, residual, proj, gain, shift);
    }
    const Tensor* head = &ln;
    if (T > 1) {
        be.selectRows(m_last, ln, T - 1, T);
        head = &m_last;
    }
    be.matmul(m_logits, *head, *m_weights.lmHead, Tensor(), Accumulate::Overwrite);
    be.argmax(m_next, m_logits, c.vocabSize);
    std::vector<std::int32_t> next(static_cast<std::size_t>(B));
    be.copyToHost(next.data(), m_next);
    LWB_RETURN_IF_ERROR(be.synchronize());
    m_pos += T;
    return next;
}

} // namespace lwb::engine
