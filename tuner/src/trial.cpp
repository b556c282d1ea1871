// Trial states and origins: names, parsing and JSON (see trial.h).
#include "lwb/tuner/trial.h"

namespace lwb::tuner {

std::string_view trialStateName(TrialState state)
{
    switch (state) {
    case TrialState::Waiting:
        return "WAITING";
    case TrialState::Running:
        return "RUNNING";
    case TrialState::Complete:
        return "COMPLETE";
    case TrialState::Failed:
        return "FAILED";
    case TrialState::Pruned:
        return "PRUNED";
    }
    return "?";
}

Result<TrialState> parseTrialState(std::string_view text)
{
    for (auto s :
        {TrialState::Waiting, TrialState::Running, TrialState::Complete, TrialState::Failed, TrialState::Pruned}) {
        if (trialStateName(s) == text)
            return s;
    }
    return fail(ErrorCode::Corrupt, "unknown trial state '" + std::string(text) + "'", LWB_WHERE);
}

std::string_view trialOriginName(TrialOrigin origin)
{
    switch (origin) {
    case TrialOrigin::Sampler:
        return "sampler";
    case TrialOrigin::Enqueued:
        return "enqueued";
    case TrialOrigin::Requeued:
        return "requeued";
    case TrialOrigin::WarmStart:
        return "warm_start";
    }
    return "?";
}

Result<TrialOrigin> parseTrialOrigin(std::string_view text)
{
    for (auto o : {TrialOrigin::Sampler, TrialOrigin::Enqueued, TrialOrigin::Requeued, TrialOrigin::WarmStart}) {
        if (trialOriginName(o) == text)
            return o;
    }
    return fail(ErrorCode::Corrupt, "unknown trial origin '" + std::string(text) + "'", LWB_WHERE);
}

Json trialToJson(const Trial& t)
{
    Json j;
    j["id"] = t.id;
    j["number"] = t.number;
    j["state"] = std::string(trialStateName(t.state));
    j["origin"] = std::string(trialOriginName(t.origin));
    j["params"] = paramsToJson(t.params);
    j["values"] = t.values;
    j["constraint_values"] = t.constraintValues;
    Json intermediate = Json::object();
    for (const auto& [step, value] : t.intermediate)
        intermediate[std::to_string(step)] = value;
    j["intermediate"] = intermediate;
    j["attrs"] = t.attrs;
    if (!t.failReason.empty())
        j["fail_reason"] = t.failReason;
    j["worker"] = t.worker;
    j["created_ns"] = t.createdNs;
    j["started_ns"] = t.startedNs;
    j["finished_ns"] = t.finishedNs;
    return j;
}

} // namespace lwb::tuner
