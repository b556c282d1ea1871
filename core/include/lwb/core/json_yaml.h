// JSON (nlohmann-json) and YAML (yaml-cpp) helpers: parsing with errors that name the line,
// YAML -> JSON conversion with scalar typing, and atomic file writes (a full disk or a killed
// process never leaves a half-written file in place of a good one).
#pragma once

#include "lwb/core/result.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace lwb {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

/// Parses JSON text; errors name the line and column. `origin` names the source in messages.
Result<Json> parseJson(std::string_view text, std::string_view origin = "JSON");
Result<Json> readJsonFile(const std::filesystem::path& path);

/// Parses YAML text; errors name the line and column.
Result<YAML::Node> parseYaml(std::string_view text, std::string_view origin = "YAML");
Result<YAML::Node> readYamlFile(const std::filesystem::path& path);

/// Converts YAML to JSON: plain scalars become bool/int/float when they look like one
/// (true/false, 42, 1e-3), quoted scalars stay strings.
Json yamlToJson(const YAML::Node& node);
/// Converts JSON to a YAML node (for `--format yaml` output).
YAML::Node jsonToYaml(const Json& json);

/// Reads a whole file.
Result<std::string> readTextFile(const std::filesystem::path& path);
/// Writes to `path.tmp`, flushes to disk, then renames over `path`: either the old or the whole
/// new content is there afterwards, never a partial file.
Status writeFileAtomic(const std::filesystem::path& path, std::string_view content);

} // namespace lwb
