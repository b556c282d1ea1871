// The GP-BO sampler ("gp"): initial design (centre + scrambled Sobol), then each proposal
//   1. targets: objective values (log for positive heavy-tailed ones, standardised); several
//      objectives are scalarised by ParEGO (random augmented Chebyshev weights per proposal);
//   2. models: MAP-fitted Matern-5/2 GPs for the objective, each outcome constraint and, when trials
//      failed, a feasibility model; pending trials enter the objective model with a constant lie;
//   3. candidates: every discrete cell (ints with few levels, bools, categoricals) times Sobol points
//      of the continuous parameters, plus perturbations of the best trials; constraint-violating,
//      known-failed and already tried configurations are dropped;
//   4. the best candidates are refined by L-BFGS on the continuous dims (NLopt, analytic gradients)
//      and by a discrete neighbour search; the rounded configuration (the one that will run) wins.
#include "../samplers.h"
#include "../sobol.h"
#include "acquisition.h"
#include "bo_acquisition.h"
#include "surrogate.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

namespace lwb::tuner::detail {
namespace {

struct GpSamplerOptions {
    int nInitial = 10;
    bool sobolInitial = true;
    int candidates = 2048;
    int localStarts = 5;
    int localEvaluations = 80;
    int fitRestarts = 3;
    int maxCells = 2048;
    int localCandidates = 24; ///< perturbations of each of the best trials
    double localRadius = 0.1; ///< L-BFGS moves each relaxed dim at most this far from its start
    bool deterministic = false;
    std::string liar = "best";
};

using Values = std::vector<double>;

class GpSampler final : public Sampler {
public:
    GpSampler(SpaceCodec codec, GpSamplerOptions options);
    std::string_view name() const override { return "gp"; }
    Result<Params> propose(const SamplerContext& context) override;

private:
    Result<Values> initialDesign(const SamplerContext& context, const History& history, Rng& rng) const;
    Result<Values> optimise(const SamplerContext& context, const History& history, Rng& rng) const;
    Result<BoAcquisition> buildAcquisition(
        const SamplerContext& context, const History& history, Rng& rng, const Values*& incumbent) const;
    std::vector<Values> candidates(const SamplerContext& context, const History& history,
        const std::vector<const Values*>& bestPoints, Rng& rng) const;
    /// Sets inactive parameters NaN and draws values for active ones that have none.
    void repair(Values& v, Rng& rng) const;
    VectorXd encode(const Values& v) const;
    /// L-BFGS over the relaxed dims from u; returns the improved u (or u).
    VectorXd refineContinuous(const BoAcquisition& acq, const VectorXd& u) const;
    /// Configurations one discrete step away.
    std::vector<Values> neighbours(const Values& v, Rng& rng) const;

    SpaceCodec m_codec;
    GpSamplerOptions m_options;
    std::vector<std::vector<double>> m_levels; ///< per parameter: enumerated levels (empty: not enumerated)
    std::vector<Values> m_cells; ///< all discrete cells (empty when too many)
    std::vector<int> m_relaxDims; ///< u dims optimised by L-BFGS (floats, ints with many levels)
    bool m_hasNonEnumerated = false;
};

GpSampler::GpSampler(SpaceCodec codec, GpSamplerOptions options)
    : m_codec(std::move(codec))
    , m_options(std::move(options))
{
    const auto& specs = m_codec.space().params();
    m_levels.resize(specs.size());
    std::vector<char> enumerated(specs.size(), 0);
    for (int p : m_codec.order()) {
        int fi = m_codec.freeIndexOf(p);
        if (fi < 0)
            continue;
        const auto& f = m_codec.freeParams()[static_cast<std::size_t>(fi)];
        const auto& spec = specs[static_cast<std::size_t>(p)];
        bool parentOk = true;
        if (spec.condition) {
            const ParamSpec* parent = m_codec.space().find(spec.condition->parent);
            auto parentIndex = static_cast<std::size_t>(parent - specs.data());
            parentOk = parent->fixed.has_value() || enumerated[parentIndex];
        }
        if (f.enumerable && parentOk) {
            enumerated[static_cast<std::size_t>(p)] = 1;
            for (std::int64_t i = 0; i < f.levels; ++i)
                m_levels[static_cast<std::size_t>(p)].push_back(m_codec.levelValue(p, i));
        } else {
            m_hasNonEnumerated = true;
        }
        if (spec.type == ParamType::Float || (spec.type == ParamType::Int && !f.enumerable))
            m_relaxDims.push_back(f.offset);
    }
    std::vector<Values> cells;
    bool complete = enumerateCombinations(
        m_codec, m_levels, static_cast<std::size_t>(m_options.maxCells), [&](const Values& v) { cells.push_back(v); });
    bool anyEnumerated = std::any_of(m_levels.begin(), m_levels.end(), [](const auto& l) { return !l.empty(); });
    if (complete && anyEnumerated)
        m_cells = std::move(cells);
}

void GpSampler::repair(Values& v, Rng& rng) const
{
    for (int p : m_codec.order()) {
        auto up = static_cast<std::size_t>(p);
        if (!m_codec.parentAllows(p, v.data())) {
            v[up] = std::nan("");
            continue;
        }
        if (!std::isnan(m_codec.fixedValue(p))) {
            v[up] = m_codec.fixedValue(p);
            continue;
        }
        if (std::isnan(v[up]))
            v[up] = m_codec.quantileValue(static_cast<std::size_t>(m_codec.freeIndexOf(p)), rng.uniform());
    }
}

VectorXd GpSampler::encode(const Values& v) const
{
    VectorXd u(m_codec.dims());
    m_codec.encode(v.data(), u.data());
    return u;
}

Result<Params> GpSampler::propose(const SamplerContext& context)
{
    History history = buildHistory(m_codec, context.trials);
    Rng rng(mixSeed(context.studySeed, static_cast<std::uint64_t>(context.proposalIndex)));
    Values chosen;
    if (static_cast<int>(history.complete.size()) < std::max(2, m_options.nInitial)) {
        LWB_ASSIGN_OR_RETURN(chosen, initialDesign(context, history, rng));
    } else {
        auto optimised = optimise(context, history, rng);
        if (!optimised)
            return fail(std::move(optimised).error());
        chosen = std::move(optimised).value();
    }
    return m_codec.toParams(chosen.data());
}

Result<Values> GpSampler::initialDesign(const SamplerContext& context, const History& history, Rng& rng) const
{
    std::size_t freeCount = m_codec.freeParams().size();
    Values values(static_cast<std::size_t>(m_codec.paramCount()));
    if (m_options.sobolInitial && freeCount > 0 && freeCount <= static_cast<std::size_t>(SobolSequence::kMaxDims)) {
        // Point 0 is the centre of the space, then scrambled Sobol points in order.
        SobolSequence sobol(static_cast<int>(freeCount), context.studySeed);
        std::vector<double> q(freeCount, 0.5);
        int index = history.ownTrials;
        for (int attempt = 0; attempt < 64; ++attempt) {
            if (index + attempt > 0)
                sobol.point(static_cast<std::uint64_t>(index + attempt - 1), q.data());
            m_codec.fromQuantiles(q.data(), values.data());
            if (isProposable(m_codec, history, values, Repeats::Forbidden))
                return values;
        }
    }
    return randomProposable(m_codec, history, rng);
}

Result<BoAcquisition> GpSampler::buildAcquisition(
    const SamplerContext& context, const History& history, Rng& rng, const Values*& incumbent) const
{
    const auto& objectives = context.objectives;
    GpFitOptions fit;
    // Each likelihood evaluation costs O(n^3): long studies get fewer restarts and iterations
    // (the fit starts from the prior mean, so a good optimum is found from it as n grows).
    std::size_t observations = history.complete.size();
    fit.restarts = observations <= 80 ? m_options.fitRestarts
        : observations <= 150         ? std::min(m_options.fitRestarts, 1)
                                      : 0;
    fit.maxEvaluations = observations <= 80 ? 150 : 80;
    fit.seed = mixSeed(context.studySeed, static_cast<std::uint64_t>(context.proposalIndex) + 0x9E37);
    NoiseModel noise;
    if (m_options.deterministic)
        noise = {NoiseModel::Kind::Fixed, 1e-10};
    const NoiseModel constraintNoise;

    // Objective targets of completed trials with finite values.
    std::vector<const Values*> rows;
    std::vector<const Trial*> rowTrials;
    for (const auto& point : history.complete) {
        bool finite = point.trial->values.size() == objectives.size()
            && std::all_of(
                point.trial->values.begin(), point.trial->values.end(), [](double v) { return std::isfinite(v); });
        if (finite) {
            rows.push_back(&point.values);
            rowTrials.push_back(point.trial);
        }
    }
    if (rows.size() < 2)
        return fail(ErrorCode::NotFound, "fewer than 2 completed trials", LWB_WHERE);
    std::size_t n = rows.size();
    std::vector<double> raw(n);
    TargetTransform transform;
    if (objectives.size() == 1) {
        for (std::size_t i = 0; i < n; ++i)
            raw[i] = rowTrials[i]->values[0];
        transform = chooseTransform(
            encodeRows(m_codec, rows), raw, objectives[0].direction, objectives[0].transform, noise, fit.seed);
    } else {
        // ParEGO: normalise each objective (minimisation form) to [0, 1], scalarise with random
        // simplex weights: s = max_j w_j t_j + 0.05 sum_j w_j t_j.
        std::size_t m = objectives.size();
        std::vector<double> weights(m);
        double total = 0.0;
        for (double& w : weights) {
            w = -std::log(std::max(rng.uniform(), 1e-300));
            total += w;
        }
        for (double& w : weights)
            w /= total;
        std::vector<std::vector<double>> t(m, std::vector<double>(n));
        for (std::size_t j = 0; j < m; ++j) {
            std::vector<double> column(n);
            for (std::size_t i = 0; i < n; ++i)
                column[i] = rowTrials[i]->values[j];
            TargetTransform tj = chooseTransform(
                encodeRows(m_codec, rows), column, objectives[j].direction, objectives[j].transform, noise, fit.seed);
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (std::size_t i = 0; i < n; ++i) {
                t[j][i] = tj.forward(column[i]);
                lo = std::min(lo, t[j][i]);
                hi = std::max(hi, t[j][i]);
            }
            for (std::size_t i = 0; i < n; ++i)
                t[j][i] = hi > lo ? (t[j][i] - lo) / (hi - lo) : 0.0;
        }
        for (std::size_t i = 0; i < n; ++i) {
            double maxTerm = -std::numeric_limits<double>::infinity(), sum = 0.0;
            for (std::size_t j = 0; j < m; ++j) {
                maxTerm = std::max(maxTerm, weights[j] * t[j][i]);
                sum += weights[j] * t[j][i];
            }
            raw[i] = maxTerm + 0.05 * sum;
        }
        transform = fitTransform(raw, Direction::Minimize, ValueTransform::None);
    }
    MatrixXd X = encodeRows(m_codec, rows);
    VectorXd y(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i)
        y[static_cast<Eigen::Index>(i)] = transform.forward(raw[i]);
    LWB_ASSIGN_OR_RETURN(Surrogate objective, fitSurrogate(X, y, transform, noise, fit));

    // Outcome-constraint models and the observed feasibility of each completed trial.
    std::vector<ConstraintModel> constraintModels;
    std::vector<char> feasible(n, 1);
    for (const auto& c : context.constraints) {
        std::vector<const Values*> cRows;
        std::vector<double> cRaw;
        for (std::size_t i = 0; i < n; ++i) {
            auto it = rowTrials[i]->constraintValues.find(c.metric);
            double v = it == rowTrials[i]->constraintValues.end() ? std::nan("") : it->second;
            if (!c.satisfiedBy(v))
                feasible[i] = 0;
            if (std::isfinite(v)) {
                cRows.push_back(rows[i]);
                cRaw.push_back(v);
            }
        }
        if (cRows.size() < 2)
            continue;
        Direction d = c.op == ConstraintOp::LessEqual ? Direction::Minimize : Direction::Maximize;
        MatrixXd cX = encodeRows(m_codec, cRows);
        TargetTransform ct = c.bound > 0.0
            ? chooseTransform(cX, cRaw, d, ValueTransform::Auto, constraintNoise, fit.seed)
            : fitTransform(cRaw, d, ValueTransform::None);
        VectorXd cy(static_cast<Eigen::Index>(cRaw.size()));
        for (std::size_t i = 0; i < cRaw.size(); ++i)
            cy[static_cast<Eigen::Index>(i)] = ct.forward(cRaw[i]);
        auto model = fitSurrogate(cX, cy, ct, constraintNoise, fit);
        if (model)
            constraintModels.push_back({std::move(model->model), ct.forward(c.bound)});
    }

    // Feasibility model: failure indicator (+1 failed, -1 ran) on completed and failed trials.
    if (!history.failed.empty()) {
        std::vector<const Values*> fRows;
        std::vector<double> fRaw;
        for (const auto& point : history.complete) {
            fRows.push_back(&point.values);
            fRaw.push_back(-1.0);
        }
        for (const auto& point : history.failed) {
            fRows.push_back(&point.values);
            fRaw.push_back(1.0);
        }
        TargetTransform ft = fitTransform(fRaw, Direction::Minimize, ValueTransform::None);
        VectorXd fy(static_cast<Eigen::Index>(fRaw.size()));
        for (std::size_t i = 0; i < fRaw.size(); ++i)
            fy[static_cast<Eigen::Index>(i)] = ft.forward(fRaw[i]);
        // Labels are a deterministic function of the configuration: a fitted noise would blur the
        // boundary of the failing region into a mild, everywhere-similar probability.
        const NoiseModel labelNoise {NoiseModel::Kind::Fixed, 1e-6};
        auto model = fitSurrogate(encodeRows(m_codec, fRows), fy, ft, labelNoise, fit);
        if (model)
            constraintModels.push_back({std::move(model->model), ft.forward(0.0)});
    }

    // Incumbent: the best posterior mean among feasible completed trials (noise-aware).
    VectorXd mean, var;
    objective.model.predict(X, mean, var);
    double best = std::numeric_limits<double>::infinity();
    incumbent = nullptr;
    double bestObserved = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        if (!feasible[i])
            continue;
        best = std::min(best, mean[static_cast<Eigen::Index>(i)]);
        if (y[static_cast<Eigen::Index>(i)] < bestObserved) {
            bestObserved = y[static_cast<Eigen::Index>(i)];
            incumbent = rows[i];
        }
    }
    if (!std::isfinite(best))
        return BoAcquisition(std::nullopt, 0.0, std::move(constraintModels));

    // Pending trials enter the objective model with a constant lie, failed trials with the worst
    // observed value (so the model itself stops expecting improvement where runs crash); both with
    // the hyper-parameters fitted on the real observations.
    std::vector<const Values*> extraRows;
    std::vector<double> extraValues;
    double lie = m_options.liar == "mean" ? y.mean() : m_options.liar == "worst" ? y.maxCoeff() : y.minCoeff();
    for (const auto& point : history.pending) {
        extraRows.push_back(&point.values);
        extraValues.push_back(lie);
    }
    for (const auto& point : history.failed) {
        extraRows.push_back(&point.values);
        extraValues.push_back(y.maxCoeff());
    }
    if (extraRows.empty())
        return BoAcquisition(std::move(objective.model), best, std::move(constraintModels));
    MatrixXd P = encodeRows(m_codec, extraRows);
    MatrixXd XA(X.rows() + P.rows(), X.cols());
    XA << X, P;
    VectorXd yA(y.size() + P.rows());
    yA << y, Eigen::Map<const VectorXd>(extraValues.data(), static_cast<Eigen::Index>(extraValues.size()));
    auto augmented = GpModel::condition(XA, yA, objective.model.theta(), objective.model.priorMean());
    if (!augmented)
        return BoAcquisition(std::move(objective.model), best, std::move(constraintModels));
    return BoAcquisition(std::move(augmented).value(), best, std::move(constraintModels));
}

std::vector<Values> GpSampler::candidates(
    const SamplerContext& context, const History& history, const std::vector<const Values*>& bestPoints, Rng& rng) const
{
    std::vector<Values> out;
    std::size_t freeCount = m_codec.freeParams().size();
    int sobolDims = static_cast<int>(std::clamp<std::size_t>(freeCount, 1, SobolSequence::kMaxDims));
    SobolSequence sobol(
        sobolDims, mixSeed(context.studySeed, static_cast<std::uint64_t>(context.proposalIndex) + 0x50B));
    Values q(static_cast<std::size_t>(sobolDims));
    Values drawn(static_cast<std::size_t>(m_codec.paramCount()));
    auto sobolPoint = [&](std::uint64_t index, Values& into) {
        if (freeCount <= static_cast<std::size_t>(SobolSequence::kMaxDims))
            sobol.point(index, q.data());
        else
            for (double& x : q)
                x = rng.uniform();
        into.resize(static_cast<std::size_t>(m_codec.paramCount()));
        m_codec.fromQuantiles(q.data(), into.data());
    };
    std::uint64_t index = 0;
    if (!m_cells.empty()) {
        std::size_t perCell = m_hasNonEnumerated
            ? std::max<std::size_t>(1, static_cast<std::size_t>(m_options.candidates) / m_cells.size())
            : 1;
        for (const Values& cell : m_cells) {
            for (std::size_t j = 0; j < perCell; ++j) {
                Values v = cell;
                if (m_hasNonEnumerated) {
                    sobolPoint(index++, drawn);
                    for (std::size_t p = 0; p < v.size(); ++p) {
                        if (m_levels[p].empty() && std::isnan(m_codec.fixedValue(static_cast<int>(p))))
                            v[p] = drawn[p];
                    }
                }
                repair(v, rng);
                out.push_back(std::move(v));
            }
            // The cell with the continuous values of the best trials.
            for (std::size_t b = 0; m_hasNonEnumerated && b < bestPoints.size() && b < 2; ++b) {
                Values v = cell;
                for (std::size_t p = 0; p < v.size(); ++p) {
                    if (m_levels[p].empty() && std::isnan(m_codec.fixedValue(static_cast<int>(p))))
                        v[p] = (*bestPoints[b])[p];
                }
                repair(v, rng);
                out.push_back(std::move(v));
            }
        }
    } else {
        for (int i = 0; i < m_options.candidates; ++i) {
            Values v;
            sobolPoint(index++, v);
            out.push_back(std::move(v));
        }
    }
    // Local candidates around the best trials: gaussian steps on the relaxed dims (two scales),
    // random level changes of discrete parameters with probability 1/F.
    double flip = 1.0 / static_cast<double>(std::max<std::size_t>(freeCount, 1));
    for (const Values* best : bestPoints) {
        VectorXd u0 = encode(*best);
        for (int j = 0; j < m_options.localCandidates; ++j) {
            VectorXd u = u0;
            double sigma = j % 2 ? 0.02 : 0.1;
            for (int d : m_relaxDims)
                u[d] = std::clamp(u[d] + sigma * rng.normal(), 0.0, 1.0);
            Values v(static_cast<std::size_t>(m_codec.paramCount()));
            m_codec.decode(u.data(), v.data());
            for (std::size_t k = 0; k < freeCount; ++k) {
                const auto& f = m_codec.freeParams()[k];
                if (f.levels > 0 && f.enumerable && rng.uniform() < flip)
                    v[static_cast<std::size_t>(f.param)] = m_codec.levelValue(
                        f.param, static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(f.levels))));
            }
            repair(v, rng);
            out.push_back(std::move(v));
        }
    }
    // Keep proposable, distinct configurations.
    std::vector<Values> kept;
    std::set<std::string> seen;
    for (auto& v : out) {
        if (!isProposable(m_codec, history, v, Repeats::Forbidden))
            continue;
        if (seen.insert(m_codec.key(v.data())).second)
            kept.push_back(std::move(v));
    }
    return kept;
}

struct LocalProblem {
    const BoAcquisition* acq;
    const std::vector<int>* dims;
    VectorXd u;
};

double localObjective(unsigned n, const double* x, double* gradient, void* data)
{
    auto* p = static_cast<LocalProblem*>(data);
    for (unsigned i = 0; i < n; ++i)
        p->u[(*p->dims)[i]] = x[i];
    VectorXd grad;
    double value = p->acq->evaluatePoint(p->u, gradient ? &grad : nullptr);
    if (!std::isfinite(value))
        value = -1e30;
    if (gradient) {
        for (unsigned i = 0; i < n; ++i) {
            double g = grad[(*p->dims)[i]];
            gradient[i] = std::isfinite(g) ? -g : 0.0;
        }
    }
    return -value;
}

VectorXd GpSampler::refineContinuous(const BoAcquisition& acq, const VectorXd& u) const
{
    if (m_relaxDims.empty())
        return u;
    auto n = static_cast<unsigned>(m_relaxDims.size());
    LocalProblem problem {&acq, &m_relaxDims, u};
    std::vector<double> x(n), lower(n, 0.0), upper(n, 1.0);
    for (unsigned i = 0; i < n; ++i) {
        x[i] = u[m_relaxDims[i]];
        lower[i] = std::max(0.0, x[i] - m_options.localRadius);
        upper[i] = std::min(1.0, x[i] + m_options.localRadius);
    }
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, n);
    if (!opt)
        return u;
    nlopt_set_lower_bounds(opt, lower.data());
    nlopt_set_upper_bounds(opt, upper.data());
    nlopt_set_min_objective(opt, localObjective, &problem);
    nlopt_set_maxeval(opt, m_options.localEvaluations);
    nlopt_set_ftol_rel(opt, 1e-10);
    nlopt_set_xtol_abs1(opt, 1e-9);
    double value = 0.0;
    nlopt_optimize(opt, x.data(), &value);
    nlopt_destroy(opt);
    VectorXd out = u;
    for (unsigned i = 0; i < n; ++i)
        out[m_relaxDims[i]] = std::clamp(x[i], 0.0, 1.0);
    return out;
}

std::vector<Values> GpSampler::neighbours(const Values& v, Rng& rng) const
{
    std::vector<Values> out;
    for (const auto& f : m_codec.freeParams()) {
        auto up = static_cast<std::size_t>(f.param);
        if (f.levels == 0 || std::isnan(v[up]))
            continue;
        const ParamSpec& p = m_codec.space().params()[up];
        std::vector<std::int64_t> steps;
        std::int64_t level = m_codec.levelIndex(f.param, v[up]);
        if (p.type == ParamType::Categorical || p.type == ParamType::Bool) {
            for (std::int64_t i = 0; i < f.levels; ++i) {
                if (i != level)
                    steps.push_back(i);
            }
        } else if (p.scale == Scale::Log && !f.enumerable) {
            for (double factor : {0.8, 1.25}) {
                double nv = std::clamp(std::round(v[up] * factor), p.low, p.high);
                if (nv != v[up])
                    steps.push_back(m_codec.levelIndex(f.param, nv));
            }
            steps.push_back(level - 1);
            steps.push_back(level + 1);
        } else {
            steps.push_back(level - 1);
            steps.push_back(level + 1);
        }
        for (std::int64_t s : steps) {
            if (s < 0 || s >= f.levels)
                continue;
            Values n = v;
            n[up] = m_codec.levelValue(f.param, s);
            repair(n, rng);
            out.push_back(std::move(n));
        }
    }
    return out;
}

Result<Values> GpSampler::optimise(const SamplerContext& context, const History& history, Rng& rng) const
{
    const Values* incumbent = nullptr;
    auto built = buildAcquisition(context, history, rng, incumbent);
    if (!built) {
        // A model that cannot be fitted (degenerate data) must not stop the study.
        return randomProposable(m_codec, history, rng);
    }
    const BoAcquisition& acq = *built;

    // The best few completed trials seed local candidates.
    std::vector<std::pair<double, const Values*>> ranked;
    for (const auto& point : history.complete) {
        if (point.trial->values.empty() || !std::isfinite(point.trial->values[0]))
            continue;
        double v = point.trial->values[0];
        ranked.push_back({context.objectives[0].direction == Direction::Minimize ? v : -v, &point.values});
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const Values*> bestPoints;
    if (incumbent)
        bestPoints.push_back(incumbent);
    for (std::size_t i = 0; i < ranked.size() && bestPoints.size() < 4; ++i) {
        if (ranked[i].second != incumbent)
            bestPoints.push_back(ranked[i].second);
    }

    std::vector<Values> cands = candidates(context, history, bestPoints, rng);
    if (cands.empty())
        return randomProposable(m_codec, history, rng);
    MatrixXd U(static_cast<Eigen::Index>(cands.size()), m_codec.dims());
    for (std::size_t i = 0; i < cands.size(); ++i)
        U.row(static_cast<Eigen::Index>(i)) = encode(cands[i]).transpose();
    VectorXd scores = acq.evaluate(U);
    std::vector<std::size_t> order(cands.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        double sa = std::isfinite(scores[static_cast<Eigen::Index>(a)]) ? scores[static_cast<Eigen::Index>(a)] : -1e300;
        double sb = std::isfinite(scores[static_cast<Eigen::Index>(b)]) ? scores[static_cast<Eigen::Index>(b)] : -1e300;
        return sa > sb || (sa == sb && a < b);
    });

    Values best = cands[order[0]];
    double bestScore = scores[static_cast<Eigen::Index>(order[0])];
    int starts = std::min<int>(m_options.localStarts, static_cast<int>(cands.size()));
    for (int s = 0; s < starts; ++s) {
        Values current = cands[order[static_cast<std::size_t>(s)]];
        double currentScore = scores[static_cast<Eigen::Index>(order[static_cast<std::size_t>(s)])];
        // Continuous refinement, then rounding to the configuration that would run.
        VectorXd refined = refineContinuous(acq, encode(current));
        Values rounded(static_cast<std::size_t>(m_codec.paramCount()));
        m_codec.decode(refined.data(), rounded.data());
        repair(rounded, rng);
        if (isProposable(m_codec, history, rounded, Repeats::Forbidden)) {
            double score = acq.evaluatePoint(encode(rounded), nullptr);
            if (score > currentScore) {
                current = std::move(rounded);
                currentScore = score;
            }
        }
        // Discrete neighbour search.
        for (int round = 0; round < 8; ++round) {
            std::vector<Values> next;
            for (auto& n : neighbours(current, rng)) {
                if (isProposable(m_codec, history, n, Repeats::Forbidden))
                    next.push_back(std::move(n));
            }
            if (next.empty())
                break;
            MatrixXd N(static_cast<Eigen::Index>(next.size()), m_codec.dims());
            for (std::size_t i = 0; i < next.size(); ++i)
                N.row(static_cast<Eigen::Index>(i)) = encode(next[i]).transpose();
            VectorXd ns = acq.evaluate(N);
            Eigen::Index arg = 0;
            double top = ns.maxCoeff(&arg);
            if (!(top > currentScore))
                break;
            current = next[static_cast<std::size_t>(arg)];
            currentScore = top;
        }
        if (currentScore > bestScore) {
            best = std::move(current);
            bestScore = currentScore;
        }
    }
    return best;
}

} // namespace

Result<std::unique_ptr<Sampler>> makeGpSampler(const SearchSpace& space, const Json& options)
{
    LWB_RETURN_IF_ERROR(checkOptionKeys(options, "gp sampler",
        {"n_initial", "initial_design", "candidates", "local_starts", "local_evaluations", "fit_restarts", "max_cells",
            "noise", "liar", "local_candidates", "local_radius"}));
    GpSamplerOptions o;
    LWB_ASSIGN_OR_RETURN(o.nInitial, intOption(options, "n_initial", o.nInitial, 0, 100000));
    LWB_ASSIGN_OR_RETURN(auto design, stringOption(options, "initial_design", "sobol", {"sobol", "random"}));
    o.sobolInitial = design == "sobol";
    LWB_ASSIGN_OR_RETURN(o.candidates, intOption(options, "candidates", o.candidates, 16, 1000000));
    LWB_ASSIGN_OR_RETURN(o.localStarts, intOption(options, "local_starts", o.localStarts, 0, 1000));
    LWB_ASSIGN_OR_RETURN(o.localEvaluations, intOption(options, "local_evaluations", o.localEvaluations, 1, 100000));
    LWB_ASSIGN_OR_RETURN(o.fitRestarts, intOption(options, "fit_restarts", o.fitRestarts, 0, 100));
    LWB_ASSIGN_OR_RETURN(o.maxCells, intOption(options, "max_cells", o.maxCells, 1, 1000000));
    LWB_ASSIGN_OR_RETURN(o.localCandidates, intOption(options, "local_candidates", o.localCandidates, 0, 100000));
    LWB_ASSIGN_OR_RETURN(o.localRadius, numberOption(options, "local_radius", o.localRadius, 0.0, 1.0));
    LWB_ASSIGN_OR_RETURN(auto noise, stringOption(options, "noise", "auto", {"auto", "deterministic"}));
    o.deterministic = noise == "deterministic";
    LWB_ASSIGN_OR_RETURN(o.liar, stringOption(options, "liar", "best", {"best", "mean", "worst"}));
    LWB_ASSIGN_OR_RETURN(auto codec, SpaceCodec::create(space));
    return std::unique_ptr<Sampler>(new GpSampler(std::move(codec), std::move(o)));
}

} // namespace lwb::tuner::detail
