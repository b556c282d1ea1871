// One contract test suite for every Storage (in-memory and SQLite), plus SQLite specifics: tables in
// a study file through the migration runner, read-only viewers, concurrent writers.
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/storage.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

using namespace lwb;
using namespace lwb::tuner;

namespace {

enum class Kind { Memory, Sqlite };

class StorageContract : public ::testing::TestWithParam<Kind> {
protected:
    void SetUp() override
    {
        if (GetParam() == Kind::Memory) {
            m_storage = std::make_shared<InMemoryStorage>();
        } else {
            auto opened = SqliteStorage::open(m_dir / "study.lwb");
            ASSERT_TRUE(opened) << opened.error().describe();
            m_storage = *opened;
        }
        auto study = m_storage->createStudy("s", Json {{"k", 1}});
        ASSERT_TRUE(study);
        m_studyId = study->id;
    }

    Trial create(TrialState state = TrialState::Running, Params params = {{"x", 0.5}})
    {
        TrialDraft draft;
        draft.state = state;
        draft.params = std::move(params);
        draft.worker = "host:1";
        auto created = m_storage->createTrial(m_studyId, draft, std::nullopt);
        EXPECT_TRUE(created);
        return **created;
    }

    test::TempDir m_dir;
    std::shared_ptr<Storage> m_storage;
    std::int64_t m_studyId = 0;
};

} // namespace

TEST_P(StorageContract, StudiesByName)
{
    auto again = m_storage->createStudy("s", Json::object());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);
    auto loaded = m_storage->loadStudy("s");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->id, m_studyId);
    EXPECT_EQ(loaded->spec, (Json {{"k", 1}}));
    auto missing = m_storage->loadStudy("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    ASSERT_TRUE(m_storage->createStudy("t", Json::object()));
    EXPECT_EQ(*m_storage->studyNames(), (std::vector<std::string> {"s", "t"}));
    ASSERT_TRUE(m_storage->setStudyAttr(m_studyId, "note", "hello"));
    ASSERT_TRUE(m_storage->setStudyAttr(m_studyId, "note", "again"));
    EXPECT_EQ(m_storage->loadStudy("s")->attrs.at("note"), "again");
}

TEST_P(StorageContract, TrialsAreNumberedAndRoundTripEveryField)
{
    Params params {{"i", std::int64_t {-7}}, {"f", 0.125}, {"s", "bf16"}, {"b", true}, {"n", std::int64_t {16}}};
    Trial a = create(TrialState::Running, params);
    Trial b = create(TrialState::Running);
    EXPECT_EQ(a.number, 0);
    EXPECT_EQ(b.number, 1);
    EXPECT_NE(a.id, b.id);
    ASSERT_TRUE(m_storage->addIntermediate(a.id, 1, 0.5));
    ASSERT_TRUE(m_storage->addIntermediate(a.id, 2, 0.25));
    ASSERT_TRUE(m_storage->addIntermediate(a.id, 2, 0.2)); // a repeated step overwrites
    ASSERT_TRUE(m_storage->setTrialAttr(a.id, "summary", Json {{"median_ms", 3.5}}));
    TrialOutcome outcome;
    outcome.values = {1.5, -2.0};
    outcome.constraintValues = {{"p99", 19.5}};
    ASSERT_TRUE(m_storage->finishTrial(a.id, outcome));
    auto loaded = m_storage->trial(a.id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state, TrialState::Complete);
    EXPECT_EQ(loaded->params, params);
    EXPECT_TRUE(std::holds_alternative<bool>(loaded->params.at("b")));
    EXPECT_TRUE(std::holds_alternative<std::int64_t>(loaded->params.at("n")));
    EXPECT_EQ(loaded->values, (std::vector<double> {1.5, -2.0}));
    EXPECT_EQ(loaded->constraintValues.at("p99"), 19.5);
    EXPECT_EQ(loaded->intermediate, (std::map<std::int64_t, double> {{1, 0.5}, {2, 0.2}}));
    EXPECT_EQ(loaded->attrs.at("summary")["median_ms"], 3.5);
    EXPECT_EQ(loaded->worker, "host:1");
    EXPECT_GT(loaded->finishedNs, 0);
    auto all = m_storage->trials(m_studyId);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[1].state, TrialState::Running);
}

TEST_P(StorageContract, StateMachineRejectsInvalidTransitions)
{
    Trial t = create();
    TrialOutcome failed;
    failed.state = TrialState::Failed;
    failed.failReason = "out of memory";
    ASSERT_TRUE(m_storage->finishTrial(t.id, failed));
    EXPECT_EQ(m_storage->trial(t.id)->failReason, "out of memory");
    auto again = m_storage->finishTrial(t.id, TrialOutcome {});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(m_storage->addIntermediate(t.id, 1, 1.0));
    EXPECT_FALSE(m_storage->setTrialParams(t.id, {{"x", 0.1}}));
    TrialOutcome running;
    running.state = TrialState::Running;
    Trial u = create();
    EXPECT_FALSE(m_storage->finishTrial(u.id, running));
    Trial w = create(TrialState::Waiting);
    EXPECT_FALSE(m_storage->finishTrial(w.id, TrialOutcome {}));
    auto missing = m_storage->finishTrial(123456, TrialOutcome {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_P(StorageContract, WaitingTrialsAreClaimedOnceInOrder)
{
    Trial first = create(TrialState::Waiting, {{"x", 0.1}});
    create(TrialState::Running);
    Trial second = create(TrialState::Waiting, {{"x", 0.2}});
    auto a = m_storage->claimWaitingTrial(m_studyId, "w1");
    auto b = m_storage->claimWaitingTrial(m_studyId, "w2");
    auto c = m_storage->claimWaitingTrial(m_studyId, "w3");
    ASSERT_TRUE(a && b && c);
    ASSERT_TRUE(a->has_value() && b->has_value());
    EXPECT_FALSE(c->has_value());
    EXPECT_EQ((*a)->id, first.id);
    EXPECT_EQ((*a)->state, TrialState::Running);
    EXPECT_EQ((*a)->worker, "w1");
    EXPECT_EQ((*b)->id, second.id);
}

TEST_P(StorageContract, ExpectedCountDetectsConcurrentInserts)
{
    create();
    TrialDraft draft;
    draft.params = {{"x", 0.3}};
    auto stale = m_storage->createTrial(m_studyId, draft, 0);
    ASSERT_TRUE(stale);
    EXPECT_FALSE(stale->has_value());
    auto fresh = m_storage->createTrial(m_studyId, draft, 1);
    ASSERT_TRUE(fresh);
    ASSERT_TRUE(fresh->has_value());
    EXPECT_EQ((*fresh)->number, 1);
}

TEST_P(StorageContract, CompleteDraftsKeepTheirValues)
{
    TrialDraft draft;
    draft.state = TrialState::Complete;
    draft.origin = TrialOrigin::WarmStart;
    draft.params = {{"x", 0.7}};
    draft.values = {3.0};
    draft.constraintValues = {{"mem", 1.0}};
    draft.attrs = {{"warm_start_from", 4}};
    auto created = m_storage->createTrial(m_studyId, draft, std::nullopt);
    ASSERT_TRUE(created);
    auto t = m_storage->trial((*created)->id);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->origin, TrialOrigin::WarmStart);
    EXPECT_EQ(t->values, (std::vector<double> {3.0}));
    EXPECT_EQ(t->constraintValues.at("mem"), 1.0);
    EXPECT_EQ(t->attrs.at("warm_start_from"), 4);
}

TEST_P(StorageContract, RevisedParamsReplaceTheOldOnes)
{
    Trial t = create(TrialState::Running, {{"x", 0.5}, {"y", std::int64_t {2}}});
    ASSERT_TRUE(m_storage->setTrialParams(t.id, {{"x", 0.25}}));
    EXPECT_EQ(m_storage->trial(t.id)->params, (Params {{"x", 0.25}}));
}

TEST_P(StorageContract, ConcurrentThreadsGetDistinctNumbers)
{
    std::vector<std::thread> threads;
    std::atomic<int> failures {0};
    for (int w = 0; w < 4; ++w) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                TrialDraft draft;
                draft.params = {{"x", 0.1 * i}};
                auto created = m_storage->createTrial(m_studyId, draft, std::nullopt);
                if (!created || !created->has_value() || !m_storage->finishTrial((**created).id, TrialOutcome {}))
                    ++failures;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    auto all = m_storage->trials(m_studyId);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 40u);
    for (std::size_t i = 0; i < all->size(); ++i)
        EXPECT_EQ((*all)[i].number, static_cast<int>(i));
}

INSTANTIATE_TEST_SUITE_P(Storages, StorageContract, ::testing::Values(Kind::Memory, Kind::Sqlite),
    [](const auto& paramInfo) { return paramInfo.param == Kind::Memory ? "InMemory" : "Sqlite"; });

// ---- SQLite specifics ----

TEST(SqliteStorage, TablesLiveInAStudyFileWithTheirVersion)
{
    test::TempDir dir;
    auto storage = SqliteStorage::open(dir / "x.lwb");
    ASSERT_TRUE(storage);
    auto& db = (*storage)->database();
    EXPECT_EQ(*study_file::schemaVersion(db, "tuner"), tunerSchema().latestVersion());
    for (const char* table : {"tuner_studies", "tuner_trials", "tuner_trial_params", "tuner_trial_values",
             "tuner_trial_constraint_values", "tuner_intermediate_values", "tuner_trial_attrs", "tuner_study_attrs"})
        EXPECT_TRUE(*db.tableExists(table)) << table;
    // Parameters are plain SQL values.
    auto study = (*storage)->createStudy("s", Json::object());
    TrialDraft draft;
    draft.params = {{"batch_size", std::int64_t {64}}, {"precision", "bf16"}};
    ASSERT_TRUE((*storage)->createTrial(study->id, draft, std::nullopt));
    auto value = db.queryInt("SELECT value FROM tuner_trial_params WHERE name='batch_size'");
    ASSERT_TRUE(value);
    EXPECT_EQ(value->value_or(0), 64);
}

TEST(SqliteStorage, ReadOnlyViewerSeesWritesAndCannotWrite)
{
    test::TempDir dir;
    auto writer = SqliteStorage::open(dir / "live.lwb");
    ASSERT_TRUE(writer);
    auto study = (*writer)->createStudy("s", Json::object());
    ASSERT_TRUE(study);
    auto viewer = SqliteStorage::open(dir / "live.lwb", StorageAccess::ReadOnly);
    ASSERT_TRUE(viewer) << viewer.error().describe();
    EXPECT_TRUE((*viewer)->isReadOnly());
    EXPECT_EQ((*viewer)->trials(study->id)->size(), 0u);
    TrialDraft draft;
    draft.params = {{"x", 1.0}};
    ASSERT_TRUE((*writer)->createTrial(study->id, draft, std::nullopt));
    EXPECT_EQ((*viewer)->trials(study->id)->size(), 1u); // follows the writer live (WAL)
    auto denied = (*viewer)->createStudy("t", Json::object());
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, ErrorCode::Unsupported);
}

TEST(SqliteStorage, ReadOnlyOpenOfAFileWithoutTunerTablesFails)
{
    test::TempDir dir;
    {
        auto db = study_file::open(dir / "empty.lwb", sql::OpenMode::ReadWriteCreate);
        ASSERT_TRUE(db);
    }
    auto viewer = SqliteStorage::open(dir / "empty.lwb", StorageAccess::ReadOnly);
    ASSERT_FALSE(viewer);
    EXPECT_EQ(viewer.error().code, ErrorCode::NotFound);
}

TEST(SqliteStorage, SeveralConnectionsWriteConcurrently)
{
    test::TempDir dir;
    auto first = SqliteStorage::open(dir / "shared.lwb");
    ASSERT_TRUE(first);
    auto study = (*first)->createStudy("s", Json::object());
    ASSERT_TRUE(study);
    std::vector<std::thread> threads;
    std::atomic<int> failures {0};
    for (int w = 0; w < 3; ++w) {
        threads.emplace_back([&, w] {
            auto own = SqliteStorage::open(dir / "shared.lwb"); // its own connection, like another process
            if (!own) {
                ++failures;
                return;
            }
            for (int i = 0; i < 10; ++i) {
                TrialDraft draft;
                draft.params = {{"w", std::int64_t {w}}};
                auto created = (*own)->createTrial(study->id, draft, std::nullopt);
                if (!created || !(*own)->finishTrial((**created).id, TrialOutcome {}))
                    ++failures;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    auto all = (*first)->trials(study->id);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 30u);
    std::set<int> numbers;
    for (const auto& t : *all)
        numbers.insert(t.number);
    EXPECT_EQ(numbers.size(), 30u);
}

TEST(SqliteStorage, AttachUsesTheCallersDatabase)
{
    test::TempDir dir;
    auto db = study_file::open(dir / "shared.lwb", sql::OpenMode::ReadWriteCreate);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE workbench_runs(id INTEGER PRIMARY KEY)"));
    auto storage = SqliteStorage::attach(*db);
    ASSERT_TRUE(storage);
    ASSERT_TRUE((*storage)->createStudy("s", Json::object()));
    EXPECT_TRUE(*db->tableExists("workbench_runs"));
    EXPECT_TRUE(*db->tableExists("tuner_trials"));
}
