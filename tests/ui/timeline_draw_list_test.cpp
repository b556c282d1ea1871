// Timeline data path without a window: the in-memory source (lanes, binary-searched queries
// against a brute-force oracle) and the level-of-detail draw list (folding of narrow items,
// wide items never swallowed, bounded work on a 1M-record lane, highlights inside folds).
#include "lwb/ui/snapshots.h"
#include "lwb/ui/timeline_draw_list.h"
#include "lwb/ui/timeline_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

using namespace lwb::ui;

namespace {

TimelineItem item(std::int64_t s, std::int64_t e, std::uint32_t name = 1)
{
    TimelineItem it;
    it.startNs = s;
    it.endNs = e;
    it.nameId = name;
    return it;
}

/// One track with the given items (in any order).
std::shared_ptr<const TimelineSource> oneTrack(const std::vector<TimelineItem>& items, int names = 3)
{
    InMemoryTimelineBuilder b;
    const int t = b.addTrack("GPU 0 stream 7", "GPU 0");
    for (int i = 1; i <= names; ++i) {
        std::string name = "k"; // built in place: g++ 12 misreports "k" + std::string (-Wrestrict)
        name += std::to_string(i);
        b.intern(name);
    }
    for (const auto& it : items)
        b.addItem(t, it);
    return b.finish();
}

} // namespace

TEST(InMemoryTimelineSource, NestsItemsIntoLanes)
{
    // A step marker holding two ops, the second holding a launch; a separate item after.
    auto src = oneTrack({item(0, 100), item(10, 40), item(50, 90), item(60, 70), item(120, 130)});
    ASSERT_EQ(src->tracks().size(), 1u);
    EXPECT_EQ(src->tracks()[0].laneCount, 3);
    EXPECT_EQ(src->tracks()[0].itemCount, 5);
    EXPECT_EQ(src->timeRange(), (TimeRange {0, 130}));
    TrackSlice all = src->query(0, 0, 1000);
    ASSERT_EQ(all.lanes.size(), 3u);
    EXPECT_EQ(all.lanes[0].size(), 2u); // [0,100) and [120,130)
    EXPECT_EQ(all.lanes[1].size(), 2u);
    EXPECT_EQ(all.lanes[2].size(), 1u);
    EXPECT_EQ(all.lanes[2][0].startNs, 60);
    for (const auto& lane : all.lanes)
        for (std::size_t i = 1; i < lane.size(); ++i)
            EXPECT_LE(lane[i - 1].endNs, lane[i].startNs); // non-overlapping inside a lane
}

TEST(InMemoryTimelineSource, NamesAreInterned)
{
    InMemoryTimelineBuilder b;
    b.addTrack("t", "CPU");
    const auto a = b.intern("gemm");
    EXPECT_EQ(b.intern("gemm"), a);
    EXPECT_NE(b.intern("softmax"), a);
    auto src = b.finish();
    EXPECT_EQ(src->name(0), "");
    EXPECT_EQ(src->name(a), "gemm");
    EXPECT_EQ(src->findName("gemm"), a);
    EXPECT_EQ(src->findName("nope"), TimelineSource::kNoName);
    EXPECT_EQ(src->nameCount(), 3u);
    EXPECT_EQ(src->name(999), ""); // out of range is empty, not a crash
}

TEST(InMemoryTimelineSource, QueryMatchesBruteForce)
{
    std::mt19937_64 rng(42);
    std::vector<TimelineItem> items;
    std::int64_t t = 0;
    for (int i = 0; i < 5000; ++i) {
        t += static_cast<std::int64_t>(rng() % 50);
        const std::int64_t d = 1 + static_cast<std::int64_t>(rng() % 40);
        items.push_back(item(t, t + d));
        t += d;
    }
    auto src = oneTrack(items);
    ASSERT_EQ(src->tracks()[0].laneCount, 1);
    for (int q = 0; q < 300; ++q) {
        const std::int64_t a = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(t + 100)) - 50;
        const std::int64_t b = a + static_cast<std::int64_t>(rng() % 2000);
        std::size_t expected = 0;
        for (const auto& it : items)
            expected += it.startNs < b && it.endNs > a;
        TrackSlice s = src->query(0, a, b);
        EXPECT_EQ(s.size(), expected) << a << " " << b;
    }
    EXPECT_EQ(src->query(0, 10, 10).size(), 0u);
    EXPECT_EQ(src->query(7, 0, 100).size(), 0u); // no such track
}

TEST(DrawList, WideItemsAreSingleBoxes)
{
    std::vector<TimelineItem> items {item(0, 100), item(200, 300), item(400, 500)};
    TimelineMapping m(0, 1, 1000); // 1 ns per px: every item is 100 px
    DrawList out;
    foldLane(items, m, {}, 0, 0, out);
    ASSERT_EQ(out.boxes.size(), 3u);
    EXPECT_EQ(out.foldedBoxes, 0u);
    EXPECT_FLOAT_EQ(out.boxes[1].x0, 200);
    EXPECT_FLOAT_EQ(out.boxes[1].x1, 300);
    EXPECT_EQ(out.boxes[1].count, 1u);
    EXPECT_EQ(out.hit(0, 250), &out.boxes[1]);
    EXPECT_EQ(out.hit(0, 350), nullptr);
    EXPECT_EQ(out.hit(1, 250), nullptr);
}

TEST(DrawList, NarrowNeighboursFoldIntoOneBox)
{
    // 100 items of 1 ns every 2 ns, at 1 ns/px with a 3 px threshold: one fold.
    std::vector<TimelineItem> items;
    for (int i = 0; i < 100; ++i)
        items.push_back(item(2 * i, 2 * i + 1));
    TimelineMapping m(0, 1, 1000);
    DrawList out;
    foldLane(items, m, {}, 0, 0, out);
    ASSERT_EQ(out.boxes.size(), 1u);
    EXPECT_EQ(out.boxes[0].count, 100u);
    EXPECT_TRUE(out.boxes[0].flags & kBoxFolded);
    EXPECT_FLOAT_EQ(out.boxes[0].x0, 0);
    EXPECT_FLOAT_EQ(out.boxes[0].x1, 199);
    EXPECT_EQ(out.itemsDrawn, 100u);
    // Zoomed in 10x every item is 10 px wide: no folding at all.
    TimelineMapping in(0, 0.1, 3000);
    out.clear();
    foldLane(items, in, {}, 0, 0, out);
    EXPECT_EQ(out.boxes.size(), 100u);
    EXPECT_EQ(out.foldedBoxes, 0u);
}

TEST(DrawList, FoldsStopAtGapsAndAtWideItems)
{
    std::vector<TimelineItem> items {
        item(0, 1), item(2, 3), item(4, 5), // a run of narrow items
        item(6, 50), // a wide item right after: must stay its own box
        item(51, 52), item(53, 54), // another narrow run
        item(100, 101), // alone after a 46 px gap: not merged with the run before
    };
    TimelineMapping m(0, 1, 1000);
    DrawList out;
    foldLane(items, m, {}, 0, 0, out);
    ASSERT_EQ(out.boxes.size(), 4u);
    EXPECT_EQ(out.boxes[0].count, 3u);
    EXPECT_EQ(out.boxes[1].count, 1u);
    EXPECT_EQ(out.boxes[1].item->startNs, 6);
    EXPECT_EQ(out.boxes[2].count, 2u);
    EXPECT_EQ(out.boxes[3].count, 1u);
    EXPECT_FALSE(out.boxes[3].flags & kBoxFolded);
    EXPECT_GE(out.boxes[3].x1 - out.boxes[3].x0, 1.5f); // a lone sliver stays visible
    std::size_t total = 0;
    for (const auto& b : out.boxes)
        total += b.count;
    EXPECT_EQ(total, items.size()); // every item is represented exactly once
}

TEST(DrawList, MillionItemLaneCostsPixelsNotItems)
{
    // 1M back-to-back 100 ns items; zoomed out to 1600 px they fold into one box per run of
    // contiguous items, and the builder must not walk all of them.
    std::vector<TimelineItem> items;
    items.reserve(1'000'000);
    for (int i = 0; i < 1'000'000; ++i)
        items.push_back(item(i * 100LL, i * 100LL + 90));
    auto src = oneTrack(items);
    TimelineLayout layout;
    layout.build(src->tracks(), 18, 20, 4);
    TimelineMapping m;
    m.setWidth(1600);
    m.fit(src->timeRange(), 0);
    DrawList out;
    const auto t0 = std::chrono::steady_clock::now();
    buildDrawList(*src, layout, {0}, m, {}, out);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LE(out.boxes.size(), 1600u / 3 + 2);
    EXPECT_EQ(out.itemsDrawn, 1'000'000u);
    EXPECT_LT(ms, 50.0) << "folding should binary-search over narrow runs";
    // Zoomed to 16 us over 1600 px, items are 9 px wide: about 160 single boxes.
    m.zoomToRange(5e6, 5e6 + 1.6e4);
    buildDrawList(*src, layout, {0}, m, {}, out);
    EXPECT_EQ(out.foldedBoxes, 0u);
    EXPECT_NEAR(static_cast<double>(out.boxes.size()), 160, 2);
}

TEST(DrawList, HighlightMarksMatchesAndFoldsThatContainThem)
{
    std::vector<TimelineItem> items {item(0, 1, 1), item(2, 3, 2), item(4, 5, 1), item(100, 200, 2), item(300, 400, 1)};
    std::vector<std::uint8_t> mask(4, 0);
    mask[2] = 1;
    DrawListOptions opt;
    opt.highlight = &mask;
    TimelineMapping m(0, 1, 1000);
    DrawList out;
    foldLane(items, m, opt, 0, 0, out);
    ASSERT_EQ(out.boxes.size(), 3u);
    EXPECT_TRUE(out.boxes[0].flags & kBoxHighlighted); // a fold holding a name-2 item
    EXPECT_TRUE(out.boxes[1].flags & kBoxHighlighted);
    EXPECT_TRUE(out.boxes[2].flags & kBoxDimmed);
    std::vector<std::uint8_t> none;
    opt.highlight = &none; // empty mask: no highlight active
    out.clear();
    foldLane(items, m, opt, 0, 0, out);
    for (const auto& b : out.boxes)
        EXPECT_EQ(b.flags & (kBoxHighlighted | kBoxDimmed), 0);
}

TEST(DrawList, ClipsToTheViewAndSkipsHiddenTracks)
{
    InMemoryTimelineBuilder b;
    const int t0 = b.addTrack("a", "CPU");
    const int t1 = b.addTrack("b", "CPU");
    b.addItem(t0, item(-1000, 5000));
    b.addItem(t1, item(10, 20));
    auto src = b.finish();
    TimelineLayout layout;
    layout.build(src->tracks(), 18, 20, 4);
    TimelineMapping m(0, 1, 100);
    DrawList out;
    buildDrawList(*src, layout, {0}, m, {}, out); // track 1 is out of view
    ASSERT_EQ(out.boxes.size(), 1u);
    EXPECT_FLOAT_EQ(out.boxes[0].x0, -2);
    EXPECT_FLOAT_EQ(out.boxes[0].x1, 102);
    buildDrawList(*src, layout, {0, 1}, m, {}, out);
    EXPECT_EQ(out.boxes.size(), 2u);
    EXPECT_EQ(out.boxes[1].row, 1);
}

TEST(SyntheticTimeline, IsDeterministicAndPlausible)
{
    SyntheticTraceOptions o;
    o.records = 20'000;
    o.steps = 4;
    auto a = makeSyntheticTimeline(o);
    auto b = makeSyntheticTimeline(o);
    ASSERT_TRUE(a && b);
    std::int64_t n = 0;
    for (std::size_t t = 0; t < a->tracks().size(); ++t) {
        EXPECT_EQ(a->tracks()[t].itemCount, b->tracks()[t].itemCount);
        n += a->tracks()[t].itemCount;
    }
    EXPECT_GT(n, 15'000);
    EXPECT_LT(n, 30'000);
    EXPECT_EQ(a->timeRange(), b->timeRange());
    EXPECT_NE(a->findName("cudaLaunchKernel"), TimelineSource::kNoName);
    KernelSummary k = summarizeKernels(*a);
    ASSERT_FALSE(k.rows.empty());
    double pct = 0;
    for (std::size_t i = 0; i < k.rows.size(); ++i) {
        pct += k.rows[i].percent;
        if (i) {
            EXPECT_GE(k.rows[i - 1].totalNs, k.rows[i].totalNs);
        }
        EXPECT_LE(k.rows[i].minNs, k.rows[i].medianNs);
        EXPECT_LE(k.rows[i].medianNs, k.rows[i].maxNs);
    }
    EXPECT_NEAR(pct, 100, 1e-6);
    // Cancelling through the progress callback yields no trace.
    o.progress = [](double f) { return f < 0.5; };
    EXPECT_EQ(makeSyntheticTimeline(o), nullptr);
}
