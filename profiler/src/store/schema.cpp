// The profiler module's tables in the study file (version 1). Record tables copy the Nsight
// Systems export (schema 3.x): same names, column names and units (ns, bytes), so queries written
// for nsys exports run here once filtered by traceId. Columns after `traceId` are our additions.
// Indexes are not part of the migration: write() creates them after loading the first trace.
#include "store/store_impl.h"

#include <bit>

namespace lwb::profiler {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE lwb_traces (
    traceId             INTEGER PRIMARY KEY,
    label               TEXT    NOT NULL,
    trialId             INTEGER,            -- the tuner trial this trace belongs to
    source              TEXT    NOT NULL,   -- host-op-tracer, cupti, nsys-import (joined with '+')
    notes               TEXT,
    sessionStartNs      INTEGER NOT NULL,   -- session start on CLOCK_MONOTONIC (ns); 0 for imports
    utcEpochNs          INTEGER NOT NULL,   -- session start in UTC (ns since the epoch)
    durationNs          INTEGER NOT NULL,   -- last end, ns since the session start
    recordCount         INTEGER NOT NULL,
    droppedRecords      INTEGER NOT NULL DEFAULT 0,
    dropReason          TEXT,
    noTimestampRecords  INTEGER NOT NULL DEFAULT 0,
    filteredRecords     INTEGER NOT NULL DEFAULT 0,
    invalidRecords      INTEGER NOT NULL DEFAULT 0,
    lodBaseNs           INTEGER NOT NULL,   -- width of level-0 buckets in lwb_trace_lod (ns)
    complete            INTEGER NOT NULL DEFAULT 0,
    createdAt           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX lwb_traces_trial ON lwb_traces(trialId);

CREATE TABLE lwb_trace_tracks (
    traceId         INTEGER NOT NULL,
    trackId         INTEGER NOT NULL,
    deviceId        INTEGER NOT NULL,      -- -1: host thread
    streamId        INTEGER NOT NULL,      -- CUDA stream id, or thread id on the host
    processId       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,      -- gpu_stream, host_thread
    name            TEXT    NOT NULL,
    recordCount     INTEGER NOT NULL,
    firstNs         INTEGER NOT NULL,
    lastNs          INTEGER NOT NULL,
    maxDurationNs   INTEGER NOT NULL,
    PRIMARY KEY (traceId, trackId)
) WITHOUT ROWID;

-- Per track and record table: how many rows and the longest one (bounds the window queries).
CREATE TABLE lwb_trace_track_tables (
    traceId         INTEGER NOT NULL,
    trackId         INTEGER NOT NULL,
    tableName       TEXT    NOT NULL,
    recordCount     INTEGER NOT NULL,
    maxDurationNs   INTEGER NOT NULL,
    PRIMARY KEY (traceId, trackId, tableName)
) WITHOUT ROWID;

-- Level of detail: per track, buckets of lodBaseNs * 2^level ns; only non-empty buckets.
CREATE TABLE lwb_trace_lod (
    traceId     INTEGER NOT NULL,
    trackId     INTEGER NOT NULL,
    level       INTEGER NOT NULL,
    bucket      INTEGER NOT NULL,          -- start = bucket * width
    busyNs      INTEGER NOT NULL,          -- union of the records' time inside the bucket
    count       INTEGER NOT NULL,          -- records starting in the bucket
    topNameId   INTEGER NOT NULL,          -- REFERENCES StringIds(id): record covering most of it
    PRIMARY KEY (traceId, trackId, level, bucket)
) WITHOUT ROWID;

CREATE TABLE lwb_trace_summaries (
    traceId     INTEGER PRIMARY KEY,
    summary     TEXT    NOT NULL           -- TraceSummary as JSON
);

-- Top kernels/ops, like `nsys stats --report cuda_gpu_kern_sum` (all groups).
CREATE TABLE lwb_op_summary (
    traceId     INTEGER NOT NULL,
    groupName   TEXT    NOT NULL,          -- gpu_kernel, gpu_graph, cpu_op, memcpy, memset, api, sync
    nameId      INTEGER NOT NULL,          -- REFERENCES StringIds(id)
    instances   INTEGER NOT NULL,
    totalNs     INTEGER NOT NULL,
    avgNs       REAL    NOT NULL,
    medNs       REAL    NOT NULL,
    minNs       INTEGER NOT NULL,
    maxNs       INTEGER NOT NULL,
    stdDevNs    REAL    NOT NULL,
    timePercent REAL    NOT NULL
);
CREATE INDEX lwb_op_summary_trace ON lwb_op_summary(traceId);

CREATE TABLE StringIds (
    id      INTEGER NOT NULL PRIMARY KEY,      -- ID reference value.
    value   TEXT    NOT NULL UNIQUE            -- String value.
);

CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (
    start                   INTEGER NOT NULL,  -- Event start timestamp (ns).
    end                     INTEGER NOT NULL,  -- Event end timestamp (ns).
    deviceId                INTEGER NOT NULL,  -- Device ID (-1: an op on a CPU thread).
    contextId               INTEGER NOT NULL,
    greenContextId          INTEGER,
    streamId                INTEGER NOT NULL,  -- Stream ID (CPU ops: thread).
    correlationId           INTEGER,           -- REFERENCES CUPTI_ACTIVITY_KIND_RUNTIME(correlationId)
    globalPid               INTEGER,
    demangledName           INTEGER NOT NULL,  -- REFERENCES StringIds(id)
    shortName               INTEGER NOT NULL,  -- REFERENCES StringIds(id)
    mangledName             INTEGER,
    launchType              INTEGER,
    cacheConfig             INTEGER,
    registersPerThread      INTEGER NOT NULL,
    gridX                   INTEGER NOT NULL,
    gridY                   INTEGER NOT NULL,
    gridZ                   INTEGER NOT NULL,
    blockX                  INTEGER NOT NULL,
    blockY                  INTEGER NOT NULL,
    blockZ                  INTEGER NOT NULL,
    staticSharedMemory      INTEGER NOT NULL,  -- (B)
    dynamicSharedMemory     INTEGER NOT NULL,  -- (B)
    localMemoryPerThread    INTEGER NOT NULL,
    localMemoryTotal        INTEGER NOT NULL,
    gridId                  INTEGER NOT NULL,
    sharedMemoryExecuted    INTEGER,
    graphNodeId             INTEGER,
    sharedMemoryLimitConfig INTEGER,
    graphId                 INTEGER,
    traceId                 INTEGER NOT NULL,  -- REFERENCES lwb_traces(traceId)
    step                    INTEGER,
    category                INTEGER,           -- lwb::OpCategory of CPU ops
    flops                   REAL,
    opBytes                 INTEGER,
    flags                   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    deviceId        INTEGER NOT NULL,
    contextId       INTEGER NOT NULL,
    greenContextId  INTEGER,
    streamId        INTEGER NOT NULL,
    correlationId   INTEGER,
    globalPid       INTEGER,
    bytes           INTEGER NOT NULL,          -- (B)
    copyKind        INTEGER NOT NULL,          -- ENUM_CUDA_MEMCPY_OPER numbering
    deprecatedSrcId INTEGER,
    srcKind         INTEGER,                   -- ENUM_CUDA_MEM_KIND numbering
    dstKind         INTEGER,
    srcDeviceId     INTEGER,
    srcContextId    INTEGER,
    dstDeviceId     INTEGER,
    dstContextId    INTEGER,
    migrationCause  INTEGER,
    graphNodeId     INTEGER,
    virtualAddress  INTEGER,
    copyCount       INTEGER,
    traceId         INTEGER NOT NULL,
    step            INTEGER,
    nameId          INTEGER,                   -- CPU ops: their name; NULL for CUDA copies
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    deviceId        INTEGER NOT NULL,
    contextId       INTEGER NOT NULL,
    greenContextId  INTEGER,
    streamId        INTEGER NOT NULL,
    correlationId   INTEGER,
    globalPid       INTEGER,
    value           INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    graphNodeId     INTEGER,
    memKind         INTEGER,                   -- ENUM_CUDA_MEM_KIND numbering
    traceId         INTEGER NOT NULL,
    step            INTEGER,
    nameId          INTEGER,
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    eventClass      INTEGER NOT NULL,          -- 0 CUDA runtime, 1 CUDA driver
    globalTid       INTEGER,                   -- pid << 24 | tid
    correlationId   INTEGER,
    nameId          INTEGER NOT NULL,          -- REFERENCES StringIds(id), e.g. cudaLaunchKernel_v7000
    returnValue     INTEGER NOT NULL,
    callchainId     INTEGER,
    traceId         INTEGER NOT NULL,
    cbid            INTEGER,                   -- CUPTI callback id
    externalId      INTEGER,                   -- external correlation id (trial tag)
    step            INTEGER,
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_SYNCHRONIZATION (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    deviceId        INTEGER NOT NULL,
    contextId       INTEGER NOT NULL,
    greenContextId  INTEGER,
    streamId        INTEGER NOT NULL,
    correlationId   INTEGER,
    globalPid       INTEGER,
    syncType        INTEGER NOT NULL,
    eventId         INTEGER NOT NULL,
    traceId         INTEGER NOT NULL,
    step            INTEGER,
    nameId          INTEGER,
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_OVERHEAD (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    eventClass      INTEGER NOT NULL,          -- 103 CUDA overhead
    globalTid       INTEGER,
    correlationId   INTEGER,
    nameId          INTEGER,
    overheadType    INTEGER NOT NULL,          -- ENUM_CUPTI_OVERHEAD_TYPE numbering
    traceId         INTEGER NOT NULL,
    deviceId        INTEGER,                   -- device overheads (globalTid NULL)
    streamId        INTEGER,
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE CUPTI_ACTIVITY_KIND_GRAPH_TRACE (
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    deviceId        INTEGER NOT NULL,
    contextId       INTEGER NOT NULL,
    greenContextId  INTEGER,
    streamId        INTEGER NOT NULL,
    correlationId   INTEGER,
    globalPid       INTEGER,
    graphId         INTEGER NOT NULL,
    graphExecId     INTEGER NOT NULL,
    traceId         INTEGER NOT NULL,
    flags           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE NVTX_EVENTS (
    start           INTEGER NOT NULL,
    end             INTEGER,                   -- NULL for marks
    eventType       INTEGER NOT NULL,          -- 59 push/pop range, 60 start/end range, 34 mark
    rangeId         INTEGER,
    category        INTEGER,
    color           INTEGER,
    text            TEXT,
    globalTid       INTEGER,
    endGlobalTid    INTEGER,
    textId          INTEGER,                   -- REFERENCES StringIds(id)
    domainId        INTEGER,
    traceId         INTEGER NOT NULL,
    step            INTEGER,                   -- steps of the host tracer: category 1
    flags           INTEGER NOT NULL DEFAULT 0
);
)sql";

constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS lwb_kernel_track ON CUPTI_ACTIVITY_KIND_KERNEL(traceId, deviceId, streamId, start);
CREATE INDEX IF NOT EXISTS lwb_memcpy_track ON CUPTI_ACTIVITY_KIND_MEMCPY(traceId, deviceId, streamId, start);
CREATE INDEX IF NOT EXISTS lwb_memset_track ON CUPTI_ACTIVITY_KIND_MEMSET(traceId, deviceId, streamId, start);
CREATE INDEX IF NOT EXISTS lwb_sync_track ON CUPTI_ACTIVITY_KIND_SYNCHRONIZATION(traceId, deviceId, streamId, start);
CREATE INDEX IF NOT EXISTS lwb_graph_track ON CUPTI_ACTIVITY_KIND_GRAPH_TRACE(traceId, deviceId, streamId, start);
CREATE INDEX IF NOT EXISTS lwb_runtime_thread ON CUPTI_ACTIVITY_KIND_RUNTIME(traceId, globalTid, start);
CREATE INDEX IF NOT EXISTS lwb_runtime_correlation ON CUPTI_ACTIVITY_KIND_RUNTIME(traceId, correlationId);
CREATE INDEX IF NOT EXISTS lwb_overhead_thread ON CUPTI_ACTIVITY_KIND_OVERHEAD(traceId, globalTid, start);
CREATE INDEX IF NOT EXISTS lwb_nvtx_thread ON NVTX_EVENTS(traceId, globalTid, start);
)sql";

} // namespace

const study_file::ModuleSchema& TraceStore::schema()
{
    static const study_file::ModuleSchema kSchema {"profiler",
        {{1, "trace tables shaped like the Nsight Systems export, tracks, level of detail, summaries", kSchemaV1, {}}}};
    return kSchema;
}

std::string_view indexSql()
{
    return kIndexes;
}

Table tableOf(RecordKind kind)
{
    switch (kind) {
    case RecordKind::Kernel:
        return Table::Kernel;
    case RecordKind::Memcpy:
        return Table::Memcpy;
    case RecordKind::Memset:
        return Table::Memset;
    case RecordKind::Runtime:
    case RecordKind::Driver:
        return Table::Runtime;
    case RecordKind::Marker:
        return Table::Nvtx;
    case RecordKind::Sync:
        return Table::Sync;
    case RecordKind::Overhead:
        return Table::Overhead;
    case RecordKind::Graph:
        return Table::Graph;
    }
    return Table::Kernel;
}

std::int64_t lodBaseWidth(std::int64_t spanNs)
{
    // ~16k level-0 buckets over the trace, a power of two ns, at least 1 us.
    auto wanted = static_cast<std::uint64_t>(std::max<std::int64_t>(1024, spanNs / 16384));
    return static_cast<std::int64_t>(std::bit_ceil(wanted));
}

} // namespace lwb::profiler
