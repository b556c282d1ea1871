// Qt-free adapters from the workbench's stored data to the GUI's snapshots: a study file's study
// (read-only, works while `lwb tune` writes it), a trial's trace as a TimelineSource, the tuner's
// insights, a comparison of two trials, and the engine's workloads for the Setup page.
#pragma once

#include "lwb/core/result.h"
#include "lwb/ui/setup_spec.h"
#include "lwb/ui/snapshots.h"
#include "lwb/ui/timeline_source.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lwb::profiler {
struct Trace;
}

namespace lwb::ui {

/// The engine's built-in workloads with their knobs and metrics.
std::vector<WorkloadInfo> builtinWorkloadInfos();

/// The (only, or named) study of a study file, with every trial.
Result<StudySnapshot> loadStudySnapshot(const std::filesystem::path& path, const std::string& studyName = {});

/// GP insights for an objective (importance, and a slice per numeric parameter).
Result<InsightsSnapshot> loadInsights(const std::filesystem::path& path, const std::string& studyName, int objective);

/// A trace as a timeline: one track per CPU thread / GPU stream, items by category.
std::shared_ptr<const TimelineSource> timelineFromTrace(const profiler::Trace& trace);

/// The timeline of a trial that has a captured trace (NotFound otherwise).
Result<TimelineSnapshot> loadTrialTimeline(
    const std::filesystem::path& path, int trialNumber, const std::atomic<bool>* cancelled = nullptr);

/// Trial A against trial B: configs, metric samples and verdicts, ranked op deltas.
Result<CompareSnapshot> loadComparison(const std::filesystem::path& path, int trialA, int trialB);

} // namespace lwb::ui
