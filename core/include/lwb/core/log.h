// Logging through spdlog. Logs go to stderr so that stdout stays machine-readable
// (`lwb doctor --format json | jq`). Use lwb::log::info(...) etc. (fmt syntax).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace lwb::log {

/// Installs the stderr logger; level is one of trace, debug, info, warn, error, off.
void init(std::string_view level = "warn");

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

} // namespace lwb::log
