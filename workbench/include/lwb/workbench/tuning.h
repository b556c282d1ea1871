// `lwb tune` as a library: runs a study described by a StudySpec into its study file. Each trial
// is asked from the tuner, measured by the protocol (optionally traced), and told back with its
// objective values, or as FAILED (with the reason) or PRUNED; the study goes on after failures.
// Interruption is cooperative: level 1 finishes the running trials, level 2 abandons them (they
// are re-queued, so --resume runs them again). Progress is reported as events (CLI and GUI).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/trial.h"
#include "lwb/workbench/spec.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace lwb::workbench {

/// 0: run; 1: finish the running trials then stop; 2: abandon them now.
using InterruptLevel = std::atomic<int>;

enum class TuneEventKind { StudyStarted, TrialStarted, TrialProgress, TrialFinished, StudyFinished };

struct TuneEvent {
    TuneEventKind kind = TuneEventKind::TrialStarted;
    int trialNumber = -1;
    std::string config; ///< "batch_size=8 precision=bf16"
    std::string state; ///< COMPLETE, FAILED, PRUNED (TrialFinished)
    std::string result; ///< "tokens_per_s=1234 (stable)" or the failure reason
    std::optional<double> bestValue; ///< best so far of the first objective
    std::string bestConfig;
    int finishedTrials = 0;
    int plannedTrials = 0;
    double elapsedSeconds = 0;
    double etaSeconds = -1; ///< -1 unknown
    double fraction = 0; ///< TrialProgress
    std::string message;
};

struct TuneOptions {
    /// Continue an existing study (required when the study file already holds it).
    enum class Resume { No, Yes } resume = Resume::No;
    InterruptLevel* interrupt = nullptr;
    /// While true, no new trial starts (the running ones finish); the GUI's Pause button.
    std::atomic<bool>* paused = nullptr;
    std::function<void(const TuneEvent&)> onEvent;
};

struct TuneSummary {
    std::string studyName;
    std::filesystem::path storage;
    int complete = 0;
    int failed = 0;
    int pruned = 0;
    bool interrupted = false;
    std::string stopReason;
    std::optional<tuner::Trial> best; ///< single objective: the best feasible trial
    std::vector<tuner::Trial> paretoFront; ///< multi-objective
    std::int64_t recoveredTrials = 0; ///< running trials of a killed run, re-queued on --resume
};

/// Runs the study. Errors are configuration errors (exit 4) or storage errors; failed trials are
/// data. When no trial succeeded (or met the constraints) `best` is empty (exit 5).
Result<TuneSummary> runStudy(const StudySpec& spec, const TuneOptions& options);

} // namespace lwb::workbench
