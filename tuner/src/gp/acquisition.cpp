// Stable log-space normal functions and log-EI (see acquisition.h for the formulas).
// Branches: for z > -1, h is computed directly; for z <= -1, h(z) = phi(z) (1 - |z| a(z)) with
// a(z) = sqrt(pi/2) erfcx(|z| / sqrt2) (so Phi(z) = phi(z) a(z)); for |z| > 1e3 asymptotic series of
// the Mills ratio replace the cancellation-prone difference.
#include "acquisition.h"

#include <cmath>
#include <numbers>

namespace lwb::tuner::detail {
namespace {

constexpr double kSqrt2 = std::numbers::sqrt2;
const double kLogSqrt2Pi = 0.5 * std::log(2.0 * std::numbers::pi);
const double kSqrtHalfPi = std::sqrt(0.5 * std::numbers::pi);

double logPhiDensity(double z)
{
    return -0.5 * z * z - kLogSqrt2Pi;
}
double normalCdf(double z)
{
    return 0.5 * std::erfc(-z / kSqrt2);
}

} // namespace

double erfcx(double x)
{
    if (x < 25.0)
        return std::exp(x * x) * std::erfc(x);
    double inv2 = 1.0 / (x * x);
    return (1.0 - 0.5 * inv2 + 0.75 * inv2 * inv2 - 1.875 * inv2 * inv2 * inv2) / (x * std::sqrt(std::numbers::pi));
}

double logNormalCdf(double z)
{
    if (z > -5.0)
        return std::log(normalCdf(z));
    return logPhiDensity(z) + std::log(kSqrtHalfPi * erfcx(-z / kSqrt2));
}

double dLogNormalCdf(double z)
{
    if (z > -5.0)
        return std::exp(logPhiDensity(z) - logNormalCdf(z));
    return 1.0 / (kSqrtHalfPi * erfcx(-z / kSqrt2));
}

double logH(double z)
{
    if (z > -1.0)
        return std::log(std::exp(logPhiDensity(z)) + z * normalCdf(z));
    double x = -z;
    if (x > 1e3) {
        double inv2 = 1.0 / (x * x);
        return logPhiDensity(z) + std::log(inv2) + std::log1p(-3.0 * inv2 + 15.0 * inv2 * inv2);
    }
    double a = kSqrtHalfPi * erfcx(x / kSqrt2);
    return logPhiDensity(z) + std::log1p(-x * a);
}

double dLogH(double z)
{
    if (z > -1.0) {
        double cdf = normalCdf(z);
        return cdf / (std::exp(logPhiDensity(z)) + z * cdf);
    }
    double x = -z;
    if (x > 1e3) {
        double inv2 = 1.0 / (x * x);
        double mills = (1.0 - inv2 + 3.0 * inv2 * inv2) / x; // Phi(z) / phi(z)
        double hOverPhi = inv2 * (1.0 - 3.0 * inv2 + 15.0 * inv2 * inv2); // h(z) / phi(z)
        return mills / hOverPhi;
    }
    double a = kSqrtHalfPi * erfcx(x / kSqrt2);
    return a / (1.0 - x * a);
}

double logExpectedImprovement(double mean, double stddev, double best, double* dMean, double* dStddev)
{
    double z = (best - mean) / stddev;
    double value = std::log(stddev) + logH(z);
    if (dMean || dStddev) {
        double g = dLogH(z);
        if (dMean)
            *dMean = -g / stddev;
        if (dStddev)
            *dStddev = 1.0 / stddev - z * g / stddev;
    }
    return value;
}

double logProbabilityBelow(double mean, double stddev, double bound, double* dMean, double* dStddev)
{
    double z = (bound - mean) / stddev;
    double value = logNormalCdf(z);
    if (dMean || dStddev) {
        double g = dLogNormalCdf(z);
        if (dMean)
            *dMean = -g / stddev;
        if (dStddev)
            *dStddev = -z * g / stddev;
    }
    return value;
}

} // namespace lwb::tuner::detail
