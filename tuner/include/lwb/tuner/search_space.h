// SearchSpace: the typed parameters a study tunes (int linear/log/pow2, float linear/log, categorical,
// bool), fixed values, conditions (a parameter active only for some values of another) and
// constraints between parameters parsed from text ("batch_size * seq_len <= 65536").
// Built programmatically or from JSON (format in docs/tuner.md); validate() names every problem.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/param.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner {

enum class ParamType { Int, Float, Categorical, Bool };
/// How values are spread: Log samples and models log(value); Pow2 allows only powers of two.
enum class Scale { Linear, Log, Pow2 };

/// "int", "float", "categorical", "bool".
std::string_view paramTypeName(ParamType type);
/// "linear", "log", "pow2".
std::string_view scaleName(Scale scale);

/// A parameter is active only when its parent is active and holds one of the allowed values.
struct Condition {
    std::string parent;
    std::vector<ParamValue> allowedValues;
};

/// One parameter of the space.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Float;
    Scale scale = Scale::Linear;
    double low = 0.0; ///< int/float: smallest value (ints are exact up to 2^53)
    double high = 0.0; ///< int/float: largest value
    std::vector<ParamValue> choices; ///< categorical: the choices, in order
    std::optional<ParamValue> fixed; ///< set: the value is not searched
    std::optional<Condition> condition;

    /// Number of distinct values of an int, categorical or bool parameter; 0 for floats.
    std::int64_t levelCount() const;
    /// The i-th value of a discrete parameter (i < levelCount()).
    ParamValue level(std::int64_t index) const;
    /// Whether a value is of this parameter's type and in its domain (ints: integral, pow2: power of two).
    Status checkValue(const ParamValue& value) const;
};

class SearchSpace {
public:
    /// Integer in [low, high]; Log spreads values log-uniformly, Pow2 allows only powers of two.
    SearchSpace& addInt(std::string name, std::int64_t low, std::int64_t high, Scale scale = Scale::Linear);
    /// Real in [low, high]; Log needs low > 0.
    SearchSpace& addFloat(std::string name, double low, double high, Scale scale = Scale::Linear);
    /// One of the choices (strings, numbers or booleans).
    SearchSpace& addCategorical(std::string name, std::vector<ParamValue> choices);
    SearchSpace& addBool(std::string name);
    /// Fixes a declared parameter to one value of its domain (it is then not searched).
    SearchSpace& setFixed(std::string name, ParamValue value);
    /// `param` is active only when `parent` is active and holds one of `allowedParentValues`.
    SearchSpace& addCondition(std::string param, std::string parent, std::vector<ParamValue> allowedParentValues);
    /// A constraint every proposed configuration satisfies, e.g. "batch_size * seq_len <= 65536".
    /// Grammar: numbers, parameter names, + - * / % ^, ( ), min/max/abs/log/log2/exp/sqrt, comparisons
    /// (< <= > >= == !=), and/or/not; categorical parameters compare to their choices
    /// (`precision == "fp16"`). A constraint naming an inactive parameter holds.
    SearchSpace& addConstraint(std::string expression);

    /// Checks the whole space: names, bounds, empty domains, fixed values, conditions (parents exist,
    /// values in the parent's domain, no cycles), constraints (syntax, names). Lists every problem.
    Status validate() const;

    /// Builds a space from its JSON spec (see docs/tuner.md) and validates it.
    static Result<SearchSpace> fromJson(const Json& spec);
    /// The canonical JSON spec: `{"params": {...}, "constraints": [...]}`.
    Json toJson() const;

    const std::vector<ParamSpec>& params() const { return m_params; }
    const std::vector<std::string>& constraints() const { return m_constraints; }
    /// The parameter of that name, or nullptr.
    const ParamSpec* find(std::string_view name) const;
    /// Parameters that are searched (not fixed).
    std::size_t freeParamCount() const;

    /// Whether the parameter is active in this configuration (its condition chain holds).
    bool isActive(const ParamSpec& param, const Params& params) const;
    /// Checks a configuration: every active parameter present with a value in its domain, fixed
    /// values respected, no inactive or unknown parameter, all constraints hold.
    Status checkParams(const Params& params) const;
    /// Completes a partial configuration: adds fixed values and drops inactive parameters.
    Params withFixedValues(Params params) const;

private:
    ParamSpec* findMutable(std::string_view name);

    std::vector<ParamSpec> m_params;
    std::vector<std::string> m_constraints;
    std::vector<std::string> m_buildErrors; ///< problems noticed while building, reported by validate()
};

} // namespace lwb::tuner
