// Step windows of a host trace and the clipping of another capture to them (step_windows.h).
#include "lwb/profiler/step_windows.h"

#include <gtest/gtest.h>

namespace lwb::profiler {
namespace {

ActivityRecord stepMarker(std::int64_t step, std::int64_t start, std::int64_t end)
{
    ActivityRecord r;
    r.kind = RecordKind::Marker;
    r.category = OpCategory::Step;
    r.flags = kHostOp;
    r.step = step;
    r.start = start;
    r.end = end;
    return r;
}

ActivityRecord kernel(std::int64_t start, std::int64_t end)
{
    ActivityRecord r;
    r.device = 0;
    r.start = start;
    r.end = end;
    return r;
}

TEST(StepWindows, AreTheStepMarkersOnTheAbsoluteTimeBase)
{
    Trace host;
    host.sessionStartNs = 1000;
    host.records = {stepMarker(7, 500, 600), stepMarker(5, 100, 200)};
    ActivityRecord op; // host ops are not windows
    op.flags = kHostOp;
    op.start = 0;
    op.end = 10'000;
    host.records.push_back(op);
    auto w = stepWindows(host);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].step, 5);
    EXPECT_EQ(w[0].startNs, 1100);
    EXPECT_EQ(w[0].endNs, 1200);
    EXPECT_EQ(w[1].step, 7);
    EXPECT_EQ(w[1].startNs, 1500);
}

TEST(StepWindows, KeepOnlyRecordsOverlappingAStepAndTagThem)
{
    std::vector<StepWindow> windows {{3, 1100, 1200}, {4, 1500, 1600}};
    Trace gpu;
    gpu.sessionStartNs = 1000; // the same instant as the absolute 1000 ns
    gpu.records = {
        kernel(0, 50), // before every step
        kernel(90, 110), // overlaps step 3's start
        kernel(150, 160), // inside step 3
        kernel(300, 400), // between the steps
        kernel(590, 700), // overlaps step 4's end
        kernel(900, 950), // after the last step
    };
    ActivityRecord untimed = kernel(0, 0);
    untimed.flags = kNoTimestamp;
    gpu.records.push_back(untimed);
    ActivityRecord tagged = kernel(520, 530);
    tagged.step = 99; // a step the source knew is kept
    gpu.records.push_back(tagged);

    EXPECT_EQ(keepStepWindows(gpu, windows), 4u);
    ASSERT_EQ(gpu.records.size(), 5u);
    EXPECT_EQ(gpu.records[0].start, 90);
    EXPECT_EQ(gpu.records[0].step, 3);
    EXPECT_EQ(gpu.records[1].step, 3);
    EXPECT_EQ(gpu.records[2].start, 590);
    EXPECT_EQ(gpu.records[2].step, 4);
    EXPECT_FALSE(gpu.records[3].hasTimestamp());
    EXPECT_EQ(gpu.records[4].step, 99);
    EXPECT_EQ(gpu.stats.filteredRecords, 3);
}

TEST(StepWindows, NoWindowsKeepNothingTimed)
{
    Trace gpu;
    gpu.records = {kernel(0, 10)};
    EXPECT_EQ(keepStepWindows(gpu, {}), 0u);
    EXPECT_TRUE(gpu.records.empty());
    EXPECT_EQ(gpu.stats.filteredRecords, 1);
}

} // namespace
} // namespace lwb::profiler
