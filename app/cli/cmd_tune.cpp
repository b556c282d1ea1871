// `lwb tune STUDY.yaml`: a headless study with live progress (a status line on a terminal, plain
// lines otherwise); Ctrl-C finishes (twice: abandons) the running trial and exits 2.
#include "cli_common.h"

#include "lwb/tuner/param.h"
#include "lwb/workbench/spec.h"
#include "lwb/workbench/study_setup.h"

#include <cstdio>
#include <fmt/core.h>

namespace lwb::cli {
namespace {

std::string formatSeconds(double s)
{
    if (s < 0)
        return "?";
    if (s < 90)
        return fmt::format("{:.0f}s", s);
    if (s < 5400)
        return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
    return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::fmod(s / 60, 60));
}

struct TuneArgs {
    std::string specPath;
    std::map<std::string, std::string> flags;
    std::vector<std::string> sets;
    bool resume = false;
    bool quiet = false;
};

int runTune(const TuneArgs& args, const std::map<std::string, CLI::Option*>& flagOptions)
{
    std::map<std::string, std::string> overrides;
    for (const auto& [flag, option] : flagOptions)
        if (option->count() > 0)
            overrides[flag] = option->as<std::string>();
    auto sets = workbench::parseSetArguments(args.sets);
    if (!sets)
        return reportError("tune", sets.error());
    for (const auto& [knob, value] : *sets)
        overrides["set." + knob] = value;
    auto spec = workbench::loadSpec(args.specPath, overrides, workbench::processEnvironment());
    if (!spec)
        return reportError("tune", spec.error());

    auto& interrupt = installInterruptHandlers();
    bool tty = stdoutIsTerminal();
    workbench::TuneOptions options;
    options.resume = args.resume ? workbench::TuneOptions::Resume::Yes : workbench::TuneOptions::Resume::No;
    options.interrupt = &interrupt;
    std::string bestConfig;
    options.onEvent = [&](const workbench::TuneEvent& e) {
        using workbench::TuneEventKind;
        if (args.quiet && e.kind != TuneEventKind::StudyFinished)
            return;
        switch (e.kind) {
        case TuneEventKind::StudyStarted:
            std::printf("%s\n", e.message.c_str());
            break;
        case TuneEventKind::TrialStarted:
            if (tty)
                std::printf("\r\033[K  trial %d/%d running: %s", e.trialNumber + 1, e.plannedTrials, e.config.c_str());
            else
                std::printf("trial %d started: %s\n", e.trialNumber, e.config.c_str());
            break;
        case TuneEventKind::TrialFinished: {
            if (e.state == "COMPLETE" && e.bestValue && e.result.find("violates") == std::string::npos)
                bestConfig = e.config;
            std::string best = e.bestValue ? fmt::format("{:.4g}", *e.bestValue) : "-";
            std::printf("%strial %d %s: %s -> %s | best %s | %d/%d done, ETA %s\n", tty ? "\r\033[K" : "",
                e.trialNumber, e.state.c_str(), e.config.c_str(), e.result.c_str(), best.c_str(), e.finishedTrials,
                e.plannedTrials, formatSeconds(e.etaSeconds).c_str());
            break;
        }
        case TuneEventKind::TrialProgress:
        case TuneEventKind::StudyFinished:
            break;
        }
        std::fflush(stdout);
    };
    auto summary = workbench::runStudy(*spec, options);
    if (!summary)
        return reportError("tune", summary.error());
    std::printf("\n%s: %d complete, %d failed, %d pruned%s\n", summary->studyName.c_str(), summary->complete,
        summary->failed, summary->pruned,
        summary->stopReason.empty() ? "" : (" (" + summary->stopReason + ")").c_str());
    if (summary->best) {
        std::printf("best trial %d:", summary->best->number);
        for (std::size_t i = 0; i < spec->objectives.size() && i < summary->best->values.size(); ++i)
            std::printf(" %s=%.6g", spec->objectives[i].metric.c_str(), summary->best->values[i]);
        std::printf("\n  %s\n", tuner::formatParams(summary->best->params).c_str());
    } else if (!summary->paretoFront.empty()) {
        std::printf("Pareto front: %zu trials\n", summary->paretoFront.size());
        for (const auto& t : summary->paretoFront) {
            std::printf("  trial %d:", t.number);
            for (std::size_t i = 0; i < spec->objectives.size() && i < t.values.size(); ++i)
                std::printf(" %s=%.6g", spec->objectives[i].metric.c_str(), t.values[i]);
            std::printf("  %s\n", tuner::formatParams(t.params).c_str());
        }
    }
    std::printf("study file: %s\n", summary->storage.c_str());
    std::printf("next: lwb best %s | lwb export-profile %s -o tuned.json | lepton-workbench %s\n",
        summary->storage.c_str(), summary->storage.c_str(), summary->storage.c_str());
    if (summary->interrupted) {
        std::printf("interrupted: continue with  lwb tune %s --resume\n", args.specPath.c_str());
        return workbench::toInt(ExitCode::Interrupted);
    }
    if (!summary->best && summary->paretoFront.empty()) {
        std::fprintf(stderr, "lwb tune: no trial succeeded and met the constraints\n");
        return workbench::toInt(ExitCode::NothingFeasible);
    }
    return workbench::toInt(ExitCode::Ok);
}

} // namespace

Command addTuneCommand(CLI::App& app)
{
    auto args = std::make_shared<TuneArgs>();
    auto options = std::make_shared<std::map<std::string, CLI::Option*>>();
    CLI::App* cmd = app.add_subcommand("tune",
        "Run a tuning study headless (Bayesian optimisation by default) into "
        "its study file");
    cmd->add_option("spec", args->specPath, "Study spec (YAML)")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--resume", args->resume, "Continue the study in its file (after a kill or Ctrl-C)");
    cmd->add_option("--set", args->sets, "Fix a workload knob: --set threads=2 (repeatable)");
    cmd->add_flag("-q,--quiet", args->quiet, "Print only the summary");
    static const std::map<std::string, std::string> help {{"trials", "Trial budget"},
        {"timeout", "Wall-time budget, e.g. 30m or 2h"}, {"workers", "Trials measured in parallel"},
        {"storage", "Study file (default ./<name>.lwb)"}, {"seed", "Random seed"},
        {"sampler", "gp, random, sobol or grid"}, {"pruner", "none, median or halving"},
        {"objectives", "Comma-separated METRIC:max|min"}, {"max-noise", "Relative stddev that ends measuring"}};
    for (const auto& [flag, key] : workbench::overridableKeys()) {
        auto it = help.find(flag);
        (*options)[flag]
            = cmd->add_option("--" + flag, it != help.end() ? it->second : "Overrides " + key + " of the spec");
    }
    cmd->footer("Every spec key is also a flag (--max-noise for measurement.max_noise) and an environment variable "
                "(LWB_MAX_NOISE); precedence: flag > environment > file.");
    return {cmd, [args, options] { return runTune(*args, *options); }};
}

} // namespace lwb::cli
