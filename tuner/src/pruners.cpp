// Pruners: none, median and asynchronous successive halving (see pruner.h).
#include "lwb/tuner/pruner.h"

#include "samplers.h"

#include <algorithm>
#include <cmath>

namespace lwb::tuner {
namespace {

bool better(double a, double b, Direction d)
{
    return d == Direction::Minimize ? a < b : a > b;
}

class NonePruner final : public Pruner {
public:
    std::string_view name() const override { return "none"; }
    bool shouldPrune(const PrunerContext&) const override { return false; }
};

/// Prunes when the trial's best value so far is worse than the median of the completed trials'
/// values at the same step (Optuna's rule).
class MedianPruner final : public Pruner {
public:
    MedianPruner(int startupTrials, std::int64_t warmupSteps, std::int64_t interval, int minTrials)
        : m_startupTrials(startupTrials)
        , m_warmupSteps(warmupSteps)
        , m_interval(interval)
        , m_minTrials(minTrials)
    {
    }
    std::string_view name() const override { return "median"; }
    bool shouldPrune(const PrunerContext& c) const override
    {
        if (c.step < m_warmupSteps || (c.step - m_warmupSteps) % m_interval != 0)
            return false;
        std::vector<double> others;
        int completed = 0;
        for (const Trial& t : c.trials) {
            if (t.state != TrialState::Complete || t.id == c.trial.id || t.origin == TrialOrigin::WarmStart)
                continue;
            ++completed;
            auto it = t.intermediate.find(c.step);
            if (it != t.intermediate.end() && std::isfinite(it->second))
                others.push_back(it->second);
        }
        if (completed < m_startupTrials || static_cast<int>(others.size()) < m_minTrials || others.empty())
            return false;
        double best = std::nan("");
        for (const auto& [step, value] : c.trial.intermediate) {
            if (step <= c.step && std::isfinite(value) && (std::isnan(best) || better(value, best, c.direction)))
                best = value;
        }
        if (std::isnan(best))
            return true; // only NaN so far: a diverged run
        std::sort(others.begin(), others.end());
        std::size_t n = others.size();
        double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
        return better(median, best, c.direction);
    }

private:
    int m_startupTrials;
    std::int64_t m_warmupSteps;
    std::int64_t m_interval;
    int m_minTrials;
};

/// Asynchronous successive halving. Rung k sits at step minResource * eta^(k + minRate). When a
/// trial first reports a step at or past a rung, it competes with every trial that reached that
/// rung (value = the first reported value at or past it) and goes on only when it is within the
/// best max(1, floor(n / eta)).
class SuccessiveHalvingPruner final : public Pruner {
public:
    SuccessiveHalvingPruner(std::int64_t minResource, int eta, int minRate)
        : m_minResource(minResource)
        , m_eta(eta)
        , m_minRate(minRate)
    {
    }
    std::string_view name() const override { return "successive_halving"; }

    std::int64_t rungStep(int k) const
    {
        double s = static_cast<double>(m_minResource) * std::pow(static_cast<double>(m_eta), k + m_minRate);
        return static_cast<std::int64_t>(std::min(s, 9.0e18));
    }

    /// First value reported at or past `step`, NaN if none.
    static double valueAt(const Trial& t, std::int64_t step)
    {
        auto it = t.intermediate.lower_bound(step);
        return it == t.intermediate.end() ? std::nan("") : it->second;
    }

    bool shouldPrune(const PrunerContext& c) const override
    {
        // The rung this report crosses, if any: the highest rung <= step not crossed by an earlier report.
        std::int64_t previous = -1;
        for (const auto& [step, value] : c.trial.intermediate) {
            if (step < c.step)
                previous = step;
        }
        int rung = -1;
        for (int k = 0; k < 62 && rungStep(k) <= c.step; ++k) {
            if (rungStep(k) > previous)
                rung = k;
        }
        if (rung < 0)
            return false;
        double own = c.trial.intermediate.at(c.step);
        if (!std::isfinite(own))
            return true;
        std::int64_t at = rungStep(rung);
        std::vector<double> competing {own};
        for (const Trial& t : c.trials) {
            if (t.id == c.trial.id || t.origin == TrialOrigin::WarmStart)
                continue;
            double v = valueAt(t, at);
            if (std::isfinite(v))
                competing.push_back(v);
        }
        std::sort(competing.begin(), competing.end());
        if (c.direction == Direction::Maximize)
            std::reverse(competing.begin(), competing.end());
        std::size_t keep = std::max<std::size_t>(1, competing.size() / static_cast<std::size_t>(m_eta));
        double threshold = competing[keep - 1];
        return better(threshold, own, c.direction);
    }

private:
    std::int64_t m_minResource;
    int m_eta;
    int m_minRate;
};

} // namespace

Result<std::unique_ptr<Pruner>> makePruner(const PrunerSpec& spec)
{
    const Json& o = spec.options;
    if (spec.name == "none") {
        LWB_RETURN_IF_ERROR(detail::checkOptionKeys(o, "none pruner", {}));
        return std::unique_ptr<Pruner>(new NonePruner());
    }
    if (spec.name == "median") {
        LWB_RETURN_IF_ERROR(
            detail::checkOptionKeys(o, "median pruner", {"startup_trials", "warmup_steps", "interval", "min_trials"}));
        LWB_ASSIGN_OR_RETURN(int startup, detail::intOption(o, "startup_trials", 5, 0, 1000000));
        LWB_ASSIGN_OR_RETURN(int warmup, detail::intOption(o, "warmup_steps", 0, 0, 1000000000));
        LWB_ASSIGN_OR_RETURN(int interval, detail::intOption(o, "interval", 1, 1, 1000000000));
        LWB_ASSIGN_OR_RETURN(int minTrials, detail::intOption(o, "min_trials", 1, 1, 1000000));
        return std::unique_ptr<Pruner>(new MedianPruner(startup, warmup, interval, minTrials));
    }
    if (spec.name == "successive_halving") {
        LWB_RETURN_IF_ERROR(detail::checkOptionKeys(
            o, "successive_halving pruner", {"min_resource", "reduction_factor", "min_early_stopping_rate"}));
        LWB_ASSIGN_OR_RETURN(int minResource, detail::intOption(o, "min_resource", 1, 1, 1000000000));
        LWB_ASSIGN_OR_RETURN(int eta, detail::intOption(o, "reduction_factor", 3, 2, 1000));
        LWB_ASSIGN_OR_RETURN(int minRate, detail::intOption(o, "min_early_stopping_rate", 0, 0, 60));
        return std::unique_ptr<Pruner>(new SuccessiveHalvingPruner(minResource, eta, minRate));
    }
    return fail(
        ErrorCode::InvalidArgument, "unknown pruner '" + spec.name + "' (median, none, successive_halving)", LWB_WHERE);
}

std::vector<std::string> prunerNames()
{
    return {"median", "none", "successive_halving"};
}

} // namespace lwb::tuner
