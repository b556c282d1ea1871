// Test problems of the tuner benchmark: Branin (2-D), Hartmann-6 (6-D) and a mixed problem shaped
// like a GPU training configuration (batch size as a power of two, categorical precision, integer
// parallelism, log-scaled learning rate), each with its search space, Optuna form and optimum.
#pragma once

#include "lwb/tuner/tuner.h"

#include <functional>
#include <random>
#include <string>

namespace lwb::bench {

struct Problem {
    std::string name;
    tuner::SearchSpace space;
    Json optunaParams; ///< [{"name", "type", "low", "high", "log", "choices"}] for the TPE driver
    std::function<double(const tuner::Params&)> objective; ///< minimised
    std::function<tuner::Params(std::mt19937_64&)> randomConfig; ///< uniform initial point
    std::function<tuner::Params(const Json&)> fromOptuna; ///< Optuna's params -> ours
    std::function<Json(const tuner::Params&)> toOptuna; ///< ours -> Optuna's (for enqueued points)
    double optimum = 0.0;
};

Problem branin();
Problem hartmann6();
Problem mixedGpuConfig();

} // namespace lwb::bench
