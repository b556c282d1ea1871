// Pareto front and exact hypervolume by slicing (see pareto.h). The hypervolume sorts the points by
// their last coordinate and sums slabs: HV_d(P) = sum_i (z_(i+1) - z_i) HV_(d-1)(front of the first i
// points projected), with z_(n+1) = the reference; HV_1 is the distance from the best point.
#include "lwb/tuner/pareto.h"

#include <algorithm>

namespace lwb::tuner {

bool dominates(const std::vector<double>& a, const std::vector<double>& b)
{
    bool strictly = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i])
            return false;
        if (a[i] < b[i])
            strictly = true;
    }
    return strictly;
}

std::vector<std::size_t> paretoFrontIndices(const std::vector<std::vector<double>>& points)
{
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j)
            dominated = j != i && dominates(points[j], points[i]);
        if (!dominated)
            front.push_back(i);
    }
    return front;
}

static double hypervolumeRecursive(
    std::vector<std::vector<double>> points, const std::vector<double>& reference, std::size_t dims)
{
    if (points.empty())
        return 0.0;
    if (dims == 1) {
        double best = reference[0];
        for (const auto& p : points)
            best = std::min(best, p[0]);
        return reference[0] - best;
    }
    std::size_t last = dims - 1;
    std::sort(points.begin(), points.end(), [last](const auto& a, const auto& b) { return a[last] < b[last]; });
    double volume = 0.0;
    std::vector<std::vector<double>> slice;
    for (std::size_t i = 0; i < points.size(); ++i) {
        std::vector<double> projected(points[i].begin(), points[i].begin() + static_cast<std::ptrdiff_t>(last));
        // Keep the slice non-dominated so the recursion stays small.
        bool dominated = std::any_of(slice.begin(), slice.end(), [&](const auto& s) {
            return std::equal(s.begin(), s.end(), projected.begin(), [](double a, double b) { return a <= b; });
        });
        if (!dominated) {
            slice.erase(std::remove_if(slice.begin(), slice.end(),
                            [&](const auto& s) {
                                return std::equal(projected.begin(), projected.end(), s.begin(),
                                    [](double a, double b) { return a <= b; });
                            }),
                slice.end());
            slice.push_back(std::move(projected));
        }
        double next = i + 1 < points.size() ? points[i + 1][last] : reference[last];
        double height = next - points[i][last];
        if (height > 0.0)
            volume += height * hypervolumeRecursive(slice, reference, last);
    }
    return volume;
}

double hypervolume(std::vector<std::vector<double>> points, const std::vector<double>& reference)
{
    points.erase(std::remove_if(points.begin(), points.end(),
                     [&](const auto& p) {
                         for (std::size_t i = 0; i < reference.size(); ++i) {
                             if (!(p[i] < reference[i]))
                                 return true;
                         }
                         return false;
                     }),
        points.end());
    return hypervolumeRecursive(std::move(points), reference, reference.size());
}

std::vector<double> toMinimization(const std::vector<double>& values, const std::vector<Objective>& objectives)
{
    std::vector<double> out = values;
    for (std::size_t i = 0; i < out.size() && i < objectives.size(); ++i) {
        if (objectives[i].direction == Direction::Maximize)
            out[i] = -out[i];
    }
    return out;
}

} // namespace lwb::tuner
