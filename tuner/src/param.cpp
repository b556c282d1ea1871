// Parameter values and their JSON form (see param.h).
#include "lwb/tuner/param.h"

#include <cmath>
#include <sstream>

namespace lwb::tuner {

Json paramValueToJson(const ParamValue& value)
{
    return std::visit([](const auto& v) { return Json(v); }, value);
}

Result<ParamValue> paramValueFromJson(const Json& json)
{
    if (json.is_boolean())
        return ParamValue(json.get<bool>());
    if (json.is_number_integer())
        return ParamValue(json.get<std::int64_t>());
    if (json.is_number_float())
        return ParamValue(json.get<double>());
    if (json.is_string())
        return ParamValue(json.get<std::string>());
    return fail(ErrorCode::InvalidArgument,
        "a parameter value must be a number, a string or a boolean, not " + json.dump(), LWB_WHERE);
}

Json paramsToJson(const Params& params)
{
    Json out = Json::object();
    for (const auto& [name, value] : params)
        out[name] = paramValueToJson(value);
    return out;
}

Result<Params> paramsFromJson(const Json& json)
{
    if (!json.is_object())
        return fail(ErrorCode::InvalidArgument, "parameters must be a JSON object, not " + json.dump(), LWB_WHERE);
    Params params;
    for (const auto& [name, value] : json.items()) {
        auto parsed = paramValueFromJson(value);
        if (!parsed)
            return fail(ErrorCode::InvalidArgument, "parameter '" + name + "': " + parsed.error().message, LWB_WHERE);
        params.emplace(name, std::move(parsed).value());
    }
    return params;
}

std::optional<double> numericValue(const ParamValue& value)
{
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&value))
        return *d;
    if (const auto* b = std::get_if<bool>(&value))
        return *b ? 1.0 : 0.0;
    return std::nullopt;
}

bool sameValue(const ParamValue& a, const ParamValue& b)
{
    if (a.index() == b.index())
        return a == b;
    bool aNumber = std::holds_alternative<std::int64_t>(a) || std::holds_alternative<double>(a);
    bool bNumber = std::holds_alternative<std::int64_t>(b) || std::holds_alternative<double>(b);
    if (aNumber && bNumber)
        return *numericValue(a) == *numericValue(b);
    return false;
}

std::string formatParamValue(const ParamValue& value)
{
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&value)) {
        std::ostringstream out;
        out.precision(6);
        out << *d;
        return out.str();
    }
    if (const auto* b = std::get_if<bool>(&value))
        return *b ? "true" : "false";
    return std::get<std::string>(value);
}

std::string formatParams(const Params& params)
{
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty())
            out += ' ';
        out += name + "=" + formatParamValue(value);
    }
    return out;
}

} // namespace lwb::tuner
