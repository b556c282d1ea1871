// GPT-2-layout decoder (nanoGPT / llm.c): token + learned position embeddings, L pre-LN blocks
// (LayerNorm -> fused QKV -> causal attention -> projection -> residual; LayerNorm -> 4C MLP with
// GELU-tanh -> residual), final LayerNorm, LM head tied to the token embedding, byte-level
// vocabulary (256) by default. Written only against the Backend interface, so it runs on any
// backend. Parameters live in one flat F32 buffer (llm.c order) so optimiser state, gradients
// and all-reduce chunks are flat too.
//   GptModel      the parameters (fp32 master weights), init, safetensors save/load
//   GptWeights    matmul weights packed for one precision (shared by replicas; repacked after
//                 each optimiser step in training)
//   GptTrainer    one replica's activations and gradients: forward + backward on [B, T]
//   GptGenerator  one replica's KV cache: batched prefill and decode (greedy)
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/backend.h"
#include "lwb/engine/precision.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lwb::engine {

struct GptConfig {
    std::int64_t vocabSize = 256;
    std::int64_t maxSeqLen = 256; ///< positions in wpe (the context length)
    std::int64_t nLayer = 6;
    std::int64_t nHead = 6;
    std::int64_t nEmbd = 384;
    /// Rows of wte/LM head: vocabSize rounded up to a multiple of 64 (extra rows never predicted).
    std::int64_t paddedVocab() const { return (vocabSize + 63) / 64 * 64; }
    std::int64_t parameterCount() const;
    /// Errors name the offending field (e.g. n_embd not divisible by n_head).
    Status validate() const;
};

/// Views of one flat parameter-shaped buffer (parameters, gradients, Adam moments).
struct GptTensors {
    struct Layer {
        Tensor ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb;
    };
    Tensor wte, wpe, lnfw, lnfb;
    std::vector<Layer> layers;
    static GptTensors of(const Tensor& flat, const GptConfig& config);
    /// (name, tensor) in file order; names follow GPT-2 ("h.0.attn.c_attn.weight"), weights are
    /// stored [out, in] like torch.nn.Linear (nanoGPT), not transposed like HF's Conv1D.
    std::vector<std::pair<std::string, Tensor>> named() const;
};

class GptModel {
public:
    /// Allocates the parameters (zero) on `backend`; in a planning pass nothing is allocated.
    static Result<std::unique_ptr<GptModel>> create(Backend& backend, const GptConfig& config);
    const GptConfig& config() const { return m_config; }
    const Tensor& flat() const { return m_flat; }
    const GptTensors& tensors() const { return m_tensors; }
    /// nanoGPT init: N(0, 0.02) weights, N(0, 0.02/sqrt(2L)) residual projections, zero biases,
    /// unit LayerNorm gains. Deterministic in `seed`.
    Status initRandom(std::uint64_t seed);
    /// Writes the fp32 weights and the config (metadata) as safetensors.
    Status save(const std::filesystem::path& path) const;
    /// Reads weights written by save() (or any safetensors with the same names and shapes,
    /// F32/BF16/F16). Errors: missing file, corrupt file, missing tensor, shape or config mismatch.
    Status load(const std::filesystem::path& path);

private:
    GptModel(Backend& backend, GptConfig config)
        : m_backend(backend)
        , m_config(config)
    {
    }
    Backend& m_backend;
    GptConfig m_config;
    Tensor m_flat;
    GptTensors m_tensors;
};

/// What a GptWeights set is for: training needs the backward (plain) layouts as well.
enum class WeightUse : std::uint8_t { Inference, Training };

class GptWeights {
public:
    /// rowHints: the matmul row counts that will be used (B*T in training; B and B*P inference).
    static Result<std::unique_ptr<GptWeights>> create(Backend& backend, const GptConfig& config, Precision precision,
        WeightUse use, std::vector<std::int64_t> rowHints);
    /// Packs every weight from the model's fp32 parameters (part `index` of `parts`: replicas
    /// share the work after an optimiser step).
    void pack(Backend& backend, const GptModel& model, int index = 0, int parts = 1);
    Precision precision() const { return m_precision; }
    struct Layer {
        std::unique_ptr<PackedWeight> qkv, attproj, fc, fcproj; ///< forward
        std::unique_ptr<PackedWeight> qkvBack, attprojBack, fcBack, fcprojBack; ///< training only
    };
    std::vector<Layer> layers;
    std::unique_ptr<PackedWeight> lmHead, lmHeadBack;

private:
    Precision m_precision = Precision::Fp32;
};

class GptTrainer {
public:
    static Result<std::unique_ptr<GptTrainer>> create(
        Backend& backend, const GptModel& model, const GptWeights& weights, std::int64_t batch, std::int64_t seqLen);
    /// Forward + backward of one micro-batch (tokens/targets host arrays of B*T). Parameter
    /// gradients are overwritten (Accumulate::Overwrite) or added to; dloss is scaled by
    /// `lossScale` (1 / tokens of the whole step). Returns the mean loss of this micro-batch.
    Result<double> forwardBackward(
        const std::int32_t* tokens, const std::int32_t* targets, Accumulate gradMode, float lossScale);
    /// Forward only: mean loss (validation).
    Result<double> loss(const std::int32_t* tokens, const std::int32_t* targets);
    const Tensor& gradients() const { return m_gradFlat; }
    const GptTensors& gradientTensors() const { return m_grads; }
    /// Logits F32 [B*T, Vp] of the last forward (valid until the next backward in fp32).
    const Tensor& logits() const { return m_logits; }
    Backend& backend() { return m_backend; }
    /// Called by the backward pass after each stage's gradient ops are enqueued: 0 = LM head and
    /// final LayerNorm, 1 + i = block L-1-i, L + 1 = embeddings (wte is final only then). Multi-GPU
    /// data parallelism launches gradient all-reduces from it; empty: no call.
    void setBackwardStageHook(std::function<void(int stage)> hook) { m_stageHook = std::move(hook); }

private:
    GptTrainer(Backend& backend, const GptModel& model, const GptWeights& weights)
        : m_backend(backend)
        , m_model(model)
        , m_weights(weights)
    {
    }
    Status allocate(std::int64_t batch, std::int64_t seqLen);
    Result<double> forward(const std::int32_t* tokens, const std::int32_t* targets, float lossScale, bool withGrad);
    void backward(Accumulate gradMode);

    Backend& m_backend;
    const GptModel& m_model;
    const GptWeights& m_weights;
    std::int64_t m_B = 0, m_T = 0;
    DType m_act = DType::F32;
    struct LayerActs {
        Tensor ln1, ln1Mean, ln1Rstd, qkv, atty, att, residual2, ln2, ln2Mean, ln2Rstd, fch, fchGelu, residual3;
    };
    std::vector<LayerActs> m_layers;
    Tensor m_tokens, m_targets, m_encoded, m_proj, m_lnf, m_lnfMean, m_lnfRstd, m_logits, m_losses;
    Tensor m_dres, m_dresAct, m_dln, m_datty, m_dqkv, m_dfchGelu, m_dfch, m_dlogitsBf16;
    Tensor m_gradFlat;
    GptTensors m_grads;
    std::vector<float> m_hostLosses;
    std::function<void(int)> m_stageHook;
};

class GptGenerator {
public:
    /// KV cache for `batch` sequences of up to config.maxSeqLen positions; prompts of up to
    /// `maxPrompt` tokens.
    static Result<std::unique_ptr<GptGenerator>> create(
        Backend& backend, const GptModel& model, const GptWeights& weights, std::int64_t batch, std::int64_t maxPrompt);
    /// Runs the prompts (B x promptLen, host) and returns the next token of each sequence.
    Result<std::vector<std::int32_t>> prefill(const std::int32_t* prompts, std::int64_t promptLen);
    /// Feeds one token per sequence at the current position; returns the next ones.
    Result<std::vector<std::int32_t>> decode(const std::vector<std::int32_t>& tokens);
    std::int64_t position() const { return m_pos; }
    /// Logits F32 [B, Vp] of the last prefill/decode call.
    const Tensor& logits() const { return m_logits; }

private:
    GptGenerator(Backend& backend, const GptModel& model, const GptWeights& weights)
        : m_backend(backend)
        , m_model(model)
        , m_weights(weights)
    {
    }
    Result<std::vector<std::int32_t>> run(std::int64_t T);

    Backend& m_backend;
    const GptModel& m_model;
    const GptWeights& m_weights;
    std::int64_t m_B = 0, m_maxPrompt = 0, m_pos = 0;
    DType m_act = DType::F32;
    std::vector<Tensor> m_kCache, m_vCache;
    Tensor m_tokens, m_residual, m_ln, m_qkv, m_atty, m_proj, m_fch, m_fchGelu, m_scores, m_last, m_logits, m_next;
};

} // namespace lwb::engine
