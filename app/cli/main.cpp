// `lwb`: the headless command line of Lepton Workbench (for terminals and CI).
// Each subcommand maps its outcome to the documented exit codes (workbench/exit_codes.h).
#include "lwb/core/log.h"
#include "lwb/core/version.h"
#include "lwb/workbench/doctor.h"
#include "lwb/workbench/exit_codes.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

using lwb::workbench::ExitCode;

namespace {

int runDoctor(const std::string& format)
{
    lwb::Json report = lwb::workbench::doctorReport();
    if (format == "json")
        std::cout << report.dump(2) << "\n";
    else
        std::cout << lwb::workbench::formatDoctorText(report);
    return lwb::workbench::toInt(ExitCode::Ok);
}

} // namespace

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

    std::string doctorFormat = "text";
    CLI::App* doctor = app.add_subcommand("doctor", "Show this machine's fingerprint and which backends and capture "
                                                    "sources are usable (and why not)");
    doctor->add_option("--format", doctorFormat, "text or json")->check(CLI::IsMember({"text", "json"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return lwb::workbench::toInt(ExitCode::UsageError);
    }
    lwb::log::init(logLevel);

    try {
        if (doctor->parsed())
            return runDoctor(doctorFormat);
        std::cout << app.help();
        return lwb::workbench::toInt(ExitCode::Ok);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lwb: internal error: %s\n", e.what());
        return lwb::workbench::toInt(ExitCode::InternalError);
    }
}
