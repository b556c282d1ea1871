// Study files, traces and comparisons as GUI snapshots (see study_loader.h).
#include "lwb/ui/study_loader.h"

#include "lwb/core/study_file.h"
#include "lwb/engine/workload.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/compare.h"

#include <fmt/core.h>

namespace lwb::ui {
namespace {

ParamKind kindOf(engine::KnobType t)
{
    switch (t) {
    case engine::KnobType::Int:
        return ParamKind::Int;
    case engine::KnobType::Float:
        return ParamKind::Float;
    case engine::KnobType::Categorical:
        return ParamKind::Categorical;
    case engine::KnobType::Bool:
        return ParamKind::Bool;
    }
    return ParamKind::Int;
}

ParamScale scaleOf(engine::KnobScale s)
{
    return s == engine::KnobScale::Log       ? ParamScale::Log
        : s == engine::KnobScale::PowerOfTwo ? ParamScale::PowerOfTwo
                                             : ParamScale::Linear;
}

Result<std::pair<std::shared_ptr<tuner::SqliteStorage>, std::string>> openStudyFile(
    const std::filesystem::path& path, const std::string& studyName)
{
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(path, tuner::StorageAccess::ReadOnly));
    std::string name = studyName;
    if (name.empty()) {
        LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
        if (names.empty())
            return fail(ErrorCode::NotFound, path.string() + " holds no study yet", LWB_WHERE);
        name = names.front();
    }
    return std::make_pair(storage, name);
}

ItemCategory categoryOf(const profiler::ActivityRecord& r)
{
    using K = profiler::RecordKind;
    switch (r.kind) {
    case K::Kernel:
        return r.device == profiler::kHostDevice ? ItemCategory::CpuOp : ItemCategory::Kernel;
    case K::Memcpy:
        return ItemCategory::Memcpy;
    case K::Memset:
        return ItemCategory::Memset;
    case K::Runtime:
    case K::Driver:
        return ItemCategory::Api;
    case K::Marker:
        return ItemCategory::Marker;
    case K::Sync:
        return ItemCategory::Sync;
    default:
        break;
    }
    if (r.device == profiler::kHostDevice)
        return r.category == OpCategory::Step ? ItemCategory::Marker : ItemCategory::CpuOp;
    return ItemCategory::Other;
}

} // namespace

std::vector<WorkloadInfo> builtinWorkloadInfos()
{
    std::vector<WorkloadInfo> out;
    for (const auto& name : engine::builtinWorkloadNames()) {
        auto workload = engine::makeBuiltinWorkload(name);
        if (!workload)
            continue;
        WorkloadInfo info;
        info.name = name;
        info.description = (*workload)->description();
        for (const auto& k : (*workload)->knobs()) {
            KnobInfo knob;
            knob.name = k.name;
            knob.kind = kindOf(k.type);
            knob.description = k.description;
            knob.unit = k.unit;
            knob.defaultValue = k.defaultValue;
            knob.min = k.min;
            knob.max = k.max;
            knob.scale = scaleOf(k.scale);
            knob.choices = k.choices;
            knob.supportedByBackend = k.supportedByBackend;
            info.knobs.push_back(std::move(knob));
        }
        for (const auto& m : (*workload)->metrics())
            info.metrics.push_back({m.name, m.unit,
                m.better == engine::Direction::Maximize ? Direction::Maximize : Direction::Minimize, m.description});
        out.push_back(std::move(info));
    }
    return out;
}

Result<StudySnapshot> loadStudySnapshot(const std::filesystem::path& path, const std::string& studyName)
{
    LWB_ASSIGN_OR_RETURN(auto opened, openStudyFile(path, studyName));
    auto& [storage, name] = opened;
    LWB_ASSIGN_OR_RETURN(auto record, storage->loadStudy(name));
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(storage, name));
    LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
    StudySnapshot s;
    s.name = name;
    s.path = path.string();
    if (auto w = record.attrs.find("workload"); w != record.attrs.end() && w->second.is_string())
        s.workload = w->second.get<std::string>();
    if (auto spec = record.attrs.find("spec"); spec != record.attrs.end())
        s.budgetTrials = spec->second.value("budget", Json::object()).value("trials", 0);
    std::map<std::string, std::string> units;
    if (auto w = engine::makeBuiltinWorkload(s.workload))
        for (const auto& m : (*w)->metrics())
            units[m.name] = m.unit;
    for (const auto& o : study.options().objectives)
        s.objectives.push_back({o.name, units[o.name],
            o.direction == tuner::Direction::Maximize ? Direction::Maximize : Direction::Minimize});
    for (const auto& p : study.options().space.params()) {
        if (p.fixed)
            continue;
        ParamInfo info;
        info.name = p.name;
        info.low = p.low;
        info.high = p.high;
        switch (p.type) {
        case tuner::ParamType::Int:
            info.kind = ParamKind::Int;
            break;
        case tuner::ParamType::Float:
            info.kind = ParamKind::Float;
            break;
        case tuner::ParamType::Categorical:
            info.kind = ParamKind::Categorical;
            break;
        case tuner::ParamType::Bool:
            info.kind = ParamKind::Bool;
            break;
        }
        info.scale = p.scale == tuner::Scale::Log ? ParamScale::Log
            : p.scale == tuner::Scale::Pow2       ? ParamScale::PowerOfTwo
                                                  : ParamScale::Linear;
        for (const auto& c : p.choices)
            info.choices.push_back(tuner::formatParamValue(c));
        if (info.kind == ParamKind::Bool && info.choices.empty())
            info.choices = {"false", "true"};
        s.params.push_back(std::move(info));
    }
    std::int64_t revision = 0;
    for (const auto& t : trials) {
        if (t.state == tuner::TrialState::Waiting || t.origin == tuner::TrialOrigin::WarmStart)
            continue;
        TrialSnapshot ts;
        ts.number = t.number;
        ts.state = t.state == tuner::TrialState::Complete ? TrialState::Complete
            : t.state == tuner::TrialState::Failed        ? TrialState::Failed
            : t.state == tuner::TrialState::Pruned        ? TrialState::Pruned
                                                          : TrialState::Running;
        for (const auto& [k, v] : t.params)
            ts.params[k] = v;
        for (std::size_t i = 0; i < s.objectives.size(); ++i)
            ts.values.push_back(i < t.values.size() ? std::optional<double>(t.values[i]) : std::nullopt);
        if (auto m = t.attrs.find("measurement"); m != t.attrs.end() && m->second.is_object()) {
            const Json& measured = m->second;
            if (auto d = measured.find("distributions"); d != measured.end() && d->is_object())
                for (const auto& [metric, dist] : d->items())
                    ts.metrics[metric] = dist.value("median", 0.0);
            if (auto sum = measured.find("summary"); sum != measured.end() && sum->is_object())
                for (const auto& [metric, v] : sum->items())
                    if (v.is_number())
                        ts.metrics.emplace(metric, v.get<double>());
            ts.metrics["noise"] = measured.value("noise", 0.0);
        }
        ts.failureReason = t.failReason;
        for (const auto& [step, v] : t.intermediate)
            ts.intermediate.push_back({step, v});
        if (t.finishedNs > t.startedNs && t.startedNs > 0)
            ts.durationSeconds = static_cast<double>(t.finishedNs - t.startedNs) * 1e-9;
        auto trace = t.attrs.find("trace_id");
        ts.hasTrace = trace != t.attrs.end() && trace->second.is_number_integer();
        revision += 1 + (t.isFinished() ? 1000 : 0) + (ts.hasTrace ? 1'000'000 : 0)
            + static_cast<std::int64_t>(t.intermediate.size());
        s.trials.push_back(std::move(ts));
    }
    s.revision = revision;
    return s;
}

Result<InsightsSnapshot> loadInsights(const std::filesystem::path& path, const std::string& studyName, int objective)
{
    LWB_ASSIGN_OR_RETURN(auto opened, openStudyFile(path, studyName));
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(opened.first, opened.second));
    InsightsSnapshot insights;
    insights.objective = objective;
    LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
    for (const auto& t : trials)
        insights.fittedOnTrials += t.state == tuner::TrialState::Complete;
    LWB_ASSIGN_OR_RETURN(auto importance, study.importance(objective));
    for (const auto& i : importance)
        insights.importance.push_back({i.param, i.importance});
    std::sort(insights.importance.begin(), insights.importance.end(),
        [](const auto& a, const auto& b) { return a.weight > b.weight; });
    for (const auto& p : study.options().space.params()) {
        if (p.fixed)
            continue;
        auto slice = study.predictSlice(p.name, {}, 40, objective);
        if (!slice)
            continue;
        SliceSnapshot s;
        s.param = p.name;
        s.x = slice->x;
        s.mean = slice->mean;
        s.stddev = slice->stddev;
        insights.slices.push_back(std::move(s));
    }
    return insights;
}

std::shared_ptr<const TimelineSource> timelineFromTrace(const profiler::Trace& trace)
{
    InMemoryTimelineBuilder builder;
    std::map<profiler::TrackKey, int> tracks;
    std::vector<std::uint32_t> nameIds(trace.strings.size(), TimelineSource::kNoName);
    auto trackOf = [&](const profiler::ActivityRecord& r) {
        profiler::TrackKey key {r.device, r.stream};
        auto it = tracks.find(key);
        if (it != tracks.end())
            return it->second;
        auto named = trace.trackNames.find(key);
        std::string name = named != trace.trackNames.end() ? named->second : profiler::defaultTrackName(key);
        std::string device = r.device == profiler::kHostDevice ? "CPU" : fmt::format("GPU {}", r.device);
        int index = builder.addTrack(name, device);
        tracks.emplace(key, index);
        return index;
    };
    for (const auto& r : trace.records) {
        if (r.start == 0 && r.end == 0)
            continue; // no timestamp (counted by the capture, not drawable)
        TimelineItem item;
        item.startNs = r.start;
        item.endNs = std::max(r.end, r.start);
        if (r.name < nameIds.size() && nameIds[r.name] == TimelineSource::kNoName)
            nameIds[r.name] = builder.intern(trace.strings[r.name]);
        item.nameId = r.name < nameIds.size() ? nameIds[r.name] : 0;
        item.correlation = r.correlationId;
        if (r.gridX > 0)
            item.detailId = builder.intern(
                fmt::format("grid {}x{}x{} block {}x{}x{}", r.gridX, r.gridY, r.gridZ, r.blockX, r.blockY, r.blockZ));
        item.category = categoryOf(r);
        builder.addItem(trackOf(r), item);
    }
    return builder.finish();
}

Result<TimelineSnapshot> loadTrialTimeline(
    const std::filesystem::path& path, int trialNumber, const std::atomic<bool>* cancelled)
{
    LWB_ASSIGN_OR_RETURN(auto opened, openStudyFile(path, {}));
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(opened.first, opened.second));
    LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
    auto it = std::find_if(trials.begin(), trials.end(), [&](const auto& t) { return t.number == trialNumber; });
    if (it == trials.end())
        return fail(ErrorCode::NotFound, fmt::format("the study has no trial {}", trialNumber), LWB_WHERE);
    auto traceId = it->attrs.find("trace_id");
    if (traceId == it->attrs.end() || !traceId->second.is_number_integer())
        return fail(ErrorCode::NotFound,
            fmt::format("trial {} has no captured timeline (capture policy 'all', or 'best' keeps the best trials)",
                trialNumber),
            LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto db, study_file::open(path, sql::OpenMode::ReadOnly));
    LWB_ASSIGN_OR_RETURN(auto store, profiler::TraceStore::open(db));
    LWB_ASSIGN_OR_RETURN(auto trace, store.load(traceId->second.get<std::int64_t>()));
    if (cancelled && cancelled->load())
        return fail(ErrorCode::Cancelled, "cancelled", LWB_WHERE);
    TimelineSnapshot snap;
    snap.trial = trialNumber;
    snap.label = fmt::format("trial {} ({})", trialNumber, tuner::formatParams(it->params));
    snap.source = timelineFromTrace(trace);
    snap.kernels = std::make_shared<const KernelSummary>(summarizeKernels(*snap.source));
    snap.droppedRecords = trace.stats.droppedRecords;
    if (auto notes = it->attrs.find("capture_notes"); notes != it->attrs.end() && notes->second.is_array())
        for (const auto& note : notes->second)
            if (note.is_string())
                snap.captureNotes.push_back(note.get<std::string>());
    return snap;
}

Result<CompareSnapshot> loadComparison(const std::filesystem::path& path, int trialA, int trialB)
{
    LWB_ASSIGN_OR_RETURN(auto a, workbench::loadCompareSide(fmt::format("{}#{}", path.string(), trialA)));
    LWB_ASSIGN_OR_RETURN(auto b, workbench::loadCompareSide(fmt::format("{}#{}", path.string(), trialB)));
    workbench::Comparison c = workbench::compareSides(std::move(a), std::move(b));
    CompareSnapshot s;
    s.trialA = trialA;
    s.trialB = trialB;
    s.labelA = c.a.label;
    s.labelB = c.b.label;
    auto toConfig = [](const Json& config) {
        std::map<std::string, ParamValue> out;
        for (const auto& [k, v] : config.items()) {
            if (v.is_boolean())
                out[k] = v.get<bool>();
            else if (v.is_number_integer())
                out[k] = v.get<std::int64_t>();
            else if (v.is_number())
                out[k] = v.get<double>();
            else if (v.is_string())
                out[k] = v.get<std::string>();
        }
        return out;
    };
    s.configA = toConfig(c.a.config);
    s.configB = toConfig(c.b.config);
    for (const auto& m : c.metrics) {
        MetricComparison mc;
        mc.metric = m.metric;
        mc.direction = m.direction == engine::Direction::Maximize ? Direction::Maximize : Direction::Minimize;
        mc.samplesA = c.a.samples.count(m.metric) ? c.a.samples.at(m.metric) : std::vector<double> {};
        mc.samplesB = c.b.samples.count(m.metric) ? c.b.samples.at(m.metric) : std::vector<double> {};
        mc.verdict = std::string(workbench::verdictName(m.verdict));
        s.metrics.push_back(std::move(mc));
    }
    if (c.traces) {
        s.stepNsA = c.traces->measuredA;
        s.stepNsB = c.traces->measuredB;
        double listed = 0;
        for (const auto& r : c.traces->rows) {
            s.deltas.push_back({r.label(), r.idle ? "idle" : "op", r.aNs, r.bNs});
            listed += r.deltaNs;
        }
        s.otherNs = (s.stepNsB - s.stepNsA) - listed;
    } else {
        for (const auto& d : c.opDeltas)
            s.deltas.push_back({d.op, "op", d.baselineMs * 1e6, d.currentMs * 1e6});
    }
    return s;
}

} // namespace lwb::ui
