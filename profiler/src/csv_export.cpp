// CSV tables of a TraceSummary. Column names follow `nsys stats --format csv` where a report has
// an nsys counterpart (cuda_gpu_kern_sum: "Time (%)", "Total Time (ns)", "Instances", ...).
#include "csv.h"
#include "lwb/core/json_yaml.h"
#include "lwb/profiler/export.h"

namespace lwb::profiler {
namespace {
using N = CsvWriter;

void statsColumns(
    CsvWriter& csv, std::string_view a, std::string_view b, const DurationStats& s, std::string_view c = {})
{
    if (c.empty())
        csv.row({a, b, N::number(s.count), N::number(s.totalNs), N::number(s.meanNs), N::number(s.medianNs),
            N::number(s.minNs), N::number(s.maxNs), N::number(s.stddevNs)});
    else
        csv.row({a, b, c, N::number(s.count), N::number(s.totalNs), N::number(s.meanNs), N::number(s.medianNs),
            N::number(s.minNs), N::number(s.maxNs), N::number(s.stddevNs)});
}
} // namespace

std::string summaryCsv(const TraceSummary& summary, CsvReport report)
{
    CsvWriter csv;
    switch (report) {
    case CsvReport::TopOps:
        csv.row({"Time (%)", "Total Time (ns)", "Instances", "Avg (ns)", "Med (ns)", "Min (ns)", "Max (ns)",
            "StdDev (ns)", "Name", "Group"});
        for (const OpStats& op : summary.topOps)
            csv.row({N::number(op.percent, 1), N::number(op.stats.totalNs), N::number(op.stats.count),
                N::number(op.stats.meanNs), N::number(op.stats.medianNs), N::number(op.stats.minNs),
                N::number(op.stats.maxNs), N::number(op.stats.stddevNs), op.name, op.group});
        break;
    case CsvReport::Gaps:
        csv.row({"Device", "Start (ns)", "End (ns)", "Duration (ns)", "Step", "Before", "After"});
        for (const Utilization& u : summary.devices)
            for (const Gap& g : u.largestGaps)
                csv.row({u.device, N::number(g.startNs), N::number(g.endNs), N::number(g.endNs - g.startNs),
                    N::number(g.step), g.before, g.after});
        break;
    case CsvReport::Steps:
        csv.row({"Step", "Start (ns)", "End (ns)", "Wall (ns)", "Busy (ns)", "Idle (ns)", "Ops", "Op Total (ns)"});
        for (const StepBreakdown& s : summary.steps)
            csv.row({N::number(s.step), N::number(s.startNs), N::number(s.endNs), N::number(s.wallNs),
                N::number(s.busyNs), N::number(s.idleNs), N::number(s.opCount), N::number(s.opTotalNs)});
        break;
    case CsvReport::Overlap:
        csv.row({"Device", "Compute (ns)", "Copy (ns)", "Overlap (ns)", "Copy Overlapped (%)"});
        for (const Overlap& o : summary.overlap)
            csv.row({o.device, N::number(o.computeNs), N::number(o.copyNs), N::number(o.overlapNs),
                N::number(o.copyOverlappedPercent, 1)});
        break;
    case CsvReport::Launch:
        csv.row({"Metric", "Launches", "Unmatched", "Count", "Total (ns)", "Avg (ns)", "Med (ns)", "Min (ns)",
            "Max (ns)", "StdDev (ns)"});
        statsColumns(csv, "api_duration", N::number(summary.launch.launches), summary.launch.apiNs,
            N::number(summary.launch.unmatched));
        statsColumns(csv, "queue", N::number(summary.launch.launches), summary.launch.queueNs,
            N::number(summary.launch.unmatched));
        statsColumns(csv, "latency", N::number(summary.launch.launches), summary.launch.latencyNs,
            N::number(summary.launch.unmatched));
        break;
    case CsvReport::Tracks:
        csv.row({"Device", "Track", "First (ns)", "Last (ns)", "Busy (ns)", "Idle (ns)", "Busy (%)", "Gaps",
            "Max Gap (ns)"});
        for (const Utilization& u : summary.tracks) {
            std::int64_t span = u.lastNs - u.firstNs;
            double busy = span > 0 ? 100.0 * static_cast<double>(u.busyNs) / static_cast<double>(span) : 100.0;
            csv.row({u.device, u.track, N::number(u.firstNs), N::number(u.lastNs), N::number(u.busyNs),
                N::number(u.idleNs), N::number(busy, 1), N::number(u.gaps.count), N::number(u.gaps.maxNs)});
        }
        break;
    }
    return csv.text();
}

Status writeSummaryCsv(const TraceSummary& summary, CsvReport report, const std::filesystem::path& path)
{
    return writeFileAtomic(path, summaryCsv(summary, report));
}

} // namespace lwb::profiler
