// Knob values, configuration JSON and knob validation shared by all workloads (see workload.h),
// and the registry of built-in workloads.
#include "lwb/engine/workload.h"

#include "workloads/builtin.h"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>

namespace lwb::engine {

std::string knobValueToString(const KnobValue& value)
{
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>)
                return v;
            else if constexpr (std::is_same_v<T, bool>)
                return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, double>)
                return fmt::format("{:g}", v);
            else
                return std::to_string(v);
        },
        value);
}

Json knobValueToJson(const KnobValue& value)
{
    return std::visit([](const auto& v) { return Json(v); }, value);
}

Json configToJson(const Config& config)
{
    Json out = Json::object();
    for (const auto& [name, value] : config)
        out[name] = knobValueToJson(value);
    return out;
}

const KnobSpec* findKnob(const std::vector<KnobSpec>& knobs, std::string_view name)
{
    auto it = std::find_if(knobs.begin(), knobs.end(), [&](const KnobSpec& k) { return k.name == name; });
    return it == knobs.end() ? nullptr : &*it;
}

static std::string knownKnobs(const std::vector<KnobSpec>& knobs)
{
    std::string names;
    for (const auto& k : knobs)
        names += (names.empty() ? "" : ", ") + k.name;
    return names;
}

Result<Config> configFromJson(const Json& json, const std::vector<KnobSpec>& knobs)
{
    if (!json.is_object())
        return fail(ErrorCode::InvalidArgument, "a configuration must be an object of knob: value", LWB_WHERE);
    Config config;
    for (const auto& [name, value] : json.items()) {
        const KnobSpec* knob = findKnob(knobs, name);
        if (!knob)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown knob '{}' (known: {})", name, knownKnobs(knobs)), LWB_WHERE);
        switch (knob->type) {
        case KnobType::Int:
            if (value.is_number_integer())
                config[name] = value.get<std::int64_t>();
            else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>())
                config[name] = static_cast<std::int64_t>(value.get<double>());
            else
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("knob '{}' must be an integer, got {}", name, value.dump()), LWB_WHERE);
            break;
        case KnobType::Float:
            if (!value.is_number())
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("knob '{}' must be a number, got {}", name, value.dump()), LWB_WHERE);
            config[name] = value.get<double>();
            break;
        case KnobType::Bool:
            if (!value.is_boolean())
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("knob '{}' must be true or false, got {}", name, value.dump()), LWB_WHERE);
            config[name] = value.get<bool>();
            break;
        case KnobType::Categorical:
            if (value.is_string())
                config[name] = value.get<std::string>();
            else if (value.is_number_integer())
                config[name] = std::to_string(value.get<std::int64_t>());
            else
                return fail(ErrorCode::InvalidArgument,
                    fmt::format("knob '{}' must be one of its choices, got {}", name, value.dump()), LWB_WHERE);
            break;
        }
    }
    return config;
}

namespace {

/// The type and domain check of validateKnob.
Status checkDomain(const KnobSpec& knob, const KnobValue& value)
{
    auto bad = [&](const std::string& why) {
        return fail(ErrorCode::InvalidArgument,
            fmt::format("invalid value {} for knob '{}': {}", knobValueToString(value), knob.name, why), LWB_WHERE);
    };
    switch (knob.type) {
    case KnobType::Int: {
        if (!std::holds_alternative<std::int64_t>(value))
            return bad("expected an integer");
        auto v = std::get<std::int64_t>(value);
        if (v < knob.min || v > knob.max)
            return bad(fmt::format("must be in [{:g}, {:g}]", knob.min, knob.max));
        if (knob.scale == KnobScale::PowerOfTwo && (v <= 0 || (v & (v - 1)) != 0))
            return bad("must be a power of two");
        return {};
    }
    case KnobType::Float: {
        double v = std::holds_alternative<double>(value)  ? std::get<double>(value)
            : std::holds_alternative<std::int64_t>(value) ? static_cast<double>(std::get<std::int64_t>(value))
                                                          : std::nan("");
        if (std::isnan(v))
            return bad("expected a number");
        if (v < knob.min || v > knob.max)
            return bad(fmt::format("must be in [{:g}, {:g}]", knob.min, knob.max));
        return {};
    }
    case KnobType::Bool:
        if (!std::holds_alternative<bool>(value))
            return bad("expected true or false");
        return {};
    case KnobType::Categorical: {
        if (!std::holds_alternative<std::string>(value))
            return bad("expected one of its choices");
        const auto& v = std::get<std::string>(value);
        if (!knob.choices.empty() && std::find(knob.choices.begin(), knob.choices.end(), v) == knob.choices.end()) {
            std::string list;
            for (const auto& c : knob.choices)
                list += (list.empty() ? "" : ", ") + c;
            return bad("must be one of " + list);
        }
        return {};
    }
    }
    return {};
}

} // namespace

Status validateKnob(const KnobSpec& knob, const KnobValue& value, std::string_view backend)
{
    LWB_RETURN_IF_ERROR(checkDomain(knob, value));
    if (backend.empty())
        return {};
    auto it = knob.supportedByBackend.find(std::string(backend));
    if (it == knob.supportedByBackend.end())
        return {};
    const std::string text = knobValueToString(value);
    if (std::find(it->second.begin(), it->second.end(), text) != it->second.end())
        return {};
    // A backend that accepts only the default does not use the knob (another backend's setting).
    const std::string defaultText = knobValueToString(knob.defaultValue);
    if (it->second.size() == 1 && it->second.front() == defaultText)
        return fail(ErrorCode::Unsupported,
            fmt::format("knob '{}' = {} is not supported by the {} backend: it does not use this knob (only the "
                        "default {} is accepted there)",
                knob.name, text, backend, defaultText),
            LWB_WHERE);
    return fail(ErrorCode::Unsupported,
        fmt::format("{} '{}' is not supported by the {} backend on this machine", knob.name, text, backend), LWB_WHERE);
}

Result<Config> Workload::resolve(const Config& partial) const
{
    auto specs = knobs();
    Config config;
    for (const auto& [name, value] : partial) {
        if (!findKnob(specs, name))
            return fail(ErrorCode::InvalidArgument,
                fmt::format("workload '{}' has no knob '{}' (known: {})", this->name(), name, knownKnobs(specs)),
                LWB_WHERE);
    }
    for (const auto& knob : specs) {
        auto it = partial.find(knob.name);
        KnobValue value = it == partial.end() ? knob.defaultValue : it->second;
        if (knob.type == KnobType::Float && std::holds_alternative<std::int64_t>(value))
            value = static_cast<double>(std::get<std::int64_t>(value));
        LWB_RETURN_IF_ERROR(validateKnob(knob, value));
        config[knob.name] = std::move(value);
    }
    return config;
}

std::vector<std::string> builtinWorkloadNames()
{
    return {"gpt-train", "gpt-infer", "mlp-train", "mlp-infer"};
}

Result<std::unique_ptr<Workload>> makeBuiltinWorkload(std::string_view name)
{
    if (name == "gpt-train")
        return detail::makeGptTrainWorkload();
    if (name == "gpt-infer")
        return detail::makeGptInferWorkload();
    if (name == "mlp-train")
        return detail::makeMlpTrainWorkload();
    if (name == "mlp-infer")
        return detail::makeMlpInferWorkload();
    std::string known;
    for (const auto& n : builtinWorkloadNames())
        known += (known.empty() ? "" : ", ") + n;
    return fail(ErrorCode::NotFound, fmt::format("no built-in workload '{}' (known: {})", name, known), LWB_WHERE);
}

} // namespace lwb::engine
