// Acquisition functions in log space, numerically stable far from the incumbent (Ament et al.,
// "Unexpected improvements to expected improvement", NeurIPS 2023), for minimisation.
//
// Notation: mean m and standard deviation s of the (standardised) objective at a point; incumbent f*
//   z = (f* - m) / s;  EI = s h(z),  h(z) = phi(z) + z Phi(z);  log EI = log s + log h(z);  h'(z) = Phi(z).
//   Probability that a modelled constraint c <= b holds: Phi((b - m_c) / s_c).
//   d log EI / dm = -(Phi/h)(z) / s;  d log EI / ds = 1/s - z (Phi/h)(z) / s.
#pragma once

namespace lwb::tuner::detail {

/// log Phi(z), accurate for very negative z.
double logNormalCdf(double z);
/// d/dz log Phi(z) = phi(z) / Phi(z).
double dLogNormalCdf(double z);
/// log h(z) = log(phi(z) + z Phi(z)), accurate for very negative z.
double logH(double z);
/// d/dz log h(z) = Phi(z) / h(z).
double dLogH(double z);
/// erfcx(x) = exp(x^2) erfc(x) for x >= 0.
double erfcx(double x);

/// log EI for minimisation at mean/stddev with incumbent `best`; derivatives when pointers are set.
double logExpectedImprovement(double mean, double stddev, double best, double* dMean, double* dStddev);
/// log P(c <= bound) for c ~ N(mean, stddev^2); derivatives when pointers are set.
double logProbabilityBelow(double mean, double stddev, double bound, double* dMean, double* dStddev);

} // namespace lwb::tuner::detail
