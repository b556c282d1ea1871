// Tuned profiles from study files, and the CI gate's re-measurement (see profiles.h).
#include "lwb/workbench/profiles.h"

#include "lwb/core/study_file.h"
#include "lwb/core/version.h"
#include "lwb/engine/backend_status.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/trial_runner.h"

#include <ctime>
#include <fmt/core.h>

namespace lwb::workbench {
namespace {

std::string isoNow()
{
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

ProfileEntry entryFromTrial(const tuner::Trial& t, const StudySpec& spec, profiler::TraceStore* traces)
{
    ProfileEntry e;
    e.trialNumber = t.number;
    auto config = t.attrs.find("config");
    e.config = config != t.attrs.end() ? config->second : tuner::paramsToJson(t.params);
    if (auto m = t.attrs.find("measurement"); m != t.attrs.end() && m->second.is_object()) {
        const Json& measured = m->second;
        if (auto it = measured.find("samples"); it != measured.end() && it->is_object())
            for (const auto& [name, samples] : it->items())
                e.samples[name] = samples.get<std::vector<double>>();
        if (auto it = measured.find("distributions"); it != measured.end() && it->is_object())
            for (const auto& [name, d] : it->items())
                e.values[name] = d.value("median", 0.0);
        if (auto it = measured.find("summary"); it != measured.end() && it->is_object())
            for (const auto& [name, v] : it->items())
                if (v.is_number())
                    e.values.emplace(name, v.get<double>());
    }
    for (std::size_t i = 0; i < spec.objectives.size() && i < t.values.size(); ++i)
        e.values[spec.objectives[i].metric] = t.values[i];
    for (const auto& [metric, v] : t.constraintValues)
        e.values[metric] = v;
    if (auto trace = t.attrs.find("trace_id"); traces && trace != t.attrs.end() && trace->second.is_number_integer()) {
        if (auto loaded = traces->load(trace->second.get<std::int64_t>()))
            e.opMillisPerStep = opMillisPerStep(*loaded);
    }
    return e;
}

} // namespace

std::map<std::string, double> opMillisPerStep(const profiler::Trace& trace)
{
    profiler::TraceSummary summary = profiler::summarize(trace);
    double steps = std::max<double>(1.0, static_cast<double>(summary.steps.size()));
    std::map<std::string, double> out;
    for (const auto& a : summary.attribution)
        out[a.idle ? "idle before " + a.name : a.name] += a.wallNs / steps / 1e6;
    return out;
}

Result<TunedProfile> buildProfile(const std::filesystem::path& studyFile, const std::string& studyName)
{
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(studyFile, tuner::StorageAccess::ReadOnly));
    LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
    std::string name = studyName;
    if (name.empty()) {
        if (names.size() != 1)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{} holds {} studies: name one with --study", studyFile.string(), names.size()), LWB_WHERE);
        name = names.front();
    }
    LWB_ASSIGN_OR_RETURN(auto record, storage->loadStudy(name));
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(storage, name));
    auto specJson = record.attrs.find("spec");
    if (specJson == record.attrs.end())
        return fail(ErrorCode::InvalidArgument, "study '" + name + "' was not written by `lwb tune` (no spec stored)",
            LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(StudySpec spec, parseSpec(specJson->second.dump(), studyFile.string() + "#spec"));

    std::optional<sql::Database> traceDb;
    std::optional<profiler::TraceStore> traces;
    if (auto db = study_file::open(studyFile, sql::OpenMode::ReadOnly)) {
        traceDb.emplace(std::move(*db));
        if (auto store = profiler::TraceStore::open(*traceDb))
            traces.emplace(std::move(*store));
    }

    TunedProfile profile;
    profile.studyName = name;
    profile.workload = spec.workload;
    profile.spec = specJson->second;
    for (const auto& o : spec.objectives)
        profile.objectives.push_back(o.toString());
    if (spec.objectives.size() == 1) {
        auto best = study.best();
        if (!best)
            return fail(ErrorCode::NotFound,
                fmt::format("study '{}' has no completed trial that meets its constraints", name), LWB_WHERE);
        profile.best = entryFromTrial(*best, spec, traces ? &*traces : nullptr);
    } else {
        LWB_ASSIGN_OR_RETURN(auto front, study.paretoFront());
        if (front.empty())
            return fail(ErrorCode::NotFound,
                fmt::format("study '{}' has no completed trial that meets its constraints", name), LWB_WHERE);
        for (const auto& t : front)
            profile.pareto.push_back(entryFromTrial(t, spec, traces ? &*traces : nullptr));
        profile.best = profile.pareto.front();
    }
    if (auto fp = record.attrs.find("fingerprint"); fp != record.attrs.end()) {
        LWB_ASSIGN_OR_RETURN(profile.fingerprint, HardwareFingerprint::fromJson(fp->second));
    } else {
        profile.fingerprint = collectFingerprint();
    }
    LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
    profile.provenance = {{"workbench_version", std::string(workbenchVersion())}, {"created_at", isoNow()},
        {"study_file", std::filesystem::absolute(studyFile).string()}, {"study", name}, {"trials", trials.size()},
        {"best_trial", profile.best.trialNumber}};
    return profile;
}

Result<StudySpec> profileSpec(const TunedProfile& profile)
{
    auto spec = parseSpec(profile.spec.dump(), "profile spec");
    if (!spec)
        return fail(ErrorCode::InvalidArgument, "the profile's spec is invalid: " + spec.error().message, LWB_WHERE);
    return spec;
}

Result<GateReport> runCheck(const TunedProfile& profile, const std::string& profilePath, const CheckOptions& options)
{
    auto say = [&](const std::string& text) {
        if (options.onMessage)
            options.onMessage(text);
    };
    LWB_ASSIGN_OR_RETURN(StudySpec spec, profileSpec(profile));
    LWB_ASSIGN_OR_RETURN(auto workload, makeWorkload(spec));
    LWB_ASSIGN_OR_RETURN(engine::Config stored, engine::configFromJson(profile.best.config, workload->knobs()));
    LWB_ASSIGN_OR_RETURN(engine::Config overridden, applyKnobText(stored, options.settings, *workload));
    LWB_ASSIGN_OR_RETURN(engine::Config config, workload->resolve(overridden));

    GateReport report;
    report.profilePath = profilePath;
    report.config = engine::configToJson(config);
    engine::registerEngineLibraryVersions();
    report.environmentDifferences = collectFingerprint().differencesFrom(profile.fingerprint);
    report.environmentMismatchAllowed = options.allowEnvironmentMismatch;
    if (!report.environmentDifferences.empty() && !options.allowEnvironmentMismatch) {
        say("environment differs from the profile's; pass --allow-env-mismatch to measure anyway");
        return report;
    }

    std::vector<FailRule> rules = options.failOn;
    if (rules.empty())
        for (const auto& o : spec.objectives)
            rules.push_back({o.metric, 0.05});

    TrialRunOptions run;
    run.rules = spec.measurement;
    std::size_t baselineSamples = 0;
    for (const auto& r : rules)
        if (auto it = profile.best.samples.find(r.metric); it != profile.best.samples.end())
            baselineSamples = std::max(baselineSamples, it->second.size());
    int samples = options.samples.value_or(static_cast<int>(std::clamp<std::size_t>(baselineSamples, 5, 20)));
    run.rules.minSamples = run.rules.maxSamples = samples;
    run.rules.maxTimeSeconds = std::max(run.rules.maxTimeSeconds, 600.0);
    run.rules.mode = MeasurementMode::Throughput;
    run.primaryMetric = rules.front().metric;
    run.capture = profiler::CaptureSchedule::window(spec.capture.skipSteps, spec.capture.captureSteps);
    run.cancelled = options.cancelled;
    say(fmt::format("measuring {} windows of {} ...", samples, workload->name()));
    TrialOutcome outcome = runTrial(*workload, config, run);
    for (const auto& note : outcome.captureNotes)
        say(note);
    if (outcome.error) {
        if (outcome.error->code == ErrorCode::Cancelled)
            return fail(*outcome.error);
        for (const auto& r : rules) {
            MetricComparison c;
            c.metric = r.metric;
            c.threshold = r.threshold;
            c.verdict = Verdict::Slower;
            c.reason = "the configuration failed here: " + outcome.error->message;
            report.metrics.push_back(c);
        }
        return report;
    }
    const Measurement& m = *outcome.measurement;
    for (const auto& r : rules) {
        engine::Direction direction = engine::Direction::Maximize;
        bool known = false;
        for (const auto& o : spec.objectives)
            if (o.metric == r.metric) {
                direction = o.direction;
                known = true;
            }
        if (!known)
            for (const auto& ms : workload->metrics())
                if (ms.name == r.metric) {
                    direction = ms.better;
                    known = true;
                }
        std::vector<double> baseline, current;
        if (auto it = profile.best.samples.find(r.metric); it != profile.best.samples.end())
            baseline = it->second;
        else if (auto v = profile.best.values.find(r.metric); v != profile.best.values.end())
            baseline = {v->second};
        if (auto it = m.samples.find(r.metric); it != m.samples.end())
            current = it->second;
        else if (auto v = m.value(r.metric))
            current = {*v};
        report.metrics.push_back(compareMetric(r.metric, direction, r.threshold, baseline, current, options.gate));
    }
    bool regressed = std::any_of(report.metrics.begin(), report.metrics.end(),
        [](const MetricComparison& c) { return c.verdict == Verdict::Slower; });
    if (outcome.trace && regressed && !profile.best.opMillisPerStep.empty())
        report.explanation = rankOpDeltas(profile.best.opMillisPerStep, opMillisPerStep(*outcome.trace));
    return report;
}

} // namespace lwb::workbench
