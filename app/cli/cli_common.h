// Shared helpers of the `lwb` subcommands: exit codes from errors, interrupt handling (Ctrl-C),
// output formats (table, json, csv, yaml) and terminal detection.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/workbench/exit_codes.h"
#include "lwb/workbench/tuning.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace lwb::cli {

using workbench::ExitCode;

/// The exit code an error means: usage/config errors 4, missing capabilities 7, others 3.
ExitCode exitCodeFor(const Error& error);
/// Prints "lwb <command>: <message>" to stderr and returns the exit code for it.
int reportError(std::string_view command, const Error& error);

/// Installs SIGINT/SIGTERM handlers: the first signal asks to finish the running work, the second
/// to abandon it. The returned level is shared with the workbench's loops.
workbench::InterruptLevel& installInterruptHandlers();
bool interrupted();

bool stdoutIsTerminal();

/// A table printed as aligned text, CSV, JSON (list of objects) or YAML.
struct Table {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    std::vector<Json> jsonRows; ///< typed rows for json/yaml (same order); built from text when empty
};
/// "table", "csv", "json", "yaml".
std::string formatTable(const Table& table, const std::string& format);

/// A subcommand: registers its options on `app` and returns the function that runs it.
using CommandRunner = std::function<int()>;
struct Command {
    CLI::App* app = nullptr;
    CommandRunner run;
};

Command addDoctorCommand(CLI::App& app);
Command addTuneCommand(CLI::App& app);
Command addRunCommand(CLI::App& app);
std::vector<Command> addStudyCommands(CLI::App& app); ///< studies, trials, best
std::vector<Command> addProfileCommands(CLI::App& app); ///< export-profile, apply, check
std::vector<Command> addTraceCommands(CLI::App& app); ///< profile, stats, export, import-nsys
Command addCompareCommand(CLI::App& app);
Command addReportCommand(CLI::App& app);

} // namespace lwb::cli
