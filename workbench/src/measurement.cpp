// The measurement protocol (see measurement.h).
#include "lwb/workbench/measurement.h"

#include "lwb/core/clock.h"

#include <cmath>
#include <fmt/core.h>
#include <set>

namespace lwb::workbench {

std::string_view stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::Stable:
        return "stable";
    case StopReason::MaxSamples:
        return "max_samples";
    case StopReason::MaxTime:
        return "max_time";
    case StopReason::TargetReached:
        return "target_reached";
    case StopReason::TimeBudget:
        return "time_budget";
    case StopReason::Pruned:
        return "pruned";
    }
    return "unknown";
}

std::optional<double> Measurement::value(const std::string& metric) const
{
    if (auto it = distributions.find(metric); it != distributions.end() && it->second.count > 0)
        return it->second.median;
    if (auto it = summary.find(metric); it != summary.end())
        return it->second;
    return std::nullopt;
}

Json Measurement::toJson() const
{
    Json dists = Json::object();
    for (const auto& [name, d] : distributions) {
        dists[name] = {{"count", d.count}, {"median", d.median}, {"mean", d.mean}, {"stddev", d.stddev}, {"min", d.min},
            {"max", d.max}, {"q1", d.q1}, {"q3", d.q3}, {"ci_low", d.ciLow}, {"ci_high", d.ciHigh}};
    }
    return Json {{"primary_metric", primaryMetric}, {"stable", stable}, {"noise", noise},
        {"warmup_windows", warmupWindows}, {"measured_windows", measuredWindows}, {"seconds", seconds},
        {"stop_reason", std::string(stopReasonName(stopReason))}, {"samples", samples}, {"distributions", dists},
        {"summary", summary}};
}

namespace {

/// Forwards to the caller's context and remembers whether the trial was pruned.
class PruneTrackingContext final : public engine::RunContext {
public:
    explicit PruneTrackingContext(engine::RunContext& inner)
        : m_inner(inner)
    {
    }
    bool cancelled() const override { return m_pruned || m_inner.cancelled(); }
    void progress(double fraction, std::string_view message) override { m_inner.progress(fraction, message); }
    bool report(std::int64_t step, double value) override
    {
        m_reported.push_back({step, value});
        m_steps.insert(step);
        if (m_inner.report(step, value))
            m_pruned = true;
        return m_pruned;
    }
    /// Points of a window that were not already reported through report().
    void addUnreported(const std::vector<std::pair<std::int64_t, double>>& points)
    {
        for (const auto& p : points)
            if (m_steps.insert(p.first).second)
                m_reported.push_back(p);
    }
    const std::vector<std::pair<std::int64_t, double>>& reported() const { return m_reported; }
    OpObserver* observer() override { return m_inner.observer(); }
    bool pruned() const { return m_pruned; }

private:
    engine::RunContext& m_inner;
    bool m_pruned = false;
    std::vector<std::pair<std::int64_t, double>> m_reported;
    std::set<std::int64_t> m_steps;
};

double recentNoise(const std::vector<double>& values, int window)
{
    if (values.size() < 2)
        return 0;
    std::size_t n = std::min(values.size(), static_cast<std::size_t>(std::max(window, 2)));
    return relativeStddev(std::span<const double>(values.data() + values.size() - n, n));
}

} // namespace

Result<Measurement> measure(engine::WorkloadSession& session, engine::RunContext& context,
    const MeasurementRules& rules, const std::string& primaryMetric)
{
    if (rules.minSamples < 1 || rules.maxSamples < rules.minSamples)
        return fail(ErrorCode::InvalidArgument,
            fmt::format(
                "measurement rules need 1 <= min_samples ({}) <= max_samples ({})", rules.minSamples, rules.maxSamples),
            LWB_WHERE);
    if (rules.mode == MeasurementMode::TimeToTargetLoss && !rules.targetLoss)
        return fail(ErrorCode::InvalidArgument, "time-to-target-loss measurement needs target_loss", LWB_WHERE);

    PruneTrackingContext ctx(context);
    Measurement m;
    m.primaryMetric = primaryMetric;
    Stopwatch total;
    double trainingSeconds = 0;
    double lastLoss = std::nan("");

    auto runOne = [&](bool measured) -> Status {
        auto window = session.runWindow(ctx);
        if (!window) {
            if (ctx.pruned() && window.error().code == ErrorCode::Cancelled)
                return {};
            return fail(std::move(window).error());
        }
        trainingSeconds += window->seconds;
        ctx.addUnreported(window->intermediate);
        if (!ctx.reported().empty())
            lastLoss = ctx.reported().back().second;
        if (auto it = window->metrics.find("loss"); it != window->metrics.end())
            lastLoss = it->second;
        if (measured) {
            for (const auto& [name, value] : window->metrics)
                m.samples[name].push_back(value);
            ++m.measuredWindows;
        } else {
            ++m.warmupWindows;
        }
        return {};
    };

    if (rules.mode == MeasurementMode::Throughput) {
        for (int i = 0; i < rules.warmupWindows && !ctx.pruned(); ++i) {
            LWB_RETURN_IF_ERROR(runOne(false));
            if (context.cancelled())
                return fail(ErrorCode::Cancelled, "measurement interrupted during warm-up", LWB_WHERE);
        }
        while (!ctx.pruned()) {
            LWB_RETURN_IF_ERROR(runOne(true));
            if (context.cancelled())
                return fail(ErrorCode::Cancelled, "measurement interrupted", LWB_WHERE);
            if (ctx.pruned())
                break;
            auto it = m.samples.find(primaryMetric);
            if (it == m.samples.end())
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("the workload reported no metric '{}' (it reports: {})", primaryMetric,
                        [&] {
                            std::string names;
                            for (const auto& [name, v] : m.samples)
                                names += (names.empty() ? "" : ", ") + name;
                            return names.empty() ? std::string("none") : names;
                        }()),
                    LWB_WHERE);
            m.noise = recentNoise(it->second, rules.minSamples);
            int n = static_cast<int>(it->second.size());
            if (n >= rules.minSamples && m.noise <= rules.maxNoise) {
                m.stable = true;
                m.stopReason = StopReason::Stable;
                break;
            }
            if (n >= rules.maxSamples) {
                m.stopReason = StopReason::MaxSamples;
                break;
            }
            if (total.elapsedSeconds() >= rules.maxTimeSeconds) {
                m.stopReason = StopReason::MaxTime;
                break;
            }
        }
    } else {
        // Training-to-quality modes: every window is measured; the clock is the training time.
        while (!ctx.pruned()) {
            LWB_RETURN_IF_ERROR(runOne(true));
            if (context.cancelled())
                return fail(ErrorCode::Cancelled, "measurement interrupted", LWB_WHERE);
            if (rules.mode == MeasurementMode::TimeToTargetLoss && lastLoss <= *rules.targetLoss) {
                m.summary["time_to_target_s"] = trainingSeconds;
                m.stopReason = StopReason::TargetReached;
                m.stable = true;
                break;
            }
            if (rules.mode == MeasurementMode::LossAfterTime && trainingSeconds >= rules.timeBudgetSeconds) {
                m.summary["final_loss"] = lastLoss;
                m.stopReason = StopReason::TimeBudget;
                m.stable = true;
                break;
            }
            if (total.elapsedSeconds() >= rules.maxTimeSeconds) {
                m.stopReason = StopReason::MaxTime;
                break;
            }
        }
    }
    if (ctx.pruned())
        m.stopReason = StopReason::Pruned;
    m.intermediate = ctx.reported();
    for (const auto& [name, value] : session.summary())
        m.summary.emplace(name, value);
    for (const auto& [name, values] : m.samples)
        m.distributions[name] = summarize(values);
    m.seconds = total.elapsedSeconds();
    return m;
}

} // namespace lwb::workbench
