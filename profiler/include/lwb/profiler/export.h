// Exports: Chrome/Perfetto trace JSON (one track per GPU stream / host thread, process and thread
// names, flow events from each API call to the kernels and copies it launched; optionally gzip)
// and CSV tables of a summary (top ops, gaps, steps, overlap, launch statistics, tracks).
#pragma once

#include "lwb/core/result.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace lwb::profiler {

enum class Compression {
    None,
    Gzip, ///< zlib's gzip format (Perfetto opens .json.gz directly); Unsupported when built without zlib
};

struct ChromeExportOptions {
    Compression compression = Compression::None;
    std::string label; ///< written to "otherData"
};

struct ExportStats {
    std::int64_t events = 0; ///< complete (X) and instant events
    std::int64_t flows = 0; ///< API -> GPU flow arrows
    std::int64_t skipped = 0; ///< records without timestamps (not drawable)
    std::int64_t bytes = 0; ///< bytes written (after compression)
};

/// Writes a Chrome trace-event JSON file ({"traceEvents": [...], "displayTimeUnit": "ns"}); ts/dur
/// in microseconds with 3 decimals (exact ns) relative to the session start. The file appears
/// atomically (written to `path.tmp`, then renamed).
Result<ExportStats> writeChromeTrace(
    const Trace& trace, const std::filesystem::path& path, const ChromeExportOptions& options = {});

/// The same document as a string (small traces, tests).
std::string chromeTraceJson(const Trace& trace, const ChromeExportOptions& options = {});

/// Whether gzip output is compiled in.
bool gzipSupported();

/// The CSV tables of a summary.
enum class CsvReport {
    TopOps, ///< every group: Time (%), Total Time (ns), Instances, Avg, Med, Min, Max, StdDev, Name, Group
    Gaps, ///< the largest idle gaps per device group
    Steps, ///< per-step breakdown
    Overlap, ///< compute/copy overlap per device group
    Launch, ///< API -> kernel launch statistics
    Tracks, ///< busy/idle per track
};

/// One summary table as CSV text (RFC 4180, CRLF line ends, header row first).
std::string summaryCsv(const TraceSummary& summary, CsvReport report);
/// Writes summaryCsv() to a file atomically.
Status writeSummaryCsv(const TraceSummary& summary, CsvReport report, const std::filesystem::path& path);

} // namespace lwb::profiler
