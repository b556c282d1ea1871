// Draw-list construction with level-of-detail folding (see timeline_draw_list.h). Inside a lane
// items are sorted and do not overlap, so ends are sorted too: a run of narrow items is skipped
// with one binary search on the end time per pixel of progress instead of visiting each item.
#include "lwb/ui/timeline_draw_list.h"

#include <algorithm>
#include <cmath>

namespace lwb::ui {

void DrawList::clear()
{
    boxes.clear();
    rowStarts.clear();
    itemsDrawn = 0;
    foldedBoxes = 0;
}

const DrawBox* DrawList::hit(int row, double x, double tolerancePx) const
{
    auto rs = std::lower_bound(rowStarts.begin(), rowStarts.end(), std::make_pair(row, std::size_t {0}));
    if (rs == rowStarts.end() || rs->first != row)
        return nullptr;
    const std::size_t begin = rs->second;
    const std::size_t end = std::next(rs) == rowStarts.end() ? boxes.size() : std::next(rs)->second;
    // Boxes in a row ascend in x and do not overlap: find the first whose end reaches x.
    auto first = std::partition_point(boxes.begin() + static_cast<std::ptrdiff_t>(begin),
        boxes.begin() + static_cast<std::ptrdiff_t>(end), [&](const DrawBox& b) { return b.x1 + tolerancePx < x; });
    if (first != boxes.begin() + static_cast<std::ptrdiff_t>(end) && first->x0 - tolerancePx <= x)
        return &*first;
    return nullptr;
}

namespace {

inline bool highlighted(const DrawListOptions& options, const TimelineItem& item)
{
    const auto& h = *options.highlight;
    return item.nameId < h.size() && h[item.nameId] != 0;
}

} // namespace

void foldLane(std::span<const TimelineItem> items, const TimelineMapping& mapping, const DrawListOptions& options,
    int row, int track, DrawList& out)
{
    if (items.empty())
        return;
    const bool highlightActive = options.highlight != nullptr && !options.highlight->empty();
    const double minPx = std::max(0.5, options.minBoxPx);
    const double minNs = minPx * mapping.nsPerPx();
    const double width = mapping.width();
    const auto clipX = [width](double x) { return static_cast<float>(std::clamp(x, -2.0, width + 2.0)); };
    out.rowStarts.emplace_back(row, out.boxes.size());
    const TimelineItem* const begin = items.data();
    const TimelineItem* const end = begin + items.size();
    const TimelineItem* it = begin;
    while (it != end) {
        const double dur = static_cast<double>(it->endNs - it->startNs);
        DrawBox box;
        box.row = row;
        box.track = track;
        box.item = it;
        if (dur >= minNs) {
            box.x0 = clipX(mapping.xForTime(static_cast<double>(it->startNs)));
            box.x1 = clipX(mapping.xForTime(static_cast<double>(it->endNs)));
            if (highlightActive)
                box.flags = highlighted(options, *it) ? kBoxHighlighted : kBoxDimmed;
            out.boxes.push_back(box);
            ++out.itemsDrawn;
            ++it;
            continue;
        }
        // Fold: absorb every following item that ends within minNs of the run's end (those are
        // narrow by construction), or starts within it while being narrow itself.
        const TimelineItem* runBegin = it;
        double runEnd = static_cast<double>(it->endNs);
        ++it;
        while (it != end) {
            const double limit = runEnd + minNs;
            const TimelineItem* next = std::partition_point(
                it, end, [limit](const TimelineItem& x) { return static_cast<double>(x.endNs) <= limit; });
            if (next != it) {
                it = next;
                runEnd = static_cast<double>(std::prev(it)->endNs);
                continue;
            }
            if (static_cast<double>(it->startNs) < limit && static_cast<double>(it->endNs - it->startNs) < minNs) {
                runEnd = static_cast<double>(it->endNs);
                ++it;
                continue;
            }
            break;
        }
        const auto count = static_cast<std::uint32_t>(it - runBegin);
        box.count = count;
        double x0 = mapping.xForTime(static_cast<double>(runBegin->startNs));
        double x1 = mapping.xForTime(runEnd);
        if (x1 - x0 < minPx * 0.5)
            x1 = x0 + minPx * 0.5; // a lone sliver stays visible
        box.x0 = clipX(x0);
        box.x1 = clipX(x1);
        if (count > 1) {
            box.flags |= kBoxFolded;
            ++out.foldedBoxes;
        }
        if (highlightActive) {
            bool any = false;
            for (const TimelineItem* p = runBegin; p != it && !any; ++p)
                any = highlighted(options, *p);
            box.flags |= any ? kBoxHighlighted : kBoxDimmed;
        }
        out.boxes.push_back(box);
        out.itemsDrawn += count;
    }
}

void buildDrawList(const TimelineSource& source, const TimelineLayout& layout, const std::vector<int>& trackIndices,
    const TimelineMapping& mapping, const DrawListOptions& options, DrawList& out)
{
    out.clear();
    const auto t0 = static_cast<std::int64_t>(std::floor(mapping.startNs()));
    const auto t1 = static_cast<std::int64_t>(std::ceil(mapping.endNs())) + 1;
    for (int trackIndex : trackIndices) {
        if (trackIndex < 0 || trackIndex >= static_cast<int>(layout.tracks().size()))
            continue;
        const auto& track = layout.tracks()[static_cast<std::size_t>(trackIndex)];
        TrackSlice slice = source.query(track.index, t0, t1);
        for (std::size_t lane = 0; lane < slice.lanes.size() && static_cast<int>(lane) < track.lanes; ++lane)
            foldLane(slice.lanes[lane], mapping, options, track.firstRow + static_cast<int>(lane), track.index, out);
    }
}

} // namespace lwb::ui
