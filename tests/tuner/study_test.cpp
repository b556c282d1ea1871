// Study: ask/tell and the trial state machine, enqueue, seeded reproducibility, outcome constraints in
// best(), stop criteria, revised parameters, warm start, the basic samplers, options as JSON.
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace lwb;
using namespace lwb::tuner;

namespace {

SearchSpace smallSpace()
{
    SearchSpace s;
    s.addFloat("x", -2.0, 2.0).addInt("k", 1, 8).addCategorical("mode", {"a", "b"});
    return s;
}

StudyOptions options(const std::string& sampler, std::uint64_t seed = 1)
{
    StudyOptions o;
    o.name = "study";
    o.space = smallSpace();
    o.objectives = {{"loss", Direction::Minimize}};
    o.sampler = {sampler, Json::object()};
    o.seed = seed;
    return o;
}

double loss(const Params& p)
{
    double x = std::get<double>(p.at("x"));
    double k = static_cast<double>(std::get<std::int64_t>(p.at("k")));
    return (x - 0.5) * (x - 0.5) + 0.1 * (k - 3) * (k - 3) + (std::get<std::string>(p.at("mode")) == "b" ? 0.0 : 1.0);
}

Study makeStudy(StudyOptions o, std::shared_ptr<Storage> storage = std::make_shared<InMemoryStorage>())
{
    auto study = Study::create(std::move(storage), std::move(o));
    EXPECT_TRUE(study) << study.error().describe();
    return std::move(study).value();
}

std::vector<Params> runStudy(Study& study, int n)
{
    std::vector<Params> asked;
    for (int i = 0; i < n; ++i) {
        auto t = study.ask();
        EXPECT_TRUE(t) << t.error().describe();
        asked.push_back(t->params);
        EXPECT_TRUE(study.tell(t->id, {loss(t->params)}));
    }
    return asked;
}

} // namespace

TEST(Study, AskTellLifecycle)
{
    Study study = makeStudy(options("random"));
    auto t = study.ask();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->state, TrialState::Running);
    EXPECT_EQ(t->number, 0);
    EXPECT_TRUE(smallSpace().checkParams(t->params));
    ASSERT_TRUE(study.tell(t->id, {1.0}));
    auto twice = study.tell(t->id, {2.0});
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("not RUNNING"), std::string::npos);
    auto wrongCount = study.ask();
    ASSERT_TRUE(wrongCount);
    EXPECT_FALSE(study.tell(wrongCount->id, {1.0, 2.0}));
    ASSERT_TRUE(study.tellFailed(wrongCount->id, "CUDA out of memory"));
    auto pruned = study.ask();
    ASSERT_TRUE(study.tellPruned(pruned->id));
    auto all = study.trials();
    ASSERT_TRUE(all);
    EXPECT_EQ((*all)[0].state, TrialState::Complete);
    EXPECT_EQ((*all)[1].state, TrialState::Failed);
    EXPECT_EQ((*all)[1].failReason, "CUDA out of memory");
    EXPECT_EQ((*all)[2].state, TrialState::Pruned);
    EXPECT_EQ(study.best()->id, t->id);
}

TEST(Study, NonFiniteValuesRecordAFailure)
{
    Study study = makeStudy(options("random"));
    auto t = study.ask();
    ASSERT_TRUE(study.tell(t->id, {std::nan("")}));
    auto stored = study.trial(t->id);
    EXPECT_EQ(stored->state, TrialState::Failed);
    EXPECT_NE(stored->failReason.find("NaN"), std::string::npos);
    auto best = study.best();
    ASSERT_FALSE(best);
    EXPECT_EQ(best.error().code, ErrorCode::NotFound);
}

TEST(Study, EnqueuedConfigurationsComeFirst)
{
    Study study = makeStudy(options("gp"));
    Params baseline {{"x", 0.0}, {"k", std::int64_t {4}}, {"mode", "a"}};
    auto queued = study.enqueue(baseline);
    ASSERT_TRUE(queued);
    EXPECT_EQ(queued->state, TrialState::Waiting);
    EXPECT_FALSE(study.enqueue({{"x", 9.0}, {"k", std::int64_t {4}}, {"mode", "a"}})); // out of range
    auto t = study.ask();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->id, queued->id);
    EXPECT_EQ(t->params, baseline);
    EXPECT_EQ(t->origin, TrialOrigin::Enqueued);
    auto next = study.ask();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->origin, TrialOrigin::Sampler);
}

TEST(Study, SameSeedSameProposals)
{
    for (const char* sampler : {"random", "sobol", "gp"}) {
        Study a = makeStudy(options(sampler, 7));
        Study b = makeStudy(options(sampler, 7));
        Study c = makeStudy(options(sampler, 8));
        auto pa = runStudy(a, 14);
        auto pb = runStudy(b, 14);
        auto pc = runStudy(c, 14);
        EXPECT_EQ(pa, pb) << sampler;
        EXPECT_NE(pa, pc) << sampler;
    }
}

TEST(Study, ReloadedStudyContinuesIdentically)
{
    test::TempDir dir;
    std::vector<Params> uninterrupted;
    {
        auto storage = SqliteStorage::open(dir / "a.lwb");
        Study study = makeStudy(options("gp", 3), *storage);
        uninterrupted = runStudy(study, 14);
    }
    std::vector<Params> resumed;
    {
        auto storage = SqliteStorage::open(dir / "b.lwb");
        Study study = makeStudy(options("gp", 3), *storage);
        resumed = runStudy(study, 12);
    }
    auto storage = SqliteStorage::open(dir / "b.lwb");
    auto study = Study::load(*storage, "study");
    ASSERT_TRUE(study);
    auto rest = runStudy(*study, 2);
    resumed.insert(resumed.end(), rest.begin(), rest.end());
    ASSERT_EQ(resumed.size(), uninterrupted.size());
    // Parameters went through SQLite and back; reals compare to 1e-12.
    for (std::size_t i = 0; i < resumed.size(); ++i) {
        EXPECT_NEAR(std::get<double>(resumed[i].at("x")), std::get<double>(uninterrupted[i].at("x")), 1e-9) << i;
        EXPECT_EQ(resumed[i].at("k"), uninterrupted[i].at("k")) << i;
    }
}

TEST(Study, OutcomeConstraintsDecideTheBest)
{
    StudyOptions o = options("random");
    o.constraints = {*parseOutcomeConstraint("p99_ms <= 20")};
    Study study = makeStudy(o);
    auto fast = study.ask();
    auto slow = study.ask();
    EXPECT_FALSE(study.tell(fast->id, {1.0})); // the constrained metric is missing
    ASSERT_TRUE(study.tell(fast->id, {1.0}, {{"p99_ms", 25.0}}));
    ASSERT_TRUE(study.tell(slow->id, {2.0}, {{"p99_ms", 15.0}}));
    EXPECT_EQ(study.best()->id, slow->id);
}

TEST(Study, StopCriteria)
{
    StudyOptions o = options("random");
    o.stop.maxTrials = 5;
    Study study = makeStudy(o);
    runStudy(study, 4);
    EXPECT_FALSE(study.shouldStop()->stop);
    runStudy(study, 1);
    auto stop = study.shouldStop();
    ASSERT_TRUE(stop);
    EXPECT_TRUE(stop->stop);
    EXPECT_NE(stop->reason.find("trial budget of 5"), std::string::npos);

    StudyOptions n = options("random");
    n.stop.noImprovementTrials = 3;
    Study patience = makeStudy(n);
    for (double v : {5.0, 3.0, 4.0, 4.0}) {
        auto t = patience.ask();
        ASSERT_TRUE(patience.tell(t->id, {v}));
    }
    EXPECT_FALSE(patience.shouldStop()->stop);
    auto t = patience.ask();
    ASSERT_TRUE(patience.tell(t->id, {3.5}));
    EXPECT_TRUE(patience.shouldStop()->stop);

    StudyOptions timed = options("random");
    timed.stop.maxSeconds = 1e-9;
    Study quick = makeStudy(timed);
    EXPECT_TRUE(quick.shouldStop()->stop);
}

TEST(Study, RevisedParamsAreWhatTheModelSees)
{
    Study study = makeStudy(options("random"));
    auto t = study.ask();
    Params actual = t->params;
    actual["k"] = std::int64_t {2};
    ASSERT_TRUE(study.reviseParams(t->id, actual));
    EXPECT_FALSE(study.reviseParams(t->id, {{"x", 99.0}, {"k", std::int64_t {2}}, {"mode", "a"}}));
    auto stored = study.trial(t->id);
    EXPECT_EQ(stored->params, actual);
    EXPECT_EQ(stored->attrs.at("asked_params"), paramsToJson(t->params));
    ASSERT_TRUE(study.setTrialAttr(t->id, "config_run", Json {{"threads", 2}}));
    EXPECT_EQ(study.trial(t->id)->attrs.at("config_run")["threads"], 2);
}

TEST(Study, WarmStartEnqueuesTheBestAndAddsPriorData)
{
    Study source = makeStudy(options("random", 11));
    runStudy(source, 12);
    auto sourceTrials = source.trials();
    ASSERT_TRUE(sourceTrials);
    Study target = makeStudy(options("gp", 12));
    auto added = target.warmStart(*sourceTrials, WarmStartOptions {2, WarmStartOptions::PriorData::Observations});
    ASSERT_TRUE(added);
    EXPECT_EQ(*added, 14);
    auto first = target.ask();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->params, source.best()->params); // the best source configuration is re-measured first
    ASSERT_TRUE(target.tell(first->id, {loss(first->params)}));
    // Warm-start copies feed the model but are not this study's results.
    auto best = target.best();
    ASSERT_TRUE(best);
    EXPECT_EQ(best->id, first->id);
    EXPECT_FALSE(target.shouldStop()->stop);
    auto all = target.trials();
    int warm = 0;
    for (const auto& t : *all)
        warm += t.origin == TrialOrigin::WarmStart;
    EXPECT_EQ(warm, 12);
}

TEST(Study, GridSamplerCoversEveryCellOnceThenStops)
{
    StudyOptions o;
    o.name = "grid";
    o.space.addInt("a", 1, 3).addCategorical("b", {"x", "y"}).addFloat("c", 0.0, 1.0);
    o.objectives = {{"f", Direction::Minimize}};
    o.sampler = {"grid", Json {{"points", 3}}};
    Study study = makeStudy(o);
    std::set<std::string> seen;
    for (int i = 0; i < 18; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << i;
        EXPECT_TRUE(seen.insert(formatParams(t->params)).second);
        ASSERT_TRUE(study.tell(t->id, {1.0}));
    }
    auto done = study.ask();
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("grid exhausted"), std::string::npos);
}

TEST(Study, GridSamplerTakesEveryChoiceOfALongCategorical)
{
    // More choices than grid points: a categorical has no range to subsample.
    StudyOptions o;
    o.name = "grid-choices";
    o.space.addCategorical("x",
        {std::int64_t {1}, std::int64_t {2}, std::int64_t {3}, std::int64_t {4}, std::int64_t {5}, std::int64_t {6},
            std::int64_t {7}});
    o.objectives = {{"f", Direction::Minimize}};
    o.sampler = {"grid", Json {{"points", 3}}};
    Study study = makeStudy(o);
    std::set<std::string> seen;
    for (int i = 0; i < 7; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << i << ": " << t.error().message;
        EXPECT_TRUE(seen.insert(formatParams(t->params)).second);
        ASSERT_TRUE(study.tell(t->id, {1.0}));
    }
    EXPECT_FALSE(study.ask());
}

TEST(Study, SobolSamplerSpreadsPoints)
{
    StudyOptions o;
    o.name = "sobol";
    o.space.addFloat("u", 0.0, 1.0);
    o.objectives = {{"f", Direction::Minimize}};
    o.sampler = {"sobol", Json::object()};
    Study study = makeStudy(o);
    std::set<int> cells;
    for (int i = 0; i < 16; ++i) {
        auto t = study.ask();
        cells.insert(static_cast<int>(std::get<double>(t->params.at("u")) * 16));
        ASSERT_TRUE(study.tell(t->id, {0.0}));
    }
    EXPECT_EQ(cells.size(), 16u);
}

TEST(Study, OptionsRoundTripThroughJsonAndStorage)
{
    StudyOptions o = options("gp", 42);
    o.objectives.push_back({"throughput", Direction::Maximize, ValueTransform::Log});
    o.constraints = {*parseOutcomeConstraint("mem_gb <= 40")};
    o.pruner = {"median", Json {{"startup_trials", 3}}};
    o.stop.maxTrials = 9;
    auto back = StudyOptions::fromJson(o.toJson());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->toJson(), o.toJson());
    auto storage = std::make_shared<InMemoryStorage>();
    ASSERT_TRUE(Study::create(storage, o));
    auto loaded = Study::load(storage, "study");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->options().toJson(), o.toJson());
    auto both = Study::loadOrCreate(storage, options("random"));
    ASSERT_TRUE(both);
    EXPECT_EQ(both->options().sampler.name, "gp"); // the stored options win
}

TEST(Study, InvalidOptionsAreRejectedBeforeAnythingIsStored)
{
    auto storage = std::make_shared<InMemoryStorage>();
    StudyOptions bad = options("tpe");
    auto unknownSampler = Study::create(storage, bad);
    ASSERT_FALSE(unknownSampler);
    EXPECT_NE(unknownSampler.error().message.find("unknown sampler 'tpe'"), std::string::npos);
    StudyOptions typo = options("gp");
    typo.sampler.options = Json {{"n_inital", 5}};
    auto typoed = Study::create(storage, typo);
    ASSERT_FALSE(typoed);
    EXPECT_NE(typoed.error().message.find("unknown option 'n_inital'"), std::string::npos);
    StudyOptions noObjective = options("gp");
    noObjective.objectives.clear();
    EXPECT_FALSE(Study::create(storage, noObjective));
    EXPECT_TRUE(storage->studyNames()->empty());
}

TEST(Study, MistypedJsonIsAnErrorNotAnException)
{
    Json spec = options("gp").toJson();
    spec["stop"]["max_trials"] = "many";
    auto bad = StudyOptions::fromJson(spec);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    auto objective = objectiveFromJson(Json {{"name", "f"}, {"direction", 3}});
    EXPECT_FALSE(objective);
    auto space = SearchSpace::fromJson(
        Json::parse(R"({"a": {"type": "int", "low": 1, "high": 3, "condition": {"parent": "a", "values": 5}}})"));
    EXPECT_FALSE(space);
}

TEST(Study, ReadOnlyStudiesCanBeReadButNotAsked)
{
    test::TempDir dir;
    {
        auto storage = SqliteStorage::open(dir / "s.lwb");
        Study study = makeStudy(options("random"), *storage);
        runStudy(study, 3);
    }
    auto viewer = SqliteStorage::open(dir / "s.lwb", StorageAccess::ReadOnly);
    ASSERT_TRUE(viewer);
    auto study = Study::load(*viewer, "study");
    ASSERT_TRUE(study);
    EXPECT_EQ(study->trials()->size(), 3u);
    EXPECT_TRUE(study->best());
    auto ask = study->ask();
    ASSERT_FALSE(ask);
    EXPECT_EQ(ask.error().code, ErrorCode::Unsupported);
}
