// SQLite RAII wrapper: statements, bindings, transactions that roll back unless committed,
// WAL defaults and read-only opens while another connection writes.
#include "lwb/core/sqlite.h"
#include "test_dir.h"

#include <gtest/gtest.h>

using namespace lwb;

TEST(Sqlite, StatementsBindAndReadBack)
{
    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(db) << db.error().describe();
    ASSERT_TRUE(db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, x REAL, b BLOB)"));
    auto insert = db->prepare("INSERT INTO t(name, x, b) VALUES(?1, ?2, ?3)");
    ASSERT_TRUE(insert);
    std::vector<std::uint8_t> blob {1, 2, 3};
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(insert->bind(1, "row" + std::to_string(i)));
        ASSERT_TRUE(insert->bind(2, 0.5 * i));
        ASSERT_TRUE(insert->bindBlob(3, blob));
        ASSERT_TRUE(insert->run());
    }
    EXPECT_EQ(db->lastInsertRowId(), 3);
    auto count = db->queryInt("SELECT count(*) FROM t");
    ASSERT_TRUE(count);
    EXPECT_EQ(count->value(), 3);

    auto select = db->prepare("SELECT name, x, b FROM t WHERE id=?1");
    ASSERT_TRUE(select->bindAll(std::int64_t {2}));
    auto row = select->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(select->columnText(0), "row1");
    EXPECT_DOUBLE_EQ(select->columnDouble(1), 0.5);
    EXPECT_EQ(select->columnBlob(2), blob);
}

TEST(Sqlite, PrepareErrorNamesTheProblem)
{
    auto db = sql::Database::openInMemory();
    auto bad = db->prepare("SELEC nonsense");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::Sqlite);
    EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
}

TEST(Sqlite, ConstraintViolationIsInvalidArgument)
{
    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(db->exec("CREATE TABLE u(k TEXT UNIQUE)"));
    ASSERT_TRUE(db->exec("INSERT INTO u VALUES('a')"));
    Status dup = db->exec("INSERT INTO u VALUES('a')");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::InvalidArgument);
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted)
{
    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(db->exec("CREATE TABLE t(v INTEGER)"));
    {
        auto tx = sql::Transaction::begin(*db);
        ASSERT_TRUE(tx);
        ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)"));
        // no commit: destructor rolls back
    }
    EXPECT_EQ(db->queryInt("SELECT count(*) FROM t")->value(), 0);
    {
        auto tx = sql::Transaction::begin(*db);
        ASSERT_TRUE(db->exec("INSERT INTO t VALUES(2)"));
        ASSERT_TRUE(tx->commit());
    }
    EXPECT_EQ(db->queryInt("SELECT count(*) FROM t")->value(), 1);
    {
        auto tx = sql::Transaction::begin(*db);
        ASSERT_TRUE(db->exec("INSERT INTO t VALUES(3)"));
        ASSERT_TRUE(tx->rollback());
        EXPECT_FALSE(tx->isOpen());
    }
    EXPECT_EQ(db->queryInt("SELECT sum(v) FROM t")->value(), 2);
}

TEST(Sqlite, FileDatabaseUsesWalAndAllowsConcurrentReader)
{
    test::TempDir dir;
    auto writer = sql::Database::open(dir / "w.db", sql::OpenMode::ReadWriteCreate);
    ASSERT_TRUE(writer) << writer.error().describe();
    ASSERT_TRUE(writer->enableWal());
    {
        auto mode = writer->prepare("PRAGMA journal_mode");
        ASSERT_TRUE(mode->step().value());
        EXPECT_EQ(mode->columnText(0), "wal");
    } // an unfinished statement would keep the next autocommit write from committing
    ASSERT_TRUE(writer->exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1)"));

    auto reader = sql::Database::open(dir / "w.db", sql::OpenMode::ReadOnly);
    ASSERT_TRUE(reader) << reader.error().describe();
    EXPECT_TRUE(reader->isReadOnly());
    // A writer holding an open write transaction does not block the WAL reader.
    auto tx = sql::Transaction::begin(*writer);
    ASSERT_TRUE(writer->exec("INSERT INTO t VALUES(2)"));
    EXPECT_EQ(reader->queryInt("SELECT count(*) FROM t")->value(), 1);
    ASSERT_TRUE(tx->commit());
    EXPECT_EQ(reader->queryInt("SELECT count(*) FROM t")->value(), 2);
    // The reader cannot write.
    Status write = reader->exec("INSERT INTO t VALUES(3)");
    ASSERT_FALSE(write);
    EXPECT_EQ(write.error().code, ErrorCode::Io);
}

TEST(Sqlite, MissingFileInReadOnlyModeIsNotFound)
{
    test::TempDir dir;
    auto db = sql::Database::open(dir / "missing.db", sql::OpenMode::ReadOnly);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, ErrorCode::NotFound);
    EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}
