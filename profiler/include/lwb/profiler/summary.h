// Trace summaries, computed once after capture (TraceStore stores them): top kernels/ops, busy
// time and idle gaps per device, overlap of compute with copies, launch statistics (API call to
// kernel), a per-step breakdown, and the wall-time attribution that compare() decomposes.
// All times are nanoseconds. "Device groups": each GPU, and the CPU (all host threads' ops).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/profiler/trace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::profiler {

/// Duration statistics of a set of records (nsys `cuda_gpu_kern_sum` columns).
struct DurationStats {
    std::int64_t count = 0;
    std::int64_t totalNs = 0;
    double meanNs = 0;
    double medianNs = 0; ///< mean of the two middle values for an even count
    std::int64_t minNs = 0;
    std::int64_t maxNs = 0;
    double stddevNs = 0; ///< sample standard deviation (n-1), 0 for one value

    static DurationStats of(std::vector<std::int64_t> durations);
};

/// One row of a top-N table: a kernel, CPU op, copy kind or API call.
struct OpStats {
    std::string name;
    std::string group; ///< "gpu_kernel", "cpu_op", "memcpy", "memset", "api"
    DurationStats stats;
    double percent = 0; ///< share of the group's total time, 0..100
};

/// An idle interval of a device group (between two busy intervals).
struct Gap {
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::string before; ///< the record that ended the preceding busy interval
    std::string after; ///< the record that starts the next one
    std::int64_t step = -1;
};

/// Busy/idle time of one device group or one track over [firstNs, lastNs].
struct Utilization {
    std::string device; ///< "gpu0", "cpu"
    std::string track; ///< empty for a whole device group, else the track name
    TrackKey key;
    std::int64_t firstNs = 0;
    std::int64_t lastNs = 0;
    std::int64_t busyNs = 0; ///< union of the busy intervals
    std::int64_t idleNs = 0; ///< (last - first) - busy
    DurationStats gaps; ///< idle gaps (count, total, mean, median, min, max)
    std::vector<Gap> largestGaps; ///< up to 10, longest first
};

/// Overlap of compute (kernels/ops) with copies (memcpy) on one device group.
struct Overlap {
    std::string device;
    std::int64_t computeNs = 0; ///< union of compute intervals
    std::int64_t copyNs = 0; ///< union of copy intervals
    std::int64_t overlapNs = 0; ///< |compute ∩ copy|
    double copyOverlappedPercent = 0; ///< overlap / copy * 100
};

/// API call -> kernel launch statistics (records joined on correlationId).
struct LaunchStats {
    std::int64_t launches = 0; ///< kernels/copies with a matching API call
    std::int64_t unmatched = 0; ///< GPU records whose API call was not captured
    DurationStats apiNs; ///< duration of the launching API calls
    DurationStats queueNs; ///< device start - API end (negative when the GPU started before the call returned)
    DurationStats latencyNs; ///< device start - API start
};

/// One step: its wall time and how the primary device group spent it.
struct StepBreakdown {
    std::int64_t step = -1;
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::int64_t wallNs = 0;
    std::int64_t busyNs = 0; ///< union of busy intervals of the primary device group inside the step
    std::int64_t idleNs = 0;
    std::int64_t opCount = 0; ///< records of the primary group that start in the step
    std::int64_t opTotalNs = 0; ///< sum of their durations (can exceed wallNs with parallel threads/streams)
};

/// Wall time of the primary device group's steps, shared among the records that ran: an instant
/// where k records run gives 1/k of it to each; idle instants go to "idle before <next record>".
/// The entries of all steps add up to the steps' total wall time exactly (up to rounding).
struct AttributionEntry {
    std::string name;
    bool idle = false; ///< true: idle time before a record of this name ("(end of step)" at a step end)
    double wallNs = 0; ///< summed over all captured steps
    std::int64_t count = 0; ///< records (or gaps) summed over all steps
};

struct TraceSummary {
    std::string primaryDevice; ///< the device group the steps and attribution describe ("gpu0", "cpu")
    std::int64_t spanNs = 0; ///< last end - first start over all timed records
    std::int64_t recordCount = 0;
    std::vector<OpStats>
        topOps; ///< groups gpu_kernel, gpu_graph, cpu_op, memcpy, memset, api, sync; each longest first
    std::vector<Utilization> devices; ///< one per device group
    std::vector<Utilization> tracks; ///< one per timeline track with busy records
    std::vector<Overlap> overlap; ///< one per device group with copies or kernels
    LaunchStats launch;
    std::vector<StepBreakdown> steps; ///< steps found (markers, else the records' step field, else one)
    std::int64_t stepWallNs = 0; ///< sum of the steps' wall time
    std::vector<AttributionEntry> attribution; ///< sorted by wallNs, largest first
    CaptureStats capture;

    Json toJson() const;
    static Result<TraceSummary> fromJson(const Json& json);
    /// Rows of one group ("gpu_kernel", ...), longest first.
    std::vector<OpStats> group(std::string_view name) const;
};

/// Computes the summary of a trace (one pass over sorted copies of the records).
TraceSummary summarize(const Trace& trace);

} // namespace lwb::profiler
