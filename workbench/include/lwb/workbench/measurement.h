// The measurement protocol: warm-up windows, then measured windows until the noise rule holds
// (relative standard deviation of the last `min_samples` windows of the primary metric <=
// `max_noise`), bounded by `max_samples` and `max_time`. Every sample is kept; the distribution
// is the result; a trial that never stabilises is marked noisy. Training studies can instead
// measure time-to-target-loss or the loss reached after a time budget.
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/workload.h"
#include "lwb/workbench/statistics.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb::workbench {

enum class MeasurementMode {
    Throughput, ///< repeat windows until the primary metric is stable
    TimeToTargetLoss, ///< run until the training loss reaches `targetLoss`; metric time_to_target_s
    LossAfterTime, ///< train for `timeBudgetSeconds`; metric final_loss
};

struct MeasurementRules {
    MeasurementMode mode = MeasurementMode::Throughput;
    int warmupWindows = 1;
    int minSamples = 5;
    int maxSamples = 20;
    double maxNoise = 0.05; ///< relative stddev
    double maxTimeSeconds = 120;
    std::optional<double> targetLoss; ///< TimeToTargetLoss
    double timeBudgetSeconds = 0; ///< LossAfterTime
};

/// Why the protocol stopped measuring.
enum class StopReason { Stable, MaxSamples, MaxTime, TargetReached, TimeBudget, Pruned };
std::string_view stopReasonName(StopReason reason);

struct Measurement {
    std::map<std::string, std::vector<double>> samples; ///< metric -> one value per measured window
    std::map<std::string, Distribution> distributions;
    std::map<std::string, double> summary; ///< the session's final metrics (peak memory, val loss, ...)
    std::vector<std::pair<std::int64_t, double>> intermediate; ///< (step, loss), warm-up included
    std::string primaryMetric;
    bool stable = false; ///< the noise rule held
    double noise = 0; ///< relative stddev of the primary metric over the last min_samples windows
    int warmupWindows = 0;
    int measuredWindows = 0;
    double seconds = 0;
    StopReason stopReason = StopReason::MaxSamples;

    /// The value the tuner sees for a metric: the median of its samples, or the summary value.
    std::optional<double> value(const std::string& metric) const;
    Json toJson() const;
};

/// Runs the protocol on a prepared session. Errors of the session (OOM, NaN, timeout, crash of an
/// external program) are returned as they are; pruning ends with StopReason::Pruned.
Result<Measurement> measure(engine::WorkloadSession& session, engine::RunContext& context,
    const MeasurementRules& rules, const std::string& primaryMetric);

} // namespace lwb::workbench
