// Study: ask/tell over a storage, stop criteria, recovery after a crash, warm start (see study.h).
// Concurrency: one mutex per Study object (threads sharing it); across processes, ask() reads the
// trials, proposes, and inserts only if no trial was added meanwhile (else it proposes again, now
// seeing the other worker's running trial as pending) - writes stay short IMMEDIATE transactions.
#include "lwb/tuner/study.h"

#include "analysis.h"
#include "encoding.h"
#include "history.h"
#include "lwb/core/clock.h"
#include "lwb/tuner/pareto.h"
#include "rng.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <mutex>
#include <unistd.h>

namespace lwb::tuner {

// ---- StudyOptions JSON ----

Json StudyOptions::toJson() const
{
    Json j;
    j["name"] = name;
    j["space"] = space.toJson();
    j["objectives"] = Json::array();
    for (const auto& o : objectives)
        j["objectives"].push_back(objectiveToJson(o));
    j["constraints"] = Json::array();
    for (const auto& c : constraints)
        j["constraints"].push_back(formatOutcomeConstraint(c));
    j["sampler"] = {{"name", sampler.name}, {"options", sampler.options.is_null() ? Json::object() : sampler.options}};
    j["pruner"] = {{"name", pruner.name}, {"options", pruner.options.is_null() ? Json::object() : pruner.options}};
    j["seed"] = seed;
    j["stop"] = {{"max_trials", stop.maxTrials}, {"max_seconds", stop.maxSeconds},
        {"no_improvement_trials", stop.noImprovementTrials}};
    return j;
}

static Result<StudyOptions> studyOptionsFromJson(const Json& j)
{
    auto bad
        = [](const std::string& what) { return fail(ErrorCode::InvalidArgument, "study spec: " + what, LWB_WHERE); };
    if (!j.is_object())
        return bad("expected a JSON object");
    StudyOptions o;
    o.name = j.value("name", "");
    if (!j.contains("space"))
        return bad("missing \"space\"");
    LWB_ASSIGN_OR_RETURN(o.space, SearchSpace::fromJson(j["space"]));
    if (!j.contains("objectives") || !j["objectives"].is_array())
        return bad("\"objectives\" must be an array");
    for (const auto& item : j["objectives"]) {
        LWB_ASSIGN_OR_RETURN(auto objective, objectiveFromJson(item));
        o.objectives.push_back(std::move(objective));
    }
    if (j.contains("constraints")) {
        if (!j["constraints"].is_array())
            return bad("\"constraints\" must be an array of strings like \"p99_latency_ms <= 20\"");
        for (const auto& item : j["constraints"]) {
            if (!item.is_string())
                return bad("constraint " + item.dump() + " is not a string");
            LWB_ASSIGN_OR_RETURN(auto c, parseOutcomeConstraint(item.get<std::string>()));
            o.constraints.push_back(std::move(c));
        }
    }
    auto component = [&](const char* key, std::string& name, Json& options) -> Status {
        if (!j.contains(key))
            return {};
        const Json& c = j[key];
        if (c.is_string()) {
            name = c.get<std::string>();
            return {};
        }
        if (!c.is_object() || !c.contains("name") || !c["name"].is_string())
            return bad(std::string("\"") + key + "\" must be a name or {\"name\": ..., \"options\": {...}}");
        name = c["name"].get<std::string>();
        options = c.value("options", Json::object());
        return {};
    };
    LWB_RETURN_IF_ERROR(component("sampler", o.sampler.name, o.sampler.options));
    LWB_RETURN_IF_ERROR(component("pruner", o.pruner.name, o.pruner.options));
    if (j.contains("seed")) {
        if (!j["seed"].is_number_integer() && !j["seed"].is_number_unsigned())
            return bad("\"seed\" must be an integer");
        o.seed = j["seed"].get<std::uint64_t>();
    }
    if (j.contains("stop")) {
        const Json& s = j["stop"];
        if (!s.is_object())
            return bad("\"stop\" must be an object");
        o.stop.maxTrials = s.value("max_trials", 0);
        o.stop.maxSeconds = s.value("max_seconds", 0.0);
        o.stop.noImprovementTrials = s.value("no_improvement_trials", 0);
    }
    return o;
}

Result<StudyOptions> StudyOptions::fromJson(const Json& j)
{
    try {
        return studyOptionsFromJson(j);
    } catch (const Json::exception& e) {
        return fail(ErrorCode::InvalidArgument, std::string("study spec: ") + e.what(), LWB_WHERE);
    }
}

// ---- Study ----

struct Study::Impl {
    std::shared_ptr<Storage> storage;
    StudyRecord record;
    StudyOptions options;
    detail::SpaceCodec codec;
    std::unique_ptr<Sampler> sampler;
    std::unique_ptr<Pruner> pruner;
    std::string worker = currentWorkerName();
    Stopwatch session;
    std::mutex mutex;
};

Study::Study(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}
Study::Study(Study&&) noexcept = default;
Study& Study::operator=(Study&&) noexcept = default;
Study::~Study() = default;

Result<std::unique_ptr<Study::Impl>> Study::makeImpl(std::shared_ptr<Storage> storage, StudyOptions options)
{
    if (!storage)
        return fail(ErrorCode::InvalidArgument, "a study needs a storage", LWB_WHERE);
    if (options.name.empty())
        return fail(ErrorCode::InvalidArgument, "a study needs a name", LWB_WHERE);
    LWB_RETURN_IF_ERROR(options.space.validate());
    LWB_RETURN_IF_ERROR(validateObjectives(options.objectives, options.constraints));
    auto impl = std::make_unique<Study::Impl>();
    LWB_ASSIGN_OR_RETURN(impl->codec, detail::SpaceCodec::create(options.space));
    LWB_ASSIGN_OR_RETURN(impl->sampler, makeSampler(options.sampler, options.space));
    LWB_ASSIGN_OR_RETURN(impl->pruner, makePruner(options.pruner));
    impl->storage = std::move(storage);
    impl->options = std::move(options);
    return impl;
}

Result<Study> Study::create(std::shared_ptr<Storage> storage, StudyOptions options)
{
    LWB_ASSIGN_OR_RETURN(auto impl, makeImpl(std::move(storage), std::move(options)));
    LWB_ASSIGN_OR_RETURN(impl->record, impl->storage->createStudy(impl->options.name, impl->options.toJson()));
    return Study(std::move(impl));
}

Result<Study> Study::load(std::shared_ptr<Storage> storage, const std::string& name)
{
    if (!storage)
        return fail(ErrorCode::InvalidArgument, "a study needs a storage", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto record, storage->loadStudy(name));
    LWB_ASSIGN_OR_RETURN(auto options, StudyOptions::fromJson(record.spec));
    options.name = name;
    LWB_ASSIGN_OR_RETURN(auto impl, makeImpl(std::move(storage), std::move(options)));
    impl->record = std::move(record);
    return Study(std::move(impl));
}

Result<Study> Study::loadOrCreate(std::shared_ptr<Storage> storage, StudyOptions options)
{
    if (!storage)
        return fail(ErrorCode::InvalidArgument, "a study needs a storage", LWB_WHERE);
    auto existing = storage->loadStudy(options.name);
    if (existing)
        return load(std::move(storage), options.name);
    if (existing.error().code != ErrorCode::NotFound)
        return fail(std::move(existing).error());
    return create(std::move(storage), std::move(options));
}

const StudyOptions& Study::options() const
{
    return m_impl->options;
}
std::int64_t Study::id() const
{
    return m_impl->record.id;
}
const std::string& Study::name() const
{
    return m_impl->record.name;
}
Storage& Study::storage()
{
    return *m_impl->storage;
}

Result<Trial> Study::ask()
{
    Impl& s = *m_impl;
    std::lock_guard lock(s.mutex);
    if (s.storage->isReadOnly())
        return fail(ErrorCode::Unsupported, "study '" + s.record.name + "' is open read-only", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto waiting, s.storage->claimWaitingTrial(s.record.id, s.worker));
    if (waiting)
        return std::move(*waiting);
    constexpr int kOptimisticTries = 4;
    for (int attempt = 0;; ++attempt) {
        LWB_ASSIGN_OR_RETURN(auto trials, s.storage->trials(s.record.id));
        SamplerContext context {
            s.options.objectives, s.options.constraints, trials, s.options.seed, static_cast<int>(trials.size())};
        LWB_ASSIGN_OR_RETURN(Params params, s.sampler->propose(context));
        TrialDraft draft;
        draft.state = TrialState::Running;
        draft.origin = TrialOrigin::Sampler;
        draft.params = std::move(params);
        draft.worker = s.worker;
        std::optional<int> expected;
        if (attempt < kOptimisticTries)
            expected = static_cast<int>(trials.size());
        LWB_ASSIGN_OR_RETURN(auto created, s.storage->createTrial(s.record.id, draft, expected));
        if (created)
            return std::move(*created);
    }
}

Status Study::tell(
    std::int64_t trialId, const std::vector<double>& values, const std::map<std::string, double>& constraintValues)
{
    Impl& s = *m_impl;
    const auto& objectives = s.options.objectives;
    if (values.size() != objectives.size())
        return fail(ErrorCode::InvalidArgument,
            "study '" + s.record.name + "' has " + std::to_string(objectives.size()) + " objective(s) but "
                + std::to_string(values.size()) + " value(s) were told",
            LWB_WHERE);
    TrialOutcome outcome;
    outcome.values = values;
    outcome.constraintValues = constraintValues;
    for (const auto& c : s.options.constraints) {
        if (!constraintValues.count(c.metric))
            return fail(ErrorCode::InvalidArgument,
                "tell() is missing the value of constrained metric '" + c.metric + "'", LWB_WHERE);
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i])) {
            outcome.state = TrialState::Failed;
            outcome.failReason
                = "objective '" + objectives[i].name + "' is " + (std::isnan(values[i]) ? "NaN" : "infinite");
            outcome.values.clear();
            return s.storage->finishTrial(trialId, outcome);
        }
    }
    for (const auto& [metric, value] : constraintValues) {
        if (std::isnan(value)) {
            outcome.state = TrialState::Failed;
            outcome.failReason = "metric '" + metric + "' is NaN";
            outcome.values.clear();
            return s.storage->finishTrial(trialId, outcome);
        }
    }
    outcome.state = TrialState::Complete;
    return s.storage->finishTrial(trialId, outcome);
}

Status Study::tellFailed(std::int64_t trialId, const std::string& reason)
{
    TrialOutcome outcome;
    outcome.state = TrialState::Failed;
    outcome.failReason = reason.empty() ? "failed" : reason;
    return m_impl->storage->finishTrial(trialId, outcome);
}

Status Study::tellPruned(std::int64_t trialId)
{
    TrialOutcome outcome;
    outcome.state = TrialState::Pruned;
    return m_impl->storage->finishTrial(trialId, outcome);
}

Result<bool> Study::reportIntermediate(std::int64_t trialId, std::int64_t step, double value)
{
    Impl& s = *m_impl;
    LWB_RETURN_IF_ERROR(s.storage->addIntermediate(trialId, step, value));
    LWB_ASSIGN_OR_RETURN(auto trials, s.storage->trials(s.record.id));
    auto it = std::find_if(trials.begin(), trials.end(), [&](const Trial& t) { return t.id == trialId; });
    if (it == trials.end())
        return fail(ErrorCode::NotFound,
            "trial " + std::to_string(trialId) + " is not in study '" + s.record.name + "'", LWB_WHERE);
    PrunerContext context {s.options.objectives[0].direction, trials, *it, step};
    return s.pruner->shouldPrune(context);
}

Result<Trial> Study::enqueue(const Params& params)
{
    Impl& s = *m_impl;
    Params full = s.options.space.withFixedValues(params);
    LWB_RETURN_IF_ERROR(s.options.space.checkParams(full));
    TrialDraft draft;
    draft.state = TrialState::Waiting;
    draft.origin = TrialOrigin::Enqueued;
    draft.params = std::move(full);
    LWB_ASSIGN_OR_RETURN(auto created, s.storage->createTrial(s.record.id, draft, std::nullopt));
    return std::move(*created);
}

Status Study::reviseParams(std::int64_t trialId, const Params& params)
{
    Impl& s = *m_impl;
    Params full = s.options.space.withFixedValues(params);
    LWB_RETURN_IF_ERROR(s.options.space.checkParams(full));
    LWB_ASSIGN_OR_RETURN(Trial t, s.storage->trial(trialId));
    if (t.state != TrialState::Running)
        return fail(ErrorCode::InvalidArgument, "only a RUNNING trial's parameters can be revised", LWB_WHERE);
    if (!t.attrs.count("asked_params"))
        LWB_RETURN_IF_ERROR(s.storage->setTrialAttr(trialId, "asked_params", paramsToJson(t.params)));
    return s.storage->setTrialParams(trialId, full);
}

Status Study::setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value)
{
    return m_impl->storage->setTrialAttr(trialId, key, value);
}

Result<std::vector<Trial>> Study::trials()
{
    return m_impl->storage->trials(m_impl->record.id);
}
Result<Trial> Study::trial(std::int64_t trialId)
{
    return m_impl->storage->trial(trialId);
}

/// Own completed trials with finite values that satisfy every outcome constraint.
static std::vector<Trial> feasibleCompleted(const std::vector<Trial>& trials, const StudyOptions& options)
{
    std::vector<Trial> out;
    for (const Trial& t : trials) {
        if (t.state != TrialState::Complete || t.origin == TrialOrigin::WarmStart
            || t.values.size() != options.objectives.size())
            continue;
        if (!std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); }))
            continue;
        bool ok = true;
        for (const auto& c : options.constraints) {
            auto it = t.constraintValues.find(c.metric);
            ok = ok && it != t.constraintValues.end() && c.satisfiedBy(it->second);
        }
        if (ok)
            out.push_back(t);
    }
    return out;
}

Result<Trial> Study::best()
{
    Impl& s = *m_impl;
    if (s.options.objectives.size() != 1)
        return fail(ErrorCode::InvalidArgument,
            "study '" + s.record.name + "' has several objectives: use paretoFront()", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    auto feasible = feasibleCompleted(all, s.options);
    if (feasible.empty())
        return fail(ErrorCode::NotFound,
            s.options.constraints.empty() ? "no completed trial yet"
                                          : "no completed trial satisfies the outcome constraints",
            LWB_WHERE);
    bool minimize = s.options.objectives[0].direction == Direction::Minimize;
    auto it = std::min_element(feasible.begin(), feasible.end(), [&](const Trial& a, const Trial& b) {
        return minimize ? a.values[0] < b.values[0] : a.values[0] > b.values[0];
    });
    return *it;
}

Result<std::vector<Trial>> Study::paretoFront()
{
    Impl& s = *m_impl;
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    auto feasible = feasibleCompleted(all, s.options);
    std::vector<std::vector<double>> points;
    for (const auto& t : feasible)
        points.push_back(toMinimization(t.values, s.options.objectives));
    std::vector<Trial> front;
    for (std::size_t i : paretoFrontIndices(points))
        front.push_back(feasible[i]);
    return front;
}

Result<double> Study::hypervolume(const std::vector<double>& reference)
{
    Impl& s = *m_impl;
    if (reference.size() != s.options.objectives.size())
        return fail(ErrorCode::InvalidArgument, "the reference point needs one value per objective", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto front, paretoFront());
    std::vector<std::vector<double>> points;
    for (const auto& t : front)
        points.push_back(toMinimization(t.values, s.options.objectives));
    return ::lwb::tuner::hypervolume(std::move(points), toMinimization(reference, s.options.objectives));
}

Result<std::vector<ParamImportance>> Study::importance(int objectiveIndex)
{
    Impl& s = *m_impl;
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    detail::History history = detail::buildHistory(s.codec, all);
    return detail::computeImportance(s.codec, history, s.options.objectives, objectiveIndex, s.options.seed);
}

Result<SlicePrediction> Study::predictSlice(
    const std::string& param, const Params& fixedParams, int nPoints, int objectiveIndex)
{
    Impl& s = *m_impl;
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    detail::History history = detail::buildHistory(s.codec, all);
    Params fallback;
    auto feasible = feasibleCompleted(all, s.options);
    if (!feasible.empty() && objectiveIndex >= 0 && objectiveIndex < static_cast<int>(s.options.objectives.size())) {
        auto k = static_cast<std::size_t>(objectiveIndex);
        bool minimize = s.options.objectives[k].direction == Direction::Minimize;
        fallback = std::min_element(feasible.begin(), feasible.end(), [&](const Trial& a, const Trial& b) {
            return minimize ? a.values[k] < b.values[k] : a.values[k] > b.values[k];
        })->params;
    }
    return detail::computeSlice(
        s.codec, history, s.options.objectives, objectiveIndex, param, fixedParams, fallback, nPoints, s.options.seed);
}

Result<StopDecision> Study::shouldStop()
{
    Impl& s = *m_impl;
    const StopCriteria& stop = s.options.stop;
    if (stop.maxSeconds > 0.0 && s.session.elapsedSeconds() >= stop.maxSeconds)
        return StopDecision {true, "time budget of " + std::to_string(stop.maxSeconds) + " s reached"};
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    if (stop.maxTrials > 0) {
        auto used = std::count_if(all.begin(), all.end(),
            [](const Trial& t) { return t.state != TrialState::Waiting && t.origin != TrialOrigin::WarmStart; });
        if (used >= stop.maxTrials)
            return StopDecision {true, "trial budget of " + std::to_string(stop.maxTrials) + " reached"};
    }
    if (stop.noImprovementTrials > 0 && s.options.objectives.size() == 1) {
        auto feasible = feasibleCompleted(all, s.options);
        if (!feasible.empty()) {
            bool minimize = s.options.objectives[0].direction == Direction::Minimize;
            int bestNumber = feasible[0].number;
            double bestValue = feasible[0].values[0];
            for (const auto& t : feasible) {
                if (minimize ? t.values[0] < bestValue : t.values[0] > bestValue) {
                    bestValue = t.values[0];
                    bestNumber = t.number;
                }
            }
            auto since = std::count_if(all.begin(), all.end(), [&](const Trial& t) {
                return t.state == TrialState::Complete && t.origin != TrialOrigin::WarmStart && t.number > bestNumber;
            });
            if (since >= stop.noImprovementTrials)
                return StopDecision {true,
                    "no improvement in the last " + std::to_string(since) + " completed trials (best: trial "
                        + std::to_string(bestNumber) + ")"};
        }
    }
    return StopDecision {};
}

/// Whether a "host:pid" worker is a process that no longer exists on this host.
static bool workerIsGone(const std::string& worker)
{
    std::string self = currentWorkerName();
    auto colon = worker.rfind(':');
    if (colon == std::string::npos)
        return worker.empty();
    if (worker.substr(0, colon) != self.substr(0, self.rfind(':')))
        return false; // another host: cannot tell
    pid_t pid = static_cast<pid_t>(std::strtol(worker.c_str() + colon + 1, nullptr, 10));
    if (pid <= 0)
        return true;
    if (pid == ::getpid())
        return false;
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

Result<int> Study::recoverInterruptedTrials(RecoveryAction action, RecoveryScope scope)
{
    Impl& s = *m_impl;
    LWB_ASSIGN_OR_RETURN(auto all, trials());
    int recovered = 0;
    for (const Trial& t : all) {
        if (t.state != TrialState::Running)
            continue;
        if (scope == RecoveryScope::DeadWorkersOnThisHost && !workerIsGone(t.worker))
            continue;
        TrialOutcome outcome;
        outcome.state = TrialState::Failed;
        outcome.failReason = std::string(kInterruptedReason);
        auto finished = s.storage->finishTrial(t.id, outcome);
        if (!finished) {
            if (finished.error().code == ErrorCode::InvalidArgument)
                continue; // finished meanwhile (another worker or a concurrent recovery)
            return fail(std::move(finished).error());
        }
        ++recovered;
        if (action == RecoveryAction::Requeue) {
            TrialDraft draft;
            draft.state = TrialState::Waiting;
            draft.origin = TrialOrigin::Requeued;
            draft.params = t.params;
            draft.attrs["requeued_from"] = t.number;
            LWB_RETURN_IF_ERROR(s.storage->createTrial(s.record.id, draft, std::nullopt));
        }
    }
    return recovered;
}

Result<int> Study::warmStart(const std::vector<Trial>& sourceTrials, const WarmStartOptions& options)
{
    Impl& s = *m_impl;
    std::vector<const Trial*> usable;
    for (const Trial& t : sourceTrials) {
        if (t.state != TrialState::Complete || t.values.size() != s.options.objectives.size())
            continue;
        if (!std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); }))
            continue;
        Params full = s.options.space.withFixedValues(t.params);
        if (!s.options.space.checkParams(full))
            continue;
        usable.push_back(&t);
    }
    int added = 0;
    if (options.priorData == WarmStartOptions::PriorData::Observations) {
        for (const Trial* t : usable) {
            TrialDraft draft;
            draft.state = TrialState::Complete;
            draft.origin = TrialOrigin::WarmStart;
            draft.params = s.options.space.withFixedValues(t->params);
            draft.values = t->values;
            draft.constraintValues = t->constraintValues;
            draft.attrs["warm_start_from"] = t->number;
            LWB_RETURN_IF_ERROR(s.storage->createTrial(s.record.id, draft, std::nullopt));
            ++added;
        }
    }
    bool minimize = s.options.objectives[0].direction == Direction::Minimize;
    std::vector<const Trial*> ranked = usable;
    std::stable_sort(ranked.begin(), ranked.end(), [&](const Trial* a, const Trial* b) {
        return minimize ? a->values[0] < b->values[0] : a->values[0] > b->values[0];
    });
    std::vector<Params> chosen;
    for (const Trial* t : ranked) {
        if (static_cast<int>(chosen.size()) >= options.enqueueBest)
            break;
        bool feasible = std::all_of(s.options.constraints.begin(), s.options.constraints.end(), [&](const auto& c) {
            auto it = t->constraintValues.find(c.metric);
            return it != t->constraintValues.end() && c.satisfiedBy(it->second);
        });
        Params full = s.options.space.withFixedValues(t->params);
        if (!feasible || std::find(chosen.begin(), chosen.end(), full) != chosen.end())
            continue;
        chosen.push_back(full);
        LWB_ASSIGN_OR_RETURN(Trial queued, enqueue(full));
        LWB_RETURN_IF_ERROR(s.storage->setTrialAttr(queued.id, "warm_start_from", t->number));
        ++added;
    }
    return added;
}

} // namespace lwb::tuner
