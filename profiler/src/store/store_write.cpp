// TraceStore::write(): one transaction; records sorted by (table, track, start) so each table and
// its index grow in key order; raw sqlite3_bind_* in the hot loop (a million rows); indexes created
// after the rows on the first load; then tracks, level-of-detail rows and the summary.
#include "store/lod.h"
#include "store/store_impl.h"

#include "lwb/core/clock.h"

#include <algorithm>
#include <numeric>

namespace lwb::profiler {
namespace {

    /// Binds and steps one row of a prepared INSERT; the caller resets.
    class Row {
    public:
        explicit Row(sqlite3_stmt* stmt) : m_stmt(stmt) { }
        Row& i(std::int64_t value)
        {
            sqlite3_bind_int64(m_stmt, ++m_index, value);
            return *this;
        }
        /// NULL when `present` is false.
        Row& opt(std::int64_t value, bool present)
        {
            if (present)
                sqlite3_bind_int64(m_stmt, ++m_index, value);
            else
                sqlite3_bind_null(m_stmt, ++m_index);
            return *this;
        }
        Row& d(double value, bool present)
        {
            if (present)
                sqlite3_bind_double(m_stmt, ++m_index, value);
            else
                sqlite3_bind_null(m_stmt, ++m_index);
            return *this;
        }
        Status run(sqlite3* db)
        {
            if (m_index != sqlite3_bind_parameter_count(m_stmt))
                return fail(ErrorCode::Internal,
                    "bound " + std::to_string(m_index) + " of " + std::to_string(sqlite3_bind_parameter_count(m_stmt))
                        + " parameters of " + sqlite3_sql(m_stmt),
                    LWB_WHERE);
            int rc = sqlite3_step(m_stmt);
            sqlite3_reset(m_stmt);
            if (rc != SQLITE_DONE)
                return fail(sql::sqliteError(db, rc, "insert trace record", LWB_WHERE));
            return {};
        }

    private:
        sqlite3_stmt* m_stmt;
        int m_index = 0;
    };

    constexpr const char* kInsertSql[kTableCount] = {
        // Kernel: 28 parameters
        "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(start, end, deviceId, contextId, streamId, correlationId, globalPid, "
        "demangledName, shortName, launchType, registersPerThread, gridX, gridY, gridZ, blockX, blockY, blockZ, "
        "staticSharedMemory, dynamicSharedMemory, localMemoryPerThread, localMemoryTotal, gridId, graphNodeId, graphId, "
        "traceId, step, category, flops, opBytes, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,0,?,?,?,?,?,?,"
        "?,?)",
        // Memcpy
        "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY(start, end, deviceId, contextId, streamId, correlationId, globalPid, "
        "bytes, copyKind, srcKind, dstKind, graphNodeId, traceId, step, nameId, flags) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        // Memset
        "INSERT INTO CUPTI_ACTIVITY_KIND_MEMSET(start, end, deviceId, contextId, streamId, correlationId, globalPid, "
        "value, bytes, graphNodeId, memKind, traceId, step, nameId, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        // Sync
        "INSERT INTO CUPTI_ACTIVITY_KIND_SYNCHRONIZATION(start, end, deviceId, contextId, streamId, correlationId, "
        "globalPid, syncType, eventId, traceId, step, nameId, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        // Graph
        "INSERT INTO CUPTI_ACTIVITY_KIND_GRAPH_TRACE(start, end, deviceId, contextId, streamId, correlationId, "
        "globalPid, graphId, graphExecId, traceId, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        // Runtime
        "INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME(start, end, eventClass, globalTid, correlationId, nameId, returnValue, "
        "traceId, cbid, externalId, step, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
        // Overhead
        "INSERT INTO CUPTI_ACTIVITY_KIND_OVERHEAD(start, end, eventClass, globalTid, correlationId, nameId, "
        "overheadType, traceId, deviceId, streamId, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        // NVTX
        "INSERT INTO NVTX_EVENTS(start, end, eventType, category, globalTid, textId, traceId, step, flags) "
        "VALUES(?,?,?,?,?,?,?,?,?)",
    };

    /// nsys NVTX eventType: 59 push/pop range, 34 mark.
    constexpr std::int64_t kNvtxRange = 59;
    constexpr std::int64_t kNvtxMark = 34;
    /// NVTX category we give host-tracer steps.
    constexpr std::int64_t kStepCategory = 1;

    bool onTimelineCompanion(const ActivityRecord& r)
    {
        return r.kind == RecordKind::Marker || r.kind == RecordKind::Overhead
            || (r.kind == RecordKind::Sync && r.device >= 0);
    }

    Status insertRecord(sqlite3* db, sqlite3_stmt* stmt, Table table, const ActivityRecord& r, std::int64_t traceId,
        const std::vector<std::int64_t>& ids)
    {
        Row row(stmt);
        bool host = r.device < 0;
        bool hostOp = (r.flags & kHostOp) != 0;
        std::int64_t gpid = globalPid(r.processId);
        switch (table) {
        case Table::Kernel:
            row.i(r.start).i(r.end).i(r.device).i(r.context).i(r.stream).opt(r.correlationId, r.correlationId != 0);
            row.opt(gpid, r.processId != 0).i(ids[r.name]).i(ids[r.shortName]).opt(r.launchType, !host);
            row.i(r.registersPerThread).i(r.gridX).i(r.gridY).i(r.gridZ).i(r.blockX).i(r.blockY).i(r.blockZ);
            row.i(r.staticSharedMemory).i(r.dynamicSharedMemory);
            row.opt(static_cast<std::int64_t>(r.graphNodeId), r.graphNodeId != 0).opt(r.graphId, r.graphId != 0);
            row.i(traceId).opt(r.step, r.step >= 0).opt(static_cast<std::int64_t>(r.category), hostOp);
            row.d(r.flops, r.flops != 0).opt(r.bytes, hostOp && r.bytes != 0).i(r.flags);
            break;
        case Table::Memcpy:
            row.i(r.start).i(r.end).i(r.device).i(r.context).i(r.stream).opt(r.correlationId, r.correlationId != 0);
            row.opt(gpid, r.processId != 0).i(r.bytes).i(r.copyKind).opt(r.srcKind, !hostOp).opt(r.dstKind, !hostOp);
            row.opt(static_cast<std::int64_t>(r.graphNodeId), r.graphNodeId != 0).i(traceId).opt(r.step, r.step >= 0);
            row.opt(ids[r.name], hostOp).i(r.flags);
            break;
        case Table::Memset:
            row.i(r.start).i(r.end).i(r.device).i(r.context).i(r.stream).opt(r.correlationId, r.correlationId != 0);
            row.opt(gpid, r.processId != 0).i(r.value).i(r.bytes);
            row.opt(static_cast<std::int64_t>(r.graphNodeId), r.graphNodeId != 0).opt(r.memoryKind, !hostOp);
            row.i(traceId).opt(r.step, r.step >= 0).opt(ids[r.name], hostOp).i(r.flags);
            break;
        case Table::Sync:
            row.i(r.start).i(r.end).i(r.device).i(r.context).i(r.stream).opt(r.correlationId, r.correlationId != 0);
            row.opt(gpid, r.processId != 0).i(r.syncType).i(r.value).i(traceId).opt(r.step, r.step >= 0);
            row.i(ids[r.name]).i(r.flags);
            break;
        case Table::Graph:
            row.i(r.start).i(r.end).i(r.device).i(r.context).i(r.stream).opt(r.correlationId, r.correlationId != 0);
            row.opt(gpid, r.processId != 0).i(r.graphId).i(static_cast<std::int64_t>(r.graphNodeId)).i(traceId);
            row.i(r.flags);
            break;
        case Table::Runtime:
            row.i(r.start).i(r.end).i(r.kind == RecordKind::Driver ? 1 : 0).i(globalTid(r.processId, r.stream));
            row.opt(r.correlationId, r.correlationId != 0).i(ids[r.name]).i(r.returnValue).i(traceId);
            row.opt(r.cbid, r.cbid != 0).opt(static_cast<std::int64_t>(r.externalId), r.externalId != 0);
            row.opt(r.step, r.step >= 0).i(r.flags);
            break;
        case Table::Overhead:
            row.i(r.start).i(r.end).i(103).opt(globalTid(r.processId, r.stream), host);
            row.opt(r.correlationId, r.correlationId != 0).i(ids[r.name]).i(r.overheadType).i(traceId);
            row.opt(r.device, !host).opt(r.stream, !host).i(r.flags);
            break;
        case Table::Nvtx:
            row.i(r.start).opt(r.end, (r.flags & kInstant) == 0).i((r.flags & kInstant) ? kNvtxMark : kNvtxRange);
            row.opt(kStepCategory, r.category == OpCategory::Step).i(globalTid(r.processId, r.stream));
            row.i(ids[r.name]).i(traceId).opt(r.step, r.step >= 0).i(r.flags);
            break;
        }
        return row.run(db);
    }

    Status validate(const Trace& trace)
    {
        for (std::size_t i = 0; i < trace.records.size(); ++i) {
            const ActivityRecord& r = trace.records[i];
            if (r.name >= trace.strings.size() || r.shortName >= trace.strings.size())
                return fail(ErrorCode::InvalidArgument,
                    "trace record " + std::to_string(i) + " names string " + std::to_string(r.name)
                        + " but the trace has only " + std::to_string(trace.strings.size()) + " strings",
                    LWB_WHERE);
            if (r.hasTimestamp() && r.end < r.start)
                return fail(ErrorCode::InvalidArgument,
                    "trace record " + std::to_string(i) + " (" + std::string(recordKindName(r.kind)) + " '"
                        + trace.strings[r.name] + "') ends before it starts (" + std::to_string(r.start) + " > "
                        + std::to_string(r.end) + " ns)",
                    LWB_WHERE);
        }
        return {};
    }

    /// Restores a connection setting when the write ends (cache size for the index sort).
    class PragmaScope {
    public:
        PragmaScope(sql::Database& db, const char* name, const std::string& value) : m_db(db), m_name(name)
        {
            if (auto old = db.queryInt(std::string("PRAGMA ") + name); old && *old)
                m_old = std::to_string(**old);
            (void)db.exec(std::string("PRAGMA ") + name + "=" + value);
        }
        ~PragmaScope()
        {
            if (!m_old.empty())
                (void)m_db.exec("PRAGMA " + m_name + "=" + m_old);
        }

    private:
        sql::Database& m_db;
        std::string m_name, m_old;
    };

} // namespace

Result<std::int64_t> TraceStore::Impl::write(const Trace& trace, const TraceMeta& meta)
{
    if (db->isReadOnly())
        return fail(ErrorCode::InvalidArgument, "the study file is open read-only: traces cannot be written", LWB_WHERE);
    LWB_RETURN_IF_ERROR(validate(trace));
    TraceSummary summary = summarize(trace);
    auto [first, last] = trace.span();
    std::int64_t lodBase = lodBaseWidth(last);
    int levels = lodLevels(lodBase, last);

    // Order: (table, track, start), so rows land in index order.
    std::vector<std::uint32_t> order(trace.records.size());
    std::iota(order.begin(), order.end(), 0u);
    auto keyOf = [&](const ActivityRecord& r) {
        Table t = tableOf(r.kind);
        bool hostKeyed = kTables[static_cast<int>(t)].hostKeyed;
        std::int64_t track = hostKeyed ? globalTid(r.processId, r.stream)
                                       : (static_cast<std::int64_t>(r.device) << 32 | r.stream);
        return std::tuple(static_cast<int>(t), track, r.start);
    };
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return keyOf(trace.records[a]) < keyOf(trace.records[b]);
    });

    PragmaScope cache(*db, "cache_size", "-131072"); // 128 MiB while loading and indexing
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*db));
    LWB_ASSIGN_OR_RETURN(auto insertTrace,
        db->prepare("INSERT INTO lwb_traces(label, trialId, source, notes, sessionStartNs, utcEpochNs, durationNs, "
                    "recordCount, droppedRecords, dropReason, noTimestampRecords, filteredRecords, invalidRecords, "
                    "lodBaseNs, complete) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)"));
    LWB_RETURN_IF_ERROR(insertTrace.bindAll(meta.label, meta.trialId, trace.source, meta.notes, trace.sessionStartNs,
        trace.utcEpochNs, last, static_cast<std::int64_t>(trace.records.size()), trace.stats.droppedRecords,
        trace.stats.dropReason, trace.stats.noTimestampRecords, trace.stats.filteredRecords,
        trace.stats.invalidRecords, lodBase));
    LWB_RETURN_IF_ERROR(insertTrace.run());
    std::int64_t traceId = db->lastInsertRowId();

    // Strings: StringIds is shared by all traces of the file, each text stored once.
    std::vector<std::int64_t> ids(trace.strings.size(), 0);
    LWB_ASSIGN_OR_RETURN(auto upsert,
        db->prepare("INSERT INTO StringIds(value) VALUES(?1) ON CONFLICT(value) DO UPDATE SET value=excluded.value "
                    "RETURNING id"));
    for (std::size_t i = 0; i < trace.strings.size(); ++i) {
        LWB_RETURN_IF_ERROR(upsert.bind(1, trace.strings[static_cast<StringId>(i)]));
        LWB_ASSIGN_OR_RETURN(bool row, upsert.step());
        if (!row)
            return fail(ErrorCode::Internal, "StringIds upsert returned no id", LWB_WHERE);
        ids[i] = upsert.columnInt(0);
        LWB_RETURN_IF_ERROR(upsert.reset());
        names[ids[i]] = trace.strings[static_cast<StringId>(i)];
    }

    std::vector<sql::Statement> inserts;
    for (const char* text : kInsertSql) {
        LWB_ASSIGN_OR_RETURN(auto stmt, db->prepare(text));
        inserts.push_back(std::move(stmt));
    }
    for (std::uint32_t index : order) {
        const ActivityRecord& r = trace.records[index];
        Table table = tableOf(r.kind);
        LWB_RETURN_IF_ERROR(insertRecord(db->handle(), inserts[static_cast<int>(table)].handle(), table, r, traceId, ids));
    }
    LWB_RETURN_IF_ERROR(db->exec(indexSql()));

    // Tracks, per-table bounds and level of detail.
    struct TrackBuild {
        TrackRow row;
        std::string name;
        std::int64_t count = 0, firstNs = 0, lastNs = 0, maxDuration = 0;
        std::vector<const ActivityRecord*> lodRecords;
    };
    std::map<TrackKey, TrackBuild> tracks;
    for (std::uint32_t index : order) {
        const ActivityRecord& r = trace.records[index];
        auto [it, inserted] = tracks.try_emplace(TrackKey {r.device, r.stream});
        TrackBuild& t = it->second;
        if (inserted) {
            t.row.processId = r.processId;
            t.firstNs = r.start;
            t.lastNs = r.end;
        }
        if (t.row.processId == 0)
            t.row.processId = r.processId;
        auto tableIndex = static_cast<std::size_t>(tableOf(r.kind));
        ++t.count;
        ++t.row.tableCount[tableIndex];
        if (r.hasTimestamp()) {
            t.firstNs = std::min(t.firstNs, r.start);
            t.lastNs = std::max(t.lastNs, r.end);
            t.maxDuration = std::max(t.maxDuration, r.duration());
            t.row.tableMaxDuration[tableIndex] = std::max(t.row.tableMaxDuration[tableIndex], r.duration());
            if (!onTimelineCompanion(r))
                t.lodRecords.push_back(&r);
        }
    }
    LWB_ASSIGN_OR_RETURN(auto insertTrack,
        db->prepare("INSERT INTO lwb_trace_tracks(traceId, trackId, deviceId, streamId, processId, kind, name, "
                    "recordCount, firstNs, lastNs, maxDurationNs) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    LWB_ASSIGN_OR_RETURN(auto insertTable,
        db->prepare("INSERT INTO lwb_trace_track_tables(traceId, trackId, tableName, recordCount, maxDurationNs) "
                    "VALUES(?,?,?,?,?)"));
    LWB_ASSIGN_OR_RETURN(auto insertLod,
        db->prepare("INSERT INTO lwb_trace_lod(traceId, trackId, level, bucket, busyNs, count, topNameId) "
                    "VALUES(?,?,?,?,?,?,?)"));
    std::int64_t trackId = 0;
    for (auto& [key, t] : tracks) {
        t.row.trackId = trackId++;
        auto named = trace.trackNames.find(key);
        std::string name = named != trace.trackNames.end() ? named->second : defaultTrackName(key);
        LWB_RETURN_IF_ERROR(insertTrack.bindAll(traceId, t.row.trackId, key.device, static_cast<std::int64_t>(key.stream),
            static_cast<std::int64_t>(t.row.processId), key.isHost() ? "host_thread" : "gpu_stream", name, t.count,
            t.firstNs, t.lastNs, t.maxDuration));
        LWB_RETURN_IF_ERROR(insertTrack.run());
        for (int table = 0; table < kTableCount; ++table) {
            if (t.row.tableCount[table] == 0)
                continue;
            LWB_RETURN_IF_ERROR(insertTable.bindAll(traceId, t.row.trackId, kTables[table].name, t.row.tableCount[table],
                t.row.tableMaxDuration[table]));
            LWB_RETURN_IF_ERROR(insertTable.run());
        }
        std::stable_sort(t.lodRecords.begin(), t.lodRecords.end(),
            [](const ActivityRecord* a, const ActivityRecord* b) { return a->start < b->start; });
        for (const LodRow& lod : buildLod(t.lodRecords, lodBase, levels)) {
            Row row(insertLod.handle());
            row.i(traceId).i(t.row.trackId).i(lod.level).i(lod.bucket).i(lod.busyNs).i(lod.count).i(ids[lod.topName]);
            LWB_RETURN_IF_ERROR(row.run(db->handle()));
        }
        t.row.firstNs = t.firstNs;
        t.row.lastNs = t.lastNs;
        trackCache[{traceId, key}] = t.row;
    }

    // Summary, computed once.
    LWB_ASSIGN_OR_RETURN(auto insertSummary, db->prepare("INSERT INTO lwb_trace_summaries(traceId, summary) VALUES(?,?)"));
    LWB_RETURN_IF_ERROR(insertSummary.bindAll(traceId, summary.toJson().dump()));
    LWB_RETURN_IF_ERROR(insertSummary.run());
    LWB_ASSIGN_OR_RETURN(auto insertOp,
        db->prepare("INSERT INTO lwb_op_summary(traceId, groupName, nameId, instances, totalNs, avgNs, medNs, minNs, "
                    "maxNs, stdDevNs, timePercent) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    for (const OpStats& op : summary.topOps) {
        StringId local = trace.strings.find(op.name);
        LWB_RETURN_IF_ERROR(insertOp.bindAll(traceId, op.group, local == kNoString ? 0 : ids[local], op.stats.count,
            op.stats.totalNs, op.stats.meanNs, op.stats.medianNs, op.stats.minNs, op.stats.maxNs, op.stats.stddevNs,
            op.percent));
        LWB_RETURN_IF_ERROR(insertOp.run());
    }
    LWB_RETURN_IF_ERROR(db->exec("UPDATE lwb_traces SET complete=1 WHERE traceId=" + std::to_string(traceId)));
    LWB_RETURN_IF_ERROR(tx.commit());
    lodBaseCache[traceId] = lodBase;
    return traceId;
}

} // namespace lwb::profiler
