// Study-file conventions: identity, per-module migrations, and that foreign, corrupt, truncated
// or newer files give clear errors and are left byte-for-byte unchanged.
#include "lwb/core/json_yaml.h"
#include "lwb/core/study_file.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace lwb;

namespace {

study_file::ModuleSchema tunerSchema(int upTo)
{
    study_file::ModuleSchema s {"tuner", {}};
    s.migrations.push_back({1, "trials", "CREATE TABLE tuner_trials(id INTEGER PRIMARY KEY, state TEXT)", {}});
    if (upTo >= 2)
        s.migrations.push_back({2, "add value", "ALTER TABLE tuner_trials ADD COLUMN value REAL", {}});
    if (upTo >= 3)
        s.migrations.push_back({3, "backfill", "", [](sql::Database& db) -> Status {
                                    return db.exec("UPDATE tuner_trials SET value = 0 WHERE value IS NULL");
                                }});
    return s;
}

study_file::ModuleSchema profilerSchema()
{
    return {"profiler", {{1, "records", "CREATE TABLE profiler_records(id INTEGER PRIMARY KEY)", {}}}};
}

std::string fileBytes(const std::filesystem::path& p)
{
    auto text = readTextFile(p);
    return text ? *text : std::string("<unreadable>");
}

/// Schema and rows of a study file, read without writing: equal dumps mean nothing changed
/// (header counters that journal-mode switches bump are not content).
std::string logicalDump(const std::filesystem::path& p)
{
    auto db = sql::Database::open(p, sql::OpenMode::ReadOnly);
    if (!db)
        return "<" + db.error().message + ">";
    std::string out;
    auto rows = db->prepare("SELECT type || ':' || name || ':' || coalesce(sql, '') FROM sqlite_master ORDER BY name");
    while (rows->step().value_or(false))
        out += rows->columnText(0) + "\n";
    auto schema = db->prepare("SELECT module || '=' || version || '@' || updated_at FROM lwb_schema ORDER BY module");
    while (schema && schema->step().value_or(false))
        out += schema->columnText(0) + "\n";
    return out;
}

void writeBytes(const std::filesystem::path& p, const std::string& bytes)
{
    std::ofstream(p, std::ios::binary) << bytes;
}

} // namespace

TEST(StudyFile, NewFileBecomesStudyAndModulesVersionIndependently)
{
    test::TempDir dir;
    auto path = dir / "s.lwb";
    {
        auto db = study_file::open(path, sql::OpenMode::ReadWriteCreate);
        ASSERT_TRUE(db) << db.error().describe();
        EXPECT_EQ(db->queryInt("PRAGMA application_id")->value(), study_file::kApplicationId);
        ASSERT_TRUE(study_file::migrate(*db, tunerSchema(2)));
        ASSERT_TRUE(study_file::migrate(*db, profilerSchema()));
        EXPECT_EQ(*study_file::schemaVersion(*db, "tuner"), 2);
        EXPECT_EQ(*study_file::schemaVersion(*db, "profiler"), 1);
        EXPECT_EQ(*study_file::schemaVersion(*db, "workbench"), 0);
        ASSERT_TRUE(db->exec("INSERT INTO tuner_trials(state, value) VALUES('COMPLETE', 1.5)"));
    }
    // Reopen and upgrade only the tuner; the data and the profiler's version survive.
    auto db = study_file::open(path, sql::OpenMode::ReadWrite);
    ASSERT_TRUE(db) << db.error().describe();
    ASSERT_TRUE(study_file::migrate(*db, tunerSchema(3)));
    EXPECT_EQ(*study_file::schemaVersion(*db, "tuner"), 3);
    EXPECT_EQ(*study_file::schemaVersion(*db, "profiler"), 1);
    EXPECT_EQ(db->queryInt("SELECT count(*) FROM tuner_trials")->value(), 1);
    // Migrating again is a no-op.
    ASSERT_TRUE(study_file::migrate(*db, tunerSchema(3)));
    EXPECT_EQ(*study_file::schemaVersion(*db, "tuner"), 3);
}

TEST(StudyFile, FailedMigrationRollsBackThatStep)
{
    test::TempDir dir;
    auto db = study_file::open(dir / "s.lwb", sql::OpenMode::ReadWriteCreate);
    ASSERT_TRUE(db);
    study_file::ModuleSchema broken {"tuner",
        {{1, "ok", "CREATE TABLE a(x INTEGER)", {}},
            {2, "half-broken", "CREATE TABLE b(x INTEGER); INSERT INTO nowhere VALUES(1)", {}}}};
    Status s = study_file::migrate(*db, broken);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("nowhere"), std::string::npos) << s.error().message;
    EXPECT_EQ(*study_file::schemaVersion(*db, "tuner"), 1);
    EXPECT_TRUE(*db->tableExists("a"));
    EXPECT_FALSE(*db->tableExists("b"));
}

TEST(StudyFile, MigrationsMustBeNumberedWithoutGaps)
{
    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(study_file::initialise(*db));
    study_file::ModuleSchema gap {"x", {{1, "a", "CREATE TABLE a(x)", {}}, {3, "c", "CREATE TABLE c(x)", {}}}};
    Status s = study_file::migrate(*db, gap);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::Internal);
}

TEST(StudyFile, NewerVersionIsRejectedAndFileUnchanged)
{
    test::TempDir dir;
    auto path = dir / "new.lwb";
    {
        auto db = study_file::open(path, sql::OpenMode::ReadWriteCreate);
        ASSERT_TRUE(study_file::migrate(*db, tunerSchema(3)));
        ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE"));
    }
    std::string before = logicalDump(path);
    ASSERT_NE(before.find("tuner=3"), std::string::npos) << before;
    {
        auto db = study_file::open(path, sql::OpenMode::ReadWrite);
        ASSERT_TRUE(db) << db.error().describe();
        Status s = study_file::migrate(*db, tunerSchema(2));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, ErrorCode::VersionTooNew);
        EXPECT_NE(s.error().message.find("version 3"), std::string::npos) << s.error().message;
        EXPECT_NE(s.error().message.find("Upgrade"), std::string::npos);
    }
    {
        auto ro = study_file::open(path, sql::OpenMode::ReadOnly);
        ASSERT_TRUE(ro) << ro.error().describe();
        Status s = study_file::checkReadable(*ro, tunerSchema(2));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, ErrorCode::VersionTooNew);
        EXPECT_TRUE(study_file::checkReadable(*ro, tunerSchema(3)));
        EXPECT_EQ(study_file::checkReadable(*ro, profilerSchema()).error().code, ErrorCode::NotFound);
    }
    EXPECT_TRUE(logicalDump(path) == before) << "the study file was modified";
}

TEST(StudyFile, ForeignSqliteFileIsRejectedUntouched)
{
    test::TempDir dir;
    auto path = dir / "other.sqlite";
    {
        auto db = sql::Database::open(path, sql::OpenMode::ReadWriteCreate);
        ASSERT_TRUE(db->exec("CREATE TABLE people(name TEXT); INSERT INTO people VALUES('ada')"));
    }
    std::string before = fileBytes(path);
    auto db = study_file::open(path, sql::OpenMode::ReadWrite);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, ErrorCode::NotAStudyFile);
    EXPECT_NE(db.error().message.find("people"), std::string::npos) << db.error().message;
    EXPECT_TRUE(fileBytes(path) == before) << "the file was modified";
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(StudyFile, NsightExportIsNotAStudyAndPointsToImport)
{
    std::filesystem::path nsys = std::filesystem::path(LWB_SHARED_DATA_DIR) / "nsys" / "nsight-2025.5.2.sqlite";
    if (!std::filesystem::exists(nsys))
        GTEST_SKIP() << "shared test data not found at " << nsys;
    test::TempDir dir;
    auto copy = dir / "export.sqlite";
    std::filesystem::copy_file(nsys, copy);
    auto db = study_file::open(copy, sql::OpenMode::ReadOnly);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, ErrorCode::NotAStudyFile);
    EXPECT_NE(db.error().message.find("import-nsys"), std::string::npos) << db.error().message;
}

TEST(StudyFile, TextFileIsRejectedUntouched)
{
    test::TempDir dir;
    auto path = dir / "notes.lwb";
    writeBytes(path, "this is a text file, not a database\n");
    auto db = study_file::open(path, sql::OpenMode::ReadWrite);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, ErrorCode::NotAStudyFile);
    EXPECT_NE(db.error().message.find("notes.lwb"), std::string::npos);
    EXPECT_EQ(fileBytes(path), "this is a text file, not a database\n");
}

TEST(StudyFile, TruncatedOrDamagedFileGivesCorruptError)
{
    test::TempDir dir;
    auto path = dir / "s.lwb";
    {
        auto db = study_file::open(path, sql::OpenMode::ReadWriteCreate);
        ASSERT_TRUE(study_file::migrate(*db, tunerSchema(3)));
        ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE"));
    }
    std::string whole = fileBytes(path);
    ASSERT_GT(whole.size(), 4096u);

    auto truncated = dir / "truncated.lwb";
    writeBytes(truncated, whole.substr(0, 100));
    auto a = study_file::open(truncated, sql::OpenMode::ReadWrite);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ErrorCode::Corrupt);
    EXPECT_NE(a.error().message.find("truncated"), std::string::npos) << a.error().message;

    // Page 1 (the schema) overwritten with garbage after the header.
    auto damaged = dir / "damaged.lwb";
    std::string bytes = whole;
    for (std::size_t i = 100; i < 4096; ++i)
        bytes[i] = static_cast<char>(0xA5);
    writeBytes(damaged, bytes);
    auto b = study_file::open(damaged, sql::OpenMode::ReadWrite);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, ErrorCode::Corrupt) << b.error().describe();
    EXPECT_NE(b.error().message.find("damaged"), std::string::npos) << b.error().message;
    EXPECT_TRUE(fileBytes(damaged) == bytes) << "the damaged file was modified";
}

TEST(StudyFile, EmptyFileReadOnlyIsExplained)
{
    test::TempDir dir;
    auto path = dir / "empty.lwb";
    writeBytes(path, "");
    auto db = study_file::open(path, sql::OpenMode::ReadOnly);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, ErrorCode::NotAStudyFile);
    EXPECT_NE(db.error().message.find("empty"), std::string::npos);
}
