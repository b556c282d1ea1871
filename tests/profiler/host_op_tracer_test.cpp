// HostOpTracer and CaptureSchedule: which steps are captured, per-thread buffers from many
// threads, names interned by pointer, the record cap counted as drops, and a capture of a real
// CPU loop whose op totals match its measured step time.
#include "lwb/core/clock.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/profiler/summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

using namespace lwb;
using namespace lwb::profiler;

namespace {

OpEvent op(const char* name, std::int64_t start, std::int64_t end, std::uint32_t thread = 0, std::int64_t step = -1,
    OpCategory category = OpCategory::Compute)
{
    OpEvent e;
    e.name = name;
    e.category = category;
    e.stream = thread;
    e.startNs = start;
    e.endNs = end;
    e.step = step;
    return e;
}

} // namespace

TEST(CaptureSchedule, SkipCaptureStopOrRepeat)
{
    auto all = CaptureSchedule::all();
    EXPECT_TRUE(all.capturesEverything());
    EXPECT_TRUE(all.captures(0));
    EXPECT_FALSE(all.finishedAfter(1000));

    auto once = CaptureSchedule::window(2, 3);
    std::vector<bool> got;
    for (int i = 0; i < 7; ++i)
        got.push_back(once.captures(i));
    EXPECT_EQ(got, (std::vector<bool> {false, false, true, true, true, false, false}));
    EXPECT_FALSE(once.finishedAfter(3));
    EXPECT_TRUE(once.finishedAfter(4));

    auto repeat = CaptureSchedule::window(1, 2, CaptureRepeat::Repeat);
    got.clear();
    for (int i = 0; i < 7; ++i)
        got.push_back(repeat.captures(i));
    EXPECT_EQ(got, (std::vector<bool> {false, true, true, false, true, true, false}));
    EXPECT_FALSE(repeat.finishedAfter(100));
    EXPECT_FALSE(CaptureSchedule::window(0, 0).captures(0));
}

TEST(HostOpTracer, RecordsEverythingByDefaultWithRelativeTimes)
{
    HostOpTracer tracer;
    std::int64_t t = monotonicNs();
    tracer.onOp(op("matmul", t, t + 100));
    tracer.onOp(op("gelu", t + 100, t + 150, 0, -1, OpCategory::Compute));
    tracer.onOp(op("h2d", t + 150, t + 170, 0, -1, OpCategory::Memcpy));
    tracer.onOp(op("wait", t + 170, t + 180, 0, -1, OpCategory::Sync));
    Trace trace = tracer.finish();
    ASSERT_EQ(trace.records.size(), 4u);
    EXPECT_EQ(trace.source, "host-op-tracer");
    EXPECT_GT(trace.sessionStartNs, 0);
    EXPECT_LE(trace.sessionStartNs, t);
    EXPECT_GT(trace.utcEpochNs, 1'600'000'000'000'000'000);
    const ActivityRecord& first = trace.records[0];
    EXPECT_EQ(trace.nameOf(first), "matmul");
    EXPECT_EQ(first.start, t - trace.sessionStartNs);
    EXPECT_EQ(first.duration(), 100);
    EXPECT_EQ(first.device, kHostDevice);
    EXPECT_EQ(first.kind, RecordKind::Kernel);
    EXPECT_TRUE(first.flags & kHostOp);
    EXPECT_EQ(trace.records[2].kind, RecordKind::Memcpy);
    EXPECT_EQ(trace.records[3].kind, RecordKind::Sync);
    // Recording stops at finish().
    tracer.onOp(op("late", t, t + 1));
    EXPECT_TRUE(tracer.finish().records.empty());
}

TEST(HostOpTracer, ManyThreadsInternByPointerAndText)
{
    HostOpTracer tracer;
    static const char* kNames[] = {"matmul_fwd", "layernorm_fwd", "attention_fwd"};
    static char copyOfMatmul[] = "matmul_fwd"; // same text, another pointer
    constexpr int kThreads = 4, kOps = 5000;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&tracer, i] {
            for (int k = 0; k < kOps; ++k) {
                std::int64_t t = monotonicNs();
                const char* name = (i == 3 && k % 2) ? copyOfMatmul : kNames[k % 3];
                tracer.onOp(op(name, t, t + 10, static_cast<std::uint32_t>(i)));
            }
        });
    }
    for (auto& t : threads)
        t.join();
    Trace trace = tracer.finish();
    EXPECT_EQ(trace.records.size(), static_cast<std::size_t>(kThreads * kOps));
    EXPECT_EQ(trace.stats.droppedRecords, 0);
    std::set<std::string> names;
    std::map<std::uint32_t, int> perThread;
    for (const ActivityRecord& r : trace.records) {
        names.insert(trace.nameOf(r));
        ++perThread[r.stream];
    }
    EXPECT_EQ(names, (std::set<std::string> {"matmul_fwd", "layernorm_fwd", "attention_fwd"}));
    EXPECT_EQ(trace.strings.size(), 5u); // "", the three names and "step"
    EXPECT_EQ(perThread.size(), 4u);
    for (auto& [thread, n] : perThread)
        EXPECT_EQ(n, kOps);
    EXPECT_EQ(trace.trackNames.size(), 4u);
    EXPECT_NE(trace.trackNames[(TrackKey {kHostDevice, 2})].find("CPU thread 2 (tid "), std::string::npos);
    for (std::size_t i = 1; i < trace.records.size(); ++i)
        ASSERT_LE(trace.records[i - 1].start, trace.records[i].start);
}

TEST(HostOpTracer, ScheduleKeepsOnlyCapturedStepsAndMarksThem)
{
    HostOpTracer tracer({CaptureSchedule::window(1, 2)});
    EXPECT_FALSE(tracer.capturing());
    for (std::int64_t step = 10; step < 15; ++step) {
        tracer.onStepBegin(step);
        std::int64_t t = monotonicNs();
        tracer.onOp(op("work", t, t + 5, 0, step));
        tracer.onStepEnd(step);
        EXPECT_EQ(tracer.captureComplete(), step >= 12) << step;
    }
    tracer.onOp(op("after", 0, 1)); // between/after steps: not captured
    EXPECT_EQ(tracer.capturedSteps(), 2);
    Trace trace = tracer.finish();
    std::vector<std::int64_t> opSteps, markerSteps;
    for (const ActivityRecord& r : trace.records) {
        if (r.kind == RecordKind::Marker) {
            EXPECT_EQ(r.category, OpCategory::Step);
            EXPECT_EQ(trace.nameOf(r), "step");
            markerSteps.push_back(r.step);
        } else {
            opSteps.push_back(r.step);
        }
    }
    EXPECT_EQ(opSteps, (std::vector<std::int64_t> {11, 12}));
    EXPECT_EQ(markerSteps, (std::vector<std::int64_t> {11, 12}));
    TraceSummary s = summarize(trace);
    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_EQ(s.steps[0].step, 11);
}

TEST(HostOpTracer, RecordCapIsCountedAsDropped)
{
    HostOpTracer tracer({CaptureSchedule::all(), 100});
    for (int i = 0; i < 250; ++i)
        tracer.onOp(op("x", i, i + 1));
    Trace trace = tracer.finish();
    EXPECT_EQ(trace.records.size(), 100u);
    EXPECT_EQ(trace.stats.droppedRecords, 150);
    EXPECT_NE(trace.stats.dropReason.find("100 records per thread"), std::string::npos) << trace.stats.dropReason;
}

// A real CPU workload (a dot-product loop split into three ops per step) traced while its steps
// are timed: the ops cover the measured step time within 5%. Stands in for the engine's
// gpt-train capture until the engine exists (see docs/profiler.md).
TEST(HostOpTracer, CpuLoopOpTotalsMatchMeasuredStepTime)
{
    HostOpTracer tracer({CaptureSchedule::window(1, 3)});
    std::vector<float> a(1 << 16, 1.0f), b(1 << 16, 0.5f);
    volatile float sink = 0;
    auto kernel = [&](int repeats) {
        float acc = 0;
        for (int r = 0; r < repeats; ++r)
            for (std::size_t i = 0; i < a.size(); ++i)
                acc += a[i] * b[i] + static_cast<float>(r);
        sink = sink + acc;
    };
    static const char* kOps[] = {"forward", "backward", "update"};
    std::vector<std::int64_t> stepTimes;
    for (std::int64_t step = 0; step < 5; ++step) {
        std::int64_t begin = monotonicNs();
        tracer.onStepBegin(step);
        for (int k = 0; k < 3; ++k) {
            OpEvent e = op(kOps[k], 0, 0, 0, step);
            e.startNs = monotonicNs();
            kernel(20 + 10 * k);
            e.endNs = monotonicNs();
            tracer.onOp(e);
        }
        tracer.onStepEnd(step);
        if (step >= 1 && step <= 3)
            stepTimes.push_back(monotonicNs() - begin);
    }
    Trace trace = tracer.finish();
    TraceSummary s = summarize(trace);
    ASSERT_EQ(s.steps.size(), 3u);
    std::int64_t opTotal = 0, measured = 0;
    for (const StepBreakdown& step : s.steps)
        opTotal += step.opTotalNs;
    for (std::int64_t t : stepTimes)
        measured += t;
    double ratio = static_cast<double>(opTotal) / static_cast<double>(measured);
    EXPECT_GT(ratio, 0.95) << opTotal << " of " << measured;
    EXPECT_LE(ratio, 1.0);
}

// A host-tracer trace and a CUPTI trace of the same run share CLOCK_MONOTONIC: merge() shifts the
// second by the difference of the session starts and re-interns its strings.
TEST(Trace, MergeAlignsTimeBasesAndStrings)
{
    Trace host;
    host.source = "host-op-tracer";
    host.sessionStartNs = 1'000'000;
    ActivityRecord op;
    op.name = op.shortName = host.strings.intern("matmul");
    op.start = 100;
    op.end = 200;
    host.records.push_back(op);
    Trace gpu;
    gpu.source = "cupti";
    gpu.sessionStartNs = 1'000'500; // started 500 ns later
    gpu.stats.droppedRecords = 3;
    gpu.stats.dropReason = "CUPTI dropped 3 records";
    ActivityRecord kernel;
    kernel.kind = RecordKind::Kernel;
    kernel.device = 0;
    kernel.stream = 7;
    gpu.strings.intern("unused");
    kernel.name = kernel.shortName = gpu.strings.intern("gemm");
    kernel.start = 0;
    kernel.end = 50;
    gpu.records.push_back(kernel);
    ActivityRecord untimed = kernel;
    untimed.flags = kNoTimestamp;
    untimed.start = untimed.end = 0;
    gpu.records.push_back(untimed);

    host.merge(gpu);
    ASSERT_EQ(host.records.size(), 3u);
    EXPECT_EQ(host.source, "host-op-tracer+cupti");
    EXPECT_EQ(host.nameOf(host.records[1]), "gemm");
    EXPECT_EQ(host.records[1].start, 500);
    EXPECT_EQ(host.records[1].end, 550);
    EXPECT_EQ(host.records[2].start, 0); // untimed records keep 0
    EXPECT_EQ(host.stats.droppedRecords, 3);
    EXPECT_EQ(host.stats.dropReason, "CUPTI dropped 3 records");
    host.sortByStart();
    EXPECT_EQ(host.nameOf(host.records[0]), "gemm"); // untimed (0) first, then 100, 500
    EXPECT_EQ(host.span(), (std::pair<std::int64_t, std::int64_t> {100, 550}));
}
