// Timeline coordinate math (see timeline_mapping.h). Doubles throughout: a 10-minute trace in ns
// is 6e11, far inside the 2^53 exact range, and sub-pixel positions matter when zoomed in.
#include "lwb/ui/timeline_mapping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lwb::ui {

TimelineMapping::TimelineMapping(double startNs, double nsPerPx, double widthPx)
    : m_startNs(startNs)
    , m_nsPerPx(nsPerPx > 0 ? nsPerPx : 1)
    , m_width(widthPx > 1 ? widthPx : 1)
{
}

void TimelineMapping::setWidth(double widthPx)
{
    m_width = widthPx > 1 ? widthPx : 1;
}

void TimelineMapping::fit(TimeRange range, double marginFraction)
{
    const double span = std::max<double>(1.0, static_cast<double>(range.durationNs()));
    const double margin = span * std::max(0.0, marginFraction);
    zoomToRange(static_cast<double>(range.startNs) - margin, static_cast<double>(range.endNs) + margin);
}

void TimelineMapping::zoomAt(double x, double factor)
{
    if (!(factor > 0) || !std::isfinite(factor))
        return;
    const double anchor = timeForX(x);
    m_nsPerPx /= factor;
    m_startNs = anchor - x * m_nsPerPx;
}

void TimelineMapping::panByPixels(double dx)
{
    m_startNs -= dx * m_nsPerPx;
}

void TimelineMapping::zoomToRange(double t0, double t1)
{
    if (t1 < t0)
        std::swap(t0, t1);
    const double span = std::max(t1 - t0, 1e-3);
    m_startNs = t0;
    m_nsPerPx = span / m_width;
}

void TimelineMapping::clampTo(TimeRange bounds, double minNsPerPx)
{
    const double span = std::max<double>(1.0, static_cast<double>(bounds.durationNs()));
    const double maxNsPerPx = std::max(minNsPerPx, span * 1.5 / m_width);
    if (m_nsPerPx < minNsPerPx || m_nsPerPx > maxNsPerPx) {
        const double center = timeForX(m_width / 2);
        m_nsPerPx = std::clamp(m_nsPerPx, minNsPerPx, maxNsPerPx);
        m_startNs = center - m_width / 2 * m_nsPerPx;
    }
    // Keep at least a quarter of the view (or the whole trace) over the trace.
    const double keep = std::min(span, m_width * m_nsPerPx / 4);
    const double lo = static_cast<double>(bounds.startNs) + keep - m_width * m_nsPerPx;
    const double hi = static_cast<double>(bounds.endNs) - keep;
    m_startNs = std::clamp(m_startNs, std::min(lo, hi), std::max(lo, hi));
}

void TimelineLayout::build(const std::vector<TimelineTrack>& tracks, double laneHeight, double headerHeight, double gap)
{
    m_tracks.clear();
    m_rowTops.clear();
    m_laneHeight = laneHeight;
    double y = 0;
    int row = 0;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        Track t;
        t.index = static_cast<int>(i);
        t.top = y;
        t.lanesTop = y + headerHeight;
        t.lanes = std::max(1, tracks[i].laneCount);
        t.firstRow = row;
        for (int lane = 0; lane < t.lanes; ++lane)
            m_rowTops.push_back(t.lanesTop + lane * laneHeight);
        row += t.lanes;
        y = t.lanesTop + t.lanes * laneHeight + gap;
        m_tracks.push_back(t);
    }
    m_rows = row;
    m_height = y;
}

std::vector<int> TimelineLayout::tracksInView(double y0, double y1) const
{
    std::vector<int> out;
    for (std::size_t i = 0; i < m_tracks.size(); ++i) {
        const Track& t = m_tracks[i];
        const double bottom = t.lanesTop + t.lanes * m_laneHeight;
        if (bottom > y0 && t.top < y1)
            out.push_back(static_cast<int>(i));
    }
    return out;
}

std::pair<int, int> TimelineLayout::hit(double y) const
{
    auto it = std::upper_bound(m_tracks.begin(), m_tracks.end(), y, [](double v, const Track& t) { return v < t.top; });
    if (it == m_tracks.begin())
        return {-1, -1};
    const Track& t = *std::prev(it);
    if (y < t.lanesTop)
        return {t.index, -1}; // the header line
    const int lane = static_cast<int>((y - t.lanesTop) / m_laneHeight);
    if (lane >= t.lanes)
        return {-1, -1};
    return {t.index, lane};
}

double TimelineLayout::rowTop(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rowTops.size()))
        return 0;
    return m_rowTops[static_cast<std::size_t>(row)];
}

namespace {

struct Unit {
    double ns;
    const char* name;
};
Unit unitFor(double ns)
{
    const double a = std::fabs(ns);
    if (a >= 1e9)
        return {1e9, "s"};
    if (a >= 1e6)
        return {1e6, "ms"};
    if (a >= 1e3)
        return {1e3, "\xC2\xB5s"};
    return {1, "ns"};
}

std::string formatNumber(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, decimals), v);
    return buf;
}

} // namespace

std::vector<RulerTick> rulerTicks(const TimelineMapping& mapping, double originNs, double minLabelPx)
{
    std::vector<RulerTick> ticks;
    const double minStep = std::max(1.0, mapping.nsPerPx() * std::max(1.0, minLabelPx));
    double decade = std::pow(10.0, std::floor(std::log10(minStep)));
    double step = decade;
    int minors = 5;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (decade * m >= minStep) {
            step = decade * m;
            minors = m == 2.0 ? 4 : 5;
            break;
        }
    }
    const double t0 = mapping.startNs() - originNs;
    const double t1 = mapping.endNs() - originNs;
    // The unit follows the largest visible label so labels of one ruler share it.
    const Unit unit = unitFor(std::max({std::fabs(t0), std::fabs(t1), step}));
    const double stepInUnit = step / unit.ns;
    const int decimals = stepInUnit >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(stepInUnit) - 1e-9));
    const double minor = step / minors;
    const auto first = static_cast<long long>(std::floor(t0 / minor));
    const auto last = static_cast<long long>(std::ceil(t1 / minor));
    if (last - first > 100'000)
        return ticks; // degenerate mapping; nothing sensible to draw
    for (long long i = first; i <= last; ++i) {
        RulerTick tick;
        tick.timeNs = static_cast<double>(i) * minor;
        tick.x = mapping.xForTime(tick.timeNs + originNs);
        tick.major = i % minors == 0;
        if (tick.major) {
            double v = tick.timeNs / unit.ns;
            if (std::fabs(v) < 1e-9)
                v = 0;
            tick.label = formatNumber(v, decimals) + " " + unit.name;
        }
        ticks.push_back(std::move(tick));
    }
    return ticks;
}

std::string formatDuration(double ns)
{
    if (!std::isfinite(ns))
        return "-";
    const double a = std::fabs(ns);
    if (a >= 120e9) {
        const auto totalS = static_cast<long long>(std::llround(a / 1e9));
        const std::string sign = ns < 0 ? "-" : "";
        if (totalS >= 3600)
            return sign + std::to_string(totalS / 3600) + " h " + std::to_string(totalS % 3600 / 60) + " min";
        return sign + std::to_string(totalS / 60) + " min " + std::to_string(totalS % 60) + " s";
    }
    if (a < 1e3)
        return formatNumber(ns, a < 10 && a != std::floor(a) ? 1 : 0) + " ns";
    const Unit unit = unitFor(ns);
    const double v = ns / unit.ns;
    const double av = std::fabs(v);
    int decimals = av >= 100 ? 0 : av >= 10 ? 1 : 2;
    // 999.96 µs rounds to "1000 µs": show it in the next unit instead.
    if (std::fabs(std::stod(formatNumber(v, decimals))) >= 1000 && unit.ns < 1e9)
        return formatDuration(std::copysign(1000.0 * unit.ns, ns));
    return formatNumber(v, decimals) + " " + unit.name;
}

} // namespace lwb::ui
