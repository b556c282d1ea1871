// Parameter importance and slice predictions from a GP fitted on the completed trials.
// Importance of parameter p (notation: f = GP mean in target units, x_-p the other parameters):
//   m_p(g) = mean over base points b of f(b with x_p = g);  I_p = Var_g m_p(g);  reported I_p / sum_q I_q.
// Base points are 256 Sobol configurations; g runs over the levels of a discrete parameter or 16
// quantiles of a numeric one (only bases where p is active count).
#include "analysis.h"

#include "gp/surrogate.h"
#include "rng.h"
#include "sobol.h"

#include <algorithm>
#include <cmath>

namespace lwb::tuner::detail {
namespace {

constexpr int kBasePoints = 256;
constexpr int kNumericLevels = 16;

void repairValues(const SpaceCodec& codec, std::vector<double>& v, Rng& rng)
{
    for (int p : codec.order()) {
        auto up = static_cast<std::size_t>(p);
        if (!codec.parentAllows(p, v.data()))
            v[up] = std::nan("");
        else if (!std::isnan(codec.fixedValue(p)))
            v[up] = codec.fixedValue(p);
        else if (std::isnan(v[up]))
            v[up] = codec.quantileValue(static_cast<std::size_t>(codec.freeIndexOf(p)), rng.uniform());
    }
}

/// Values a parameter takes in an analysis: all levels of a discrete parameter with few levels,
/// else `count` points spread along its scale.
std::vector<double> analysisValues(const SpaceCodec& codec, std::size_t freeIndex, int count)
{
    const auto& f = codec.freeParams()[freeIndex];
    std::vector<double> out;
    if (f.levels > 0 && f.levels <= std::max<std::int64_t>(count, kMaxEnumeratedLevels)) {
        for (std::int64_t i = 0; i < f.levels; ++i)
            out.push_back(codec.levelValue(f.param, i));
        return out;
    }
    const ParamSpec& p = codec.space().params()[static_cast<std::size_t>(f.param)];
    for (int i = 0; i < count; ++i) {
        double t = count == 1 ? 0.5 : static_cast<double>(i) / (count - 1);
        double v = p.scale == Scale::Linear ? p.low + t * (p.high - p.low)
                                            : std::exp(std::log(p.low) + t * (std::log(p.high) - std::log(p.low)));
        if (p.type == ParamType::Int)
            v = std::clamp(std::round(v), p.low, p.high);
        if (out.empty() || out.back() != v)
            out.push_back(v);
    }
    return out;
}

MatrixXd encodeAll(const SpaceCodec& codec, const std::vector<std::vector<double>>& rows)
{
    MatrixXd U(static_cast<Eigen::Index>(rows.size()), codec.dims());
    std::vector<double> u(static_cast<std::size_t>(codec.dims()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        codec.encode(rows[i].data(), u.data());
        for (int k = 0; k < codec.dims(); ++k)
            U(static_cast<Eigen::Index>(i), k) = u[static_cast<std::size_t>(k)];
    }
    return U;
}

} // namespace

Result<std::vector<ParamImportance>> computeImportance(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int objectiveIndex, std::uint64_t seed)
{
    GpFitOptions fit;
    fit.seed = seed;
    LWB_ASSIGN_OR_RETURN(
        Surrogate s, fitObjectiveSurrogate(codec, history, objectives, objectiveIndex, NoiseModel {}, fit));
    std::size_t freeCount = codec.freeParams().size();
    if (freeCount == 0)
        return std::vector<ParamImportance> {};
    Rng rng(mixSeed(seed, 0x1A7));
    std::vector<std::vector<double>> bases;
    std::vector<double> q(freeCount);
    int sobolDims = static_cast<int>(std::min<std::size_t>(freeCount, SobolSequence::kMaxDims));
    SobolSequence sobol(sobolDims, seed);
    for (int b = 0; b < kBasePoints; ++b) {
        if (freeCount <= static_cast<std::size_t>(SobolSequence::kMaxDims))
            sobol.point(static_cast<std::uint64_t>(b), q.data());
        else
            for (double& x : q)
                x = rng.uniform();
        std::vector<double> v(static_cast<std::size_t>(codec.paramCount()));
        codec.fromQuantiles(q.data(), v.data());
        bases.push_back(std::move(v));
    }
    std::vector<ParamImportance> out;
    double total = 0.0;
    for (std::size_t k = 0; k < freeCount; ++k) {
        int p = codec.freeParams()[k].param;
        auto up = static_cast<std::size_t>(p);
        std::vector<double> effects;
        for (double g : analysisValues(codec, k, kNumericLevels)) {
            std::vector<std::vector<double>> rows;
            for (const auto& base : bases) {
                if (std::isnan(base[up]))
                    continue;
                auto v = base;
                v[up] = g;
                repairValues(codec, v, rng);
                rows.push_back(std::move(v));
            }
            if (rows.empty())
                continue;
            VectorXd mean, var;
            s.model.predict(encodeAll(codec, rows), mean, var);
            effects.push_back(mean.mean());
        }
        double variance = 0.0;
        if (effects.size() > 1) {
            double m = 0.0;
            for (double e : effects)
                m += e;
            m /= static_cast<double>(effects.size());
            for (double e : effects)
                variance += (e - m) * (e - m);
            variance /= static_cast<double>(effects.size());
        }
        total += variance;
        out.push_back({codec.space().params()[up].name, variance});
    }
    for (auto& item : out)
        item.importance = total > 0.0 ? item.importance / total : 1.0 / static_cast<double>(out.size());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.importance > b.importance; });
    return out;
}

Result<SlicePrediction> computeSlice(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int objectiveIndex, const std::string& param, const Params& fixedParams,
    const Params& fallbackParams, int nPoints, std::uint64_t seed)
{
    const ParamSpec* spec = codec.space().find(param);
    if (!spec)
        return fail(ErrorCode::InvalidArgument, "unknown parameter '" + param + "'", LWB_WHERE);
    auto p = static_cast<int>(spec - codec.space().params().data());
    int freeIndex = codec.freeIndexOf(p);
    if (freeIndex < 0)
        return fail(ErrorCode::InvalidArgument, "parameter '" + param + "' is fixed", LWB_WHERE);
    if (nPoints < 2)
        return fail(ErrorCode::InvalidArgument, "a slice needs at least 2 points", LWB_WHERE);
    GpFitOptions fit;
    fit.seed = seed;
    LWB_ASSIGN_OR_RETURN(
        Surrogate s, fitObjectiveSurrogate(codec, history, objectives, objectiveIndex, NoiseModel {}, fit));

    Params through = fallbackParams;
    for (const auto& [name, value] : fixedParams)
        through[name] = value;
    through = codec.space().withFixedValues(through);
    // Fill parameters still missing (no best trial yet) with their median values.
    std::vector<double> base(static_cast<std::size_t>(codec.paramCount()), std::nan(""));
    for (std::size_t i = 0; i < base.size(); ++i) {
        auto it = through.find(codec.space().params()[i].name);
        if (it == through.end())
            continue;
        if (codec.space().params()[i].checkValue(it->second)) {
            const ParamSpec& ps = codec.space().params()[i];
            if (ps.type == ParamType::Categorical) {
                for (std::size_t c = 0; c < ps.choices.size(); ++c) {
                    if (sameValue(ps.choices[c], it->second))
                        base[i] = static_cast<double>(c);
                }
            } else {
                base[i] = numericValue(it->second).value_or(std::nan(""));
            }
        }
    }
    Rng rng(mixSeed(seed, 0x511CE));
    for (int q : codec.order()) {
        auto uq = static_cast<std::size_t>(q);
        if (!codec.parentAllows(q, base.data()))
            base[uq] = std::nan("");
        else if (!std::isnan(codec.fixedValue(q)))
            base[uq] = codec.fixedValue(q);
        else if (std::isnan(base[uq]))
            base[uq] = codec.quantileValue(static_cast<std::size_t>(codec.freeIndexOf(q)), 0.5);
    }
    if (std::isnan(base[static_cast<std::size_t>(p)]))
        return fail(ErrorCode::InvalidArgument,
            "parameter '" + param + "' is inactive in the configuration the slice goes through", LWB_WHERE);

    SlicePrediction slice;
    slice.param = param;
    std::vector<std::vector<double>> rows;
    for (double value : analysisValues(codec, static_cast<std::size_t>(freeIndex), nPoints)) {
        auto v = base;
        v[static_cast<std::size_t>(p)] = value;
        repairValues(codec, v, rng);
        rows.push_back(v);
        Params asParams = codec.toParams(v.data());
        slice.values.push_back(asParams.at(param));
        slice.x.push_back(value);
    }
    slice.fixedParams = codec.toParams(base.data());
    slice.fixedParams.erase(param);
    VectorXd mean, var;
    s.model.predict(encodeAll(codec, rows), mean, var);
    for (Eigen::Index i = 0; i < mean.size(); ++i) {
        double sd = std::sqrt(var[i]);
        double rawMean = 0.0, rawSd = 0.0;
        s.transform.backward(mean[i], sd, rawMean, rawSd);
        double a = s.transform.rawOf(mean[i] - 2.0 * sd);
        double b = s.transform.rawOf(mean[i] + 2.0 * sd);
        slice.mean.push_back(rawMean);
        slice.stddev.push_back(rawSd);
        slice.lower.push_back(std::min(a, b));
        slice.upper.push_back(std::max(a, b));
    }
    return slice;
}

} // namespace lwb::tuner::detail
