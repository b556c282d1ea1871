// SqliteStorage: the tuner's tables in a study file and the Storage contract on them (see
// sqlite_storage.h). Parameters are stored one row each with their native SQLite type and a kind
// ('int', 'float', 'str', 'bool') so plain SQL can query them; JSON only for free-form attributes.
#include "lwb/tuner/sqlite_storage.h"

#include "lwb/core/clock.h"

namespace lwb::tuner {

const study_file::ModuleSchema& tunerSchema()
{
    static const study_file::ModuleSchema schema {"tuner",
        {{1, "studies, trials, parameters, values, intermediate values, attributes",
            R"sql(
CREATE TABLE tuner_studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    created_ns INTEGER NOT NULL
);
CREATE TABLE tuner_study_attrs (
    study_id INTEGER NOT NULL REFERENCES tuner_studies(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (study_id, key)
);
CREATE TABLE tuner_trials (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES tuner_studies(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'FAILED', 'PRUNED')),
    origin TEXT NOT NULL,
    worker TEXT NOT NULL DEFAULT '',
    fail_reason TEXT NOT NULL DEFAULT '',
    created_ns INTEGER NOT NULL,
    started_ns INTEGER NOT NULL DEFAULT 0,
    finished_ns INTEGER NOT NULL DEFAULT 0,
    UNIQUE (study_id, number)
);
CREATE INDEX tuner_trials_by_state ON tuner_trials(study_id, state, number);
CREATE TABLE tuner_trial_params (
    trial_id INTEGER NOT NULL REFERENCES tuner_trials(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('int', 'float', 'str', 'bool')),
    value, -- native type (no affinity); see kind
    PRIMARY KEY (trial_id, name)
);
CREATE TABLE tuner_trial_values (
    trial_id INTEGER NOT NULL REFERENCES tuner_trials(id) ON DELETE CASCADE,
    objective INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (trial_id, objective)
);
CREATE TABLE tuner_trial_constraint_values (
    trial_id INTEGER NOT NULL REFERENCES tuner_trials(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (trial_id, metric)
);
CREATE TABLE tuner_intermediate_values (
    trial_id INTEGER NOT NULL REFERENCES tuner_trials(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (trial_id, step)
);
CREATE TABLE tuner_trial_attrs (
    trial_id INTEGER NOT NULL REFERENCES tuner_trials(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trial_id, key)
);
)sql",
            {}}}};
    return schema;
}

Result<std::shared_ptr<SqliteStorage>> SqliteStorage::make(std::unique_ptr<sql::Database> owned, sql::Database* db)
{
    LWB_RETURN_IF_ERROR(study_file::migrate(*db, tunerSchema()));
    std::shared_ptr<SqliteStorage> storage(new SqliteStorage());
    storage->m_owned = std::move(owned);
    storage->m_db = db;
    return storage;
}

Result<std::shared_ptr<SqliteStorage>> SqliteStorage::open(const std::filesystem::path& path, StorageAccess access)
{
    auto mode = access == StorageAccess::ReadOnly ? sql::OpenMode::ReadOnly : sql::OpenMode::ReadWriteCreate;
    LWB_ASSIGN_OR_RETURN(auto db, study_file::open(path, mode));
    auto owned = std::make_unique<sql::Database>(std::move(db));
    sql::Database* raw = owned.get();
    return make(std::move(owned), raw);
}

Result<std::shared_ptr<SqliteStorage>> SqliteStorage::attach(sql::Database& db)
{
    return make(nullptr, &db);
}

Result<std::shared_ptr<SqliteStorage>> SqliteStorage::adopt(sql::Database db)
{
    auto owned = std::make_unique<sql::Database>(std::move(db));
    sql::Database* raw = owned.get();
    return make(std::move(owned), raw);
}

Status SqliteStorage::checkWritable() const
{
    if (m_db->isReadOnly())
        return fail(
            ErrorCode::Unsupported, "the study file " + m_db->path().string() + " is open read-only", LWB_WHERE);
    return {};
}

namespace {

Status bindParamValue(sql::Statement& stmt, int index, const ParamValue& value)
{
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return stmt.bind(index, *i);
    if (const auto* d = std::get_if<double>(&value))
        return stmt.bind(index, *d);
    if (const auto* b = std::get_if<bool>(&value))
        return stmt.bind(index, std::int64_t {*b ? 1 : 0});
    return stmt.bind(index, std::get<std::string>(value));
}

const char* kindOf(const ParamValue& value)
{
    switch (value.index()) {
    case 0:
        return "int";
    case 1:
        return "float";
    case 2:
        return "str";
    default:
        return "bool";
    }
}

Result<ParamValue> readParamValue(const sql::Statement& stmt, int kindColumn, int valueColumn)
{
    std::string kind = stmt.columnText(kindColumn);
    if (kind == "int")
        return ParamValue(stmt.columnInt(valueColumn));
    if (kind == "float")
        return ParamValue(stmt.columnDouble(valueColumn));
    if (kind == "bool")
        return ParamValue(stmt.columnInt(valueColumn) != 0);
    if (kind == "str")
        return ParamValue(stmt.columnText(valueColumn));
    return fail(ErrorCode::Corrupt, "unknown parameter kind '" + kind + "'", LWB_WHERE);
}

Result<Json> parseStored(const std::string& text)
{
    auto parsed = parseJson(text, "stored JSON");
    if (!parsed)
        return fail(ErrorCode::Corrupt, parsed.error().message, LWB_WHERE);
    return parsed;
}

} // namespace

Result<StudyRecord> SqliteStorage::createStudy(const std::string& name, const Json& spec)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_ASSIGN_OR_RETURN(auto exists, m_db->prepare("SELECT 1 FROM tuner_studies WHERE name=?1"));
    LWB_RETURN_IF_ERROR(exists.bind(1, name));
    LWB_ASSIGN_OR_RETURN(bool taken, exists.step());
    if (taken)
        return fail(ErrorCode::InvalidArgument, "a study named '" + name + "' already exists", LWB_WHERE);
    StudyRecord record;
    record.name = name;
    record.spec = spec;
    record.createdNs = realtimeNs();
    LWB_ASSIGN_OR_RETURN(
        auto insert, m_db->prepare("INSERT INTO tuner_studies(name, spec, created_ns) VALUES(?1, ?2, ?3)"));
    LWB_RETURN_IF_ERROR(insert.bindAll(name, spec.dump(), record.createdNs));
    LWB_RETURN_IF_ERROR(insert.run());
    record.id = m_db->lastInsertRowId();
    LWB_RETURN_IF_ERROR(tx.commit());
    return record;
}

Result<StudyRecord> SqliteStorage::loadStudy(const std::string& name)
{
    std::lock_guard lock(m_mutex);
    LWB_ASSIGN_OR_RETURN(auto stmt, m_db->prepare("SELECT id, spec, created_ns FROM tuner_studies WHERE name=?1"));
    LWB_RETURN_IF_ERROR(stmt.bind(1, name));
    LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row)
        return fail(ErrorCode::NotFound, "no study named '" + name + "' in " + m_db->path().string(), LWB_WHERE);
    StudyRecord record;
    record.id = stmt.columnInt(0);
    record.name = name;
    LWB_ASSIGN_OR_RETURN(record.spec, parseStored(stmt.columnText(1)));
    record.createdNs = stmt.columnInt(2);
    LWB_ASSIGN_OR_RETURN(auto attrs, m_db->prepare("SELECT key, value FROM tuner_study_attrs WHERE study_id=?1"));
    LWB_RETURN_IF_ERROR(attrs.bind(1, record.id));
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool more, attrs.step());
        if (!more)
            break;
        LWB_ASSIGN_OR_RETURN(record.attrs[attrs.columnText(0)], parseStored(attrs.columnText(1)));
    }
    return record;
}

Result<std::vector<std::string>> SqliteStorage::studyNames()
{
    std::lock_guard lock(m_mutex);
    LWB_ASSIGN_OR_RETURN(auto stmt, m_db->prepare("SELECT name FROM tuner_studies ORDER BY id"));
    std::vector<std::string> names;
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
        if (!row)
            break;
        names.push_back(stmt.columnText(0));
    }
    return names;
}

Status SqliteStorage::setStudyAttr(std::int64_t studyId, const std::string& key, const Json& value)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_ASSIGN_OR_RETURN(auto exists, m_db->prepare("SELECT 1 FROM tuner_studies WHERE id=?1"));
    LWB_RETURN_IF_ERROR(exists.bind(1, studyId));
    LWB_ASSIGN_OR_RETURN(bool found, exists.step());
    if (!found)
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto stmt,
        m_db->prepare("INSERT INTO tuner_study_attrs(study_id, key, value) VALUES(?1, ?2, ?3) "
                      "ON CONFLICT(study_id, key) DO UPDATE SET value=excluded.value"));
    LWB_RETURN_IF_ERROR(stmt.bindAll(studyId, key, value.dump()));
    LWB_RETURN_IF_ERROR(stmt.run());
    return tx.commit();
}

Status SqliteStorage::writeParams(std::int64_t trialId, const Params& params)
{
    LWB_ASSIGN_OR_RETURN(auto clear, m_db->prepare("DELETE FROM tuner_trial_params WHERE trial_id=?1"));
    LWB_RETURN_IF_ERROR(clear.bind(1, trialId));
    LWB_RETURN_IF_ERROR(clear.run());
    LWB_ASSIGN_OR_RETURN(auto insert,
        m_db->prepare("INSERT INTO tuner_trial_params(trial_id, name, kind, value) VALUES(?1, ?2, ?3, ?4)"));
    for (const auto& [name, value] : params) {
        LWB_RETURN_IF_ERROR(insert.bindAll(trialId, name, kindOf(value)));
        LWB_RETURN_IF_ERROR(bindParamValue(insert, 4, value));
        LWB_RETURN_IF_ERROR(insert.run());
    }
    return {};
}

Result<std::optional<Trial>> SqliteStorage::createTrial(
    std::int64_t studyId, const TrialDraft& draft, std::optional<int> expectedTrialCount)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    if (draft.state != TrialState::Running && draft.state != TrialState::Waiting && draft.state != TrialState::Complete)
        return fail(ErrorCode::InvalidArgument, "a new trial is RUNNING, WAITING or COMPLETE", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_ASSIGN_OR_RETURN(auto exists, m_db->prepare("SELECT 1 FROM tuner_studies WHERE id=?1"));
    LWB_RETURN_IF_ERROR(exists.bind(1, studyId));
    LWB_ASSIGN_OR_RETURN(bool found, exists.step());
    if (!found)
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto count, m_db->prepare("SELECT count(*) FROM tuner_trials WHERE study_id=?1"));
    LWB_RETURN_IF_ERROR(count.bind(1, studyId));
    LWB_RETURN_IF_ERROR(count.step());
    int number = static_cast<int>(count.columnInt(0));
    if (expectedTrialCount && *expectedTrialCount != number)
        return std::optional<Trial> {};

    Trial t;
    t.number = number;
    t.state = draft.state;
    t.origin = draft.origin;
    t.params = draft.params;
    t.worker = draft.worker;
    t.attrs = draft.attrs;
    t.createdNs = realtimeNs();
    if (draft.state != TrialState::Waiting)
        t.startedNs = t.createdNs;
    if (draft.state == TrialState::Complete) {
        t.values = draft.values;
        t.constraintValues = draft.constraintValues;
        t.finishedNs = t.createdNs;
    }
    LWB_ASSIGN_OR_RETURN(auto insert,
        m_db->prepare("INSERT INTO tuner_trials(study_id, number, state, origin, worker, created_ns, started_ns, "
                      "finished_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    LWB_RETURN_IF_ERROR(insert.bindAll(studyId, t.number, std::string(trialStateName(t.state)),
        std::string(trialOriginName(t.origin)), t.worker, t.createdNs, t.startedNs, t.finishedNs));
    LWB_RETURN_IF_ERROR(insert.run());
    t.id = m_db->lastInsertRowId();
    LWB_RETURN_IF_ERROR(writeParams(t.id, t.params));
    if (!t.values.empty()) {
        LWB_ASSIGN_OR_RETURN(auto values,
            m_db->prepare("INSERT INTO tuner_trial_values(trial_id, objective, value) VALUES(?1, ?2, ?3)"));
        for (std::size_t i = 0; i < t.values.size(); ++i) {
            LWB_RETURN_IF_ERROR(values.bindAll(t.id, static_cast<std::int64_t>(i), t.values[i]));
            LWB_RETURN_IF_ERROR(values.run());
        }
    }
    if (!t.constraintValues.empty()) {
        LWB_ASSIGN_OR_RETURN(auto cv,
            m_db->prepare("INSERT INTO tuner_trial_constraint_values(trial_id, metric, value) VALUES(?1, ?2, ?3)"));
        for (const auto& [metric, value] : t.constraintValues) {
            LWB_RETURN_IF_ERROR(cv.bindAll(t.id, metric, value));
            LWB_RETURN_IF_ERROR(cv.run());
        }
    }
    if (!t.attrs.empty()) {
        LWB_ASSIGN_OR_RETURN(
            auto attrs, m_db->prepare("INSERT INTO tuner_trial_attrs(trial_id, key, value) VALUES(?1, ?2, ?3)"));
        for (const auto& [key, value] : t.attrs) {
            LWB_RETURN_IF_ERROR(attrs.bindAll(t.id, key, value.dump()));
            LWB_RETURN_IF_ERROR(attrs.run());
        }
    }
    LWB_RETURN_IF_ERROR(tx.commit());
    return std::optional<Trial>(std::move(t));
}

Result<std::optional<Trial>> SqliteStorage::claimWaitingTrial(std::int64_t studyId, const std::string& worker)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_ASSIGN_OR_RETURN(auto pick,
        m_db->prepare("SELECT id FROM tuner_trials WHERE study_id=?1 AND state='WAITING' ORDER BY number LIMIT 1"));
    LWB_RETURN_IF_ERROR(pick.bind(1, studyId));
    LWB_ASSIGN_OR_RETURN(bool row, pick.step());
    if (!row)
        return std::optional<Trial> {};
    std::int64_t id = pick.columnInt(0);
    LWB_RETURN_IF_ERROR(pick.reset());
    LWB_ASSIGN_OR_RETURN(
        auto update, m_db->prepare("UPDATE tuner_trials SET state='RUNNING', worker=?2, started_ns=?3 WHERE id=?1"));
    LWB_RETURN_IF_ERROR(update.bindAll(id, worker, realtimeNs()));
    LWB_RETURN_IF_ERROR(update.run());
    LWB_ASSIGN_OR_RETURN(auto loaded, loadTrials("t.id", id));
    LWB_RETURN_IF_ERROR(tx.commit());
    if (loaded.empty())
        return fail(ErrorCode::Internal, "claimed trial vanished", LWB_WHERE);
    return std::optional<Trial>(std::move(loaded.front()));
}

Result<Trial> SqliteStorage::requireRunning(std::int64_t trialId, std::string_view action)
{
    LWB_ASSIGN_OR_RETURN(auto loaded, loadTrials("t.id", trialId));
    if (loaded.empty())
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    Trial& t = loaded.front();
    if (t.state != TrialState::Running)
        return fail(ErrorCode::InvalidArgument,
            "cannot " + std::string(action) + " trial " + std::to_string(t.number) + ": it is "
                + std::string(trialStateName(t.state)) + ", not RUNNING",
            LWB_WHERE);
    return std::move(t);
}

Status SqliteStorage::finishTrial(std::int64_t trialId, const TrialOutcome& outcome)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    if (outcome.state != TrialState::Complete && outcome.state != TrialState::Failed
        && outcome.state != TrialState::Pruned)
        return fail(ErrorCode::InvalidArgument, "a trial finishes as COMPLETE, FAILED or PRUNED", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_RETURN_IF_ERROR(requireRunning(trialId, "finish"));
    LWB_ASSIGN_OR_RETURN(
        auto update, m_db->prepare("UPDATE tuner_trials SET state=?2, fail_reason=?3, finished_ns=?4 WHERE id=?1"));
    LWB_RETURN_IF_ERROR(
        update.bindAll(trialId, std::string(trialStateName(outcome.state)), outcome.failReason, realtimeNs()));
    LWB_RETURN_IF_ERROR(update.run());
    LWB_ASSIGN_OR_RETURN(auto values,
        m_db->prepare("INSERT OR REPLACE INTO tuner_trial_values(trial_id, objective, value) VALUES(?1, ?2, ?3)"));
    for (std::size_t i = 0; i < outcome.values.size(); ++i) {
        LWB_RETURN_IF_ERROR(values.bindAll(trialId, static_cast<std::int64_t>(i), outcome.values[i]));
        LWB_RETURN_IF_ERROR(values.run());
    }
    LWB_ASSIGN_OR_RETURN(auto cv,
        m_db->prepare(
            "INSERT OR REPLACE INTO tuner_trial_constraint_values(trial_id, metric, value) VALUES(?1, ?2, ?3)"));
    for (const auto& [metric, value] : outcome.constraintValues) {
        LWB_RETURN_IF_ERROR(cv.bindAll(trialId, metric, value));
        LWB_RETURN_IF_ERROR(cv.run());
    }
    return tx.commit();
}

Status SqliteStorage::setTrialParams(std::int64_t trialId, const Params& params)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_RETURN_IF_ERROR(requireRunning(trialId, "revise the parameters of"));
    LWB_RETURN_IF_ERROR(writeParams(trialId, params));
    return tx.commit();
}

Status SqliteStorage::addIntermediate(std::int64_t trialId, std::int64_t step, double value)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_RETURN_IF_ERROR(requireRunning(trialId, "report an intermediate value of"));
    LWB_ASSIGN_OR_RETURN(auto stmt,
        m_db->prepare("INSERT OR REPLACE INTO tuner_intermediate_values(trial_id, step, value) VALUES(?1, ?2, ?3)"));
    LWB_RETURN_IF_ERROR(stmt.bindAll(trialId, step, value));
    LWB_RETURN_IF_ERROR(stmt.run());
    return tx.commit();
}

Status SqliteStorage::setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value)
{
    std::lock_guard lock(m_mutex);
    LWB_RETURN_IF_ERROR(checkWritable());
    LWB_ASSIGN_OR_RETURN(auto tx, sql::Transaction::begin(*m_db));
    LWB_ASSIGN_OR_RETURN(auto exists, m_db->prepare("SELECT 1 FROM tuner_trials WHERE id=?1"));
    LWB_RETURN_IF_ERROR(exists.bind(1, trialId));
    LWB_ASSIGN_OR_RETURN(bool found, exists.step());
    if (!found)
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto stmt,
        m_db->prepare("INSERT INTO tuner_trial_attrs(trial_id, key, value) VALUES(?1, ?2, ?3) "
                      "ON CONFLICT(trial_id, key) DO UPDATE SET value=excluded.value"));
    LWB_RETURN_IF_ERROR(stmt.bindAll(trialId, key, value.dump()));
    LWB_RETURN_IF_ERROR(stmt.run());
    return tx.commit();
}

Result<Trial> SqliteStorage::trial(std::int64_t trialId)
{
    std::lock_guard lock(m_mutex);
    LWB_ASSIGN_OR_RETURN(auto loaded, loadTrials("t.id", trialId));
    if (loaded.empty())
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    return std::move(loaded.front());
}

Result<std::vector<Trial>> SqliteStorage::trials(std::int64_t studyId)
{
    std::lock_guard lock(m_mutex);
    // One read transaction: a consistent snapshot while other processes write.
    std::optional<sql::Transaction> tx;
    if (sqlite3_get_autocommit(m_db->handle())) {
        LWB_ASSIGN_OR_RETURN(auto begun, sql::Transaction::begin(*m_db, sql::TransactionKind::Deferred));
        tx.emplace(std::move(begun));
    }
    LWB_ASSIGN_OR_RETURN(auto exists, m_db->prepare("SELECT 1 FROM tuner_studies WHERE id=?1"));
    LWB_RETURN_IF_ERROR(exists.bind(1, studyId));
    LWB_ASSIGN_OR_RETURN(bool found, exists.step());
    if (!found)
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(auto loaded, loadTrials("t.study_id", studyId));
    if (tx)
        LWB_RETURN_IF_ERROR(tx->commit());
    return loaded;
}

Result<std::vector<Trial>> SqliteStorage::loadTrials(std::string_view where, std::int64_t key)
{
    std::string filter = " WHERE " + std::string(where) + "=?1";
    std::vector<Trial> out;
    std::map<std::int64_t, std::size_t> byId;
    LWB_ASSIGN_OR_RETURN(auto trials,
        m_db->prepare("SELECT t.id, t.number, t.state, t.origin, t.worker, t.fail_reason, t.created_ns, "
                      "t.started_ns, t.finished_ns FROM tuner_trials t"
            + filter + " ORDER BY t.number"));
    LWB_RETURN_IF_ERROR(trials.bind(1, key));
    while (true) {
        LWB_ASSIGN_OR_RETURN(bool row, trials.step());
        if (!row)
            break;
        Trial t;
        t.id = trials.columnInt(0);
        t.number = static_cast<int>(trials.columnInt(1));
        LWB_ASSIGN_OR_RETURN(t.state, parseTrialState(trials.columnText(2)));
        LWB_ASSIGN_OR_RETURN(t.origin, parseTrialOrigin(trials.columnText(3)));
        t.worker = trials.columnText(4);
        t.failReason = trials.columnText(5);
        t.createdNs = trials.columnInt(6);
        t.startedNs = trials.columnInt(7);
        t.finishedNs = trials.columnInt(8);
        byId[t.id] = out.size();
        out.push_back(std::move(t));
    }
    if (out.empty())
        return out;
    auto each = [&](const std::string& sql, auto&& fn) -> Status {
        LWB_ASSIGN_OR_RETURN(auto stmt, m_db->prepare(sql + filter));
        LWB_RETURN_IF_ERROR(stmt.bind(1, key));
        while (true) {
            LWB_ASSIGN_OR_RETURN(bool row, stmt.step());
            if (!row)
                break;
            auto it = byId.find(stmt.columnInt(0));
            if (it != byId.end())
                LWB_RETURN_IF_ERROR(fn(out[it->second], stmt));
        }
        return {};
    };
    LWB_RETURN_IF_ERROR(each("SELECT p.trial_id, p.name, p.kind, p.value FROM tuner_trial_params p JOIN tuner_trials t "
                             "ON t.id=p.trial_id",
        [](Trial& t, sql::Statement& s) -> Status {
            LWB_ASSIGN_OR_RETURN(t.params[s.columnText(1)], readParamValue(s, 2, 3));
            return {};
        }));
    LWB_RETURN_IF_ERROR(each("SELECT v.trial_id, v.objective, v.value FROM tuner_trial_values v JOIN tuner_trials t "
                             "ON t.id=v.trial_id",
        [](Trial& t, sql::Statement& s) -> Status {
            auto index = static_cast<std::size_t>(s.columnInt(1));
            if (t.values.size() <= index)
                t.values.resize(index + 1, std::nan(""));
            t.values[index] = s.columnOptionalDouble(2).value_or(std::nan(""));
            return {};
        }));
    LWB_RETURN_IF_ERROR(each("SELECT c.trial_id, c.metric, c.value FROM tuner_trial_constraint_values c JOIN "
                             "tuner_trials t ON t.id=c.trial_id",
        [](Trial& t, sql::Statement& s) -> Status {
            t.constraintValues[s.columnText(1)] = s.columnOptionalDouble(2).value_or(std::nan(""));
            return {};
        }));
    LWB_RETURN_IF_ERROR(each("SELECT i.trial_id, i.step, i.value FROM tuner_intermediate_values i JOIN tuner_trials t "
                             "ON t.id=i.trial_id",
        [](Trial& t, sql::Statement& s) -> Status {
            t.intermediate[s.columnInt(1)] = s.columnOptionalDouble(2).value_or(std::nan(""));
            return {};
        }));
    LWB_RETURN_IF_ERROR(each("SELECT a.trial_id, a.key, a.value FROM tuner_trial_attrs a JOIN tuner_trials t "
                             "ON t.id=a.trial_id",
        [](Trial& t, sql::Statement& s) -> Status {
            LWB_ASSIGN_OR_RETURN(t.attrs[s.columnText(1)], parseStored(s.columnText(2)));
            return {};
        }));
    return out;
}

} // namespace lwb::tuner
