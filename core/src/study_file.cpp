// Study-file identity checks and the per-module migration runner (see study_file.h).
#include "lwb/core/study_file.h"

#include <fstream>

namespace lwb::study_file {
namespace {

    constexpr const char* kSchemaTable = "CREATE TABLE IF NOT EXISTS lwb_schema ("
                                         " module TEXT PRIMARY KEY,"
                                         " version INTEGER NOT NULL,"
                                         " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))";

    /// Reads the first bytes of a file to tell "not SQLite at all" from "truncated SQLite".
    Status checkHeader(const std::filesystem::path& path)
    {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return fail(ErrorCode::Io, "cannot read " + path.string(), LWB_WHERE);
        char header[16] = {};
        in.read(header, sizeof header);
        auto got = in.gcount();
        if (got == 0)
            return {}; // empty file: a new study
        static constexpr char kMagic[16] = "SQLite format 3";
        if (got < 16 || std::string_view(header, 16) != std::string_view(kMagic, 16))
            return fail(ErrorCode::NotAStudyFile,
                path.string() + " is not a Lepton Workbench study file (not an SQLite database)", LWB_WHERE);
        std::error_code ec;
        auto size = std::filesystem::file_size(path, ec);
        if (!ec && size < 512)
            return fail(ErrorCode::Corrupt, path.string() + " is truncated (" + std::to_string(size) + " bytes)",
                LWB_WHERE);
        return {};
    }

    Result<std::vector<std::string>> userTables(sql::Database& db)
    {
        LWB_ASSIGN_OR_RETURN(auto stmt,
            db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"));
        std::vector<std::string> names;
        while (true) {
            LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
            if (!row)
                break;
            names.push_back(stmt.columnText(0));
        }
        return names;
    }

    Status rewordCorrupt(Status status, const std::filesystem::path& path)
    {
        if (status || status.error().code != ErrorCode::Corrupt)
            return status;
        return fail(ErrorCode::Corrupt, path.string() + " is damaged: " + status.error().message, status.error().where);
    }

} // namespace

Status initialise(sql::Database& db)
{
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(db));
    LWB_RETURN_IF_ERROR(db.exec("PRAGMA application_id=" + std::to_string(kApplicationId)));
    LWB_RETURN_IF_ERROR(db.exec(kSchemaTable));
    return tx.commit();
}

Result<sql::Database> open(const std::filesystem::path& path, sql::OpenMode mode)
{
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && std::filesystem::is_regular_file(path, ec))
        LWB_RETURN_IF_ERROR(checkHeader(path));

    auto opened = sql::Database::open(path, mode);
    if (!opened) {
        Error error = std::move(opened).error();
        if (error.code == ErrorCode::NotAStudyFile)
            error.message = path.string() + " is not a Lepton Workbench study file: " + error.message;
        else if (error.code == ErrorCode::Corrupt)
            error.message = path.string() + " is damaged: " + error.message;
        return fail(std::move(error));
    }
    sql::Database db = std::move(opened).value();

    auto appId = db.queryInt("PRAGMA application_id");
    if (!appId)
        return fail(rewordCorrupt(Status(fail(std::move(appId).error())), path).error());
    LWB_ASSIGN_OR_RETURN(auto tables, userTables(db));
    bool isStudy = appId->value_or(0) == kApplicationId;
    bool isEmpty = tables.empty() && appId->value_or(0) == 0;

    if (!isStudy && !isEmpty) {
        std::string list;
        for (std::size_t i = 0; i < tables.size() && i < 5; ++i)
            list += (i ? ", " : "") + tables[i];
        if (tables.size() > 5)
            list += ", ...";
        return fail(ErrorCode::NotAStudyFile,
            path.string() + " is an SQLite database of another application, not a Lepton Workbench study file"
                + (list.empty() ? std::string() : " (tables: " + list + ")")
                + "; use `lwb import-nsys` for Nsight Systems exports",
            LWB_WHERE);
    }
    if (mode == sql::OpenMode::ReadOnly) {
        if (isEmpty)
            return fail(ErrorCode::NotAStudyFile, path.string() + " is empty: no study has been written to it yet",
                LWB_WHERE);
        return db;
    }
    LWB_RETURN_IF_ERROR(rewordCorrupt(db.enableWal(), path));
    if (isEmpty)
        LWB_RETURN_IF_ERROR(initialise(db));
    return db;
}

Result<int> schemaVersion(sql::Database& db, std::string_view module)
{
    LWB_ASSIGN_OR_RETURN(bool hasTable, db.tableExists("lwb_schema"));
    if (!hasTable)
        return 0;
    LWB_ASSIGN_OR_RETURN(auto stmt, db.prepare("SELECT version FROM lwb_schema WHERE module=?1"));
    LWB_RETURN_IF_ERROR(stmt.bind(1, module));
    LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
    return row ? static_cast<int>(stmt.columnInt(0)) : 0;
}

static Status checkMigrationList(const ModuleSchema& schema)
{
    for (std::size_t i = 0; i < schema.migrations.size(); ++i) {
        if (schema.migrations[i].version != static_cast<int>(i) + 1)
            return fail(ErrorCode::Internal,
                "migrations of module '" + schema.module + "' must be numbered 1, 2, ... without gaps", LWB_WHERE);
    }
    return {};
}

static Error tooNew(const ModuleSchema& schema, int found)
{
    return Error {ErrorCode::VersionTooNew,
        "the study file holds '" + schema.module + "' tables of version " + std::to_string(found)
            + ", written by a newer Lepton Workbench; this build reads up to version "
            + std::to_string(schema.latestVersion()) + ". Upgrade lwb to open it.",
        LWB_WHERE};
}

Status migrate(sql::Database& db, const ModuleSchema& schema)
{
    LWB_RETURN_IF_ERROR(checkMigrationList(schema));
    if (db.isReadOnly())
        return checkReadable(db, schema);
    LWB_ASSIGN_OR_RETURN(bool hasTable, db.tableExists("lwb_schema"));
    if (!hasTable)
        LWB_RETURN_IF_ERROR(initialise(db));
    LWB_ASSIGN_OR_RETURN(int current, schemaVersion(db, schema.module));
    if (current > schema.latestVersion())
        return fail(tooNew(schema, current));
    for (const Migration& migration : schema.migrations) {
        if (migration.version <= current)
            continue;
        LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(db));
        // Re-read inside the write lock: another process may have migrated meanwhile.
        LWB_ASSIGN_OR_RETURN(int locked, schemaVersion(db, schema.module));
        if (locked >= migration.version)
            continue;
        if (!migration.sql.empty())
            LWB_RETURN_IF_ERROR(db.exec(migration.sql));
        if (migration.apply)
            LWB_RETURN_IF_ERROR(migration.apply(db));
        LWB_ASSIGN_OR_RETURN(auto upsert,
            db.prepare("INSERT INTO lwb_schema(module, version) VALUES(?1, ?2) ON CONFLICT(module) DO UPDATE SET "
                       "version=excluded.version, updated_at=strftime('%Y-%m-%dT%H:%M:%fZ','now')"));
        LWB_RETURN_IF_ERROR(upsert.bindAll(schema.module, migration.version));
        LWB_RETURN_IF_ERROR(upsert.run());
        LWB_RETURN_IF_ERROR(tx.commit());
    }
    return {};
}

Status checkReadable(sql::Database& db, const ModuleSchema& schema)
{
    LWB_ASSIGN_OR_RETURN(int current, schemaVersion(db, schema.module));
    if (current == 0)
        return fail(ErrorCode::NotFound, "the study file has no '" + schema.module + "' tables", LWB_WHERE);
    if (current > schema.latestVersion())
        return fail(tooNew(schema, current));
    if (current < schema.latestVersion())
        return fail(ErrorCode::Unsupported,
            "the study file holds '" + schema.module + "' tables of version " + std::to_string(current)
                + " (older than this build's " + std::to_string(schema.latestVersion())
                + "); open it read-write once to upgrade it",
            LWB_WHERE);
    return {};
}

} // namespace lwb::study_file
