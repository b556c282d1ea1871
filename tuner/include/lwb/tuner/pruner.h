// Pruners stop unpromising trials early from the intermediate values they report:
//   "none"; "median" (worse than the median of completed trials at the same step);
//   "successive_halving" (asynchronous: at rungs min_resource * reduction_factor^k only the best
//   1/reduction_factor of the trials that reached the rung go on).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/tuner/objective.h"
#include "lwb/tuner/trial.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner {

struct PrunerSpec {
    std::string name = "none";
    Json options = Json::object();
};

struct PrunerContext {
    Direction direction = Direction::Minimize; ///< of the intermediate values (the first objective)
    const std::vector<Trial>& trials; ///< every trial of the study
    const Trial& trial; ///< the reporting trial, its new value included
    std::int64_t step = 0; ///< the step just reported
};

class Pruner {
public:
    virtual ~Pruner() = default;
    virtual std::string_view name() const = 0;
    virtual bool shouldPrune(const PrunerContext& context) const = 0;
};

/// Creates a pruner; InvalidArgument for unknown names or options.
Result<std::unique_ptr<Pruner>> makePruner(const PrunerSpec& spec);
/// "median", "none", "successive_halving".
std::vector<std::string> prunerNames();

} // namespace lwb::tuner
