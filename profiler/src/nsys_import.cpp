// readNsysExport(): checks the file (SQLite header, size against the header's page count, the
// META_DATA_EXPORT table, schema major 3), then reads each activity table that exists (nsys writes
// only tables with rows). globalTid = vmId << 48 | pid << 24 | tid is decoded into process and
// thread; enum columns already use the numbering our records use.
#include "lwb/profiler/nsys_import.h"

#include "lwb/core/sqlite.h"

#include <fstream>
#include <unordered_map>
#include <unordered_set>

namespace lwb::profiler {
namespace {

std::uint32_t pidOf(std::int64_t global)
{
    return static_cast<std::uint32_t>((global >> 24) & 0xFFFFFF);
}
std::uint32_t tidOf(std::int64_t global)
{
    return static_cast<std::uint32_t>(global & 0xFFFFFF);
}

/// Rejects non-SQLite and truncated files before SQLite sees them.
Status checkFile(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file: " + path.string(), LWB_WHERE);
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::InvalidArgument, path.string() + " is not a file", LWB_WHERE);
    auto size = std::filesystem::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    unsigned char header[100] = {};
    in.read(reinterpret_cast<char*>(header), sizeof header);
    auto got = static_cast<std::size_t>(in.gcount());
    static constexpr char kMagic[16] = "SQLite format 3";
    if (got < 16 || std::string_view(reinterpret_cast<char*>(header), 16) != std::string_view(kMagic, 16))
        return fail(ErrorCode::InvalidArgument,
            path.string()
                + " is not an Nsight Systems SQLite export (not an SQLite database; make one with `nsys export "
                  "--type sqlite report.nsys-rep`)",
            LWB_WHERE);
    if (got < 100)
        return fail(
            ErrorCode::Corrupt, path.string() + " is truncated (" + std::to_string(size) + " bytes)", LWB_WHERE);
    auto be32 = [&](int at) {
        return std::uint32_t {header[at]} << 24 | std::uint32_t {header[at + 1]} << 16
            | std::uint32_t {header[at + 2]} << 8 | header[at + 3];
    };
    std::uint64_t pageSize = (std::uint32_t {header[16]} << 8) | header[17];
    if (pageSize == 1)
        pageSize = 65536;
    std::uint64_t pages = be32(28);
    // The in-header page count is valid when the change counter matches "version-valid-for".
    if (pages > 0 && be32(24) == be32(92) && size < pages * pageSize)
        return fail(ErrorCode::Corrupt,
            path.string() + " is truncated: " + std::to_string(size) + " bytes of " + std::to_string(pages * pageSize),
            LWB_WHERE);
    return {};
}

/// Rewords SQLite failures while reading the export.
Error readError(const std::filesystem::path& path, std::string_view table, Error error)
{
    if (error.code == ErrorCode::Corrupt || error.code == ErrorCode::NotAStudyFile)
        error.message
            = path.string() + " is damaged or truncated (reading " + std::string(table) + "): " + error.message;
    else if (error.message.find("no such column") != std::string::npos)
        error = Error {ErrorCode::Unsupported,
            path.string() + ": table " + std::string(table) + " lacks a column this importer needs (" + error.message
                + "); the export's schema is not supported",
            error.where};
    else
        error.message = path.string() + " (" + std::string(table) + "): " + error.message;
    return error;
}

class Importer {
public:
    Importer(sql::Database& db, std::filesystem::path path)
        : m_db(db)
        , m_path(std::move(path))
    {
    }

    Status loadStrings()
    {
        LWB_ASSIGN_OR_RETURN(bool has, m_db.tableExists("StringIds"));
        if (!has)
            return {};
        return each("StringIds", "SELECT id, value FROM StringIds", [&](sql::Statement& s) -> Status {
            m_strings[s.columnInt(0)] = trace.strings.intern(s.columnText(1));
            return {};
        });
    }

    StringId str(const sql::Statement& s, int column)
    {
        if (s.isNull(column))
            return 0;
        auto it = m_strings.find(s.columnInt(column));
        return it == m_strings.end() ? 0 : it->second;
    }

    /// Runs `sql` over a table when it exists, calling `row` per result row.
    template <typename F> Status each(std::string_view table, const std::string& sql, F&& row)
    {
        auto exists = m_db.tableExists(table);
        if (!exists)
            return fail(readError(m_path, table, std::move(exists).error()));
        if (!*exists)
            return {};
        auto stmt = m_db.prepare(sql);
        if (!stmt)
            return fail(readError(m_path, table, std::move(stmt).error()));
        while (true) {
            auto more = stmt->step();
            if (!more)
                return fail(readError(m_path, table, std::move(more).error()));
            if (!*more)
                break;
            LWB_RETURN_IF_ERROR(row(*stmt));
        }
        return {};
    }

    void device(ActivityRecord& r, const sql::Statement& s, int first)
    {
        // start, end, deviceId, contextId, streamId, correlationId, globalPid at columns 0..6.
        r.start = s.columnInt(0);
        r.end = s.columnInt(1);
        r.device = static_cast<std::int32_t>(s.columnInt(first));
        r.context = static_cast<std::uint32_t>(s.columnInt(first + 1));
        r.stream = static_cast<std::uint32_t>(s.columnInt(first + 2));
        r.correlationId = static_cast<std::uint32_t>(s.columnInt(first + 3));
        r.processId = pidOf(s.columnInt(first + 4));
        m_pids.insert(r.processId);
        trace.trackNames.try_emplace({r.device, r.stream}, defaultTrackName({r.device, r.stream}));
    }

    void hostThread(ActivityRecord& r, std::int64_t global)
    {
        r.device = kHostDevice;
        r.processId = pidOf(global);
        r.stream = tidOf(global);
        m_threads.emplace(global, TrackKey {kHostDevice, r.stream});
        m_pids.insert(r.processId);
    }

    Status readAll()
    {
        const std::string d = "start, end, deviceId, contextId, streamId, correlationId, globalPid";
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_KERNEL",
            "SELECT " + d
                + ", demangledName, shortName, launchType, registersPerThread, gridX, gridY, gridZ, blockX, blockY, "
                  "blockZ, staticSharedMemory, dynamicSharedMemory, graphId, graphNodeId FROM "
                  "CUPTI_ACTIVITY_KIND_KERNEL ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Kernel;
                device(r, s, 2);
                r.name = str(s, 7);
                r.shortName = str(s, 8);
                r.launchType = static_cast<std::uint8_t>(s.columnInt(9));
                r.registersPerThread = static_cast<std::int32_t>(s.columnInt(10));
                r.gridX = static_cast<std::int32_t>(s.columnInt(11));
                r.gridY = static_cast<std::int32_t>(s.columnInt(12));
                r.gridZ = static_cast<std::int32_t>(s.columnInt(13));
                r.blockX = static_cast<std::int32_t>(s.columnInt(14));
                r.blockY = static_cast<std::int32_t>(s.columnInt(15));
                r.blockZ = static_cast<std::int32_t>(s.columnInt(16));
                r.staticSharedMemory = static_cast<std::int32_t>(s.columnInt(17));
                r.dynamicSharedMemory = static_cast<std::int32_t>(s.columnInt(18));
                r.graphId = static_cast<std::uint32_t>(s.columnInt(19));
                r.graphNodeId = static_cast<std::uint64_t>(s.columnInt(20));
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_MEMCPY",
            "SELECT " + d
                + ", bytes, copyKind, srcKind, dstKind, graphNodeId FROM CUPTI_ACTIVITY_KIND_MEMCPY ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Memcpy;
                r.category = OpCategory::Memcpy;
                device(r, s, 2);
                r.bytes = s.columnInt(7);
                r.copyKind = static_cast<std::uint8_t>(s.columnInt(8));
                r.srcKind = static_cast<std::uint8_t>(s.isNull(9) ? 7 : s.columnInt(9));
                r.dstKind = static_cast<std::uint8_t>(s.isNull(10) ? 7 : s.columnInt(10));
                r.graphNodeId = static_cast<std::uint64_t>(s.columnInt(11));
                r.name = r.shortName = trace.strings.intern(memcpyName(static_cast<CopyKind>(r.copyKind)));
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_MEMSET",
            "SELECT " + d + ", value, bytes, memKind, graphNodeId FROM CUPTI_ACTIVITY_KIND_MEMSET ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Memset;
                r.category = OpCategory::Memset;
                device(r, s, 2);
                r.value = static_cast<std::int32_t>(s.columnInt(7));
                r.bytes = s.columnInt(8);
                r.memoryKind = static_cast<std::uint8_t>(s.isNull(9) ? 7 : s.columnInt(9));
                r.graphNodeId = static_cast<std::uint64_t>(s.columnInt(10));
                r.name = r.shortName = trace.strings.intern("[CUDA memset]");
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_RUNTIME",
            "SELECT start, end, eventClass, globalTid, correlationId, nameId, returnValue FROM "
            "CUPTI_ACTIVITY_KIND_RUNTIME ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = s.columnInt(2) == 1 ? RecordKind::Driver : RecordKind::Runtime;
                r.category = OpCategory::Runtime;
                r.start = s.columnInt(0);
                r.end = s.columnInt(1);
                hostThread(r, s.columnInt(3));
                r.correlationId = static_cast<std::uint32_t>(s.columnInt(4));
                r.name = r.shortName = str(s, 5);
                r.returnValue = static_cast<std::int32_t>(s.columnInt(6));
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_SYNCHRONIZATION",
            "SELECT " + d + ", syncType, eventId FROM CUPTI_ACTIVITY_KIND_SYNCHRONIZATION ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Sync;
                r.category = OpCategory::Sync;
                device(r, s, 2);
                r.syncType = static_cast<std::uint8_t>(s.columnInt(7));
                r.value = static_cast<std::int32_t>(static_cast<std::uint32_t>(s.columnInt(8)));
                r.name = r.shortName = trace.strings.intern(syncName(r.syncType));
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_OVERHEAD",
            "SELECT start, end, globalTid, correlationId, nameId, overheadType FROM CUPTI_ACTIVITY_KIND_OVERHEAD "
            "ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Overhead;
                r.category = OpCategory::Other;
                r.start = s.columnInt(0);
                r.end = s.columnInt(1);
                hostThread(r, s.columnInt(2));
                r.correlationId = static_cast<std::uint32_t>(s.columnInt(3));
                r.name = r.shortName = str(s, 4);
                r.overheadType = static_cast<std::uint8_t>(s.columnInt(5));
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("CUPTI_ACTIVITY_KIND_GRAPH_TRACE",
            "SELECT " + d + ", graphId, graphExecId FROM CUPTI_ACTIVITY_KIND_GRAPH_TRACE ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Graph;
                device(r, s, 2);
                r.graphId = static_cast<std::uint32_t>(s.columnInt(7));
                r.graphNodeId = static_cast<std::uint64_t>(s.columnInt(8));
                r.name = r.shortName = trace.strings.intern("[CUDA graph " + std::to_string(r.graphId) + "]");
                trace.records.push_back(r);
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("NVTX_EVENTS",
            "SELECT start, end, eventType, globalTid, text, textId FROM NVTX_EVENTS WHERE eventType IN (34, 59, 60) "
            "ORDER BY start",
            [&](sql::Statement& s) -> Status {
                ActivityRecord r;
                r.kind = RecordKind::Marker;
                r.category = OpCategory::Other;
                r.start = s.columnInt(0);
                r.end = s.isNull(1) ? r.start : s.columnInt(1);
                if (s.isNull(1) || s.columnInt(2) == 34)
                    r.flags |= kInstant;
                hostThread(r, s.columnInt(3));
                r.name = r.shortName = s.isNull(5) ? trace.strings.intern(s.columnText(4)) : str(s, 5);
                trace.records.push_back(r);
                return {};
            }));
        return names();
    }

    Status names()
    {
        LWB_RETURN_IF_ERROR(
            each("ThreadNames", "SELECT globalTid, nameId FROM ThreadNames", [&](sql::Statement& s) -> Status {
                auto it = m_threads.find(s.columnInt(0));
                if (it != m_threads.end()) {
                    std::string name = trace.strings[str(s, 1)];
                    trace.trackNames[it->second] = (name.empty() ? std::string("thread") : name) + " (tid "
                        + std::to_string(it->second.stream) + ")";
                }
                return {};
            }));
        LWB_RETURN_IF_ERROR(each("PROCESSES", "SELECT pid, name FROM PROCESSES", [&](sql::Statement& s) -> Status {
            if (trace.processName.empty() && m_pids.count(static_cast<std::uint32_t>(s.columnInt(0))))
                trace.processName = s.columnText(1) + " (pid " + std::to_string(s.columnInt(0)) + ")";
            return {};
        }));
        return each("TARGET_INFO_SESSION_START_TIME", "SELECT utcEpochNs FROM TARGET_INFO_SESSION_START_TIME",
            [&](sql::Statement& s) -> Status {
                trace.utcEpochNs = s.columnInt(0);
                return {};
            });
    }

    static const char* syncName(std::uint8_t type)
    {
        switch (type) {
        case 1:
            return "[CUDA event synchronize]";
        case 2:
            return "[CUDA stream wait event]";
        case 3:
            return "[CUDA stream synchronize]";
        case 4:
            return "[CUDA context synchronize]";
        default:
            return "[CUDA synchronize]";
        }
    }

    Trace trace;

private:
    sql::Database& m_db;
    std::filesystem::path m_path;
    std::unordered_map<std::int64_t, StringId> m_strings;
    std::unordered_map<std::int64_t, TrackKey> m_threads;
    std::unordered_set<std::uint32_t> m_pids;
};

} // namespace

Result<Trace> readNsysExport(const std::filesystem::path& path, NsysExportInfo* info)
{
    LWB_RETURN_IF_ERROR(checkFile(path));
    auto opened = sql::Database::open(path, sql::OpenMode::ReadOnly);
    if (!opened)
        return fail(readError(path, "sqlite_master", std::move(opened).error()));
    sql::Database db = std::move(opened).value();

    auto hasMeta = db.tableExists("META_DATA_EXPORT");
    if (!hasMeta)
        return fail(readError(path, "sqlite_master", std::move(hasMeta).error()));
    if (!*hasMeta)
        return fail(ErrorCode::InvalidArgument,
            path.string() + " is an SQLite database but not an Nsight Systems export (no META_DATA_EXPORT table)",
            LWB_WHERE);
    NsysExportInfo meta;
    Importer importer(db, path);
    LWB_RETURN_IF_ERROR(
        importer.each("META_DATA_EXPORT", "SELECT name, value FROM META_DATA_EXPORT", [&](sql::Statement& s) -> Status {
            std::string name = s.columnText(0);
            if (name == "EXPORT_SCHEMA_VERSION")
                meta.schemaVersion = s.columnText(1);
            else if (name == "EXPORT_PRODUCT_VERSION")
                meta.productVersion = s.columnText(1);
            return {};
        }));
    if (meta.schemaVersion.empty())
        return fail(ErrorCode::Corrupt, path.string() + ": META_DATA_EXPORT has no EXPORT_SCHEMA_VERSION", LWB_WHERE);
    if (meta.schemaVersion.substr(0, meta.schemaVersion.find('.')) != "3")
        return fail(ErrorCode::Unsupported,
            path.string() + " has export schema " + meta.schemaVersion + "; this importer reads schema 3.x", LWB_WHERE);
    LWB_RETURN_IF_ERROR(importer.loadStrings());
    LWB_RETURN_IF_ERROR(importer.readAll());
    Trace trace = std::move(importer.trace);
    trace.source = "nsys-import";
    trace.sessionStartNs = 0;
    trace.sortByStart();
    if (info)
        *info = meta;
    return trace;
}

} // namespace lwb::profiler
