// TraceStore::load(): every row of a trace back into a Trace (for exports and re-analysis).
// Strings are re-interned through a per-load id map; globalTid/globalPid are decoded into
// process and thread ids.
#include "store/store_impl.h"

#include <unordered_map>

namespace lwb::profiler {
namespace {

constexpr const char* kLoadSql[kTableCount] = {
    "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, demangledName, shortName, "
    "launchType, registersPerThread, gridX, gridY, gridZ, blockX, blockY, blockZ, staticSharedMemory, "
    "dynamicSharedMemory, graphNodeId, graphId, step, category, flops, opBytes, flags FROM "
    "CUPTI_ACTIVITY_KIND_KERNEL WHERE traceId=?1",
    "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, bytes, copyKind, srcKind, dstKind, "
    "graphNodeId, step, nameId, flags FROM CUPTI_ACTIVITY_KIND_MEMCPY WHERE traceId=?1",
    "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, value, bytes, graphNodeId, memKind, "
    "step, nameId, flags FROM CUPTI_ACTIVITY_KIND_MEMSET WHERE traceId=?1",
    "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, syncType, eventId, step, nameId, "
    "flags FROM CUPTI_ACTIVITY_KIND_SYNCHRONIZATION WHERE traceId=?1",
    "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, graphId, graphExecId, flags FROM "
    "CUPTI_ACTIVITY_KIND_GRAPH_TRACE WHERE traceId=?1",
    "SELECT start, end, eventClass, globalTid, correlationId, nameId, returnValue, cbid, externalId, step, flags "
    "FROM CUPTI_ACTIVITY_KIND_RUNTIME WHERE traceId=?1",
    "SELECT start, end, globalTid, correlationId, nameId, overheadType, deviceId, streamId, flags FROM "
    "CUPTI_ACTIVITY_KIND_OVERHEAD WHERE traceId=?1",
    "SELECT start, end, eventType, category, globalTid, textId, text, step, flags FROM NVTX_EVENTS WHERE traceId=?1",
};

/// Column reader with integer defaults for NULL.
struct Cols {
    sqlite3_stmt* h;
    std::int64_t i(int c) const { return sqlite3_column_int64(h, c); }
    bool null(int c) const { return sqlite3_column_type(h, c) == SQLITE_NULL; }
    std::int64_t step(int c) const { return null(c) ? -1 : i(c); }
    std::uint32_t u(int c) const { return static_cast<std::uint32_t>(i(c)); }
    std::int32_t s(int c) const { return static_cast<std::int32_t>(i(c)); }
    std::uint8_t b(int c) const { return static_cast<std::uint8_t>(i(c)); }
};

} // namespace

Result<Trace> TraceStore::Impl::load(std::int64_t traceId)
{
    LWB_ASSIGN_OR_RETURN(auto meta,
        statement("SELECT source, sessionStartNs, utcEpochNs, droppedRecords, dropReason, noTimestampRecords, "
                  "filteredRecords, invalidRecords, recordCount FROM lwb_traces WHERE traceId=?1 AND complete=1"));
    LWB_RETURN_IF_ERROR(meta->bind(1, traceId));
    LWB_ASSIGN_OR_RETURN(bool found, meta->step());
    if (!found)
        return fail(ErrorCode::NotFound, "no trace " + std::to_string(traceId) + " in the study file", LWB_WHERE);
    Trace trace;
    trace.source = meta->columnText(0);
    trace.sessionStartNs = meta->columnInt(1);
    trace.utcEpochNs = meta->columnInt(2);
    trace.stats.droppedRecords = meta->columnInt(3);
    trace.stats.dropReason = meta->columnText(4);
    trace.stats.noTimestampRecords = meta->columnInt(5);
    trace.stats.filteredRecords = meta->columnInt(6);
    trace.stats.invalidRecords = meta->columnInt(7);
    trace.records.reserve(static_cast<std::size_t>(meta->columnInt(8)));

    std::unordered_map<std::int64_t, StringId> local;
    auto intern = [&](std::int64_t id) -> Result<StringId> {
        auto it = local.find(id);
        if (it != local.end())
            return it->second;
        LWB_ASSIGN_OR_RETURN(std::string text, name(id));
        StringId sid = trace.strings.intern(text);
        local.emplace(id, sid);
        return sid;
    };

    for (const TableInfo& info : kTables) {
        LWB_ASSIGN_OR_RETURN(auto stmt, statement(kLoadSql[static_cast<int>(info.table)]));
        LWB_RETURN_IF_ERROR(stmt->bind(1, traceId));
        Cols c {stmt->handle()};
        while (true) {
            LWB_ASSIGN_OR_RETURN(bool row, stmt->step());
            if (!row)
                break;
            ActivityRecord r;
            r.start = c.i(0);
            r.end = c.i(1);
            switch (info.table) {
            case Table::Kernel: {
                r.kind = RecordKind::Kernel;
                r.device = c.s(2), r.context = c.u(3), r.stream = c.u(4), r.correlationId = c.u(5);
                r.processId = static_cast<std::uint32_t>(c.i(6) >> 24) & 0xFFFFFF;
                LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(7)));
                LWB_ASSIGN_OR_RETURN(r.shortName, intern(c.i(8)));
                r.launchType = c.b(9), r.registersPerThread = c.s(10);
                r.gridX = c.s(11), r.gridY = c.s(12), r.gridZ = c.s(13);
                r.blockX = c.s(14), r.blockY = c.s(15), r.blockZ = c.s(16);
                r.staticSharedMemory = c.s(17), r.dynamicSharedMemory = c.s(18);
                r.graphNodeId = static_cast<std::uint64_t>(c.i(19)), r.graphId = c.u(20), r.step = c.step(21);
                r.category = c.null(22) ? OpCategory::Compute : static_cast<OpCategory>(c.i(22));
                r.flops = sqlite3_column_double(c.h, 23), r.bytes = c.i(24), r.flags = c.b(25);
                break;
            }
            case Table::Memcpy: {
                r.kind = RecordKind::Memcpy;
                r.category = OpCategory::Memcpy;
                r.device = c.s(2), r.context = c.u(3), r.stream = c.u(4), r.correlationId = c.u(5);
                r.processId = static_cast<std::uint32_t>(c.i(6) >> 24) & 0xFFFFFF;
                r.bytes = c.i(7), r.copyKind = c.b(8), r.srcKind = c.b(9), r.dstKind = c.b(10);
                r.graphNodeId = static_cast<std::uint64_t>(c.i(11)), r.step = c.step(12), r.flags = c.b(14);
                if (c.null(13)) {
                    r.name = trace.strings.intern(memcpyName(static_cast<CopyKind>(r.copyKind)));
                } else {
                    LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(13)));
                }
                r.shortName = r.name;
                break;
            }
            case Table::Memset: {
                r.kind = RecordKind::Memset;
                r.category = OpCategory::Memset;
                r.device = c.s(2), r.context = c.u(3), r.stream = c.u(4), r.correlationId = c.u(5);
                r.processId = static_cast<std::uint32_t>(c.i(6) >> 24) & 0xFFFFFF;
                r.value = c.s(7), r.bytes = c.i(8), r.graphNodeId = static_cast<std::uint64_t>(c.i(9));
                r.memoryKind = c.b(10), r.step = c.step(11), r.flags = c.b(13);
                if (c.null(12)) {
                    r.name = trace.strings.intern("[CUDA memset]");
                } else {
                    LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(12)));
                }
                r.shortName = r.name;
                break;
            }
            case Table::Sync: {
                r.kind = RecordKind::Sync;
                r.category = OpCategory::Sync;
                r.device = c.s(2), r.context = c.u(3), r.stream = c.u(4), r.correlationId = c.u(5);
                r.processId = static_cast<std::uint32_t>(c.i(6) >> 24) & 0xFFFFFF;
                r.syncType = c.b(7), r.value = c.s(8), r.step = c.step(9), r.flags = c.b(11);
                if (!c.null(10)) {
                    LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(10)));
                }
                r.shortName = r.name;
                break;
            }
            case Table::Graph: {
                r.kind = RecordKind::Graph;
                r.device = c.s(2), r.context = c.u(3), r.stream = c.u(4), r.correlationId = c.u(5);
                r.processId = static_cast<std::uint32_t>(c.i(6) >> 24) & 0xFFFFFF;
                r.graphId = c.u(7), r.graphNodeId = static_cast<std::uint64_t>(c.i(8)), r.flags = c.b(9);
                r.name = r.shortName = trace.strings.intern("[CUDA graph " + std::to_string(r.graphId) + "]");
                break;
            }
            case Table::Runtime: {
                r.kind = c.i(2) == 1 ? RecordKind::Driver : RecordKind::Runtime;
                r.category = OpCategory::Runtime;
                r.device = kHostDevice;
                r.processId = static_cast<std::uint32_t>(c.i(3) >> 24) & 0xFFFFFF;
                r.stream = static_cast<std::uint32_t>(c.i(3)) & 0xFFFFFF;
                r.correlationId = c.u(4);
                LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(5)));
                r.shortName = r.name;
                r.returnValue = c.s(6), r.cbid = c.u(7), r.externalId = static_cast<std::uint64_t>(c.i(8));
                r.step = c.step(9), r.flags = c.b(10);
                break;
            }
            case Table::Overhead: {
                r.kind = RecordKind::Overhead;
                r.category = OpCategory::Other;
                if (c.null(2)) {
                    r.device = c.s(6);
                    r.stream = c.u(7);
                } else {
                    r.device = kHostDevice;
                    r.processId = static_cast<std::uint32_t>(c.i(2) >> 24) & 0xFFFFFF;
                    r.stream = static_cast<std::uint32_t>(c.i(2)) & 0xFFFFFF;
                }
                r.correlationId = c.u(3);
                if (!c.null(4)) {
                    LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(4)));
                }
                r.shortName = r.name;
                r.overheadType = c.b(5), r.flags = c.b(8);
                break;
            }
            case Table::Nvtx: {
                r.kind = RecordKind::Marker;
                r.flags = c.b(8);
                r.category = c.i(3) == 1 && (r.flags & kHostOp) ? OpCategory::Step : OpCategory::Other;
                if (c.null(1))
                    r.end = r.start;
                r.device = kHostDevice;
                r.processId = static_cast<std::uint32_t>(c.i(4) >> 24) & 0xFFFFFF;
                r.stream = static_cast<std::uint32_t>(c.i(4)) & 0xFFFFFF;
                if (!c.null(5)) {
                    LWB_ASSIGN_OR_RETURN(r.name, intern(c.i(5)));
                } else {
                    r.name = trace.strings.intern(stmt->columnText(6));
                }
                r.shortName = r.name;
                r.step = c.step(7);
                break;
            }
            }
            trace.records.push_back(r);
        }
    }

    LWB_ASSIGN_OR_RETURN(auto tracks,
        statement("SELECT deviceId, streamId, name FROM lwb_trace_tracks WHERE traceId=?1 ORDER BY trackId"));
    LWB_RETURN_IF_ERROR(tracks->bind(1, traceId));
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool row, tracks->step());
        if (!row)
            break;
        trace.trackNames[{
            static_cast<std::int32_t>(tracks->columnInt(0)), static_cast<std::uint32_t>(tracks->columnInt(1))}]
            = tracks->columnText(2);
    }
    trace.sortByStart();
    return trace;
}

} // namespace lwb::profiler
