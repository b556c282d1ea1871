// Acceptance: a real capture of a CPU engine workload (gpt-train, a small GPT on one thread)
// through HostOpTracer gives a trace whose op totals match the step time the workload measured
// itself within 5%; the trace stores, summarises and exports like any other.
#include "lwb/core/study_file.h"
#include "lwb/engine/workload.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

using namespace lwb;
using namespace lwb::profiler;

namespace {

class TracingContext final : public engine::RunContext {
public:
    explicit TracingContext(OpObserver* observer)
        : m_observer(observer)
    {
    }
    OpObserver* observer() override { return m_observer; }

private:
    OpObserver* m_observer;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

TEST(EngineCapture, GptTrainOpTotalsMatchMeasuredStepTime)
{
    auto workload = engine::makeBuiltinWorkload("gpt-train");
    ASSERT_TRUE(workload) << workload.error().describe();
    // Steps of tens of ms: a scheduler preemption between two ops (the machine is shared) is then
    // a small part of the total.
    engine::Config partial = {{"n_layer", std::int64_t {2}}, {"n_embd", std::int64_t {256}},
        {"n_head", std::int64_t {4}}, {"seq_len", std::int64_t {128}}, {"batch_size", std::int64_t {8}},
        {"threads", std::int64_t {1}}, {"replicas", std::int64_t {1}}, {"steps_per_window", std::int64_t {8}}};
    auto config = (*workload)->resolve(partial);
    ASSERT_TRUE(config) << config.error().describe();

    // Capture every step of the window, so that the workload's median step time and the trace
    // describe the same steps.
    HostOpTracer tracer({CaptureSchedule::window(0, 8)});
    TracingContext context(&tracer);
    auto session = (*workload)->prepare(*config, context);
    ASSERT_TRUE(session) << session.error().describe();
    auto window = (*session)->runWindow(context);
    ASSERT_TRUE(window) << window.error().describe();
    EXPECT_TRUE(tracer.captureComplete());
    Trace trace = tracer.finish();
    ASSERT_GT(trace.records.size(), 50u);
    EXPECT_EQ(trace.stats.droppedRecords, 0);

    TraceSummary summary = summarize(trace);
    ASSERT_EQ(summary.steps.size(), 8u);
    EXPECT_EQ(summary.steps.front().step, 1);
    EXPECT_EQ(summary.primaryDevice, "cpu");
    std::vector<double> walls;
    double opTotal = 0, busy = 0, wall = 0;
    for (const StepBreakdown& s : summary.steps) {
        walls.push_back(static_cast<double>(s.wallNs) * 1e-6);
        opTotal += static_cast<double>(s.opTotalNs) * 1e-6;
        busy += static_cast<double>(s.busyNs) * 1e-6;
        wall += static_cast<double>(s.wallNs) * 1e-6;
    }
    // The step markers are the workload's own measurement (its median step time of the window)...
    double measuredMs = window->metrics.at("step_time_ms");
    std::printf("gpt-train, 8 steps: ops %.3f ms, busy %.3f ms, steps %.3f ms (%.2f%% covered by ops); median step "
                "%.3f ms captured, %.3f ms measured by the workload\n",
        opTotal, busy, wall, 100 * opTotal / wall, median(walls), measuredMs);
    EXPECT_NEAR(median(walls), measuredMs, 0.01 * measuredMs);
    // ... and the ops (one thread, not nested) account for that time within 5%.
    EXPECT_GE(opTotal, 0.95 * wall);
    EXPECT_LE(opTotal, 1.001 * wall);
    EXPECT_DOUBLE_EQ(busy, opTotal);
    EXPECT_FALSE(summary.group("cpu_op").empty());

    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(study_file::initialise(*db));
    auto store = TraceStore::open(*db);
    auto id = store->write(trace, {"gpt-train", 1, ""});
    ASSERT_TRUE(id) << id.error().describe();
    auto stored = store->summary(*id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->steps.size(), 8u);
}
