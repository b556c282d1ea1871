// `lwb report STUDY.lwb -o report.html [--format md]`: an offline report of a study.
#include "cli_common.h"

#include "lwb/workbench/report.h"

#if LWB_HAVE_UI_PLOTS
#include "lwb/ui/report_plots.h"
#endif

#include <iostream>

namespace lwb::cli {

Command addReportCommand(CLI::App& app)
{
    struct ReportArgs {
        std::string file, study, output, format = "html";
    };
    auto args = std::make_shared<ReportArgs>();
    CLI::App* cmd = app.add_subcommand("report", "Write a self-contained HTML (or Markdown) report of a study");
    cmd->add_option("file", args->file, "Study file (.lwb)")->required();
    cmd->add_option("--study", args->study, "Study name (when the file holds several)");
    cmd->add_option("-o,--output", args->output, "Output file (default: stdout)");
    cmd->add_option("--format", args->format, "html or md")->check(CLI::IsMember({"html", "md"}));
    return {cmd, [args] {
                auto data = workbench::loadReportData(args->file, args->study);
#if LWB_HAVE_UI_PLOTS
                if (args->format == "html")
                    ui::installQtPlotRenderer();
#endif
                if (!data)
                    return reportError("report", data.error());
                auto text = workbench::renderReport(*data,
                    args->format == "md" ? workbench::ReportFormat::Markdown : workbench::ReportFormat::Html,
                    workbench::plotRenderer());
                if (args->output.empty()) {
                    std::cout << text;
                    return 0;
                }
                if (Status s = writeFileAtomic(args->output, text); !s)
                    return reportError("report", s.error());
                std::printf("wrote %s\n", args->output.c_str());
                return 0;
            }};
}

} // namespace lwb::cli
