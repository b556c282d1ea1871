// TraceSummary <-> JSON, the form TraceStore keeps summaries in. Missing keys take defaults (so
// older summaries still load); a document of the wrong shape is reported as Corrupt.
#include "lwb/profiler/summary.h"

namespace lwb::profiler {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrackKey, device, stream)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    CaptureStats, droppedRecords, dropReason, noTimestampRecords, filteredRecords, invalidRecords)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DurationStats, count, totalNs, meanNs, medianNs, minNs, maxNs, stddevNs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OpStats, name, group, stats, percent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Gap, startNs, endNs, before, after, step)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    Utilization, device, track, key, firstNs, lastNs, busyNs, idleNs, gaps, largestGaps)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Overlap, device, computeNs, copyNs, overlapNs, copyOverlappedPercent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LaunchStats, launches, unmatched, apiNs, queueNs, latencyNs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    StepBreakdown, step, startNs, endNs, wallNs, busyNs, idleNs, opCount, opTotalNs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AttributionEntry, name, idle, wallNs, count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceSummary, primaryDevice, spanNs, recordCount, topOps, devices,
    tracks, overlap, launch, steps, stepWallNs, attribution, capture)

Json TraceSummary::toJson() const
{
    Json json = *this;
    json["version"] = 1;
    return json;
}

Result<TraceSummary> TraceSummary::fromJson(const Json& json)
{
    if (!json.is_object())
        return fail(ErrorCode::Corrupt, "trace summary is not a JSON object", LWB_WHERE);
    if (json.value("version", 0) > 1)
        return fail(ErrorCode::VersionTooNew, "trace summary written by a newer Lepton Workbench", LWB_WHERE);
    try {
        return json.get<TraceSummary>();
    } catch (const std::exception& e) {
        return fail(ErrorCode::Corrupt, std::string("trace summary is damaged: ") + e.what(), LWB_WHERE);
    }
}

} // namespace lwb::profiler
