// `lwb run WORKLOAD --set k=v ...`: one configuration, measured by the protocol.
#include "cli_common.h"

#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/trial_runner.h"

#include <fmt/core.h>
#include <iostream>

namespace lwb::cli {

Command addRunCommand(CLI::App& app)
{
    struct RunArgs {
        std::string workload;
        std::vector<std::string> sets;
        std::string format = "table";
        int warmup = 1, minSamples = 5, maxSamples = 20;
        double maxNoise = 0.05;
        std::string metric;
    };
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand("run", "Measure one configuration of a workload");
    cmd->add_option("workload", args->workload, "gpt-train, gpt-infer, mlp-train or mlp-infer")->required();
    cmd->add_option("--set", args->sets, "Knob value: --set batch_size=8 (repeatable)");
    cmd->add_option("--warmup", args->warmup, "Warm-up windows");
    cmd->add_option("--min-samples", args->minSamples, "Measured windows at least");
    cmd->add_option("--max-samples", args->maxSamples, "Measured windows at most");
    cmd->add_option("--max-noise", args->maxNoise, "Stop when the relative stddev is below this");
    cmd->add_option("--metric", args->metric, "Metric the noise rule watches (default: the workload's first)");
    cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    return {
        cmd, [args] {
            auto workload = workbench::makeWorkload(args->workload);
            if (!workload)
                return reportError("run", workload.error());
            auto sets = workbench::parseSetArguments(args->sets);
            if (!sets)
                return reportError("run", sets.error());
            auto partial = workbench::applyKnobText({}, *sets, **workload);
            if (!partial)
                return reportError("run", partial.error());
            auto config = (*workload)->resolve(*partial);
            if (!config)
                return reportError("run", config.error());
            workbench::TrialRunOptions run;
            run.rules.warmupWindows = args->warmup;
            run.rules.minSamples = args->minSamples;
            run.rules.maxSamples = std::max(args->maxSamples, args->minSamples);
            run.rules.maxNoise = args->maxNoise;
            run.primaryMetric = !args->metric.empty() ? args->metric
                : (*workload)->metrics().empty()      ? std::string()
                                                      : (*workload)->metrics().front().name;
            auto& interrupt = installInterruptHandlers();
            run.cancelled = [&interrupt] { return interrupt.load() > 0; };
            auto outcome = workbench::runTrial(**workload, *config, run);
            if (outcome.error) {
                if (outcome.error->code == ErrorCode::OutOfMemory || outcome.error->code == ErrorCode::NumericalError) {
                    std::fprintf(stderr, "lwb run: the configuration failed: %s\n", outcome.error->message.c_str());
                    return workbench::toInt(ExitCode::NothingFeasible);
                }
                return reportError("run", *outcome.error);
            }
            const auto& m = *outcome.measurement;
            if (args->format == "json") {
                Json out = m.toJson();
                out["workload"] = args->workload;
                out["config"] = engine::configToJson(*config);
                std::cout << out.dump(2) << "\n";
            } else {
                std::printf("%s %s\n", args->workload.c_str(), engine::configToJson(*config).dump().c_str());
                Table t;
                t.columns = {"metric", "median", "q1", "q3", "ci95", "n"};
                for (const auto& [name, d] : m.distributions)
                    t.rows.push_back({name, fmt::format("{:.6g}", d.median), fmt::format("{:.6g}", d.q1),
                        fmt::format("{:.6g}", d.q3), fmt::format("[{:.6g}, {:.6g}]", d.ciLow, d.ciHigh),
                        std::to_string(d.count)});
                for (const auto& [name, v] : m.summary)
                    if (!m.distributions.count(name))
                        t.rows.push_back({name, fmt::format("{:.6g}", v), "", "", "", "1"});
                std::cout << formatTable(t, "table");
                std::printf("%s after %d windows (%.1f%% noise)\n", m.stable ? "stable" : "NOISY", m.measuredWindows,
                    100 * m.noise);
            }
            if (interrupted())
                return workbench::toInt(ExitCode::Interrupted);
            return m.stable ? 0 : workbench::toInt(ExitCode::Inconclusive);
        }};
}

} // namespace lwb::cli
