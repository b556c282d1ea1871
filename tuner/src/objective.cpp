// Objectives and outcome constraints: text and JSON forms, validation (see objective.h).
#include "lwb/tuner/objective.h"

#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

namespace lwb::tuner {

bool OutcomeConstraint::satisfiedBy(double value) const
{
    if (std::isnan(value))
        return false;
    return op == ConstraintOp::LessEqual ? value <= bound : value >= bound;
}

std::string_view directionName(Direction direction)
{
    return direction == Direction::Minimize ? "minimize" : "maximize";
}

static std::string trim(std::string_view s)
{
    std::size_t b = s.find_first_not_of(" \t\n");
    std::size_t e = s.find_last_not_of(" \t\n");
    return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

Result<OutcomeConstraint> parseOutcomeConstraint(std::string_view text)
{
    OutcomeConstraint c;
    std::size_t at = text.find("<=");
    if (at != std::string_view::npos) {
        c.op = ConstraintOp::LessEqual;
    } else if ((at = text.find(">=")) != std::string_view::npos) {
        c.op = ConstraintOp::GreaterEqual;
    } else {
        return fail(ErrorCode::InvalidArgument,
            "outcome constraint '" + std::string(text) + "': expected 'metric <= bound' or 'metric >= bound'",
            LWB_WHERE);
    }
    c.metric = trim(text.substr(0, at));
    std::string bound = trim(text.substr(at + 2));
    double value = 0.0;
    auto [end, ec] = std::from_chars(bound.data(), bound.data() + bound.size(), value);
    if (c.metric.empty() || bound.empty() || ec != std::errc() || end != bound.data() + bound.size()
        || !std::isfinite(value))
        return fail(ErrorCode::InvalidArgument,
            "outcome constraint '" + std::string(text) + "': expected 'metric <= number'", LWB_WHERE);
    c.bound = value;
    return c;
}

std::string formatOutcomeConstraint(const OutcomeConstraint& c)
{
    std::ostringstream out;
    out.precision(17);
    out << c.metric << (c.op == ConstraintOp::LessEqual ? " <= " : " >= ") << c.bound;
    return out.str();
}

Json objectiveToJson(const Objective& o)
{
    const char* transform = o.transform == ValueTransform::Auto ? "auto"
        : o.transform == ValueTransform::Log                    ? "log"
                                                                : "none";
    return {{"name", o.name}, {"direction", std::string(directionName(o.direction))}, {"transform", transform}};
}

static Result<Objective> objectiveFromJsonUnchecked(const Json& j)
{
    Objective o;
    if (j.is_string()) {
        o.name = j.get<std::string>();
        return o;
    }
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
        return fail(ErrorCode::InvalidArgument,
            "objective must be {\"name\": ..., \"direction\": \"minimize\"|\"maximize\"}, got " + j.dump(), LWB_WHERE);
    o.name = j["name"];
    std::string direction = j.value("direction", "minimize");
    if (direction == "minimize")
        o.direction = Direction::Minimize;
    else if (direction == "maximize")
        o.direction = Direction::Maximize;
    else
        return fail(
            ErrorCode::InvalidArgument, "objective '" + o.name + "': unknown direction '" + direction + "'", LWB_WHERE);
    std::string transform = j.value("transform", "auto");
    if (transform == "auto")
        o.transform = ValueTransform::Auto;
    else if (transform == "log")
        o.transform = ValueTransform::Log;
    else if (transform == "none")
        o.transform = ValueTransform::None;
    else
        return fail(
            ErrorCode::InvalidArgument, "objective '" + o.name + "': unknown transform '" + transform + "'", LWB_WHERE);
    return o;
}

Result<Objective> objectiveFromJson(const Json& j)
{
    try {
        return objectiveFromJsonUnchecked(j);
    } catch (const Json::exception& e) {
        return fail(ErrorCode::InvalidArgument, std::string("objective: ") + e.what(), LWB_WHERE);
    }
}

Status validateObjectives(const std::vector<Objective>& objectives, const std::vector<OutcomeConstraint>& constraints)
{
    if (objectives.empty())
        return fail(ErrorCode::InvalidArgument, "a study needs at least one objective", LWB_WHERE);
    std::set<std::string> names;
    for (const auto& o : objectives) {
        if (o.name.empty())
            return fail(ErrorCode::InvalidArgument, "an objective has no name", LWB_WHERE);
        if (!names.insert(o.name).second)
            return fail(ErrorCode::InvalidArgument, "objective '" + o.name + "' is listed twice", LWB_WHERE);
    }
    std::set<std::string> metrics;
    for (const auto& c : constraints) {
        if (c.metric.empty())
            return fail(ErrorCode::InvalidArgument, "an outcome constraint has no metric name", LWB_WHERE);
        if (!std::isfinite(c.bound))
            return fail(
                ErrorCode::InvalidArgument, "outcome constraint on '" + c.metric + "' has no finite bound", LWB_WHERE);
        if (!metrics.insert(c.metric).second)
            return fail(ErrorCode::InvalidArgument,
                "metric '" + c.metric + "' has two outcome constraints; give one bound per metric", LWB_WHERE);
    }
    return {};
}

} // namespace lwb::tuner
