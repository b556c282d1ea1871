// Objectives (what a study optimises, one or several) and outcome constraints on measured metrics
// ("p99_latency_ms <= 20"), with their text and JSON forms.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner {

enum class Direction { Minimize, Maximize };

/// How the GP sees an objective's values before standardising them. Auto takes the log when every
/// value is positive and they span more than a factor of 10 (times, throughputs, memory).
enum class ValueTransform { Auto, None, Log };

struct Objective {
    std::string name;
    Direction direction = Direction::Minimize;
    ValueTransform transform = ValueTransform::Auto;
};

enum class ConstraintOp { LessEqual, GreaterEqual };

/// A bound on a metric that each trial reports along with its objective values.
struct OutcomeConstraint {
    std::string metric;
    ConstraintOp op = ConstraintOp::LessEqual;
    double bound = 0.0;

    /// Whether a measured value satisfies the constraint (NaN never does).
    bool satisfiedBy(double value) const;
};

/// "minimize" / "maximize".
std::string_view directionName(Direction direction);
/// Parses "metric <= 20", "throughput>=1e3".
Result<OutcomeConstraint> parseOutcomeConstraint(std::string_view text);
/// "metric <= 20".
std::string formatOutcomeConstraint(const OutcomeConstraint& constraint);

/// `{"name": "...", "direction": "minimize", "transform": "auto"}`.
Json objectiveToJson(const Objective& objective);
Result<Objective> objectiveFromJson(const Json& json);

/// Checks a list of objectives and constraints: at least one objective, unique non-empty names,
/// finite bounds.
Status validateObjectives(const std::vector<Objective>& objectives, const std::vector<OutcomeConstraint>& constraints);

} // namespace lwb::tuner
