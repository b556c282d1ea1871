// buildLod(): dense per-bucket arrays for level 0 (at most ~16k buckets by construction of the
// base width), then each coarser level folds kLodFactor buckets into one.
#include "store/lod.h"

#include "store/store_impl.h"

#include <algorithm>

namespace lwb::profiler {

std::vector<LodRow> buildLod(const std::vector<const ActivityRecord*>& records, std::int64_t baseWidth, int levels)
{
    std::vector<LodRow> out;
    if (records.empty())
        return out;
    std::int64_t lastEnd = records.front()->end;
    for (const ActivityRecord* r : records)
        lastEnd = std::max(lastEnd, r->end);
    std::int64_t first = floorDiv(records.front()->start, baseWidth);
    std::int64_t last = floorDiv(std::max(lastEnd - 1, records.front()->start), baseWidth);
    auto n = static_cast<std::size_t>(last - first + 1);
    std::vector<std::int64_t> busy(n, 0), count(n, 0), topOverlap(n, -1);
    std::vector<StringId> top(n, 0);

    std::int64_t segStart = records.front()->start, segEnd = records.front()->start;
    auto addBusy = [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t b = floorDiv(lo, baseWidth); lo < hi; ++b) {
            std::int64_t edge = std::min(hi, (b + 1) * baseWidth);
            busy[static_cast<std::size_t>(b - first)] += edge - lo;
            lo = edge;
        }
    };
    for (const ActivityRecord* r : records) {
        std::int64_t b0 = floorDiv(r->start, baseWidth);
        ++count[static_cast<std::size_t>(b0 - first)];
        if (r->end <= r->start) {
            if (topOverlap[static_cast<std::size_t>(b0 - first)] < 0) {
                topOverlap[static_cast<std::size_t>(b0 - first)] = 0;
                top[static_cast<std::size_t>(b0 - first)] = r->name;
            }
        }
        for (std::int64_t b = b0, lo = r->start; lo < r->end; ++b) {
            std::int64_t edge = std::min(r->end, (b + 1) * baseWidth);
            auto i = static_cast<std::size_t>(b - first);
            if (edge - lo > topOverlap[i]) {
                topOverlap[i] = edge - lo;
                top[i] = r->name;
            }
            lo = edge;
        }
        // Union of intervals for busy time.
        if (r->start > segEnd) {
            addBusy(segStart, segEnd);
            segStart = r->start;
            segEnd = r->end;
        } else {
            segEnd = std::max(segEnd, r->end);
        }
    }
    addBusy(segStart, segEnd);

    // Level 0, then fold by kLodFactor for each coarser level.
    std::vector<LodRow> level;
    std::vector<std::int64_t> levelTop; // overlap of the record that gave each row its top name
    for (std::size_t i = 0; i < n; ++i) {
        if (count[i] > 0 || busy[i] > 0) {
            level.push_back({0, first + static_cast<std::int64_t>(i), busy[i], count[i], top[i]});
            levelTop.push_back(topOverlap[i]);
        }
    }
    for (int levelIndex = 0;; ++levelIndex) {
        out.insert(out.end(), level.begin(), level.end());
        if (levelIndex >= levels)
            break;
        std::vector<LodRow> coarser;
        std::vector<std::int64_t> coarserTop;
        for (std::size_t i = 0; i < level.size(); ++i) {
            std::int64_t bucket = floorDiv(level[i].bucket, kLodFactor);
            if (coarser.empty() || coarser.back().bucket != bucket) {
                coarser.push_back({levelIndex + 1, bucket, 0, 0, level[i].topName});
                coarserTop.push_back(-1);
            }
            LodRow& c = coarser.back();
            c.busyNs += level[i].busyNs;
            c.count += level[i].count;
            if (levelTop[i] > coarserTop.back()) {
                coarserTop.back() = levelTop[i];
                c.topName = level[i].topName;
            }
        }
        level = std::move(coarser);
        levelTop = std::move(coarserTop);
    }
    return out;
}

int lodLevels(std::int64_t baseWidth, std::int64_t endNs)
{
    int levels = 0;
    for (std::int64_t width = baseWidth; width < endNs && levels < 30; width *= kLodFactor)
        ++levels;
    return levels;
}

} // namespace lwb::profiler
