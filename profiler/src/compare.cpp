// compareSummaries(): aligns the attribution rows of two summaries by (name, idle) and the steps
// by ordinal. Both sides are per-step means, so rows add up to the difference of the mean step
// times even when A and B captured different numbers of steps.
#include "lwb/profiler/compare.h"

#include "csv.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace lwb::profiler {

Result<TraceComparison> compareSummaries(const TraceSummary& a, const TraceSummary& b)
{
    if (a.steps.empty())
        return fail(ErrorCode::InvalidArgument, "trace A has no timed kernels or ops to compare", LWB_WHERE);
    if (b.steps.empty())
        return fail(ErrorCode::InvalidArgument, "trace B has no timed kernels or ops to compare", LWB_WHERE);
    TraceComparison out;
    out.deviceA = a.primaryDevice;
    out.deviceB = b.primaryDevice;
    out.stepsA = static_cast<std::int64_t>(a.steps.size());
    out.stepsB = static_cast<std::int64_t>(b.steps.size());
    auto nA = static_cast<double>(out.stepsA), nB = static_cast<double>(out.stepsB);
    out.measuredA = static_cast<double>(a.stepWallNs) / nA;
    out.measuredB = static_cast<double>(b.stepWallNs) / nB;
    out.differenceNs = out.measuredB - out.measuredA;

    std::map<std::pair<std::string, bool>, CompareRow> rows;
    for (const AttributionEntry& e : a.attribution) {
        CompareRow& row = rows[{e.name, e.idle}];
        row.name = e.name;
        row.idle = e.idle;
        row.aNs += e.wallNs / nA;
        row.countA += static_cast<double>(e.count) / nA;
    }
    for (const AttributionEntry& e : b.attribution) {
        CompareRow& row = rows[{e.name, e.idle}];
        row.name = e.name;
        row.idle = e.idle;
        row.bNs += e.wallNs / nB;
        row.countB += static_cast<double>(e.count) / nB;
    }
    for (auto& [key, row] : rows) {
        row.deltaNs = row.bNs - row.aNs;
        row.shareOfDifference = out.differenceNs != 0 ? row.deltaNs / out.differenceNs : 0;
        out.rows.push_back(std::move(row));
    }
    std::stable_sort(out.rows.begin(), out.rows.end(),
        [](const CompareRow& x, const CompareRow& y) { return std::abs(x.deltaNs) > std::abs(y.deltaNs); });

    std::size_t n = std::max(a.steps.size(), b.steps.size());
    for (std::size_t i = 0; i < n; ++i) {
        StepDelta d;
        d.ordinal = static_cast<std::int64_t>(i);
        if (i < a.steps.size()) {
            d.stepA = a.steps[i].step;
            d.wallA = a.steps[i].wallNs;
        }
        if (i < b.steps.size()) {
            d.stepB = b.steps[i].step;
            d.wallB = b.steps[i].wallNs;
        }
        d.deltaNs = d.wallB - d.wallA;
        out.steps.push_back(d);
    }
    return out;
}

std::string TraceComparison::toCsv() const
{
    CsvWriter csv;
    csv.row({"Name", "Kind", "A per step (ns)", "B per step (ns)", "Delta (ns)", "Share of difference",
        "A count per step", "B count per step"});
    for (const CompareRow& r : rows)
        csv.row({r.name, r.idle ? "idle before" : "op", CsvWriter::number(r.aNs), CsvWriter::number(r.bNs),
            CsvWriter::number(r.deltaNs), CsvWriter::number(r.shareOfDifference), CsvWriter::number(r.countA),
            CsvWriter::number(r.countB)});
    csv.row({"(measured)", "total", CsvWriter::number(measuredA), CsvWriter::number(measuredB),
        CsvWriter::number(differenceNs), "1", "", ""});
    return csv.text();
}

} // namespace lwb::profiler
