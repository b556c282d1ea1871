// safetensors reader/writer (see safetensors.h).
#include "lwb/engine/safetensors.h"

#include "lwb/core/json_yaml.h"

#include <cstring>
#include <fmt/core.h>
#include <fstream>

namespace lwb::engine {

namespace {

std::string_view fileDtype(DType d)
{
    switch (d) {
    case DType::F32:
        return "F32";
    case DType::BF16:
        return "BF16";
    case DType::F16:
        return "F16";
    case DType::I8:
        return "I8";
    case DType::I32:
        return "I32";
    case DType::U8:
        return "U8";
    }
    return "?";
}

bool parseFileDtype(const std::string& s, DType& out)
{
    static const std::pair<const char*, DType> kNames[] = {{"F32", DType::F32}, {"BF16", DType::BF16},
        {"F16", DType::F16}, {"I8", DType::I8}, {"I32", DType::I32}, {"U8", DType::U8}};
    for (const auto& [name, d] : kNames)
        if (s == name) {
            out = d;
            return true;
        }
    return false;
}

} // namespace

Status writeSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsRecord>& tensors,
    const std::map<std::string, std::string>& metadata)
{
    OrderedJson header = OrderedJson::object();
    if (!metadata.empty()) {
        OrderedJson meta = OrderedJson::object();
        for (const auto& [k, v] : metadata)
            meta[k] = v;
        header["__metadata__"] = meta;
    }
    std::size_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__" || header.contains(t.name))
            return fail(
                ErrorCode::InvalidArgument, fmt::format("bad or duplicate tensor name '{}'", t.name), LWB_WHERE);
        std::int64_t numel = 1;
        for (auto d : t.shape)
            numel *= d;
        std::size_t bytes = static_cast<std::size_t>(numel) * dtypeSize(t.dtype);
        header[t.name]
            = {{"dtype", fileDtype(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' '); // pad so the data section is 8-byte aligned
    std::string out;
    out.reserve(8 + json.size() + offset);
    std::uint64_t n = json.size();
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += json;
    for (const auto& t : tensors) {
        std::int64_t numel = 1;
        for (auto d : t.shape)
            numel *= d;
        out.append(static_cast<const char*>(t.data), static_cast<std::size_t>(numel) * dtypeSize(t.dtype));
    }
    auto status = writeFileAtomic(path, out);
    if (!status)
        return fail(status.error().code,
            fmt::format("writing weights to {}: {}", path.string(), status.error().message), LWB_WHERE);
    return {};
}

Result<SafetensorsFile> SafetensorsFile::read(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, fmt::format("weights file {} does not exist", path.string()), LWB_WHERE);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, fmt::format("cannot open weights file {}", path.string()), LWB_WHERE);
    SafetensorsFile file;
    file.m_path = path;
    file.m_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto corrupt = [&](const std::string& why) {
        return fail(
            ErrorCode::Corrupt, fmt::format("{} is not a valid safetensors file: {}", path.string(), why), LWB_WHERE);
    };
    const std::string& b = file.m_bytes;
    if (b.size() < 8)
        return corrupt(fmt::format("only {} bytes long", b.size()));
    std::uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
    if (headerLen < 2 || headerLen > b.size() - 8 || headerLen > (100u << 20))
        return corrupt(fmt::format("header length {} does not fit the file ({} bytes)", headerLen, b.size()));
    file.m_dataStart = 8 + headerLen;
    const std::size_t dataSize = b.size() - file.m_dataStart;
    auto parsed = parseJson(std::string_view(b).substr(8, headerLen), path.string());
    if (!parsed)
        return corrupt("its header is not JSON: " + parsed.error().message);
    if (!parsed->is_object())
        return corrupt("its header is not a JSON object");
    try {
        for (const auto& [name, value] : parsed->items()) {
            if (name == "__metadata__") {
                if (!value.is_object())
                    return corrupt("__metadata__ is not an object");
                for (const auto& [k, v] : value.items())
                    if (v.is_string())
                        file.m_metadata[k] = v.get<std::string>();
                continue;
            }
            if (!value.is_object() || !value.contains("dtype") || !value.contains("shape")
                || !value.contains("data_offsets"))
                return corrupt(fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name));
            Entry e;
            if (!value["dtype"].is_string() || !parseFileDtype(value["dtype"].get<std::string>(), e.dtype))
                return corrupt(fmt::format("tensor '{}' has an unsupported dtype {}", name, value["dtype"].dump()));
            std::int64_t numel = 1;
            for (const auto& d : value["shape"]) {
                if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
                    return corrupt(fmt::format("tensor '{}' has a bad shape {}", name, value["shape"].dump()));
                e.shape.push_back(d.get<std::int64_t>());
                numel *= e.shape.back();
            }
            const auto& off = value["data_offsets"];
            if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
                return corrupt(fmt::format("tensor '{}' has bad data_offsets {}", name, off.dump()));
            auto begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
            if (begin > end || end > dataSize)
                return corrupt(fmt::format("tensor '{}' data [{}, {}) lies outside the {} data bytes (truncated?)",
                    name, begin, end, dataSize));
            if (end - begin != static_cast<std::uint64_t>(numel) * dtypeSize(e.dtype))
                return corrupt(
                    fmt::format("tensor '{}' has {} bytes for shape of {} elements", name, end - begin, numel));
            e.offset = begin;
            e.bytes = end - begin;
            file.m_entries.emplace(name, std::move(e));
        }
    } catch (const std::exception& ex) {
        return corrupt(ex.what());
    }
    return file;
}

const SafetensorsFile::Entry* SafetensorsFile::find(const std::string& name) const
{
    auto it = m_entries.find(name);
    return it == m_entries.end() ? nullptr : &it->second;
}

std::vector<float> SafetensorsFile::toFloats(const Entry& entry) const
{
    const std::size_t n = entry.bytes / dtypeSize(entry.dtype);
    std::vector<float> out(n);
    const char* src = static_cast<const char*>(data(entry));
    for (std::size_t i = 0; i < n; ++i) {
        switch (entry.dtype) {
        case DType::F32:
            std::memcpy(&out[i], src + 4 * i, 4);
            break;
        case DType::BF16: {
            std::uint16_t v;
            std::memcpy(&v, src + 2 * i, 2);
            out[i] = bf16ToFloat(v);
            break;
        }
        case DType::F16: {
            std::uint16_t v;
            std::memcpy(&v, src + 2 * i, 2);
            out[i] = halfToFloat(v);
            break;
        }
        default:
            out[i] = 0;
            break;
        }
    }
    return out;
}

} // namespace lwb::engine
