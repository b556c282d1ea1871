// Helpers over the snapshot structs: value formatting, best-so-far history, the 2-D Pareto front,
// and the kernel summary of an in-memory timeline.
#include "lwb/ui/snapshots.h"

#include "lwb/ui/timeline_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace lwb::ui {

std::string paramValueToString(const ParamValue& value)
{
    struct Visitor {
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const
        {
            // Like printf("%.6g") (what users see elsewhere), via to_chars: several times faster,
            // which matters when 10,000 rows are formatted for a filter.
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
            return std::string(buf, r.ptr);
        }
        std::string operator()(const std::string& v) const { return v; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
    };
    return std::visit(Visitor {}, value);
}

std::string_view trialStateName(TrialState state)
{
    switch (state) {
    case TrialState::Running:
        return "RUNNING";
    case TrialState::Complete:
        return "COMPLETE";
    case TrialState::Failed:
        return "FAILED";
    case TrialState::Pruned:
        return "PRUNED";
    }
    return "?";
}

std::string_view runStateName(RunState state)
{
    switch (state) {
    case RunState::Idle:
        return "Idle";
    case RunState::Running:
        return "Running";
    case RunState::Pausing:
        return "Pausing";
    case RunState::Paused:
        return "Paused";
    case RunState::Stopping:
        return "Stopping";
    case RunState::Finished:
        return "Finished";
    }
    return "?";
}

bool isBetter(Direction d, double a, double b)
{
    return d == Direction::Maximize ? a > b : a < b;
}

namespace {
std::optional<double> valueOf(const TrialSnapshot& t, int objective)
{
    if (objective < 0 || objective >= static_cast<int>(t.values.size()))
        return std::nullopt;
    const auto& v = t.values[static_cast<std::size_t>(objective)];
    if (v && std::isfinite(*v))
        return v;
    return std::nullopt;
}
} // namespace

int bestTrialIndex(const StudySnapshot& study, int objective)
{
    if (objective < 0 || objective >= static_cast<int>(study.objectives.size()))
        return -1;
    const Direction d = study.objectives[static_cast<std::size_t>(objective)].direction;
    int best = -1;
    double bestValue = 0;
    for (std::size_t i = 0; i < study.trials.size(); ++i) {
        const auto& t = study.trials[i];
        auto v = valueOf(t, objective);
        if (t.state != TrialState::Complete || !v)
            continue;
        if (best < 0 || isBetter(d, *v, bestValue)) {
            best = static_cast<int>(i);
            bestValue = *v;
        }
    }
    return best;
}

std::vector<HistoryPoint> historySeries(const StudySnapshot& study, int objective)
{
    std::vector<HistoryPoint> out;
    if (objective < 0 || objective >= static_cast<int>(study.objectives.size()))
        return out;
    const Direction d = study.objectives[static_cast<std::size_t>(objective)].direction;
    out.reserve(study.trials.size());
    std::optional<double> best;
    for (const auto& t : study.trials) {
        HistoryPoint p;
        p.trial = t.number;
        p.state = t.state;
        p.value = valueOf(t, objective);
        if (t.state == TrialState::Complete && p.value && (!best || isBetter(d, *p.value, *best)))
            best = p.value;
        p.bestSoFar = best;
        out.push_back(p);
    }
    return out;
}

std::vector<int> paretoFront(const StudySnapshot& study, int objA, int objB)
{
    std::vector<int> front;
    const int n = static_cast<int>(study.objectives.size());
    if (objA < 0 || objB < 0 || objA >= n || objB >= n || objA == objB)
        return front;
    // Flip signs so both objectives are maximised, then sweep by A descending keeping B records.
    const double sa = study.objectives[static_cast<std::size_t>(objA)].direction == Direction::Maximize ? 1 : -1;
    const double sb = study.objectives[static_cast<std::size_t>(objB)].direction == Direction::Maximize ? 1 : -1;
    struct P {
        double a, b;
        int index;
    };
    std::vector<P> pts;
    for (std::size_t i = 0; i < study.trials.size(); ++i) {
        const auto& t = study.trials[i];
        auto a = valueOf(t, objA);
        auto b = valueOf(t, objB);
        if (t.state == TrialState::Complete && a && b)
            pts.push_back({sa * *a, sb * *b, static_cast<int>(i)});
    }
    std::sort(pts.begin(), pts.end(), [](const P& x, const P& y) { return x.a != y.a ? x.a > y.a : x.b > y.b; });
    double bestB = -INFINITY;
    for (const auto& p : pts) {
        if (p.b > bestB) {
            front.push_back(p.index);
            bestB = p.b;
        }
    }
    std::sort(front.begin(), front.end(), [&](int x, int y) {
        return *valueOf(study.trials[static_cast<std::size_t>(x)], objA)
            < *valueOf(study.trials[static_cast<std::size_t>(y)], objA);
    });
    return front;
}

double paramPosition(const ParamInfo& param, const ParamValue& value)
{
    if (param.kind == ParamKind::Categorical || param.kind == ParamKind::Bool) {
        const std::string s = paramValueToString(value);
        auto it = std::find(param.choices.begin(), param.choices.end(), s);
        if (it == param.choices.end() || param.choices.size() < 2)
            return 0.5;
        return static_cast<double>(it - param.choices.begin()) / static_cast<double>(param.choices.size() - 1);
    }
    double v = 0;
    if (auto* i = std::get_if<std::int64_t>(&value))
        v = static_cast<double>(*i);
    else if (auto* d = std::get_if<double>(&value))
        v = *d;
    if (param.high <= param.low)
        return 0.5;
    if (param.scale != ParamScale::Linear && param.low > 0)
        return std::clamp(std::log(v / param.low) / std::log(param.high / param.low), 0.0, 1.0);
    return std::clamp((v - param.low) / (param.high - param.low), 0.0, 1.0);
}

double paramNumeric(const ParamInfo& param, const ParamValue& value)
{
    if (param.kind == ParamKind::Categorical || param.kind == ParamKind::Bool) {
        auto it = std::find(param.choices.begin(), param.choices.end(), paramValueToString(value));
        return it == param.choices.end() ? 0 : static_cast<double>(it - param.choices.begin());
    }
    if (auto* i = std::get_if<std::int64_t>(&value))
        return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&value))
        return *d;
    return 0;
}

KernelSummary summarizeKernels(const TimelineSource& source)
{
    struct Acc {
        std::vector<std::int64_t> durations;
        ItemCategory category = ItemCategory::Kernel;
    };
    std::unordered_map<std::uint32_t, Acc> byName;
    const TimeRange range = source.timeRange();
    for (std::size_t t = 0; t < source.tracks().size(); ++t) {
        TrackSlice slice = source.query(static_cast<int>(t), range.startNs, range.endNs + 1);
        for (const auto& lane : slice.lanes) {
            for (const auto& item : lane) {
                // Markers and API calls are context, not work: they stay out of the table.
                if (item.category == ItemCategory::Marker || item.category == ItemCategory::Api)
                    continue;
                auto& acc = byName[item.nameId];
                acc.category = item.category;
                acc.durations.push_back(item.durationNs());
            }
        }
    }
    KernelSummary summary;
    for (auto& [nameId, acc] : byName) {
        auto& d = acc.durations;
        std::sort(d.begin(), d.end());
        KernelSummaryRow row;
        row.name = std::string(source.name(nameId));
        row.category = std::string(itemCategoryName(acc.category));
        row.count = static_cast<std::int64_t>(d.size());
        for (auto v : d)
            row.totalNs += v;
        row.meanNs = static_cast<double>(row.totalNs) / static_cast<double>(d.size());
        const std::size_t mid = d.size() / 2;
        row.medianNs = d.size() % 2 ? static_cast<double>(d[mid]) : 0.5 * static_cast<double>(d[mid - 1] + d[mid]);
        row.minNs = d.front();
        row.maxNs = d.back();
        summary.totalNs += row.totalNs;
        summary.rows.push_back(std::move(row));
    }
    for (auto& row : summary.rows)
        row.percent
            = summary.totalNs > 0 ? 100.0 * static_cast<double>(row.totalNs) / static_cast<double>(summary.totalNs) : 0;
    std::sort(summary.rows.begin(), summary.rows.end(), [](const KernelSummaryRow& a, const KernelSummaryRow& b) {
        return a.totalNs != b.totalNs ? a.totalNs > b.totalNs : a.name < b.name;
    });
    return summary;
}

} // namespace lwb::ui
