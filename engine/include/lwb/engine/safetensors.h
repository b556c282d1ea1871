// safetensors reader and writer (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
// {string: string}}, then the raw little-endian tensor bytes. Files are written atomically; a
// reader validates every offset and size, so truncated or damaged files give ErrorCode::Corrupt
// naming the file and the problem, never a crash.
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/tensor.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lwb::engine {

/// One tensor to write: host data of `shape` elements of `dtype`.
struct SafetensorsRecord {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void* data = nullptr;
};

Status writeSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsRecord>& tensors,
    const std::map<std::string, std::string>& metadata = {});

class SafetensorsFile {
public:
    struct Entry {
        DType dtype = DType::F32;
        std::vector<std::int64_t> shape;
        std::size_t offset = 0; ///< into the data section
        std::size_t bytes = 0;
    };
    /// Reads and validates a whole file. NotFound when missing, Corrupt when malformed.
    static Result<SafetensorsFile> read(const std::filesystem::path& path);
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::map<std::string, Entry>& entries() const { return m_entries; }
    const Entry* find(const std::string& name) const;
    const void* data(const Entry& entry) const { return m_bytes.data() + m_dataStart + entry.offset; }
    /// Converts an F32, BF16 or F16 entry to floats.
    std::vector<float> toFloats(const Entry& entry) const;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    std::string m_bytes;
    std::size_t m_dataStart = 0;
    std::map<std::string, std::string> m_metadata;
    std::map<std::string, Entry> m_entries;
};

} // namespace lwb::engine
