// GP numerics: finite-difference checks of the marginal-likelihood and acquisition gradients,
// jittered Cholesky (success with jitter, clear failure instead of NaN), stable log-EI far from the
// incumbent, a MAP fit that does not degenerate.
#include "gp/acquisition.h"
#include "gp/bo_acquisition.h"
#include "gp/gp.h"
#include "rng.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lwb;
using namespace lwb::tuner::detail;

namespace {

MatrixXd randomPoints(int n, int d, std::uint64_t seed)
{
    Rng rng(seed);
    MatrixXd X(n, d);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d; ++k)
            X(i, k) = rng.uniform();
    return X;
}

VectorXd testFunction(const MatrixXd& X)
{
    VectorXd y(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i)
        y[i] = std::sin(6.0 * X(i, 0)) + 0.5 * std::cos(4.0 * X.row(i).sum()) + 0.3 * X(i, X.cols() - 1);
    return (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
}

/// Relative error between an analytic and a central-difference gradient.
double gradientError(const std::function<double(const VectorXd&, VectorXd*)>& f, const VectorXd& x, double h)
{
    VectorXd analytic;
    f(x, &analytic);
    double worst = 0.0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
        VectorXd a = x, b = x;
        a[k] += h;
        b[k] -= h;
        double numeric = (f(a, nullptr) - f(b, nullptr)) / (2.0 * h);
        double scale = std::max({1e-3, std::fabs(numeric), std::fabs(analytic[k])});
        worst = std::max(worst, std::fabs(numeric - analytic[k]) / scale);
    }
    return worst;
}

} // namespace

TEST(GpMath, MarginalLikelihoodGradientMatchesFiniteDifferences)
{
    for (int d : {1, 3, 6}) {
        MatrixXd X = randomPoints(25, d, 11 + static_cast<std::uint64_t>(d));
        VectorXd y = testFunction(X);
        GpPrior prior = GpPrior::defaults(d, NoiseModel {});
        Rng rng(5);
        for (int trial = 0; trial < 5; ++trial) {
            VectorXd theta(d + 2);
            for (int k = 0; k < d; ++k)
                theta[k] = std::log(0.1 + rng.uniform());
            theta[d] = std::log(0.5 + rng.uniform());
            theta[d + 1] = std::log(1e-3 + 0.05 * rng.uniform());
            auto f = [&](const VectorXd& t, VectorXd* g) { return negLogPosterior(t, X, y, prior, g); };
            EXPECT_LT(gradientError(f, theta, 1e-5), 1e-4) << "d=" << d << " trial " << trial;
        }
    }
}

TEST(GpMath, PosteriorGradientsMatchFiniteDifferences)
{
    const int d = 4;
    MatrixXd X = randomPoints(30, d, 3);
    VectorXd y = testFunction(X);
    VectorXd theta(d + 2);
    theta << std::log(0.3), std::log(0.5), std::log(0.8), std::log(0.2), 0.0, std::log(1e-4);
    auto model = GpModel::condition(X, y, theta);
    ASSERT_TRUE(model);
    VectorXd x = randomPoints(1, d, 99).row(0).transpose();
    auto meanF = [&](const VectorXd& u, VectorXd* g) {
        double m, v;
        model->predictPoint(u, m, v, g, nullptr);
        return m;
    };
    auto varF = [&](const VectorXd& u, VectorXd* g) {
        double m, v;
        model->predictPoint(u, m, v, nullptr, g);
        return v;
    };
    EXPECT_LT(gradientError(meanF, x, 1e-6), 1e-5);
    EXPECT_LT(gradientError(varF, x, 1e-6), 1e-5);
    // Batch and point predictions agree.
    VectorXd mean, var;
    model->predict(x.transpose(), mean, var);
    double m, v;
    model->predictPoint(x, m, v, nullptr, nullptr);
    EXPECT_NEAR(mean[0], m, 1e-10);
    EXPECT_NEAR(var[0], v, 1e-10);
}

TEST(GpMath, AcquisitionGradientMatchesFiniteDifferences)
{
    const int d = 3;
    MatrixXd X = randomPoints(20, d, 8);
    VectorXd y = testFunction(X);
    VectorXd theta(d + 2);
    theta << std::log(0.4), std::log(0.3), std::log(0.6), 0.0, std::log(1e-3);
    auto objective = GpModel::condition(X, y, theta);
    VectorXd c = X.col(1) * 2.0 - VectorXd::Ones(X.rows());
    auto constraint = GpModel::condition(X, c, theta);
    ASSERT_TRUE(objective && constraint);
    // Incumbent far below the data: exercises the asymptotic branch of log h.
    for (double incumbent : {y.minCoeff(), y.minCoeff() - 3.0, y.minCoeff() - 40.0}) {
        BoAcquisition acq(*objective, incumbent, {ConstraintModel {*constraint, 0.2}});
        auto f = [&](const VectorXd& u, VectorXd* g) { return acq.evaluatePoint(u, g); };
        for (int i = 0; i < 5; ++i) {
            VectorXd u = randomPoints(1, d, 200 + static_cast<std::uint64_t>(i)).row(0).transpose();
            EXPECT_LT(gradientError(f, u, 1e-6), 1e-4) << "incumbent " << incumbent << " point " << i;
            VectorXd batch = acq.evaluate(u.transpose());
            EXPECT_NEAR(batch[0], acq.evaluatePoint(u, nullptr), 1e-9);
        }
    }
}

TEST(GpMath, LogEiIsStableAndMatchesTheDirectFormula)
{
    for (double z : {-0.5, 0.0, 1.0, 3.0}) {
        double direct
            = std::log(std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI) + z * 0.5 * std::erfc(-z / std::sqrt(2.0)));
        EXPECT_NEAR(logH(z), direct, 1e-12) << z;
    }
    // Far from the incumbent the direct formula underflows; log h stays finite, decreasing and
    // close to its asymptote -z^2/2 - log(sqrt(2 pi)) - 2 log|z|.
    double previous = logH(-1.0);
    for (double z = -2.0; z > -1e5; z *= 1.7) {
        double value = logH(z);
        ASSERT_TRUE(std::isfinite(value)) << z;
        EXPECT_LT(value, previous) << z;
        previous = value;
        if (z < -30.0) {
            EXPECT_NEAR(value, -0.5 * z * z - 0.5 * std::log(2.0 * M_PI) - 2.0 * std::log(-z), 4.0 / (z * z));
        }
    }
    // The derivative of log h matches finite differences on both branches.
    for (double z : {-2000.0, -50.0, -5.0, -1.5, -1.0 + 1e-3, -0.2, 2.0}) {
        double h = 1e-6 * std::max(1.0, std::fabs(z));
        double numeric = (logH(z + h) - logH(z - h)) / (2.0 * h);
        EXPECT_NEAR(dLogH(z), numeric, 1e-5 * std::max(1.0, std::fabs(numeric))) << z;
        double numericCdf = (logNormalCdf(z + h) - logNormalCdf(z - h)) / (2.0 * h);
        EXPECT_NEAR(dLogNormalCdf(z), numericCdf, 1e-5 * std::max(1.0, std::fabs(numericCdf))) << z;
    }
    EXPECT_TRUE(std::isfinite(logExpectedImprovement(100.0, 1e-3, 0.0, nullptr, nullptr)));
}

TEST(GpMath, CholeskyAddsJitterForDuplicatePoints)
{
    MatrixXd X = randomPoints(10, 2, 1);
    MatrixXd D(20, 2);
    D << X, X; // every point twice: singular without noise
    VectorXd l(2);
    l << 0.3, 0.3;
    MatrixXd K = maternCovariance(D, D, l, 1.0);
    auto factor = choleskyWithJitter(K);
    ASSERT_TRUE(factor) << factor.error().message;
    EXPECT_GT(factor->jitter, 0.0);
    EXPECT_TRUE(factor->llt.matrixLLT().allFinite());
}

TEST(GpMath, CholeskyReportsFailureInsteadOfNaN)
{
    MatrixXd indefinite = MatrixXd::Identity(3, 3);
    indefinite(0, 0) = -1.0;
    auto failed = choleskyWithJitter(indefinite);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::NumericalError);
    EXPECT_NE(failed.error().message.find("not positive definite"), std::string::npos);

    MatrixXd withNaN = MatrixXd::Identity(3, 3);
    withNaN(1, 2) = withNaN(2, 1) = std::nan("");
    auto nan = choleskyWithJitter(withNaN);
    ASSERT_FALSE(nan);
    EXPECT_EQ(nan.error().code, ErrorCode::NumericalError);

    // The marginal likelihood reports +inf (never NaN) when the factorisation fails.
    MatrixXd X = randomPoints(5, 1, 2);
    VectorXd y = VectorXd::Ones(5);
    VectorXd theta(3);
    theta << 0.0, std::nan(""), 0.0;
    VectorXd grad;
    double value = negLogPosterior(theta, X, y, GpPrior::defaults(1, NoiseModel {}), &grad);
    EXPECT_TRUE(std::isinf(value));
    EXPECT_TRUE(grad.allFinite());
}

TEST(GpMath, MapFitStaysInsideBoundsAndFitsTheData)
{
    const int d = 6;
    MatrixXd X = randomPoints(40, d, 21);
    VectorXd y(40);
    // Depends on the first two dims only: the fit should find them relevant, not degenerate.
    for (int i = 0; i < 40; ++i)
        y[i] = std::sin(5.0 * X(i, 0)) + X(i, 1) * X(i, 1);
    y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
    GpPrior prior = GpPrior::defaults(d, NoiseModel {});
    GpFitOptions options;
    options.seed = 3;
    auto theta = fitHyperparameters(X, y, prior, options, VectorXd());
    ASSERT_TRUE(theta);
    for (int k = 0; k < d + 2; ++k) {
        EXPECT_GE((*theta)[k], prior.lower[k] - 1e-9);
        EXPECT_LE((*theta)[k], prior.upper[k] + 1e-9);
    }
    double relevant = std::max(std::exp((*theta)[0]), std::exp((*theta)[1]));
    double irrelevant = std::exp((*theta).segment(2, 4).minCoeff());
    EXPECT_LT(relevant, irrelevant);
    EXPECT_LT(std::exp((*theta)[d + 1]), 0.05); // nearly noise-free data: small noise
    // Held-out prediction is good.
    MatrixXd T = randomPoints(50, d, 77);
    VectorXd truth(50);
    for (int i = 0; i < 50; ++i)
        truth[i] = std::sin(5.0 * T(i, 0)) + T(i, 1) * T(i, 1);
    auto model = GpModel::condition(X, y, *theta);
    ASSERT_TRUE(model);
    VectorXd mean, var;
    model->predict(T, mean, var);
    // Map the truth to the standardised scale of y for comparison.
    VectorXd raw(40);
    for (int i = 0; i < 40; ++i)
        raw[i] = std::sin(5.0 * X(i, 0)) + X(i, 1) * X(i, 1);
    double m = raw.mean(), s = std::sqrt((raw.array() - m).square().mean());
    VectorXd truthStd = (truth.array() - m) / s;
    double rmse = std::sqrt((mean - truthStd).squaredNorm() / 50.0);
    EXPECT_LT(rmse, 0.25);
}

TEST(GpMath, FixedNoiseModelKeepsNoiseAtItsFloor)
{
    GpPrior prior = GpPrior::defaults(2, NoiseModel {NoiseModel::Kind::Fixed, 1e-10});
    EXPECT_DOUBLE_EQ(prior.lower[3], prior.upper[3]);
    EXPECT_NEAR(std::exp(prior.lower[3]), 1e-10, 1e-20);
}

TEST(GpMath, LeaveOneOutMatchesRefitting)
{
    const int d = 2;
    MatrixXd X = randomPoints(12, d, 4);
    VectorXd y = testFunction(X);
    VectorXd theta(d + 2);
    theta << std::log(0.3), std::log(0.4), 0.0, std::log(1e-2);
    auto loo = leaveOneOut(X, y, theta);
    ASSERT_TRUE(loo);
    for (int i = 0; i < 12; ++i) {
        MatrixXd Xi(11, d);
        VectorXd yi(11);
        for (int r = 0, k = 0; r < 12; ++r) {
            if (r == i)
                continue;
            Xi.row(k) = X.row(r);
            yi[k++] = y[r];
        }
        auto model = GpModel::condition(Xi, yi, theta, 0.0);
        ASSERT_TRUE(model);
        double m, v;
        model->predictPoint(X.row(i).transpose(), m, v, nullptr, nullptr);
        EXPECT_NEAR(loo->mean[i], m, 1e-8);
        EXPECT_NEAR(loo->variance[i], v + std::exp(theta[d + 1]), 1e-8);
    }
}
