// Pruners: median rule and asynchronous successive halving on synthetic learning curves, and through
// Study::reportIntermediate.
#include "lwb/tuner/pruner.h"
#include "lwb/tuner/study.h"

#include <gtest/gtest.h>

using namespace lwb;
using namespace lwb::tuner;

namespace {

Trial curve(std::int64_t id, TrialState state, std::vector<double> values)
{
    Trial t;
    t.id = id;
    t.number = static_cast<int>(id);
    t.state = state;
    for (std::size_t i = 0; i < values.size(); ++i)
        t.intermediate[static_cast<std::int64_t>(i + 1)] = values[i];
    return t;
}

bool prune(const Pruner& p, const std::vector<Trial>& trials, const Trial& t, std::int64_t step,
    Direction d = Direction::Minimize)
{
    return p.shouldPrune(PrunerContext {d, trials, t, step});
}

} // namespace

TEST(Pruner, NoneNeverPrunes)
{
    auto p = makePruner({"none", Json::object()});
    ASSERT_TRUE(p);
    Trial t = curve(1, TrialState::Running, {1e9});
    EXPECT_FALSE(prune(**p, {t}, t, 1));
}

TEST(Pruner, MedianComparesWithCompletedTrialsAtTheSameStep)
{
    auto p = makePruner({"median", Json {{"startup_trials", 3}, {"warmup_steps", 2}}});
    ASSERT_TRUE(p);
    std::vector<Trial> trials = {curve(1, TrialState::Complete, {5, 4, 3}), curve(2, TrialState::Complete, {6, 5, 4}),
        curve(3, TrialState::Complete, {7, 6, 5}), curve(4, TrialState::Running, {9, 9, 9})};
    const Trial bad = trials[3];
    EXPECT_FALSE(prune(**p, trials, bad, 1)); // warm-up
    EXPECT_TRUE(prune(**p, trials, bad, 2)); // 9 > median 5
    Trial good = curve(5, TrialState::Running, {8, 4.5});
    trials.push_back(good);
    EXPECT_FALSE(prune(**p, trials, good, 2)); // best so far 4.5 <= median 5
    // Maximisation flips the comparison: 9 is above the median of 5.
    EXPECT_FALSE(prune(**p, trials, bad, 2, Direction::Maximize));
    Trial low = curve(6, TrialState::Running, {1, 1});
    EXPECT_TRUE(prune(**p, trials, low, 2, Direction::Maximize));
    // Too few completed trials: no pruning.
    std::vector<Trial> few(trials.begin() + 1, trials.end());
    EXPECT_FALSE(prune(**p, few, bad, 2));
    EXPECT_FALSE(makePruner({"median", Json {{"startup_trail", 3}}}));
}

TEST(Pruner, SuccessiveHalvingKeepsTheTopFractionAtEachRung)
{
    // Rungs at steps 1, 3, 9 (min_resource 1, reduction factor 3).
    auto p = makePruner({"successive_halving", Json {{"min_resource", 1}, {"reduction_factor", 3}}});
    ASSERT_TRUE(p);
    std::vector<Trial> trials;
    for (int i = 0; i < 6; ++i)
        trials.push_back(curve(i + 1, TrialState::Complete, {static_cast<double>(i), static_cast<double>(i)}));
    Trial best = curve(10, TrialState::Running, {0.5});
    Trial worst = curve(11, TrialState::Running, {10.0});
    trials.push_back(best);
    trials.push_back(worst);
    // 8 values at rung 0: keep floor(8/3) = 2 (values 0 and 0.5).
    EXPECT_FALSE(prune(**p, trials, best, 1));
    EXPECT_TRUE(prune(**p, trials, worst, 1));
    // Between rungs nothing is decided.
    Trial between = curve(12, TrialState::Running, {0.1, 99.0});
    trials.push_back(between);
    EXPECT_FALSE(prune(**p, trials, between, 2));
    // With one trial at a rung it always goes on.
    Trial alone = curve(13, TrialState::Running, {1, 1, 50.0});
    EXPECT_FALSE(prune(**p, {alone}, alone, 3));
}

TEST(Pruner, StudyReportsIntermediateValues)
{
    StudyOptions o;
    o.name = "pruned";
    o.space.addFloat("x", 0.0, 1.0);
    o.objectives = {{"loss", Direction::Minimize}};
    o.sampler = {"random", Json::object()};
    o.pruner = {"median", Json {{"startup_trials", 2}}};
    auto study = Study::create(std::make_shared<InMemoryStorage>(), o);
    ASSERT_TRUE(study);
    for (double start : {1.0, 2.0}) {
        auto t = study->ask();
        for (int step = 1; step <= 3; ++step)
            ASSERT_FALSE(*study->reportIntermediate(t->id, step, start / step));
        ASSERT_TRUE(study->tell(t->id, {start / 3}));
    }
    auto t = study->ask();
    auto prune = study->reportIntermediate(t->id, 1, 10.0);
    ASSERT_TRUE(prune);
    EXPECT_TRUE(*prune);
    ASSERT_TRUE(study->tellPruned(t->id));
    EXPECT_EQ(study->trial(t->id)->state, TrialState::Pruned);
    EXPECT_EQ(study->trial(t->id)->intermediate.at(1), 10.0);
    EXPECT_FALSE(study->reportIntermediate(t->id, 2, 1.0)); // no longer running
}
