// SearchSpace: building, validation, configuration checks and the JSON spec (see search_space.h).
#include "lwb/tuner/search_space.h"

#include "encoding.h"
#include "expression.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lwb::tuner {
namespace {

bool isPowerOfTwo(std::int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

bool isIdentifier(std::string_view name)
{
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
        return false;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
            return false;
    }
    static constexpr std::string_view kReserved[] = {"and", "or", "not", "true", "false"};
    return std::find(std::begin(kReserved), std::end(kReserved), name) == std::end(kReserved);
}

/// The integral value of an int or integral real, else nullopt.
std::optional<std::int64_t> integralValue(const ParamValue& value)
{
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return *i;
    if (const auto* d = std::get_if<double>(&value)) {
        if (std::isfinite(*d) && std::round(*d) == *d && std::fabs(*d) < 9.0e15)
            return static_cast<std::int64_t>(*d);
    }
    return std::nullopt;
}

Status invalid(std::string message)
{
    return fail(ErrorCode::InvalidArgument, std::move(message), LWB_WHERE);
}

} // namespace

std::string_view paramTypeName(ParamType type)
{
    switch (type) {
    case ParamType::Int:
        return "int";
    case ParamType::Float:
        return "float";
    case ParamType::Categorical:
        return "categorical";
    case ParamType::Bool:
        return "bool";
    }
    return "?";
}

std::string_view scaleName(Scale scale)
{
    switch (scale) {
    case Scale::Linear:
        return "linear";
    case Scale::Log:
        return "log";
    case Scale::Pow2:
        return "pow2";
    }
    return "?";
}

std::int64_t ParamSpec::levelCount() const
{
    switch (type) {
    case ParamType::Float:
        return 0;
    case ParamType::Bool:
        return 2;
    case ParamType::Categorical:
        return static_cast<std::int64_t>(choices.size());
    case ParamType::Int:
        if (scale == Scale::Pow2) {
            auto lo = static_cast<std::int64_t>(std::ceil(std::log2(std::max(low, 1.0)) - 1e-12));
            auto hi = static_cast<std::int64_t>(std::floor(std::log2(std::max(high, 1.0)) + 1e-12));
            return std::max<std::int64_t>(0, hi - lo + 1);
        }
        return static_cast<std::int64_t>(high - low) + 1;
    }
    return 0;
}

ParamValue ParamSpec::level(std::int64_t index) const
{
    switch (type) {
    case ParamType::Bool:
        return ParamValue(index != 0);
    case ParamType::Categorical:
        return choices[static_cast<std::size_t>(index)];
    case ParamType::Int:
        if (scale == Scale::Pow2) {
            auto lo = static_cast<std::int64_t>(std::ceil(std::log2(std::max(low, 1.0)) - 1e-12));
            return ParamValue(std::int64_t {1} << (lo + index));
        }
        return ParamValue(static_cast<std::int64_t>(low) + index);
    case ParamType::Float:
        break;
    }
    return ParamValue(0.0);
}

Status ParamSpec::checkValue(const ParamValue& value) const
{
    std::string what = "parameter '" + name + "': ";
    switch (type) {
    case ParamType::Int: {
        auto v = integralValue(value);
        if (!v)
            return invalid(what + "expected an integer, got " + formatParamValue(value));
        if (static_cast<double>(*v) < low || static_cast<double>(*v) > high)
            return invalid(what + formatParamValue(value) + " is outside [" + std::to_string(std::int64_t(low)) + ", "
                + std::to_string(std::int64_t(high)) + "]");
        if (scale == Scale::Pow2 && !isPowerOfTwo(*v))
            return invalid(what + formatParamValue(value) + " is not a power of two");
        return {};
    }
    case ParamType::Float: {
        auto v = numericValue(value);
        if (!v || std::holds_alternative<bool>(value) || !std::isfinite(*v))
            return invalid(what + "expected a finite number, got " + formatParamValue(value));
        double slack = 1e-12 * std::max(1.0, std::fabs(high - low));
        if (*v < low - slack || *v > high + slack)
            return invalid(what + formatParamValue(value) + " is outside [" + formatParamValue(low) + ", "
                + formatParamValue(high) + "]");
        return {};
    }
    case ParamType::Categorical:
        for (const auto& choice : choices) {
            if (sameValue(choice, value))
                return {};
        }
        return invalid(what + formatParamValue(value) + " is not one of its choices");
    case ParamType::Bool:
        if (!std::holds_alternative<bool>(value))
            return invalid(what + "expected true or false, got " + formatParamValue(value));
        return {};
    }
    return {};
}

ParamSpec* SearchSpace::findMutable(std::string_view name)
{
    for (auto& p : m_params) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

const ParamSpec* SearchSpace::find(std::string_view name) const
{
    for (const auto& p : m_params) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

std::size_t SearchSpace::freeParamCount() const
{
    return static_cast<std::size_t>(
        std::count_if(m_params.begin(), m_params.end(), [](const ParamSpec& p) { return !p.fixed.has_value(); }));
}

// Parameters are kept sorted by name: the JSON form (an object) has no order, and the model's
// input layout must not depend on how the space was written.
static void insertSorted(std::vector<ParamSpec>& params, ParamSpec spec)
{
    auto at = std::lower_bound(params.begin(), params.end(), spec.name,
        [](const ParamSpec& p, const std::string& name) { return p.name < name; });
    params.insert(at, std::move(spec));
}

SearchSpace& SearchSpace::addInt(std::string name, std::int64_t low, std::int64_t high, Scale scale)
{
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Int;
    spec.scale = scale;
    spec.low = static_cast<double>(low);
    spec.high = static_cast<double>(high);
    insertSorted(m_params, std::move(spec));
    return *this;
}

SearchSpace& SearchSpace::addFloat(std::string name, double low, double high, Scale scale)
{
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Float;
    spec.scale = scale;
    spec.low = low;
    spec.high = high;
    insertSorted(m_params, std::move(spec));
    return *this;
}

SearchSpace& SearchSpace::addCategorical(std::string name, std::vector<ParamValue> choices)
{
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Categorical;
    spec.choices = std::move(choices);
    insertSorted(m_params, std::move(spec));
    return *this;
}

SearchSpace& SearchSpace::addBool(std::string name)
{
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Bool;
    insertSorted(m_params, std::move(spec));
    return *this;
}

SearchSpace& SearchSpace::setFixed(std::string name, ParamValue value)
{
    if (ParamSpec* p = findMutable(name))
        p->fixed = std::move(value);
    else
        m_buildErrors.push_back("setFixed: unknown parameter '" + name + "'");
    return *this;
}

SearchSpace& SearchSpace::addCondition(std::string param, std::string parent, std::vector<ParamValue> allowed)
{
    if (ParamSpec* p = findMutable(param)) {
        if (p->condition)
            m_buildErrors.push_back("parameter '" + param + "' already has a condition");
        p->condition = Condition {std::move(parent), std::move(allowed)};
    } else {
        m_buildErrors.push_back("addCondition: unknown parameter '" + param + "'");
    }
    return *this;
}

SearchSpace& SearchSpace::addConstraint(std::string expression)
{
    m_constraints.push_back(std::move(expression));
    return *this;
}

Status SearchSpace::validate() const
{
    std::vector<std::string> problems = m_buildErrors;
    if (m_params.empty())
        problems.push_back("the search space has no parameters");
    std::set<std::string> seen;
    for (const auto& p : m_params) {
        std::string what = "parameter '" + p.name + "': ";
        if (!isIdentifier(p.name))
            problems.push_back("parameter name '" + p.name
                + "' must start with a letter or '_' and hold only letters, digits, '_' and '.' (and not be "
                  "and/or/not/true/false)");
        if (!seen.insert(p.name).second)
            problems.push_back("parameter '" + p.name + "' is declared twice");
        switch (p.type) {
        case ParamType::Int:
            if (p.low > p.high)
                problems.push_back(what + "low > high");
            else if (p.scale == Scale::Log && p.low < 1)
                problems.push_back(what + "log scale needs low >= 1");
            else if (p.scale == Scale::Pow2 && (p.low < 1 || p.levelCount() == 0))
                problems.push_back(what + "pow2 scale needs low >= 1 and a power of two in [low, high]");
            break;
        case ParamType::Float:
            if (!std::isfinite(p.low) || !std::isfinite(p.high))
                problems.push_back(what + "bounds must be finite");
            else if (p.low > p.high)
                problems.push_back(what + "low > high");
            else if (p.scale == Scale::Log && p.low <= 0)
                problems.push_back(what + "log scale needs low > 0");
            else if (p.scale == Scale::Pow2)
                problems.push_back(what + "pow2 scale applies to int parameters only");
            break;
        case ParamType::Categorical: {
            if (p.choices.empty())
                problems.push_back(what + "categorical parameter without choices");
            for (std::size_t i = 0; i < p.choices.size(); ++i) {
                for (std::size_t j = 0; j < i; ++j) {
                    if (sameValue(p.choices[i], p.choices[j]))
                        problems.push_back(what + "choice '" + formatParamValue(p.choices[i]) + "' appears twice");
                }
                if (const auto* d = std::get_if<double>(&p.choices[i]); d && !std::isfinite(*d))
                    problems.push_back(what + "choices must be finite");
            }
            break;
        }
        case ParamType::Bool:
            break;
        }
        if (p.fixed) {
            if (auto status = p.checkValue(*p.fixed); !status)
                problems.push_back("fixed value of " + status.error().message);
        }
        if (p.condition) {
            const ParamSpec* parent = find(p.condition->parent);
            if (!parent) {
                problems.push_back(what + "condition on unknown parameter '" + p.condition->parent + "'");
            } else if (parent->name == p.name) {
                problems.push_back(what + "condition on itself");
            } else {
                if (p.condition->allowedValues.empty())
                    problems.push_back(what + "condition lists no values of '" + parent->name + "'");
                for (const auto& v : p.condition->allowedValues) {
                    if (auto status = parent->checkValue(v); !status)
                        problems.push_back(what + "condition value: " + status.error().message);
                }
            }
        }
    }
    // Conditions must not form a cycle.
    for (const auto& p : m_params) {
        const ParamSpec* at = &p;
        for (std::size_t steps = 0; at && at->condition; ++steps) {
            at = find(at->condition->parent);
            if (steps > m_params.size()) {
                problems.push_back("parameter '" + p.name + "': conditions form a cycle");
                break;
            }
        }
    }
    if (problems.empty()) {
        detail::ExprLookup lookup = [this](std::string_view name) -> std::optional<detail::ExprParam> {
            for (std::size_t i = 0; i < m_params.size(); ++i) {
                if (m_params[i].name == name)
                    return detail::ExprParam {static_cast<int>(i), m_params[i].type, m_params[i].choices};
            }
            return std::nullopt;
        };
        for (const auto& text : m_constraints) {
            auto compiled = detail::Expression::compile(text, lookup);
            if (!compiled)
                problems.push_back(compiled.error().message);
        }
    }
    if (problems.empty())
        return {};
    std::string message = "invalid search space: " + problems.front();
    for (std::size_t i = 1; i < problems.size(); ++i)
        message += "; " + problems[i];
    return invalid(message);
}

bool SearchSpace::isActive(const ParamSpec& param, const Params& params) const
{
    const ParamSpec* at = &param;
    for (std::size_t steps = 0; at->condition && steps <= m_params.size(); ++steps) {
        const ParamSpec* parent = find(at->condition->parent);
        if (!parent)
            return false;
        auto value = params.find(parent->name);
        std::optional<ParamValue> parentValue;
        if (value != params.end())
            parentValue = value->second;
        else if (parent->fixed)
            parentValue = parent->fixed;
        if (!parentValue)
            return false;
        bool allowed = std::any_of(at->condition->allowedValues.begin(), at->condition->allowedValues.end(),
            [&](const ParamValue& v) { return sameValue(v, *parentValue); });
        if (!allowed)
            return false;
        at = parent;
    }
    return true;
}

Params SearchSpace::withFixedValues(Params params) const
{
    for (const auto& p : m_params) {
        if (p.fixed && !params.count(p.name))
            params[p.name] = *p.fixed;
    }
    // Drop inactive parameters (repeat: removing one may deactivate its children).
    for (std::size_t round = 0; round <= m_params.size(); ++round) {
        bool removed = false;
        for (const auto& p : m_params) {
            if (params.count(p.name) && !isActive(p, params)) {
                params.erase(p.name);
                removed = true;
            }
        }
        if (!removed)
            break;
    }
    return params;
}

Status SearchSpace::checkParams(const Params& params) const
{
    LWB_ASSIGN_OR_RETURN(auto codec, detail::SpaceCodec::create(*this));
    LWB_ASSIGN_OR_RETURN(auto values, codec.toValues(params));
    if (int violated = codec.violatedConstraint(values.data()); violated >= 0)
        return invalid("configuration " + formatParams(params) + " violates the constraint '"
            + m_constraints[static_cast<std::size_t>(violated)] + "'");
    return {};
}

// ---- JSON ----

static Result<ParamSpec> paramFromJson(const std::string& name, const Json& j)
{
    auto bad = [&](const std::string& what) {
        return fail(ErrorCode::InvalidArgument, "search space: parameter '" + name + "': " + what, LWB_WHERE);
    };
    if (!j.is_object())
        return bad("expected an object like {\"type\": \"int\", \"low\": 1, \"high\": 8}");
    static const std::set<std::string> kKeys = {"type", "low", "high", "scale", "choices", "fixed", "condition"};
    for (const auto& [key, value] : j.items()) {
        if (!kKeys.count(key))
            return bad("unknown key '" + key + "' (known: type, low, high, scale, choices, fixed, condition)");
    }
    if (!j.contains("type") || !j["type"].is_string())
        return bad("missing \"type\" (int, float, categorical, bool)");
    ParamSpec spec;
    spec.name = name;
    std::string type = j["type"];
    if (type == "int" || type == "integer")
        spec.type = ParamType::Int;
    else if (type == "float" || type == "real")
        spec.type = ParamType::Float;
    else if (type == "categorical")
        spec.type = ParamType::Categorical;
    else if (type == "bool" || type == "boolean")
        spec.type = ParamType::Bool;
    else
        return bad("unknown type '" + type + "' (int, float, categorical, bool)");
    if (j.contains("scale")) {
        if (!j["scale"].is_string())
            return bad("\"scale\" must be \"linear\", \"log\" or \"pow2\"");
        std::string scale = j["scale"];
        if (scale == "linear")
            spec.scale = Scale::Linear;
        else if (scale == "log")
            spec.scale = Scale::Log;
        else if (scale == "pow2")
            spec.scale = Scale::Pow2;
        else
            return bad("unknown scale '" + scale + "' (linear, log, pow2)");
    }
    if (spec.type == ParamType::Int || spec.type == ParamType::Float) {
        if (!j.contains("low") || !j.contains("high") || !j["low"].is_number() || !j["high"].is_number())
            return bad("needs numeric \"low\" and \"high\"");
        if (spec.type == ParamType::Int && (!j["low"].is_number_integer() || !j["high"].is_number_integer()))
            return bad("int bounds must be integers");
        spec.low = j["low"].get<double>();
        spec.high = j["high"].get<double>();
    } else if (j.contains("low") || j.contains("high")) {
        return bad("\"low\"/\"high\" apply to int and float parameters");
    }
    if (spec.type != ParamType::Int && spec.type != ParamType::Float && j.contains("scale"))
        return bad("\"scale\" applies to int and float parameters");
    if (spec.type == ParamType::Categorical) {
        if (!j.contains("choices") || !j["choices"].is_array())
            return bad("needs \"choices\": [...]");
        for (const auto& c : j["choices"]) {
            auto value = paramValueFromJson(c);
            if (!value)
                return bad(value.error().message);
            spec.choices.push_back(std::move(value).value());
        }
    } else if (j.contains("choices")) {
        return bad("\"choices\" applies to categorical parameters");
    }
    if (j.contains("fixed")) {
        auto value = paramValueFromJson(j["fixed"]);
        if (!value)
            return bad(value.error().message);
        spec.fixed = std::move(value).value();
    }
    if (j.contains("condition")) {
        const Json& c = j["condition"];
        if (!c.is_object() || !c.contains("parent") || !c["parent"].is_string() || !c.contains("values")
            || !c["values"].is_array())
            return bad("\"condition\" must be {\"parent\": \"name\", \"values\": [...]}");
        Condition condition;
        condition.parent = c["parent"];
        for (const auto& v : c["values"]) {
            auto value = paramValueFromJson(v);
            if (!value)
                return bad(value.error().message);
            condition.allowedValues.push_back(std::move(value).value());
        }
        spec.condition = std::move(condition);
    }
    return spec;
}

Result<SearchSpace> SearchSpace::fromJson(const Json& spec)
{
    try {
        if (!spec.is_object())
            return fail(ErrorCode::InvalidArgument, "search space: expected a JSON object", LWB_WHERE);
        // Canonical form {"params": {...}, "constraints": [...]}; also accepted: a flat object of
        // parameters with an optional "constraints" array.
        bool canonical = spec.contains("params") && spec["params"].is_object() && !spec["params"].contains("type");
        const Json* params = canonical ? &spec["params"] : &spec;
        SearchSpace space;
        for (const auto& [name, value] : params->items()) {
            if (!canonical && name == "constraints")
                continue;
            LWB_ASSIGN_OR_RETURN(ParamSpec p, paramFromJson(name, value));
            insertSorted(space.m_params, std::move(p));
        }
        if (canonical) {
            for (const auto& [key, value] : spec.items()) {
                if (key != "params" && key != "constraints")
                    return fail(ErrorCode::InvalidArgument,
                        "search space: unknown key '" + key + "' (known: params, constraints)", LWB_WHERE);
            }
        }
        if (spec.contains("constraints")) {
            const Json& c = spec["constraints"];
            if (!c.is_array())
                return fail(
                    ErrorCode::InvalidArgument, "search space: \"constraints\" must be an array of strings", LWB_WHERE);
            for (const auto& text : c) {
                if (!text.is_string())
                    return fail(ErrorCode::InvalidArgument,
                        "search space: constraint " + text.dump() + " is not a string", LWB_WHERE);
                space.m_constraints.push_back(text.get<std::string>());
            }
        }
        LWB_RETURN_IF_ERROR(space.validate());
        return space;
    } catch (const Json::exception& e) {
        return fail(ErrorCode::InvalidArgument, std::string("search space: ") + e.what(), LWB_WHERE);
    }
}

Json SearchSpace::toJson() const
{
    Json params = Json::object();
    for (const auto& p : m_params) {
        Json j;
        j["type"] = std::string(paramTypeName(p.type));
        if (p.type == ParamType::Int) {
            j["low"] = static_cast<std::int64_t>(p.low);
            j["high"] = static_cast<std::int64_t>(p.high);
        } else if (p.type == ParamType::Float) {
            j["low"] = p.low;
            j["high"] = p.high;
        }
        if ((p.type == ParamType::Int || p.type == ParamType::Float) && p.scale != Scale::Linear)
            j["scale"] = std::string(scaleName(p.scale));
        if (p.type == ParamType::Categorical) {
            j["choices"] = Json::array();
            for (const auto& c : p.choices)
                j["choices"].push_back(paramValueToJson(c));
        }
        if (p.fixed)
            j["fixed"] = paramValueToJson(*p.fixed);
        if (p.condition) {
            Json values = Json::array();
            for (const auto& v : p.condition->allowedValues)
                values.push_back(paramValueToJson(v));
            j["condition"] = {{"parent", p.condition->parent}, {"values", values}};
        }
        params[p.name] = std::move(j);
    }
    Json out;
    out["params"] = std::move(params);
    out["constraints"] = m_constraints;
    return out;
}

} // namespace lwb::tuner
