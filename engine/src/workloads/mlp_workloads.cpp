// mlp-train and mlp-infer: the MLP classifier on the teacher dataset (data.h). Training windows
// are `steps_per_window` optimiser steps (same optimiser, clipping, schedule and data-parallel
// step as gpt-train); inference windows are `iterations_per_window` batches per replica, each
// batch's latency counting as the latency of its requests. Samples come from a pre-generated pool
// so that data generation never shows in the timings.
#include "workloads/builtin.h"
#include "workloads/common.h"

#include "lwb/core/clock.h"
#include "lwb/engine/data.h"
#include "lwb/engine/mlp.h"

#include <cmath>
#include <fmt/core.h>
#include <optional>

namespace lwb::engine::detail {

namespace {

std::vector<KnobSpec> mlpShapeKnobs()
{
    return {intKnob("input_dim", "input features", 784, 1, 65536),
        intKnob("hidden_dim", "width of the hidden layers", 512, 1, 65536),
        intKnob("n_layer", "hidden layers", 2, 0, 64), intKnob("classes", "output classes", 10, 2, 65536)};
}

MlpConfig mlpConfigOf(const Config& c)
{
    MlpConfig m;
    m.inputDim = intValue(c, "input_dim");
    m.hiddenDim = intValue(c, "hidden_dim");
    m.nLayer = intValue(c, "n_layer");
    m.classes = intValue(c, "classes");
    return m;
}

/// Pre-generated samples: `batches` batches of `batch` samples.
struct SamplePool {
    std::int64_t batch = 0, batches = 0, inputDim = 0;
    std::vector<float> x;
    std::vector<std::int32_t> y;
    void generate(const TeacherDataset& data, std::int64_t b, std::int64_t n, std::uint64_t seed)
    {
        batch = b;
        batches = n;
        inputDim = data.inputDim();
        x.resize(static_cast<std::size_t>(b * n * inputDim));
        y.resize(static_cast<std::size_t>(b * n));
        std::mt19937_64 rng(seed);
        data.sample(b * n, rng, x.data(), y.data());
    }
    const float* xAt(std::int64_t i) const { return x.data() + (i % batches) * batch * inputDim; }
    const std::int32_t* yAt(std::int64_t i) const { return y.data() + (i % batches) * batch; }
};

struct MlpState {
    std::unique_ptr<MlpModel> model;
    std::unique_ptr<MlpWeights> weights;
    std::vector<std::unique_ptr<MlpRunner>> runners;
    std::optional<DataParallelOptimizer> optimizer;
};

/// Both MLP sessions: training when `m_training`, inference otherwise.
class MlpSession final : public WorkloadSession {
public:
    static Result<std::unique_ptr<MlpSession>> create(const Config& c, Purpose purpose, RunContext& context);
    Result<WindowResult> runWindow(RunContext& context) override;
    std::map<std::string, double> summary() override;

private:
    Result<MlpState> build(ReplicaSet& replicas) const;
    Result<WindowResult> trainWindow(RunContext& context);
    Result<WindowResult> inferWindow(RunContext& context);
    Result<std::pair<double, double>> validate();

    bool m_training = true;
    MlpConfig m_model;
    Precision m_precision = Precision::Fp32;
    std::int64_t m_batch = 128, m_accum = 1, m_perWindow = 10;
    TrainHyper m_hyper;
    std::unique_ptr<TeacherDataset> m_data;
    SamplePool m_pool, m_val;
    ReplicaSet m_replicas;
    MlpState m_state;
    std::int64_t m_plannedBytes = 0, m_step = 0, m_batchesDone = 0;
    double m_lastLoss = std::nan(""), m_seconds = 0;
    std::vector<double> m_latencyMs, m_stepMs;
};

Result<MlpState> MlpSession::build(ReplicaSet& replicas) const
{
    MlpState s;
    Backend& primary = replicas.primary();
    const WeightUse use = m_training ? WeightUse::Training : WeightUse::Inference;
    LWB_ASSIGN_OR_RETURN(s.model, MlpModel::create(primary, m_model));
    LWB_ASSIGN_OR_RETURN(s.weights, MlpWeights::create(primary, m_model, m_precision, use, {m_batch}));
    std::vector<Tensor> grads;
    for (auto& backend : replicas.backends) {
        LWB_ASSIGN_OR_RETURN(auto runner, MlpRunner::create(*backend, *s.model, *s.weights, m_batch, use));
        grads.push_back(runner->gradients());
        s.runners.push_back(std::move(runner));
    }
    if (m_training) {
        const LossScaling scaling = m_precision == Precision::Fp16 ? LossScaling::Dynamic : LossScaling::Off;
        LWB_ASSIGN_OR_RETURN(auto optimizer, DataParallelOptimizer::create(replicas, s.model->flat(), grads, scaling));
        s.optimizer.emplace(std::move(optimizer));
    }
    return s;
}

Result<std::unique_ptr<MlpSession>> MlpSession::create(const Config& c, Purpose purpose, RunContext& context)
{
    auto session = std::make_unique<MlpSession>();
    MlpSession& s = *session;
    s.m_training = purpose == Purpose::Training;
    s.m_model = mlpConfigOf(c);
    LWB_ASSIGN_OR_RETURN(s.m_precision, modelPrecision(c));
    s.m_batch = intValue(c, "batch_size");
    const int replicas = static_cast<int>(intValue(c, "replicas"));
    const auto seed = static_cast<std::uint64_t>(intValue(c, "seed"));
    if (s.m_training) {
        s.m_accum = intValue(c, "grad_accum");
        s.m_perWindow = intValue(c, "steps_per_window");
        s.m_hyper.lr = floatValue(c, "lr");
        s.m_hyper.warmupSteps = intValue(c, "warmup_steps");
        s.m_hyper.maxSteps = intValue(c, "max_steps");
        s.m_hyper.weightDecay = floatValue(c, "weight_decay");
        s.m_hyper.gradClip = floatValue(c, "grad_clip");
    } else {
        s.m_perWindow = intValue(c, "iterations_per_window");
    }
    context.progress(0.1, "generating data");
    s.m_data = std::make_unique<TeacherDataset>(s.m_model.inputDim, s.m_model.classes, 1337);
    const std::int64_t poolBatches = std::max<std::int64_t>(4 * replicas, (4096 + s.m_batch - 1) / s.m_batch);
    s.m_pool.generate(*s.m_data, s.m_batch, std::min<std::int64_t>(poolBatches, 64), seed);
    if (s.m_training) {
        const std::int64_t valSamples = intValue(c, "val_samples");
        s.m_val.generate(*s.m_data, s.m_batch, std::max<std::int64_t>(1, valSamples / s.m_batch), 0xC0FFEEull);
    }
    context.progress(0.3, "planning memory");
    const auto limit = static_cast<std::int64_t>(floatValue(c, "memory_limit") * 1e9);
    LWB_ASSIGN_OR_RETURN(s.m_replicas,
        planMemory(
            deviceSetup(c), limit,
            [&](ReplicaSet& plan) -> Status {
                auto planned = s.build(plan);
                if (!planned)
                    return fail(std::move(planned).error());
                return {};
            },
            &s.m_plannedBytes));
    LWB_ASSIGN_OR_RETURN(s.m_state, s.build(s.m_replicas));
    const std::string checkpoint = textValue(c, "checkpoint");
    if (checkpoint.empty()) {
        LWB_RETURN_IF_ERROR(s.m_state.model->initRandom(seed));
    } else {
        LWB_RETURN_IF_ERROR(s.m_state.model->load(checkpoint));
    }
    s.m_state.weights->pack(s.m_replicas.primary(), *s.m_state.model);
    LWB_RETURN_IF_ERROR(s.m_replicas.primary().synchronize());
    context.progress(1.0, "ready");
    return session;
}

Result<WindowResult> MlpSession::runWindow(RunContext& context)
{
    return guarded([&]() -> Result<WindowResult> {
        const int R = m_replicas.size();
        for (int r = 0; r < R; ++r)
            m_replicas.backends[static_cast<std::size_t>(r)]->setTracing(
                context.observer(), static_cast<std::uint32_t>(r * m_replicas.threads));
        return m_training ? trainWindow(context) : inferWindow(context);
    });
}

Result<WindowResult> MlpSession::trainWindow(RunContext& context)
{
    WindowResult window;
    Stopwatch wall;
    OpObserver* observer = context.observer();
    const int R = m_replicas.size();
    const float meanScale = 1.0f / static_cast<float>(m_batch * m_accum * R);
    std::vector<double> stepMs;
    double lossSum = 0, seconds = 0;
    const std::int64_t skippedBefore = m_state.optimizer->skippedSteps();
    for (std::int64_t i = 0; i < m_perWindow; ++i) {
        if (context.cancelled())
            return fail(ErrorCode::Cancelled, fmt::format("mlp-train cancelled before step {}", m_step + 1), LWB_WHERE);
        const std::int64_t step = m_step + 1;
        if (observer)
            observer->onStepBegin(step);
        for (auto& b : m_replicas.backends)
            b->setStep(step);
        Stopwatch sw;
        std::vector<double> replicaLoss(static_cast<std::size_t>(R));
        const float lossScale = meanScale * m_state.optimizer->lossScale(); // fp16: dynamic loss scale
        LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
            double sum = 0;
            for (std::int64_t a = 0; a < m_accum; ++a) {
                const std::int64_t index = ((step - 1) * m_accum + a) * R + r;
                LWB_ASSIGN_OR_RETURN(double l,
                    m_state.runners[static_cast<std::size_t>(r)]->forwardBackward(m_pool.xAt(index), m_pool.yAt(index),
                        a == 0 ? Accumulate::Overwrite : Accumulate::Add, lossScale));
                sum += l;
            }
            replicaLoss[static_cast<std::size_t>(r)] = sum / static_cast<double>(m_accum);
            return {};
        }));
        double loss = 0;
        for (double l : replicaLoss)
            loss += l / R;
        if (!std::isfinite(loss))
            return fail(ErrorCode::NumericalError,
                fmt::format("training diverged: the loss is {} at step {} (the update was not applied)", loss, step),
                LWB_WHERE);
        LWB_ASSIGN_OR_RETURN(
            auto update, m_state.optimizer->step(m_replicas, step, learningRate(m_hyper, step - 1), m_hyper, observer));
        if (update.applied) // a skipped fp16 step left the weights as they were
            LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
                Backend& be = *m_replicas.backends[static_cast<std::size_t>(r)];
                m_state.weights->pack(be, *m_state.model, r, R);
                return be.synchronize();
            }));
        const double s = sw.elapsedSeconds();
        if (observer)
            observer->onStepEnd(step);
        m_step = step;
        m_lastLoss = loss;
        seconds += s;
        lossSum += loss;
        stepMs.push_back(s * 1e3);
        m_stepMs.push_back(s * 1e3);
        window.intermediate.emplace_back(step, loss);
        if (context.report(step, loss))
            return fail(ErrorCode::Cancelled, fmt::format("pruned by the tuner at step {} (loss {:.4f})", step, loss),
                LWB_WHERE);
        context.progress(static_cast<double>(i + 1) / static_cast<double>(m_perWindow),
            fmt::format("step {} loss {:.4f}", step, loss));
    }
    m_seconds += seconds;
    m_batchesDone += m_perWindow * m_accum * R;
    window.metrics["samples_per_s"] = static_cast<double>(m_perWindow * m_accum * R * m_batch) / seconds;
    window.metrics["step_time_ms"] = percentile(stepMs, 50);
    window.metrics["loss"] = lossSum / static_cast<double>(m_perWindow);
    window.metrics["skipped_steps"] = static_cast<double>(m_state.optimizer->skippedSteps() - skippedBefore);
    window.metrics["loss_scale"] = m_state.optimizer->lossScale();
    window.metrics["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
    window.seconds = wall.elapsedSeconds();
    return window;
}

Result<WindowResult> MlpSession::inferWindow(RunContext& context)
{
    WindowResult window;
    Stopwatch wall;
    const int R = m_replicas.size();
    std::vector<std::vector<double>> batchMs(static_cast<std::size_t>(R));
    if (context.observer())
        context.observer()->onStepBegin(m_step + 1);
    LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
        auto& runner = *m_state.runners[static_cast<std::size_t>(r)];
        for (std::int64_t i = 0; i < m_perWindow; ++i) {
            const std::int64_t index = i * R + r;
            Stopwatch sw;
            if (auto predicted = runner.predict(m_pool.xAt(index)); !predicted)
                return fail(std::move(predicted).error());
            batchMs[static_cast<std::size_t>(r)].push_back(sw.elapsedSeconds() * 1e3);
        }
        return {};
    }));
    if (context.observer())
        context.observer()->onStepEnd(m_step + 1);
    ++m_step;
    double rate = 0;
    std::vector<double> latencies;
    for (const auto& ms : batchMs) {
        double total = 0;
        for (double v : ms) {
            total += v;
            latencies.push_back(v);
        }
        rate += static_cast<double>(m_perWindow * m_batch) / (total * 1e-3);
    }
    m_latencyMs.insert(m_latencyMs.end(), latencies.begin(), latencies.end());
    window.seconds = wall.elapsedSeconds();
    m_seconds += window.seconds;
    m_batchesDone += m_perWindow * R;
    window.metrics["samples_per_s"] = rate;
    window.metrics["p50_latency_ms"] = percentile(latencies, 50);
    window.metrics["p99_latency_ms"] = percentile(latencies, 99);
    window.metrics["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
    return window;
}

Result<std::pair<double, double>> MlpSession::validate()
{
    double loss = 0;
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < m_val.batches; ++i) {
        LWB_ASSIGN_OR_RETURN(auto r, m_state.runners[0]->evaluate(m_val.xAt(i), m_val.yAt(i)));
        loss += r.first;
        correct += r.second;
    }
    return std::pair {loss / static_cast<double>(m_val.batches),
        static_cast<double>(correct) / static_cast<double>(m_val.batches * m_val.batch)};
}

std::map<std::string, double> MlpSession::summary()
{
    std::map<std::string, double> out;
    out["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
    out["planned_memory_gb"] = static_cast<double>(m_plannedBytes) / 1e9;
    out["parameters"] = static_cast<double>(m_model.parameterCount());
    if (m_seconds > 0)
        out["samples_per_s"] = static_cast<double>(m_batchesDone * m_batch) / m_seconds;
    if (!m_latencyMs.empty()) {
        out["p50_latency_ms"] = percentile(m_latencyMs, 50);
        out["p99_latency_ms"] = percentile(m_latencyMs, 99);
    }
    if (m_training) {
        out["steps"] = static_cast<double>(m_step);
        if (m_step > 0) {
            out["final_loss"] = m_lastLoss;
            out["step_time_p50_ms"] = percentile(m_stepMs, 50);
            out["step_time_p90_ms"] = percentile(m_stepMs, 90);
        }
        if (auto v = guarded([&] { return validate(); })) {
            out["val_loss"] = v->first;
            out["val_accuracy"] = v->second;
        }
    }
    return out;
}

class MlpWorkload final : public Workload {
public:
    explicit MlpWorkload(Purpose purpose)
        : m_purpose(purpose)
    {
    }
    std::string name() const override { return m_purpose == Purpose::Training ? "mlp-train" : "mlp-infer"; }
    std::string description() const override
    {
        return m_purpose == Purpose::Training
            ? "MLP classifier training (GELU hidden layers, cross-entropy, AdamW) on a teacher-labelled task"
            : "MLP classifier inference: batches of samples, latency per batch";
    }
    std::vector<KnobSpec> knobs() const override
    {
        auto k = commonKnobs(m_purpose, 128);
        for (auto& s : mlpShapeKnobs())
            k.push_back(std::move(s));
        if (m_purpose == Purpose::Training) {
            k.push_back(intKnob("grad_accum", "micro-batches per optimiser step", 1, 1, 1024));
            k.push_back(floatKnob("lr", "peak learning rate", 1e-3, 1e-6, 1.0, KnobScale::Log));
            k.push_back(intKnob("warmup_steps", "linear warmup steps", 10, 0, 1e6));
            k.push_back(intKnob("max_steps", "steps of the cosine decay to 0.1 x lr", 1000, 1, 1e9));
            k.push_back(floatKnob("weight_decay", "AdamW decoupled weight decay", 0.1, 0.0, 1.0));
            k.push_back(floatKnob("grad_clip", "global gradient-norm clip (0: off)", 1.0, 0.0, 1e3));
            k.push_back(intKnob("steps_per_window", "optimiser steps per measurement window", 10, 1, 1e6));
            k.push_back(intKnob("val_samples", "validation samples for val_loss / val_accuracy", 1024, 1, 1e6));
        } else {
            k.push_back(intKnob("iterations_per_window", "batches per replica per measurement window", 20, 1, 1e6));
        }
        return k;
    }
    std::vector<MetricSpec> metrics() const override
    {
        if (m_purpose == Purpose::Training)
            return {{"samples_per_s", "samples/s", Direction::Maximize, "training throughput"},
                {"step_time_ms", "ms", Direction::Minimize, "median optimiser step time"},
                {"loss", "nats", Direction::Minimize, "mean training loss of the window"},
                {"skipped_steps", "steps", Direction::Minimize,
                    "fp16: steps skipped in the window because a gradient overflowed (0 otherwise)"},
                {"loss_scale", "", Direction::Maximize, "fp16: dynamic loss scale after the window (1 otherwise)"},
                {"peak_memory_gb", "GB", Direction::Minimize, "peak device memory"}};
        return {{"samples_per_s", "samples/s", Direction::Maximize, "inference throughput"},
            {"p50_latency_ms", "ms", Direction::Minimize, "median batch latency"},
            {"p99_latency_ms", "ms", Direction::Minimize, "99th percentile batch latency"},
            {"peak_memory_gb", "GB", Direction::Minimize, "peak device memory"}};
    }
    Result<Config> resolve(const Config& partial) const override { return resolveCommon(*this, partial, m_purpose); }
    Result<std::unique_ptr<WorkloadSession>> prepare(const Config& config, RunContext& context) override
    {
        return guarded([&]() -> Result<std::unique_ptr<WorkloadSession>> {
            LWB_ASSIGN_OR_RETURN(Config c, resolve(config));
            LWB_ASSIGN_OR_RETURN(auto session, MlpSession::create(c, m_purpose, context));
            return std::unique_ptr<WorkloadSession>(std::move(session));
        });
    }

private:
    Purpose m_purpose;
};

} // namespace

std::unique_ptr<Workload> makeMlpTrainWorkload()
{
    return std::make_unique<MlpWorkload>(Purpose::Training);
}
std::unique_ptr<Workload> makeMlpInferWorkload()
{
    return std::make_unique<MlpWorkload>(Purpose::Inference);
}

} // namespace lwb::engine::detail
