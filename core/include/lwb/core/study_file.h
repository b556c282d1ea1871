// Study files: one SQLite file per study, shared by several modules (tuner, profiler, workbench).
// Each module versions its own tables in `lwb_schema(module, version)` through a migration
// runner, so the tuner's and the profiler's tables evolve independently in one file.
// Opening a file that is not a study file, is corrupt, or was written by a newer version fails
// with a clear error and changes nothing.
#pragma once

#include "lwb/core/result.h"
#include "lwb/core/sqlite.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lwb::study_file {

/// SQLite `PRAGMA application_id` of study files ("LWB1").
inline constexpr int kApplicationId = 0x4C574231;

/// One step from version-1 to version of a module's tables.
struct Migration {
    int version = 0;
    std::string description;
    /// SQL run inside the migration's transaction (may hold several statements).
    std::string sql;
    /// Optional code run after `sql` in the same transaction (for data migrations).
    std::function<Status(sql::Database&)> apply;
};

/// The tables of one module: its name and ordered migrations (versions 1, 2, ... without gaps).
struct ModuleSchema {
    std::string module;
    std::vector<Migration> migrations;

    int latestVersion() const { return migrations.empty() ? 0 : migrations.back().version; }
};

/// Opens (and with ReadWriteCreate, creates) a study file and checks it is one: an empty or new
/// file becomes a study file; an SQLite file of another application, a non-database file or a
/// corrupt file is rejected before anything is written. Read-write opens use WAL.
Result<sql::Database> open(const std::filesystem::path& path, sql::OpenMode mode);

/// Marks a fresh (e.g. in-memory) database as a study file: application id and lwb_schema table.
Status initialise(sql::Database& db);

/// The version of a module's tables in this file; 0 when the module has none yet.
Result<int> schemaVersion(sql::Database& db, std::string_view module);

/// Brings a module's tables to its latest version, one transaction per migration. Fails with
/// VersionTooNew (changing nothing) when the file holds a newer version than this build knows.
Status migrate(sql::Database& db, const ModuleSchema& schema);

/// For read-only viewers: succeeds when this build can read the module's tables as they are
/// (present and not newer); NotFound when the module has no tables in the file.
Status checkReadable(sql::Database& db, const ModuleSchema& schema);

} // namespace lwb::study_file
