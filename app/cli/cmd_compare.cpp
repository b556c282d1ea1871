// `lwb compare A B [--explain]`: two trials, runs or profiles side by side.
#include "cli_common.h"

#include "lwb/workbench/compare.h"

#include <iostream>

namespace lwb::cli {

Command addCompareCommand(CLI::App& app)
{
    struct CompareArgs {
        std::string a, b, format = "text";
        bool explain = false;
        int rows = 15;
    };
    auto args = std::make_shared<CompareArgs>();
    CLI::App* cmd = app.add_subcommand("compare", "Compare two trials, captured runs or tuned profiles");
    cmd->add_option("a", args->a, "FILE.lwb (best trial), FILE.lwb#TRIAL, FILE.lwb@TRACE or PROFILE.json")->required();
    cmd->add_option("b", args->b, "the same forms")->required();
    cmd->add_flag("--explain", args->explain, "Show more rows of the kernel-level explanation");
    cmd->add_option("--format", args->format, "text or json")->check(CLI::IsMember({"text", "json"}));
    return {cmd, [args] {
                auto a = workbench::loadCompareSide(args->a);
                if (!a)
                    return reportError("compare", a.error());
                auto b = workbench::loadCompareSide(args->b);
                if (!b)
                    return reportError("compare", b.error());
                auto c = workbench::compareSides(std::move(*a), std::move(*b));
                if (args->format == "json")
                    std::cout << c.toJson().dump(2) << "\n";
                else
                    std::cout << c.toText(args->explain ? 40 : args->rows);
                return 0;
            }};
}

} // namespace lwb::cli
