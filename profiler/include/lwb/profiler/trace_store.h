// TraceStore: traces in the study file, in tables shaped like the Nsight Systems SQLite export
// (CUPTI_ACTIVITY_KIND_KERNEL, _MEMCPY, _MEMSET, _RUNTIME, _SYNCHRONIZATION, _OVERHEAD,
// _GRAPH_TRACE, NVTX_EVENTS, StringIds: nsys column names, ns units) plus a traceId column linking
// each row to lwb_traces (and so to a trial). CPU ops live in the same tables with deviceId -1 and
// streamId = thread. write() inserts in one transaction with prepared statements, builds the
// indexes after the first load, a level-of-detail table and the summary once. Viewers open the
// study file read-only (WAL) and see only traces whose write completed.
#pragma once

#include "lwb/core/result.h"
#include "lwb/core/sqlite.h"
#include "lwb/core/study_file.h"
#include "lwb/profiler/compare.h"
#include "lwb/profiler/export.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace lwb::profiler {

/// What to record about a trace besides its records.
struct TraceMeta {
    std::string label; ///< e.g. "trial 12 (batch 16, bf16)"
    std::optional<std::int64_t> trialId; ///< the tuner's trial this trace belongs to
    std::string notes; ///< free text (configuration, command line)
};

/// A stored trace (a row of lwb_traces).
struct TraceInfo {
    std::int64_t traceId = 0;
    std::string label;
    std::optional<std::int64_t> trialId;
    std::string source; ///< "host-op-tracer", "cupti", "nsys-import", ...
    std::string notes;
    std::int64_t sessionStartNs = 0;
    std::int64_t utcEpochNs = 0;
    std::int64_t durationNs = 0; ///< last end (ns since the session start)
    std::int64_t recordCount = 0;
    CaptureStats capture;
    std::string createdAt; ///< ISO-8601 UTC
};

/// A timeline row of a trace, for the GUI.
struct TrackInfo {
    TrackKey key;
    std::string name; ///< "GPU 0 stream 7", "CPU thread 0 (tid 4711)", thread names from nsys
    std::string kind; ///< "gpu_stream" or "host_thread"
    std::uint32_t processId = 0;
    std::int64_t recordCount = 0;
    std::int64_t firstNs = 0;
    std::int64_t lastNs = 0;
    std::int64_t maxDurationNs = 0;
};

/// One record as the timeline draws it.
struct TimelineItem {
    std::int64_t start = 0;
    std::int64_t end = 0;
    RecordKind kind = RecordKind::Kernel;
    std::string name;
    std::uint32_t correlationId = 0;
    std::int64_t step = -1;
    std::int64_t bytes = 0;
    std::uint8_t flags = 0;
};

/// A zoomed-out bucket of a track: busy time, records starting in it, the dominant name.
struct OverviewBucket {
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::int64_t busyNs = 0; ///< union of the records' time inside the bucket (approximate when folded)
    std::int64_t count = 0; ///< records that start in the bucket
    std::string topName; ///< the record covering most of the bucket
};

/// Seconds spent in each phase of a write().
struct WritePhases {
    double summary = 0; ///< summarize() and the record order, in C++
    double insert = 0; ///< trace row, strings and record rows
    double index = 0; ///< CREATE INDEX IF NOT EXISTS (real work on the first trace of a file)
    double tracks = 0; ///< tracks, level-of-detail and summary rows
    double commit = 0; ///< COMMIT, including the WAL auto-checkpoint
    double total = 0;
};

/// Where the time of the last write() went: wall clock and the writing thread's CPU time (the
/// latter is what a loaded shared machine does not inflate).
struct WriteTimings {
    WritePhases wall;
    WritePhases cpu;
};

class TraceStore {
public:
    /// The profiler module's tables (registered with study_file::migrate).
    static const study_file::ModuleSchema& schema();
    /// Migrates the profiler tables (read-write) or checks they are readable (read-only viewer).
    /// The store keeps a reference to `db`, which must outlive it.
    static Result<TraceStore> open(sql::Database& db);

    TraceStore(TraceStore&&) noexcept;
    TraceStore& operator=(TraceStore&&) noexcept;
    ~TraceStore();

    /// Stores a trace and its summary and level-of-detail rows; returns the new trace id.
    Result<std::int64_t> write(const Trace& trace, const TraceMeta& meta);
    /// Completed traces, oldest first.
    Result<std::vector<TraceInfo>> listTraces();
    Result<TraceInfo> info(std::int64_t traceId);
    /// Tracks of a trace: host threads first, then GPU streams by device and stream.
    Result<std::vector<TrackInfo>> tracks(std::int64_t traceId);
    /// Records of one track that overlap [t0, t1) (ns since the session start), by start time.
    Result<std::vector<TimelineItem>> loadRange(
        std::int64_t traceId, const TrackKey& track, std::int64_t t0, std::int64_t t1);
    /// The whole track in `buckets` buckets, from the level-of-detail table.
    Result<std::vector<OverviewBucket>> overview(std::int64_t traceId, const TrackKey& track, int buckets);
    /// [t0, t1) in `buckets` buckets: from the level-of-detail table when a bucket is at least its
    /// finest level, else computed from the records.
    Result<std::vector<OverviewBucket>> overview(
        std::int64_t traceId, const TrackKey& track, std::int64_t t0, std::int64_t t1, int buckets);
    /// The summary computed when the trace was written.
    Result<TraceSummary> summary(std::int64_t traceId);
    /// The top-kernel/op table (groups gpu_kernel and cpu_op), longest total first.
    Result<std::vector<OpStats>> kernelSummary(std::int64_t traceId);
    /// Why is B faster (or slower) than A: rows that add up to the difference of mean step times.
    Result<TraceComparison> compare(std::int64_t traceA, std::int64_t traceB);
    /// The whole trace back in memory.
    Result<Trace> load(std::int64_t traceId);
    Result<ExportStats> exportChrome(
        std::int64_t traceId, const std::filesystem::path& path, const ChromeExportOptions& options = {});
    Status exportCsv(std::int64_t traceId, CsvReport report, const std::filesystem::path& path);
    /// Imports an Nsight Systems SQLite export (`nsys export --type sqlite`); returns the trace id.
    Result<std::int64_t> importNsys(const std::filesystem::path& exportPath, const TraceMeta& meta = {});
    /// Deletes a trace and all its rows.
    Status remove(std::int64_t traceId);
    /// Timings of the last successful write().
    const WriteTimings& lastWriteTimings() const;

    struct Impl; ///< internal
private:
    explicit TraceStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace lwb::profiler
