// Surrogate models of a study's metrics: how raw metric values become GP targets (direction, log for
// positive heavy-tailed metrics, standardisation) and a fitted GP on them. Shared by the GP-BO
// sampler and the analysis (importance, slices).
#pragma once

#include "../encoding.h"
#include "../history.h"
#include "gp.h"
#include "lwb/tuner/objective.h"

#include <optional>
#include <vector>

namespace lwb::tuner::detail {

/// raw -> target: t = sign * (log ? log(raw) : raw); y = (t - mean) / scale. Smaller y is better.
struct TargetTransform {
    double sign = 1.0;
    bool log = false;
    double mean = 0.0;
    double scale = 1.0;

    double forward(double raw) const { return (sign * (log ? std::log(raw) : raw) - mean) / scale; }
    /// Mean and standard deviation in raw units from a target mean and sd (median and delta method for log).
    void backward(double yMean, double ySd, double& rawMean, double& rawSd) const;
    /// Raw value of a target value.
    double rawOf(double y) const;
};

/// Chooses the transform for raw values (log when requested, or for Auto when all are positive and
/// span more than a factor of 10) and standardises.
TargetTransform fitTransform(const std::vector<double>& raw, Direction direction, ValueTransform transform);

/// Like fitTransform, but for ValueTransform::Auto with positive values (at least 6) it picks log or
/// none by the leave-one-out predictive density of the raw values under a quick GP fit on each
/// target: sum_i [log N(y_i; mu_-i, s2_-i) in target units] minus the Jacobians of standardisation
/// (log scale) and of the log (log raw_i). LOO is less fooled than the evidence by a transform that
/// fits the spread-out early points but bends the basin the optimiser converges in.
TargetTransform chooseTransform(const MatrixXd& X, const std::vector<double>& raw, Direction direction,
    ValueTransform transform, const NoiseModel& noise, std::uint64_t seed);

/// A fitted GP and the transform of its targets.
struct Surrogate {
    GpModel model;
    TargetTransform transform;
    MatrixXd X; ///< (n x D) unit-cube inputs
    VectorXd y; ///< (n) targets
};

/// Fits hyper-parameters (MAP) and conditions the GP.
Result<Surrogate> fitSurrogate(const MatrixXd& X, const VectorXd& y, const TargetTransform& transform,
    const NoiseModel& noise, const GpFitOptions& options);

/// Unit-cube inputs of history points (rows).
MatrixXd encodeRows(const SpaceCodec& codec, const std::vector<const std::vector<double>*>& values);

/// A surrogate of objective `index` on the completed trials (at least 2 needed).
Result<Surrogate> fitObjectiveSurrogate(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int index, const NoiseModel& noise, const GpFitOptions& options);

} // namespace lwb::tuner::detail
