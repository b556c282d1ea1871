// Parameter values of a trial configuration: a typed variant per parameter and a name -> value map,
// with conversions to and from JSON (integers stay integers, so `8` and `8.0` round-trip as written).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace lwb::tuner {

/// One parameter value: integer, real, categorical choice (string) or boolean.
using ParamValue = std::variant<std::int64_t, double, std::string, bool>;
/// A configuration: parameter name -> value. Inactive (conditional) parameters are absent.
using Params = std::map<std::string, ParamValue>;

/// JSON of one value: number, string or boolean.
Json paramValueToJson(const ParamValue& value);
/// Value from JSON: integral numbers become int64, other numbers double; objects/arrays/null fail.
Result<ParamValue> paramValueFromJson(const Json& json);
/// `{"name": value, ...}`.
Json paramsToJson(const Params& params);
Result<Params> paramsFromJson(const Json& json);

/// Equal values; an integer and a real compare numerically (8 == 8.0).
bool sameValue(const ParamValue& a, const ParamValue& b);
/// The value as a number when it is one (int, double, bool as 0/1); nullopt for strings.
std::optional<double> numericValue(const ParamValue& value);

/// Human text: `8`, `0.001`, `bf16`, `true`.
std::string formatParamValue(const ParamValue& value);
/// `batch_size=64 lr=0.001 precision=bf16`.
std::string formatParams(const Params& params);

} // namespace lwb::tuner
