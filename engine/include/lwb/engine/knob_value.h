// KnobValue: the value of one knob (integer, real, categorical text or boolean). Its own header so
// that BackendOptions (backend.h) can carry backend-specific settings by knob name without the
// workload declarations.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace lwb::engine {

/// A knob's value: integer, real, categorical (string) or boolean.
using KnobValue = std::variant<std::int64_t, double, std::string, bool>;

/// Backend-specific settings by knob name (e.g. cuda_graphs = true); see BackendOptions.
using BackendSettings = std::map<std::string, KnobValue>;

} // namespace lwb::engine
