// "Why is B faster than A": two trials, captured runs or tuned profiles side by side — the
// configuration diff, the metric distributions with a significance test, and the ranked
// kernel/op-level explanation of the time difference (from the profiler's trace comparison, or
// from the profiles' per-op times). Used by `lwb compare` and the GUI's Compare page.
#pragma once

#include "lwb/profiler/compare.h"
#include "lwb/profiler/summary.h"
#include "lwb/workbench/gate.h"

#include <optional>
#include <string>

namespace lwb::workbench {

/// One side of a comparison.
struct CompareSide {
    std::string label; ///< "study.lwb trial 12", "tuned.json"
    Json config = Json::object();
    std::map<std::string, std::vector<double>> samples;
    std::map<std::string, double> values;
    std::optional<profiler::TraceSummary> trace;
    std::map<std::string, double> opMillisPerStep;
};

/// Loads a side from a reference: `study.lwb` (best trial), `study.lwb#12` (trial number 12),
/// `study.lwb@3` (trace id 3), or `tuned.json` (a tuned profile's best entry).
Result<CompareSide> loadCompareSide(const std::string& reference);

struct ConfigDifference {
    std::string knob;
    std::string a; ///< "" when absent
    std::string b;
};

struct Comparison {
    CompareSide a, b;
    std::vector<ConfigDifference> configDiff;
    std::vector<MetricComparison> metrics; ///< B against A, every metric both sides measured
    std::optional<profiler::TraceComparison> traces; ///< when both sides have traces
    std::vector<OpDelta> opDeltas; ///< from per-op times when there is no trace comparison

    Json toJson() const;
    std::string toText(int maxRows = 15) const;
};

Comparison compareSides(CompareSide a, CompareSide b);

} // namespace lwb::workbench
