// Multi-objective helpers: Pareto front (non-dominated points) and dominated hypervolume.
// Points here are minimised in every coordinate; toMinimization() flips maximised objectives.
#pragma once

#include "lwb/tuner/objective.h"

#include <cstddef>
#include <vector>

namespace lwb::tuner {

/// Whether a dominates b: no worse in every coordinate and better in one (minimisation).
bool dominates(const std::vector<double>& a, const std::vector<double>& b);
/// Indices of the non-dominated points (duplicates of a front point are all kept), in input order.
std::vector<std::size_t> paretoFrontIndices(const std::vector<std::vector<double>>& points);
/// Volume dominated by the points and bounded by the reference point (minimisation); points not
/// better than the reference in every coordinate add nothing. Exact (slicing), for a few objectives.
double hypervolume(std::vector<std::vector<double>> points, const std::vector<double>& reference);
/// Objective values with maximised ones negated.
std::vector<double> toMinimization(const std::vector<double>& values, const std::vector<Objective>& objectives);

} // namespace lwb::tuner
