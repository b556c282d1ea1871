// The external `command` workload (see command_workload.h).
#include "lwb/workbench/command_workload.h"

#include "lwb/core/subprocess.h"

#include <cctype>
#include <deque>
#include <fmt/core.h>
#include <regex>
#include <set>

namespace lwb::workbench {

Result<std::string> substitutePlaceholders(std::string_view text, const engine::Config& config)
{
    auto identifierEnd = [&](std::size_t from) {
        std::size_t j = from;
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
            ++j;
        return j;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '{') {
            out += text[i];
            continue;
        }
        // {{name}} is the literal text {name}.
        if (i + 1 < text.size() && text[i + 1] == '{') {
            std::size_t end = identifierEnd(i + 2);
            if (end > i + 2 && text.substr(end, 2) == "}}") {
                out += std::string(text.substr(i + 1, end - i));
                i = end + 1;
                continue;
            }
        }
        std::size_t end = identifierEnd(i + 1);
        if (end == i + 1 || end >= text.size() || text[end] != '}'
            || std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
            out += '{'; // not a placeholder (e.g. JSON in an argument)
            continue;
        }
        std::string name(text.substr(i + 1, end - i - 1));
        auto it = config.find(name);
        if (it == config.end())
            return fail(ErrorCode::InvalidArgument,
                fmt::format("placeholder {{{}}} in \"{}\" is not a parameter of the study", name, text), LWB_WHERE);
        out += engine::knobValueToString(it->second);
        i = end;
    }
    return out;
}

namespace {

/// Runs the program when its metric lines are used up and hands them out one per window.
class CommandSession final : public engine::WorkloadSession {
public:
    CommandSession(std::vector<std::string> argv, SubprocessOptions options, const CommandSpec& spec,
        std::vector<std::string> metricNames)
        : m_argv(std::move(argv))
        , m_options(std::move(options))
        , m_spec(spec)
        , m_metricNames(metricNames.begin(), metricNames.end())
    {
        for (const auto& [metric, pattern] : spec.metricRegexes)
            m_regexes.emplace_back(metric, std::regex(pattern));
    }

    Result<engine::WindowResult> runWindow(engine::RunContext& context) override
    {
        if (m_pending.empty())
            LWB_RETURN_IF_ERROR(runProgram(context));
        engine::WindowResult w = std::move(m_pending.front());
        m_pending.pop_front();
        for (const auto& [step, value] : w.intermediate) {
            if (context.report(step, value))
                return fail(ErrorCode::Cancelled, "pruned at step " + std::to_string(step), LWB_WHERE);
        }
        return w;
    }

    std::map<std::string, double> summary() override { return m_summary; }

private:
    Status runProgram(engine::RunContext& context)
    {
        SubprocessOptions options = m_options;
        options.cancelled = [&context] { return context.cancelled(); };
        LWB_ASSIGN_OR_RETURN(SubprocessResult run, runSubprocess(m_argv, options));
        ++m_runs;
        if (run.cancelled)
            return fail(ErrorCode::Cancelled, "the command was interrupted", LWB_WHERE);
        if (!run.succeeded()) {
            std::string tail = run.err.size() > 400 ? "..." + run.err.substr(run.err.size() - 400) : run.err;
            while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' '))
                tail.pop_back();
            return fail(run.timedOut ? ErrorCode::Timeout : ErrorCode::Io,
                fmt::format("{} {}{}", m_argv[0], run.describe(), tail.empty() ? "" : ": " + tail), LWB_WHERE);
        }
        std::vector<engine::WindowResult> windows
            = m_spec.metricsFormat == "regex" ? parseRegex(run.out) : parseJsonLines(run.out);
        if (windows.empty()) {
            std::string wanted;
            for (const auto& m : m_metricNames)
                wanted += (wanted.empty() ? "" : ", ") + m;
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{} printed no metric ({}) on stdout; print JSON lines such as "
                            "{{\"{}\": 123.4}}",
                    m_argv[0], wanted.empty() ? "none declared" : wanted,
                    m_metricNames.empty() ? "tokens_per_s" : *m_metricNames.begin()),
                LWB_WHERE);
        }
        for (auto& w : windows) {
            w.seconds = run.seconds / static_cast<double>(windows.size());
            m_pending.push_back(std::move(w));
        }
        m_summary["command_runs"] = m_runs;
        m_summary["command_seconds"] = run.seconds;
        return {};
    }

    std::vector<engine::WindowResult> parseJsonLines(const std::string& out)
    {
        std::vector<engine::WindowResult> windows;
        std::size_t start = 0;
        while (start < out.size()) {
            auto nl = out.find('\n', start);
            std::string line = out.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
            start = nl == std::string::npos ? out.size() : nl + 1;
            auto first = line.find_first_not_of(" \t\r");
            if (first == std::string::npos || line[first] != '{')
                continue; // ordinary log output
            auto json = parseJson(line);
            if (!json || !json->is_object())
                continue;
            engine::WindowResult w;
            bool hasDeclared = false;
            for (const auto& [key, value] : json->items()) {
                if (!value.is_number())
                    continue;
                w.metrics[key] = value.get<double>();
                hasDeclared |= m_metricNames.empty() || m_metricNames.count(key) > 0;
            }
            if (json->contains("step") && json->contains("loss") && (*json)["step"].is_number()
                && (*json)["loss"].is_number())
                w.intermediate.push_back({(*json)["step"].get<std::int64_t>(), (*json)["loss"].get<double>()});
            if (hasDeclared)
                windows.push_back(std::move(w));
            else if (!w.intermediate.empty() && !windows.empty())
                windows.back().intermediate.push_back(w.intermediate.front());
        }
        return windows;
    }

    std::vector<engine::WindowResult> parseRegex(const std::string& out)
    {
        std::map<std::string, std::vector<double>> values;
        for (const auto& [metric, re] : m_regexes) {
            for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it) {
                try {
                    values[metric].push_back(std::stod((*it)[1].str()));
                } catch (const std::exception&) {
                    // the group did not capture a number: not a metric line
                }
            }
        }
        std::size_t n = 0;
        bool first = true;
        for (const auto& [metric, v] : values) {
            n = first ? v.size() : std::min(n, v.size());
            first = false;
        }
        if (values.size() < m_regexes.size())
            n = 0;
        std::vector<engine::WindowResult> windows(n);
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& [metric, v] : values)
                windows[i].metrics[metric] = v[v.size() - n + i];
        return windows;
    }

    std::vector<std::string> m_argv;
    SubprocessOptions m_options;
    CommandSpec m_spec;
    std::set<std::string> m_metricNames;
    std::vector<std::pair<std::string, std::regex>> m_regexes;
    std::deque<engine::WindowResult> m_pending;
    std::map<std::string, double> m_summary;
    int m_runs = 0;
};

engine::KnobSpec knobFromDimension(const SearchDimension& d)
{
    engine::KnobSpec k;
    k.name = d.name;
    k.type = d.type;
    k.scale = d.scale;
    k.min = d.low;
    k.max = d.high;
    if (!d.choices.empty()) {
        k.defaultValue = d.choices.front();
        if (d.type == engine::KnobType::Categorical) {
            for (const auto& c : d.choices)
                k.choices.push_back(engine::knobValueToString(c));
        } else if (d.type == engine::KnobType::Int || d.type == engine::KnobType::Float) {
            k.min = 1e300;
            k.max = -1e300;
            for (const auto& c : d.choices) {
                double v = std::holds_alternative<std::int64_t>(c) ? static_cast<double>(std::get<std::int64_t>(c))
                                                                   : std::get<double>(c);
                k.min = std::min(k.min, v);
                k.max = std::max(k.max, v);
            }
        }
    } else if (d.type == engine::KnobType::Int) {
        auto lo = static_cast<std::int64_t>(d.low);
        if (d.scale == engine::KnobScale::PowerOfTwo) {
            std::int64_t p = 1;
            while (p < lo)
                p *= 2;
            lo = p;
        }
        k.defaultValue = lo;
    } else {
        k.defaultValue = d.low;
    }
    return k;
}

engine::KnobSpec knobFromSetting(const std::string& name, const Json& value)
{
    engine::KnobSpec k;
    k.name = name;
    if (value.is_boolean()) {
        k.type = engine::KnobType::Bool;
        k.defaultValue = value.get<bool>();
    } else if (value.is_number_integer()) {
        k.type = engine::KnobType::Int;
        k.defaultValue = value.get<std::int64_t>();
        k.min = k.max = static_cast<double>(value.get<std::int64_t>());
    } else if (value.is_number()) {
        k.type = engine::KnobType::Float;
        k.defaultValue = value.get<double>();
        k.min = k.max = value.get<double>();
    } else {
        k.type = engine::KnobType::Categorical;
        std::string s = value.is_string() ? value.get<std::string>() : value.dump();
        k.defaultValue = s;
        k.choices = {s};
    }
    k.description = "fixed setting";
    return k;
}

} // namespace

CommandWorkload::CommandWorkload(
    CommandSpec command, std::vector<engine::KnobSpec> knobs, std::vector<std::string> metricNames)
    : m_command(std::move(command))
    , m_knobs(std::move(knobs))
    , m_metricNames(std::move(metricNames))
{
}

Result<std::unique_ptr<CommandWorkload>> CommandWorkload::fromSpec(const StudySpec& spec)
{
    if (!spec.command)
        return fail(
            ErrorCode::InvalidArgument, spec.where("workload") + ": a command workload needs command.argv", LWB_WHERE);
    std::vector<engine::KnobSpec> knobs;
    for (const auto& d : spec.searchSpace)
        knobs.push_back(knobFromDimension(d));
    for (const auto& [name, value] : spec.rawSettings.items()) {
        if (engine::findKnob(knobs, name))
            return fail(ErrorCode::InvalidArgument,
                spec.where("settings." + name) + ": '" + name + "' is both fixed and searched", LWB_WHERE);
        knobs.push_back(knobFromSetting(name, value));
    }
    std::vector<std::string> metrics;
    for (const auto& o : spec.objectives)
        metrics.push_back(o.metric);
    for (const auto& c : spec.outcomeConstraints)
        metrics.push_back(c.metric);
    auto workload = std::make_unique<CommandWorkload>(*spec.command, std::move(knobs), std::move(metrics));
    // Every placeholder must name a parameter: check with the defaults now, not at trial 1.
    LWB_ASSIGN_OR_RETURN(engine::Config defaults, workload->resolve({}));
    auto line = workload->commandLine(defaults);
    if (!line)
        return fail(ErrorCode::InvalidArgument, spec.where("command.argv") + ": " + line.error().message, LWB_WHERE);
    return workload;
}

std::string CommandWorkload::description() const
{
    std::string argv;
    for (const auto& a : m_command.argv)
        argv += (argv.empty() ? "" : " ") + a;
    return "external program: " + argv;
}

std::vector<engine::MetricSpec> CommandWorkload::metrics() const
{
    std::vector<engine::MetricSpec> out;
    for (const auto& m : m_metricNames)
        out.push_back({m, "", engine::Direction::Maximize, "read from the program's stdout"});
    return out;
}

Result<engine::Config> CommandWorkload::resolve(const engine::Config& partial) const
{
    engine::Config config;
    for (const auto& [name, value] : partial)
        if (!engine::findKnob(m_knobs, name))
            return fail(ErrorCode::InvalidArgument, "the command has no parameter '" + name + "'", LWB_WHERE);
    for (const auto& knob : m_knobs) {
        auto it = partial.find(knob.name);
        engine::KnobValue value = it == partial.end() ? knob.defaultValue : it->second;
        if (knob.type == engine::KnobType::Float && std::holds_alternative<std::int64_t>(value))
            value = static_cast<double>(std::get<std::int64_t>(value));
        if (knob.type != engine::KnobType::Bool)
            LWB_RETURN_IF_ERROR(engine::validateKnob(knob, value));
        config[knob.name] = std::move(value);
    }
    return config;
}

Result<std::vector<std::string>> CommandWorkload::commandLine(const engine::Config& config) const
{
    std::vector<std::string> argv;
    for (const auto& a : m_command.argv) {
        LWB_ASSIGN_OR_RETURN(std::string arg, substitutePlaceholders(a, config));
        argv.push_back(std::move(arg));
    }
    return argv;
}

Result<std::unique_ptr<engine::WorkloadSession>> CommandWorkload::prepare(
    const engine::Config& config, engine::RunContext& context)
{
    (void)context;
    LWB_ASSIGN_OR_RETURN(auto argv, commandLine(config));
    SubprocessOptions options;
    for (const auto& [k, v] : m_command.env) {
        LWB_ASSIGN_OR_RETURN(std::string value, substitutePlaceholders(v, config));
        options.environment[k] = value;
    }
    options.workingDirectory = m_command.workingDirectory;
    options.timeoutSeconds = m_command.timeoutSeconds;
    return std::unique_ptr<engine::WorkloadSession>(
        std::make_unique<CommandSession>(std::move(argv), std::move(options), m_command, m_metricNames));
}

} // namespace lwb::workbench
