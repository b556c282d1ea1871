// Robust statistics for measurements: quantiles, a distribution-free confidence interval of the
// median, relative standard deviation (the noise rule), and the Mann-Whitney U test used by the
// CI gate (as Google Benchmark's compare.py does).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace lwb::workbench {

/// Summary of a sample distribution.
struct Distribution {
    std::size_t count = 0;
    double mean = 0;
    double stddev = 0; ///< sample standard deviation (n-1)
    double min = 0;
    double max = 0;
    double median = 0;
    double q1 = 0; ///< 25th percentile
    double q3 = 0; ///< 75th percentile
    double ciLow = 0; ///< 95% confidence interval of the median (order statistics)
    double ciHigh = 0;

    double iqr() const { return q3 - q1; }
    /// stddev / |mean|, 0 for an empty or zero-mean sample.
    double relativeStddev() const;
};

/// Linear-interpolation quantile (q in [0, 1]) of unsorted values.
double quantile(std::span<const double> values, double q);
double median(std::span<const double> values);
/// Relative standard deviation of the values (stddev / |mean|).
double relativeStddev(std::span<const double> values);
Distribution summarize(std::span<const double> values);

/// Result of a two-sided Mann-Whitney U test of "A and B come from the same distribution".
struct MannWhitneyResult {
    double u = 0; ///< U statistic of sample A
    double pValue = 1; ///< two-sided
    bool exact = false; ///< exact permutation distribution (small samples without ties)
};

/// Two-sided Mann-Whitney U test. Exact for small samples without ties, otherwise the normal
/// approximation with tie correction and continuity correction.
MannWhitneyResult mannWhitneyU(std::span<const double> a, std::span<const double> b);

} // namespace lwb::workbench
