// "Why is B faster than A": two trace summaries aligned by op/kernel name and by step ordinal.
// Each trace's measured time is its mean step wall time on its primary device group; each row is
// one name's share of that time (or the idle time before it), per step, in A and in B. The rows'
// deltas add up to the measured difference exactly (up to floating-point rounding).
#pragma once

#include "lwb/core/result.h"
#include "lwb/profiler/summary.h"

#include <string>
#include <vector>

namespace lwb::profiler {

struct CompareRow {
    std::string name;
    bool idle = false; ///< true: "idle before <name>"
    double aNs = 0; ///< wall-time share per step in A
    double bNs = 0;
    double deltaNs = 0; ///< bNs - aNs; negative: B spends less here
    double shareOfDifference = 0; ///< deltaNs / difference (0 when the difference is 0)
    double countA = 0; ///< records (or gaps) per step
    double countB = 0;

    std::string label() const { return idle ? "idle before " + name : name; }
};

/// Steps aligned by ordinal (first captured step of A with the first of B, ...).
struct StepDelta {
    std::int64_t ordinal = 0;
    std::int64_t stepA = -1, stepB = -1;
    std::int64_t wallA = 0, wallB = 0;
    std::int64_t deltaNs = 0;
};

struct TraceComparison {
    std::string deviceA, deviceB;
    std::int64_t stepsA = 0, stepsB = 0;
    double measuredA = 0; ///< mean step wall time of A (ns)
    double measuredB = 0;
    double differenceNs = 0; ///< measuredB - measuredA
    std::vector<CompareRow> rows; ///< largest |delta| first; sum of deltaNs == differenceNs
    std::vector<StepDelta> steps;

    /// Rows as CSV (name, kind, per-step A/B/delta in ns, share, counts).
    std::string toCsv() const;
};

/// Compares two summaries; InvalidArgument when either has no steps (no busy records).
Result<TraceComparison> compareSummaries(const TraceSummary& a, const TraceSummary& b);

} // namespace lwb::profiler
