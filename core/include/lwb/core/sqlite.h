// RAII wrapper over the SQLite C API: Database, Statement, Transaction.
// Defaults for study files: WAL journal, synchronous=NORMAL, a busy timeout so a GUI reading
// while `lwb tune` writes never sees "database is locked", foreign keys on.
#pragma once

#include "lwb/core/result.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::sql {

/// How to open a database file.
enum class OpenMode {
    ReadWriteCreate, ///< create the file when missing
    ReadWrite, ///< the file must exist
    ReadOnly, ///< viewers: never writes, works while another process writes (WAL)
};

/// Maps an SQLite result code to an Error with the database's message.
Error sqliteError(sqlite3* db, int rc, std::string_view what, std::string where);

/// Fails the enclosing function when an sqlite3_* call returns neither OK, ROW nor DONE.
#define LWB_CHECK_SQLITE(db, expr)                                                                                     \
    do {                                                                                                               \
        int lwbRc_ = (expr);                                                                                           \
        if (lwbRc_ != SQLITE_OK && lwbRc_ != SQLITE_ROW && lwbRc_ != SQLITE_DONE)                                      \
            return ::lwb::fail(::lwb::sql::sqliteError((db), lwbRc_, #expr, LWB_WHERE));                              \
    } while (0)

class Database;

/// A prepared statement. Bind indices start at 1, column indices at 0 (as in SQLite).
class Statement {
public:
    Statement() = default;

    Status bind(int index, std::int64_t value);
    Status bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Status bind(int index, double value);
    Status bind(int index, std::string_view text);
    Status bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Status bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    Status bindBlob(int index, std::span<const std::uint8_t> bytes);
    Status bindNull(int index);
    template <typename T>
    Status bind(int index, const std::optional<T>& value)
    {
        return value ? bind(index, *value) : bindNull(index);
    }
    /// Binds all arguments to parameters 1..N.
    template <typename... Args>
    Status bindAll(const Args&... args)
    {
        int index = 0;
        Status status;
        ((status.isOk() ? (status = bind(++index, args), 0) : 0), ...);
        return status;
    }

    /// Advances: true when a row is available, false when done.
    Result<bool> step();
    /// Steps until done (for INSERT/UPDATE/DDL), then resets so the statement can be reused.
    Status run();
    /// Resets the statement and clears its bindings.
    Status reset();

    int columnCount() const;
    bool isNull(int column) const;
    std::int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string columnText(int column) const;
    std::vector<std::uint8_t> columnBlob(int column) const;
    std::optional<std::int64_t> columnOptionalInt(int column) const;
    std::optional<double> columnOptionalDouble(int column) const;
    std::string columnName(int column) const;

    sqlite3_stmt* handle() const { return m_stmt.get(); }
    explicit operator bool() const { return m_stmt != nullptr; }

private:
    friend class Database;
    struct Finalizer {
        void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
    };
    Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) { }
    sqlite3* m_db = nullptr;
    std::unique_ptr<sqlite3_stmt, Finalizer> m_stmt;
};

/// An open SQLite connection (move-only; closes on destruction).
class Database {
public:
    Database() = default;

    /// Opens a file with the workbench defaults (WAL unless read-only, busy timeout 10 s).
    static Result<Database> open(const std::filesystem::path& path, OpenMode mode);
    /// A private in-memory database (tests, in-memory storages).
    static Result<Database> openInMemory();

    /// Executes one or more statements without results.
    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);
    /// First column of the first row as an integer (e.g. `SELECT count(*) ...`), nullopt when no row.
    Result<std::optional<std::int64_t>> queryInt(std::string_view sql);
    Result<bool> tableExists(std::string_view table);

    std::int64_t lastInsertRowId() const;
    int changes() const;
    bool isReadOnly() const { return m_readOnly; }
    const std::filesystem::path& path() const { return m_path; }
    sqlite3* handle() const { return m_db.get(); }
    explicit operator bool() const { return m_db != nullptr; }
    /// Sets the busy timeout (ms) other writers are waited for.
    Status setBusyTimeout(int milliseconds);
    /// Switches the journal to WAL with synchronous=NORMAL (no-op for read-only and in-memory).
    Status enableWal();

private:
    struct Closer {
        void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
    };
    std::unique_ptr<sqlite3, Closer> m_db;
    std::filesystem::path m_path;
    bool m_readOnly = false;
};

/// When a transaction takes the write lock.
enum class TransactionKind { Deferred, Immediate };

/// A transaction that rolls back unless commit() succeeded.
class Transaction {
public:
    static Result<Transaction> begin(Database& db, TransactionKind kind = TransactionKind::Immediate);
    Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) { }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    ~Transaction();

    Status commit();
    /// Rolls back now (also what the destructor does for an uncommitted transaction).
    Status rollback();
    bool isOpen() const { return m_db != nullptr; }

private:
    explicit Transaction(Database* db) : m_db(db) { }
    Database* m_db = nullptr;
};

} // namespace lwb::sql
