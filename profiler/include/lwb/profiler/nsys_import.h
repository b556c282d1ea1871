// Reading an Nsight Systems SQLite export (`nsys export --type sqlite`, schema 3.x) into a Trace:
// kernels, memcpy/memset, runtime and driver calls, synchronisation, overhead, graph launches and
// NVTX ranges, with thread and process names. Times stay relative to the nsys session start.
// Files that are not SQLite, not an nsys export, of an unknown major schema, truncated or damaged
// give clear errors.
#pragma once

#include "lwb/core/result.h"
#include "lwb/profiler/trace.h"

#include <filesystem>
#include <string>

namespace lwb::profiler {

struct NsysExportInfo {
    std::string productVersion; ///< EXPORT_PRODUCT_VERSION, e.g. "2025.5.2.266"
    std::string schemaVersion; ///< EXPORT_SCHEMA_VERSION, e.g. "3.24.0"
};

/// Reads an export; `info` (optional) receives the product and schema versions.
Result<Trace> readNsysExport(const std::filesystem::path& path, NsysExportInfo* info = nullptr);

} // namespace lwb::profiler
