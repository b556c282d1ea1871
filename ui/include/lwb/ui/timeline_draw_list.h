// The timeline's per-frame draw list (Tracy's model): for each visible lane, binary-search the
// visible range, emit one box per item wide enough to see, and fold runs of items narrower than
// a few pixels into one box with a count, skipping over them by binary search, so a frame costs
// O(pixels x log items) whatever the trace size. Pure C++ (no Qt); the view paints the list.
#pragma once

#include "lwb/ui/timeline_mapping.h"
#include "lwb/ui/timeline_source.h"

#include <cstdint>
#include <vector>

namespace lwb::ui {

enum BoxFlag : std::uint8_t {
    kBoxFolded = 1, ///< a run of narrow items drawn as one
    kBoxHighlighted = 2, ///< matches the search / the selected kernel (a fold: contains one)
    kBoxDimmed = 4, ///< a highlight is active and this box does not match
};

struct DrawBox {
    float x0 = 0; ///< px in the data area, clipped to [-2, width + 2]
    float x1 = 0;
    int row = 0; ///< global lane row (TimelineLayout)
    int track = 0;
    std::uint32_t count = 1; ///< items drawn by this box
    const TimelineItem* item = nullptr; ///< the item (a fold: its first item)
    std::uint8_t flags = 0;
};

struct DrawListOptions {
    double minBoxPx = 3.0; ///< narrower items are folded
    /// Per name id: non-zero when highlighted; empty = no highlight active.
    const std::vector<std::uint8_t>* highlight = nullptr;
};

struct DrawList {
    std::vector<DrawBox> boxes; ///< grouped by row, ascending x inside a row
    std::vector<std::pair<int, std::size_t>> rowStarts; ///< (row, first box index), ascending row
    std::size_t itemsDrawn = 0; ///< items represented (singles + folded)
    std::size_t foldedBoxes = 0;

    void clear();
    /// The box under x in `row`, or nullptr (a fold counts; tolerance in px).
    const DrawBox* hit(int row, double x, double tolerancePx = 1.0) const;
};

/// Builds the list for the tracks `trackIndices` (usually those in view) of `layout`.
void buildDrawList(const TimelineSource& source, const TimelineLayout& layout, const std::vector<int>& trackIndices,
    const TimelineMapping& mapping, const DrawListOptions& options, DrawList& out);

/// One lane: appends boxes for `items` (sorted, non-overlapping) to out. Exposed for tests.
void foldLane(std::span<const TimelineItem> items, const TimelineMapping& mapping, const DrawListOptions& options,
    int row, int track, DrawList& out);

} // namespace lwb::ui
