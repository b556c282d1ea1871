// Statistics against values computed by hand / published tables.
#include "lwb/workbench/statistics.h"

#include <gtest/gtest.h>

#include <random>

using namespace lwb::workbench;

TEST(Statistics, QuantilesAndSummary)
{
    std::vector<double> v {5, 1, 4, 2, 3};
    EXPECT_DOUBLE_EQ(median(v), 3);
    EXPECT_DOUBLE_EQ(quantile(v, 0.25), 2);
    EXPECT_DOUBLE_EQ(quantile(v, 0.75), 4);
    EXPECT_DOUBLE_EQ(quantile(v, 0.1), 1.4);
    Distribution d = summarize(v);
    EXPECT_EQ(d.count, 5u);
    EXPECT_DOUBLE_EQ(d.mean, 3);
    EXPECT_NEAR(d.stddev, std::sqrt(2.5), 1e-12);
    EXPECT_NEAR(d.relativeStddev(), std::sqrt(2.5) / 3, 1e-12);
    EXPECT_DOUBLE_EQ(d.iqr(), 2);
    // n = 5 is too small for a 95% order-statistic interval: min..max.
    EXPECT_DOUBLE_EQ(d.ciLow, 1);
    EXPECT_DOUBLE_EQ(d.ciHigh, 5);
}

TEST(Statistics, MedianConfidenceIntervalUsesOrderStatistics)
{
    // n = 10: P(Bin(10, .5) <= 1) = 11/1024, so (x_(2), x_(9)) covers 97.9%; (x_(3), x_(8)) only 89%.
    std::vector<double> v {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    Distribution d = summarize(v);
    EXPECT_DOUBLE_EQ(d.ciLow, 2);
    EXPECT_DOUBLE_EQ(d.ciHigh, 9);
    EXPECT_DOUBLE_EQ(d.median, 5.5);
}

TEST(Statistics, MannWhitneyExactSmallSamples)
{
    // Completely separated samples of 4 and 4: U = 0, exact two-sided p = 2/70.
    std::vector<double> a {1, 2, 3, 4}, b {5, 6, 7, 8};
    auto r = mannWhitneyU(a, b);
    EXPECT_TRUE(r.exact);
    EXPECT_DOUBLE_EQ(r.u, 0);
    EXPECT_NEAR(r.pValue, 2.0 / 70.0, 1e-12);
    // Interleaved samples: no evidence.
    std::vector<double> c {1, 3, 5, 7}, d {2, 4, 6, 8};
    auto s = mannWhitneyU(c, d);
    EXPECT_DOUBLE_EQ(s.u, 6);
    EXPECT_GT(s.pValue, 0.5);
}

TEST(Statistics, MannWhitneyNormalApproximationWithTies)
{
    std::vector<double> a, b;
    std::mt19937 rng(7);
    std::normal_distribution<double> n0(100, 2), n1(104, 2);
    for (int i = 0; i < 30; ++i) {
        a.push_back(std::round(n0(rng)));
        b.push_back(std::round(n1(rng)));
    }
    auto r = mannWhitneyU(a, b);
    EXPECT_FALSE(r.exact);
    EXPECT_LT(r.pValue, 1e-4);
    auto same = mannWhitneyU(a, a);
    EXPECT_GT(same.pValue, 0.9);
}

TEST(Statistics, EmptyInputsAreHarmless)
{
    std::vector<double> none;
    EXPECT_EQ(summarize(none).count, 0u);
    EXPECT_DOUBLE_EQ(mannWhitneyU(none, none).pValue, 1);
}
