// The workbench's own version, from CMake's project(VERSION ...).
#pragma once

#include <string_view>

namespace lwb {
/// "0.1.0"
std::string_view workbenchVersion();
/// "0.1.0 (git abc1234, Release, g++ 12.2.0)"
std::string_view workbenchBuildDescription();
} // namespace lwb
