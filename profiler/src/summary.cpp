// summarize(): one pass per question over sorted copies of the records. Busy time is the union
// of intervals (overlapping streams/threads are not double counted); the attribution sweep
// shares every instant of a step among the records running then, so its rows add up to the step.
#include "lwb/profiler/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

namespace lwb::profiler {
namespace {

struct Interval {
    std::int64_t start, end;
    const ActivityRecord* record;
};

bool isBusyKind(RecordKind kind)
{
    return kind == RecordKind::Kernel || kind == RecordKind::Memcpy || kind == RecordKind::Memset
        || kind == RecordKind::Graph;
}

std::string deviceGroup(std::int32_t device)
{
    return device < 0 ? "cpu" : "gpu" + std::to_string(device);
}

constexpr const char* kGroupNames[] = {"gpu_kernel", "gpu_graph", "cpu_op", "memcpy", "memset", "api", "sync"};
constexpr std::uint32_t kNoGroup = 7;

std::uint32_t groupOf(const ActivityRecord& r)
{
    switch (r.kind) {
    case RecordKind::Kernel:
        return r.device < 0 ? 2 : 0;
    case RecordKind::Graph:
        return 1;
    case RecordKind::Memcpy:
        return 3;
    case RecordKind::Memset:
        return 4;
    case RecordKind::Runtime:
    case RecordKind::Driver:
        return 5;
    case RecordKind::Sync:
        return 6;
    case RecordKind::Marker:
    case RecordKind::Overhead:
        break;
    }
    return kNoGroup;
}

/// Merged busy segments of intervals sorted by start; each segment remembers its last record.
struct Segment {
    std::int64_t start, end;
    const ActivityRecord* first;
    const ActivityRecord* last; ///< the record with the latest end
};

std::vector<Segment> unionOf(const std::vector<Interval>& sorted)
{
    std::vector<Segment> out;
    for (const Interval& iv : sorted) {
        if (!out.empty() && iv.start <= out.back().end) {
            if (iv.end > out.back().end) {
                out.back().end = iv.end;
                out.back().last = iv.record;
            }
        } else {
            out.push_back({iv.start, iv.end, iv.record, iv.record});
        }
    }
    return out;
}

std::int64_t totalOf(const std::vector<Segment>& segments)
{
    std::int64_t total = 0;
    for (const Segment& s : segments)
        total += s.end - s.start;
    return total;
}

std::int64_t intersection(const std::vector<Segment>& a, const std::vector<Segment>& b)
{
    std::int64_t total = 0;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        std::int64_t lo = std::max(a[i].start, b[j].start);
        std::int64_t hi = std::min(a[i].end, b[j].end);
        if (hi > lo)
            total += hi - lo;
        if (a[i].end < b[j].end)
            ++i;
        else
            ++j;
    }
    return total;
}

void sortIntervals(std::vector<Interval>& v)
{
    std::sort(v.begin(), v.end(),
        [](const Interval& a, const Interval& b) { return a.start != b.start ? a.start < b.start : a.end < b.end; });
}

std::int64_t stepAt(const std::vector<StepBreakdown>& steps, std::int64_t t)
{
    for (const StepBreakdown& s : steps)
        if (t >= s.startNs && t < s.endNs)
            return s.step;
    return -1;
}

Utilization utilization(
    const Trace& trace, const std::vector<Interval>& sorted, const std::vector<StepBreakdown>& steps)
{
    Utilization u;
    auto segments = unionOf(sorted);
    if (segments.empty())
        return u;
    u.firstNs = segments.front().start;
    u.lastNs = 0;
    for (const Segment& s : segments)
        u.lastNs = std::max(u.lastNs, s.end);
    u.busyNs = totalOf(segments);
    u.idleNs = (u.lastNs - u.firstNs) - u.busyNs;
    // All gaps feed the statistics; only the 10 longest get names (strings cost at 1M gaps).
    std::vector<std::int64_t> gapDurations;
    std::vector<std::pair<std::int64_t, std::size_t>> longest; // (-duration, segment index)
    gapDurations.reserve(segments.size());
    longest.reserve(segments.size());
    for (std::size_t i = 1; i < segments.size(); ++i) {
        gapDurations.push_back(segments[i].start - segments[i - 1].end);
        longest.emplace_back(-(segments[i].start - segments[i - 1].end), i);
    }
    std::size_t keep = std::min<std::size_t>(10, longest.size());
    std::partial_sort(longest.begin(), longest.begin() + static_cast<std::ptrdiff_t>(keep), longest.end());
    std::vector<Gap> gaps;
    for (std::size_t k = 0; k < keep; ++k) {
        std::size_t i = longest[k].second;
        Gap g {segments[i - 1].end, segments[i].start, trace.nameOf(*segments[i - 1].last),
            trace.nameOf(*segments[i].first), -1};
        g.step = stepAt(steps, g.startNs);
        gaps.push_back(std::move(g));
    }
    u.gaps = DurationStats::of(std::move(gapDurations));
    u.largestGaps = std::move(gaps);
    return u;
}

/// Steps from step markers, else from the records' step field, else the whole span.
std::vector<StepBreakdown> findSteps(const Trace& trace, const std::vector<Interval>& primary)
{
    std::map<std::int64_t, StepBreakdown> byStep;
    for (const ActivityRecord& r : trace.records) {
        if (r.kind == RecordKind::Marker && r.category == OpCategory::Step && r.hasTimestamp() && !byStep.count(r.step))
            byStep[r.step] = StepBreakdown {r.step, r.start, r.end};
    }
    if (byStep.empty()) {
        for (const Interval& iv : primary) {
            if (iv.record->step < 0)
                continue;
            auto [it, inserted]
                = byStep.try_emplace(iv.record->step, StepBreakdown {iv.record->step, iv.start, iv.end});
            if (!inserted) {
                it->second.startNs = std::min(it->second.startNs, iv.start);
                it->second.endNs = std::max(it->second.endNs, iv.end);
            }
        }
    }
    std::vector<StepBreakdown> steps;
    for (auto& [step, s] : byStep)
        steps.push_back(s);
    if (steps.empty() && !primary.empty()) {
        StepBreakdown whole {-1, primary.front().start, primary.front().end};
        for (const Interval& iv : primary)
            whole.endNs = std::max(whole.endNs, iv.end);
        steps.push_back(whole);
    }
    std::sort(steps.begin(), steps.end(),
        [](const StepBreakdown& a, const StepBreakdown& b) { return a.startNs < b.startNs; });
    for (StepBreakdown& s : steps)
        s.wallNs = s.endNs - s.startNs;
    return steps;
}

/// Fills busy/idle/op counts of each step and the attribution sweep (see AttributionEntry).
void attribute(const Trace& trace, const std::vector<Interval>& primary, std::vector<StepBreakdown>& steps,
    std::vector<AttributionEntry>& out)
{
    struct Share {
        double wallNs = 0;
        std::int64_t count = 0;
    };
    // Key: idle flag << 32 | name id; kNoString names "(end of step)".
    std::unordered_map<std::uint64_t, Share> shares;
    auto share = [&](StringId name, bool idle) -> Share& { return shares[(std::uint64_t {idle} << 32) | name]; };
    std::size_t firstCandidate = 0;
    std::vector<Interval> clipped;
    std::vector<std::size_t> active;
    for (StepBreakdown& step : steps) {
        // Clip the records overlapping the step (primary is sorted by start).
        while (firstCandidate < primary.size() && primary[firstCandidate].start < step.startNs
            && primary[firstCandidate].end <= step.startNs)
            ++firstCandidate;
        clipped.clear();
        for (std::size_t i = firstCandidate; i < primary.size() && primary[i].start < step.endNs; ++i) {
            const Interval& iv = primary[i];
            if (iv.end <= step.startNs)
                continue;
            if (iv.start >= step.startNs) {
                ++step.opCount;
                step.opTotalNs += iv.end - iv.start;
            }
            std::int64_t lo = std::max(iv.start, step.startNs), hi = std::min(iv.end, step.endNs);
            if (hi > lo)
                clipped.push_back({lo, hi, iv.record});
            else if (hi == lo)
                share(iv.record->name, false).count++;
        }
        step.busyNs = totalOf(unionOf(clipped));
        step.idleNs = step.wallNs - step.busyNs;
        for (const Interval& iv : clipped)
            share(iv.record->name, false).count++;

        active.clear();
        std::size_t next = 0;
        std::int64_t t = step.startNs;
        while (t < step.endNs) {
            while (next < clipped.size() && clipped[next].start <= t) {
                if (clipped[next].end > t)
                    active.push_back(next);
                ++next;
            }
            std::erase_if(active, [&](std::size_t a) { return clipped[a].end <= t; });
            std::int64_t until = step.endNs;
            if (next < clipped.size())
                until = std::min(until, clipped[next].start);
            for (std::size_t a : active)
                until = std::min(until, clipped[a].end);
            auto length = static_cast<double>(until - t);
            if (active.empty()) {
                Share& idle = share(next < clipped.size() ? clipped[next].record->name : kNoString, true);
                idle.wallNs += length;
                idle.count++;
            } else {
                double part = length / static_cast<double>(active.size());
                for (std::size_t a : active)
                    share(clipped[a].record->name, false).wallNs += part;
            }
            t = until;
        }
    }
    out.clear();
    for (const auto& [key, value] : shares) {
        auto name = static_cast<StringId>(key & 0xFFFFFFFFu);
        out.push_back({name == kNoString ? std::string("(end of step)") : trace.strings[name], (key >> 32) != 0,
            value.wallNs, value.count});
    }
    std::sort(out.begin(), out.end(), [](const AttributionEntry& a, const AttributionEntry& b) {
        if (a.wallNs != b.wallNs)
            return a.wallNs > b.wallNs;
        return std::tie(a.name, a.idle) < std::tie(b.name, b.idle);
    });
}

} // namespace

DurationStats DurationStats::of(std::vector<std::int64_t> durations)
{
    DurationStats s;
    if (durations.empty())
        return s;
    std::size_t n = durations.size();
    s.count = static_cast<std::int64_t>(n);
    s.totalNs = std::accumulate(durations.begin(), durations.end(), std::int64_t {0});
    s.meanNs = static_cast<double>(s.totalNs) / static_cast<double>(n);
    auto [lo, hi] = std::minmax_element(durations.begin(), durations.end());
    s.minNs = *lo;
    s.maxNs = *hi;
    double sum = 0;
    for (std::int64_t d : durations)
        sum += (static_cast<double>(d) - s.meanNs) * (static_cast<double>(d) - s.meanNs);
    s.stddevNs = n > 1 ? std::sqrt(sum / static_cast<double>(n - 1)) : 0;
    // Median by selection (linear time): a million gaps need no full sort.
    auto mid = durations.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(durations.begin(), mid, durations.end());
    if (n % 2) {
        s.medianNs = static_cast<double>(*mid);
    } else {
        std::int64_t below = *std::max_element(durations.begin(), mid);
        s.medianNs = (static_cast<double>(below) + static_cast<double>(*mid)) / 2.0;
    }
    return s;
}

std::vector<OpStats> TraceSummary::group(std::string_view name) const
{
    std::vector<OpStats> out;
    for (const OpStats& op : topOps)
        if (op.group == name)
            out.push_back(op);
    return out;
}

TraceSummary summarize(const Trace& trace)
{
    TraceSummary summary;
    summary.capture = trace.stats;
    summary.recordCount = static_cast<std::int64_t>(trace.records.size());
    auto [first, last] = trace.span();
    summary.spanNs = last - first;

    // Top ops per group (keyed by group << 32 | name id while counting).
    std::unordered_map<std::uint64_t, std::vector<std::int64_t>> durations;
    for (const ActivityRecord& r : trace.records) {
        std::uint32_t group = groupOf(r);
        if (group == kNoGroup || !r.hasTimestamp())
            continue;
        durations[(std::uint64_t {group} << 32) | r.name].push_back(r.duration());
    }
    std::map<std::string, std::int64_t> groupTotals;
    for (auto& [key, values] : durations) {
        OpStats op {trace.strings[static_cast<StringId>(key & 0xFFFFFFFFu)], kGroupNames[key >> 32],
            DurationStats::of(std::move(values)), 0};
        groupTotals[op.group] += op.stats.totalNs;
        summary.topOps.push_back(std::move(op));
    }
    for (OpStats& op : summary.topOps) {
        std::int64_t total = groupTotals[op.group];
        op.percent = total > 0 ? 100.0 * static_cast<double>(op.stats.totalNs) / static_cast<double>(total) : 0;
    }
    // Groups in kGroupNames order (device work first), each longest total first.
    auto rank = [](const std::string& group) {
        return std::find(std::begin(kGroupNames), std::end(kGroupNames), group) - std::begin(kGroupNames);
    };
    std::sort(summary.topOps.begin(), summary.topOps.end(), [&](const OpStats& a, const OpStats& b) {
        if (a.group != b.group)
            return rank(a.group) < rank(b.group);
        if (a.stats.totalNs != b.stats.totalNs)
            return a.stats.totalNs > b.stats.totalNs;
        return a.name < b.name;
    });

    // Busy intervals per device group and per track.
    std::map<std::int32_t, std::vector<Interval>> byDevice;
    std::map<TrackKey, std::vector<Interval>> byTrack;
    std::map<std::int32_t, std::vector<Interval>> computeByDevice, copyByDevice;
    for (const ActivityRecord& r : trace.records) {
        if (!isBusyKind(r.kind) || !r.hasTimestamp() || r.end < r.start)
            continue;
        Interval iv {r.start, r.end, &r};
        byDevice[r.device].push_back(iv);
        byTrack[{r.device, r.stream}].push_back(iv);
        if (r.kind == RecordKind::Memcpy)
            copyByDevice[r.device].push_back(iv);
        else if (r.kind == RecordKind::Kernel || r.kind == RecordKind::Graph)
            computeByDevice[r.device].push_back(iv);
    }
    for (auto& [device, v] : byDevice)
        sortIntervals(v);

    // The primary device group: the GPU with the most busy time, else the CPU.
    std::int32_t primaryDevice = kHostDevice;
    std::int64_t bestBusy = -1;
    for (auto& [device, v] : byDevice) {
        std::int64_t busy = totalOf(unionOf(v));
        if (device >= 0 && busy > bestBusy) {
            bestBusy = busy;
            primaryDevice = device;
        }
    }
    static const std::vector<Interval> kNone;
    const std::vector<Interval>& primary = byDevice.count(primaryDevice) ? byDevice[primaryDevice] : kNone;
    summary.primaryDevice = primary.empty() ? "" : deviceGroup(primaryDevice);
    summary.steps = findSteps(trace, primary);

    for (auto& [device, v] : byDevice) {
        Utilization u = utilization(trace, v, summary.steps);
        u.device = deviceGroup(device);
        u.key = {device, 0};
        summary.devices.push_back(std::move(u));
    }
    for (auto& [key, v] : byTrack) {
        sortIntervals(v);
        Utilization u = utilization(trace, v, summary.steps);
        u.device = deviceGroup(key.device);
        auto named = trace.trackNames.find(key);
        u.track = named != trace.trackNames.end() ? named->second : defaultTrackName(key);
        u.key = key;
        summary.tracks.push_back(std::move(u));
    }
    for (auto& [device, v] : byDevice) {
        auto& compute = computeByDevice[device];
        auto& copy = copyByDevice[device];
        sortIntervals(compute);
        sortIntervals(copy);
        auto c = unionOf(compute), m = unionOf(copy);
        Overlap o {deviceGroup(device), totalOf(c), totalOf(m), intersection(c, m), 0};
        o.copyOverlappedPercent
            = o.copyNs > 0 ? 100.0 * static_cast<double>(o.overlapNs) / static_cast<double>(o.copyNs) : 0;
        summary.overlap.push_back(o);
    }

    // Launch statistics: GPU records joined to their API call on (process, correlation id).
    std::unordered_map<std::uint64_t, const ActivityRecord*> apiByCorrelation;
    for (const ActivityRecord& r : trace.records)
        if ((r.kind == RecordKind::Runtime || r.kind == RecordKind::Driver) && r.correlationId != 0 && r.hasTimestamp())
            apiByCorrelation[(std::uint64_t {r.processId} << 32) | r.correlationId] = &r;
    std::vector<std::int64_t> api, queue, latency;
    for (const ActivityRecord& r : trace.records) {
        if (r.device < 0 || !isBusyKind(r.kind) || !r.hasTimestamp())
            continue;
        auto it = apiByCorrelation.find((std::uint64_t {r.processId} << 32) | r.correlationId);
        if (r.correlationId == 0 || it == apiByCorrelation.end()) {
            ++summary.launch.unmatched;
            continue;
        }
        ++summary.launch.launches;
        api.push_back(it->second->duration());
        queue.push_back(r.start - it->second->end);
        latency.push_back(r.start - it->second->start);
    }
    summary.launch.apiNs = DurationStats::of(std::move(api));
    summary.launch.queueNs = DurationStats::of(std::move(queue));
    summary.launch.latencyNs = DurationStats::of(std::move(latency));

    attribute(trace, primary, summary.steps, summary.attribution);
    for (const StepBreakdown& s : summary.steps)
        summary.stepWallNs += s.wallNs;
    return summary;
}

} // namespace lwb::profiler
