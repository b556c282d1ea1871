// Closed-form demo workloads (see demo_model.h). Throughput saturates with batch x sequence,
// grows with precision and sublinearly with threads; memory grows with batch x sequence x layers
// (16 GB budget: beyond it the trial fails as out of memory); loss depends on the learning rate
// (best near 1e-3) and diverges above ~6e-3, where the median pruner stops the trial.
#include "demo_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lwb::ui::demo {

std::uint64_t Rng::next()
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
double Rng::uniform()
{
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}
double Rng::normal()
{
    const double u1 = std::max(1e-12, uniform());
    const double u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

namespace {

KnobInfo intKnob(std::string name, std::int64_t def, double lo, double hi, ParamScale scale, std::string desc)
{
    return KnobInfo {std::move(name), ParamKind::Int, std::move(desc), "", ParamValue {def}, lo, hi, scale, {}};
}

std::vector<WorkloadInfo> build()
{
    std::vector<WorkloadInfo> w;
    const MetricInfo tokens {"tokens_per_s", "tok/s", Direction::Maximize, "training throughput"};
    const MetricInfo stepTime {"step_time_ms", "ms", Direction::Minimize, "median time of one optimiser step"};
    const MetricInfo memory {"peak_memory_gb", "GB", Direction::Minimize, "peak device memory"};
    const MetricInfo loss {"loss", "", Direction::Minimize, "training loss at the end of the trial"};
    const MetricInfo p99 {"p99_latency_ms", "ms", Direction::Minimize, "99th percentile request latency"};
    const KnobInfo precision {"precision", ParamKind::Categorical, "compute precision", "",
        ParamValue {std::string("f32")}, 0, 0, ParamScale::Linear, {"f32", "bf16", "f16"}};
    const KnobInfo lr {
        "lr", ParamKind::Float, "peak learning rate", "", ParamValue {3e-4}, 1e-5, 1e-2, ParamScale::Log, {}};
    w.push_back({"gpt-train", "Decoder-only transformer (byte vocabulary), training on tinyshakespeare",
        {intKnob("batch_size", 8, 1, 128, ParamScale::PowerOfTwo, "sequences per step"),
            intKnob("seq_len", 256, 64, 1024, ParamScale::PowerOfTwo, "tokens per sequence"), precision,
            intKnob("threads", 8, 1, 32, ParamScale::Linear, "intra-op CPU threads"),
            intKnob("grad_accum", 1, 1, 8, ParamScale::Linear, "micro-batches per optimiser step"), lr,
            intKnob("n_layer", 6, 2, 24, ParamScale::Linear, "transformer blocks"),
            KnobInfo {"activation_checkpointing", ParamKind::Bool, "recompute activations in backward", "",
                ParamValue {false}, 0, 0, ParamScale::Linear, {}}},
        {tokens, stepTime, memory, loss}});
    KnobInfo inferPrecision = precision;
    inferPrecision.choices = {"f32", "bf16", "int8"};
    w.push_back({"gpt-infer", "Decoder-only transformer, batched generation requests",
        {intKnob("batch_size", 8, 1, 128, ParamScale::PowerOfTwo, "concurrent requests"), inferPrecision,
            intKnob("threads", 8, 1, 32, ParamScale::Linear, "intra-op CPU threads"),
            intKnob("max_new_tokens", 128, 16, 512, ParamScale::PowerOfTwo, "tokens generated per request"),
            KnobInfo {"kv_cache", ParamKind::Bool, "reuse keys/values across steps", "", ParamValue {true}, 0, 0,
                ParamScale::Linear, {}}},
        {MetricInfo {"tokens_per_s", "tok/s", Direction::Maximize, "generated tokens per second"}, p99, memory}});
    w.push_back({"mlp-train", "Multi-layer perceptron on synthetic regression data",
        {intKnob("batch_size", 64, 8, 4096, ParamScale::PowerOfTwo, "samples per step"),
            intKnob("hidden", 512, 64, 4096, ParamScale::PowerOfTwo, "hidden width"), precision,
            intKnob("threads", 8, 1, 32, ParamScale::Linear, "intra-op CPU threads"), lr},
        {MetricInfo {"samples_per_s", "1/s", Direction::Maximize, "training throughput"}, stepTime, memory, loss}});
    return w;
}

double num(const std::map<std::string, ParamValue>& p, const std::string& k, double def)
{
    auto it = p.find(k);
    if (it == p.end())
        return def;
    if (auto* i = std::get_if<std::int64_t>(&it->second))
        return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&it->second))
        return *d;
    if (auto* b = std::get_if<bool>(&it->second))
        return *b ? 1 : 0;
    return def;
}

std::string str(const std::map<std::string, ParamValue>& p, const std::string& k, const std::string& def)
{
    auto it = p.find(k);
    if (it == p.end())
        return def;
    if (auto* s = std::get_if<std::string>(&it->second))
        return *s;
    return def;
}

} // namespace

std::vector<WorkloadInfo> workloads()
{
    static const std::vector<WorkloadInfo> w = build();
    return w;
}

const WorkloadInfo* findWorkload(const std::string& name)
{
    static const std::vector<WorkloadInfo> w = build();
    for (const auto& x : w)
        if (x.name == name)
            return &x;
    return nullptr;
}

Outcome evaluate(const std::string& workload, const std::map<std::string, ParamValue>& p, Rng& rng)
{
    Outcome o;
    const bool infer = workload == "gpt-infer";
    const bool mlp = workload == "mlp-train";
    const double batch = num(p, "batch_size", mlp ? 64 : 8);
    const double seq = mlp ? num(p, "hidden", 512) / 4 : infer ? num(p, "max_new_tokens", 128) : num(p, "seq_len", 256);
    const double threads = num(p, "threads", 8);
    const double layers = num(p, "n_layer", 6);
    const double accum = num(p, "grad_accum", 1);
    const double lr = num(p, "lr", 3e-4);
    const bool ckpt = num(p, "activation_checkpointing", 0) > 0.5;
    const std::string precision = str(p, "precision", "f32");
    const double prec = precision == "bf16" ? 1.75 : precision == "f16" ? 1.6 : precision == "int8" ? 2.3 : 1.0;
    const double bytes = precision == "f32" ? 4 : precision == "int8" ? 1 : 2;
    const double work = batch * seq;
    const double sat = work / (work / 6000.0 + 1.0); // saturating parallel efficiency
    const double thr = std::pow(threads, 0.85) / (1 + 0.012 * threads * threads / 8);
    const double noise = 1 + 0.025 * rng.normal();
    double tokens = 0.25 * sat * prec * thr * (ckpt ? 0.78 : 1.0) * (1 + 0.04 * (accum - 1)) / (layers / 6) * noise;
    if (mlp)
        tokens *= 6;
    if (infer && num(p, "kv_cache", 1) < 0.5)
        tokens *= 0.35; // without a KV cache every step recomputes the prefix
    const double memory = 0.6 + work * layers * bytes * (ckpt ? 0.35 : 1.0) * (infer ? 0.8e-5 : 2.5e-5) / (mlp ? 8 : 1);
    o.metrics["peak_memory_gb"] = memory;
    if (memory > 24.0) {
        o.state = TrialState::Failed;
        char buf[96];
        std::snprintf(buf, sizeof buf, "out of memory: needs %.1f GB, the device budget is 24 GB", memory);
        o.reason = buf;
        o.metrics.clear();
        return o;
    }
    if (precision == "f16" && !infer && lr > 4e-3) {
        o.state = TrialState::Failed;
        o.reason = "numerical error: loss became NaN at step 37 (f16 overflow; try bf16 or a lower lr)";
        return o;
    }
    const double stepMs = 1000.0 * work * accum / std::max(1.0, tokens);
    o.metrics[mlp ? "samples_per_s" : "tokens_per_s"] = mlp ? tokens / 4 : tokens;
    o.metrics["step_time_ms"] = stepMs;
    // Inference: a request waits for max_new_tokens decoding steps of the whole batch (plus the
    // prefill); the tail adds queueing jitter.
    if (infer) {
        const double decodeStepMs = 1000.0 * batch / std::max(1.0, tokens);
        o.metrics["p99_latency_ms"] = (seq * decodeStepMs * 1.2 + 4.0) * (1.1 + 0.06 * std::fabs(rng.normal()));
    }
    // Loss: a log-quadratic in the learning rate around 1e-3; divergence above ~6e-3.
    const double llr = std::log10(std::max(1e-8, lr));
    double finalLoss = 1.45 + 0.55 * (llr + 3) * (llr + 3) + 0.02 * rng.normal() + 0.1 / std::sqrt(batch * accum);
    if (!infer) {
        const int steps = 60;
        double l = 4.2;
        for (int s = 0; s <= steps; s += 2) {
            const double t = static_cast<double>(s) / steps;
            l = finalLoss + (4.2 - finalLoss) * std::exp(-4.5 * t) + 0.03 * rng.normal();
            if (lr > 6e-3)
                l += 2.5 * t * t;
            o.loss.emplace_back(s, l);
            if (lr > 6e-3 && s >= 30) {
                o.state = TrialState::Pruned;
                char buf[96];
                std::snprintf(
                    buf, sizeof buf, "pruned at step %d: loss %.2f is above the median of earlier trials", s, l);
                o.reason = buf;
                return o;
            }
        }
        o.metrics["loss"] = l;
    }
    return o;
}

ParamInfo paramInfo(const KnobSetting& knob)
{
    ParamInfo p;
    p.name = knob.name;
    p.kind = knob.kind;
    p.low = knob.low;
    p.high = knob.high;
    p.scale = knob.scale;
    p.choices = knob.choices;
    return p;
}

namespace {

ParamValue fromUnit(const ParamInfo& p, double u)
{
    u = std::clamp(u, 0.0, 1.0);
    switch (p.kind) {
    case ParamKind::Categorical:
    case ParamKind::Bool: {
        if (p.choices.empty())
            return ParamValue {std::string()};
        auto idx = std::min(p.choices.size() - 1, static_cast<std::size_t>(u * static_cast<double>(p.choices.size())));
        if (p.kind == ParamKind::Bool)
            return ParamValue {p.choices[idx] == "true"};
        return ParamValue {p.choices[idx]};
    }
    case ParamKind::Int: {
        if (p.scale == ParamScale::PowerOfTwo && p.low > 0) {
            const double lo = std::ceil(std::log2(p.low)), hi = std::floor(std::log2(p.high));
            return ParamValue {static_cast<std::int64_t>(std::exp2(std::round(lo + u * (hi - lo))))};
        }
        if (p.scale == ParamScale::Log && p.low > 0)
            return ParamValue {static_cast<std::int64_t>(std::llround(p.low * std::pow(p.high / p.low, u)))};
        return ParamValue {static_cast<std::int64_t>(std::llround(p.low + u * (p.high - p.low)))};
    }
    case ParamKind::Float:
        if (p.scale == ParamScale::Log && p.low > 0)
            return ParamValue {p.low * std::pow(p.high / p.low, u)};
        return ParamValue {p.low + u * (p.high - p.low)};
    }
    return ParamValue {std::int64_t {0}};
}

} // namespace

std::map<std::string, ParamValue> sample(
    const std::vector<ParamInfo>& params, const StudySnapshot& study, int objective, Rng& rng)
{
    std::map<std::string, ParamValue> out;
    const int best = bestTrialIndex(study, objective);
    const bool exploit = study.trials.size() >= 8 && best >= 0 && rng.uniform() < 0.65;
    for (const auto& p : params) {
        double u = rng.uniform();
        if (exploit) {
            const auto& bp = study.trials[static_cast<std::size_t>(best)].params;
            auto it = bp.find(p.name);
            if (it != bp.end())
                u = paramPosition(p, it->second) + 0.12 * rng.normal();
            if ((p.kind == ParamKind::Categorical || p.kind == ParamKind::Bool) && rng.uniform() < 0.7
                && it != bp.end()) {
                out[p.name] = it->second;
                continue;
            }
        }
        out[p.name] = fromUnit(p, u);
    }
    return out;
}

} // namespace lwb::ui::demo
