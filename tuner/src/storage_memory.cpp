// InMemoryStorage: studies and trials in process memory behind one mutex (see storage.h).
#include "lwb/core/clock.h"
#include "lwb/tuner/storage.h"

#include <unistd.h>

namespace lwb::tuner {

std::string currentWorkerName()
{
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    return std::string(host) + ":" + std::to_string(::getpid());
}

Result<StudyRecord> InMemoryStorage::createStudy(const std::string& name, const Json& spec)
{
    std::lock_guard lock(m_mutex);
    for (const auto& s : m_studies) {
        if (s.name == name)
            return fail(ErrorCode::InvalidArgument, "a study named '" + name + "' already exists", LWB_WHERE);
    }
    StudyRecord record;
    record.id = static_cast<std::int64_t>(m_studies.size()) + 1;
    record.name = name;
    record.spec = spec;
    record.createdNs = realtimeNs();
    m_studies.push_back(record);
    m_trials[record.id];
    return record;
}

Result<StudyRecord> InMemoryStorage::loadStudy(const std::string& name)
{
    std::lock_guard lock(m_mutex);
    for (const auto& s : m_studies) {
        if (s.name == name)
            return s;
    }
    return fail(ErrorCode::NotFound, "no study named '" + name + "'", LWB_WHERE);
}

Result<std::vector<std::string>> InMemoryStorage::studyNames()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> names;
    for (const auto& s : m_studies)
        names.push_back(s.name);
    return names;
}

Status InMemoryStorage::setStudyAttr(std::int64_t studyId, const std::string& key, const Json& value)
{
    std::lock_guard lock(m_mutex);
    if (studyId < 1 || studyId > static_cast<std::int64_t>(m_studies.size()))
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    m_studies[static_cast<std::size_t>(studyId - 1)].attrs[key] = value;
    return {};
}

Result<std::optional<Trial>> InMemoryStorage::createTrial(
    std::int64_t studyId, const TrialDraft& draft, std::optional<int> expectedTrialCount)
{
    std::lock_guard lock(m_mutex);
    auto it = m_trials.find(studyId);
    if (it == m_trials.end())
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    auto& list = it->second;
    if (expectedTrialCount && *expectedTrialCount != static_cast<int>(list.size()))
        return std::optional<Trial> {};
    if (draft.state != TrialState::Running && draft.state != TrialState::Waiting && draft.state != TrialState::Complete)
        return fail(ErrorCode::InvalidArgument, "a new trial is RUNNING, WAITING or COMPLETE", LWB_WHERE);
    Trial t;
    t.id = m_nextTrialId++;
    t.number = static_cast<int>(list.size());
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
    m_index[t.id] = {studyId, list.size()};
    list.push_back(t);
    return std::optional<Trial>(t);
}

Result<std::optional<Trial>> InMemoryStorage::claimWaitingTrial(std::int64_t studyId, const std::string& worker)
{
    std::lock_guard lock(m_mutex);
    auto it = m_trials.find(studyId);
    if (it == m_trials.end())
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    for (auto& t : it->second) {
        if (t.state == TrialState::Waiting) {
            t.state = TrialState::Running;
            t.worker = worker;
            t.startedNs = realtimeNs();
            return std::optional<Trial>(t);
        }
    }
    return std::optional<Trial> {};
}

Result<Trial*> InMemoryStorage::runningTrial(std::int64_t trialId, std::string_view action)
{
    auto it = m_index.find(trialId);
    if (it == m_index.end())
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    Trial& t = m_trials[it->second.first][it->second.second];
    if (t.state != TrialState::Running)
        return fail(ErrorCode::InvalidArgument,
            "cannot " + std::string(action) + " trial " + std::to_string(t.number) + ": it is "
                + std::string(trialStateName(t.state)) + ", not RUNNING",
            LWB_WHERE);
    return &t;
}

Status InMemoryStorage::finishTrial(std::int64_t trialId, const TrialOutcome& outcome)
{
    std::lock_guard lock(m_mutex);
    if (outcome.state != TrialState::Complete && outcome.state != TrialState::Failed
        && outcome.state != TrialState::Pruned)
        return fail(ErrorCode::InvalidArgument, "a trial finishes as COMPLETE, FAILED or PRUNED", LWB_WHERE);
    LWB_ASSIGN_OR_RETURN(Trial * t, runningTrial(trialId, "finish"));
    t->state = outcome.state;
    t->values = outcome.values;
    t->constraintValues = outcome.constraintValues;
    t->failReason = outcome.failReason;
    t->finishedNs = realtimeNs();
    return {};
}

Status InMemoryStorage::setTrialParams(std::int64_t trialId, const Params& params)
{
    std::lock_guard lock(m_mutex);
    LWB_ASSIGN_OR_RETURN(Trial * t, runningTrial(trialId, "revise the parameters of"));
    t->params = params;
    return {};
}

Status InMemoryStorage::addIntermediate(std::int64_t trialId, std::int64_t step, double value)
{
    std::lock_guard lock(m_mutex);
    LWB_ASSIGN_OR_RETURN(Trial * t, runningTrial(trialId, "report an intermediate value of"));
    t->intermediate[step] = value;
    return {};
}

Status InMemoryStorage::setTrialAttr(std::int64_t trialId, const std::string& key, const Json& value)
{
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(trialId);
    if (it == m_index.end())
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    m_trials[it->second.first][it->second.second].attrs[key] = value;
    return {};
}

Result<Trial> InMemoryStorage::trial(std::int64_t trialId)
{
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(trialId);
    if (it == m_index.end())
        return fail(ErrorCode::NotFound, "no trial with id " + std::to_string(trialId), LWB_WHERE);
    return m_trials[it->second.first][it->second.second];
}

Result<std::vector<Trial>> InMemoryStorage::trials(std::int64_t studyId)
{
    std::lock_guard lock(m_mutex);
    auto it = m_trials.find(studyId);
    if (it == m_trials.end())
        return fail(ErrorCode::NotFound, "no study with id " + std::to_string(studyId), LWB_WHERE);
    return it->second;
}

} // namespace lwb::tuner
