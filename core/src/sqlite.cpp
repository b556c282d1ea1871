// SQLite RAII implementation (see sqlite.h): error mapping, open modes, statements, transactions.
#include "lwb/core/sqlite.h"

#include <system_error>

namespace lwb::sql {

Error sqliteError(sqlite3* db, int rc, std::string_view what, std::string where)
{
    int primary = rc & 0xff;
    ErrorCode code = ErrorCode::Sqlite;
    switch (primary) {
    case SQLITE_NOTADB: code = ErrorCode::NotAStudyFile; break;
    case SQLITE_CORRUPT: code = ErrorCode::Corrupt; break;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM: code = ErrorCode::Io; break;
    case SQLITE_CANTOPEN: code = ErrorCode::NotFound; break;
    case SQLITE_NOMEM: code = ErrorCode::OutOfMemory; break;
    case SQLITE_INTERRUPT: code = ErrorCode::Cancelled; break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: code = ErrorCode::InvalidArgument; break;
    default: break;
    }
    std::string message = (db && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (primary == SQLITE_NOTADB)
        message = "file is not an SQLite database (or is encrypted or damaged)";
    else if (primary == SQLITE_FULL)
        message = "disk full: " + message;
    std::string text = message;
    if (!what.empty()) {
        text += " [";
        text += what;
        text += "]";
    }
    return Error {code, std::move(text), std::move(where)};
}

// ---- Statement ----

Status Statement::bind(int index, std::int64_t value)
{
    LWB_CHECK_SQLITE(m_db, sqlite3_bind_int64(m_stmt.get(), index, value));
    return {};
}

Status Statement::bind(int index, double value)
{
    LWB_CHECK_SQLITE(m_db, sqlite3_bind_double(m_stmt.get(), index, value));
    return {};
}

Status Statement::bind(int index, std::string_view text)
{
    LWB_CHECK_SQLITE(m_db,
        sqlite3_bind_text64(m_stmt.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return {};
}

Status Statement::bindBlob(int index, std::span<const std::uint8_t> bytes)
{
    LWB_CHECK_SQLITE(m_db, sqlite3_bind_blob64(m_stmt.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return {};
}

Status Statement::bindNull(int index)
{
    LWB_CHECK_SQLITE(m_db, sqlite3_bind_null(m_stmt.get(), index));
    return {};
}

Result<bool> Statement::step()
{
    int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return fail(sqliteError(m_db, rc, sqlite3_sql(m_stmt.get()), LWB_WHERE));
}

Status Statement::run()
{
    while (true) {
        auto row = step();
        if (!row) {
            sqlite3_reset(m_stmt.get());
            return fail(std::move(row).error());
        }
        if (!*row)
            break;
    }
    return reset();
}

Status Statement::reset()
{
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
    return {};
}

int Statement::columnCount() const { return sqlite3_column_count(m_stmt.get()); }
bool Statement::isNull(int column) const { return sqlite3_column_type(m_stmt.get(), column) == SQLITE_NULL; }
std::int64_t Statement::columnInt(int column) const { return sqlite3_column_int64(m_stmt.get(), column); }
double Statement::columnDouble(int column) const { return sqlite3_column_double(m_stmt.get(), column); }

std::string Statement::columnText(int column) const
{
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt.get(), column));
    if (!text)
        return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt.get(), column)));
}

std::vector<std::uint8_t> Statement::columnBlob(int column) const
{
    auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_stmt.get(), column));
    int size = sqlite3_column_bytes(m_stmt.get(), column);
    if (!data || size <= 0)
        return {};
    return std::vector<std::uint8_t>(data, data + size);
}

std::optional<std::int64_t> Statement::columnOptionalInt(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return columnInt(column);
}

std::optional<double> Statement::columnOptionalDouble(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return columnDouble(column);
}

std::string Statement::columnName(int column) const
{
    const char* name = sqlite3_column_name(m_stmt.get(), column);
    return name ? name : "";
}

// ---- Database ----

Result<Database> Database::open(const std::filesystem::path& path, OpenMode mode)
{
    std::error_code ec;
    bool exists = std::filesystem::exists(path, ec);
    if (mode != OpenMode::ReadWriteCreate && !exists)
        return fail(ErrorCode::NotFound, "no such file: " + path.string(), LWB_WHERE);
    if (exists && std::filesystem::is_directory(path, ec))
        return fail(ErrorCode::InvalidArgument, path.string() + " is a directory, not a study file", LWB_WHERE);

    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
    case OpenMode::ReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case OpenMode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenMode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db;
    db.m_db.reset(raw);
    db.m_path = path;
    db.m_readOnly = mode == OpenMode::ReadOnly;
    if (rc != SQLITE_OK)
        return fail(sqliteError(raw, rc, "open " + path.string(), LWB_WHERE));
    sqlite3_extended_result_codes(raw, 1);
    LWB_RETURN_IF_ERROR(db.setBusyTimeout(10000));
    // Touch the schema now so that a non-database file fails here with a clear message.
    LWB_RETURN_IF_ERROR(db.exec("SELECT count(*) FROM sqlite_master"));
    if (!db.m_readOnly)
        LWB_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys=ON"));
    return db;
}

Result<Database> Database::openInMemory()
{
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Database db;
    db.m_db.reset(raw);
    if (rc != SQLITE_OK)
        return fail(sqliteError(raw, rc, "open :memory:", LWB_WHERE));
    sqlite3_extended_result_codes(raw, 1);
    LWB_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys=ON"));
    return db;
}

Status Database::setBusyTimeout(int milliseconds)
{
    LWB_CHECK_SQLITE(m_db.get(), sqlite3_busy_timeout(m_db.get(), milliseconds));
    return {};
}

Status Database::enableWal()
{
    if (m_readOnly || m_path.empty())
        return {};
    LWB_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));
    return exec("PRAGMA synchronous=NORMAL");
}

Status Database::exec(std::string_view sql)
{
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string detail = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        Error error = sqliteError(m_db.get(), rc, text.size() > 120 ? text.substr(0, 120) + "..." : text, LWB_WHERE);
        if ((rc & 0xff) != SQLITE_NOTADB && (rc & 0xff) != SQLITE_FULL)
            error.message = detail + " [" + (text.size() > 120 ? text.substr(0, 120) + "..." : text) + "]";
        return fail(std::move(error));
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql)
{
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
        nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return fail(sqliteError(m_db.get(), rc, sql, LWB_WHERE));
    }
    return Statement(m_db.get(), stmt);
}

Result<std::optional<std::int64_t>> Database::queryInt(std::string_view sql)
{
    LWB_ASSIGN_OR_RETURN(auto stmt, prepare(sql));
    LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row)
        return std::optional<std::int64_t> {};
    return stmt.columnOptionalInt(0);
}

Result<bool> Database::tableExists(std::string_view table)
{
    LWB_ASSIGN_OR_RETURN(auto stmt, prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1"));
    LWB_RETURN_IF_ERROR(stmt.bind(1, table));
    return stmt.step();
}

std::int64_t Database::lastInsertRowId() const { return sqlite3_last_insert_rowid(m_db.get()); }
int Database::changes() const { return sqlite3_changes(m_db.get()); }

// ---- Transaction ----

Result<Transaction> Transaction::begin(Database& db, TransactionKind kind)
{
    LWB_RETURN_IF_ERROR(db.exec(kind == TransactionKind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
    return Transaction(&db);
}

Transaction::~Transaction()
{
    if (m_db)
        (void)rollback();
}

Status Transaction::commit()
{
    if (!m_db)
        return fail(ErrorCode::Internal, "commit of a transaction that is not open", LWB_WHERE);
    Status status = m_db->exec("COMMIT");
    if (!status) {
        (void)rollback();
        return status;
    }
    m_db = nullptr;
    return {};
}

Status Transaction::rollback()
{
    if (!m_db)
        return {};
    Database* db = std::exchange(m_db, nullptr);
    if (sqlite3_get_autocommit(db->handle()))
        return {}; // SQLite already rolled back (e.g. after SQLITE_FULL)
    return db->exec("ROLLBACK");
}

} // namespace lwb::sql
