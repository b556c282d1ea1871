// GptTrainer: one replica's forward and backward pass (llm.c decomposition) on [B, T].
// Activations that feed matmuls are stored in the activation dtype (bf16 in mixed precision),
// everything else in fp32. The residual add is fused into the next LayerNorm. Backward keeps one
// residual-gradient buffer (dres) for all layers: each LayerNorm backward adds into it.
// Tensors: N = B*T rows; per layer ln1, qkv, atty, att, residual2, ln2, fch, fchGelu, residual3.
#include "lwb/engine/gpt.h"

#include <cmath>
#include <fmt/core.h>

namespace lwb::engine {

Result<std::unique_ptr<GptTrainer>> GptTrainer::create(
    Backend& backend, const GptModel& model, const GptWeights& weights, std::int64_t batch, std::int64_t seqLen)
{
    if (batch < 1 || seqLen < 1 || seqLen > model.config().maxSeqLen)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("batch {} x seq_len {} does not fit the model's context of {}", batch, seqLen,
                model.config().maxSeqLen),
            LWB_WHERE);
    std::unique_ptr<GptTrainer> trainer(new GptTrainer(backend, model, weights));
    LWB_RETURN_IF_ERROR(trainer->allocate(batch, seqLen));
    return trainer;
}

Status GptTrainer::allocate(std::int64_t B, std::int64_t T)
{
    const GptConfig& c = m_model.config();
    const std::int64_t N = B * T, C = c.nEmbd, L = c.nLayer, NH = c.nHead, Vp = c.paddedVocab();
    m_B = B;
    m_T = T;
    m_act = activationDType(m_weights.precision());
    auto act = [&](Shape s, DType d) { return m_backend.allocate(s, d, MemoryKind::Activations); };
    LWB_ASSIGN_OR_RETURN(m_tokens, act({B, T}, DType::I32));
    LWB_ASSIGN_OR_RETURN(m_targets, act({B, T}, DType::I32));
    LWB_ASSIGN_OR_RETURN(m_encoded, act({N, C}, DType::F32));
    for (std::int64_t l = 0; l < L; ++l) {
        LayerActs y;
        LWB_ASSIGN_OR_RETURN(y.ln1, act({N, C}, m_act));
        LWB_ASSIGN_OR_RETURN(y.ln1Mean, act({N}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.ln1Rstd, act({N}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.qkv, act({B, T, 3 * C}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.atty, act({N, C}, m_act));
        LWB_ASSIGN_OR_RETURN(y.att, act(m_backend.attentionSaved(B, NH, T).shape, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.residual2, act({N, C}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.ln2, act({N, C}, m_act));
        LWB_ASSIGN_OR_RETURN(y.ln2Mean, act({N}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.ln2Rstd, act({N}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.fch, act({N, 4 * C}, DType::F32));
        LWB_ASSIGN_OR_RETURN(y.fchGelu, act({N, 4 * C}, m_act));
        LWB_ASSIGN_OR_RETURN(y.residual3, act({N, C}, DType::F32));
        m_layers.push_back(std::move(y));
    }
    LWB_ASSIGN_OR_RETURN(m_proj, act({N, C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_lnf, act({N, C}, m_act));
    LWB_ASSIGN_OR_RETURN(m_lnfMean, act({N}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_lnfRstd, act({N}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_logits, act({N, Vp}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_losses, act({N}, DType::F32));
    // Gradients of activations: one set, reused by every layer.
    LWB_ASSIGN_OR_RETURN(m_dres, act({N, C}, DType::F32));
    if (m_act != DType::F32) {
        LWB_ASSIGN_OR_RETURN(m_dresAct, act({N, C}, m_act));
        LWB_ASSIGN_OR_RETURN(m_dlogitsBf16, act({N, Vp}, m_act));
    } else {
        m_dresAct = m_dres;
    }
    LWB_ASSIGN_OR_RETURN(m_dln, act({N, C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_datty, act({N, C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_dqkv, act({B, T, 3 * C}, m_act));
    LWB_ASSIGN_OR_RETURN(m_dfchGelu, act({N, 4 * C}, DType::F32));
    LWB_ASSIGN_OR_RETURN(m_dfch, act({N, 4 * C}, m_act));
    LWB_ASSIGN_OR_RETURN(m_gradFlat, m_backend.allocate({c.parameterCount()}, DType::F32, MemoryKind::Gradients));
    m_grads = GptTensors::of(m_gradFlat, c);
    for (auto [n, k] : {std::pair {3 * C, C}, {C, C}, {4 * C, C}, {C, 4 * C}, {Vp, C}})
        LWB_RETURN_IF_ERROR(m_backend.prepareWeightGrad(N, n, k, m_act));
    m_hostLosses.resize(static_cast<std::size_t>(N));
    return {};
}

Result<double> GptTrainer::forward(
    const std::int32_t* tokens, const std::int32_t* targets, float lossScale, bool withGrad)
{
    const GptConfig& c = m_model.config();
    const GptTensors& p = m_model.tensors();
    const int NH = static_cast<int>(c.nHead);
    const std::int64_t L = c.nLayer;
    Backend& be = m_backend;
    be.copyFromHost(m_tokens, tokens);
    be.copyFromHost(m_targets, targets);
    be.embeddingForward(m_encoded, m_tokens, p.wte, p.wpe, 0);
    be.layernormForward(
        m_layers[0].ln1, m_layers[0].ln1Mean, m_layers[0].ln1Rstd, m_encoded, p.layers[0].ln1w, p.layers[0].ln1b);
    for (std::int64_t l = 0; l < L; ++l) {
        auto& y = m_layers[static_cast<std::size_t>(l)];
        const auto& w = p.layers[static_cast<std::size_t>(l)];
        const auto& pw = m_weights.layers[static_cast<std::size_t>(l)];
        const Tensor& residualIn = l == 0 ? m_encoded : m_layers[static_cast<std::size_t>(l - 1)].residual3;
        be.matmul(y.qkv, y.ln1, *pw.qkv, w.qkvb, Accumulate::Overwrite);
        be.attentionForward(y.atty, y.att, y.qkv, NH);
        be.matmul(m_proj, y.atty, *pw.attproj, w.attprojb, Accumulate::Overwrite);
        be.residualLayernormForward(y.residual2, y.ln2, y.ln2Mean, y.ln2Rstd, residualIn, m_proj, w.ln2w, w.ln2b);
        be.matmul(y.fch, y.ln2, *pw.fc, w.fcb, Accumulate::Overwrite);
        be.geluForward(y.fchGelu, y.fch);
        be.matmul(m_proj, y.fchGelu, *pw.fcproj, w.fcprojb, Accumulate::Overwrite);
        if (l + 1 < L) {
            auto& next = m_layers[static_cast<std::size_t>(l + 1)];
            const auto& nw = p.layers[static_cast<std::size_t>(l + 1)];
            be.residualLayernormForward(
                y.residual3, next.ln1, next.ln1Mean, next.ln1Rstd, y.residual2, m_proj, nw.ln1w, nw.ln1b);
        } else {
            be.residualLayernormForward(y.residual3, m_lnf, m_lnfMean, m_lnfRstd, y.residual2, m_proj, p.lnfw, p.lnfb);
        }
    }
    be.matmul(m_logits, m_lnf, *m_weights.lmHead, Tensor(), Accumulate::Overwrite);
    Tensor dlogits = !withGrad ? Tensor() : (m_act == DType::F32 ? m_logits : m_dlogitsBf16);
    be.crossEntropy(m_losses, dlogits, m_logits, m_targets, c.vocabSize, lossScale);
    be.copyToHost(m_hostLosses.data(), m_losses);
    LWB_RETURN_IF_ERROR(be.synchronize());
    double sum = 0;
    for (float v : m_hostLosses)
        sum += v;
    return sum / static_cast<double>(m_hostLosses.size());
}

void GptTrainer::backward(Accumulate gradMode)
{
    const GptConfig& c = m_model.config();
    const GptTensors& p = m_model.tensors();
    const GptTensors& g = m_grads;
    const int NH = static_cast<int>(c.nHead);
    const std::int64_t L = c.nLayer;
    Backend& be = m_backend;
    const bool mixed = m_act != DType::F32;
    const Tensor& dlogits = mixed ? m_dlogitsBf16 : m_logits;

    // LM head (tied to wte): dlnf = dlogits . wte, dwte = dlogitsᵀ . lnf (embedding adds later).
    be.matmul(m_dln, dlogits, *m_weights.lmHeadBack, Tensor(), Accumulate::Overwrite);
    be.matmulWeightGrad(g.wte, dlogits, m_lnf, gradMode);
    const auto& last = m_layers.back();
    be.layernormBackward(
        m_dres, g.lnfw, g.lnfb, m_dln, last.residual3, p.lnfw, m_lnfMean, m_lnfRstd, Accumulate::Overwrite, gradMode);
    auto stageDone = [&](std::int64_t stage) {
        if (m_stageHook)
            m_stageHook(static_cast<int>(stage));
    };
    stageDone(0);
    for (std::int64_t l = L - 1; l >= 0; --l) {
        auto& y = m_layers[static_cast<std::size_t>(l)];
        const auto& w = p.layers[static_cast<std::size_t>(l)];
        const auto& gw = g.layers[static_cast<std::size_t>(l)];
        const auto& pw = m_weights.layers[static_cast<std::size_t>(l)];
        const Tensor& residualIn = l == 0 ? m_encoded : m_layers[static_cast<std::size_t>(l - 1)].residual3;
        // MLP projection: dres is dL/d residual3.
        if (mixed)
            be.convert(m_dresAct, m_dres);
        be.matmul(m_dfchGelu, m_dresAct, *pw.fcprojBack, Tensor(), Accumulate::Overwrite);
        be.matmulWeightGrad(gw.fcprojw, m_dresAct, y.fchGelu, gradMode);
        be.biasGrad(gw.fcprojb, m_dres, gradMode);
        be.geluBackward(m_dfch, y.fch, m_dfchGelu);
        be.matmul(m_dln, m_dfch, *pw.fcBack, Tensor(), Accumulate::Overwrite);
        be.matmulWeightGrad(gw.fcw, m_dfch, y.ln2, gradMode);
        be.biasGrad(gw.fcb, m_dfch, gradMode);
        be.layernormBackward(
            m_dres, gw.ln2w, gw.ln2b, m_dln, y.residual2, w.ln2w, y.ln2Mean, y.ln2Rstd, Accumulate::Add, gradMode);
        // Attention: dres is now dL/d residual2.
        if (mixed)
            be.convert(m_dresAct, m_dres);
        be.matmul(m_datty, m_dresAct, *pw.attprojBack, Tensor(), Accumulate::Overwrite);
        be.matmulWeightGrad(gw.attprojw, m_dresAct, y.atty, gradMode);
        be.biasGrad(gw.attprojb, m_dres, gradMode);
        be.attentionBackward(m_dqkv, m_datty, y.qkv, y.atty, y.att, NH);
        be.matmul(m_dln, m_dqkv, *pw.qkvBack, Tensor(), Accumulate::Overwrite);
        be.matmulWeightGrad(gw.qkvw, m_dqkv, y.ln1, gradMode);
        be.biasGrad(gw.qkvb, m_dqkv, gradMode);
        be.layernormBackward(
            m_dres, gw.ln1w, gw.ln1b, m_dln, residualIn, w.ln1w, y.ln1Mean, y.ln1Rstd, Accumulate::Add, gradMode);
        stageDone(L - l);
    }
    if (gradMode == Accumulate::Overwrite)
        be.fill(g.wpe, 0.0f);
    be.embeddingBackward(g.wte, g.wpe, m_dres, m_tokens);
    stageDone(L + 1);
}

Result<double> GptTrainer::forwardBackward(
    const std::int32_t* tokens, const std::int32_t* targets, Accumulate gradMode, float lossScale)
{
    LWB_ASSIGN_OR_RETURN(double loss, forward(tokens, targets, lossScale, true));
    backward(gradMode);
    LWB_RETURN_IF_ERROR(m_backend.synchronize());
    return loss;
}

Result<double> GptTrainer::loss(const std::int32_t* tokens, const std::int32_t* targets)
{
    return forward(tokens, targets, 1.0f, false);
}

} // namespace lwb::engine
