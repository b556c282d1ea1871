// Quantiles, median confidence intervals and the Mann-Whitney U test (see statistics.h).
// Notation: n, m sample sizes; U = number of pairs (a_i, b_j) with a_i > b_j (+0.5 for ties).
#include "lwb/workbench/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lwb::workbench {
namespace {

double sortedQuantile(const std::vector<double>& sorted, double q)
{
    if (sorted.empty())
        return 0;
    double pos = q * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = std::min(lo + 1, sorted.size() - 1);
    double frac = pos - static_cast<double>(lo);
    return sorted[lo] * (1 - frac) + sorted[hi] * frac;
}

double normalCdf(double z)
{
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

/// Binomial(n, 1/2) CDF at k.
double binomialHalfCdf(int n, int k)
{
    double sum = 0;
    double logHalfN = n * std::log(0.5);
    for (int i = 0; i <= k; ++i)
        sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) + logHalfN);
    return sum;
}

} // namespace

double Distribution::relativeStddev() const
{
    return (count < 2 || mean == 0) ? 0 : stddev / std::fabs(mean);
}

double quantile(std::span<const double> values, double q)
{
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    return sortedQuantile(sorted, q);
}

double median(std::span<const double> values)
{
    return quantile(values, 0.5);
}

double relativeStddev(std::span<const double> values)
{
    return summarize(values).relativeStddev();
}

Distribution summarize(std::span<const double> values)
{
    Distribution d;
    d.count = values.size();
    if (values.empty())
        return d;
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    d.min = sorted.front();
    d.max = sorted.back();
    d.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(d.count);
    if (d.count > 1) {
        double ss = 0;
        for (double v : sorted)
            ss += (v - d.mean) * (v - d.mean);
        d.stddev = std::sqrt(ss / static_cast<double>(d.count - 1));
    }
    d.median = sortedQuantile(sorted, 0.5);
    d.q1 = sortedQuantile(sorted, 0.25);
    d.q3 = sortedQuantile(sorted, 0.75);
    // Distribution-free CI of the median: the widest symmetric pair of order statistics
    // (x_(k), x_(n-k+1)) with coverage >= 95%; for n < 6 no such pair exists: use min..max.
    int n = static_cast<int>(d.count);
    d.ciLow = d.min;
    d.ciHigh = d.max;
    for (int k = n / 2; k >= 1; --k) {
        double coverage = 1 - 2 * binomialHalfCdf(n, k - 1);
        if (coverage >= 0.95) {
            d.ciLow = sorted[static_cast<std::size_t>(k - 1)];
            d.ciHigh = sorted[static_cast<std::size_t>(n - k)];
            break;
        }
    }
    return d;
}

MannWhitneyResult mannWhitneyU(std::span<const double> a, std::span<const double> b)
{
    MannWhitneyResult result;
    const std::size_t n = a.size(), m = b.size();
    if (n == 0 || m == 0)
        return result;
    // Ranks of the pooled sample (average ranks for ties).
    struct Item {
        double value;
        int group;
    };
    std::vector<Item> pooled;
    pooled.reserve(n + m);
    for (double v : a)
        pooled.push_back({v, 0});
    for (double v : b)
        pooled.push_back({v, 1});
    std::sort(pooled.begin(), pooled.end(), [](const Item& x, const Item& y) { return x.value < y.value; });
    double rankSumA = 0, tieTerm = 0;
    bool ties = false;
    for (std::size_t i = 0; i < pooled.size();) {
        std::size_t j = i;
        while (j < pooled.size() && pooled[j].value == pooled[i].value)
            ++j;
        double t = static_cast<double>(j - i);
        double avgRank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        if (t > 1) {
            ties = true;
            tieTerm += t * t * t - t;
        }
        for (std::size_t k = i; k < j; ++k)
            if (pooled[k].group == 0)
                rankSumA += avgRank;
        i = j;
    }
    const double dn = static_cast<double>(n), dm = static_cast<double>(m);
    result.u = rankSumA - dn * (dn + 1) / 2;
    const double meanU = dn * dm / 2;

    if (!ties && n * m <= 400) {
        // Exact: number of arrangements with U = u via the recurrence
        // f(n, m, u) = f(n-1, m, u-m) + f(n, m-1, u).
        const std::size_t maxU = n * m;
        std::vector<std::vector<double>> prev(m + 1, std::vector<double>(maxU + 1, 0)), cur = prev;
        for (std::size_t j = 0; j <= m; ++j)
            prev[j][0] = 1; // n = 0: only U = 0
        for (std::size_t i = 1; i <= n; ++i) {
            for (std::size_t j = 0; j <= m; ++j) {
                std::fill(cur[j].begin(), cur[j].end(), 0);
                for (std::size_t u = 0; u <= maxU; ++u) {
                    double v = (u >= j ? prev[j][u - j] : 0) + (j > 0 ? cur[j - 1][u] : 0);
                    cur[j][u] = v;
                }
            }
            std::swap(prev, cur);
        }
        const auto& counts = prev[m];
        double total = std::accumulate(counts.begin(), counts.end(), 0.0);
        double dev = std::fabs(result.u - meanU);
        double tail = 0;
        for (std::size_t u = 0; u <= maxU; ++u)
            if (std::fabs(static_cast<double>(u) - meanU) >= dev - 1e-9)
                tail += counts[u];
        result.pValue = std::min(1.0, tail / total);
        result.exact = true;
        return result;
    }
    const double N = dn + dm;
    double variance = dn * dm / 12.0 * ((N + 1) - tieTerm / (N * (N - 1)));
    if (variance <= 0) {
        result.pValue = 1;
        return result;
    }
    double z = (std::fabs(result.u - meanU) - 0.5) / std::sqrt(variance);
    result.pValue = std::min(1.0, 2 * (1 - normalCdf(std::max(0.0, z))));
    return result;
}

} // namespace lwb::workbench
