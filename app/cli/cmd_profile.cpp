// `lwb export-profile`, `lwb apply` and `lwb check` (the CI gate).
#include "cli_common.h"

#include "lwb/workbench/profiles.h"
#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/trial_runner.h"

#include <fmt/core.h>
#include <iostream>

namespace lwb::cli {
namespace {

struct CheckArgs {
    std::string profile;
    std::vector<std::string> failOn;
    std::string junit, md, json;
    bool allowEnvMismatch = false;
    int samples = 0;
    std::vector<std::string> sets;
    double alpha = 0.05;
};

int runCheckCommand(const CheckArgs& args)
{
    auto profile = workbench::TunedProfile::load(args.profile);
    if (!profile)
        return reportError("check", profile.error());
    workbench::CheckOptions options;
    for (const auto& f : args.failOn) {
        auto rule = workbench::parseFailRule(f);
        if (!rule)
            return reportError("check", rule.error());
        options.failOn.push_back(*rule);
    }
    auto sets = workbench::parseSetArguments(args.sets);
    if (!sets)
        return reportError("check", sets.error());
    options.settings = *sets;
    options.allowEnvironmentMismatch = args.allowEnvMismatch;
    if (args.samples > 0)
        options.samples = args.samples;
    options.gate.alpha = args.alpha;
    auto& interrupt = installInterruptHandlers();
    options.cancelled = [&interrupt] { return interrupt.load() > 0; };
    options.onMessage = [](const std::string& m) { std::fprintf(stderr, "lwb check: %s\n", m.c_str()); };
    auto report = workbench::runCheck(*profile, args.profile, options);
    if (!report)
        return reportError("check", report.error());
    std::cout << report->toMarkdown();
    auto write = [&](const std::string& path, const std::string& content) -> bool {
        if (path.empty())
            return true;
        if (Status s = writeFileAtomic(path, content); !s) {
            std::fprintf(stderr, "lwb check: %s\n", s.error().message.c_str());
            return false;
        }
        return true;
    };
    if (!write(args.junit, report->toJUnit()) || !write(args.md, report->toMarkdown())
        || !write(args.json, report->toJson().dump(2) + "\n"))
        return workbench::toInt(ExitCode::InternalError);
    ExitCode code = report->exitCode();
    std::printf("\nresult: %s (exit %d)\n",
        code == ExitCode::Ok                        ? "ok"
            : code == ExitCode::CheckFailed         ? "regression"
            : code == ExitCode::Inconclusive        ? "inconclusive (too noisy to decide)"
            : code == ExitCode::EnvironmentMismatch ? "environment mismatch"
                                                    : "failed",
        workbench::toInt(code));
    return workbench::toInt(code);
}

struct ApplyArgs {
    std::string profile;
    int samples = 0;
    std::vector<std::string> sets;
};

int runApply(const ApplyArgs& args)
{
    auto profile = workbench::TunedProfile::load(args.profile);
    if (!profile)
        return reportError("apply", profile.error());
    auto spec = workbench::profileSpec(*profile);
    if (!spec)
        return reportError("apply", spec.error());
    auto workload = workbench::makeWorkload(*spec);
    if (!workload)
        return reportError("apply", workload.error());
    auto stored = engine::configFromJson(profile->best.config, (*workload)->knobs());
    if (!stored)
        return reportError("apply", stored.error());
    auto sets = workbench::parseSetArguments(args.sets);
    if (!sets)
        return reportError("apply", sets.error());
    auto config = workbench::applyKnobText(*stored, *sets, **workload);
    if (!config)
        return reportError("apply", config.error());
    auto resolved = (*workload)->resolve(*config);
    if (!resolved)
        return reportError("apply", resolved.error());
    workbench::TrialRunOptions run;
    run.rules = spec->measurement;
    if (args.samples > 0)
        run.rules.minSamples = run.rules.maxSamples = args.samples;
    run.primaryMetric = spec->objectives.front().metric;
    auto& interrupt = installInterruptHandlers();
    run.cancelled = [&interrupt] { return interrupt.load() > 0; };
    auto outcome = workbench::runTrial(**workload, *resolved, run);
    if (outcome.error)
        return reportError("apply", *outcome.error);
    std::printf("%s with %s\n", (*workload)->name().c_str(), engine::configToJson(*resolved).dump().c_str());
    for (const auto& [metric, d] : outcome.measurement->distributions)
        std::printf("  %-22s median %-12.6g IQR %-10.4g (n=%zu) profile %.6g\n", metric.c_str(), d.median, d.iqr(),
            d.count, profile->best.values.count(metric) ? profile->best.values.at(metric) : std::nan(""));
    return 0;
}

} // namespace

std::vector<Command> addProfileCommands(CLI::App& app)
{
    std::vector<Command> out;
    struct ExportArgs {
        std::string file, study, output = "tuned.json";
    };
    auto exportArgs = std::make_shared<ExportArgs>();
    CLI::App* exp = app.add_subcommand("export-profile",
        "Write the tuned profile (best configuration, measured "
        "distributions, fingerprint) of a study");
    exp->add_option("file", exportArgs->file, "Study file (.lwb)")->required();
    exp->add_option("--study", exportArgs->study, "Study name (when the file holds several)");
    exp->add_option("-o,--output", exportArgs->output, "Profile to write (JSON)");
    out.push_back({exp, [exportArgs] {
                       auto profile = workbench::buildProfile(exportArgs->file, exportArgs->study);
                       if (!profile) {
                           if (profile.error().code == ErrorCode::NotFound && exportArgs->file.size() > 0
                               && profile.error().message.find("no completed trial") != std::string::npos) {
                               std::fprintf(stderr, "lwb export-profile: %s\n", profile.error().message.c_str());
                               return workbench::toInt(ExitCode::NothingFeasible);
                           }
                           return reportError("export-profile", profile.error());
                       }
                       if (Status s = profile->save(exportArgs->output); !s)
                           return reportError("export-profile", s.error());
                       std::printf("wrote %s (study %s, trial %lld)\n", exportArgs->output.c_str(),
                           profile->studyName.c_str(), static_cast<long long>(profile->best.trialNumber));
                       return 0;
                   }});

    auto applyArgs = std::make_shared<ApplyArgs>();
    CLI::App* apply = app.add_subcommand("apply", "Run the workload with a tuned profile's configuration");
    apply->add_option("profile", applyArgs->profile, "Tuned profile (JSON)")->required();
    apply->add_option("--samples", applyArgs->samples, "Measured windows");
    apply->add_option("--set", applyArgs->sets, "Override a knob: --set threads=1");
    out.push_back({apply, [applyArgs] { return runApply(*applyArgs); }});

    auto checkArgs = std::make_shared<CheckArgs>();
    CLI::App* check = app.add_subcommand("check",
        "CI gate: re-measure a tuned profile here and fail on a "
        "statistically significant regression");
    check->add_option("profile", checkArgs->profile, "Tuned profile (JSON)")->required();
    check->add_option("--fail-on", checkArgs->failOn, "METRIC:-3% (repeatable; default: each objective at 5%)");
    check->add_option("--junit", checkArgs->junit, "Write a JUnit XML report");
    check->add_option("--md", checkArgs->md, "Write a Markdown summary");
    check->add_option("--json", checkArgs->json, "Write the verdict as JSON");
    check->add_flag("--allow-env-mismatch", checkArgs->allowEnvMismatch, "Measure even if the fingerprint differs");
    check->add_option("--samples", checkArgs->samples, "Measured windows (default: as many as the profile has)");
    check->add_option("--alpha", checkArgs->alpha, "Significance level of the Mann-Whitney U test")
        ->check(CLI::Range(0.0001, 0.5));
    check->add_option("--set", checkArgs->sets, "Override a knob for this measurement: --set threads=1");
    check->footer("Exit: 0 same/faster, 1 regression, 6 inconclusive (too noisy), 7 environment mismatch, 4 bad "
                  "profile.");
    out.push_back({check, [checkArgs] { return runCheckCommand(*checkArgs); }});
    return out;
}

} // namespace lwb::cli
