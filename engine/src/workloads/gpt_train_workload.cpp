// gpt-train: GPT training on a byte-level corpus. One window = `steps_per_window` optimiser
// steps; a step = grad_accum micro-batches of batch_size x seq_len on each of `replicas`
// data-parallel replicas, then the all-reduce, grad-norm clip, AdamW (warmup + cosine LR) and
// the weight repack. Loss per step goes to WindowResult::intermediate and RunContext::report();
// when report() asks to prune, the window ends with ErrorCode::Cancelled ("pruned ...").
// A non-finite loss or gradient norm ends it with ErrorCode::NumericalError naming the step.
#include "workloads/builtin.h"
#include "workloads/common.h"
#include "workloads/multi_gpu.h"

#include "lwb/core/clock.h"
#include "lwb/engine/data.h"
#include "lwb/engine/gpt.h"

#include <cmath>
#include <fmt/core.h>
#include <optional>

namespace lwb::engine::detail {

namespace {

struct GptTrainState {
    /// One model and packed weights shared by all replicas (one device), or one per replica (a GPU
    /// each, ReplicaPlacement::DevicePerReplica).
    std::vector<std::unique_ptr<GptModel>> models;
    std::vector<std::unique_ptr<GptWeights>> weights;
    std::vector<std::unique_ptr<GptTrainer>> trainers;
    std::optional<DataParallelOptimizer> optimizer;
    std::unique_ptr<GradientAllReduce> allReduce; ///< DevicePerReplica only
    std::vector<GradientBucket> buckets;
    GptModel& model(int replica = 0) { return *models[models.size() == 1 ? 0 : static_cast<std::size_t>(replica)]; }
};

class GptTrainSession final : public WorkloadSession {
public:
    static Result<std::unique_ptr<GptTrainSession>> create(const Config& config, RunContext& context);
    Result<WindowResult> runWindow(RunContext& context) override;
    std::map<std::string, double> summary() override;

private:
    Result<GptTrainState> build(ReplicaSet& replicas) const;
    Result<double> validationLoss();

    GptConfig m_model;
    Precision m_precision = Precision::Fp32;
    std::int64_t m_batch = 8, m_seq = 256, m_accum = 1, m_stepsPerWindow = 2, m_evalInterval = 0, m_valBatches = 4;
    std::uint64_t m_seed = 1337;
    TrainHyper m_hyper;
    std::string m_saveCheckpoint;
    std::unique_ptr<TextCorpus> m_corpus;
    std::vector<TokenBatcher> m_batchers;
    std::vector<std::vector<std::int32_t>> m_tokens, m_targets;
    ReplicaSet m_replicas;
    GptTrainState m_state;
    std::int64_t m_plannedBytes = 0;
    std::int64_t m_step = 0;
    double m_lastLoss = std::nan("");
    double m_trainSeconds = 0;
    double m_tokensDone = 0;
    std::vector<double> m_stepMs;
};

Result<GptTrainState> GptTrainSession::build(ReplicaSet& replicas) const
{
    GptTrainState s;
    const bool perDevice = replicas.placement == ReplicaPlacement::DevicePerReplica;
    const int copies = perDevice ? replicas.size() : 1;
    for (int r = 0; r < copies; ++r) {
        Backend& be = *replicas.backends[static_cast<std::size_t>(r)];
        LWB_ASSIGN_OR_RETURN(auto model, GptModel::create(be, m_model));
        LWB_ASSIGN_OR_RETURN(
            auto weights, GptWeights::create(be, m_model, m_precision, WeightUse::Training, {m_batch * m_seq}));
        s.models.push_back(std::move(model));
        s.weights.push_back(std::move(weights));
    }
    std::vector<Tensor> grads, params;
    for (int r = 0; r < replicas.size(); ++r) {
        const auto copy = static_cast<std::size_t>(perDevice ? r : 0);
        LWB_ASSIGN_OR_RETURN(auto trainer,
            GptTrainer::create(
                *replicas.backends[static_cast<std::size_t>(r)], *s.models[copy], *s.weights[copy], m_batch, m_seq));
        grads.push_back(trainer->gradients());
        params.push_back(s.models[copy]->flat());
        s.trainers.push_back(std::move(trainer));
    }
    // fp16 gradients overflow and underflow without loss scaling; bf16 and fp32 need none.
    const LossScaling scaling = m_precision == Precision::Fp16 ? LossScaling::Dynamic : LossScaling::Off;
    if (perDevice) {
        LWB_ASSIGN_OR_RETURN(auto optimizer, DataParallelOptimizer::createPerDevice(replicas, params, grads, scaling));
        s.optimizer.emplace(std::move(optimizer));
    } else {
        LWB_ASSIGN_OR_RETURN(auto optimizer, DataParallelOptimizer::create(replicas, params.front(), grads, scaling));
        s.optimizer.emplace(std::move(optimizer));
    }
    return s;
}

Result<std::unique_ptr<GptTrainSession>> GptTrainSession::create(const Config& c, RunContext& context)
{
    auto session = std::make_unique<GptTrainSession>();
    GptTrainSession& s = *session;
    s.m_model.nLayer = intValue(c, "n_layer");
    s.m_model.nEmbd = intValue(c, "n_embd");
    s.m_model.nHead = intValue(c, "n_head");
    s.m_model.maxSeqLen = intValue(c, "seq_len");
    LWB_ASSIGN_OR_RETURN(s.m_precision, modelPrecision(c));
    s.m_batch = intValue(c, "batch_size");
    s.m_seq = s.m_model.maxSeqLen;
    s.m_accum = intValue(c, "grad_accum");
    s.m_stepsPerWindow = intValue(c, "steps_per_window");
    s.m_evalInterval = intValue(c, "eval_interval");
    s.m_valBatches = intValue(c, "val_batches");
    s.m_seed = static_cast<std::uint64_t>(intValue(c, "seed"));
    s.m_hyper.lr = floatValue(c, "lr");
    s.m_hyper.warmupSteps = intValue(c, "warmup_steps");
    s.m_hyper.maxSteps = intValue(c, "max_steps");
    s.m_hyper.weightDecay = floatValue(c, "weight_decay");
    s.m_hyper.gradClip = floatValue(c, "grad_clip");
    s.m_saveCheckpoint = textValue(c, "save_checkpoint");
    const int replicas = static_cast<int>(intValue(c, "replicas"));

    context.progress(0.0, "loading the corpus");
    const std::string corpusPath = textValue(c, "corpus");
    if (corpusPath.empty()) {
        s.m_corpus = std::make_unique<TextCorpus>(TextCorpus::generated());
    } else {
        LWB_ASSIGN_OR_RETURN(auto corpus, TextCorpus::fromFile(corpusPath));
        s.m_corpus = std::make_unique<TextCorpus>(std::move(corpus));
    }
    for (auto [split, what] : {std::pair {s.m_corpus->train(), "training"}, {s.m_corpus->validation(), "validation"}})
        if (static_cast<std::int64_t>(split.size()) < s.m_seq + 2)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("corpus '{}' has {} {} bytes, fewer than seq_len + 2 = {}", s.m_corpus->name(),
                    split.size(), what, s.m_seq + 2),
                LWB_WHERE);
    for (int r = 0; r < replicas; ++r) {
        s.m_batchers.emplace_back(
            s.m_corpus->train(), s.m_batch, s.m_seq, s.m_seed * 1000003ull + static_cast<std::uint64_t>(r));
        s.m_tokens.emplace_back(static_cast<std::size_t>(s.m_batch * s.m_seq));
        s.m_targets.emplace_back(static_cast<std::size_t>(s.m_batch * s.m_seq));
    }

    context.progress(0.2, "planning memory");
    LWB_ASSIGN_OR_RETURN(const DeviceSetup setup, trainingDeviceSetup(c));
    const auto limit = static_cast<std::int64_t>(floatValue(c, "memory_limit") * 1e9);
    LWB_ASSIGN_OR_RETURN(s.m_replicas,
        planMemory(
            setup, limit,
            [&](ReplicaSet& plan) -> Status {
                auto planned = s.build(plan);
                if (!planned)
                    return fail(std::move(planned).error());
                return {};
            },
            &s.m_plannedBytes));
    context.progress(0.4, "allocating");
    LWB_ASSIGN_OR_RETURN(s.m_state, s.build(s.m_replicas));
    if (s.m_replicas.placement == ReplicaPlacement::DevicePerReplica) {
        std::vector<Tensor> grads;
        for (auto& t : s.m_state.trainers)
            grads.push_back(t->gradients());
        LWB_ASSIGN_OR_RETURN(s.m_state.allReduce, makeGradientAllReduce(s.m_replicas, grads));
        s.m_state.optimizer->setAllReduce(s.m_state.allReduce.get());
        s.m_state.buckets = planGradientBuckets(gptGradientsInBackwardOrder(s.m_model), kGradientBucketBytes);
    }
    context.progress(0.7, "initialising weights");
    const std::string checkpoint = textValue(c, "checkpoint");
    for (std::size_t i = 0; i < s.m_state.models.size(); ++i) { // identical copies on every GPU
        GptModel& model = *s.m_state.models[i];
        if (checkpoint.empty()) {
            LWB_RETURN_IF_ERROR(model.initRandom(s.m_seed));
        } else {
            LWB_RETURN_IF_ERROR(model.load(checkpoint));
        }
        Backend& be = *s.m_replicas.backends[i];
        s.m_state.weights[i]->pack(be, model);
        LWB_RETURN_IF_ERROR(be.synchronize());
    }
    context.progress(1.0, "ready");
    return session;
}

Result<double> GptTrainSession::validationLoss()
{
    TokenBatcher val(m_corpus->validation(), m_batch, m_seq, 0xC0FFEEull);
    auto& tok = m_tokens[0];
    auto& tgt = m_targets[0];
    double sum = 0;
    for (std::int64_t i = 0; i < m_valBatches; ++i) {
        val.next(tok.data(), tgt.data());
        LWB_ASSIGN_OR_RETURN(double l, m_state.trainers[0]->loss(tok.data(), tgt.data()));
        sum += l;
    }
    return sum / static_cast<double>(m_valBatches);
}

Result<WindowResult> GptTrainSession::runWindow(RunContext& context)
{
    return guarded([&]() -> Result<WindowResult> {
        WindowResult window;
        Stopwatch wall;
        OpObserver* observer = context.observer();
        const int R = m_replicas.size();
        for (int r = 0; r < R; ++r) {
            m_replicas.backends[static_cast<std::size_t>(r)]->setTracing(
                observer, static_cast<std::uint32_t>(r * m_replicas.threads));
        }
        const float meanScale = 1.0f / static_cast<float>(m_batch * m_seq * m_accum * R);
        const double tokensPerStep = static_cast<double>(m_batch * m_seq * m_accum * R);
        std::vector<double> stepMs, losses, norms;
        double stepSeconds = 0;
        const std::int64_t skippedBefore = m_state.optimizer->skippedSteps();
        for (std::int64_t i = 0; i < m_stepsPerWindow; ++i) {
            if (context.cancelled())
                return fail(
                    ErrorCode::Cancelled, fmt::format("gpt-train cancelled before step {}", m_step + 1), LWB_WHERE);
            const std::int64_t step = m_step + 1;
            if (observer)
                observer->onStepBegin(step);
            for (auto& b : m_replicas.backends)
                b->setStep(step);
            Stopwatch sw;
            std::vector<double> replicaLoss(static_cast<std::size_t>(R), 0.0);
            // The loss gradient carries the mean over tokens and, in fp16, the dynamic loss scale.
            const float lossScale = meanScale * m_state.optimizer->lossScale();
            LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
                auto& tok = m_tokens[static_cast<std::size_t>(r)];
                auto& tgt = m_targets[static_cast<std::size_t>(r)];
                double sum = 0;
                GptTrainer& trainer = *m_state.trainers[static_cast<std::size_t>(r)];
                for (std::int64_t a = 0; a < m_accum; ++a) {
                    m_batchers[static_cast<std::size_t>(r)].next(tok.data(), tgt.data());
                    // Multi-GPU: the last micro-batch's backward launches each bucket's all-reduce
                    // as soon as the stage finishing its gradients is enqueued.
                    if (m_state.allReduce && a + 1 == m_accum)
                        trainer.setBackwardStageHook([this, r](int stage) {
                            for (const GradientBucket& b : m_state.buckets)
                                if (b.readyStage == stage)
                                    m_state.allReduce->launch(r, b);
                        });
                    auto l = trainer.forwardBackward(
                        tok.data(), tgt.data(), a == 0 ? Accumulate::Overwrite : Accumulate::Add, lossScale);
                    trainer.setBackwardStageHook({});
                    if (!l)
                        return fail(std::move(l).error());
                    sum += *l;
                }
                replicaLoss[static_cast<std::size_t>(r)] = sum / static_cast<double>(m_accum);
                return {};
            }));
            double loss = 0;
            for (double l : replicaLoss)
                loss += l / R;
            if (!std::isfinite(loss))
                return fail(ErrorCode::NumericalError,
                    fmt::format(
                        "training diverged: the loss is {} at step {} (the update was not applied)", loss, step),
                    LWB_WHERE);
            const double lr = learningRate(m_hyper, step - 1);
            LWB_ASSIGN_OR_RETURN(auto update, m_state.optimizer->step(m_replicas, step, lr, m_hyper, observer));
            if (update.applied) { // a skipped fp16 step left the weights as they were
                const bool perDevice = m_replicas.placement == ReplicaPlacement::DevicePerReplica;
                LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
                    Backend& be = *m_replicas.backends[static_cast<std::size_t>(r)];
                    if (perDevice) // each GPU repacks its own copy
                        m_state.weights[static_cast<std::size_t>(r)]->pack(be, m_state.model(r));
                    else // replicas share the packing work of the one copy
                        m_state.weights[0]->pack(be, m_state.model(), r, R);
                    return be.synchronize();
                }));
                norms.push_back(update.gradNorm);
            }
            const double seconds = sw.elapsedSeconds();
            if (observer)
                observer->onStepEnd(step);
            m_step = step;
            m_lastLoss = loss;
            stepSeconds += seconds;
            m_trainSeconds += seconds;
            m_tokensDone += tokensPerStep;
            m_stepMs.push_back(seconds * 1e3);
            stepMs.push_back(seconds * 1e3);
            losses.push_back(loss);
            window.intermediate.emplace_back(step, loss);
            if (context.report(step, loss))
                return fail(ErrorCode::Cancelled,
                    fmt::format("pruned by the tuner at step {} (loss {:.4f})", step, loss), LWB_WHERE);
            context.progress(static_cast<double>(i + 1) / static_cast<double>(m_stepsPerWindow),
                fmt::format("step {} loss {:.4f}", step, loss));
            if (m_evalInterval > 0 && step % m_evalInterval == 0) {
                LWB_ASSIGN_OR_RETURN(double val, validationLoss());
                window.metrics["val_loss"] = val;
            }
        }
        double meanLoss = 0;
        for (double l : losses)
            meanLoss += l / static_cast<double>(losses.size());
        const double steps = static_cast<double>(m_stepsPerWindow);
        window.metrics["tokens_per_s"] = tokensPerStep * steps / stepSeconds;
        window.metrics["samples_per_s"] = static_cast<double>(m_batch * m_accum * R) * steps / stepSeconds;
        window.metrics["step_time_ms"] = percentile(stepMs, 50);
        window.metrics["loss"] = meanLoss;
        if (!norms.empty())
            window.metrics["grad_norm"] = norms.back();
        window.metrics["skipped_steps"] = static_cast<double>(m_state.optimizer->skippedSteps() - skippedBefore);
        window.metrics["loss_scale"] = m_state.optimizer->lossScale();
        window.metrics["lr"] = learningRate(m_hyper, m_step - 1);
        window.metrics["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
        if (!m_saveCheckpoint.empty())
            LWB_RETURN_IF_ERROR(m_state.model().save(m_saveCheckpoint));
        window.seconds = wall.elapsedSeconds();
        return window;
    });
}

std::map<std::string, double> GptTrainSession::summary()
{
    std::map<std::string, double> out;
    out["steps"] = static_cast<double>(m_step);
    out["parameters"] = static_cast<double>(m_model.parameterCount());
    out["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
    out["planned_memory_gb"] = static_cast<double>(m_plannedBytes) / 1e9;
    if (m_state.optimizer)
        out["skipped_steps"] = static_cast<double>(m_state.optimizer->skippedSteps());
    if (m_step > 0) {
        out["final_loss"] = m_lastLoss;
        out["tokens_per_s"] = m_tokensDone / m_trainSeconds;
        out["step_time_p50_ms"] = percentile(m_stepMs, 50);
        out["step_time_p90_ms"] = percentile(m_stepMs, 90);
    }
    auto val = guarded([&] { return validationLoss(); });
    if (val)
        out["val_loss"] = *val;
    return out;
}

class GptTrainWorkload final : public Workload {
public:
    std::string name() const override { return "gpt-train"; }
    std::string description() const override
    {
        return "GPT-2-layout decoder training (byte-level): forward, backward, grad-norm clip, AdamW with warmup "
               "and cosine decay, gradient accumulation, data-parallel replicas";
    }
    std::vector<KnobSpec> knobs() const override
    {
        auto k = commonKnobs(Purpose::Training, 8);
        for (auto& m : gptModelKnobs())
            k.push_back(std::move(m));
        k.push_back(intKnob("grad_accum", "micro-batches per optimiser step", 1, 1, 1024));
        k.push_back(floatKnob("lr", "peak learning rate", 6e-4, 1e-6, 1.0, KnobScale::Log));
        k.push_back(intKnob("warmup_steps", "linear warmup steps", 10, 0, 1e6));
        k.push_back(intKnob("max_steps", "steps of the cosine decay to 0.1 x lr", 1000, 1, 1e9));
        k.push_back(floatKnob("weight_decay", "AdamW decoupled weight decay", 0.1, 0.0, 1.0));
        k.push_back(floatKnob("grad_clip", "global gradient-norm clip (0: off)", 1.0, 0.0, 1e3));
        k.push_back(intKnob("steps_per_window", "optimiser steps per measurement window", 2, 1, 1e6));
        k.push_back(intKnob("eval_interval", "steps between validation losses (0: only in the summary)", 0, 0, 1e9));
        k.push_back(intKnob("val_batches", "validation batches per evaluation", 4, 1, 1e4));
        k.push_back(textKnob("corpus", "UTF-8 text file to train on (empty: the generated default corpus)"));
        k.push_back(textKnob("save_checkpoint", "safetensors file written after every window (empty: none)"));
        return k;
    }
    std::vector<MetricSpec> metrics() const override
    {
        return {{"tokens_per_s", "tokens/s", Direction::Maximize, "training throughput"},
            {"samples_per_s", "sequences/s", Direction::Maximize, "sequences per second"},
            {"step_time_ms", "ms", Direction::Minimize, "median optimiser step time in the window"},
            {"loss", "nats", Direction::Minimize, "mean training loss of the window"},
            {"val_loss", "nats", Direction::Minimize, "validation loss (every eval_interval steps)"},
            {"grad_norm", "", Direction::Minimize, "global gradient norm of the last applied step"},
            {"skipped_steps", "steps", Direction::Minimize,
                "fp16: steps skipped in the window because a gradient overflowed (0 otherwise)"},
            {"loss_scale", "", Direction::Maximize, "fp16: dynamic loss scale after the window (1 otherwise)"},
            {"lr", "", Direction::Maximize, "learning rate of the last step"},
            {"peak_memory_gb", "GB", Direction::Minimize, "peak device memory"}};
    }
    Result<Config> resolve(const Config& partial) const override
    {
        LWB_ASSIGN_OR_RETURN(Config c, resolveCommon(*this, partial, Purpose::Training));
        LWB_RETURN_IF_ERROR(checkGptShape(c));
        return c;
    }
    Result<std::unique_ptr<WorkloadSession>> prepare(const Config& config, RunContext& context) override
    {
        return guarded([&]() -> Result<std::unique_ptr<WorkloadSession>> {
            LWB_ASSIGN_OR_RETURN(Config c, resolve(config));
            LWB_ASSIGN_OR_RETURN(auto session, GptTrainSession::create(c, context));
            return std::unique_ptr<WorkloadSession>(std::move(session));
        });
    }
};

} // namespace

std::unique_ptr<Workload> makeGptTrainWorkload()
{
    return std::make_unique<GptTrainWorkload>();
}

} // namespace lwb::engine::detail
