// Side-by-side comparison of trials, runs and profiles (see compare.h).
#include "lwb/workbench/compare.h"

#include "lwb/core/study_file.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/profile.h"
#include "lwb/workbench/profiles.h"

#include <cmath>
#include <fmt/core.h>
#include <set>

namespace lwb::workbench {
namespace {

Result<CompareSide> sideFromTrace(const std::filesystem::path& path, std::int64_t traceId, CompareSide side)
{
    LWB_ASSIGN_OR_RETURN(auto db, study_file::open(path, sql::OpenMode::ReadOnly));
    LWB_ASSIGN_OR_RETURN(auto store, profiler::TraceStore::open(db));
    LWB_ASSIGN_OR_RETURN(auto summary, store.summary(traceId));
    LWB_ASSIGN_OR_RETURN(auto trace, store.load(traceId));
    side.opMillisPerStep = opMillisPerStep(trace);
    side.trace = std::move(summary);
    return side;
}

Result<CompareSide> sideFromStudy(const std::filesystem::path& path, std::optional<int> trialNumber)
{
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(path, tuner::StorageAccess::ReadOnly));
    LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
    if (names.size() != 1)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("{} holds {} studies; compare needs a file with one study", path.string(), names.size()),
            LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(storage, names.front()));
    tuner::Trial trial;
    if (trialNumber) {
        LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
        auto it = std::find_if(trials.begin(), trials.end(), [&](const auto& t) { return t.number == *trialNumber; });
        if (it == trials.end())
            return fail(ErrorCode::NotFound, fmt::format("{} has no trial {}", path.string(), *trialNumber), LWB_WHERE);
        trial = *it;
    } else {
        LWB_ASSIGN_OR_RETURN(trial, study.best());
    }
    CompareSide side;
    side.label = fmt::format("{} trial {}", path.filename().string(), trial.number);
    auto config = trial.attrs.find("config");
    side.config = config != trial.attrs.end() ? config->second : tuner::paramsToJson(trial.params);
    if (auto m = trial.attrs.find("measurement"); m != trial.attrs.end() && m->second.is_object()) {
        const Json& measured = m->second;
        if (auto it = measured.find("samples"); it != measured.end() && it->is_object())
            for (const auto& [name, samples] : it->items())
                side.samples[name] = samples.get<std::vector<double>>();
        if (auto it = measured.find("summary"); it != measured.end() && it->is_object())
            for (const auto& [name, v] : it->items())
                if (v.is_number())
                    side.values[name] = v.get<double>();
    }
    for (const auto& [name, samples] : side.samples)
        side.values[name] = summarize(samples).median;
    if (trial.state != tuner::TrialState::Complete)
        side.label += " (" + std::string(tuner::trialStateName(trial.state)) + ")";
    if (auto t = trial.attrs.find("trace_id"); t != trial.attrs.end() && t->second.is_number_integer())
        return sideFromTrace(path, t->second.get<std::int64_t>(), std::move(side));
    return side;
}

} // namespace

Result<CompareSide> loadCompareSide(const std::string& reference)
{
    auto hash = reference.rfind('#');
    auto at = reference.rfind('@');
    std::string path = reference.substr(0, std::min(hash, at));
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file: " + path, LWB_WHERE);
    if (path.size() > 5 && path.substr(path.size() - 5) == ".json") {
        LWB_ASSIGN_OR_RETURN(auto profile, TunedProfile::load(path));
        CompareSide side;
        side.label = std::filesystem::path(path).filename().string();
        side.config = profile.best.config;
        side.samples = profile.best.samples;
        side.values = profile.best.values;
        side.opMillisPerStep = profile.best.opMillisPerStep;
        return side;
    }
    try {
        if (at != std::string::npos && (hash == std::string::npos || at > hash)) {
            CompareSide side;
            std::int64_t id = std::stoll(reference.substr(at + 1));
            side.label = fmt::format("{} trace {}", std::filesystem::path(path).filename().string(), id);
            return sideFromTrace(path, id, std::move(side));
        }
        if (hash != std::string::npos)
            return sideFromStudy(path, std::stoi(reference.substr(hash + 1)));
    } catch (const std::exception&) {
        return fail(ErrorCode::InvalidArgument,
            "'" + reference + "' is not a reference: use FILE.lwb, FILE.lwb#TRIAL, FILE.lwb@TRACE or PROFILE.json",
            LWB_WHERE);
    }
    return sideFromStudy(path, std::nullopt);
}

Comparison compareSides(CompareSide a, CompareSide b)
{
    Comparison c;
    std::set<std::string> knobs;
    for (const auto& [k, v] : a.config.items())
        knobs.insert(k);
    for (const auto& [k, v] : b.config.items())
        knobs.insert(k);
    for (const auto& k : knobs) {
        std::string va = a.config.contains(k) ? a.config[k].dump() : "";
        std::string vb = b.config.contains(k) ? b.config[k].dump() : "";
        if (va != vb)
            c.configDiff.push_back({k, va, vb});
    }
    std::set<std::string> metrics;
    for (const auto& [m, v] : a.samples)
        if (b.samples.count(m))
            metrics.insert(m);
    for (const auto& m : metrics) {
        bool lowerIsBetter = m.find("ms") != std::string::npos || m.find("latency") != std::string::npos
            || m.find("time") != std::string::npos || m.find("loss") != std::string::npos
            || m.find("memory") != std::string::npos;
        c.metrics.push_back(compareMetric(m, lowerIsBetter ? engine::Direction::Minimize : engine::Direction::Maximize,
            0.03, a.samples.at(m), b.samples.at(m)));
    }
    if (a.trace && b.trace) {
        if (auto t = profiler::compareSummaries(*a.trace, *b.trace))
            c.traces = std::move(*t);
    }
    if (!c.traces && !a.opMillisPerStep.empty() && !b.opMillisPerStep.empty())
        c.opDeltas = rankOpDeltas(a.opMillisPerStep, b.opMillisPerStep);
    c.a = std::move(a);
    c.b = std::move(b);
    return c;
}

Json Comparison::toJson() const
{
    Json diff = Json::array();
    for (const auto& d : configDiff)
        diff.push_back({{"knob", d.knob}, {"a", d.a}, {"b", d.b}});
    Json ms = Json::array();
    for (const auto& m : metrics)
        ms.push_back({{"metric", m.metric}, {"a_median", m.baselineMedian}, {"b_median", m.currentMedian},
            {"change", m.change}, {"p_value", m.pValue}, {"verdict", std::string(verdictName(m.verdict))}});
    Json rows = Json::array();
    if (traces) {
        for (const auto& r : traces->rows)
            rows.push_back({{"name", r.label()}, {"a_ms", r.aNs / 1e6}, {"b_ms", r.bNs / 1e6},
                {"delta_ms", r.deltaNs / 1e6}, {"share", r.shareOfDifference}});
    } else {
        for (const auto& o : opDeltas)
            rows.push_back({{"name", o.op}, {"a_ms", o.baselineMs}, {"b_ms", o.currentMs}, {"delta_ms", o.deltaMs()}});
    }
    Json out {{"a", a.label}, {"b", b.label}, {"config_diff", diff}, {"metrics", ms}, {"explanation", rows}};
    if (traces)
        out["step_ms"] = {
            {"a", traces->measuredA / 1e6}, {"b", traces->measuredB / 1e6}, {"difference", traces->differenceNs / 1e6}};
    return out;
}

std::string Comparison::toText(int maxRows) const
{
    std::string out = fmt::format("A: {}\nB: {}\n", a.label, b.label);
    if (configDiff.empty()) {
        out += "\nsame configuration\n";
    } else {
        out += "\nconfiguration          A                B\n";
        for (const auto& d : configDiff)
            out += fmt::format("  {:<20} {:<16} {}\n", d.knob, d.a.empty() ? "-" : d.a, d.b.empty() ? "-" : d.b);
    }
    if (!metrics.empty()) {
        out += "\nmetric                 A median     B median     change    p        verdict\n";
        for (const auto& m : metrics)
            out += fmt::format("  {:<20} {:<12.5g} {:<12.5g} {:+7.1f}%  {:<8.3g} {}\n", m.metric, m.baselineMedian,
                m.currentMedian, 100 * m.change, m.pValue, verdictName(m.verdict));
    }
    if (traces) {
        out += fmt::format("\nstep time: A {:.3f} ms, B {:.3f} ms, difference {:+.3f} ms; ranked by contribution:\n",
            traces->measuredA / 1e6, traces->measuredB / 1e6, traces->differenceNs / 1e6);
        int shown = 0;
        for (const auto& r : traces->rows) {
            if (shown++ >= maxRows)
                break;
            out += fmt::format("  {:<40} {:>9.3f} {:>9.3f} {:>+9.3f} ms  {:>6.1f}%\n", r.label(), r.aNs / 1e6,
                r.bNs / 1e6, r.deltaNs / 1e6, 100 * r.shareOfDifference);
        }
    } else if (!opDeltas.empty()) {
        out += "\nper-op time per step (ms), ranked by change:\n";
        int shown = 0;
        for (const auto& o : opDeltas) {
            if (shown++ >= maxRows)
                break;
            out += fmt::format("  {:<40} {:>9.3f} {:>9.3f} {:>+9.3f}\n", o.op, o.baselineMs, o.currentMs, o.deltaMs());
        }
    } else {
        out += "\nno traces on both sides: capture them (capture: {policy: all} or lwb profile) to explain the "
               "difference\n";
    }
    return out;
}

} // namespace lwb::workbench
