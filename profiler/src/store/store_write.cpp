// TraceStore::write(): one transaction; records sorted by (table, track, start) so each table and
// its index grow in key order; raw sqlite3_bind_* in the hot loop (a million rows); indexes created
// after the rows on the first load; then tracks, level-of-detail rows and the summary.
#include "store/lod.h"
#include "store/store_impl.h"

#include "lwb/core/clock.h"

#include <algorithm>
#include <bit>
#include <numeric>
#include <tuple>

namespace lwb::profiler {
namespace {

/// A value of one column of a pending row (a double is kept as its bits).
struct Value {
    enum Type : std::uint8_t { Unset, Null, Int, Real };
    std::int64_t bits = 0;
    Type type = Unset;
    bool operator==(const Value& o) const { return bits == o.bits && type == o.type; }
};

/// Writes the values of one row (in parameter order) into the pending batch.
class Row {
public:
    explicit Row(Value* out)
        : m_out(out)
    {
    }
    Row& i(std::int64_t value)
    {
        *m_out++ = {value, Value::Int};
        return *this;
    }
    /// NULL when `present` is false.
    Row& opt(std::int64_t value, bool present)
    {
        *m_out++ = present ? Value {value, Value::Int} : Value {0, Value::Null};
        return *this;
    }
    Row& d(double value, bool present)
    {
        *m_out++ = present ? Value {std::bit_cast<std::int64_t>(value), Value::Real} : Value {0, Value::Null};
        return *this;
    }
    Value* end() const { return m_out; }

private:
    Value* m_out;
};

/// Inserts rows of one table: kBatch rows per statement execution, and a parameter is bound
/// again only when its value changed (sqlite3_reset keeps bindings). Halves the CPU time of
/// a million-row load compared with one bind per column and one step per row.
class BatchInsert {
public:
    static constexpr int kBatch = 16;

    static Result<BatchInsert> prepare(sql::Database& db, std::string_view sql)
    {
        BatchInsert out;
        out.m_db = db.handle();
        auto values = sql.find("VALUES");
        std::string tuple(sql.substr(values + 6));
        std::string many = std::string(sql.substr(0, values + 6));
        for (int r = 0; r < kBatch; ++r)
            many += (r ? "," : "") + tuple;
        LWB_ASSIGN_OR_RETURN(out.m_single, db.prepare(sql));
        LWB_ASSIGN_OR_RETURN(out.m_multi, db.prepare(many));
        out.m_params = sqlite3_bind_parameter_count(out.m_single.handle());
        out.m_boundSingle.resize(static_cast<std::size_t>(out.m_params));
        out.m_boundMulti.resize(static_cast<std::size_t>(out.m_params) * kBatch);
        out.m_pending.resize(static_cast<std::size_t>(out.m_params) * kBatch);
        return out;
    }

    /// A writer for the next row; call add() with it when the row is complete.
    Row row() { return Row(m_pending.data() + m_rows * static_cast<std::size_t>(m_params)); }

    Status add(const Row& row)
    {
        if (row.end() != m_pending.data() + (m_rows + 1) * static_cast<std::size_t>(m_params))
            return fail(ErrorCode::Internal,
                "a row of " + std::string(sqlite3_sql(m_single.handle())) + " has the wrong number of values",
                LWB_WHERE);
        if (++m_rows == kBatch) {
            LWB_RETURN_IF_ERROR(execute(m_multi.handle(), m_boundMulti, 0, kBatch));
            m_rows = 0;
        }
        return {};
    }

    /// Inserts the rows still pending, one statement each.
    Status flush()
    {
        for (std::size_t r = 0; r < m_rows; ++r)
            LWB_RETURN_IF_ERROR(execute(m_single.handle(), m_boundSingle, r * static_cast<std::size_t>(m_params), 1));
        m_rows = 0;
        return {};
    }

private:
    Status execute(sqlite3_stmt* stmt, std::vector<Value>& bound, std::size_t first, int rows)
    {
        std::size_t n = static_cast<std::size_t>(m_params) * static_cast<std::size_t>(rows);
        for (std::size_t k = 0; k < n; ++k) {
            const Value& v = m_pending[first + k];
            if (v == bound[k])
                continue;
            int index = static_cast<int>(k) + 1;
            int rc = v.type == Value::Int ? sqlite3_bind_int64(stmt, index, v.bits)
                : v.type == Value::Real   ? sqlite3_bind_double(stmt, index, std::bit_cast<double>(v.bits))
                                          : sqlite3_bind_null(stmt, index);
            if (rc != SQLITE_OK)
                return fail(sql::sqliteError(m_db, rc, "bind trace record", LWB_WHERE));
            bound[k] = v;
        }
        int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE)
            return fail(sql::sqliteError(m_db, rc, "insert trace record", LWB_WHERE));
        return {};
    }

    sqlite3* m_db = nullptr;
    sql::Statement m_single, m_multi;
    int m_params = 0;
    std::vector<Value> m_pending, m_boundSingle, m_boundMulti;
    std::size_t m_rows = 0; ///< complete rows in m_pending
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

Status insertRecord(BatchInsert& insert, Table table, const ActivityRecord& r, std::int64_t traceId,
    const std::vector<std::int64_t>& ids)
{
    Row row = insert.row();
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
    return insert.add(row);
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
    PragmaScope(sql::Database& db, const char* name, const std::string& value)
        : m_db(db)
        , m_name(name)
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
        return fail(
            ErrorCode::InvalidArgument, "the study file is open read-only: traces cannot be written", LWB_WHERE);
    LWB_RETURN_IF_ERROR(validate(trace));
    Stopwatch total, phase;
    auto threadCpu = [] {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    double cpuStart = threadCpu(), cpuPhase = cpuStart;
    WriteTimings times;
    auto mark = [&](double& wall, double& cpu) {
        wall = phase.elapsedSeconds();
        phase.restart();
        double now = threadCpu();
        cpu = now - cpuPhase;
        cpuPhase = now;
    };
    TraceSummary summary = summarize(trace);
    auto [first, last] = trace.span();
    std::int64_t lodBase = lodBaseWidth(last);
    int levels = lodLevels(lodBase, last);

    // Order: (table, track, start), so rows land in index order.
    struct OrderKey {
        std::int64_t table, track, start;
        std::uint32_t index;
    };
    std::vector<OrderKey> keys(trace.records.size());
    for (std::size_t i = 0; i < trace.records.size(); ++i) {
        const ActivityRecord& r = trace.records[i];
        Table table = tableOf(r.kind);
        bool hostKeyed = kTables[static_cast<int>(table)].hostKeyed;
        std::int64_t track
            = hostKeyed ? globalTid(r.processId, r.stream) : (static_cast<std::int64_t>(r.device) << 32 | r.stream);
        keys[i] = {static_cast<std::int64_t>(table), track, r.start, static_cast<std::uint32_t>(i)};
    }
    std::sort(keys.begin(), keys.end(), [](const OrderKey& a, const OrderKey& b) {
        return std::tie(a.table, a.track, a.start, a.index) < std::tie(b.table, b.track, b.start, b.index);
    });
    std::vector<std::uint32_t> order(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
        order[i] = keys[i].index;
    keys = {};

    // Tracks, per-table bounds and level of detail.
    struct TrackBuild {
        TrackRow row;
        std::string name;
        std::int64_t count = 0, firstNs = 0, lastNs = 0, maxDuration = 0;
        std::vector<const ActivityRecord*> lodRecords;
    };
    std::map<TrackKey, TrackBuild> tracks;
    // In memory order (sequential reads); a trace sorted by start gives sorted LOD inputs.
    TrackKey lastKey {0, 0xFFFFFFFFu};
    TrackBuild* current = nullptr;
    for (const ActivityRecord& r : trace.records) {
        bool inserted = false;
        if (!current || lastKey != TrackKey {r.device, r.stream}) {
            lastKey = {r.device, r.stream};
            auto emplaced = tracks.try_emplace(lastKey);
            current = &emplaced.first->second;
            inserted = emplaced.second;
        }
        TrackBuild& t = *current;
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
    mark(times.wall.summary, times.cpu.summary);
    PragmaScope cache(*db, "cache_size", "-131072"); // 128 MiB while loading and indexing
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*db));
    LWB_ASSIGN_OR_RETURN(auto insertTrace,
        db->prepare("INSERT INTO lwb_traces(label, trialId, source, notes, sessionStartNs, utcEpochNs, durationNs, "
                    "recordCount, droppedRecords, dropReason, noTimestampRecords, filteredRecords, invalidRecords, "
                    "lodBaseNs, complete) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)"));
    LWB_RETURN_IF_ERROR(
        insertTrace.bindAll(meta.label, meta.trialId, trace.source, meta.notes, trace.sessionStartNs, trace.utcEpochNs,
            last, static_cast<std::int64_t>(trace.records.size()), trace.stats.droppedRecords, trace.stats.dropReason,
            trace.stats.noTimestampRecords, trace.stats.filteredRecords, trace.stats.invalidRecords, lodBase));
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

    std::vector<BatchInsert> inserts;
    for (const char* text : kInsertSql) {
        LWB_ASSIGN_OR_RETURN(auto insert, BatchInsert::prepare(*db, text));
        inserts.push_back(std::move(insert));
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i + 8 < order.size())
            __builtin_prefetch(&trace.records[order[i + 8]]); // rows are read in index order, not memory order
        const ActivityRecord& r = trace.records[order[i]];
        Table table = tableOf(r.kind);
        LWB_RETURN_IF_ERROR(insertRecord(inserts[static_cast<int>(table)], table, r, traceId, ids));
    }
    for (BatchInsert& insert : inserts)
        LWB_RETURN_IF_ERROR(insert.flush());
    mark(times.wall.insert, times.cpu.insert);
    LWB_RETURN_IF_ERROR(db->exec(indexSql()));
    mark(times.wall.index, times.cpu.index);

    LWB_ASSIGN_OR_RETURN(auto insertTrack,
        db->prepare("INSERT INTO lwb_trace_tracks(traceId, trackId, deviceId, streamId, processId, kind, name, "
                    "recordCount, firstNs, lastNs, maxDurationNs) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    LWB_ASSIGN_OR_RETURN(auto insertTable,
        db->prepare("INSERT INTO lwb_trace_track_tables(traceId, trackId, tableName, recordCount, maxDurationNs) "
                    "VALUES(?,?,?,?,?)"));
    LWB_ASSIGN_OR_RETURN(auto insertLod,
        BatchInsert::prepare(*db,
            "INSERT INTO lwb_trace_lod(traceId, trackId, level, bucket, busyNs, count, topNameId) "
            "VALUES(?,?,?,?,?,?,?)"));
    std::int64_t trackId = 0;
    std::map<TrackKey, TrackRow> newTracks; // cached only once the transaction committed
    for (auto& [key, t] : tracks) {
        t.row.trackId = trackId++;
        auto named = trace.trackNames.find(key);
        std::string name = named != trace.trackNames.end() ? named->second : defaultTrackName(key);
        LWB_RETURN_IF_ERROR(insertTrack.bindAll(traceId, t.row.trackId, key.device,
            static_cast<std::int64_t>(key.stream), static_cast<std::int64_t>(t.row.processId),
            key.isHost() ? "host_thread" : "gpu_stream", name, t.count, t.firstNs, t.lastNs, t.maxDuration));
        LWB_RETURN_IF_ERROR(insertTrack.run());
        for (int table = 0; table < kTableCount; ++table) {
            if (t.row.tableCount[table] == 0)
                continue;
            LWB_RETURN_IF_ERROR(insertTable.bindAll(
                traceId, t.row.trackId, kTables[table].name, t.row.tableCount[table], t.row.tableMaxDuration[table]));
            LWB_RETURN_IF_ERROR(insertTable.run());
        }
        auto byStart = [](const ActivityRecord* a, const ActivityRecord* b) { return a->start < b->start; };
        if (!std::is_sorted(t.lodRecords.begin(), t.lodRecords.end(), byStart))
            std::stable_sort(t.lodRecords.begin(), t.lodRecords.end(), byStart);
        for (const LodRow& lod : buildLod(t.lodRecords, lodBase, levels)) {
            Row row = insertLod.row();
            row.i(traceId).i(t.row.trackId).i(lod.level).i(lod.bucket).i(lod.busyNs).i(lod.count).i(ids[lod.topName]);
            LWB_RETURN_IF_ERROR(insertLod.add(row));
        }
        t.row.firstNs = t.firstNs;
        t.row.lastNs = t.lastNs;
        newTracks[key] = t.row;
    }
    LWB_RETURN_IF_ERROR(insertLod.flush());

    // Summary, computed once.
    LWB_ASSIGN_OR_RETURN(
        auto insertSummary, db->prepare("INSERT INTO lwb_trace_summaries(traceId, summary) VALUES(?,?)"));
    LWB_RETURN_IF_ERROR(insertSummary.bindAll(traceId, summary.toJson().dump()));
    LWB_RETURN_IF_ERROR(insertSummary.run());
    LWB_ASSIGN_OR_RETURN(auto insertOp,
        db->prepare("INSERT INTO lwb_op_summary(traceId, groupName, nameId, instances, totalNs, avgNs, medNs, minNs, "
                    "maxNs, stdDevNs, timePercent) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    for (const OpStats& op : summary.topOps) {
        StringId local = trace.strings.find(op.name);
        LWB_RETURN_IF_ERROR(
            insertOp.bindAll(traceId, op.group, local == kNoString ? 0 : ids[local], op.stats.count, op.stats.totalNs,
                op.stats.meanNs, op.stats.medianNs, op.stats.minNs, op.stats.maxNs, op.stats.stddevNs, op.percent));
        LWB_RETURN_IF_ERROR(insertOp.run());
    }
    LWB_RETURN_IF_ERROR(db->exec("UPDATE lwb_traces SET complete=1 WHERE traceId=" + std::to_string(traceId)));
    mark(times.wall.tracks, times.cpu.tracks);
    LWB_RETURN_IF_ERROR(tx.commit());
    mark(times.wall.commit, times.cpu.commit);
    times.wall.total = total.elapsedSeconds();
    times.cpu.total = threadCpu() - cpuStart;
    timings = times;
    lodBaseCache[traceId] = lodBase;
    for (const auto& [key, row] : newTracks)
        trackCache[{traceId, key}] = row;
    return traceId;
}

} // namespace lwb::profiler
