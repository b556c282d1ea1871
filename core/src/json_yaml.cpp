// JSON/YAML parsing and atomic file writes (see json_yaml.h).
#include "lwb/core/json_yaml.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace lwb {

static std::pair<int, int> lineColumn(std::string_view text, std::size_t byteOffset)
{
    int line = 1, column = 1;
    for (std::size_t i = 0; i < byteOffset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

Result<Json> parseJson(std::string_view text, std::string_view origin)
{
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        auto [line, column] = lineColumn(text, e.byte > 0 ? e.byte - 1 : 0);
        std::string what = e.what();
        auto pos = what.find("parse error");
        return fail(ErrorCode::InvalidArgument,
            std::string(origin) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": invalid JSON ("
                + (pos == std::string::npos ? what : what.substr(pos)) + ")",
            LWB_WHERE);
    }
}

Result<std::string> readTextFile(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file: " + path.string(), LWB_WHERE);
    if (std::filesystem::is_directory(path, ec))
        return fail(ErrorCode::InvalidArgument, path.string() + " is a directory", LWB_WHERE);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, "cannot read " + path.string() + ": " + detail::errnoText(), LWB_WHERE);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        return fail(ErrorCode::Io, "error while reading " + path.string(), LWB_WHERE);
    return buffer.str();
}

Result<Json> readJsonFile(const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(auto text, readTextFile(path));
    if (text.empty())
        return fail(ErrorCode::InvalidArgument, path.string() + " is empty (expected JSON)", LWB_WHERE);
    return parseJson(text, path.string());
}

Result<YAML::Node> parseYaml(std::string_view text, std::string_view origin)
{
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return fail(ErrorCode::InvalidArgument,
            std::string(origin) + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1)
                + ": invalid YAML (" + e.msg + ")",
            LWB_WHERE);
    }
}

Result<YAML::Node> readYamlFile(const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(auto text, readTextFile(path));
    return parseYaml(text, path.string());
}

static Json scalarToJson(const YAML::Node& node)
{
    const std::string& s = node.Scalar();
    if (node.Tag() == "!")
        return s; // quoted: always a string
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes")
        return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no")
        return false;
    if (s == "null" || s == "~" || s.empty())
        return nullptr;
    std::int64_t i = 0;
    auto [ip, iec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (iec == std::errc() && ip == s.data() + s.size())
        return i;
    double d = 0;
    auto [dp, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (dec == std::errc() && dp == s.data() + s.size())
        return d;
    return s;
}

Json yamlToJson(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const auto& item : node)
            array.push_back(yamlToJson(item));
        return array;
    }
    case YAML::NodeType::Map: {
        Json object = Json::object();
        for (const auto& kv : node)
            object[kv.first.as<std::string>()] = yamlToJson(kv.second);
        return object;
    }
    }
    return nullptr;
}

YAML::Node jsonToYaml(const Json& json)
{
    YAML::Node node;
    if (json.is_object()) {
        for (const auto& [key, value] : json.items())
            node[key] = jsonToYaml(value);
    } else if (json.is_array()) {
        node = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& value : json)
            node.push_back(jsonToYaml(value));
    } else if (json.is_string()) {
        node = json.get<std::string>();
    } else if (json.is_boolean()) {
        node = json.get<bool>();
    } else if (json.is_number_integer()) {
        node = json.get<std::int64_t>();
    } else if (json.is_number()) {
        node = json.get<double>();
    }
    return node;
}

Status writeFileAtomic(const std::filesystem::path& path, std::string_view content)
{
    std::filesystem::path tmp = path;
    tmp += ".tmp" + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(ErrorCode::Io, "cannot create " + tmp.string() + ": " + detail::errnoText(), LWB_WHERE);
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::string why = detail::errnoText();
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(ErrorCode::Io, "cannot write " + path.string() + ": " + why, LWB_WHERE);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::string why = detail::errnoText();
        ::unlink(tmp.c_str());
        return fail(ErrorCode::Io, "cannot flush " + path.string() + ": " + why, LWB_WHERE);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = detail::errnoText();
        ::unlink(tmp.c_str());
        return fail(ErrorCode::Io, "cannot replace " + path.string() + ": " + why, LWB_WHERE);
    }
    return {};
}

} // namespace lwb
