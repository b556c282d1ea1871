// The measurement protocol on scripted sessions: stops when stable, keeps every sample, marks
// noisy trials, honours max_samples, pruning, errors and the training-to-quality modes.
#include "lwb/workbench/measurement.h"

#include <gtest/gtest.h>

using namespace lwb;
using namespace lwb::workbench;

namespace {

/// Returns scripted per-window throughputs and losses.
class ScriptedSession : public engine::WorkloadSession {
public:
    ScriptedSession(std::vector<double> rates, std::vector<double> losses = {})
        : m_rates(std::move(rates))
        , m_losses(std::move(losses))
    {
    }
    Result<engine::WindowResult> runWindow(engine::RunContext& ctx) override
    {
        if (m_failAt >= 0 && m_calls == m_failAt)
            return fail(ErrorCode::OutOfMemory, "needs 3 GiB, budget 1 GiB", LWB_WHERE);
        std::size_t i = static_cast<std::size_t>(m_calls++);
        engine::WindowResult w;
        w.seconds = 0.5;
        w.metrics["tokens_per_s"] = m_rates[std::min(i, m_rates.size() - 1)];
        if (!m_losses.empty()) {
            double loss = m_losses[std::min(i, m_losses.size() - 1)];
            w.intermediate.push_back({static_cast<std::int64_t>(i), loss});
            if (ctx.report(static_cast<std::int64_t>(i), loss))
                return fail(ErrorCode::Cancelled, "pruned", LWB_WHERE);
        }
        return w;
    }
    std::map<std::string, double> summary() override { return {{"peak_memory_gb", 1.5}}; }

    int m_calls = 0;
    int m_failAt = -1;

private:
    std::vector<double> m_rates;
    std::vector<double> m_losses;
};

class PruneAfter : public engine::RunContext {
public:
    explicit PruneAfter(int reports)
        : m_left(reports)
    {
    }
    bool report(std::int64_t, double) override { return --m_left < 0; }

private:
    int m_left;
};

} // namespace

TEST(Measurement, StopsWhenStableAndKeepsSamples)
{
    ScriptedSession s({50, 100, 101, 99, 100, 100, 100});
    engine::RunContext ctx;
    MeasurementRules rules;
    rules.warmupWindows = 1;
    rules.minSamples = 3;
    rules.maxSamples = 10;
    rules.maxNoise = 0.02;
    auto m = measure(s, ctx, rules, "tokens_per_s");
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_TRUE(m->stable);
    EXPECT_EQ(m->stopReason, StopReason::Stable);
    EXPECT_EQ(m->warmupWindows, 1);
    EXPECT_EQ(m->measuredWindows, 3);
    EXPECT_EQ(m->samples.at("tokens_per_s"), (std::vector<double> {100, 101, 99}));
    EXPECT_DOUBLE_EQ(*m->value("tokens_per_s"), 100);
    EXPECT_DOUBLE_EQ(*m->value("peak_memory_gb"), 1.5);
    EXPECT_FALSE(m->value("nothing"));
}

TEST(Measurement, NoisyTrialIsMarkedAfterMaxSamples)
{
    ScriptedSession s({100, 60, 140, 70, 130, 65, 135, 80});
    engine::RunContext ctx;
    MeasurementRules rules;
    rules.warmupWindows = 0;
    rules.minSamples = 3;
    rules.maxSamples = 6;
    rules.maxNoise = 0.05;
    auto m = measure(s, ctx, rules, "tokens_per_s");
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->stable);
    EXPECT_EQ(m->stopReason, StopReason::MaxSamples);
    EXPECT_EQ(m->measuredWindows, 6);
    EXPECT_GT(m->noise, 0.05);
    EXPECT_EQ(m->toJson()["stop_reason"], "max_samples");
}

TEST(Measurement, MissingPrimaryMetricIsAnError)
{
    ScriptedSession s({100});
    engine::RunContext ctx;
    auto m = measure(s, ctx, {}, "p99_latency_ms");
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find("tokens_per_s"), std::string::npos) << m.error().message;
}

TEST(Measurement, SessionErrorsPropagate)
{
    ScriptedSession s({100, 100, 100});
    s.m_failAt = 1;
    engine::RunContext ctx;
    auto m = measure(s, ctx, {}, "tokens_per_s");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::OutOfMemory);
}

TEST(Measurement, PruningEndsTheTrial)
{
    ScriptedSession s({100, 100, 100, 100, 100}, {5.0, 4.9, 4.8, 4.7, 4.6});
    PruneAfter ctx(2);
    MeasurementRules rules;
    rules.warmupWindows = 0;
    rules.minSamples = 5;
    rules.maxNoise = 0.5;
    auto m = measure(s, ctx, rules, "tokens_per_s");
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_EQ(m->stopReason, StopReason::Pruned);
    EXPECT_EQ(m->intermediate.size(), 3u);
}

TEST(Measurement, TimeToTargetLoss)
{
    ScriptedSession s({100}, {5.0, 3.0, 2.0, 1.4, 1.0});
    engine::RunContext ctx;
    MeasurementRules rules;
    rules.mode = MeasurementMode::TimeToTargetLoss;
    rules.targetLoss = 1.5;
    auto m = measure(s, ctx, rules, "time_to_target_s");
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_EQ(m->stopReason, StopReason::TargetReached);
    EXPECT_DOUBLE_EQ(*m->value("time_to_target_s"), 2.0); // 4 windows of 0.5 s
}

TEST(Measurement, LossAfterTimeBudget)
{
    ScriptedSession s({100}, {5.0, 3.0, 2.0, 1.4, 1.0});
    engine::RunContext ctx;
    MeasurementRules rules;
    rules.mode = MeasurementMode::LossAfterTime;
    rules.timeBudgetSeconds = 1.5;
    auto m = measure(s, ctx, rules, "final_loss");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->stopReason, StopReason::TimeBudget);
    EXPECT_DOUBLE_EQ(*m->value("final_loss"), 2.0);
}
