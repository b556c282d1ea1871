// The study loop behind `lwb tune` and the GUI's Run button (see tuning.h).
#include "lwb/workbench/tuning.h"

#include "lwb/core/clock.h"
#include "lwb/core/hardware.h"
#include "lwb/core/study_file.h"
#include "lwb/engine/backend_status.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/trial_runner.h"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <mutex>
#include <set>
#include <thread>

namespace lwb::workbench {
namespace {

std::string describeValues(const StudySpec& spec, const Measurement& m)
{
    std::string out;
    for (const auto& o : spec.objectives) {
        auto v = m.value(o.metric);
        out += fmt::format("{}{}={}", out.empty() ? "" : " ", o.metric, v ? fmt::format("{:.4g}", *v) : "?");
    }
    if (!m.stable && m.measuredWindows > 0)
        out += fmt::format(" (noisy: {:.1f}% rsd)", 100 * m.noise);
    return out;
}

/// Shared state of the workers of one run.
struct RunState {
    const StudySpec& spec;
    const TuneOptions& options;
    tuner::Study& study;
    engine::Config settings;
    std::optional<profiler::TraceStore> traces;
    std::mutex mutex; ///< guards the counters, events and the trace store
    int finishedThisRun = 0;
    int finishedBefore = 0;
    int sinceImprovement = 0;
    std::optional<double> bestValue;
    Stopwatch clock;
    std::string stopReason;
    std::optional<Error> fatal;

    int interruptLevel() const { return options.interrupt ? options.interrupt->load() : 0; }

    void emit(TuneEvent e)
    {
        if (!options.onEvent)
            return;
        e.finishedTrials = finishedBefore + finishedThisRun;
        e.plannedTrials = spec.trials;
        e.elapsedSeconds = clock.elapsedSeconds();
        if (finishedThisRun > 0) {
            double per = e.elapsedSeconds / finishedThisRun;
            e.etaSeconds = per * std::max(0, spec.trials - e.finishedTrials) / spec.workers;
        }
        options.onEvent(e);
    }

    /// Decides (under the mutex) whether another trial may start.
    bool mayStart(int running)
    {
        if (interruptLevel() > 0) {
            stopReason = "interrupted";
            return false;
        }
        if (fatal)
            return false;
        if (finishedBefore + finishedThisRun + running >= spec.trials) {
            stopReason = fmt::format("trial budget of {} reached", spec.trials);
            return false;
        }
        if (spec.timeBudgetSeconds > 0 && clock.elapsedSeconds() >= spec.timeBudgetSeconds) {
            stopReason = fmt::format("time budget of {:.0f} s reached", spec.timeBudgetSeconds);
            return false;
        }
        if (spec.patience > 0 && sinceImprovement >= spec.patience) {
            stopReason = fmt::format("no improvement in {} trials", spec.patience);
            return false;
        }
        return true;
    }
};

void noteResult(RunState& state, std::optional<double> value)
{
    ++state.finishedThisRun;
    if (!value) {
        ++state.sinceImprovement;
        return;
    }
    bool maximize = state.spec.objectives[0].direction == engine::Direction::Maximize;
    if (!state.bestValue || (maximize ? *value > *state.bestValue : *value < *state.bestValue)) {
        state.bestValue = value;
        state.sinceImprovement = 0;
    } else {
        ++state.sinceImprovement;
    }
}

void workerLoop(RunState& state, int& running)
{
    auto workload = makeWorkload(state.spec);
    if (!workload) {
        std::lock_guard lock(state.mutex);
        state.fatal = workload.error();
        return;
    }
    while (true) {
        while (state.options.paused && state.options.paused->load() && state.interruptLevel() == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        {
            std::lock_guard lock(state.mutex);
            if (!state.mayStart(running))
                return;
            ++running;
        }
        auto finishRunning = [&] {
            std::lock_guard lock(state.mutex);
            --running;
        };
        auto asked = state.study.ask();
        if (!asked) {
            std::lock_guard lock(state.mutex);
            // NotFound: the sampler has nothing left to propose (a finished grid, a discrete space
            // whose every configuration was tried); the study is done, not broken.
            if (asked.error().code == ErrorCode::NotFound)
                state.stopReason = asked.error().message;
            else
                state.fatal = asked.error();
            --running;
            return;
        }
        tuner::Trial trial = std::move(*asked);
        auto config = trialConfig(**workload, state.settings, trial.params);
        if (!config) {
            (void)state.study.tellFailed(trial.id, config.error().message);
            std::lock_guard lock(state.mutex);
            noteResult(state, std::nullopt);
            --running;
            continue;
        }
        (void)state.study.setTrialAttr(trial.id, "config", engine::configToJson(*config));
        std::string configText = tuner::formatParams(trial.params);
        {
            std::lock_guard lock(state.mutex);
            TuneEvent e;
            e.kind = TuneEventKind::TrialStarted;
            e.trialNumber = trial.number;
            e.config = configText;
            state.emit(e);
        }

        TrialRunOptions run;
        run.rules = state.spec.measurement;
        run.primaryMetric = state.spec.objectives[0].metric;
        if (state.spec.capture.policy != CapturePolicy::None)
            run.capture
                = profiler::CaptureSchedule::window(state.spec.capture.skipSteps, state.spec.capture.captureSteps);
        run.cancelled = [&state] { return state.interruptLevel() >= 2; };
        std::int64_t trialId = trial.id;
        run.onIntermediate = [&state, trialId](std::int64_t step, double value) {
            auto prune = state.study.reportIntermediate(trialId, step, value);
            return prune && *prune;
        };
        run.traceTag = static_cast<std::uint64_t>(trial.id); // the trace meta's trialId too
        TrialOutcome outcome = runTrial(**workload, *config, run);
        if (!outcome.captureNotes.empty())
            (void)state.study.setTrialAttr(trial.id, "capture_notes", Json(outcome.captureNotes));

        std::string stateName, resultText;
        std::optional<double> firstValue;
        if (outcome.error && outcome.error->code == ErrorCode::Cancelled && state.interruptLevel() >= 2) {
            // Abandoned by the user: keep it as FAILED and queue the same configuration again.
            (void)state.study.tellFailed(trial.id, "interrupted by the user (re-queued)");
            (void)state.study.enqueue(trial.params);
            finishRunning();
            return;
        }
        if (outcome.error) {
            stateName = "FAILED";
            resultText = outcome.error->message;
            (void)state.study.setTrialAttr(trial.id, "error_code", std::string(errorCodeName(outcome.error->code)));
            (void)state.study.tellFailed(trial.id, outcome.error->message);
        } else if (outcome.pruned()) {
            stateName = "PRUNED";
            resultText = "pruned by the " + state.spec.pruner + " pruner";
            (void)state.study.setTrialAttr(trial.id, "measurement", outcome.measurement->toJson());
            (void)state.study.tellPruned(trial.id);
        } else {
            const Measurement& m = *outcome.measurement;
            (void)state.study.setTrialAttr(trial.id, "measurement", m.toJson());
            std::vector<double> values;
            std::string missing;
            for (const auto& o : state.spec.objectives) {
                auto v = m.value(o.metric);
                if (!v)
                    missing = o.metric;
                values.push_back(v.value_or(std::nan("")));
            }
            std::map<std::string, double> constraintValues;
            for (const auto& c : state.spec.outcomeConstraints) {
                if (auto v = m.value(c.metric))
                    constraintValues[c.metric] = *v;
                else
                    missing = c.metric;
            }
            if (!missing.empty()) {
                stateName = "FAILED";
                resultText = "the workload reported no '" + missing + "'";
                (void)state.study.tellFailed(trial.id, resultText);
            } else {
                stateName = "COMPLETE";
                resultText = describeValues(state.spec, m);
                bool feasible = true;
                for (const auto& c : state.spec.outcomeConstraints)
                    feasible &= c.satisfiedBy(constraintValues[c.metric]);
                if (!feasible)
                    resultText += " (violates a constraint)";
                else
                    firstValue = values[0];
                (void)state.study.tell(trial.id, values, constraintValues);
            }
        }

        std::lock_guard lock(state.mutex);
        if (outcome.trace && state.traces) {
            profiler::TraceMeta meta;
            meta.label = fmt::format("trial {} ({})", trial.number, configText);
            meta.trialId = trial.id;
            meta.notes = engine::configToJson(*config).dump();
            if (auto traceId = state.traces->write(*outcome.trace, meta))
                (void)state.study.setTrialAttr(trial.id, "trace_id", *traceId);
        }
        noteResult(state, firstValue);
        --running;
        TuneEvent e;
        e.kind = TuneEventKind::TrialFinished;
        e.trialNumber = trial.number;
        e.config = configText;
        e.state = stateName;
        e.result = resultText;
        e.bestValue = state.bestValue;
        state.emit(e);
    }
}

/// Keeps the traces of the best k feasible trials (capture policy "best").
void pruneTraces(RunState& state, const std::vector<tuner::Trial>& trials)
{
    if (!state.traces || state.spec.capture.policy != CapturePolicy::Best)
        return;
    std::vector<const tuner::Trial*> ranked;
    for (const auto& t : trials)
        if (t.state == tuner::TrialState::Complete && !t.values.empty() && t.attrs.count("trace_id"))
            ranked.push_back(&t);
    bool maximize = state.spec.objectives[0].direction == engine::Direction::Maximize;
    std::sort(ranked.begin(), ranked.end(), [&](const tuner::Trial* a, const tuner::Trial* b) {
        return maximize ? a->values[0] > b->values[0] : a->values[0] < b->values[0];
    });
    std::set<std::int64_t> keep;
    for (std::size_t i = 0; i < ranked.size() && static_cast<int>(i) < state.spec.capture.bestK; ++i)
        keep.insert(ranked[i]->attrs.at("trace_id").get<std::int64_t>());
    for (const auto& t : trials) {
        auto it = t.attrs.find("trace_id");
        if (it == t.attrs.end() || !it->second.is_number_integer())
            continue;
        std::int64_t id = it->second.get<std::int64_t>();
        if (!keep.count(id)) {
            (void)state.traces->remove(id);
            (void)state.study.setTrialAttr(t.id, "trace_id", nullptr);
        }
    }
}

} // namespace

Result<TuneSummary> runStudy(const StudySpec& spec, const TuneOptions& options)
{
    LWB_ASSIGN_OR_RETURN(auto workload, makeWorkload(spec));
    LWB_RETURN_IF_ERROR(checkMetrics(spec, *workload));
    LWB_ASSIGN_OR_RETURN(engine::Config settings, fixedSettings(spec, *workload));
    LWB_ASSIGN_OR_RETURN(tuner::SearchSpace space, buildSearchSpace(spec, *workload));

    tuner::StudyOptions studyOptions;
    studyOptions.name = spec.name;
    studyOptions.space = space;
    studyOptions.objectives = tunerObjectives(spec);
    studyOptions.constraints = tunerConstraints(spec);
    studyOptions.sampler.name = spec.sampler;
    studyOptions.pruner.name = spec.pruner;
    studyOptions.seed = spec.seed;

    if (spec.storage.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(spec.storage.parent_path(), ec);
    }
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(spec.storage));
    LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
    bool exists = std::find(names.begin(), names.end(), spec.name) != names.end();
    if (exists && options.resume == TuneOptions::Resume::No)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("{} already holds a study named '{}': pass --resume to continue it, or choose another "
                        "--name or --storage",
                spec.storage.string(), spec.name),
            LWB_WHERE);

    TuneSummary summary;
    summary.studyName = spec.name;
    summary.storage = spec.storage;
    std::optional<tuner::Study> study;
    if (exists) {
        LWB_ASSIGN_OR_RETURN(auto loaded, tuner::Study::load(storage, spec.name));
        study.emplace(std::move(loaded));
        LWB_ASSIGN_OR_RETURN(int recovered,
            study->recoverInterruptedTrials(
                tuner::RecoveryAction::Requeue, tuner::RecoveryScope::DeadWorkersOnThisHost));
        summary.recoveredTrials = recovered;
    } else {
        LWB_ASSIGN_OR_RETURN(auto created, tuner::Study::create(storage, studyOptions));
        study.emplace(std::move(created));
        engine::registerEngineLibraryVersions();
        LWB_RETURN_IF_ERROR(storage->setStudyAttr(study->id(), "spec", spec.toJson()));
        LWB_RETURN_IF_ERROR(storage->setStudyAttr(study->id(), "fingerprint", collectFingerprint().toJson()));
        LWB_RETURN_IF_ERROR(storage->setStudyAttr(study->id(), "workload", workload->name()));
        // The workload's defaults first (a baseline every tuned result is compared with), then the
        // spec's own enqueued configurations.
        tuner::Params baseline;
        const std::vector<engine::KnobSpec> knobs = workload->knobs();
        for (const auto& p : space.params()) {
            const engine::KnobSpec* knob = engine::findKnob(knobs, p.name);
            if (knob && p.checkValue(knob->defaultValue))
                baseline[p.name] = knob->defaultValue;
        }
        if (space.checkParams(space.withFixedValues(baseline)))
            LWB_RETURN_IF_ERROR(study->enqueue(baseline));
        for (std::size_t i = 0; i < spec.enqueue.size(); ++i) {
            auto params = tuner::paramsFromJson(spec.enqueue[i]);
            if (!params)
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}: {}", spec.where("enqueue"), params.error().message), LWB_WHERE);
            auto queued = study->enqueue(*params);
            if (!queued)
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}: entry {}: {}", spec.where("enqueue"), i + 1, queued.error().message), LWB_WHERE);
        }
        if (!spec.warmStartFrom.empty()) {
            auto source = tuner::SqliteStorage::open(spec.warmStartFrom, tuner::StorageAccess::ReadOnly);
            if (!source)
                return fail(
                    ErrorCode::InvalidArgument, spec.where("warm_start") + ": " + source.error().message, LWB_WHERE);
            LWB_ASSIGN_OR_RETURN(auto sourceNames, (*source)->studyNames());
            std::string sourceName = std::find(sourceNames.begin(), sourceNames.end(), spec.name) != sourceNames.end()
                ? spec.name
                : (sourceNames.empty() ? std::string() : sourceNames.front());
            if (sourceName.empty())
                return fail(
                    ErrorCode::InvalidArgument, spec.where("warm_start") + ": the file holds no study", LWB_WHERE);
            LWB_ASSIGN_OR_RETURN(auto sourceStudy, tuner::Study::load(*source, sourceName));
            LWB_ASSIGN_OR_RETURN(auto sourceTrials, sourceStudy.trials());
            LWB_RETURN_IF_ERROR(study->warmStart(sourceTrials));
        }
    }

    RunState state {spec, options, *study, settings, std::nullopt, {}, 0, 0, 0, std::nullopt, {}, {}, std::nullopt};
    std::optional<sql::Database> traceDb;
    if (spec.capture.policy != CapturePolicy::None) {
        LWB_ASSIGN_OR_RETURN(auto db, study_file::open(spec.storage, sql::OpenMode::ReadWrite));
        traceDb.emplace(std::move(db));
        LWB_ASSIGN_OR_RETURN(auto traces, profiler::TraceStore::open(*traceDb));
        state.traces.emplace(std::move(traces));
    }
    {
        LWB_ASSIGN_OR_RETURN(auto before, study->trials());
        for (const auto& t : before) {
            if (t.origin == tuner::TrialOrigin::WarmStart || !t.isFinished())
                continue;
            if (t.failReason.rfind("interrupted", 0) == 0)
                continue; // re-queued: counted when it runs again
            ++state.finishedBefore;
            if (t.state == tuner::TrialState::Complete && !t.values.empty()) {
                bool maximize = spec.objectives[0].direction == engine::Direction::Maximize;
                if (!state.bestValue || (maximize ? t.values[0] > *state.bestValue : t.values[0] < *state.bestValue))
                    state.bestValue = t.values[0];
            }
        }
    }
    {
        TuneEvent e;
        e.kind = TuneEventKind::StudyStarted;
        e.message = exists
            ? fmt::format("resuming study '{}' in {} ({} trials done{})", spec.name, spec.storage.string(),
                state.finishedBefore,
                summary.recoveredTrials ? fmt::format(", {} interrupted trial(s) re-queued", summary.recoveredTrials)
                                        : "")
            : fmt::format("study '{}' in {}", spec.name, spec.storage.string());
        state.emit(e);
    }

    int running = 0;
    std::vector<std::thread> workers;
    for (int w = 1; w < spec.workers; ++w)
        workers.emplace_back([&] { workerLoop(state, running); });
    workerLoop(state, running);
    for (auto& t : workers)
        t.join();
    if (state.fatal)
        return fail(*state.fatal);

    LWB_ASSIGN_OR_RETURN(auto trials, study->trials());
    pruneTraces(state, trials);
    for (const auto& t : trials) {
        if (t.origin == tuner::TrialOrigin::WarmStart)
            continue;
        summary.complete += t.state == tuner::TrialState::Complete;
        summary.failed += t.state == tuner::TrialState::Failed;
        summary.pruned += t.state == tuner::TrialState::Pruned;
    }
    summary.interrupted = state.interruptLevel() > 0;
    summary.stopReason = state.stopReason;
    if (spec.objectives.size() == 1) {
        if (auto best = study->best())
            summary.best = std::move(*best);
    } else if (auto front = study->paretoFront()) {
        summary.paretoFront = std::move(*front);
    }
    TuneEvent e;
    e.kind = TuneEventKind::StudyFinished;
    e.message = state.stopReason;
    e.bestValue = state.bestValue;
    state.emit(e);
    return summary;
}

} // namespace lwb::workbench
