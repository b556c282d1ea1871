// From a StudySpec to workload, settings, search space and objectives (see study_setup.h).
#include "lwb/workbench/study_setup.h"

#include "lwb/core/hardware.h"
#include "lwb/engine/backend_status.h"

#include "lwb/workbench/command_workload.h"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <regex>
#include <set>

namespace lwb::workbench {

Result<std::unique_ptr<engine::Workload>> makeWorkload(std::string_view name)
{
    auto workload = engine::makeBuiltinWorkload(name);
    if (!workload) {
        std::string known;
        for (const auto& n : engine::builtinWorkloadNames())
            known += n + ", ";
        return fail(
            ErrorCode::NotFound, fmt::format("unknown workload '{}' (known: {}command)", name, known), LWB_WHERE);
    }
    return std::move(*workload);
}

Result<std::unique_ptr<engine::Workload>> makeWorkload(const StudySpec& spec)
{
    if (spec.workload == "command") {
        LWB_ASSIGN_OR_RETURN(auto command, CommandWorkload::fromSpec(spec));
        return std::unique_ptr<engine::Workload>(std::move(command));
    }
    auto workload = makeWorkload(spec.workload);
    if (!workload)
        return fail(workload.error().code, spec.where("workload") + ": " + workload.error().message, LWB_WHERE);
    return workload;
}

namespace {

/// For `backend: NAME` naming a backend this build has but that cannot run here (cuda without a
/// GPU): why, as `lwb doctor` says it; empty otherwise.
std::string backendUnusableReason(const std::string& knob, const engine::KnobValue& value)
{
    const auto* name = std::get_if<std::string>(&value);
    if (knob != "backend" || !name)
        return {};
    for (const auto& b : engine::backendStatus(makeDriverCudaProbe()->probe().driverAvailable))
        if (b.name == *name && b.compiled && !b.usable)
            return fmt::format("backend '{}' cannot run on this machine: {}", *name, b.detail);
    return {};
}

} // namespace

Result<engine::Config> fixedSettings(const StudySpec& spec, const engine::Workload& workload)
{
    auto knobs = workload.knobs();
    engine::Config settings;
    for (const auto& [name, value] : spec.rawSettings.items()) {
        std::string key = "settings." + name;
        const engine::KnobSpec* knob = engine::findKnob(knobs, name);
        if (!knob) {
            std::string known;
            for (const auto& k : knobs)
                known += (known.empty() ? "" : ", ") + k.name;
            return fail(ErrorCode::InvalidArgument,
                fmt::format(
                    "{}: workload '{}' has no knob '{}' (known: {})", spec.where(key), workload.name(), name, known),
                LWB_WHERE);
        }
        auto typed = engine::configFromJson(Json {{name, value}}, knobs);
        if (!typed)
            return fail(ErrorCode::InvalidArgument, spec.where(key) + ": " + typed.error().message, LWB_WHERE);
        const engine::KnobValue& v = typed->at(name);
        if (Status s = engine::validateKnob(*knob, v); !s && s.error().code != ErrorCode::Unsupported) {
            if (std::string why = backendUnusableReason(name, v); !why.empty())
                return fail(ErrorCode::Unavailable, spec.where(key) + ": " + why, LWB_WHERE);
            return fail(ErrorCode::InvalidArgument, spec.where(key) + ": " + s.error().message, LWB_WHERE);
        }
        settings[name] = v;
    }
    return settings;
}

namespace {

double asNumber(const engine::KnobValue& v)
{
    if (std::holds_alternative<std::int64_t>(v))
        return static_cast<double>(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v))
        return std::get<double>(v);
    return std::nan("");
}

tuner::Scale toTunerScale(engine::KnobScale s)
{
    switch (s) {
    case engine::KnobScale::Log:
        return tuner::Scale::Log;
    case engine::KnobScale::PowerOfTwo:
        return tuner::Scale::Pow2;
    case engine::KnobScale::Linear:
        break;
    }
    return tuner::Scale::Linear;
}

/// Checks one dimension against its knob (types, domain inside the knob's domain).
Status checkDimension(const StudySpec& spec, const SearchDimension& d, const engine::KnobSpec& knob)
{
    std::string key = "search_space." + d.name;
    auto bad = [&](const std::string& why) {
        return fail(ErrorCode::InvalidArgument, spec.where(key) + ": " + why, LWB_WHERE);
    };
    using engine::KnobType;
    if (knob.type == KnobType::Categorical) {
        if (d.type != KnobType::Categorical && d.choices.empty())
            return bad(fmt::format("'{}' is categorical: list its choices", d.name));
        for (const auto& c : d.choices) {
            std::string text = engine::knobValueToString(c);
            if (std::find(knob.choices.begin(), knob.choices.end(), text) == knob.choices.end()) {
                std::string allowed;
                for (const auto& k : knob.choices)
                    allowed += (allowed.empty() ? "" : ", ") + k;
                return bad(fmt::format("'{}' is not a choice of {} (choices: {})", text, d.name, allowed));
            }
        }
        return {};
    }
    if (knob.type == KnobType::Bool) {
        if (d.type != KnobType::Bool)
            return bad(fmt::format("'{}' is a boolean knob: use [true, false]", d.name));
        return {};
    }
    if (d.type == KnobType::Categorical || d.type == KnobType::Bool)
        return bad(fmt::format("'{}' is numeric: give {{low, high}} or a list of numbers", d.name));
    if (knob.type == KnobType::Int && d.type == KnobType::Float)
        return bad(fmt::format("'{}' is an integer knob but the domain has fractions", d.name));
    std::vector<double> values;
    if (!d.choices.empty())
        for (const auto& c : d.choices)
            values.push_back(asNumber(c));
    else
        values = {d.low, d.high};
    for (double v : values)
        if (v < knob.min || v > knob.max)
            return bad(fmt::format("{:g} is outside {}'s domain [{:g}, {:g}]", v, d.name, knob.min, knob.max));
    if (knob.scale == engine::KnobScale::PowerOfTwo) {
        for (double v : values) {
            auto i = static_cast<std::int64_t>(v);
            bool pow2 = i > 0 && (i & (i - 1)) == 0;
            if (!d.choices.empty() && !pow2)
                return bad(fmt::format("{} must be a power of two, got {:g}", d.name, v));
        }
        if (d.choices.empty() && d.scale != engine::KnobScale::PowerOfTwo)
            return bad(fmt::format("{} takes powers of two: write scale: pow2", d.name));
    }
    return {};
}

std::set<std::string> identifiersIn(const std::string& expression)
{
    static const std::regex ident("[A-Za-z_][A-Za-z0-9_]*");
    std::set<std::string> names;
    for (auto it = std::sregex_iterator(expression.begin(), expression.end(), ident); it != std::sregex_iterator();
         ++it)
        names.insert(it->str());
    return names;
}

} // namespace

Result<tuner::SearchSpace> buildSearchSpace(const StudySpec& spec, const engine::Workload& workload)
{
    auto knobs = workload.knobs();
    LWB_ASSIGN_OR_RETURN(engine::Config settings, fixedSettings(spec, workload));
    tuner::SearchSpace space;
    for (const auto& d : spec.searchSpace) {
        const engine::KnobSpec* knob = engine::findKnob(knobs, d.name);
        if (!knob) {
            std::string known;
            for (const auto& k : knobs)
                known += (known.empty() ? "" : ", ") + k.name;
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{}: workload '{}' has no knob '{}' (known: {})", spec.where("search_space." + d.name),
                    workload.name(), d.name, known),
                LWB_WHERE);
        }
        if (settings.count(d.name))
            return fail(ErrorCode::InvalidArgument,
                spec.where("search_space." + d.name) + ": '" + d.name + "' is also fixed under settings", LWB_WHERE);
        LWB_RETURN_IF_ERROR(checkDimension(spec, d, *knob));
        if (!d.choices.empty()) {
            std::vector<tuner::ParamValue> choices;
            for (const auto& c : d.choices) {
                if (knob->type == engine::KnobType::Float && std::holds_alternative<std::int64_t>(c))
                    choices.emplace_back(static_cast<double>(std::get<std::int64_t>(c)));
                else
                    choices.push_back(c);
            }
            space.addCategorical(d.name, std::move(choices));
        } else if (d.type == engine::KnobType::Int && knob->type == engine::KnobType::Int) {
            space.addInt(
                d.name, static_cast<std::int64_t>(d.low), static_cast<std::int64_t>(d.high), toTunerScale(d.scale));
        } else {
            space.addFloat(d.name, d.low, d.high, toTunerScale(d.scale));
        }
    }
    // Fixed settings that a constraint mentions become fixed parameters so it can be evaluated.
    std::set<std::string> mentioned;
    for (const auto& c : spec.parameterConstraints)
        for (const auto& n : identifiersIn(c))
            mentioned.insert(n);
    for (const auto& [name, value] : settings)
        if (mentioned.count(name))
            space.setFixed(name, value);
    for (const auto& c : spec.parameterConstraints)
        space.addConstraint(c);
    if (Status s = space.validate(); !s)
        return fail(ErrorCode::InvalidArgument, spec.where("search_space") + ": " + s.error().message, LWB_WHERE);
    return space;
}

std::vector<tuner::Objective> tunerObjectives(const StudySpec& spec)
{
    std::vector<tuner::Objective> out;
    for (const auto& o : spec.objectives)
        out.push_back({o.metric,
            o.direction == engine::Direction::Maximize ? tuner::Direction::Maximize : tuner::Direction::Minimize,
            tuner::ValueTransform::Auto});
    return out;
}

std::vector<tuner::OutcomeConstraint> tunerConstraints(const StudySpec& spec)
{
    std::vector<tuner::OutcomeConstraint> out;
    for (const auto& c : spec.outcomeConstraints)
        out.push_back({c.metric,
            c.op == ComparisonOp::LessEqual ? tuner::ConstraintOp::LessEqual : tuner::ConstraintOp::GreaterEqual,
            c.bound});
    return out;
}

Status checkMetrics(const StudySpec& spec, const engine::Workload& workload)
{
    auto metrics = workload.metrics();
    if (metrics.empty() || spec.workload == "command")
        return {};
    std::string known;
    for (const auto& m : metrics)
        known += (known.empty() ? "" : ", ") + m.name;
    auto has = [&](const std::string& name) {
        // Metrics the measurement protocol itself derives in the training-to-quality modes.
        if (name == "time_to_target_s" && spec.measurement.mode == MeasurementMode::TimeToTargetLoss)
            return true;
        if (name == "final_loss" && spec.measurement.mode == MeasurementMode::LossAfterTime)
            return true;
        return std::any_of(metrics.begin(), metrics.end(), [&](const auto& m) { return m.name == name; });
    };
    for (const auto& o : spec.objectives)
        if (!has(o.metric))
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{}: workload '{}' does not report '{}' (it reports: {})", spec.where("objectives"),
                    workload.name(), o.metric, known),
                LWB_WHERE);
    for (const auto& c : spec.outcomeConstraints)
        if (!has(c.metric))
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{}: workload '{}' does not report '{}' (it reports: {})",
                    spec.where("outcome_constraints"), workload.name(), c.metric, known),
                LWB_WHERE);
    return {};
}

Result<std::map<std::string, std::string>> parseSetArguments(const std::vector<std::string>& sets)
{
    std::map<std::string, std::string> out;
    for (const auto& s : sets) {
        auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail(ErrorCode::InvalidArgument, "--set needs KNOB=VALUE, got '" + s + "'", LWB_WHERE);
        out[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return out;
}

Result<engine::Config> applyKnobText(
    engine::Config base, const std::map<std::string, std::string>& values, const engine::Workload& workload)
{
    for (const auto& [name, text] : values) {
        auto node = parseYaml(text);
        auto typed = engine::configFromJson(Json {{name, node ? yamlToJson(*node) : Json(text)}}, workload.knobs());
        if (!typed)
            return fail(ErrorCode::InvalidArgument, "--set " + name + ": " + typed.error().message, LWB_WHERE);
        base[name] = typed->at(name);
    }
    return base;
}

Result<engine::Config> trialConfig(
    const engine::Workload& workload, const engine::Config& settings, const tuner::Params& params)
{
    engine::Config config = settings;
    auto knobs = workload.knobs();
    for (const auto& [name, value] : params) {
        const engine::KnobSpec* knob = engine::findKnob(knobs, name);
        if (knob && knob->type == engine::KnobType::Float && std::holds_alternative<std::int64_t>(value))
            config[name] = static_cast<double>(std::get<std::int64_t>(value));
        else
            config[name] = value;
    }
    return workload.resolve(config);
}

} // namespace lwb::workbench
