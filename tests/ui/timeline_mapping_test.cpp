// Timeline coordinate math without a window: time <-> pixel mapping, zoom at the cursor, pan,
// fit, clamping, vertical layout, ruler ticks and duration formatting (data-driven cases).
#include "lwb/ui/timeline_mapping.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lwb::ui;

TEST(TimelineMapping, MapsBothWays)
{
    struct Case {
        double start, nsPerPx, width, t, x;
    };
    const Case cases[] = {
        {0, 1, 1000, 0, 0}, {0, 1, 1000, 500, 500}, {1000, 10, 800, 1000, 0}, {1000, 10, 800, 9000, 800},
        {-500, 0.5, 100, 0, 1000}, {6e11, 1e6, 1600, 6e11 + 8e8, 800}, // a 10-minute trace stays exact in doubles
    };
    for (const auto& c : cases) {
        TimelineMapping m(c.start, c.nsPerPx, c.width);
        EXPECT_DOUBLE_EQ(m.xForTime(c.t), c.x) << c.start << " " << c.t;
        EXPECT_DOUBLE_EQ(m.timeForX(c.x), c.t);
        EXPECT_DOUBLE_EQ(m.endNs(), c.start + c.width * c.nsPerPx);
    }
}

TEST(TimelineMapping, ZoomKeepsTheTimeUnderTheCursor)
{
    for (double x : {0.0, 137.0, 500.0, 999.0}) {
        for (double factor : {1.2, 4.0, 0.5, 1 / 1.2}) {
            TimelineMapping m(2000, 7, 1000);
            const double before = m.timeForX(x);
            m.zoomAt(x, factor);
            EXPECT_NEAR(m.timeForX(x), before, 1e-6) << x << " " << factor;
            EXPECT_NEAR(m.nsPerPx(), 7 / factor, 1e-12);
        }
    }
    TimelineMapping m(0, 1, 100);
    m.zoomAt(10, 0); // ignored: not a zoom factor
    m.zoomAt(10, NAN);
    EXPECT_DOUBLE_EQ(m.nsPerPx(), 1);
}

TEST(TimelineMapping, PanMovesContentWithTheMouse)
{
    TimelineMapping m(1000, 2, 500);
    const double t = m.timeForX(100);
    m.panByPixels(40); // drag right by 40 px: what was at 100 is now at 140
    EXPECT_NEAR(m.xForTime(t), 140, 1e-9);
    m.panByPixels(-40);
    EXPECT_NEAR(m.startNs(), 1000, 1e-9);
}

TEST(TimelineMapping, FitAndZoomToRange)
{
    TimelineMapping m(0, 1, 1000);
    m.fit({1000, 11000}, 0.0);
    EXPECT_DOUBLE_EQ(m.startNs(), 1000);
    EXPECT_DOUBLE_EQ(m.endNs(), 11000);
    m.fit({1000, 11000}, 0.1);
    EXPECT_DOUBLE_EQ(m.startNs(), 0);
    EXPECT_DOUBLE_EQ(m.endNs(), 12000);
    m.zoomToRange(500, 300); // reversed selection
    EXPECT_DOUBLE_EQ(m.startNs(), 300);
    EXPECT_DOUBLE_EQ(m.endNs(), 500);
    m.setWidth(500); // keeps start and scale
    EXPECT_DOUBLE_EQ(m.startNs(), 300);
    EXPECT_DOUBLE_EQ(m.endNs(), 400);
}

TEST(TimelineMapping, ClampKeepsTheTraceInView)
{
    const TimeRange trace {0, 1'000'000};
    TimelineMapping zoomedOut(0, 1e6, 1000); // 1e9 ns on screen: far more than the trace
    zoomedOut.clampTo(trace);
    EXPECT_LE(zoomedOut.endNs() - zoomedOut.startNs(), 1.5e6 + 1e-6);
    TimelineMapping zoomedIn(500, 1e-6, 1000);
    zoomedIn.clampTo(trace, 0.01);
    EXPECT_DOUBLE_EQ(zoomedIn.nsPerPx(), 0.01);
    TimelineMapping pannedAway(5e6, 100, 1000); // the trace is entirely left of the view
    pannedAway.clampTo(trace);
    EXPECT_LT(pannedAway.startNs(), 1e6); // some of the trace is visible again
    EXPECT_GT(pannedAway.endNs(), 0);
}

TEST(TimelineLayout, RowsHitsAndVisibility)
{
    std::vector<TimelineTrack> tracks(3);
    tracks[0].laneCount = 3;
    tracks[1].laneCount = 1;
    tracks[2].laneCount = 2;
    TimelineLayout l;
    l.build(tracks, 10, 20, 5);
    ASSERT_EQ(l.rowCount(), 6);
    EXPECT_DOUBLE_EQ(l.tracks()[0].lanesTop, 20);
    EXPECT_DOUBLE_EQ(l.tracks()[1].top, 20 + 30 + 5);
    EXPECT_DOUBLE_EQ(l.contentHeight(), (20 + 30 + 5) + (20 + 10 + 5) + (20 + 20 + 5));
    EXPECT_EQ(l.tracks()[2].firstRow, 4);
    EXPECT_DOUBLE_EQ(l.rowTop(4), l.tracks()[2].lanesTop);
    EXPECT_EQ(l.hit(5), std::make_pair(0, -1)); // header of track 0
    EXPECT_EQ(l.hit(25), std::make_pair(0, 0));
    EXPECT_EQ(l.hit(45), std::make_pair(0, 2));
    EXPECT_EQ(l.hit(52), std::make_pair(-1, -1)); // the gap
    EXPECT_EQ(l.hit(55 + 20 + 3), std::make_pair(1, 0));
    EXPECT_EQ(l.hit(-1), std::make_pair(-1, -1));
    EXPECT_EQ(l.tracksInView(0, 10), std::vector<int>({0}));
    EXPECT_EQ(l.tracksInView(40, 80), std::vector<int>({0, 1}));
    EXPECT_EQ(l.tracksInView(1000, 2000), std::vector<int>());
}

TEST(RulerTicks, NiceStepsUnitsAndLabels)
{
    struct Case {
        double start, nsPerPx;
        const char* firstMajorLabel; // of the first major tick at or after the view start
    };
    const Case cases[] = {
        {0, 1, "0.0 \xC2\xB5s"}, // 90 ns min spacing -> 100 ns step; the view ends at 1 us
        {0, 0.5, "0 ns"}, // 45 ns -> 50 ns step, 500 ns view
        {0, 100, "0 \xC2\xB5s"}, // 9 us -> 10 us
        {2'000'000, 1000, "2.0 ms"}, // 90 us -> 100 us, ms with one decimal
        {3e9, 1e7, "3 s"}, // 0.9 s -> 1 s step
    };
    for (const auto& c : cases) {
        TimelineMapping m(c.start, c.nsPerPx, 1000);
        auto ticks = rulerTicks(m, 0, 90);
        ASSERT_FALSE(ticks.empty());
        const RulerTick* first = nullptr;
        double prevMajor = -1e300;
        for (const auto& t : ticks) {
            if (!t.major)
                continue;
            if (!first && t.timeNs >= c.start)
                first = &t;
            // Majors are at least 90 px apart and on a 1/2/5 grid.
            if (prevMajor > -1e300) {
                EXPECT_GE(t.x - m.xForTime(prevMajor), 90 - 1e-6);
                const double step = t.timeNs - prevMajor;
                const double mant = step / std::pow(10, std::floor(std::log10(step)));
                EXPECT_TRUE(std::fabs(mant - 1) < 1e-6 || std::fabs(mant - 2) < 1e-6 || std::fabs(mant - 5) < 1e-6)
                    << mant;
            }
            prevMajor = t.timeNs;
            EXPECT_FALSE(t.label.empty());
        }
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(first->label, c.firstMajorLabel) << c.start << " " << c.nsPerPx;
    }
}

TEST(RulerTicks, LabelsAreRelativeToTheOrigin)
{
    TimelineMapping m(1'000'500, 10, 1000); // 10 us visible, trace started at 1 ms
    auto ticks = rulerTicks(m, 1'000'000, 90);
    for (const auto& t : ticks)
        if (t.major && t.x >= 0) {
            EXPECT_EQ(t.label, "1 \xC2\xB5s"); // 1'001'000 - origin, 1 us steps
            break;
        }
}

TEST(FormatDuration, ThreeSignificantDigitsAndUnits)
{
    struct Case {
        double ns;
        const char* text;
    };
    const Case cases[] = {
        {0, "0 ns"},
        {850, "850 ns"},
        {1.5, "1.5 ns"},
        {1'234, "1.23 \xC2\xB5s"},
        {12'340, "12.3 \xC2\xB5s"},
        {999'960, "1.00 ms"},
        {4'560'000, "4.56 ms"},
        {1.23e9, "1.23 s"},
        {123e9, "2 min 3 s"},
        {7'380e9, "2 h 3 min"},
        {-2'500, "-2.50 \xC2\xB5s"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(formatDuration(c.ns), c.text) << c.ns;
    EXPECT_EQ(formatDuration(NAN), "-");
}
