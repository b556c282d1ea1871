// Step windows and clipping (see step_windows.h).
#include "lwb/profiler/step_windows.h"

#include <algorithm>

namespace lwb::profiler {

std::vector<StepWindow> stepWindows(const Trace& host)
{
    std::vector<StepWindow> out;
    for (const ActivityRecord& r : host.records) {
        if (r.kind != RecordKind::Marker || r.category != OpCategory::Step || !r.hasTimestamp())
            continue;
        out.push_back({r.step, host.sessionStartNs + r.start, host.sessionStartNs + r.end});
    }
    std::sort(out.begin(), out.end(), [](const StepWindow& a, const StepWindow& b) { return a.startNs < b.startNs; });
    return out;
}

std::size_t keepStepWindows(Trace& device, const std::vector<StepWindow>& windows)
{
    std::size_t kept = 0;
    std::int64_t removed = 0;
    auto overlapping = [&](std::int64_t start, std::int64_t end) -> const StepWindow* {
        // First window whose end is not before the record's start; steps do not overlap.
        auto it = std::lower_bound(
            windows.begin(), windows.end(), start, [](const StepWindow& w, std::int64_t t) { return w.endNs < t; });
        if (it == windows.end() || it->startNs > end)
            return nullptr;
        return &*it;
    };
    auto out = device.records.begin();
    for (auto& record : device.records) {
        if (!record.hasTimestamp()) {
            *out++ = record;
            continue;
        }
        const StepWindow* w = overlapping(device.sessionStartNs + record.start, device.sessionStartNs + record.end);
        if (!w) {
            ++removed;
            continue;
        }
        if (record.step < 0)
            record.step = w->step;
        *out++ = record;
        ++kept;
    }
    device.records.erase(out, device.records.end());
    device.stats.filteredRecords += removed;
    return kept;
}

} // namespace lwb::profiler
