// `lwb doctor`: fingerprint and usable backends / capture sources.
#include "cli_common.h"

#include "lwb/workbench/doctor.h"

#include <iostream>

namespace lwb::cli {

Command addDoctorCommand(CLI::App& app)
{
    auto format = std::make_shared<std::string>("text");
    CLI::App* cmd = app.add_subcommand("doctor",
        "Show this machine's fingerprint and which backends and capture "
        "sources are usable (and why not)");
    cmd->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
    return {cmd, [format] {
                Json report = workbench::doctorReport();
                if (*format == "json")
                    std::cout << report.dump(2) << "\n";
                else
                    std::cout << workbench::formatDoctorText(report);
                return workbench::toInt(ExitCode::Ok);
            }};
}

} // namespace lwb::cli
