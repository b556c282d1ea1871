// `lwb`: the headless command line of Lepton Workbench (for terminals and CI). Each subcommand
// lives in its own file and maps its outcome to the documented exit codes (exit_codes.h).
#include "cli_common.h"

#include "lwb/core/log.h"
#include "lwb/core/version.h"

#include <cstdio>
#include <exception>

using lwb::workbench::ExitCode;
using lwb::workbench::toInt;

int main(int argc, char** argv)
{
    CLI::App app {"Lepton Workbench: profile and tune GPU/CPU training and inference", "lwb"};
    app.set_version_flag("--version", std::string("lwb ") + std::string(lwb::workbenchBuildDescription()));
    app.require_subcommand(0, 1);
    std::string logLevel = "warn";
    app.add_option("--log-level", logLevel, "trace, debug, info, warn, error or off (logs go to stderr)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    app.footer("Exit codes: 0 ok, 1 check failed, 2 interrupted, 3 internal error, 4 usage/config error,\n"
               "            5 nothing feasible, 6 inconclusive measurement, 7 environment mismatch.");

    std::vector<lwb::cli::Command> commands;
    commands.push_back(lwb::cli::addTuneCommand(app));
    commands.push_back(lwb::cli::addRunCommand(app));
    for (auto& c : lwb::cli::addTraceCommands(app))
        commands.push_back(std::move(c));
    for (auto& c : lwb::cli::addStudyCommands(app))
        commands.push_back(std::move(c));
    for (auto& c : lwb::cli::addProfileCommands(app))
        commands.push_back(std::move(c));
    commands.push_back(lwb::cli::addCompareCommand(app));
    commands.push_back(lwb::cli::addReportCommand(app));
    commands.push_back(lwb::cli::addDoctorCommand(app));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return toInt(ExitCode::UsageError);
    }
    lwb::log::init(logLevel);

    try {
        for (auto& command : commands)
            if (command.app->parsed())
                return command.run();
        std::printf("%s", app.help().c_str());
        return toInt(ExitCode::Ok);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lwb: internal error: %s\n", e.what());
        return toInt(ExitCode::InternalError);
    }
}
