// Gaussian-process regression with a Matern-5/2 ARD kernel, MAP hyper-parameters and a Cholesky
// factorisation that adds jitter step by step and reports failure instead of returning NaNs.
//
// Notation and shapes:
//   n observations, d input dims; X (n x d) in the unit cube; y (n) standardised targets.
//   theta (d + 2) = [log l_1 .. log l_d, log sf2, log sn2]: ARD length-scales, signal variance, noise variance.
//   r(x, x') = sqrt(sum_k ((x_k - x'_k) / l_k)^2);  k(x, x') = sf2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r).
//   K = k(X, X) + (sn2 + jitter) I = L L^T;  alpha = K^-1 y;  W = K^-1 - alpha alpha^T.
//   U(theta) = -log p(y | theta) - log p(theta)
//            = 1/2 y^T alpha + sum_i log L_ii + n/2 log(2 pi) + sum_j (theta_j - mu_j)^2 / (2 s_j^2) + const.
//   dU/dtheta_j = 1/2 sum_ab W_ab dK_ab/dtheta_j + (theta_j - mu_j) / s_j^2, with
//     dK_ab/dlog l_k = sf2 5/3 (1 + sqrt5 r) exp(-sqrt5 r) (x_ak - x_bk)^2 / l_k^2,
//     dK/dlog sf2 = K - (sn2 + jitter) I,  dK/dlog sn2 = sn2 I.
#pragma once

#include "lwb/core/result.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cstdint>

namespace lwb::tuner::detail {

using Eigen::MatrixXd;
using Eigen::VectorXd;

/// A Cholesky factor and the jitter that was needed to obtain it.
struct CholeskyFactor {
    Eigen::LLT<MatrixXd> llt;
    double jitter = 0.0;
};

/// Factorises a symmetric matrix, adding jitter (1e-10, 1e-9, ... relative to the mean diagonal,
/// `maxTries` steps) until it is positive definite. NumericalError when K holds NaN/Inf or no jitter helps.
Result<CholeskyFactor> choleskyWithJitter(const MatrixXd& K, int maxTries = 7);

/// Noise variance of the GP: fitted (prior log sn2 ~ N(-4, 1), at least `floor`) or fixed at `floor`
/// (deterministic objectives: only numerical jitter).
struct NoiseModel {
    enum class Kind { Fitted, Fixed } kind = Kind::Fitted;
    double floor = 1e-4;
};

/// Independent normal priors on theta (in log space) and box bounds.
struct GpPrior {
    VectorXd mean; ///< (d + 2)
    VectorXd stddev; ///< (d + 2)
    VectorXd lower; ///< (d + 2)
    VectorXd upper; ///< (d + 2)

    /// The defaults that made BO work here: log l ~ N(-1.2 + log(d)/2, 0.8) with l in [0.025, 1e3],
    /// log sf2 ~ N(0, 1) in [log 0.05, log 20], log sn2 ~ N(-4, 1) in [log floor, log 2] (or fixed).
    static GpPrior defaults(int dims, const NoiseModel& noise);
};

/// Matern-5/2 cross-covariance between rows of A (m x d) and B (n x d), length-scales l (d).
MatrixXd maternCovariance(const MatrixXd& A, const MatrixXd& B, const VectorXd& lengthscales, double signalVar);

/// U(theta) and, when grad is not null, dU/dtheta (see the notation above). Returns +infinity when K
/// cannot be factorised.
double negLogPosterior(
    const VectorXd& theta, const MatrixXd& X, const VectorXd& y, const GpPrior& prior, VectorXd* grad);

/// Leave-one-out predictive means and variances (noise included) of every observation.
struct LeaveOneOut {
    VectorXd mean;
    VectorXd variance;
};
/// Closed form: mu_-i = y_i - alpha_i / [K^-1]_ii, s2_-i = 1 / [K^-1]_ii.
Result<LeaveOneOut> leaveOneOut(const MatrixXd& X, const VectorXd& y, const VectorXd& theta);

/// MAP fit options.
struct GpFitOptions {
    int restarts = 3; ///< starts besides the prior mean and the warm start
    int maxEvaluations = 150; ///< per start
    std::uint64_t seed = 0;
};

/// Minimises U by L-BFGS (NLopt, analytic gradients, box bounds) from the prior mean, the warm start
/// (if sized d + 2) and prior draws; returns the best theta. NumericalError when every start fails.
Result<VectorXd> fitHyperparameters(
    const MatrixXd& X, const VectorXd& y, const GpPrior& prior, const GpFitOptions& options, const VectorXd& warmStart);

/// A GP conditioned on data with fixed hyper-parameters: posterior mean and latent variance (without
/// noise), with gradients with respect to the input. The constant prior mean is the generalised
/// least-squares estimate c = 1^T K^-1 y / 1^T K^-1 1 (clustered observations count less than in the
/// plain average, so the mean far from the data is the typical value, not the sampled one).
class GpModel {
public:
    static Result<GpModel> condition(const MatrixXd& X, const VectorXd& y, const VectorXd& theta);
    /// Conditions with a given constant prior mean (e.g. the one of the model without pending points).
    static Result<GpModel> condition(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double priorMean);
    double priorMean() const { return m_priorMean; }

    int size() const { return static_cast<int>(m_X.rows()); }
    int dims() const { return static_cast<int>(m_X.cols()); }
    const VectorXd& theta() const { return m_theta; }
    double signalVar() const { return m_signalVar; }
    double noiseVar() const { return m_noiseVar; }
    double jitter() const { return m_jitter; }

    /// Mean and latent variance at the rows of Xs (m x d).
    void predict(const MatrixXd& Xs, VectorXd& mean, VectorXd& var) const;
    /// Mean and latent variance at x, with their gradients (each d) when the pointers are set.
    void predictPoint(const VectorXd& x, double& mean, double& var, VectorXd* dMean, VectorXd* dVar) const;

private:
    MatrixXd m_X;
    VectorXd m_theta;
    VectorXd m_lengthscales;
    double m_signalVar = 1.0;
    double m_noiseVar = 0.0;
    double m_jitter = 0.0;
    double m_priorMean = 0.0;
    VectorXd m_alpha;
    MatrixXd m_L; ///< lower Cholesky factor
};

} // namespace lwb::tuner::detail
