// Target transforms and surrogate fitting (see surrogate.h).
#include "surrogate.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lwb::tuner::detail {

void TargetTransform::backward(double yMean, double ySd, double& rawMean, double& rawSd) const
{
    double t = yMean * scale + mean;
    double tSd = ySd * scale;
    double v = sign * t;
    if (log) {
        rawMean = std::exp(v);
        rawSd = rawMean * tSd;
    } else {
        rawMean = v;
        rawSd = tSd;
    }
}

double TargetTransform::rawOf(double y) const
{
    double v = sign * (y * scale + mean);
    return log ? std::exp(v) : v;
}

TargetTransform fitTransform(const std::vector<double>& raw, Direction direction, ValueTransform transform)
{
    TargetTransform tr;
    tr.sign = direction == Direction::Minimize ? 1.0 : -1.0;
    bool allPositive = !raw.empty() && std::all_of(raw.begin(), raw.end(), [](double v) { return v > 0.0; });
    if (transform == ValueTransform::Log) {
        tr.log = allPositive;
    } else if (transform == ValueTransform::Auto && allPositive) {
        auto [lo, hi] = std::minmax_element(raw.begin(), raw.end());
        tr.log = *hi > 10.0 * *lo;
    }
    double sum = 0.0, sum2 = 0.0;
    for (double r : raw) {
        double t = tr.sign * (tr.log ? std::log(r) : r);
        sum += t;
        sum2 += t * t;
    }
    double n = static_cast<double>(std::max<std::size_t>(raw.size(), 1));
    tr.mean = sum / n;
    double var = std::max(0.0, sum2 / n - tr.mean * tr.mean);
    double sd = std::sqrt(var);
    tr.scale = sd > 1e-12 * std::max(1.0, std::fabs(tr.mean)) ? sd : 1.0;
    return tr;
}

TargetTransform chooseTransform(const MatrixXd& X, const std::vector<double>& raw, Direction direction,
    ValueTransform transform, const NoiseModel& noise, std::uint64_t seed)
{
    bool allPositive = !raw.empty() && std::all_of(raw.begin(), raw.end(), [](double v) { return v > 0.0; });
    if (transform != ValueTransform::Auto || !allPositive || raw.size() < 6)
        return fitTransform(raw, direction, transform == ValueTransform::Auto ? ValueTransform::None : transform);
    GpPrior prior = GpPrior::defaults(static_cast<int>(X.cols()), noise);
    GpFitOptions quick;
    quick.restarts = 0;
    quick.maxEvaluations = 100;
    quick.seed = seed;
    double bestScore = std::numeric_limits<double>::infinity();
    bool useLog = false;
    for (ValueTransform candidate : {ValueTransform::None, ValueTransform::Log}) {
        TargetTransform tr = fitTransform(raw, direction, candidate);
        VectorXd y(static_cast<Eigen::Index>(raw.size()));
        for (std::size_t i = 0; i < raw.size(); ++i)
            y[static_cast<Eigen::Index>(i)] = tr.forward(raw[i]);
        auto theta = fitHyperparameters(X, y, prior, quick, VectorXd());
        if (!theta)
            continue;
        auto loo = leaveOneOut(X, y, *theta);
        if (!loo)
            continue;
        // Negative LOO log density of the raw values (constants dropped).
        double score = 0.0;
        for (Eigen::Index i = 0; i < y.size(); ++i) {
            double var = loo->variance[i], err = y[i] - loo->mean[i];
            score += 0.5 * std::log(var) + 0.5 * err * err / var + std::log(tr.scale)
                + (tr.log ? std::log(raw[static_cast<std::size_t>(i)]) : 0.0);
        }
        if (score < bestScore) {
            bestScore = score;
            useLog = tr.log;
        }
    }
    return fitTransform(raw, direction, useLog ? ValueTransform::Log : ValueTransform::None);
}

Result<Surrogate> fitSurrogate(const MatrixXd& X, const VectorXd& y, const TargetTransform& transform,
    const NoiseModel& noise, const GpFitOptions& options)
{
    GpPrior prior = GpPrior::defaults(static_cast<int>(X.cols()), noise);
    LWB_ASSIGN_OR_RETURN(VectorXd theta, fitHyperparameters(X, y, prior, options, VectorXd()));
    LWB_ASSIGN_OR_RETURN(GpModel model, GpModel::condition(X, y, theta));
    return Surrogate {std::move(model), transform, X, y};
}

MatrixXd encodeRows(const SpaceCodec& codec, const std::vector<const std::vector<double>*>& values)
{
    MatrixXd X(static_cast<Eigen::Index>(values.size()), codec.dims());
    std::vector<double> u(static_cast<std::size_t>(codec.dims()));
    for (std::size_t i = 0; i < values.size(); ++i) {
        codec.encode(values[i]->data(), u.data());
        for (int k = 0; k < codec.dims(); ++k)
            X(static_cast<Eigen::Index>(i), k) = u[static_cast<std::size_t>(k)];
    }
    return X;
}

Result<Surrogate> fitObjectiveSurrogate(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int index, const NoiseModel& noise, const GpFitOptions& options)
{
    if (index < 0 || index >= static_cast<int>(objectives.size()))
        return fail(ErrorCode::InvalidArgument, "no objective number " + std::to_string(index), LWB_WHERE);
    std::vector<const std::vector<double>*> rows;
    std::vector<double> raw;
    for (const auto& point : history.complete) {
        double v = point.trial->values[static_cast<std::size_t>(index)];
        if (!std::isfinite(v))
            continue;
        rows.push_back(&point.values);
        raw.push_back(v);
    }
    if (rows.size() < 2)
        return fail(ErrorCode::NotFound, "a model needs at least 2 completed trials", LWB_WHERE);
    const Objective& o = objectives[static_cast<std::size_t>(index)];
    MatrixXd X = encodeRows(codec, rows);
    TargetTransform tr = chooseTransform(X, raw, o.direction, o.transform, noise, options.seed);
    VectorXd y(static_cast<Eigen::Index>(raw.size()));
    for (std::size_t i = 0; i < raw.size(); ++i)
        y[static_cast<Eigen::Index>(i)] = tr.forward(raw[i]);
    return fitSurrogate(X, y, tr, noise, options);
}

} // namespace lwb::tuner::detail
