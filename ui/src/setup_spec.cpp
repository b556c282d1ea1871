// SetupSpec: defaults per workload, local validation with field keys, and conversion to and from
// the YAML keys of `lwb tune` (name, workload, settings, search_space, objectives,
// outcome_constraints, budget, sampler, pruner, measurement, capture, seed, storage).
#include "lwb/ui/setup_spec.h"

#include "lwb/core/json_yaml.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace lwb::ui {

namespace {

const WorkloadInfo* findWorkload(const std::vector<WorkloadInfo>& workloads, const std::string& name)
{
    for (const auto& w : workloads)
        if (w.name == name)
            return &w;
    return nullptr;
}

const KnobInfo* findKnob(const WorkloadInfo* w, const std::string& name)
{
    if (!w)
        return nullptr;
    for (const auto& k : w->knobs)
        if (k.name == name)
            return &k;
    return nullptr;
}

bool parseInteger(const std::string& text, std::int64_t& out)
{
    try {
        std::size_t used = 0;
        out = std::stoll(text, &used);
        return used == text.size();
    } catch (...) {
        return false;
    }
}

bool parseReal(const std::string& text, double& out)
{
    try {
        std::size_t used = 0;
        out = std::stod(text, &used);
        return used == text.size() && std::isfinite(out);
    } catch (...) {
        return false;
    }
}

bool isPowerOfTwo(double v)
{
    if (v < 1 || std::floor(v) != v)
        return false;
    auto i = static_cast<std::uint64_t>(v);
    return (i & (i - 1)) == 0;
}

std::string fmtNumber(double v)
{
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
}

const char* scaleName(ParamScale s)
{
    return s == ParamScale::Log ? "log" : s == ParamScale::PowerOfTwo ? "pow2" : "linear";
}

} // namespace

static std::string fmtShort(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

SetupSpec defaultSetup(const WorkloadInfo& workload)
{
    SetupSpec spec;
    spec.name = workload.name + "-study";
    spec.workload = workload.name;
    std::string defaultBackend = "cpu";
    for (const auto& k : workload.knobs)
        if (k.name == "backend" && std::holds_alternative<std::string>(k.defaultValue))
            defaultBackend = std::get<std::string>(k.defaultValue);
    for (const auto& k : workload.knobs) {
        KnobSetting s;
        s.name = k.name;
        s.kind = k.kind;
        s.low = k.min;
        s.high = k.max;
        s.scale = k.scale;
        s.choices = k.kind == ParamKind::Bool ? std::vector<std::string> {"false", "true"} : k.choices;
        // Only what the default backend can run (no fp16 training or tf32 on the CPU): a first
        // study should not spend trials on configurations that are bound to be rejected.
        if (auto it = k.supportedByBackend.find(defaultBackend);
            k.kind == ParamKind::Categorical && it != k.supportedByBackend.end())
            s.choices = it->second;
        // The knobs people tune first; the others stay at their defaults.
        static const std::set<std::string> usual {"batch_size", "precision", "threads", "lr", "grad_accum", "seq_len"};
        s.included = usual.count(k.name) > 0;
        // Start from a neighbourhood of the default, not the knob's whole domain (threads up to
        // 256 or a grad_accum of 1024 would make the first study take hours).
        const double def = std::holds_alternative<std::int64_t>(k.defaultValue)
            ? static_cast<double>(std::get<std::int64_t>(k.defaultValue))
            : std::holds_alternative<double>(k.defaultValue) ? std::get<double>(k.defaultValue)
                                                             : 0.0;
        auto clampDomain = [&](double lo, double hi) {
            // Six significant digits, so the bounds survive a YAML round trip exactly.
            auto tidy = [](double v) { return std::stod(fmtShort(v)); };
            s.low = std::max(k.min, tidy(lo));
            s.high = std::min(k.max, std::max(s.low, tidy(hi)));
        };
        if (!s.included)
            ; // not searched: keeps the knob's whole domain (what reading a spec file gives it too)
        else if (k.name == "threads")
            clampDomain(1, std::max(1u, std::thread::hardware_concurrency()));
        else if (k.name == "batch_size" && def > 0)
            clampDomain(std::max(1.0, def / 8), def * 4);
        else if (k.name == "grad_accum")
            clampDomain(1, 8);
        else if (k.name == "lr" && def > 0)
            clampDomain(def / 10, def * 10);
        else if (k.name == "seq_len" && def > 0)
            clampDomain(std::max(2.0, def / 4), def);
        spec.knobs.push_back(std::move(s));
    }
    for (const auto& m : workload.metrics) {
        if (m.name == "tokens_per_s" || m.name == "samples_per_s") {
            spec.objectives.push_back({m.name, m.better});
            break;
        }
    }
    if (spec.objectives.empty() && !workload.metrics.empty())
        spec.objectives.push_back({workload.metrics.front().name, workload.metrics.front().better});
    return spec;
}

Result<double> parseDurationText(std::string_view text)
{
    static const std::regex part(R"((\d+(?:\.\d+)?)(ms|s|m|h|d)?)");
    std::string s(text);
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == ' '; }), s.end());
    if (s.empty())
        return fail(ErrorCode::InvalidArgument, "empty duration");
    double total = 0;
    auto begin = std::sregex_iterator(s.begin(), s.end(), part);
    std::size_t consumed = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        if (static_cast<std::size_t>(it->position()) != consumed)
            break;
        consumed += static_cast<std::size_t>(it->length());
        const double v = std::stod((*it)[1].str());
        const std::string unit = (*it)[2].str();
        total += unit == "ms" ? v / 1000 : unit == "m" ? v * 60 : unit == "h" ? v * 3600 : unit == "d" ? v * 86400 : v;
    }
    if (consumed != s.size()) {
        std::string message(1, '\'');
        message.append(text).append("' is not a duration like 90s, 15m or 1h30m");
        return fail(ErrorCode::InvalidArgument, message);
    }
    return total;
}

Result<std::string> parseConstraintMetric(std::string_view text)
{
    static const std::regex form(
        R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*(-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*)");
    std::smatch m;
    std::string s(text);
    if (!std::regex_match(s, m, form))
        return fail(ErrorCode::InvalidArgument, "'" + s + "' is not a constraint like p99_latency_ms<=20");
    return m[1].str();
}

bool hasErrors(const std::vector<ValidationIssue>& issues)
{
    return std::any_of(
        issues.begin(), issues.end(), [](const ValidationIssue& i) { return i.severity == IssueSeverity::Error; });
}

std::vector<ValidationIssue> validateSetup(const SetupSpec& spec, const WorkloadInfo* workload)
{
    std::vector<ValidationIssue> out;
    auto error = [&](std::string field, std::string message) {
        out.push_back({std::move(field), IssueSeverity::Error, std::move(message)});
    };
    auto warn = [&](std::string field, std::string message) {
        out.push_back({std::move(field), IssueSeverity::Warning, std::move(message)});
    };
    static const std::regex nameForm("[A-Za-z0-9][A-Za-z0-9_.-]*");
    if (spec.name.empty())
        error("name", "a study needs a name");
    else if (!std::regex_match(spec.name, nameForm))
        error("name", "use letters, digits, '-', '_' and '.' only");
    if (spec.workload.empty())
        error("workload", "pick a workload");
    else if (!workload)
        warn("workload", "workload '" + spec.workload + "' is not known here; knobs and metrics are not checked");

    int included = 0;
    for (const auto& k : spec.knobs) {
        const std::string key = "search_space." + k.name;
        const KnobInfo* info = findKnob(workload, k.name);
        if (workload && !info)
            error(key, "the workload has no knob '" + k.name + "'");
        if (!k.included) {
            if (k.fixedValue.empty())
                continue;
            const std::string fkey = "settings." + k.name;
            std::int64_t i = 0;
            double d = 0;
            if (k.kind == ParamKind::Int && !parseInteger(k.fixedValue, i))
                error(fkey, "'" + k.fixedValue + "' is not an integer");
            else if (k.kind == ParamKind::Float && !parseReal(k.fixedValue, d))
                error(fkey, "'" + k.fixedValue + "' is not a number");
            else if (k.kind == ParamKind::Bool && k.fixedValue != "true" && k.fixedValue != "false")
                error(fkey, "must be true or false");
            else if (k.kind == ParamKind::Categorical && info && !info->choices.empty()
                && std::find(info->choices.begin(), info->choices.end(), k.fixedValue) == info->choices.end())
                error(fkey, "'" + k.fixedValue + "' is not one of the knob's choices");
            continue;
        }
        ++included;
        if (k.kind == ParamKind::Categorical || k.kind == ParamKind::Bool) {
            if (k.choices.empty()) {
                error(key, "choose at least one value");
                continue;
            }
            std::set<std::string> seen;
            for (const auto& c : k.choices) {
                if (!seen.insert(c).second)
                    error(key, "lists '" + c + "' twice");
                if (k.kind == ParamKind::Bool && c != "true" && c != "false")
                    error(key, "'" + c + "' is not true or false");
                else if (info && !info->choices.empty()
                    && std::find(info->choices.begin(), info->choices.end(), c) == info->choices.end())
                    error(key, "'" + c + "' is not one of the knob's choices");
            }
            if (k.choices.size() == 1)
                warn(key, "a single choice: the knob is effectively fixed");
            continue;
        }
        if (!(k.low <= k.high)) {
            error(key,
                "low (" + fmtNumber(k.low) + ") is greater than high (" + fmtNumber(k.high) + "): the domain is empty");
            continue;
        }
        if (k.kind == ParamKind::Int && (std::floor(k.low) != k.low || std::floor(k.high) != k.high))
            error(key, "an integer knob needs integer low and high");
        if (k.scale == ParamScale::Log && k.low <= 0)
            error(key, "a log-scaled domain needs low > 0");
        if (k.scale == ParamScale::PowerOfTwo) {
            if (k.kind != ParamKind::Int) {
                error(key, "pow2 scale needs an integer knob");
            } else {
                double p = 1;
                while (p < k.low)
                    p *= 2;
                if (k.low <= 0 || p > k.high)
                    error(key, "no power of two lies in [" + fmtNumber(k.low) + ", " + fmtNumber(k.high) + "]");
                else if (!isPowerOfTwo(k.low) || !isPowerOfTwo(k.high))
                    warn(key, "pow2 searches only the powers of two inside the domain");
            }
        }
        if (info && info->kind != ParamKind::Categorical && (k.low < info->min || k.high > info->max))
            error(key, "outside the workload's domain [" + fmtNumber(info->min) + ", " + fmtNumber(info->max) + "]");
        if (k.low == k.high)
            warn(key, "low equals high: the knob is effectively fixed");
    }
    if (included == 0)
        error("search_space", "search at least one knob (tick Include)");

    std::set<std::string> metrics;
    if (workload)
        for (const auto& m : workload->metrics)
            metrics.insert(m.name);
    if (spec.objectives.empty())
        error("objectives", "a study needs at least one objective, e.g. tokens_per_s:max");
    if (spec.objectives.size() > 3)
        error("objectives", "at most three objectives are supported");
    std::set<std::string> seenObjectives;
    for (const auto& o : spec.objectives) {
        if (o.metric.empty())
            error("objectives", "an objective has no metric");
        else if (workload && !metrics.count(o.metric))
            error("objectives", "the workload reports no metric '" + o.metric + "'");
        if (!seenObjectives.insert(o.metric).second)
            error("objectives", "'" + o.metric + "' is listed twice");
    }
    for (const auto& c : spec.outcomeConstraints) {
        auto metric = parseConstraintMetric(c);
        if (!metric)
            error("outcome_constraints", metric.error().message);
        else if (workload && !metrics.count(*metric))
            error("outcome_constraints", "the workload reports no metric '" + *metric + "'");
    }
    if (spec.trials < 1)
        error("budget.trials", "must be at least 1");
    if (!spec.timeBudget.empty()) {
        if (auto d = parseDurationText(spec.timeBudget); !d)
            error("budget.time", d.error().message);
    }
    if (spec.patience < 0)
        error("budget.patience", "must not be negative");
    static const std::set<std::string> samplers {"gp", "random", "sobol", "grid"};
    if (!samplers.count(spec.sampler))
        error("sampler", "must be gp, random, sobol or grid");
    static const std::set<std::string> pruners {"none", "median", "halving"};
    if (!pruners.count(spec.pruner))
        error("pruner", "must be none, median or halving");
    if (spec.sampler == "grid")
        for (const auto& k : spec.knobs)
            if (k.included && k.kind == ParamKind::Float)
                warn("sampler", "grid search over the real-valued knob '" + k.name + "' uses a coarse grid");
    const auto& m = spec.measurement;
    static const std::set<std::string> modes {"throughput", "time_to_target_loss", "loss_after_time"};
    if (!modes.count(m.mode))
        error("measurement.mode", "must be throughput, time_to_target_loss or loss_after_time");
    if (m.warmup < 0)
        error("measurement.warmup", "must not be negative");
    if (m.minSamples < 1)
        error("measurement.min_samples", "must be at least 1");
    if (m.maxSamples < m.minSamples)
        error("measurement.max_samples", "must be at least min_samples");
    if (!(m.maxNoise > 0 && m.maxNoise < 1))
        error("measurement.max_noise", "must be a fraction in (0, 1), e.g. 0.05 for 5%");
    if (auto d = parseDurationText(m.maxTime); !d)
        error("measurement.max_time", d.error().message);
    if (m.mode == "time_to_target_loss" && !(m.targetLoss > 0))
        error("measurement.target_loss", "time_to_target_loss needs a target loss > 0");
    if (m.mode == "loss_after_time") {
        auto d = parseDurationText(m.lossTimeBudget);
        if (!d || *d <= 0)
            error("measurement.time_budget", "loss_after_time needs a time budget such as 10m");
    }
    static const std::set<std::string> captures {"none", "best", "all"};
    if (!captures.count(spec.capture))
        error("capture.policy", "must be none, best or all");
    return out;
}

namespace {

bool looksTyped(const std::string& s)
{
    double d = 0;
    return s.empty() || s == "true" || s == "false" || s == "null" || s == "~" || s == "yes" || s == "no"
        || parseReal(s, d);
}

void emitString(YAML::Emitter& e, const std::string& s)
{
    if (looksTyped(s))
        e << YAML::DoubleQuoted << s;
    else
        e << s;
}

void emitNumber(YAML::Emitter& e, ParamKind kind, double v)
{
    if (kind == ParamKind::Int)
        e << static_cast<long long>(std::llround(v));
    else
        e << v;
}

void emitFixed(YAML::Emitter& e, const KnobSetting& k)
{
    std::int64_t i = 0;
    double d = 0;
    if (k.kind == ParamKind::Int && parseInteger(k.fixedValue, i))
        e << static_cast<long long>(i);
    else if (k.kind == ParamKind::Float && parseReal(k.fixedValue, d))
        e << d;
    else if (k.kind == ParamKind::Bool && (k.fixedValue == "true" || k.fixedValue == "false"))
        e << (k.fixedValue == "true");
    else
        emitString(e, k.fixedValue);
}

} // namespace

std::string setupToYaml(const SetupSpec& spec)
{
    YAML::Emitter e;
    e.SetDoublePrecision(10);
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value;
    emitString(e, spec.name);
    e << YAML::Key << "workload" << YAML::Value << spec.workload;
    bool anyFixed = false;
    for (const auto& k : spec.knobs)
        anyFixed |= !k.included && !k.fixedValue.empty();
    if (anyFixed) {
        e << YAML::Key << "settings" << YAML::Value << YAML::BeginMap;
        for (const auto& k : spec.knobs) {
            if (k.included || k.fixedValue.empty())
                continue;
            e << YAML::Key << k.name << YAML::Value;
            emitFixed(e, k);
        }
        e << YAML::EndMap;
    }
    e << YAML::Key << "search_space" << YAML::Value << YAML::BeginMap;
    for (const auto& k : spec.knobs) {
        if (!k.included)
            continue;
        e << YAML::Key << k.name << YAML::Value;
        if (k.kind == ParamKind::Categorical || k.kind == ParamKind::Bool) {
            e << YAML::Flow << YAML::BeginSeq;
            for (const auto& c : k.choices) {
                if (k.kind == ParamKind::Bool && (c == "true" || c == "false"))
                    e << (c == "true");
                else
                    emitString(e, c);
            }
            e << YAML::EndSeq;
        } else {
            e << YAML::Flow << YAML::BeginMap;
            e << YAML::Key << "low" << YAML::Value;
            emitNumber(e, k.kind, k.low);
            e << YAML::Key << "high" << YAML::Value;
            emitNumber(e, k.kind, k.high);
            if (k.scale != ParamScale::Linear)
                e << YAML::Key << "scale" << YAML::Value << scaleName(k.scale);
            if (k.kind == ParamKind::Float)
                e << YAML::Key << "type" << YAML::Value << "float";
            e << YAML::EndMap;
        }
    }
    e << YAML::EndMap;
    e << YAML::Key << "objectives" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& o : spec.objectives)
        e << (o.metric + (o.direction == Direction::Maximize ? ":max" : ":min"));
    e << YAML::EndSeq;
    if (!spec.outcomeConstraints.empty()) {
        e << YAML::Key << "outcome_constraints" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& c : spec.outcomeConstraints)
            e << YAML::DoubleQuoted << c;
        e << YAML::EndSeq;
    }
    e << YAML::Key << "budget" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "trials" << YAML::Value << spec.trials;
    if (!spec.timeBudget.empty())
        e << YAML::Key << "time" << YAML::Value << spec.timeBudget;
    if (spec.patience > 0)
        e << YAML::Key << "patience" << YAML::Value << spec.patience;
    e << YAML::EndMap;
    e << YAML::Key << "sampler" << YAML::Value << spec.sampler;
    e << YAML::Key << "pruner" << YAML::Value << spec.pruner;
    const auto& m = spec.measurement;
    e << YAML::Key << "measurement" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "mode" << YAML::Value << m.mode;
    e << YAML::Key << "warmup" << YAML::Value << m.warmup;
    e << YAML::Key << "min_samples" << YAML::Value << m.minSamples;
    e << YAML::Key << "max_samples" << YAML::Value << m.maxSamples;
    e << YAML::Key << "max_noise" << YAML::Value << m.maxNoise;
    e << YAML::Key << "max_time" << YAML::Value << m.maxTime;
    if (m.mode == "time_to_target_loss")
        e << YAML::Key << "target_loss" << YAML::Value << m.targetLoss;
    if (m.mode == "loss_after_time")
        e << YAML::Key << "time_budget" << YAML::Value << m.lossTimeBudget;
    e << YAML::EndMap;
    e << YAML::Key << "capture" << YAML::Value << YAML::BeginMap << YAML::Key << "policy" << YAML::Value << spec.capture
      << YAML::EndMap;
    e << YAML::Key << "seed" << YAML::Value << static_cast<unsigned long long>(spec.seed);
    if (!spec.storage.empty())
        e << YAML::Key << "storage" << YAML::Value << spec.storage;
    e << YAML::EndMap;
    return std::string(e.c_str()) + "\n";
}

namespace {

Status checkKeys(const Json& object, const std::string& where, std::initializer_list<const char*> allowed)
{
    for (const auto& [key, value] : object.items()) {
        (void)value;
        if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
            return fail(ErrorCode::InvalidArgument, (where.empty() ? key : where + "." + key) + ": unknown key");
    }
    return {};
}

std::string scalarText(const Json& j)
{
    if (j.is_string())
        return j.get<std::string>();
    if (j.is_boolean())
        return j.get<bool>() ? "true" : "false";
    if (j.is_number_integer())
        return std::to_string(j.get<std::int64_t>());
    if (j.is_number())
        return fmtNumber(j.get<double>());
    return j.dump();
}

template <typename T> Status readAs(const Json& obj, const char* key, const std::string& where, T& out)
{
    if (!obj.contains(key))
        return {};
    try {
        out = obj[key].get<T>();
    } catch (const std::exception&) {
        return fail(ErrorCode::InvalidArgument, where + key + ": wrong type");
    }
    return {};
}

Status readText(const Json& obj, const char* key, const std::string& where, std::string& out)
{
    if (!obj.contains(key))
        return {};
    if (obj[key].is_object() || obj[key].is_array())
        return fail(ErrorCode::InvalidArgument, where + key + ": must be a single value");
    out = scalarText(obj[key]);
    return {};
}

} // namespace

Result<SetupSpec> setupFromYaml(std::string_view text, const std::vector<WorkloadInfo>& workloads)
{
    auto node = parseYaml(text, "spec");
    if (!node)
        return fail(node.error());
    Json r = yamlToJson(*node);
    if (!r.is_object())
        return fail(ErrorCode::InvalidArgument, "the spec must be a mapping of keys (name, workload, ...)");
    LWB_RETURN_IF_ERROR(checkKeys(r, "",
        {"name", "workload", "settings", "search_space", "constraints", "objectives", "outcome_constraints", "budget",
            "sampler", "pruner", "measurement", "capture", "storage", "seed", "workers", "command", "enqueue",
            "warm_start"}));
    SetupSpec spec;
    spec.objectives.clear();
    LWB_RETURN_IF_ERROR(readText(r, "name", "", spec.name));
    LWB_RETURN_IF_ERROR(readText(r, "workload", "", spec.workload));
    const WorkloadInfo* workload = findWorkload(workloads, spec.workload);
    std::map<std::string, KnobSetting> knobs;
    if (workload) {
        for (const auto& k : workload->knobs) {
            KnobSetting s;
            s.name = k.name;
            s.kind = k.kind;
            s.low = k.min;
            s.high = k.max;
            s.scale = k.scale;
            s.choices = k.kind == ParamKind::Bool ? std::vector<std::string> {"false", "true"} : k.choices;
            knobs[k.name] = s;
        }
    }
    if (r.contains("settings")) {
        if (!r["settings"].is_object())
            return fail(ErrorCode::InvalidArgument, "settings: must map knob names to fixed values");
        for (const auto& [name, value] : r["settings"].items()) {
            auto& s = knobs[name];
            if (s.name.empty()) {
                s.name = name;
                s.kind = value.is_boolean()     ? ParamKind::Bool
                    : value.is_number_integer() ? ParamKind::Int
                    : value.is_number()         ? ParamKind::Float
                                                : ParamKind::Categorical;
            }
            s.fixedValue = scalarText(value);
        }
    }
    if (r.contains("search_space")) {
        const Json& space = r["search_space"];
        if (!space.is_object())
            return fail(ErrorCode::InvalidArgument, "search_space: must map knob names to domains");
        for (const auto& [name, domain] : space.items()) {
            const std::string key = "search_space." + name;
            auto& s = knobs[name];
            const bool known = !s.name.empty();
            s.name = name;
            s.included = true;
            if (domain.is_array()) {
                s.choices.clear();
                bool allBools = !domain.empty();
                for (const auto& c : domain) {
                    allBools &= c.is_boolean();
                    s.choices.push_back(scalarText(c));
                }
                if (!known)
                    s.kind = allBools ? ParamKind::Bool : ParamKind::Categorical;
            } else if (domain.is_object()) {
                LWB_RETURN_IF_ERROR(checkKeys(domain, key, {"low", "high", "scale", "type"}));
                if (!domain.contains("low") || !domain.contains("high") || !domain["low"].is_number()
                    || !domain["high"].is_number())
                    return fail(ErrorCode::InvalidArgument, key + ": needs numeric low and high");
                s.low = domain["low"].get<double>();
                s.high = domain["high"].get<double>();
                std::string scale = "linear";
                LWB_RETURN_IF_ERROR(readText(domain, "scale", key + ".", scale));
                if (scale != "linear" && scale != "log" && scale != "pow2")
                    return fail(ErrorCode::InvalidArgument, key + ".scale: must be linear, log or pow2");
                s.scale = scale == "log" ? ParamScale::Log
                    : scale == "pow2"    ? ParamScale::PowerOfTwo
                                         : ParamScale::Linear;
                std::string type;
                LWB_RETURN_IF_ERROR(readText(domain, "type", key + ".", type));
                if (!type.empty())
                    s.kind = type == "float" ? ParamKind::Float : ParamKind::Int;
                else if (!known)
                    s.kind = domain["low"].is_number_integer() && domain["high"].is_number_integer() ? ParamKind::Int
                                                                                                     : ParamKind::Float;
            } else {
                return fail(ErrorCode::InvalidArgument, key + ": must be a list of choices or {low, high[, scale]}");
            }
        }
    }
    if (r.contains("objectives")) {
        Json list = r["objectives"].is_array() ? r["objectives"] : Json::array({r["objectives"]});
        for (const auto& o : list) {
            if (!o.is_string())
                return fail(
                    ErrorCode::InvalidArgument, "objectives: every objective must be a string like tokens_per_s:max");
            const std::string s = o.get<std::string>();
            const auto colon = s.rfind(':');
            const std::string dir = colon == std::string::npos ? "" : s.substr(colon + 1);
            if (colon == std::string::npos || (dir != "max" && dir != "min" && dir != "maximize" && dir != "minimize"))
                return fail(ErrorCode::InvalidArgument, "objectives: '" + s + "' is not like tokens_per_s:max");
            spec.objectives.push_back(
                {s.substr(0, colon), dir.rfind("max", 0) == 0 ? Direction::Maximize : Direction::Minimize});
        }
    }
    if (r.contains("outcome_constraints")) {
        const Json& oc = r["outcome_constraints"];
        if (!oc.is_array())
            return fail(
                ErrorCode::InvalidArgument, "outcome_constraints: must be a list like [\"p99_latency_ms<=20\"]");
        for (const auto& c : oc)
            spec.outcomeConstraints.push_back(scalarText(c));
    }
    if (r.contains("budget")) {
        const Json& b = r["budget"];
        if (!b.is_object())
            return fail(ErrorCode::InvalidArgument, "budget: must be a mapping (trials, time, patience)");
        LWB_RETURN_IF_ERROR(checkKeys(b, "budget", {"trials", "time", "patience"}));
        LWB_RETURN_IF_ERROR(readAs(b, "trials", "budget.", spec.trials));
        LWB_RETURN_IF_ERROR(readText(b, "time", "budget.", spec.timeBudget));
        LWB_RETURN_IF_ERROR(readAs(b, "patience", "budget.", spec.patience));
    }
    LWB_RETURN_IF_ERROR(readText(r, "sampler", "", spec.sampler));
    LWB_RETURN_IF_ERROR(readText(r, "pruner", "", spec.pruner));
    if (r.contains("measurement")) {
        const Json& m = r["measurement"];
        if (!m.is_object())
            return fail(ErrorCode::InvalidArgument, "measurement: must be a mapping");
        LWB_RETURN_IF_ERROR(checkKeys(m, "measurement",
            {"mode", "warmup", "min_samples", "max_samples", "max_noise", "max_time", "target_loss", "time_budget"}));
        auto& ms = spec.measurement;
        LWB_RETURN_IF_ERROR(readText(m, "mode", "measurement.", ms.mode));
        LWB_RETURN_IF_ERROR(readAs(m, "warmup", "measurement.", ms.warmup));
        LWB_RETURN_IF_ERROR(readAs(m, "min_samples", "measurement.", ms.minSamples));
        LWB_RETURN_IF_ERROR(readAs(m, "max_samples", "measurement.", ms.maxSamples));
        LWB_RETURN_IF_ERROR(readAs(m, "max_noise", "measurement.", ms.maxNoise));
        LWB_RETURN_IF_ERROR(readText(m, "max_time", "measurement.", ms.maxTime));
        LWB_RETURN_IF_ERROR(readAs(m, "target_loss", "measurement.", ms.targetLoss));
        LWB_RETURN_IF_ERROR(readText(m, "time_budget", "measurement.", ms.lossTimeBudget));
    }
    if (r.contains("capture")) {
        const Json& c = r["capture"];
        if (c.is_object())
            LWB_RETURN_IF_ERROR(readText(c, "policy", "capture.", spec.capture));
        else
            spec.capture = scalarText(c);
    }
    LWB_RETURN_IF_ERROR(readAs(r, "seed", "", spec.seed));
    LWB_RETURN_IF_ERROR(readText(r, "storage", "", spec.storage));
    // Knobs in the workload's order, then any the workload does not declare.
    if (workload)
        for (const auto& k : workload->knobs) {
            spec.knobs.push_back(knobs[k.name]);
            knobs.erase(k.name);
        }
    for (auto& [name, s] : knobs)
        spec.knobs.push_back(s);
    return spec;
}

} // namespace lwb::ui
