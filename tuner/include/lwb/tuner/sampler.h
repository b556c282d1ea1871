// Samplers propose the next configuration from a study's history. Runtime-swappable by name:
//   "random" (uniform in each parameter's own scale), "sobol" (scrambled quasi-random), "grid"
//   (every combination, floats on `points` levels), "gp" (Bayesian optimisation, the default).
// Options are JSON objects (snake_case keys), documented in docs/tuner.md.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/objective.h"
#include "lwb/tuner/search_space.h"
#include "lwb/tuner/trial.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner {

/// A sampler by name and its options.
struct SamplerSpec {
    std::string name = "gp";
    Json options = Json::object();
};

/// What a sampler sees when proposing.
struct SamplerContext {
    const std::vector<Objective>& objectives;
    const std::vector<OutcomeConstraint>& constraints;
    const std::vector<Trial>& trials; ///< every trial of the study (all states), by number
    std::uint64_t studySeed = 0;
    /// Number of trials the study holds (the proposal's index): samplers draw their randomness from
    /// (studySeed, proposalIndex), so the same history gives the same proposal.
    int proposalIndex = 0;
};

class Sampler {
public:
    virtual ~Sampler() = default;
    virtual std::string_view name() const = 0;
    /// A new configuration: active parameters only, fixed values included, constraints satisfied.
    virtual Result<Params> propose(const SamplerContext& context) = 0;
};

/// Creates a sampler for a (valid) space; InvalidArgument for unknown names or options.
Result<std::unique_ptr<Sampler>> makeSampler(const SamplerSpec& spec, const SearchSpace& space);
/// "gp", "grid", "random", "sobol".
std::vector<std::string> samplerNames();

} // namespace lwb::tuner
