// The `command` workload: tunes any external program. Its argv (and environment values) hold
// {param} placeholders filled from the trial's configuration and are executed without a shell;
// metrics are read from its stdout as JSON lines ({"tokens_per_s": 1234, "step": 3, "loss": 2.1})
// or by named regexes. Each metric line is one measurement window, so a program that prints a
// line per step gives the protocol many samples from one run; the program is run again when
// its lines are used up. A crash, a timeout or a run without metrics fails the trial.
#pragma once

#include "lwb/engine/workload.h"
#include "lwb/workbench/spec.h"

#include <memory>
#include <string>
#include <vector>

namespace lwb::workbench {

class CommandWorkload final : public engine::Workload {
public:
    CommandWorkload(CommandSpec command, std::vector<engine::KnobSpec> knobs, std::vector<std::string> metricNames);
    /// Knobs from the spec's search space and settings; metrics from its objectives/constraints.
    static Result<std::unique_ptr<CommandWorkload>> fromSpec(const StudySpec& spec);

    std::string name() const override { return "command"; }
    std::string description() const override;
    std::vector<engine::KnobSpec> knobs() const override { return m_knobs; }
    std::vector<engine::MetricSpec> metrics() const override;
    Result<engine::Config> resolve(const engine::Config& partial) const override;
    Result<std::unique_ptr<engine::WorkloadSession>> prepare(
        const engine::Config& config, engine::RunContext& context) override;

    /// argv with placeholders filled (what would be executed for this configuration).
    Result<std::vector<std::string>> commandLine(const engine::Config& config) const;

private:
    CommandSpec m_command;
    std::vector<engine::KnobSpec> m_knobs;
    std::vector<std::string> m_metricNames;
};

/// Replaces {name} (an identifier in braces) with the configuration's value; {{name}} is the
/// literal text {name}; every other brace is literal (JSON in arguments stays intact). Unknown
/// names are errors naming the placeholder.
Result<std::string> substitutePlaceholders(std::string_view text, const engine::Config& config);

} // namespace lwb::workbench
