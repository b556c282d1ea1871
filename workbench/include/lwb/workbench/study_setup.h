// Turning a StudySpec into runnable parts: the workload (engine built-in or external command),
// its fixed settings typed by the workload's knobs, the tuner's search space (checked against the
// knobs' types and domains), objectives and outcome constraints. Errors name the spec key/line.
#pragma once

#include "lwb/engine/workload.h"
#include "lwb/tuner/objective.h"
#include "lwb/tuner/param.h"
#include "lwb/tuner/search_space.h"
#include "lwb/workbench/spec.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lwb::workbench {

/// The spec's workload: `command` or one of the engine's built-ins (NotFound lists them).
Result<std::unique_ptr<engine::Workload>> makeWorkload(const StudySpec& spec);
/// A built-in workload by name (for `lwb run WORKLOAD`).
Result<std::unique_ptr<engine::Workload>> makeWorkload(std::string_view name);

/// The spec's `settings:` typed by the workload's knobs.
Result<engine::Config> fixedSettings(const StudySpec& spec, const engine::Workload& workload);
/// The tuner's space: every searched knob plus fixed settings that constraints mention.
Result<tuner::SearchSpace> buildSearchSpace(const StudySpec& spec, const engine::Workload& workload);
std::vector<tuner::Objective> tunerObjectives(const StudySpec& spec);
std::vector<tuner::OutcomeConstraint> tunerConstraints(const StudySpec& spec);
/// Checks that objectives and outcome constraints name metrics the workload reports.
Status checkMetrics(const StudySpec& spec, const engine::Workload& workload);

/// `--set KNOB=VALUE` arguments as name -> text; InvalidArgument names a malformed one.
Result<std::map<std::string, std::string>> parseSetArguments(const std::vector<std::string>& sets);
/// Knob values given as text (YAML scalars: 8, 1e-3, bf16, true), typed by the workload's knobs
/// and laid over `base`; errors name the `--set` knob.
Result<engine::Config> applyKnobText(
    engine::Config base, const std::map<std::string, std::string>& values, const engine::Workload& workload);

/// Settings, then the trial's parameters, resolved (defaults filled, validated) by the workload.
Result<engine::Config> trialConfig(
    const engine::Workload& workload, const engine::Config& settings, const tuner::Params& params);

} // namespace lwb::workbench
