// Step windows: the time ranges of the steps a host trace captured, and the clipping of another
// capture of the same session (CUPTI's GPU activity) to them, so a trial's GPU records follow the
// same capture schedule as its host ops (skip N steps, capture K) and traces stay small.
#pragma once

#include "lwb/profiler/trace.h"

#include <cstdint>
#include <vector>

namespace lwb::profiler {

/// One captured step on the lwb::monotonicNs() time base (absolute, not session-relative).
struct StepWindow {
    std::int64_t step = -1;
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
};

/// The "step" markers of a host-op trace as absolute windows, sorted by start.
std::vector<StepWindow> stepWindows(const Trace& host);

/// Keeps the timed records of `device` that overlap a window, each tagged with its window's step
/// when it has none; records outside every window are removed and counted in
/// stats.filteredRecords. Records without a timestamp are kept (they cannot be placed). Returns
/// how many timed records were kept. `windows` must be sorted by start.
std::size_t keepStepWindows(Trace& device, const std::vector<StepWindow>& windows);

} // namespace lwb::profiler
