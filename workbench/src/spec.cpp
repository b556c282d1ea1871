// Study spec parsing (see spec.h): YAML -> JSON with the line of every key, then environment and
// CLI overrides, then typed conversion with errors that name the key and where it came from.
#include "lwb/workbench/spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/core.h>
#include <regex>
#include <set>

extern char** environ;

namespace lwb::workbench {

using engine::Direction;
using engine::KnobScale;
using engine::KnobType;
using engine::KnobValue;

std::string ObjectiveSpec::toString() const
{
    return metric + (direction == Direction::Maximize ? ":max" : ":min");
}

std::string OutcomeConstraint::toString() const
{
    return fmt::format("{}{}{:g}", metric, op == ComparisonOp::LessEqual ? "<=" : ">=", bound);
}

bool OutcomeConstraint::satisfiedBy(double value) const
{
    return op == ComparisonOp::LessEqual ? value <= bound : value >= bound;
}

std::string StudySpec::where(const std::string& dottedKey) const
{
    auto it = sources.find(dottedKey);
    return it == sources.end() ? dottedKey : it->second + ": " + dottedKey;
}

const std::map<std::string, std::string>& overridableKeys()
{
    static const std::map<std::string, std::string> keys {
        {"name", "name"},
        {"workload", "workload"},
        {"storage", "storage"},
        {"seed", "seed"},
        {"workers", "workers"},
        {"sampler", "sampler"},
        {"pruner", "pruner"},
        {"trials", "budget.trials"},
        {"timeout", "budget.time"},
        {"patience", "budget.patience"},
        {"objectives", "objectives"},
        {"outcome-constraints", "outcome_constraints"},
        {"measure", "measurement.mode"},
        {"warmup", "measurement.warmup"},
        {"min-samples", "measurement.min_samples"},
        {"max-samples", "measurement.max_samples"},
        {"max-noise", "measurement.max_noise"},
        {"max-time", "measurement.max_time"},
        {"target-loss", "measurement.target_loss"},
        {"time-budget", "measurement.time_budget"},
        {"capture", "capture.policy"},
        {"capture-k", "capture.k"},
        {"capture-skip", "capture.skip"},
        {"capture-steps", "capture.steps"},
        {"warm-start", "warm_start"},
    };
    return keys;
}

std::map<std::string, std::string> processEnvironment()
{
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        if (entry.rfind("LWB_", 0) != 0)
            continue;
        auto eq = entry.find('=');
        if (eq != std::string_view::npos)
            env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return env;
}

Result<double> parseDuration(std::string_view text)
{
    std::string s(text);
    s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
    if (s.empty())
        return fail(ErrorCode::InvalidArgument, "empty duration", LWB_WHERE);
    static const std::regex part(R"(([0-9]*\.?[0-9]+)(ms|s|m|h|d)?)");
    double total = 0;
    auto begin = std::sregex_iterator(s.begin(), s.end(), part);
    std::size_t consumed = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        if (static_cast<std::size_t>(it->position()) != consumed)
            break;
        consumed += static_cast<std::size_t>(it->length());
        double v = std::stod((*it)[1].str());
        std::string unit = (*it)[2].str();
        total += unit == "ms" ? v / 1000 : unit == "m" ? v * 60 : unit == "h" ? v * 3600 : unit == "d" ? v * 86400 : v;
    }
    if (consumed != s.size())
        return fail(ErrorCode::InvalidArgument,
            fmt::format("'{}' is not a duration (examples: 90, 90s, 15m, 2h, 1h30m)", text), LWB_WHERE);
    return total;
}

Result<ObjectiveSpec> parseObjective(std::string_view text)
{
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("objective '{}' must be METRIC:max or METRIC:min (e.g. tokens_per_s:max)", text), LWB_WHERE);
    std::string metric(text.substr(0, colon));
    std::string dir(text.substr(colon + 1));
    if (metric.empty() || (dir != "max" && dir != "min" && dir != "maximize" && dir != "minimize"))
        return fail(ErrorCode::InvalidArgument,
            fmt::format("objective '{}' must be METRIC:max or METRIC:min (e.g. tokens_per_s:max)", text), LWB_WHERE);
    return ObjectiveSpec {metric, dir.rfind("max", 0) == 0 ? Direction::Maximize : Direction::Minimize};
}

Result<OutcomeConstraint> parseOutcomeConstraint(std::string_view text)
{
    static const std::regex form(
        R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)\s*)");
    std::string s(text);
    std::smatch m;
    if (!std::regex_match(s, m, form))
        return fail(ErrorCode::InvalidArgument,
            fmt::format("constraint '{}' must be METRIC<=VALUE or METRIC>=VALUE (e.g. p99_latency_ms<=20)", text),
            LWB_WHERE);
    return OutcomeConstraint {
        m[1].str(), m[2].str() == "<=" ? ComparisonOp::LessEqual : ComparisonOp::GreaterEqual, std::stod(m[3].str())};
}

namespace {

/// YAML -> JSON, recording "origin:line" for every dotted key.
Json toJsonWithLines(const YAML::Node& node, const std::string& prefix, const std::string& origin, SourceMap& lines)
{
    if (!prefix.empty())
        lines[prefix] = fmt::format("{}:{}", origin, node.Mark().line + 1);
    if (node.IsMap()) {
        Json obj = Json::object();
        for (const auto& kv : node) {
            std::string key = kv.first.as<std::string>();
            lines[prefix.empty() ? key : prefix + "." + key] = fmt::format("{}:{}", origin, kv.first.Mark().line + 1);
            obj[key] = toJsonWithLines(kv.second, prefix.empty() ? key : prefix + "." + key, origin, lines);
            lines[prefix.empty() ? key : prefix + "." + key] = fmt::format("{}:{}", origin, kv.first.Mark().line + 1);
        }
        return obj;
    }
    if (node.IsSequence()) {
        Json arr = Json::array();
        std::size_t i = 0;
        for (const auto& item : node)
            arr.push_back(toJsonWithLines(item, prefix + "[" + std::to_string(i++) + "]", origin, lines));
        return arr;
    }
    return yamlToJson(node);
}

/// Sets a dotted key ("measurement.max_noise") in a JSON object.
void setDotted(Json& root, const std::string& dotted, Json value)
{
    Json* cur = &root;
    std::size_t start = 0;
    while (true) {
        auto dot = dotted.find('.', start);
        std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
            (*cur)[part] = std::move(value);
            return;
        }
        if (!cur->contains(part) || !(*cur)[part].is_object())
            (*cur)[part] = Json::object();
        cur = &(*cur)[part];
        start = dot + 1;
    }
}

/// A flag/env value typed like a YAML scalar ("30" -> 30, "true" -> true, "a,b" -> list).
Json typedOverride(const std::string& key, const std::string& text)
{
    if (key == "objectives" || key == "outcome_constraints") {
        Json list = Json::array();
        std::size_t start = 0;
        while (start <= text.size()) {
            auto comma = text.find(',', start);
            std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty())
                list.push_back(item);
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
        return list;
    }
    auto node = parseYaml(text);
    if (!node || !node->IsScalar())
        return text;
    return yamlToJson(*node);
}

class SpecReader {
public:
    SpecReader(const Json& root, StudySpec& spec)
        : m_root(root)
        , m_spec(spec)
    {
    }

    Error error(const std::string& key, const std::string& message) const
    {
        return Error {ErrorCode::InvalidArgument, m_spec.where(key) + ": " + message, LWB_WHERE};
    }

    Status checkKeys(const Json& obj, const std::string& prefix, std::initializer_list<const char*> allowed) const
    {
        if (!obj.is_object())
            return fail(error(prefix, "must be a mapping of key: value"));
        std::set<std::string> known(allowed.begin(), allowed.end());
        for (const auto& [key, value] : obj.items()) {
            if (!known.count(key)) {
                std::string list;
                for (const auto& k : allowed)
                    list += (list.empty() ? "" : ", ") + std::string(k);
                return fail(error(prefix.empty() ? key : prefix + "." + key,
                    fmt::format("unknown key '{}' (allowed here: {})", key, list)));
            }
        }
        return {};
    }

    template <typename T> Status read(const Json& obj, const std::string& prefix, const char* key, T& out) const
    {
        if (!obj.contains(key))
            return {};
        const Json& v = obj.at(key);
        std::string dotted = prefix.empty() ? key : prefix + "." + key;
        if constexpr (std::is_same_v<T, std::string>) {
            if (!v.is_string() && !v.is_number())
                return fail(error(dotted, "must be a string, got " + v.dump()));
            out = v.is_string() ? v.get<std::string>() : v.dump();
        } else if constexpr (std::is_same_v<T, bool>) {
            if (!v.is_boolean())
                return fail(error(dotted, "must be true or false, got " + v.dump()));
            out = v.get<bool>();
        } else if constexpr (std::is_integral_v<T>) {
            if (!v.is_number_integer())
                return fail(error(dotted, "must be an integer, got " + v.dump()));
            out = v.get<T>();
        } else {
            if (!v.is_number())
                return fail(error(dotted, "must be a number, got " + v.dump()));
            out = v.get<T>();
        }
        return {};
    }

    Status readDuration(const Json& obj, const std::string& prefix, const char* key, double& out) const
    {
        if (!obj.contains(key))
            return {};
        const Json& v = obj.at(key);
        std::string dotted = prefix.empty() ? key : prefix + "." + key;
        if (v.is_number()) {
            out = v.get<double>();
        } else if (v.is_string()) {
            auto d = parseDuration(v.get<std::string>());
            if (!d)
                return fail(error(dotted, d.error().message));
            out = *d;
        } else {
            return fail(error(dotted, "must be a duration such as 90s, 15m or 2h"));
        }
        if (out < 0)
            return fail(error(dotted, "must not be negative"));
        return {};
    }

    Status readSearchSpace(const Json& space)
    {
        if (!space.is_object())
            return fail(error("search_space", "must map knob names to domains"));
        for (const auto& [name, domain] : space.items()) {
            std::string key = "search_space." + name;
            SearchDimension dim;
            dim.name = name;
            if (domain.is_array()) {
                if (domain.empty())
                    return fail(error(key, "has an empty list of choices"));
                bool allStrings = true, allBools = true, allInts = true, allNumbers = true;
                for (const auto& c : domain) {
                    allStrings &= c.is_string();
                    allBools &= c.is_boolean();
                    allInts &= c.is_number_integer();
                    allNumbers &= c.is_number();
                }
                if (allBools) {
                    dim.type = KnobType::Bool;
                    for (const auto& c : domain)
                        dim.choices.emplace_back(c.get<bool>());
                } else if (allInts) {
                    dim.type = KnobType::Int;
                    for (const auto& c : domain)
                        dim.choices.emplace_back(c.get<std::int64_t>());
                } else if (allNumbers) {
                    dim.type = KnobType::Float;
                    for (const auto& c : domain)
                        dim.choices.emplace_back(c.get<double>());
                } else if (allStrings) {
                    dim.type = KnobType::Categorical;
                    for (const auto& c : domain)
                        dim.choices.emplace_back(c.get<std::string>());
                } else {
                    return fail(error(key, "choices must all be strings, all numbers or all booleans"));
                }
                std::set<std::string> seen;
                for (const auto& c : dim.choices)
                    if (!seen.insert(engine::knobValueToString(c)).second)
                        return fail(error(key, "lists '" + engine::knobValueToString(c) + "' twice"));
            } else if (domain.is_object()) {
                LWB_RETURN_IF_ERROR(checkKeys(domain, key, {"low", "high", "scale", "type"}));
                if (!domain.contains("low") || !domain.contains("high"))
                    return fail(error(key, "needs both low and high (or a list of choices)"));
                if (!domain["low"].is_number() || !domain["high"].is_number())
                    return fail(error(key, "low and high must be numbers"));
                dim.low = domain["low"].get<double>();
                dim.high = domain["high"].get<double>();
                std::string scale = "linear";
                LWB_RETURN_IF_ERROR(read(domain, key, "scale", scale));
                if (scale == "linear")
                    dim.scale = KnobScale::Linear;
                else if (scale == "log")
                    dim.scale = KnobScale::Log;
                else if (scale == "pow2")
                    dim.scale = KnobScale::PowerOfTwo;
                else
                    return fail(error(key + ".scale", "must be linear, log or pow2, got '" + scale + "'"));
                bool integral = domain["low"].is_number_integer() && domain["high"].is_number_integer();
                std::string type = integral ? "int" : "float";
                LWB_RETURN_IF_ERROR(read(domain, key, "type", type));
                if (type == "int")
                    dim.type = KnobType::Int;
                else if (type == "float")
                    dim.type = KnobType::Float;
                else
                    return fail(error(key + ".type", "must be int or float, got '" + type + "'"));
                if (dim.type == KnobType::Int && (std::floor(dim.low) != dim.low || std::floor(dim.high) != dim.high))
                    return fail(error(key, "an integer knob needs integer low and high"));
                if (!(dim.low <= dim.high))
                    return fail(error(key,
                        fmt::format("low ({:g}) is greater than high ({:g}): the domain is empty", dim.low, dim.high)));
                if (dim.scale == KnobScale::Log && dim.low <= 0)
                    return fail(error(key, "a log-scaled domain needs low > 0"));
                if (dim.scale == KnobScale::PowerOfTwo) {
                    if (dim.type != KnobType::Int)
                        return fail(error(key, "pow2 scale needs an integer knob"));
                    auto lo = static_cast<std::int64_t>(dim.low), hi = static_cast<std::int64_t>(dim.high);
                    std::int64_t p = 1;
                    while (p < lo)
                        p *= 2;
                    if (lo <= 0 || p > hi)
                        return fail(error(key, fmt::format("no power of two lies in [{}, {}]", lo, hi)));
                }
            } else {
                // A single value: a fixed knob written under search_space.
                return fail(error(key,
                    "must be a list of choices or {low, high[, scale]}; put fixed values under "
                    "settings"));
            }
            m_spec.searchSpace.push_back(std::move(dim));
        }
        return {};
    }

    Status readCommand(const Json& cmd)
    {
        LWB_RETURN_IF_ERROR(checkKeys(cmd, "command", {"argv", "env", "cwd", "timeout", "metrics"}));
        CommandSpec c;
        if (!cmd.contains("argv") || !cmd["argv"].is_array() || cmd["argv"].empty())
            return fail(error("command.argv", "must be a non-empty list (program then arguments)"));
        for (const auto& a : cmd["argv"]) {
            if (!a.is_string() && !a.is_number())
                return fail(error("command.argv", "every argument must be a string"));
            c.argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
        }
        if (cmd.contains("env")) {
            if (!cmd["env"].is_object())
                return fail(error("command.env", "must map variable names to values"));
            for (const auto& [k, v] : cmd["env"].items())
                c.env[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
        LWB_RETURN_IF_ERROR(read(cmd, "command", "cwd", c.workingDirectory));
        LWB_RETURN_IF_ERROR(readDuration(cmd, "command", "timeout", c.timeoutSeconds));
        if (cmd.contains("metrics")) {
            const Json& m = cmd["metrics"];
            LWB_RETURN_IF_ERROR(checkKeys(m, "command.metrics", {"format", "regex"}));
            LWB_RETURN_IF_ERROR(read(m, "command.metrics", "format", c.metricsFormat));
            if (c.metricsFormat != "jsonl" && c.metricsFormat != "regex")
                return fail(error("command.metrics.format", "must be jsonl or regex"));
            if (m.contains("regex")) {
                if (!m["regex"].is_object())
                    return fail(error("command.metrics.regex", "must map metric names to regexes"));
                for (const auto& [metric, re] : m["regex"].items()) {
                    if (!re.is_string())
                        return fail(error("command.metrics.regex." + metric, "must be a string"));
                    try {
                        std::regex compiled(re.get<std::string>());
                        if (compiled.mark_count() < 1)
                            return fail(
                                error("command.metrics.regex." + metric, "needs one capture group around the number"));
                    } catch (const std::regex_error& e) {
                        return fail(
                            error("command.metrics.regex." + metric, std::string("invalid regex: ") + e.what()));
                    }
                    c.metricRegexes[metric] = re.get<std::string>();
                }
                c.metricsFormat = "regex";
            }
            if (c.metricsFormat == "regex" && c.metricRegexes.empty())
                return fail(error("command.metrics", "format regex needs a regex mapping"));
        }
        m_spec.command = std::move(c);
        return {};
    }

    Status readAll()
    {
        const Json& r = m_root;
        LWB_RETURN_IF_ERROR(checkKeys(r, "",
            {"name", "workload", "settings", "search_space", "constraints", "objectives", "outcome_constraints",
                "budget", "sampler", "pruner", "measurement", "capture", "storage", "seed", "workers", "command",
                "enqueue", "warm_start"}));
        LWB_RETURN_IF_ERROR(read(r, "", "name", m_spec.name));
        if (m_spec.name.empty())
            return fail(error("name", "a study needs a name"));
        static const std::regex nameForm("[A-Za-z0-9][A-Za-z0-9_.-]*");
        if (!std::regex_match(m_spec.name, nameForm))
            return fail(error("name", "use letters, digits, '-', '_' and '.' only"));
        LWB_RETURN_IF_ERROR(read(r, "", "workload", m_spec.workload));
        if (m_spec.workload.empty())
            return fail(error("workload",
                "a study needs a workload (gpt-train, gpt-infer, mlp-train, mlp-infer, "
                "command)"));
        if (r.contains("settings")) {
            if (!r["settings"].is_object())
                return fail(error("settings", "must map knob names to fixed values"));
            m_spec.rawSettings = r["settings"];
        }
        if (r.contains("search_space"))
            LWB_RETURN_IF_ERROR(readSearchSpace(r["search_space"]));
        if (r.contains("constraints")) {
            if (!r["constraints"].is_array())
                return fail(error("constraints", "must be a list such as [\"batch_size * seq_len <= 65536\"]"));
            for (const auto& c : r["constraints"]) {
                if (!c.is_string())
                    return fail(error("constraints", "every constraint must be a string"));
                m_spec.parameterConstraints.push_back(c.get<std::string>());
            }
        }
        if (r.contains("objectives")) {
            const Json& o = r["objectives"];
            std::vector<std::string> items;
            if (o.is_string())
                items.push_back(o.get<std::string>());
            else if (o.is_array())
                for (const auto& x : o) {
                    if (!x.is_string())
                        return fail(error("objectives", "every objective must be a string like tokens_per_s:max"));
                    items.push_back(x.get<std::string>());
                }
            else
                return fail(error("objectives", "must be a list like [tokens_per_s:max]"));
            for (const auto& item : items) {
                auto obj = parseObjective(item);
                if (!obj)
                    return fail(error("objectives", obj.error().message));
                m_spec.objectives.push_back(*obj);
            }
        }
        if (r.contains("outcome_constraints")) {
            const Json& oc = r["outcome_constraints"];
            if (!oc.is_array())
                return fail(error("outcome_constraints", "must be a list like [\"p99_latency_ms<=20\"]"));
            for (const auto& c : oc) {
                if (!c.is_string())
                    return fail(error("outcome_constraints", "every constraint must be a string"));
                auto parsed = parseOutcomeConstraint(c.get<std::string>());
                if (!parsed)
                    return fail(error("outcome_constraints", parsed.error().message));
                m_spec.outcomeConstraints.push_back(*parsed);
            }
        }
        if (r.contains("budget")) {
            const Json& b = r["budget"];
            LWB_RETURN_IF_ERROR(checkKeys(b, "budget", {"trials", "time", "patience"}));
            LWB_RETURN_IF_ERROR(read(b, "budget", "trials", m_spec.trials));
            LWB_RETURN_IF_ERROR(readDuration(b, "budget", "time", m_spec.timeBudgetSeconds));
            LWB_RETURN_IF_ERROR(read(b, "budget", "patience", m_spec.patience));
            if (m_spec.trials < 1)
                return fail(error("budget.trials", "must be at least 1"));
            if (m_spec.patience < 0)
                return fail(error("budget.patience", "must not be negative"));
        }
        LWB_RETURN_IF_ERROR(read(r, "", "sampler", m_spec.sampler));
        static const std::set<std::string> samplers {"gp", "random", "sobol", "grid"};
        if (!samplers.count(m_spec.sampler))
            return fail(error("sampler", "must be gp, random, sobol or grid, got '" + m_spec.sampler + "'"));
        LWB_RETURN_IF_ERROR(read(r, "", "pruner", m_spec.pruner));
        static const std::set<std::string> pruners {"none", "median", "halving"};
        if (!pruners.count(m_spec.pruner))
            return fail(error("pruner", "must be none, median or halving, got '" + m_spec.pruner + "'"));
        if (r.contains("measurement"))
            LWB_RETURN_IF_ERROR(readMeasurement(r["measurement"]));
        if (r.contains("capture"))
            LWB_RETURN_IF_ERROR(readCapture(r["capture"]));
        std::string storage;
        LWB_RETURN_IF_ERROR(read(r, "", "storage", storage));
        m_spec.storage = storage.empty() ? std::filesystem::path(m_spec.name + ".lwb") : std::filesystem::path(storage);
        std::int64_t seed = 0;
        LWB_RETURN_IF_ERROR(read(r, "", "seed", seed));
        if (seed < 0)
            return fail(error("seed", "must not be negative"));
        m_spec.seed = static_cast<std::uint64_t>(seed);
        LWB_RETURN_IF_ERROR(read(r, "", "workers", m_spec.workers));
        if (m_spec.workers < 1 || m_spec.workers > 256)
            return fail(error("workers", "must be between 1 and 256"));
        if (r.contains("command"))
            LWB_RETURN_IF_ERROR(readCommand(r["command"]));
        if (m_spec.workload == "command" && !m_spec.command)
            return fail(error("workload", "a command workload needs a command: section with argv"));
        if (m_spec.workload != "command" && m_spec.command)
            return fail(error("command", "only a workload of type command takes a command: section"));
        if (r.contains("enqueue")) {
            if (!r["enqueue"].is_array())
                return fail(error("enqueue", "must be a list of configurations"));
            for (const auto& e : r["enqueue"]) {
                if (!e.is_object())
                    return fail(error("enqueue", "every entry must map knob names to values"));
                m_spec.enqueue.push_back(e);
            }
        }
        LWB_RETURN_IF_ERROR(read(r, "", "warm_start", m_spec.warmStartFrom));
        if (m_spec.objectives.empty())
            return fail(error("objectives", "a study needs at least one objective, e.g. tokens_per_s:max"));
        if (m_spec.objectives.size() > 3)
            return fail(error("objectives", "at most three objectives are supported"));
        return {};
    }

    Status readMeasurement(const Json& m)
    {
        LWB_RETURN_IF_ERROR(checkKeys(m, "measurement",
            {"mode", "warmup", "min_samples", "max_samples", "max_noise", "max_time", "target_loss", "time_budget"}));
        auto& rules = m_spec.measurement;
        std::string mode = "throughput";
        LWB_RETURN_IF_ERROR(read(m, "measurement", "mode", mode));
        if (mode == "throughput")
            rules.mode = MeasurementMode::Throughput;
        else if (mode == "time_to_target_loss")
            rules.mode = MeasurementMode::TimeToTargetLoss;
        else if (mode == "loss_after_time")
            rules.mode = MeasurementMode::LossAfterTime;
        else
            return fail(error(
                "measurement.mode", "must be throughput, time_to_target_loss or loss_after_time, got '" + mode + "'"));
        LWB_RETURN_IF_ERROR(read(m, "measurement", "warmup", rules.warmupWindows));
        LWB_RETURN_IF_ERROR(read(m, "measurement", "min_samples", rules.minSamples));
        LWB_RETURN_IF_ERROR(read(m, "measurement", "max_samples", rules.maxSamples));
        LWB_RETURN_IF_ERROR(read(m, "measurement", "max_noise", rules.maxNoise));
        LWB_RETURN_IF_ERROR(readDuration(m, "measurement", "max_time", rules.maxTimeSeconds));
        if (m.contains("target_loss")) {
            double t = 0;
            LWB_RETURN_IF_ERROR(read(m, "measurement", "target_loss", t));
            rules.targetLoss = t;
        }
        LWB_RETURN_IF_ERROR(readDuration(m, "measurement", "time_budget", rules.timeBudgetSeconds));
        if (rules.warmupWindows < 0)
            return fail(error("measurement.warmup", "must not be negative"));
        if (rules.minSamples < 1)
            return fail(error("measurement.min_samples", "must be at least 1"));
        if (rules.maxSamples < rules.minSamples)
            return fail(error("measurement.max_samples", "must be at least min_samples"));
        if (!(rules.maxNoise > 0 && rules.maxNoise < 1))
            return fail(error("measurement.max_noise", "must be a fraction in (0, 1), e.g. 0.05 for 5%"));
        if (rules.mode == MeasurementMode::TimeToTargetLoss && !rules.targetLoss)
            return fail(error("measurement.mode", "time_to_target_loss needs measurement.target_loss"));
        if (rules.mode == MeasurementMode::LossAfterTime && rules.timeBudgetSeconds <= 0)
            return fail(error("measurement.mode", "loss_after_time needs measurement.time_budget"));
        return {};
    }

    Status readCapture(const Json& c)
    {
        LWB_RETURN_IF_ERROR(checkKeys(c, "capture", {"policy", "k", "skip", "steps"}));
        std::string policy = "none";
        LWB_RETURN_IF_ERROR(read(c, "capture", "policy", policy));
        auto& cap = m_spec.capture;
        if (policy == "none")
            cap.policy = CapturePolicy::None;
        else if (policy == "best")
            cap.policy = CapturePolicy::Best;
        else if (policy == "all")
            cap.policy = CapturePolicy::All;
        else
            return fail(error("capture.policy", "must be none, best or all, got '" + policy + "'"));
        LWB_RETURN_IF_ERROR(read(c, "capture", "k", cap.bestK));
        LWB_RETURN_IF_ERROR(read(c, "capture", "skip", cap.skipSteps));
        LWB_RETURN_IF_ERROR(read(c, "capture", "steps", cap.captureSteps));
        if (cap.bestK < 1 || cap.skipSteps < 0 || cap.captureSteps < 1)
            return fail(error("capture", "needs k >= 1, skip >= 0 and steps >= 1"));
        return {};
    }

private:
    const Json& m_root;
    StudySpec& m_spec;
};

} // namespace

Result<StudySpec> parseSpec(std::string_view yamlText, std::string_view origin,
    const std::map<std::string, std::string>& overrides, const std::map<std::string, std::string>& environment)
{
    LWB_ASSIGN_OR_RETURN(YAML::Node root, parseYaml(yamlText, origin));
    StudySpec spec;
    Json json = Json::object();
    if (root.IsMap())
        json = toJsonWithLines(root, "", std::string(origin), spec.sources);
    else if (!root.IsNull())
        return fail(ErrorCode::InvalidArgument,
            std::string(origin) + ": a study spec must be a YAML mapping (name:, workload:, search_space:, ...)",
            LWB_WHERE);

    const auto& keys = overridableKeys();
    for (const auto& [flag, dotted] : keys) {
        std::string envName = "LWB_" + flag;
        std::transform(envName.begin(), envName.end(), envName.begin(),
            [](unsigned char c) { return c == '-' ? '_' : static_cast<char>(std::toupper(c)); });
        if (auto it = environment.find(envName); it != environment.end()) {
            setDotted(json, dotted, typedOverride(dotted, it->second));
            spec.sources[dotted] = envName;
        }
    }
    for (const auto& [flag, value] : overrides) {
        if (flag.rfind("set.", 0) == 0) {
            std::string knob = flag.substr(4);
            if (!json.contains("settings") || !json["settings"].is_object())
                json["settings"] = Json::object();
            json["settings"][knob] = typedOverride("settings", value);
            spec.sources["settings." + knob] = "--set " + knob;
            continue;
        }
        auto it = keys.find(flag);
        if (it == keys.end())
            return fail(ErrorCode::InvalidArgument, "--" + flag + " is not a study setting", LWB_WHERE);
        setDotted(json, it->second, typedOverride(it->second, value));
        spec.sources[it->second] = "--" + flag;
    }

    SpecReader reader(json, spec);
    LWB_RETURN_IF_ERROR(reader.readAll());
    return spec;
}

Result<StudySpec> loadSpec(const std::filesystem::path& path, const std::map<std::string, std::string>& overrides,
    const std::map<std::string, std::string>& environment)
{
    LWB_ASSIGN_OR_RETURN(std::string text, readTextFile(path));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return fail(ErrorCode::InvalidArgument,
            path.string()
                + " is empty: a study spec needs name, workload and "
                  "objectives",
            LWB_WHERE);
    return parseSpec(text, path.string(), overrides, environment);
}

Json StudySpec::toJson() const
{
    Json space = Json::object();
    for (const auto& d : searchSpace) {
        if (!d.choices.empty()) {
            Json choices = Json::array();
            for (const auto& c : d.choices)
                choices.push_back(engine::knobValueToJson(c));
            space[d.name] = choices;
        } else {
            space[d.name] = {{"low", d.low}, {"high", d.high},
                {"scale",
                    d.scale == KnobScale::Log              ? "log"
                        : d.scale == KnobScale::PowerOfTwo ? "pow2"
                                                           : "linear"},
                {"type", d.type == KnobType::Int ? "int" : "float"}};
        }
    }
    Json objs = Json::array(), ocs = Json::array();
    for (const auto& o : objectives)
        objs.push_back(o.toString());
    for (const auto& c : outcomeConstraints)
        ocs.push_back(c.toString());
    Json out {{"name", name}, {"workload", workload}, {"settings", rawSettings}, {"search_space", space},
        {"constraints", parameterConstraints}, {"objectives", objs}, {"outcome_constraints", ocs},
        {"budget", {{"trials", trials}, {"time", timeBudgetSeconds}, {"patience", patience}}}, {"sampler", sampler},
        {"pruner", pruner}, {"storage", storage.string()}, {"seed", seed}, {"workers", workers}};
    const char* modes[] = {"throughput", "time_to_target_loss", "loss_after_time"};
    out["measurement"] = {{"mode", modes[static_cast<int>(measurement.mode)]}, {"warmup", measurement.warmupWindows},
        {"min_samples", measurement.minSamples}, {"max_samples", measurement.maxSamples},
        {"max_noise", measurement.maxNoise}, {"max_time", measurement.maxTimeSeconds}};
    if (measurement.targetLoss)
        out["measurement"]["target_loss"] = *measurement.targetLoss;
    if (measurement.timeBudgetSeconds > 0)
        out["measurement"]["time_budget"] = measurement.timeBudgetSeconds;
    const char* policies[] = {"none", "best", "all"};
    out["capture"] = {{"policy", policies[static_cast<int>(capture.policy)]}, {"k", capture.bestK},
        {"skip", capture.skipSteps}, {"steps", capture.captureSteps}};
    if (command) {
        out["command"] = {{"argv", command->argv}, {"env", command->env}, {"cwd", command->workingDirectory},
            {"timeout", command->timeoutSeconds}, {"metrics", {{"format", command->metricsFormat}}}};
        if (!command->metricRegexes.empty())
            out["command"]["metrics"]["regex"] = command->metricRegexes;
    }
    if (!enqueue.empty())
        out["enqueue"] = enqueue;
    if (!warmStartFrom.empty())
        out["warm_start"] = warmStartFrom;
    return out;
}

} // namespace lwb::workbench
