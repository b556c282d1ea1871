// Building tuned profiles from a study file (`lwb export-profile`) and re-measuring them (`lwb
// check`, `lwb apply`): the CI gate's use cases.
#pragma once

#include "lwb/profiler/trace.h"
#include "lwb/workbench/gate.h"
#include "lwb/workbench/profile.h"
#include "lwb/workbench/spec.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lwb::workbench {

/// Per-op wall time per step (ms) of a trace: the profiler's attribution divided by its steps.
std::map<std::string, double> opMillisPerStep(const profiler::Trace& trace);

/// The tuned profile of a study: its best feasible trial (single objective) or Pareto set.
/// `studyName` may be empty when the file holds exactly one study. NothingFeasible-style errors
/// (no completed trial) use ErrorCode::NotFound.
Result<TunedProfile> buildProfile(const std::filesystem::path& studyFile, const std::string& studyName = {});

/// The spec stored in a profile, re-parsed (so a profile is runnable on its own).
Result<StudySpec> profileSpec(const TunedProfile& profile);

struct CheckOptions {
    std::vector<FailRule> failOn; ///< empty: every objective of the profile with a 5% threshold
    bool allowEnvironmentMismatch = false;
    std::optional<int> samples; ///< measured windows (default: the profile's rules)
    std::map<std::string, std::string> settings; ///< --set overrides (knob -> value text)
    std::function<bool()> cancelled;
    std::function<void(const std::string&)> onMessage;
    GateOptions gate;
};

/// Re-measures the profile's best configuration here and compares every gated metric with the
/// stored samples. Captures a host-op trace so a regression names the ops that account for it.
Result<GateReport> runCheck(const TunedProfile& profile, const std::string& profilePath, const CheckOptions& options);

} // namespace lwb::workbench
