// GP regression: Matern-5/2 ARD covariance, jittered Cholesky, MAP fit with NLopt L-BFGS (see gp.h
// for the notation and the gradient formulas).
#include "gp.h"

#include "../rng.h"

#include <nlopt.h>

#include <cmath>
#include <limits>
#include <numbers>

namespace lwb::tuner::detail {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;

/// Squared scaled distances between rows of A (m x d) and B (n x d), both already divided by l.
MatrixXd squaredDistances(const MatrixXd& As, const MatrixXd& Bs)
{
    VectorXd a2 = As.rowwise().squaredNorm();
    VectorXd b2 = Bs.rowwise().squaredNorm();
    MatrixXd r2 = (-2.0 * (As * Bs.transpose())).eval();
    r2.colwise() += a2;
    r2.rowwise() += b2.transpose();
    return r2.cwiseMax(0.0);
}

} // namespace

Result<CholeskyFactor> choleskyWithJitter(const MatrixXd& K, int maxTries)
{
    if (!K.allFinite())
        return fail(ErrorCode::NumericalError, "covariance matrix holds NaN or Inf", LWB_WHERE);
    double meanDiag = K.rows() > 0 ? K.diagonal().mean() : 1.0;
    double scale = std::max(std::fabs(meanDiag), 1e-300);
    CholeskyFactor factor;
    double jitter = 0.0;
    for (int attempt = 0; attempt <= maxTries; ++attempt) {
        if (attempt > 0)
            jitter = scale * 1e-10 * std::pow(10.0, attempt - 1);
        MatrixXd Kj = K;
        Kj.diagonal().array() += jitter;
        factor.llt.compute(Kj);
        if (factor.llt.info() == Eigen::Success) {
            const MatrixXd& L = factor.llt.matrixLLT();
            bool ok = true;
            for (Eigen::Index i = 0; i < L.rows() && ok; ++i)
                ok = std::isfinite(L(i, i)) && L(i, i) > 0.0;
            if (ok) {
                factor.jitter = jitter;
                return factor;
            }
        }
    }
    return fail(ErrorCode::NumericalError,
        "covariance matrix is not positive definite even with jitter " + std::to_string(jitter), LWB_WHERE);
}

GpPrior GpPrior::defaults(int dims, const NoiseModel& noise)
{
    int p = dims + 2;
    GpPrior prior;
    prior.mean.resize(p);
    prior.stddev.resize(p);
    prior.lower.resize(p);
    prior.upper.resize(p);
    // log l ~ N(-1.2 + log(d)/2, 0.8): median 0.3 sqrt(d). The dim-scaled prior of BoTorch 0.12
    // (sqrt2 + log(d)/2, sqrt3; median 4.1 sqrt(d)) was measured here too: with this Matern kernel and
    // an output scale it over-smooths (Hartmann-6 median log10 regret -1.65 against -2.62 at 50
    // evaluations, Branin -6.24 against -5.80; see docs/tuner.md).
    double logLengthMean = -1.2 + 0.5 * std::log(static_cast<double>(std::max(dims, 1)));
    for (int k = 0; k < dims; ++k) {
        prior.mean[k] = logLengthMean;
        prior.stddev[k] = 0.8;
        prior.lower[k] = std::log(0.025);
        prior.upper[k] = std::log(1e3);
    }
    prior.mean[dims] = 0.0;
    prior.stddev[dims] = 1.0;
    prior.lower[dims] = std::log(0.05);
    prior.upper[dims] = std::log(20.0);
    prior.mean[dims + 1] = -4.0;
    prior.stddev[dims + 1] = 1.0;
    prior.lower[dims + 1] = std::log(noise.floor);
    prior.upper[dims + 1] = std::log(2.0);
    if (noise.kind == NoiseModel::Kind::Fixed)
        prior.mean[dims + 1] = prior.upper[dims + 1] = prior.lower[dims + 1];
    return prior;
}

MatrixXd maternCovariance(const MatrixXd& A, const MatrixXd& B, const VectorXd& lengthscales, double signalVar)
{
    VectorXd inv = lengthscales.cwiseInverse();
    MatrixXd r2 = squaredDistances(A * inv.asDiagonal(), B * inv.asDiagonal());
    return r2.unaryExpr([signalVar](double s) {
        double r = std::sqrt(s);
        return signalVar * (1.0 + kSqrt5 * r + 5.0 / 3.0 * s) * std::exp(-kSqrt5 * r);
    });
}

double negLogPosterior(
    const VectorXd& theta, const MatrixXd& X, const VectorXd& y, const GpPrior& prior, VectorXd* grad)
{
    const Eigen::Index n = X.rows(), d = X.cols();
    VectorXd lengthscales = theta.head(d).array().exp();
    double signalVar = std::exp(theta[d]);
    double noiseVar = std::exp(theta[d + 1]);

    VectorXd inv = lengthscales.cwiseInverse();
    MatrixXd Xs = X * inv.asDiagonal();
    MatrixXd r2 = squaredDistances(Xs, Xs);
    MatrixXd r = r2.cwiseSqrt();
    MatrixXd e = (-kSqrt5 * r).array().exp();
    MatrixXd Kf = signalVar * ((1.0 + kSqrt5 * r.array() + 5.0 / 3.0 * r2.array()) * e.array()).matrix();
    MatrixXd K = Kf;
    K.diagonal().array() += noiseVar;

    auto factor = choleskyWithJitter(K, 3);
    if (!factor) {
        if (grad)
            grad->setZero(theta.size());
        return std::numeric_limits<double>::infinity();
    }
    const auto& llt = factor->llt;
    VectorXd alpha = llt.solve(y);
    double logDet = 0.0;
    const MatrixXd& L = llt.matrixLLT();
    for (Eigen::Index i = 0; i < n; ++i)
        logDet += std::log(L(i, i));
    VectorXd z = (theta - prior.mean).cwiseQuotient(prior.stddev);
    double value = 0.5 * y.dot(alpha) + logDet + 0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi)
        + 0.5 * z.squaredNorm();
    if (!grad)
        return value;

    MatrixXd W = llt.solve(MatrixXd::Identity(n, n));
    W.noalias() -= alpha * alpha.transpose();
    grad->resize(theta.size());
    // Length-scales: 1/2 sum_ab M_ab (x_ak - x_bk)^2 / l_k^2, M = W o G, G = sf2 5/3 (1 + sqrt5 r) e.
    MatrixXd M = W.cwiseProduct((signalVar * 5.0 / 3.0 * ((1.0 + kSqrt5 * r.array()) * e.array())).matrix());
    VectorXd rowSums = M.rowwise().sum();
    MatrixXd MX = M * X;
    for (Eigen::Index k = 0; k < d; ++k) {
        // sum_ab M_ab (x_ak - x_bk)^2 = 2 sum_a x_ak^2 rowSum_a - 2 x_k^T M x_k (M symmetric).
        double quad = 2.0 * (X.col(k).array().square() * rowSums.array()).sum() - 2.0 * X.col(k).dot(MX.col(k));
        (*grad)[k] = 0.5 * quad / (lengthscales[k] * lengthscales[k]);
    }
    (*grad)[d] = 0.5 * W.cwiseProduct(Kf).sum();
    (*grad)[d + 1] = 0.5 * noiseVar * W.trace();
    *grad += (theta - prior.mean).cwiseQuotient(prior.stddev.cwiseProduct(prior.stddev));
    return value;
}

namespace {

struct FitData {
    const MatrixXd* X;
    const VectorXd* y;
    const GpPrior* prior;
    int evaluations = 0;
};

double nloptObjective(unsigned n, const double* x, double* gradient, void* data)
{
    auto* fit = static_cast<FitData*>(data);
    ++fit->evaluations;
    Eigen::Map<const VectorXd> theta(x, n);
    VectorXd grad;
    double value = negLogPosterior(theta, *fit->X, *fit->y, *fit->prior, gradient ? &grad : nullptr);
    if (!std::isfinite(value))
        value = 1e30;
    if (gradient) {
        for (unsigned i = 0; i < n; ++i)
            gradient[i] = std::isfinite(grad[i]) ? grad[i] : 0.0;
    }
    return value;
}

} // namespace

Result<VectorXd> fitHyperparameters(
    const MatrixXd& X, const VectorXd& y, const GpPrior& prior, const GpFitOptions& options, const VectorXd& warmStart)
{
    const auto p = static_cast<unsigned>(prior.mean.size());
    std::vector<VectorXd> starts;
    starts.push_back(prior.mean.cwiseMax(prior.lower).cwiseMin(prior.upper));
    if (warmStart.size() == prior.mean.size() && warmStart.allFinite())
        starts.push_back(warmStart.cwiseMax(prior.lower).cwiseMin(prior.upper));
    Rng rng(mixSeed(options.seed, 0xF17));
    for (int i = 0; i < options.restarts; ++i) {
        VectorXd start(p);
        for (unsigned j = 0; j < p; ++j)
            start[j] = prior.mean[j] + prior.stddev[j] * rng.normal();
        starts.push_back(start.cwiseMax(prior.lower).cwiseMin(prior.upper));
    }

    FitData data {&X, &y, &prior};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, p);
    if (!opt)
        return fail(ErrorCode::Internal, "nlopt_create failed", LWB_WHERE);
    nlopt_set_lower_bounds(opt, prior.lower.data());
    nlopt_set_upper_bounds(opt, prior.upper.data());
    nlopt_set_min_objective(opt, nloptObjective, &data);
    nlopt_set_maxeval(opt, options.maxEvaluations);
    nlopt_set_ftol_rel(opt, 1e-9);
    nlopt_set_xtol_rel(opt, 1e-6);

    VectorXd best;
    double bestValue = std::numeric_limits<double>::infinity();
    for (const VectorXd& start : starts) {
        VectorXd x = start;
        double value = std::numeric_limits<double>::infinity();
        nlopt_result rc = nlopt_optimize(opt, x.data(), &value);
        if (rc < 0 && rc != NLOPT_ROUNDOFF_LIMITED) {
            // L-BFGS can stop on a line-search failure; keep its point if it improved.
            value = negLogPosterior(x, X, y, prior, nullptr);
        }
        if (std::isfinite(value) && value < bestValue && x.allFinite()) {
            bestValue = value;
            best = x;
        }
    }
    nlopt_destroy(opt);
    if (best.size() == 0)
        return fail(ErrorCode::NumericalError, "GP hyper-parameter fit failed from every start", LWB_WHERE);
    return best;
}

Result<LeaveOneOut> leaveOneOut(const MatrixXd& X, const VectorXd& y, const VectorXd& theta)
{
    const Eigen::Index n = X.rows(), d = X.cols();
    MatrixXd K = maternCovariance(X, X, theta.head(d).array().exp(), std::exp(theta[d]));
    K.diagonal().array() += std::exp(theta[d + 1]);
    LWB_ASSIGN_OR_RETURN(auto factor, choleskyWithJitter(K));
    MatrixXd Kinv = factor.llt.solve(MatrixXd::Identity(n, n));
    VectorXd alpha = Kinv * y;
    LeaveOneOut loo;
    loo.variance = Kinv.diagonal().cwiseInverse();
    loo.mean = y - alpha.cwiseProduct(loo.variance);
    if (!loo.mean.allFinite() || !(loo.variance.array() > 0.0).all())
        return fail(ErrorCode::NumericalError, "leave-one-out predictions are not finite", LWB_WHERE);
    return loo;
}

Result<GpModel> GpModel::condition(const MatrixXd& X, const VectorXd& y, const VectorXd& theta)
{
    return condition(X, y, theta, std::nan(""));
}

Result<GpModel> GpModel::condition(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double priorMean)
{
    const Eigen::Index d = X.cols();
    GpModel model;
    model.m_X = X;
    model.m_theta = theta;
    model.m_lengthscales = theta.head(d).array().exp();
    model.m_signalVar = std::exp(theta[d]);
    model.m_noiseVar = std::exp(theta[d + 1]);
    MatrixXd K = maternCovariance(X, X, model.m_lengthscales, model.m_signalVar);
    K.diagonal().array() += model.m_noiseVar;
    LWB_ASSIGN_OR_RETURN(auto factor, choleskyWithJitter(K));
    model.m_jitter = factor.jitter;
    if (std::isnan(priorMean)) {
        VectorXd ones = VectorXd::Ones(X.rows());
        VectorXd kInvOnes = factor.llt.solve(ones);
        double denominator = ones.dot(kInvOnes);
        priorMean = denominator > 0.0 ? kInvOnes.dot(y) / denominator : y.mean();
        if (!std::isfinite(priorMean))
            priorMean = y.mean();
    }
    model.m_priorMean = priorMean;
    model.m_alpha = factor.llt.solve((y.array() - priorMean).matrix());
    model.m_L = factor.llt.matrixL();
    if (!model.m_alpha.allFinite())
        return fail(ErrorCode::NumericalError, "GP weights are not finite", LWB_WHERE);
    return model;
}

void GpModel::predict(const MatrixXd& Xs, VectorXd& mean, VectorXd& var) const
{
    MatrixXd Ks = maternCovariance(Xs, m_X, m_lengthscales, m_signalVar); // m x n
    mean = (Ks * m_alpha).array() + m_priorMean;
    MatrixXd V = m_L.triangularView<Eigen::Lower>().solve(Ks.transpose()); // n x m
    var = (m_signalVar - V.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12 * m_signalVar);
}

void GpModel::predictPoint(const VectorXd& x, double& mean, double& var, VectorXd* dMean, VectorXd* dVar) const
{
    const Eigen::Index n = m_X.rows(), d = m_X.cols();
    VectorXd k(n);
    MatrixXd dk; // n x d
    bool wantGrad = dMean || dVar;
    if (wantGrad)
        dk.resize(n, d);
    VectorXd inv2 = m_lengthscales.array().square().inverse();
    for (Eigen::Index i = 0; i < n; ++i) {
        VectorXd diff = x - m_X.row(i).transpose();
        double r2 = diff.cwiseProduct(diff).dot(inv2);
        double r = std::sqrt(r2);
        double e = std::exp(-kSqrt5 * r);
        k[i] = m_signalVar * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * e;
        if (wantGrad) {
            double g = -m_signalVar * 5.0 / 3.0 * (1.0 + kSqrt5 * r) * e;
            dk.row(i) = (g * diff.cwiseProduct(inv2)).transpose();
        }
    }
    mean = k.dot(m_alpha) + m_priorMean;
    VectorXd v = m_L.triangularView<Eigen::Lower>().solve(k);
    double rawVar = m_signalVar - v.squaredNorm();
    double floor = 1e-12 * m_signalVar;
    var = std::max(rawVar, floor);
    if (dMean)
        *dMean = dk.transpose() * m_alpha;
    if (dVar) {
        if (rawVar <= floor) {
            dVar->setZero(d);
        } else {
            VectorXd w = m_L.transpose().triangularView<Eigen::Upper>().solve(v);
            *dVar = -2.0 * (dk.transpose() * w);
        }
    }
}

} // namespace lwb::tuner::detail
