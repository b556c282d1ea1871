// Trials: one configuration of a study and what became of it. State machine:
//   WAITING (enqueued) -> RUNNING (asked) -> COMPLETE | FAILED | PRUNED.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/param.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner {

enum class TrialState { Waiting, Running, Complete, Failed, Pruned };
/// Where a trial's configuration came from.
enum class TrialOrigin {
    Sampler, ///< proposed by the study's sampler
    Enqueued, ///< given by the user (baseline, manual try)
    Requeued, ///< re-run of a trial interrupted by a killed worker
    WarmStart, ///< copied from another study: seen by the model, not counted as this study's result
};

/// "WAITING", "RUNNING", "COMPLETE", "FAILED", "PRUNED".
std::string_view trialStateName(TrialState state);
Result<TrialState> parseTrialState(std::string_view text);
/// "sampler", "enqueued", "requeued", "warm_start".
std::string_view trialOriginName(TrialOrigin origin);
Result<TrialOrigin> parseTrialOrigin(std::string_view text);

/// Failure reason of running trials found without a worker after a crash (see Study::recoverInterruptedTrials).
inline constexpr std::string_view kInterruptedReason = "interrupted: the worker stopped before reporting a result";

struct Trial {
    std::int64_t id = 0; ///< storage-wide identifier
    int number = 0; ///< 0, 1, 2, ... within the study
    TrialState state = TrialState::Waiting;
    TrialOrigin origin = TrialOrigin::Sampler;
    Params params; ///< the configuration (actually run, once revised)
    std::vector<double> values; ///< one per objective (COMPLETE)
    std::map<std::string, double> constraintValues; ///< outcome-constraint metrics (COMPLETE)
    std::map<std::int64_t, double> intermediate; ///< step -> value reported while running
    std::map<std::string, Json> attrs; ///< free-form annotations (config run, measurement summary, ...)
    std::string failReason; ///< FAILED
    std::string worker; ///< "host:pid" of the process that asked for it
    std::int64_t createdNs = 0; ///< realtime ns
    std::int64_t startedNs = 0;
    std::int64_t finishedNs = 0;

    bool isFinished() const
    {
        return state == TrialState::Complete || state == TrialState::Failed || state == TrialState::Pruned;
    }
};

/// JSON of a trial (for exports and the CLI).
Json trialToJson(const Trial& trial);

} // namespace lwb::tuner
