// GP-BO sampler behaviour: converges on a smooth problem, respects conditions and constraints, avoids
// a failing region and never repeats a failed configuration, spreads pending (parallel) trials,
// handles mixed spaces, outcome constraints and several objectives (ParEGO).
#include "lwb/tuner/pareto.h"
#include "lwb/tuner/study.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

using namespace lwb;
using namespace lwb::tuner;

namespace {

double real(const Params& p, const char* name)
{
    return *numericValue(p.at(name));
}

Study makeStudy(StudyOptions o)
{
    auto study = Study::create(std::make_shared<InMemoryStorage>(), std::move(o));
    EXPECT_TRUE(study) << study.error().describe();
    return std::move(study).value();
}

StudyOptions gpOptions(SearchSpace space, std::uint64_t seed, Json samplerOptions = Json {{"n_initial", 6}})
{
    StudyOptions o;
    o.name = "gp";
    o.space = std::move(space);
    o.objectives = {{"f", Direction::Minimize}};
    o.sampler = {"gp", std::move(samplerOptions)};
    o.seed = seed;
    return o;
}

SearchSpace square()
{
    SearchSpace s;
    s.addFloat("x", -1.0, 1.0).addFloat("y", -1.0, 1.0);
    return s;
}

double bowl(const Params& p)
{
    double x = real(p, "x") - 0.3, y = real(p, "y") + 0.2;
    return x * x + 2.0 * y * y;
}

} // namespace

TEST(GpSampler, FindsTheMinimumOfASmoothFunctionFasterThanRandom)
{
    double gpBest = 1e9, randomBest = 1e9;
    for (auto [sampler, best] : {std::pair {"gp", &gpBest}, std::pair {"random", &randomBest}}) {
        StudyOptions o = gpOptions(square(), 5);
        o.sampler.name = sampler;
        if (o.sampler.name == "random")
            o.sampler.options = Json::object();
        Study study = makeStudy(o);
        for (int i = 0; i < 20; ++i) {
            auto t = study.ask();
            ASSERT_TRUE(t) << t.error().describe();
            double v = bowl(t->params);
            *best = std::min(*best, v);
            ASSERT_TRUE(study.tell(t->id, {v}));
        }
    }
    EXPECT_LT(gpBest, 1e-3);
    EXPECT_LT(gpBest, 0.1 * randomBest);
}

TEST(GpSampler, ProposalsRespectConditionsAndConstraints)
{
    SearchSpace s;
    s.addInt("batch_size", 1, 64, Scale::Pow2)
        .addInt("seq_len", 128, 1024, Scale::Pow2)
        .addCategorical("precision", {"fp32", "bf16", "fp16"})
        .addFloat("loss_scale", 1.0, 1024.0, Scale::Log)
        .addFloat("lr", 1e-4, 1e-1, Scale::Log)
        .addCondition("loss_scale", "precision", {"fp16"})
        .addConstraint("batch_size * seq_len <= 8192");
    Study study = makeStudy(gpOptions(s, 3));
    int fp16 = 0;
    for (int i = 0; i < 20; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << t.error().describe();
        ASSERT_TRUE(s.checkParams(t->params)) << formatParams(t->params);
        bool isFp16 = std::get<std::string>(t->params.at("precision")) == "fp16";
        EXPECT_EQ(t->params.count("loss_scale"), isFp16 ? 1u : 0u);
        fp16 += isFp16;
        // Time per step: bigger batches are better until the constraint bites.
        double v = 1.0 / (real(t->params, "batch_size") * real(t->params, "seq_len"))
            * (1.0 + std::pow(std::log10(real(t->params, "lr")) + 2.5, 2));
        ASSERT_TRUE(study.tell(t->id, {v}));
    }
    EXPECT_GT(fp16, 0);
    auto best = study.best();
    ASSERT_TRUE(best);
    EXPECT_EQ(real(best->params, "batch_size") * real(best->params, "seq_len"), 8192.0);
}

TEST(GpSampler, AvoidsAFailingRegionAndFindsTheFeasibleOptimum)
{
    // The optimum (x = 0.9) lies in a region that runs out of memory (x > 0.7).
    SearchSpace s;
    s.addFloat("x", 0.0, 1.0).addFloat("y", 0.0, 1.0);
    Study study = makeStudy(gpOptions(s, 4));
    int lateFailures = 0;
    double bestX = 0.0;
    for (int i = 0; i < 30; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t);
        double x = real(t->params, "x"), y = real(t->params, "y");
        if (x > 0.7) {
            ASSERT_TRUE(study.tellFailed(t->id, "out of memory"));
            lateFailures += i >= 15;
            continue;
        }
        ASSERT_TRUE(study.tell(t->id, {(x - 0.9) * (x - 0.9) + (y - 0.5) * (y - 0.5)}));
    }
    auto best = study.best();
    ASSERT_TRUE(best);
    bestX = real(best->params, "x");
    EXPECT_LE(lateFailures, 3) << "the feasibility model should steer away from x > 0.7";
    EXPECT_GT(bestX, 0.62);
    EXPECT_NEAR(real(best->params, "y"), 0.5, 0.1);
}

TEST(GpSampler, NeverProposesAKnownFailedConfiguration)
{
    // 7 batch sizes x 4 thread counts; everything with batch * threads > 64 fails, and the objective
    // pulls towards the largest product.
    SearchSpace s;
    s.addInt("batch", 1, 64, Scale::Pow2).addInt("threads", 1, 4);
    Study study = makeStudy(gpOptions(s, 6, Json {{"n_initial", 4}}));
    std::set<std::string> failed, seen;
    for (int i = 0; i < 24; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << t.error().describe();
        std::string key = formatParams(t->params);
        EXPECT_FALSE(failed.count(key)) << "re-proposed failed configuration " << key;
        EXPECT_TRUE(seen.insert(key).second) << "repeated " << key;
        double product = real(t->params, "batch") * real(t->params, "threads");
        if (product > 64) {
            failed.insert(key);
            ASSERT_TRUE(study.tellFailed(t->id, "CUDA out of memory"));
        } else {
            ASSERT_TRUE(study.tell(t->id, {-product}));
        }
    }
    EXPECT_EQ(study.best()->values[0], -64.0);
}

TEST(GpSampler, PendingTrialsGetDiverseProposals)
{
    Study study = makeStudy(gpOptions(square(), 8));
    for (int i = 0; i < 10; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(study.tell(t->id, {bowl(t->params)}));
    }
    // Four workers ask before any of them tells.
    std::vector<Trial> pending;
    for (int w = 0; w < 4; ++w) {
        auto t = study.ask();
        ASSERT_TRUE(t);
        pending.push_back(*t);
    }
    double minDistance = 1e9;
    for (std::size_t a = 0; a < pending.size(); ++a) {
        for (std::size_t b = 0; b < a; ++b) {
            double dx = real(pending[a].params, "x") - real(pending[b].params, "x");
            double dy = real(pending[a].params, "y") - real(pending[b].params, "y");
            minDistance = std::min(minDistance, std::sqrt(dx * dx + dy * dy));
        }
    }
    EXPECT_GT(minDistance, 0.02) << "constant liar should push parallel proposals apart";
    // And they are still useful: the first one exploits, together they beat random points (mean 1.17).
    EXPECT_LT(bowl(pending[0].params), 0.1);
    double mean = 0.0;
    for (const auto& t : pending)
        mean += bowl(t.params) / static_cast<double>(pending.size());
    EXPECT_LT(mean, 0.8);
}

TEST(GpSampler, ThreadsSharingAStudyGetDistinctTrials)
{
    SearchSpace s;
    s.addInt("a", 1, 6).addInt("b", 1, 6);
    Study study = makeStudy(gpOptions(s, 9, Json {{"n_initial", 4}}));
    for (int i = 0; i < 6; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(study.tell(t->id, {real(t->params, "a") + real(t->params, "b")}));
    }
    std::vector<std::thread> workers;
    std::mutex mutex;
    std::set<std::string> asked;
    int errors = 0;
    for (int w = 0; w < 3; ++w) {
        workers.emplace_back([&] {
            for (int i = 0; i < 3; ++i) {
                auto t = study.ask();
                std::lock_guard lock(mutex);
                if (!t) {
                    ++errors;
                    continue;
                }
                asked.insert(formatParams(t->params));
            }
        });
    }
    for (auto& w : workers)
        w.join();
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(asked.size(), 9u);
}

TEST(GpSampler, OutcomeConstraintsSteerProposals)
{
    // Minimise x subject to latency = 1 - x <= 0.6, i.e. x >= 0.4.
    SearchSpace s;
    s.addFloat("x", 0.0, 1.0).addFloat("y", 0.0, 1.0);
    StudyOptions o = gpOptions(s, 10);
    o.constraints = {*parseOutcomeConstraint("latency <= 0.6")};
    Study study = makeStudy(o);
    int lateInfeasible = 0;
    for (int i = 0; i < 22; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t);
        double x = real(t->params, "x");
        lateInfeasible += i >= 12 && x < 0.38; // probing the boundary itself (0.3999) is fine
        ASSERT_TRUE(study.tell(t->id, {x + 0.1 * real(t->params, "y")}, {{"latency", 1.0 - x}}));
    }
    auto best = study.best();
    ASSERT_TRUE(best);
    EXPECT_GE(real(best->params, "x"), 0.4);
    EXPECT_LT(real(best->params, "x"), 0.41);
    EXPECT_LE(lateInfeasible, 2);
}

TEST(GpSampler, MultiObjectiveParEgoFillsTheParetoFront)
{
    // f1 = x^2, f2 = (x - 1)^2 (+ a penalty in y): the front is x in [0, 1], y = 0.
    SearchSpace s;
    s.addFloat("x", -1.0, 2.0).addFloat("y", 0.0, 1.0);
    auto run = [&](const char* sampler) {
        StudyOptions o = gpOptions(s, 12);
        o.sampler.name = sampler;
        if (o.sampler.name != "gp")
            o.sampler.options = Json::object();
        o.objectives
            = {{"f1", Direction::Minimize, ValueTransform::None}, {"f2", Direction::Minimize, ValueTransform::None}};
        Study study = makeStudy(o);
        for (int i = 0; i < 24; ++i) {
            auto t = study.ask();
            EXPECT_TRUE(t);
            double x = real(t->params, "x"), y = real(t->params, "y");
            EXPECT_TRUE(study.tell(t->id, {x * x + y, (x - 1) * (x - 1) + y}));
        }
        auto hv = study.hypervolume({4.0, 4.0});
        EXPECT_TRUE(hv);
        auto front = study.paretoFront();
        EXPECT_TRUE(front);
        return std::pair {*hv, front->size()};
    };
    auto [gpVolume, gpFront] = run("gp");
    auto [randomVolume, randomFront] = run("random");
    EXPECT_GE(gpFront, 6u);
    EXPECT_GT(gpVolume, randomVolume);
    auto best = makeStudy([&] {
        StudyOptions o = gpOptions(s, 1);
        o.objectives.push_back({"f2", Direction::Minimize});
        return o;
    }());
    EXPECT_FALSE(best.best()); // several objectives: best() points to paretoFront()
}

TEST(GpSampler, NoisyObjectiveWithDefaultOptions)
{
    Study study = makeStudy(gpOptions(square(), 13));
    double state = 1.0;
    for (int i = 0; i < 20; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t);
        state = std::fmod(state * 9301.0 + 49297.0, 233280.0);
        double noise = 0.02 * (state / 233280.0 - 0.5);
        ASSERT_TRUE(study.tell(t->id, {bowl(t->params) + noise}));
    }
    EXPECT_LT(bowl(study.best()->params), 0.05);
}

TEST(GpSampler, DegenerateDataDoesNotStopTheStudy)
{
    // Every value equal: the model has nothing to learn but must still propose valid configurations.
    Study study = makeStudy(gpOptions(square(), 14, Json {{"n_initial", 3}}));
    for (int i = 0; i < 8; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << t.error().describe();
        ASSERT_TRUE(study.tell(t->id, {1.0}));
    }
}

TEST(GpSampler, SpacesWithNothingLeftToSearchStillAnswer)
{
    // Every parameter fixed: the only configuration is proposed again.
    SearchSpace fixed;
    fixed.addInt("threads", 1, 8).setFixed("threads", std::int64_t {4});
    Study study = makeStudy(gpOptions(fixed, 15, Json {{"n_initial", 2}}));
    for (int i = 0; i < 4; ++i) {
        auto t = study.ask();
        ASSERT_TRUE(t) << t.error().describe();
        EXPECT_EQ(std::get<std::int64_t>(t->params.at("threads")), 4);
        ASSERT_TRUE(study.tell(t->id, {1.0}));
    }
    // A tiny discrete space: all four configurations first, then repeats.
    SearchSpace tiny;
    tiny.addBool("a").addBool("b");
    Study small = makeStudy(gpOptions(tiny, 16, Json {{"n_initial", 2}}));
    std::set<std::string> seen;
    for (int i = 0; i < 6; ++i) {
        auto t = small.ask();
        ASSERT_TRUE(t) << t.error().describe();
        if (i < 4) {
            EXPECT_TRUE(seen.insert(formatParams(t->params)).second);
        }
        ASSERT_TRUE(small.tell(t->id, {static_cast<double>(i)}));
    }
}
