// Exit codes, interrupt handling and output formats shared by the subcommands (see cli_common.h).
#include "cli_common.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace lwb::cli {

ExitCode exitCodeFor(const Error& error)
{
    switch (error.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::NotFound:
    case ErrorCode::NotAStudyFile:
    case ErrorCode::VersionTooNew:
    case ErrorCode::Corrupt:
    case ErrorCode::Unsupported:
        return ExitCode::UsageError;
    case ErrorCode::Unavailable:
        return ExitCode::EnvironmentMismatch;
    case ErrorCode::Cancelled:
        return ExitCode::Interrupted;
    default:
        return ExitCode::InternalError;
    }
}

int reportError(std::string_view command, const Error& error)
{
    std::fprintf(stderr, "lwb %.*s: %s\n", static_cast<int>(command.size()), command.data(), error.message.c_str());
    return workbench::toInt(exitCodeFor(error));
}

namespace {
workbench::InterruptLevel g_interrupt {0};

void onSignal(int)
{
    int level = ++g_interrupt;
    const char* text = level == 1
        ? "\nlwb: interrupted: finishing the running trial (Ctrl-C again abandons it; nothing is lost)\n"
        : "\nlwb: abandoning the running trial\n";
    ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
    (void)ignored;
}
} // namespace

workbench::InterruptLevel& installInterruptHandlers()
{
    struct sigaction sa { };
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return g_interrupt;
}

bool interrupted()
{
    return g_interrupt.load() > 0;
}

bool stdoutIsTerminal()
{
    return isatty(STDOUT_FILENO) == 1;
}

static std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string formatTable(const Table& table, const std::string& format)
{
    if (format == "json" || format == "yaml") {
        Json rows = Json::array();
        for (std::size_t r = 0; r < table.rows.size(); ++r) {
            if (r < table.jsonRows.size()) {
                rows.push_back(table.jsonRows[r]);
                continue;
            }
            Json row = Json::object();
            for (std::size_t c = 0; c < table.columns.size() && c < table.rows[r].size(); ++c)
                row[table.columns[c]] = table.rows[r][c];
            rows.push_back(row);
        }
        if (format == "json")
            return rows.dump(2) + "\n";
        YAML::Emitter out;
        out << jsonToYaml(rows);
        return std::string(out.c_str()) + "\n";
    }
    if (format == "csv") {
        std::string out;
        for (std::size_t c = 0; c < table.columns.size(); ++c)
            out += (c ? "," : "") + csvField(table.columns[c]);
        out += "\n";
        for (const auto& row : table.rows) {
            for (std::size_t c = 0; c < row.size(); ++c)
                out += (c ? "," : "") + csvField(row[c]);
            out += "\n";
        }
        return out;
    }
    std::vector<std::size_t> width(table.columns.size(), 0);
    for (std::size_t c = 0; c < table.columns.size(); ++c)
        width[c] = table.columns[c].size();
    for (const auto& row : table.rows)
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], row[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < width.size(); ++c) {
            std::string cell = c < cells.size() ? cells[c] : "";
            out += cell;
            if (c + 1 < width.size())
                out += std::string(width[c] - cell.size() + 2, ' ');
        }
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        return out + "\n";
    };
    std::string out = line(table.columns);
    std::vector<std::string> rule;
    for (auto w : width)
        rule.push_back(std::string(w, '-'));
    out += line(rule);
    for (const auto& row : table.rows)
        out += line(row);
    return out;
}

} // namespace lwb::cli
