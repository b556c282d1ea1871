// SqliteStorage: studies and trials in a study file (tables prefixed `tuner_`, versioned by core's
// migration runner next to the profiler's and the workbench's tables). Writes are short IMMEDIATE
// transactions, so several processes (and threads) can ask and tell concurrently; a read-only
// storage lets a GUI follow a study while `lwb tune` writes it (WAL).
#pragma once

#include "lwb/core/sqlite.h"
#include "lwb/core/study_file.h"
#include "lwb/tuner/storage.h"

#include <filesystem>
#include <memory>
#include <mutex>

namespace lwb::tuner {

/// How a storage opens its study file.
enum class StorageAccess { ReadWrite, ReadOnly };

/// The tuner's tables and their migrations (module "tuner").
const study_file::ModuleSchema& tunerSchema();

class SqliteStorage final : public Storage {
public:
    /// Opens a study file (ReadWrite creates it when missing and migrates the tuner's tables;
    /// ReadOnly checks they are readable and never writes).
    static Result<std::shared_ptr<SqliteStorage>> open(
        const std::filesystem::path& path, StorageAccess access = StorageAccess::ReadWrite);
    /// Uses an open database that the caller owns and keeps open while the storage lives (and does
    /// not use from another thread meanwhile). Migrates it when it is writable.
    static Result<std::shared_ptr<SqliteStorage>> attach(sql::Database& db);
    /// Takes ownership of an open database.
    static Result<std::shared_ptr<SqliteStorage>> adopt(sql::Database db);

    Result<StudyRecord> createStudy(const std::string& name, const Json& spec) override;
    Result<StudyRecord> loadStudy(const std::string& name) override;
    Result<std::vector<std::string>> studyNames() override;
    Status setStudyAttr(std::int64_t studyId, const std::string& key, const Json& value) override;
    Result<std::optional<Trial>> createTrial(
        std::int64_t studyId, const TrialDraft& draft, std::optional<int> expectedTrialCount) override;
    Result<std::optional<Trial>> claimWaitingTrial(std::int64_t studyId, const std::string& worker) override;
    Status finishTrial(std::int64_t trialId, const TrialOutcome& outcome) override;
    Status setTrialParams(std::int64_t trialId, const Params& params) override;
    Status addIntermediate(std::int64_t trialId, std::int64_t step, double value) override;
    Status setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value) override;
    Result<Trial> trial(std::int64_t trialId) override;
    Result<std::vector<Trial>> trials(std::int64_t studyId) override;
    bool isReadOnly() const override { return m_db->isReadOnly(); }

    /// The underlying connection (for the workbench's own tables in the same file).
    sql::Database& database() { return *m_db; }

private:
    SqliteStorage() = default;
    static Result<std::shared_ptr<SqliteStorage>> make(std::unique_ptr<sql::Database> owned, sql::Database* db);
    Status checkWritable() const;
    Result<std::vector<Trial>> loadTrials(std::string_view where, std::int64_t key);
    Result<Trial> requireRunning(std::int64_t trialId, std::string_view action);
    Status writeParams(std::int64_t trialId, const Params& params);

    std::unique_ptr<sql::Database> m_owned;
    sql::Database* m_db = nullptr;
    std::mutex m_mutex; ///< one connection: calls from several threads are serialised
};

} // namespace lwb::tuner
