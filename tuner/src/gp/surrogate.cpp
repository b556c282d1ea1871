// Target transforms and surrogate fitting (see surrogate.h).
#include "surrogate.h"

#include <algorithm>
#include <cmath>

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

Result<Surrogate> fitSurrogate(const MatrixXd& X, const VectorXd& y, const TargetTransform& transform,
    double noiseFloor, const GpFitOptions& options)
{
    GpPrior prior = GpPrior::defaults(static_cast<int>(X.cols()), noiseFloor);
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
    const std::vector<Objective>& objectives, int index, double noiseFloor, const GpFitOptions& options)
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
    TargetTransform tr = fitTransform(raw, o.direction, o.transform);
    VectorXd y(static_cast<Eigen::Index>(raw.size()));
    for (std::size_t i = 0; i < raw.size(); ++i)
        y[static_cast<Eigen::Index>(i)] = tr.forward(raw[i]);
    return fitSurrogate(encodeRows(codec, rows), y, tr, noiseFloor, options);
}

} // namespace lwb::tuner::detail
