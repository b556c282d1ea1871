// gpt-infer: batched greedy generation with a KV cache. One window = `rounds_per_window` rounds;
// in a round every replica (an independent stream sharing the packed weights) takes batch_size
// prompts of prompt_len bytes from the corpus, prefills them and decodes gen_len more tokens.
// Batching is static, so a round's requests share one latency: per-request latency = the
// round's time on its replica, TTFT = its prefill (first token). Rates are summed over replicas.
#include "workloads/builtin.h"
#include "workloads/common.h"

#include "lwb/core/clock.h"
#include "lwb/engine/data.h"
#include "lwb/engine/gpt.h"

#include <fmt/core.h>

namespace lwb::engine::detail {

namespace {

struct GptInferState {
    std::unique_ptr<GptModel> model;
    std::unique_ptr<GptWeights> weights;
    std::vector<std::unique_ptr<GptGenerator>> generators;
};

class GptInferSession final : public WorkloadSession {
public:
    static Result<std::unique_ptr<GptInferSession>> create(const Config& config, RunContext& context);
    Result<WindowResult> runWindow(RunContext& context) override;
    std::map<std::string, double> summary() override;

private:
    Result<GptInferState> build(ReplicaSet& replicas) const;

    GptConfig m_model;
    Precision m_precision = Precision::Fp32;
    std::int64_t m_batch = 8, m_prompt = 128, m_gen = 128, m_rounds = 1;
    std::unique_ptr<TextCorpus> m_corpus;
    std::vector<TokenBatcher> m_batchers;
    std::vector<std::vector<std::int32_t>> m_prompts, m_scratch;
    ReplicaSet m_replicas;
    GptInferState m_state;
    std::int64_t m_plannedBytes = 0, m_round = 0;
    std::vector<double> m_latencyMs, m_ttftMs;
    double m_generated = 0, m_seconds = 0;
};

Result<GptInferState> GptInferSession::build(ReplicaSet& replicas) const
{
    GptInferState s;
    Backend& primary = replicas.primary();
    LWB_ASSIGN_OR_RETURN(s.model, GptModel::create(primary, m_model));
    LWB_ASSIGN_OR_RETURN(s.weights,
        GptWeights::create(primary, m_model, m_precision, WeightUse::Inference, {m_batch, m_batch * m_prompt}));
    for (auto& backend : replicas.backends) {
        LWB_ASSIGN_OR_RETURN(auto g, GptGenerator::create(*backend, *s.model, *s.weights, m_batch, m_prompt));
        s.generators.push_back(std::move(g));
    }
    return s;
}

Result<std::unique_ptr<GptInferSession>> GptInferSession::create(const Config& c, RunContext& context)
{
    auto session = std::make_unique<GptInferSession>();
    GptInferSession& s = *session;
    s.m_model.nLayer = intValue(c, "n_layer");
    s.m_model.nEmbd = intValue(c, "n_embd");
    s.m_model.nHead = intValue(c, "n_head");
    s.m_model.maxSeqLen = intValue(c, "seq_len");
    LWB_ASSIGN_OR_RETURN(s.m_precision, modelPrecision(c));
    s.m_batch = intValue(c, "batch_size");
    s.m_prompt = intValue(c, "prompt_len");
    s.m_gen = intValue(c, "gen_len");
    s.m_rounds = intValue(c, "rounds_per_window");
    const auto seed = static_cast<std::uint64_t>(intValue(c, "seed"));
    const int replicas = static_cast<int>(intValue(c, "replicas"));
    const std::string corpusPath = textValue(c, "corpus");
    if (corpusPath.empty()) {
        s.m_corpus = std::make_unique<TextCorpus>(TextCorpus::generated());
    } else {
        LWB_ASSIGN_OR_RETURN(auto corpus, TextCorpus::fromFile(corpusPath));
        s.m_corpus = std::make_unique<TextCorpus>(std::move(corpus));
    }
    if (static_cast<std::int64_t>(s.m_corpus->train().size()) < s.m_prompt + 2)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("corpus '{}' is shorter than prompt_len + 2 = {} bytes", s.m_corpus->name(), s.m_prompt + 2),
            LWB_WHERE);
    for (int r = 0; r < replicas; ++r) {
        s.m_batchers.emplace_back(
            s.m_corpus->train(), s.m_batch, s.m_prompt, seed * 1000003ull + static_cast<std::uint64_t>(r));
        s.m_prompts.emplace_back(static_cast<std::size_t>(s.m_batch * s.m_prompt));
        s.m_scratch.emplace_back(static_cast<std::size_t>(s.m_batch * s.m_prompt));
    }
    context.progress(0.2, "planning memory");
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
    context.progress(0.4, "allocating");
    LWB_ASSIGN_OR_RETURN(s.m_state, s.build(s.m_replicas));
    const std::string checkpoint = textValue(c, "checkpoint");
    if (checkpoint.empty()) {
        LWB_RETURN_IF_ERROR(s.m_state.model->initRandom(seed));
    } else {
        LWB_RETURN_IF_ERROR(s.m_state.model->load(checkpoint));
    }
    context.progress(0.8, "packing weights");
    s.m_state.weights->pack(s.m_replicas.primary(), *s.m_state.model);
    LWB_RETURN_IF_ERROR(s.m_replicas.primary().synchronize());
    context.progress(1.0, "ready");
    return session;
}

Result<WindowResult> GptInferSession::runWindow(RunContext& context)
{
    return guarded([&]() -> Result<WindowResult> {
        WindowResult window;
        Stopwatch wall;
        OpObserver* observer = context.observer();
        const int R = m_replicas.size();
        for (int r = 0; r < R; ++r)
            m_replicas.backends[static_cast<std::size_t>(r)]->setTracing(
                observer, static_cast<std::uint32_t>(r * m_replicas.threads));
        std::vector<double> prefillSec(static_cast<std::size_t>(R), 0.0), decodeSec(static_cast<std::size_t>(R), 0.0);
        std::vector<double> latencyMs, ttftMs;
        for (std::int64_t round = 0; round < m_rounds; ++round) {
            if (context.cancelled())
                return fail(ErrorCode::Cancelled, "gpt-infer cancelled", LWB_WHERE);
            const std::int64_t step = ++m_round;
            if (observer)
                observer->onStepBegin(step);
            for (auto& b : m_replicas.backends)
                b->setStep(step);
            std::vector<double> ttft(static_cast<std::size_t>(R)), total(static_cast<std::size_t>(R));
            LWB_RETURN_IF_ERROR(m_replicas.run([&](int r) -> Status {
                const auto i = static_cast<std::size_t>(r);
                m_batchers[i].next(m_prompts[i].data(), m_scratch[i].data());
                auto& gen = *m_state.generators[i];
                Stopwatch sw;
                LWB_ASSIGN_OR_RETURN(auto next, gen.prefill(m_prompts[i].data(), m_prompt));
                ttft[i] = sw.elapsedSeconds();
                for (std::int64_t t = 0; t < m_gen; ++t) {
                    LWB_ASSIGN_OR_RETURN(next, gen.decode(next));
                }
                total[i] = sw.elapsedSeconds();
                prefillSec[i] += ttft[i];
                decodeSec[i] += total[i] - ttft[i];
                return {};
            }));
            if (observer)
                observer->onStepEnd(step);
            for (int r = 0; r < R; ++r)
                for (std::int64_t b = 0; b < m_batch; ++b) {
                    latencyMs.push_back(total[static_cast<std::size_t>(r)] * 1e3);
                    ttftMs.push_back(ttft[static_cast<std::size_t>(r)] * 1e3);
                }
            context.progress(
                static_cast<double>(round + 1) / static_cast<double>(m_rounds), fmt::format("round {}", step));
        }
        double prefillRate = 0, decodeRate = 0;
        for (int r = 0; r < R; ++r) {
            prefillRate += static_cast<double>(m_rounds * m_batch * m_prompt) / prefillSec[static_cast<std::size_t>(r)];
            decodeRate += static_cast<double>(m_rounds * m_batch * m_gen) / decodeSec[static_cast<std::size_t>(r)];
        }
        window.seconds = wall.elapsedSeconds();
        const double generated = static_cast<double>(R * m_rounds * m_batch * (m_gen + 1));
        double ttftMean = 0;
        for (double t : ttftMs)
            ttftMean += t / static_cast<double>(ttftMs.size());
        window.metrics["prefill_tokens_per_s"] = prefillRate;
        window.metrics["decode_tokens_per_s"] = decodeRate;
        window.metrics["tokens_per_s"] = generated / window.seconds;
        window.metrics["p50_latency_ms"] = percentile(latencyMs, 50);
        window.metrics["p99_latency_ms"] = percentile(latencyMs, 99);
        window.metrics["ttft_ms"] = ttftMean;
        window.metrics["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
        m_latencyMs.insert(m_latencyMs.end(), latencyMs.begin(), latencyMs.end());
        m_ttftMs.insert(m_ttftMs.end(), ttftMs.begin(), ttftMs.end());
        m_generated += generated;
        m_seconds += window.seconds;
        return window;
    });
}

std::map<std::string, double> GptInferSession::summary()
{
    std::map<std::string, double> out;
    out["peak_memory_gb"] = static_cast<double>(m_replicas.tracker->stats().peakBytes) / 1e9;
    out["planned_memory_gb"] = static_cast<double>(m_plannedBytes) / 1e9;
    out["parameters"] = static_cast<double>(m_model.parameterCount());
    if (!m_latencyMs.empty()) {
        out["p50_latency_ms"] = percentile(m_latencyMs, 50);
        out["p99_latency_ms"] = percentile(m_latencyMs, 99);
        out["ttft_p50_ms"] = percentile(m_ttftMs, 50);
        out["tokens_per_s"] = m_generated / m_seconds;
    }
    return out;
}

class GptInferWorkload final : public Workload {
public:
    std::string name() const override { return "gpt-infer"; }
    std::string description() const override
    {
        return "GPT batched greedy generation with a KV cache: prefill, then one token per step per sequence";
    }
    std::vector<KnobSpec> knobs() const override
    {
        auto k = commonKnobs(Purpose::Inference, 8);
        for (auto& m : gptModelKnobs())
            k.push_back(std::move(m));
        k.push_back(intKnob("prompt_len", "prompt tokens per request", 128, 1, 8192, KnobScale::Linear, "tokens"));
        k.push_back(intKnob(
            "gen_len", "decode steps per request (tokens after the first)", 128, 1, 8192, KnobScale::Linear, "tokens"));
        k.push_back(intKnob("rounds_per_window", "rounds of requests per measurement window", 1, 1, 1e5));
        k.push_back(textKnob("corpus", "UTF-8 text file the prompts come from (empty: the generated corpus)"));
        return k;
    }
    std::vector<MetricSpec> metrics() const override
    {
        return {{"prefill_tokens_per_s", "tokens/s", Direction::Maximize, "prompt tokens processed per second"},
            {"decode_tokens_per_s", "tokens/s", Direction::Maximize, "tokens generated per second in decode"},
            {"tokens_per_s", "tokens/s", Direction::Maximize, "generated tokens per wall second"},
            {"p50_latency_ms", "ms", Direction::Minimize, "median request latency"},
            {"p99_latency_ms", "ms", Direction::Minimize, "99th percentile request latency"},
            {"ttft_ms", "ms", Direction::Minimize, "mean time to first token"},
            {"peak_memory_gb", "GB", Direction::Minimize, "peak device memory"}};
    }
    Result<Config> resolve(const Config& partial) const override
    {
        LWB_ASSIGN_OR_RETURN(Config c, resolveCommon(*this, partial, Purpose::Inference));
        LWB_RETURN_IF_ERROR(checkGptShape(c));
        const std::int64_t prompt = intValue(c, "prompt_len"), gen = intValue(c, "gen_len"),
                           seq = intValue(c, "seq_len");
        if (prompt + gen > seq)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("invalid value {} for knob 'gen_len': prompt_len ({}) + gen_len must be <= seq_len ({})",
                    gen, prompt, seq),
                LWB_WHERE);
        return c;
    }
    Result<std::unique_ptr<WorkloadSession>> prepare(const Config& config, RunContext& context) override
    {
        return guarded([&]() -> Result<std::unique_ptr<WorkloadSession>> {
            LWB_ASSIGN_OR_RETURN(Config c, resolve(config));
            LWB_ASSIGN_OR_RETURN(auto session, GptInferSession::create(c, context));
            return std::unique_ptr<WorkloadSession>(std::move(session));
        });
    }
};

} // namespace

std::unique_ptr<Workload> makeGptInferWorkload()
{
    return std::make_unique<GptInferWorkload>();
}

} // namespace lwb::engine::detail
