// CI gate classification on controlled samples, fail rules, exit codes and the three report
// formats (JUnit must name the regressed metric).
#include "lwb/workbench/gate.h"

#include <gtest/gtest.h>

#include <random>

using namespace lwb;
using namespace lwb::workbench;

namespace {
std::vector<double> noisy(double center, double rel, int n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> d(center, center * rel);
    std::vector<double> v;
    for (int i = 0; i < n; ++i)
        v.push_back(d(rng));
    return v;
}
} // namespace

TEST(Gate, ClassifiesSlowerFasterSame)
{
    auto base = noisy(1000, 0.01, 10, 1);
    auto slower = noisy(900, 0.01, 10, 2);
    auto faster = noisy(1100, 0.01, 10, 3);
    auto same = noisy(1000, 0.01, 10, 4);
    auto slightlySlower = noisy(990, 0.002, 10, 5);
    using engine::Direction;
    EXPECT_EQ(compareMetric("tokens_per_s", Direction::Maximize, 0.03, base, slower).verdict, Verdict::Slower);
    EXPECT_EQ(compareMetric("tokens_per_s", Direction::Maximize, 0.03, base, faster).verdict, Verdict::Faster);
    EXPECT_EQ(compareMetric("tokens_per_s", Direction::Maximize, 0.03, base, same).verdict, Verdict::Same);
    EXPECT_EQ(compareMetric("tokens_per_s", Direction::Maximize, 0.03, base, slightlySlower).verdict, Verdict::Same);
    // For a latency, higher is worse.
    EXPECT_EQ(compareMetric("p99_latency_ms", Direction::Minimize, 0.03, base, faster).verdict, Verdict::Slower);
}

TEST(Gate, TooFewOrTooNoisySamplesAreInconclusive)
{
    using engine::Direction;
    auto few = compareMetric("x", Direction::Maximize, 0.03, {100, 101}, {90, 91});
    EXPECT_EQ(few.verdict, Verdict::Inconclusive);
    EXPECT_NE(few.reason.find("too few"), std::string::npos);
    // A 5% shift hidden in +-30% noise: not significant, and the samples could not have shown a 3%
    // change either.
    std::vector<double> base {1000, 700, 1300, 900, 1100, 800, 1200, 1000};
    std::vector<double> cur {950, 650, 1250, 850, 1050, 750, 1150, 950};
    auto noisyResult = compareMetric("x", Direction::Maximize, 0.03, base, cur);
    EXPECT_EQ(noisyResult.verdict, Verdict::Inconclusive) << noisyResult.reason;
    EXPECT_EQ(compareMetric("x", Direction::Maximize, 0.03, {}, {1, 2, 3}).verdict, Verdict::Inconclusive);
}

TEST(Gate, FailRules)
{
    auto r = parseFailRule("tokens_per_s:-3%");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->metric, "tokens_per_s");
    EXPECT_DOUBLE_EQ(r->threshold, 0.03);
    EXPECT_DOUBLE_EQ(parseFailRule("p99_latency_ms:+10%")->threshold, 0.10);
    EXPECT_FALSE(parseFailRule("tokens_per_s"));
    EXPECT_FALSE(parseFailRule("tokens_per_s:-300%"));
}

TEST(Gate, ExitCodesAndReports)
{
    GateReport report;
    report.profilePath = "tuned.json";
    auto base = noisy(1000, 0.01, 10, 1);
    report.metrics.push_back(
        compareMetric("tokens_per_s", engine::Direction::Maximize, 0.03, base, noisy(800, 0.01, 10, 2)));
    report.explanation = rankOpDeltas({{"matmul_fwd", 2.0}, {"attention", 1.0}, {"gone", 0.1}},
        {{"matmul_fwd", 2.6}, {"attention", 1.05}, {"new_op", 0.2}});
    EXPECT_EQ(report.exitCode(), ExitCode::CheckFailed);
    ASSERT_EQ(report.explanation.size(), 4u);
    EXPECT_EQ(report.explanation[0].op, "matmul_fwd");
    double sum = 0;
    for (const auto& r : report.explanation)
        sum += r.deltaMs();
    EXPECT_NEAR(sum, (2.6 + 1.05 + 0.2) - (2.0 + 1.0 + 0.1), 1e-12);

    std::string junit = report.toJUnit();
    EXPECT_NE(junit.find("failures=\"1\""), std::string::npos) << junit;
    EXPECT_NE(junit.find("<failure message=\"tokens_per_s regressed"), std::string::npos) << junit;
    EXPECT_NE(junit.find("matmul_fwd"), std::string::npos);
    std::string md = report.toMarkdown();
    EXPECT_NE(md.find("**SLOWER**"), std::string::npos) << md;
    Json j = report.toJson();
    EXPECT_EQ(j["exit_code"], 1);
    EXPECT_EQ(j["metrics"][0]["verdict"], "SLOWER");

    GateReport env;
    env.environmentDifferences = {"CPU model: A here, B in the reference"};
    EXPECT_EQ(env.exitCode(), ExitCode::EnvironmentMismatch);
    env.environmentMismatchAllowed = true;
    EXPECT_EQ(env.exitCode(), ExitCode::Ok);
    env.metrics.push_back(compareMetric("x", engine::Direction::Maximize, 0.03, {1, 2}, {1, 2}));
    EXPECT_EQ(env.exitCode(), ExitCode::Inconclusive);
}
