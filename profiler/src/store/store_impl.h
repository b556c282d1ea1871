// Internals of TraceStore shared by its source files: the record tables (nsys names), how a
// record kind maps to a table, the statement and string caches, and per-track lookups.
#pragma once

#include "lwb/profiler/trace_store.h"

#include <array>
#include <string_view>
#include <utility>

namespace lwb::profiler {

/// The record tables, in nsys export naming.
enum class Table { Kernel, Memcpy, Memset, Sync, Graph, Runtime, Overhead, Nvtx };
inline constexpr int kTableCount = 8;

struct TableInfo {
    Table table;
    std::string_view name;
    bool hostKeyed; ///< rows keyed by globalTid (host threads) rather than (deviceId, streamId)
};
inline constexpr std::array<TableInfo, kTableCount> kTables = {{
    {Table::Kernel, "CUPTI_ACTIVITY_KIND_KERNEL", false},
    {Table::Memcpy, "CUPTI_ACTIVITY_KIND_MEMCPY", false},
    {Table::Memset, "CUPTI_ACTIVITY_KIND_MEMSET", false},
    {Table::Sync, "CUPTI_ACTIVITY_KIND_SYNCHRONIZATION", false},
    {Table::Graph, "CUPTI_ACTIVITY_KIND_GRAPH_TRACE", false},
    {Table::Runtime, "CUPTI_ACTIVITY_KIND_RUNTIME", true},
    {Table::Overhead, "CUPTI_ACTIVITY_KIND_OVERHEAD", true},
    {Table::Nvtx, "NVTX_EVENTS", true},
}};

Table tableOf(RecordKind kind);

/// nsys globalTid (vmId 0): pid << 24 | tid.
inline std::int64_t globalTid(std::uint32_t pid, std::uint32_t tid)
{
    return (static_cast<std::int64_t>(pid & 0xFFFFFF) << 24) | (tid & 0xFFFFFF);
}
inline std::int64_t globalPid(std::uint32_t pid)
{
    return static_cast<std::int64_t>(pid & 0xFFFFFF) << 24;
}

/// SQL creating the indexes, run after the first trace is loaded ("IF NOT EXISTS").
std::string_view indexSql();

/// Level-of-detail parameters: the finest bucket width and the factor between levels.
inline constexpr std::int64_t kLodFactor = 2;
std::int64_t lodBaseWidth(std::int64_t spanNs);

struct TraceStore::Impl {
    sql::Database* db = nullptr;
    std::map<std::string, sql::Statement, std::less<>> statements;
    std::unordered_map<std::int64_t, std::string> names;

    /// A cached prepared statement, reset again when the handle goes out of scope: a statement
    /// left mid-iteration would keep the connection's read transaction open, pinning a viewer to
    /// an old snapshot (it would not see new traces) and stopping the writer's WAL checkpoints.
    class Cached {
    public:
        explicit Cached(sql::Statement* statement)
            : m_statement(statement)
        {
        }
        Cached(Cached&& other) noexcept
            : m_statement(std::exchange(other.m_statement, nullptr))
        {
        }
        Cached& operator=(Cached&&) = delete;
        ~Cached()
        {
            if (m_statement)
                (void)m_statement->reset();
        }
        sql::Statement* operator->() const { return m_statement; }
        sql::Statement& operator*() const { return *m_statement; }

    private:
        sql::Statement* m_statement;
    };
    Result<Cached> statement(std::string_view sql);
    /// StringIds value, cached.
    Result<std::string> name(std::int64_t id);

    struct TrackRow {
        std::int64_t trackId = -1;
        std::uint32_t processId = 0;
        std::int64_t firstNs = 0, lastNs = 0;
        std::array<std::int64_t, kTableCount> tableCount {};
        std::array<std::int64_t, kTableCount> tableMaxDuration {};
    };
    std::map<std::pair<std::int64_t, TrackKey>, TrackRow> trackCache;
    Result<TrackRow> track(std::int64_t traceId, const TrackKey& key);
    Result<std::int64_t> lodBase(std::int64_t traceId);
    std::map<std::int64_t, std::int64_t> lodBaseCache;
    WriteTimings timings;

    Result<std::int64_t> write(const Trace& trace, const TraceMeta& meta);
    Result<std::vector<TimelineItem>> loadRange(
        std::int64_t traceId, const TrackKey& key, std::int64_t t0, std::int64_t t1);
    Result<std::vector<OverviewBucket>> overview(
        std::int64_t traceId, const TrackKey& key, std::int64_t t0, std::int64_t t1, int buckets);
    Result<Trace> load(std::int64_t traceId);
};

} // namespace lwb::profiler
