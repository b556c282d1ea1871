// Level-of-detail rows of one track: level 0 buckets of `baseWidth` ns anchored at the session
// start, each level kLodFactor (2) times coarser, until one bucket covers the track. Busy time is the union of the
// records (overlaps not double counted); the top name is the record covering most of a bucket.
#pragma once

#include "lwb/profiler/trace.h"

#include <cstdint>
#include <vector>

namespace lwb::profiler {

struct LodRow {
    std::int64_t level = 0;
    std::int64_t bucket = 0;
    std::int64_t busyNs = 0;
    std::int64_t count = 0;
    StringId topName = 0;
};

/// `records` of one track sorted by start, all with timestamps; levels 0..`levels` are built.
std::vector<LodRow> buildLod(const std::vector<const ActivityRecord*>& records, std::int64_t baseWidth, int levels);
/// The coarsest level needed so that one bucket covers [0, endNs).
int lodLevels(std::int64_t baseWidth, std::int64_t endNs);

/// Floor division for possibly negative times.
inline std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

} // namespace lwb::profiler
