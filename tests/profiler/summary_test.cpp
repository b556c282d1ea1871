// Summaries and comparison on synthetic traces whose numbers were computed by hand (see
// synthetic.h): top ops, busy/idle gaps, compute/copy overlap, launch statistics, steps and the
// wall-time attribution; compare() rows add up to the measured difference.
#include "lwb/profiler/compare.h"
#include "lwb/profiler/export.h"
#include "lwb/profiler/summary.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace lwb;
using namespace lwb::profiler;
using namespace lwb::profiler::test;

namespace {

const OpStats* findOp(const TraceSummary& s, std::string_view group, std::string_view name)
{
    for (const OpStats& op : s.topOps)
        if (op.group == group && op.name == name)
            return &op;
    return nullptr;
}

const AttributionEntry* findShare(const TraceSummary& s, std::string_view name, bool idle)
{
    for (const AttributionEntry& e : s.attribution)
        if (e.name == name && e.idle == idle)
            return &e;
    return nullptr;
}

} // namespace

TEST(DurationStats, ExactValues)
{
    DurationStats s = DurationStats::of({400, 200, 400, 300});
    EXPECT_EQ(s.count, 4);
    EXPECT_EQ(s.totalNs, 1300);
    EXPECT_DOUBLE_EQ(s.meanNs, 325);
    EXPECT_DOUBLE_EQ(s.medianNs, 350);
    EXPECT_EQ(s.minNs, 200);
    EXPECT_EQ(s.maxNs, 400);
    EXPECT_NEAR(s.stddevNs, 95.742710775633810, 1e-9);
    EXPECT_EQ(DurationStats::of({}).count, 0);
    EXPECT_DOUBLE_EQ(DurationStats::of({7}).medianNs, 7);
}

TEST(Summary, GpuTopKernelsGapsOverlapLaunch)
{
    TraceSummary s = summarize(gpuTrace());
    EXPECT_EQ(s.primaryDevice, "gpu0");
    EXPECT_EQ(s.recordCount, 9);
    EXPECT_EQ(s.spanNs, 440);

    const OpStats* a = findOp(s, "gpu_kernel", "A");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->stats.count, 2);
    EXPECT_EQ(a->stats.totalNs, 200);
    EXPECT_DOUBLE_EQ(a->stats.meanNs, 100);
    EXPECT_DOUBLE_EQ(a->stats.medianNs, 100);
    EXPECT_EQ(a->stats.minNs, 100);
    EXPECT_EQ(a->stats.maxNs, 100);
    EXPECT_NEAR(a->percent, 200.0 / 3.0, 1e-9);
    const OpStats* b = findOp(s, "gpu_kernel", "B");
    ASSERT_NE(b, nullptr);
    EXPECT_NEAR(b->percent, 100.0 / 3.0, 1e-9);
    auto kernels = s.group("gpu_kernel");
    ASSERT_EQ(kernels.size(), 2u);
    EXPECT_EQ(kernels[0].name, "A"); // longest total first
    const OpStats* launch = findOp(s, "api", "cudaLaunchKernel_v7000");
    ASSERT_NE(launch, nullptr);
    EXPECT_EQ(launch->stats.count, 3);
    EXPECT_EQ(launch->stats.totalNs, 60);
    EXPECT_DOUBLE_EQ(launch->stats.medianNs, 20);
    EXPECT_EQ(findOp(s, "memcpy", "[CUDA memcpy Host-to-Device]")->stats.totalNs, 100);
    EXPECT_EQ(findOp(s, "memset", "[CUDA memset]")->stats.totalNs, 20);

    ASSERT_EQ(s.devices.size(), 1u);
    const Utilization& gpu = s.devices[0];
    EXPECT_EQ(gpu.device, "gpu0");
    EXPECT_EQ(gpu.firstNs, 50);
    EXPECT_EQ(gpu.lastNs, 440);
    EXPECT_EQ(gpu.busyNs, 320);
    EXPECT_EQ(gpu.idleNs, 70);
    EXPECT_EQ(gpu.gaps.count, 2);
    EXPECT_EQ(gpu.gaps.totalNs, 70);
    EXPECT_EQ(gpu.gaps.maxNs, 50);
    ASSERT_EQ(gpu.largestGaps.size(), 2u);
    EXPECT_EQ(gpu.largestGaps[0].startNs, 250);
    EXPECT_EQ(gpu.largestGaps[0].endNs, 300);
    EXPECT_EQ(gpu.largestGaps[0].before, "B");
    EXPECT_EQ(gpu.largestGaps[0].after, "A");
    EXPECT_EQ(gpu.largestGaps[1].after, "[CUDA memset]");

    ASSERT_EQ(s.tracks.size(), 2u); // streams 7 and 8 (API calls are not busy time)
    EXPECT_EQ(s.tracks[0].busyNs, 300);
    EXPECT_EQ(s.tracks[1].busyNs, 120);

    ASSERT_EQ(s.overlap.size(), 1u);
    EXPECT_EQ(s.overlap[0].computeNs, 300);
    EXPECT_EQ(s.overlap[0].copyNs, 100);
    EXPECT_EQ(s.overlap[0].overlapNs, 100);
    EXPECT_DOUBLE_EQ(s.overlap[0].copyOverlappedPercent, 100);

    EXPECT_EQ(s.launch.launches, 4);
    EXPECT_EQ(s.launch.unmatched, 1); // the memset has no API call
    EXPECT_EQ(s.launch.apiNs.totalNs, 70);
    EXPECT_DOUBLE_EQ(s.launch.apiNs.medianNs, 15);
    EXPECT_DOUBLE_EQ(s.launch.queueNs.meanNs, 76.25);
    EXPECT_DOUBLE_EQ(s.launch.queueNs.medianNs, 77.5);
    EXPECT_DOUBLE_EQ(s.launch.latencyNs.meanNs, 93.75);
    EXPECT_DOUBLE_EQ(s.launch.latencyNs.medianNs, 97.5);

    ASSERT_EQ(s.steps.size(), 1u); // no markers, no step numbers: the whole span
    EXPECT_EQ(s.steps[0].step, -1);
    EXPECT_EQ(s.steps[0].wallNs, 390);
    EXPECT_EQ(s.steps[0].busyNs, 320);
    EXPECT_EQ(s.steps[0].idleNs, 70);
    EXPECT_EQ(s.steps[0].opCount, 5);
    EXPECT_EQ(s.steps[0].opTotalNs, 420);
}

TEST(Summary, AttributionSharesOverlapAndAddsUp)
{
    TraceSummary s = summarize(gpuTrace());
    EXPECT_DOUBLE_EQ(findShare(s, "A", false)->wallNs, 175);
    EXPECT_DOUBLE_EQ(findShare(s, "B", false)->wallNs, 75);
    EXPECT_DOUBLE_EQ(findShare(s, "[CUDA memcpy Host-to-Device]", false)->wallNs, 50);
    EXPECT_DOUBLE_EQ(findShare(s, "[CUDA memset]", false)->wallNs, 20);
    EXPECT_DOUBLE_EQ(findShare(s, "A", true)->wallNs, 50);
    EXPECT_DOUBLE_EQ(findShare(s, "[CUDA memset]", true)->wallNs, 20);
    double total = 0;
    for (const AttributionEntry& e : s.attribution)
        total += e.wallNs;
    EXPECT_DOUBLE_EQ(total, static_cast<double>(s.stepWallNs));
}

TEST(Summary, CpuStepsFromMarkers)
{
    TraceSummary s = summarize(cpuStepTrace());
    EXPECT_EQ(s.primaryDevice, "cpu");
    const OpStats* matmul = findOp(s, "cpu_op", "matmul");
    ASSERT_NE(matmul, nullptr);
    EXPECT_EQ(matmul->stats.count, 4);
    EXPECT_EQ(matmul->stats.totalNs, 1300);
    EXPECT_DOUBLE_EQ(matmul->stats.medianNs, 350);
    EXPECT_NEAR(matmul->percent, 1300.0 / 1900.0 * 100.0, 1e-9);

    ASSERT_EQ(s.devices.size(), 1u);
    EXPECT_EQ(s.devices[0].busyNs, 1700);
    EXPECT_EQ(s.devices[0].idleNs, 200);
    EXPECT_EQ(s.devices[0].gaps.count, 2);
    ASSERT_EQ(s.tracks.size(), 2u);
    EXPECT_EQ(s.tracks[1].busyNs, 200); // thread 1

    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_EQ(s.steps[0].step, 0);
    EXPECT_EQ(s.steps[0].wallNs, 1000);
    EXPECT_EQ(s.steps[0].busyNs, 900);
    EXPECT_EQ(s.steps[0].idleNs, 100);
    EXPECT_EQ(s.steps[0].opCount, 4);
    EXPECT_EQ(s.steps[0].opTotalNs, 1100);
    EXPECT_EQ(s.steps[1].busyNs, 800);
    EXPECT_EQ(s.steps[1].idleNs, 200);
    EXPECT_EQ(s.steps[1].opCount, 3);
    EXPECT_EQ(s.steps[1].opTotalNs, 800);
    EXPECT_EQ(s.stepWallNs, 2000);

    EXPECT_DOUBLE_EQ(findShare(s, "matmul", false)->wallNs, 1100);
    EXPECT_EQ(findShare(s, "matmul", false)->count, 4);
    EXPECT_DOUBLE_EQ(findShare(s, "gelu", false)->wallNs, 200);
    EXPECT_DOUBLE_EQ(findShare(s, "adamw", false)->wallNs, 400);
    EXPECT_DOUBLE_EQ(findShare(s, "matmul", true)->wallNs, 100);
    EXPECT_DOUBLE_EQ(findShare(s, "adamw", true)->wallNs, 100);
    EXPECT_DOUBLE_EQ(findShare(s, "(end of step)", true)->wallNs, 100);
    EXPECT_EQ(s.attribution.front().name, "matmul");
}

TEST(Summary, JsonRoundTripAndCorruptDocument)
{
    TraceSummary s = summarize(gpuTrace());
    auto back = TraceSummary::fromJson(s.toJson());
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->toJson(), s.toJson());
    auto bad = TraceSummary::fromJson(Json {{"topOps", "not a list"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::Corrupt);
    EXPECT_EQ(TraceSummary::fromJson(Json::array()).error().code, ErrorCode::Corrupt);
}

TEST(Summary, CsvTables)
{
    TraceSummary s = summarize(gpuTrace());
    std::string top = summaryCsv(s, CsvReport::TopOps);
    EXPECT_EQ(top.substr(0, top.find("\r\n")),
        "Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Name,Group");
    EXPECT_NE(top.find("66.7,200,2,100,100,100,100,0,A,gpu_kernel\r\n"), std::string::npos) << top;
    std::string gaps = summaryCsv(s, CsvReport::Gaps);
    EXPECT_NE(gaps.find("gpu0,250,300,50,-1,B,A\r\n"), std::string::npos) << gaps;
    std::string steps = summaryCsv(summarize(cpuStepTrace()), CsvReport::Steps);
    EXPECT_NE(steps.find("0,0,1000,1000,900,100,4,1100\r\n"), std::string::npos) << steps;
    EXPECT_NE(summaryCsv(s, CsvReport::Overlap).find("gpu0,300,100,100,100\r\n"), std::string::npos);
    EXPECT_NE(summaryCsv(s, CsvReport::Launch).find("latency,4,1,4,375,93.750,97.500,50,130"), std::string::npos)
        << summaryCsv(s, CsvReport::Launch);
    EXPECT_NE(summaryCsv(s, CsvReport::Tracks).find("GPU 0 stream 7"), std::string::npos);

    Trace quoted;
    quoted.records.push_back(hostOp(quoted, "add(const float *, int)", 0, 10, 0, -1));
    std::string text = summaryCsv(summarize(quoted), CsvReport::TopOps);
    EXPECT_NE(text.find("\"add(const float *, int)\",cpu_op"), std::string::npos) << text;
}

namespace {

Trace oneStep(std::int64_t wall, std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> ops,
    std::int64_t offset = 0, std::int64_t step = 0)
{
    Trace t;
    t.records.push_back(stepMarker(t, step, offset, offset + wall));
    for (auto& [name, s, e] : ops)
        t.records.push_back(hostOp(t, name, offset + s, offset + e, 0, step));
    t.sortByStart();
    return t;
}

double sumOfDeltas(const TraceComparison& c)
{
    return std::accumulate(
        c.rows.begin(), c.rows.end(), 0.0, [](double acc, const CompareRow& r) { return acc + r.deltaNs; });
}

} // namespace

TEST(Compare, RowsRankedAndAddUpToTheDifference)
{
    Trace a = oneStep(1000, {{"X", 0, 600}, {"Y", 700, 1000}});
    Trace b = oneStep(800, {{"X", 0, 400}, {"Y", 400, 800}});
    auto c = compareSummaries(summarize(a), summarize(b));
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_DOUBLE_EQ(c->measuredA, 1000);
    EXPECT_DOUBLE_EQ(c->measuredB, 800);
    EXPECT_DOUBLE_EQ(c->differenceNs, -200);
    ASSERT_EQ(c->rows.size(), 3u);
    EXPECT_EQ(c->rows[0].label(), "X");
    EXPECT_DOUBLE_EQ(c->rows[0].deltaNs, -200);
    EXPECT_DOUBLE_EQ(c->rows[0].shareOfDifference, 1.0);
    EXPECT_EQ(c->rows[1].label(), "Y");
    EXPECT_DOUBLE_EQ(c->rows[1].deltaNs, 100);
    EXPECT_EQ(c->rows[2].label(), "idle before Y");
    EXPECT_DOUBLE_EQ(c->rows[2].aNs, 100);
    EXPECT_DOUBLE_EQ(c->rows[2].bNs, 0);
    EXPECT_DOUBLE_EQ(sumOfDeltas(*c), c->differenceNs);
    ASSERT_EQ(c->steps.size(), 1u);
    EXPECT_EQ(c->steps[0].deltaNs, -200);
    std::string csv = c->toCsv();
    EXPECT_NE(csv.find("X,op,600,400,-200,1,1,1\r\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("(measured),total,1000,800,-200,1"), std::string::npos) << csv;
}

TEST(Compare, PerStepMeansWithDifferentStepCountsAndParallelThreads)
{
    Trace a = cpuStepTrace(); // 2 steps of 1000 ns
    Trace b = oneStep(1500, {{"matmul", 0, 900}, {"gelu", 900, 1000}, {"adamw", 1000, 1500}});
    auto c = compareSummaries(summarize(a), summarize(b));
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->measuredA, 1000);
    EXPECT_DOUBLE_EQ(c->measuredB, 1500);
    EXPECT_NEAR(sumOfDeltas(*c), 500, 1e-9);
    EXPECT_EQ(c->rows[0].label(), "matmul"); // 550 -> 900 per step
    EXPECT_DOUBLE_EQ(c->rows[0].deltaNs, 350);
    EXPECT_EQ(c->rows[1].label(), "adamw"); // 200 -> 500 per step
    EXPECT_DOUBLE_EQ(c->rows[1].deltaNs, 300);
    ASSERT_EQ(c->steps.size(), 2u);
    EXPECT_EQ(c->steps[1].stepB, -1); // B has no second step

    Trace empty;
    auto none = compareSummaries(summarize(empty), summarize(b));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::InvalidArgument);
}

TEST(Compare, RandomTracesAlwaysAddUp)
{
    std::uint64_t seed = 12345;
    auto next = [&](std::int64_t n) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::int64_t>((seed >> 33) % static_cast<std::uint64_t>(n));
    };
    auto make = [&] {
        Trace t;
        std::int64_t at = 0;
        for (int step = 0; step < 3; ++step) {
            std::int64_t wall = 5000 + next(5000);
            t.records.push_back(stepMarker(t, step, at, at + wall));
            for (std::uint32_t thread = 0; thread < 3; ++thread) {
                std::int64_t x = at + next(300);
                while (x < at + wall) {
                    std::int64_t len = 1 + next(700);
                    t.records.push_back(hostOp(t, "op" + std::to_string(next(6)), x, x + len, thread, step));
                    x += len + next(200);
                }
            }
            at += wall;
        }
        t.sortByStart();
        return t;
    };
    Trace a = make(), b = make();
    auto c = compareSummaries(summarize(a), summarize(b));
    ASSERT_TRUE(c);
    EXPECT_NEAR(sumOfDeltas(*c), c->differenceNs, 1e-6 * std::max(1.0, std::abs(c->differenceNs)));
}
