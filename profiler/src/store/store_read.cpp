// TraceStore reads: opening (migrate or check readable), trace and track lists, the GUI's window
// query (index seek bounded by the track's longest record per table), level-of-detail overviews,
// stored summaries, comparison, exports and deletion.
#include "store/lod.h"
#include "store/store_impl.h"

#include "lwb/profiler/nsys_import.h"

#include <algorithm>
#include <cmath>

namespace lwb::profiler {
namespace {

/// Columns of the window query per table: start, end, name id, aux, correlation, step, bytes, flags.
constexpr const char* kRangeColumns[kTableCount] = {
    "start, end, demangledName, NULL, correlationId, step, opBytes, flags",
    "start, end, nameId, copyKind, correlationId, step, bytes, flags",
    "start, end, nameId, NULL, correlationId, step, bytes, flags",
    "start, end, nameId, syncType, correlationId, step, NULL, flags",
    "start, end, NULL, graphId, correlationId, NULL, NULL, flags",
    "start, end, nameId, eventClass, correlationId, step, NULL, flags",
    "start, end, nameId, overheadType, correlationId, NULL, NULL, flags",
    "start, coalesce(end, start), textId, text, NULL, step, NULL, flags",
};

RecordKind kindOfTable(Table table, std::int64_t aux)
{
    switch (table) {
    case Table::Kernel:
        return RecordKind::Kernel;
    case Table::Memcpy:
        return RecordKind::Memcpy;
    case Table::Memset:
        return RecordKind::Memset;
    case Table::Sync:
        return RecordKind::Sync;
    case Table::Graph:
        return RecordKind::Graph;
    case Table::Runtime:
        return aux == 1 ? RecordKind::Driver : RecordKind::Runtime;
    case Table::Overhead:
        return RecordKind::Overhead;
    case Table::Nvtx:
        return RecordKind::Marker;
    }
    return RecordKind::Kernel;
}

TraceInfo readInfo(const sql::Statement& s)
{
    TraceInfo info;
    info.traceId = s.columnInt(0);
    info.label = s.columnText(1);
    info.trialId = s.columnOptionalInt(2);
    info.source = s.columnText(3);
    info.notes = s.columnText(4);
    info.sessionStartNs = s.columnInt(5);
    info.utcEpochNs = s.columnInt(6);
    info.durationNs = s.columnInt(7);
    info.recordCount = s.columnInt(8);
    info.capture.droppedRecords = s.columnInt(9);
    info.capture.dropReason = s.columnText(10);
    info.capture.noTimestampRecords = s.columnInt(11);
    info.capture.filteredRecords = s.columnInt(12);
    info.capture.invalidRecords = s.columnInt(13);
    info.createdAt = s.columnText(14);
    return info;
}

constexpr const char* kInfoColumns
    = "SELECT traceId, label, trialId, source, notes, sessionStartNs, utcEpochNs, durationNs, recordCount, "
      "droppedRecords, dropReason, noTimestampRecords, filteredRecords, invalidRecords, createdAt FROM lwb_traces ";

} // namespace

Result<TraceStore::Impl::Cached> TraceStore::Impl::statement(std::string_view sql)
{
    auto it = statements.find(sql);
    if (it == statements.end()) {
        LWB_ASSIGN_OR_RETURN(auto stmt, db->prepare(sql));
        it = statements.emplace(std::string(sql), std::move(stmt)).first;
    }
    LWB_RETURN_IF_ERROR(it->second.reset());
    return Cached(&it->second);
}

Result<std::string> TraceStore::Impl::name(std::int64_t id)
{
    auto it = names.find(id);
    if (it != names.end())
        return it->second;
    LWB_ASSIGN_OR_RETURN(auto stmt, statement("SELECT value FROM StringIds WHERE id=?1"));
    LWB_RETURN_IF_ERROR(stmt->bind(1, id));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::Corrupt, "StringIds has no string " + std::to_string(id), LWB_WHERE);
    return names[id] = stmt->columnText(0);
}

Result<TraceStore::Impl::TrackRow> TraceStore::Impl::track(std::int64_t traceId, const TrackKey& key)
{
    auto cached = trackCache.find({traceId, key});
    if (cached != trackCache.end())
        return cached->second;
    LWB_ASSIGN_OR_RETURN(auto stmt,
        statement(
            "SELECT trackId, processId, firstNs, lastNs FROM lwb_trace_tracks WHERE traceId=?1 AND deviceId=?2 AND "
            "streamId=?3"));
    LWB_RETURN_IF_ERROR(stmt->bindAll(traceId, key.device, static_cast<std::int64_t>(key.stream)));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::NotFound, "trace " + std::to_string(traceId) + " has no track " + defaultTrackName(key),
            LWB_WHERE);
    TrackRow out;
    out.trackId = stmt->columnInt(0);
    out.processId = static_cast<std::uint32_t>(stmt->columnInt(1));
    out.firstNs = stmt->columnInt(2);
    out.lastNs = stmt->columnInt(3);
    LWB_ASSIGN_OR_RETURN(auto tables,
        statement("SELECT tableName, recordCount, maxDurationNs FROM lwb_trace_track_tables WHERE traceId=?1 AND "
                  "trackId=?2"));
    LWB_RETURN_IF_ERROR(tables->bindAll(traceId, out.trackId));
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool more, tables->step());
        if (!more)
            break;
        std::string tableName = tables->columnText(0);
        for (const TableInfo& t : kTables) {
            if (t.name == tableName) {
                out.tableCount[static_cast<int>(t.table)] = tables->columnInt(1);
                out.tableMaxDuration[static_cast<int>(t.table)] = tables->columnInt(2);
            }
        }
    }
    trackCache[{traceId, key}] = out;
    return out;
}

Result<std::int64_t> TraceStore::Impl::lodBase(std::int64_t traceId)
{
    auto it = lodBaseCache.find(traceId);
    if (it != lodBaseCache.end())
        return it->second;
    LWB_ASSIGN_OR_RETURN(auto stmt, statement("SELECT lodBaseNs FROM lwb_traces WHERE traceId=?1 AND complete=1"));
    LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::NotFound, "no trace " + std::to_string(traceId) + " in the study file", LWB_WHERE);
    return lodBaseCache[traceId] = stmt->columnInt(0);
}

Result<std::vector<TimelineItem>> TraceStore::Impl::loadRange(
    std::int64_t traceId, const TrackKey& key, std::int64_t t0, std::int64_t t1)
{
    LWB_ASSIGN_OR_RETURN(TrackRow row, track(traceId, key));
    std::vector<TimelineItem> items;
    for (const TableInfo& info : kTables) {
        auto t = static_cast<int>(info.table);
        if (row.tableCount[t] == 0)
            continue;
        std::string sql = std::string("SELECT ") + kRangeColumns[t] + " FROM " + std::string(info.name)
            + (info.hostKeyed ? " WHERE traceId=?1 AND globalTid=?2 AND start>=?3 AND start<?4 AND "
                                "coalesce(end, start)>=?5"
                              : " WHERE traceId=?1 AND deviceId=?2 AND streamId=?6 AND start>=?3 AND start<?4 AND "
                                "end>=?5");
        LWB_ASSIGN_OR_RETURN(auto stmt, statement(sql));
        LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
        LWB_RETURN_IF_ERROR(stmt->bind(2, info.hostKeyed ? globalTid(row.processId, key.stream) : key.device));
        LWB_RETURN_IF_ERROR(stmt->bind(3, t0 - row.tableMaxDuration[t]));
        LWB_RETURN_IF_ERROR(stmt->bind(4, t1));
        LWB_RETURN_IF_ERROR(stmt->bind(5, t0));
        if (!info.hostKeyed)
            LWB_RETURN_IF_ERROR(stmt->bind(6, static_cast<std::int64_t>(key.stream)));
        sqlite3_stmt* h = stmt->handle();
        while (true) {
            LWB_ASSIGN_OR_RETURN(bool more, stmt->step());
            if (!more)
                break;
            TimelineItem item;
            item.start = sqlite3_column_int64(h, 0);
            item.end = sqlite3_column_int64(h, 1);
            std::int64_t aux = sqlite3_column_type(h, 3) == SQLITE_INTEGER ? sqlite3_column_int64(h, 3) : 0;
            item.kind = kindOfTable(info.table, aux);
            item.correlationId = static_cast<std::uint32_t>(sqlite3_column_int64(h, 4));
            item.step = sqlite3_column_type(h, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(h, 5);
            item.bytes = sqlite3_column_int64(h, 6);
            item.flags = static_cast<std::uint8_t>(sqlite3_column_int64(h, 7));
            if (sqlite3_column_type(h, 2) != SQLITE_NULL) {
                LWB_ASSIGN_OR_RETURN(item.name, name(sqlite3_column_int64(h, 2)));
            } else if (info.table == Table::Memcpy) {
                item.name = memcpyName(static_cast<CopyKind>(aux));
            } else if (info.table == Table::Memset) {
                item.name = "[CUDA memset]";
            } else if (info.table == Table::Graph) {
                item.name = "[CUDA graph " + std::to_string(aux) + "]";
            } else if (info.table == Table::Nvtx) {
                item.name = stmt->columnText(3);
            }
            items.push_back(std::move(item));
        }
    }
    std::stable_sort(
        items.begin(), items.end(), [](const TimelineItem& a, const TimelineItem& b) { return a.start < b.start; });
    return items;
}

Result<std::vector<OverviewBucket>> TraceStore::Impl::overview(
    std::int64_t traceId, const TrackKey& key, std::int64_t t0, std::int64_t t1, int buckets)
{
    if (buckets <= 0 || t1 <= t0)
        return fail(ErrorCode::InvalidArgument, "an overview needs at least one bucket and t1 > t0", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(TrackRow row, track(traceId, key));
    LWB_ASSIGN_OR_RETURN(std::int64_t base, lodBase(traceId));
    std::int64_t width = (t1 - t0 + buckets - 1) / buckets;
    std::vector<OverviewBucket> out(static_cast<std::size_t>(buckets));
    for (int j = 0; j < buckets; ++j) {
        out[j].startNs = std::min(t1, t0 + j * width);
        out[j].endNs = std::min(t1, t0 + (j + 1) * width);
    }
    std::vector<std::int64_t> topBusy(out.size(), -1), topId(out.size(), -1);
    std::vector<std::string> topText(out.size());
    auto addBusy = [&](std::int64_t lo, std::int64_t hi, std::int64_t busy, std::int64_t span, std::int64_t nameId,
                       const std::string* text) {
        // Spread `busy` (inside [lo, hi)) uniformly over the output buckets it overlaps.
        lo = std::max(lo, t0);
        hi = std::min(hi, t1);
        for (std::int64_t j = (lo - t0) / width; lo < hi && j < buckets; ++j) {
            std::int64_t edge = std::min(hi, t0 + (j + 1) * width);
            auto share = static_cast<std::int64_t>(
                std::llround(static_cast<double>(busy) * static_cast<double>(edge - lo) / static_cast<double>(span)));
            out[j].busyNs += share;
            if (share > topBusy[j]) {
                topBusy[j] = share;
                topId[j] = nameId;
                if (text)
                    topText[j] = *text;
            }
            lo = edge;
        }
    };

    if (width < base) {
        // Zoomed in below the finest level: exact, from the records.
        LWB_ASSIGN_OR_RETURN(auto items, loadRange(traceId, key, t0, t1));
        for (const TimelineItem& item : items) {
            if ((item.flags & kNoTimestamp) || item.kind == RecordKind::Marker || item.kind == RecordKind::Overhead
                || (item.kind == RecordKind::Sync && !key.isHost()))
                continue;
            if (item.start >= t0 && item.start < t1)
                ++out[(item.start - t0) / width].count;
            if (item.end > item.start)
                addBusy(item.start, item.end, item.end - item.start, item.end - item.start, -1, &item.name);
        }
        for (std::size_t j = 0; j < out.size(); ++j) {
            out[j].busyNs = std::min(out[j].busyNs, out[j].endNs - out[j].startNs);
            out[j].topName = std::move(topText[j]);
        }
        return out;
    }
    int level = 0;
    std::int64_t levelWidth = base;
    while (levelWidth * kLodFactor <= width) {
        levelWidth *= kLodFactor;
        ++level;
    }
    LWB_ASSIGN_OR_RETURN(auto stmt,
        statement("SELECT bucket, busyNs, count, topNameId FROM lwb_trace_lod WHERE traceId=?1 AND trackId=?2 AND "
                  "level=?3 AND bucket>=?4 AND bucket<?5"));
    LWB_RETURN_IF_ERROR(stmt->bindAll(traceId, row.trackId, static_cast<std::int64_t>(level), floorDiv(t0, levelWidth),
        floorDiv(t1 - 1, levelWidth) + 1));
    sqlite3_stmt* h = stmt->handle();
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool more, stmt->step());
        if (!more)
            break;
        std::int64_t start = sqlite3_column_int64(h, 0) * levelWidth;
        std::int64_t count = sqlite3_column_int64(h, 2);
        std::int64_t j = std::clamp<std::int64_t>((std::max(start, t0) - t0) / width, 0, buckets - 1);
        out[j].count += count;
        // The bucket's busy time lies inside the track's extent: spread it over that part only.
        std::int64_t lo = std::max(start, row.firstNs), hi = std::min(start + levelWidth, row.lastNs);
        if (hi > lo)
            addBusy(lo, hi, sqlite3_column_int64(h, 1), hi - lo, sqlite3_column_int64(h, 3), nullptr);
    }
    for (std::size_t j = 0; j < out.size(); ++j) {
        out[j].busyNs = std::min(out[j].busyNs, out[j].endNs - out[j].startNs);
        if (topId[j] >= 0) {
            LWB_ASSIGN_OR_RETURN(out[j].topName, name(topId[j]));
        }
    }
    return out;
}

// ---- TraceStore ----

TraceStore::TraceStore(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}
TraceStore::TraceStore(TraceStore&&) noexcept = default;
TraceStore& TraceStore::operator=(TraceStore&&) noexcept = default;
TraceStore::~TraceStore() = default;

Result<TraceStore> TraceStore::open(sql::Database& db)
{
    if (db.isReadOnly())
        LWB_RETURN_IF_ERROR(study_file::checkReadable(db, schema()));
    else
        LWB_RETURN_IF_ERROR(study_file::migrate(db, schema()));
    auto impl = std::make_unique<Impl>();
    impl->db = &db;
    return TraceStore(std::move(impl));
}

Result<std::int64_t> TraceStore::write(const Trace& trace, const TraceMeta& meta)
{
    return m_impl->write(trace, meta);
}

const WriteTimings& TraceStore::lastWriteTimings() const
{
    return m_impl->timings;
}

Result<std::vector<TraceInfo>> TraceStore::listTraces()
{
    LWB_ASSIGN_OR_RETURN(auto stmt, m_impl->statement(std::string(kInfoColumns) + "WHERE complete=1 ORDER BY traceId"));
    std::vector<TraceInfo> out;
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
        if (!row)
            break;
        out.push_back(readInfo(*stmt));
    }
    return out;
}

Result<TraceInfo> TraceStore::info(std::int64_t traceId)
{
    LWB_ASSIGN_OR_RETURN(auto stmt, m_impl->statement(std::string(kInfoColumns) + "WHERE complete=1 AND traceId=?1"));
    LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::NotFound, "no trace " + std::to_string(traceId) + " in the study file", LWB_WHERE);
    return readInfo(*stmt);
}

Result<std::vector<TrackInfo>> TraceStore::tracks(std::int64_t traceId)
{
    LWB_RETURN_IF_ERROR(info(traceId));
    LWB_ASSIGN_OR_RETURN(auto stmt,
        m_impl->statement("SELECT deviceId, streamId, name, kind, processId, recordCount, firstNs, lastNs, "
                          "maxDurationNs FROM lwb_trace_tracks WHERE traceId=?1 ORDER BY trackId"));
    LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
    std::vector<TrackInfo> out;
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
        if (!row)
            break;
        TrackInfo t;
        t.key = {static_cast<std::int32_t>(stmt->columnInt(0)), static_cast<std::uint32_t>(stmt->columnInt(1))};
        t.name = stmt->columnText(2);
        t.kind = stmt->columnText(3);
        t.processId = static_cast<std::uint32_t>(stmt->columnInt(4));
        t.recordCount = stmt->columnInt(5);
        t.firstNs = stmt->columnInt(6);
        t.lastNs = stmt->columnInt(7);
        t.maxDurationNs = stmt->columnInt(8);
        out.push_back(std::move(t));
    }
    return out;
}

Result<std::vector<TimelineItem>> TraceStore::loadRange(
    std::int64_t traceId, const TrackKey& track, std::int64_t t0, std::int64_t t1)
{
    return m_impl->loadRange(traceId, track, t0, t1);
}

Result<std::vector<OverviewBucket>> TraceStore::overview(std::int64_t traceId, const TrackKey& track, int buckets)
{
    LWB_ASSIGN_OR_RETURN(auto stmt,
        m_impl->statement(
            "SELECT firstNs, lastNs FROM lwb_trace_tracks WHERE traceId=?1 AND deviceId=?2 AND streamId=?3"));
    LWB_RETURN_IF_ERROR(stmt->bindAll(traceId, track.device, static_cast<std::int64_t>(track.stream)));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::NotFound,
            "trace " + std::to_string(traceId) + " has no track " + defaultTrackName(track), LWB_WHERE);
    std::int64_t first = stmt->columnInt(0), last = stmt->columnInt(1);
    return m_impl->overview(traceId, track, first, std::max(last, first + 1), buckets);
}

Result<std::vector<OverviewBucket>> TraceStore::overview(
    std::int64_t traceId, const TrackKey& track, std::int64_t t0, std::int64_t t1, int buckets)
{
    return m_impl->overview(traceId, track, t0, t1, buckets);
}

Result<TraceSummary> TraceStore::summary(std::int64_t traceId)
{
    LWB_RETURN_IF_ERROR(info(traceId));
    LWB_ASSIGN_OR_RETURN(auto stmt, m_impl->statement("SELECT summary FROM lwb_trace_summaries WHERE traceId=?1"));
    LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
    LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
    if (!row)
        return fail(ErrorCode::Corrupt, "trace " + std::to_string(traceId) + " has no summary", LWB_WHERE);
    auto json = parseJson(stmt->columnText(0), "summary of trace " + std::to_string(traceId));
    if (!json)
        return fail(ErrorCode::Corrupt, json.error().message, json.error().where);
    return TraceSummary::fromJson(*json);
}

Result<std::vector<OpStats>> TraceStore::kernelSummary(std::int64_t traceId)
{
    LWB_ASSIGN_OR_RETURN(TraceSummary s, summary(traceId));
    std::vector<OpStats> out = s.group("gpu_kernel");
    std::vector<OpStats> cpu = s.group("cpu_op");
    out.insert(out.end(), cpu.begin(), cpu.end());
    return out;
}

Result<TraceComparison> TraceStore::compare(std::int64_t traceA, std::int64_t traceB)
{
    LWB_ASSIGN_OR_RETURN(TraceSummary a, summary(traceA));
    LWB_ASSIGN_OR_RETURN(TraceSummary b, summary(traceB));
    return compareSummaries(a, b);
}

Result<Trace> TraceStore::load(std::int64_t traceId)
{
    return m_impl->load(traceId);
}

Result<ExportStats> TraceStore::exportChrome(
    std::int64_t traceId, const std::filesystem::path& path, const ChromeExportOptions& options)
{
    LWB_ASSIGN_OR_RETURN(Trace trace, load(traceId));
    ChromeExportOptions withLabel = options;
    if (withLabel.label.empty()) {
        LWB_ASSIGN_OR_RETURN(TraceInfo i, info(traceId));
        withLabel.label = i.label;
    }
    return writeChromeTrace(trace, path, withLabel);
}

Status TraceStore::exportCsv(std::int64_t traceId, CsvReport report, const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(TraceSummary s, summary(traceId));
    return writeSummaryCsv(s, report, path);
}

Result<std::int64_t> TraceStore::importNsys(const std::filesystem::path& exportPath, const TraceMeta& meta)
{
    NsysExportInfo exportInfo;
    LWB_ASSIGN_OR_RETURN(Trace trace, readNsysExport(exportPath, &exportInfo));
    TraceMeta withDefaults = meta;
    if (withDefaults.label.empty())
        withDefaults.label = exportPath.filename().string();
    if (withDefaults.notes.empty())
        withDefaults.notes
            = "Nsight Systems " + exportInfo.productVersion + ", export schema " + exportInfo.schemaVersion;
    return write(trace, withDefaults);
}

Status TraceStore::remove(std::int64_t traceId)
{
    LWB_RETURN_IF_ERROR(info(traceId));
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_impl->db));
    std::string id = std::to_string(traceId);
    for (const TableInfo& t : kTables)
        LWB_RETURN_IF_ERROR(m_impl->db->exec("DELETE FROM " + std::string(t.name) + " WHERE traceId=" + id));
    for (const char* table : {"lwb_trace_tracks", "lwb_trace_track_tables", "lwb_trace_lod", "lwb_trace_summaries",
             "lwb_op_summary", "lwb_traces"})
        LWB_RETURN_IF_ERROR(m_impl->db->exec(std::string("DELETE FROM ") + table + " WHERE traceId=" + id));
    LWB_RETURN_IF_ERROR(tx.commit());
    std::erase_if(m_impl->trackCache, [&](const auto& entry) { return entry.first.first == traceId; });
    m_impl->lodBaseCache.erase(traceId);
    return {};
}

} // namespace lwb::profiler
