// Timeline coordinate math, free of widgets so it is tested without a window: the mapping
// between nanoseconds and pixels (pan, zoom to a cursor, zoom to a range, limits), the vertical
// layout of tracks and lanes, ruler ticks with time units, and duration formatting.
#pragma once

#include "lwb/ui/timeline_source.h"

#include <string>
#include <vector>

namespace lwb::ui {

/// Time <-> x: x = (t - start) / nsPerPx, for x in [0, width) of the data area.
class TimelineMapping {
public:
    TimelineMapping() = default;
    TimelineMapping(double startNs, double nsPerPx, double widthPx);

    double startNs() const { return m_startNs; }
    double nsPerPx() const { return m_nsPerPx; }
    double width() const { return m_width; }
    double endNs() const { return m_startNs + m_width * m_nsPerPx; }

    double xForTime(double ns) const { return (ns - m_startNs) / m_nsPerPx; }
    double timeForX(double x) const { return m_startNs + x * m_nsPerPx; }

    /// Changes the width, keeping the start and the scale.
    void setWidth(double widthPx);
    /// Shows `range` with `marginFraction` of empty space on each side.
    void fit(TimeRange range, double marginFraction = 0.01);
    /// Zooms by `factor` (> 1 in, < 1 out) keeping the time under x fixed.
    void zoomAt(double x, double factor);
    /// Moves the content right by dx pixels (the view's start moves earlier).
    void panByPixels(double dx);
    /// Shows [t0, t1) over the whole width.
    void zoomToRange(double t0, double t1);
    /// Keeps the view sensible for a trace spanning `bounds`: at most the whole trace plus half
    /// of it as margin, at least `minNsPerPx` per pixel, and some of the trace always visible.
    void clampTo(TimeRange bounds, double minNsPerPx = 0.01);

private:
    double m_startNs = 0;
    double m_nsPerPx = 1;
    double m_width = 1;
};

/// Vertical layout: a header line per track, then its lanes; tracks can be collapsed to their
/// header. Pure arithmetic over the track list.
class TimelineLayout {
public:
    struct Track {
        int index = 0; ///< into TimelineSource::tracks()
        double top = 0; ///< y of the header, content coordinates
        double lanesTop = 0; ///< y of lane 0
        int lanes = 1;
        int firstRow = 0; ///< global lane row of lane 0 (rows count lanes of all tracks)
    };

    void build(const std::vector<TimelineTrack>& tracks, double laneHeight, double headerHeight, double gap);
    double laneHeight() const { return m_laneHeight; }
    double contentHeight() const { return m_height; }
    int rowCount() const { return m_rows; }
    const std::vector<Track>& tracks() const { return m_tracks; }
    /// Tracks intersecting [y0, y1) in content coordinates.
    std::vector<int> tracksInView(double y0, double y1) const;
    /// The track and lane at content y, or {-1, -1}.
    std::pair<int, int> hit(double y) const;
    /// Top y of a global lane row.
    double rowTop(int row) const;

private:
    std::vector<Track> m_tracks;
    std::vector<double> m_rowTops;
    double m_laneHeight = 18;
    double m_height = 0;
    int m_rows = 0;
};

struct RulerTick {
    double timeNs = 0; ///< relative to the trace start
    double x = 0;
    bool major = false;
    std::string label; ///< majors only: "1.25 ms"
};

/// Ticks for the visible range: majors at 1/2/5 x 10^k ns with labels at least `minLabelPx`
/// apart, 4 or 5 minors between. Labels use one unit (ns, µs, ms, s) with the decimals the step
/// needs. `originNs` is the time shown as 0.
std::vector<RulerTick> rulerTicks(const TimelineMapping& mapping, double originNs = 0, double minLabelPx = 90);

/// "850 ns", "12.3 µs", "4.56 ms", "1.23 s", "2 min 3 s" (3 significant digits).
std::string formatDuration(double ns);

} // namespace lwb::ui
