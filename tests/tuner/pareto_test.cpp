// Pareto front and hypervolume: known 2-D and 3-D values, Monte-Carlo cross-check, maximisation.
#include "lwb/tuner/pareto.h"
#include "rng.h"

#include <gtest/gtest.h>

using namespace lwb::tuner;

TEST(Pareto, FrontKeepsNonDominatedPoints)
{
    std::vector<std::vector<double>> points = {{1, 5}, {2, 2}, {3, 3}, {5, 1}, {2, 2}, {4, 4}};
    EXPECT_EQ(paretoFrontIndices(points), (std::vector<std::size_t> {0, 1, 3, 4}));
    EXPECT_TRUE(dominates({1, 1}, {1, 2}));
    EXPECT_FALSE(dominates({1, 2}, {1, 2}));
    EXPECT_FALSE(dominates({0, 3}, {1, 2}));
}

TEST(Pareto, HypervolumeKnownValues)
{
    EXPECT_DOUBLE_EQ(hypervolume({{1, 1}}, {3, 3}), 4.0);
    // Two boxes [1,4]x[2,4] and [2,4]x[1,4]: union = 3*2 + 2*3 - 2*2 = 8.
    EXPECT_DOUBLE_EQ(hypervolume({{1, 2}, {2, 1}}, {4, 4}), 8.0);
    // Dominated points and points beyond the reference add nothing.
    EXPECT_DOUBLE_EQ(hypervolume({{1, 2}, {2, 1}, {3, 3}, {5, 0}}, {4, 4}), 8.0);
    EXPECT_DOUBLE_EQ(hypervolume({}, {1, 1}), 0.0);
    // 3-D: unit-cube corners.
    EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {1, 1, 1}), 1.0);
    EXPECT_DOUBLE_EQ(hypervolume({{0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}}, {1, 1, 1}), 0.5);
}

TEST(Pareto, HypervolumeMatchesMonteCarloIn3D)
{
    lwb::tuner::detail::Rng rng(4);
    std::vector<std::vector<double>> points;
    for (int i = 0; i < 25; ++i)
        points.push_back({rng.uniform(), rng.uniform(), rng.uniform()});
    double exact = hypervolume(points, {1, 1, 1});
    int inside = 0;
    const int samples = 200000;
    for (int s = 0; s < samples; ++s) {
        std::vector<double> z = {rng.uniform(), rng.uniform(), rng.uniform()};
        for (const auto& p : points) {
            if (p[0] <= z[0] && p[1] <= z[1] && p[2] <= z[2]) {
                ++inside;
                break;
            }
        }
    }
    EXPECT_NEAR(exact, static_cast<double>(inside) / samples, 0.005);
}

TEST(Pareto, MaximisedObjectivesAreFlipped)
{
    std::vector<Objective> objectives = {{"latency", Direction::Minimize}, {"throughput", Direction::Maximize}};
    EXPECT_EQ(toMinimization({3.0, 100.0}, objectives), (std::vector<double> {3.0, -100.0}));
}
