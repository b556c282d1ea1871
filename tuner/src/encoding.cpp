// SpaceCodec: value vectors, unit-cube encoding and quantile mapping of configurations (see encoding.h).
#include "encoding.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lwb::tuner::detail {
namespace {

double exponentLow(const ParamSpec& p)
{
    return std::ceil(std::log2(std::max(p.low, 1.0)) - 1e-12);
}
double exponentHigh(const ParamSpec& p)
{
    return std::floor(std::log2(std::max(p.high, 1.0)) + 1e-12);
}

/// Value-vector form of a ParamValue of this parameter (valid values only).
double valueOf(const ParamSpec& p, const ParamValue& v)
{
    if (p.type == ParamType::Categorical) {
        for (std::size_t i = 0; i < p.choices.size(); ++i) {
            if (sameValue(p.choices[i], v))
                return static_cast<double>(i);
        }
        return std::nan("");
    }
    return numericValue(v).value_or(std::nan(""));
}

} // namespace

Result<SpaceCodec> SpaceCodec::create(const SearchSpace& space)
{
    LWB_RETURN_IF_ERROR(space.validate());
    SpaceCodec codec;
    codec.m_space = space;
    const auto& params = space.params();
    int count = static_cast<int>(params.size());
    codec.m_freeOfParam.assign(static_cast<std::size_t>(count), -1);
    codec.m_parent.assign(static_cast<std::size_t>(count), -1);
    codec.m_allowed.resize(static_cast<std::size_t>(count));
    codec.m_fixed.assign(static_cast<std::size_t>(count), std::nan(""));
    auto indexOf = [&](std::string_view name) {
        for (int i = 0; i < count; ++i) {
            if (params[static_cast<std::size_t>(i)].name == name)
                return i;
        }
        return -1;
    };
    for (int i = 0; i < count; ++i) {
        const ParamSpec& p = params[static_cast<std::size_t>(i)];
        if (p.fixed) {
            codec.m_fixed[static_cast<std::size_t>(i)] = valueOf(p, *p.fixed);
        } else {
            FreeParam f;
            f.param = i;
            f.offset = codec.m_dims;
            f.width = p.type == ParamType::Categorical ? std::max<int>(1, static_cast<int>(p.choices.size())) : 1;
            f.levels = p.levelCount();
            f.enumerable = p.type != ParamType::Float && f.levels <= kMaxEnumeratedLevels;
            codec.m_freeOfParam[static_cast<std::size_t>(i)] = static_cast<int>(codec.m_free.size());
            codec.m_free.push_back(f);
            codec.m_dims += f.width;
        }
        if (p.condition) {
            int parent = indexOf(p.condition->parent);
            codec.m_parent[static_cast<std::size_t>(i)] = parent;
            for (const auto& v : p.condition->allowedValues)
                codec.m_allowed[static_cast<std::size_t>(i)].push_back(
                    valueOf(params[static_cast<std::size_t>(parent)], v));
        }
    }
    // Topological order: depth in the condition tree, then index.
    std::vector<int> depth(static_cast<std::size_t>(count), 0);
    for (int i = 0; i < count; ++i) {
        for (int at = codec.m_parent[static_cast<std::size_t>(i)]; at >= 0;
             at = codec.m_parent[static_cast<std::size_t>(at)])
            ++depth[static_cast<std::size_t>(i)];
    }
    codec.m_order.resize(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        codec.m_order[static_cast<std::size_t>(i)] = i;
    std::stable_sort(codec.m_order.begin(), codec.m_order.end(),
        [&](int a, int b) { return depth[static_cast<std::size_t>(a)] < depth[static_cast<std::size_t>(b)]; });

    ExprLookup lookup = [&](std::string_view name) -> std::optional<ExprParam> {
        int i = indexOf(name);
        if (i < 0)
            return std::nullopt;
        return ExprParam {i, params[static_cast<std::size_t>(i)].type, params[static_cast<std::size_t>(i)].choices};
    };
    for (const auto& text : space.constraints()) {
        LWB_ASSIGN_OR_RETURN(auto expr, Expression::compile(text, lookup));
        codec.m_constraints.push_back(std::move(expr));
    }
    return codec;
}

Result<std::vector<double>> SpaceCodec::toValues(const Params& params) const
{
    const auto& specs = m_space.params();
    for (const auto& [name, value] : params) {
        if (!m_space.find(name))
            return fail(ErrorCode::InvalidArgument, "unknown parameter '" + name + "'", LWB_WHERE);
    }
    std::vector<double> values(specs.size(), std::nan(""));
    std::vector<char> given(specs.size(), 0);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        auto it = params.find(specs[i].name);
        if (it != params.end()) {
            LWB_RETURN_IF_ERROR(specs[i].checkValue(it->second));
            values[i] = valueOf(specs[i], it->second);
            given[i] = 1;
            if (specs[i].fixed && values[i] != m_fixed[i])
                return fail(ErrorCode::InvalidArgument,
                    "parameter '" + specs[i].name + "' is fixed to " + formatParamValue(*specs[i].fixed), LWB_WHERE);
        }
        if (specs[i].fixed)
            values[i] = m_fixed[i];
    }
    // Activity from the given values, parents first.
    std::vector<char> active(specs.size(), 1);
    for (int i : m_order) {
        auto ui = static_cast<std::size_t>(i);
        int parent = m_parent[ui];
        if (parent < 0)
            continue;
        auto up = static_cast<std::size_t>(parent);
        active[ui] = active[up] && !std::isnan(values[up])
            && std::find(m_allowed[ui].begin(), m_allowed[ui].end(), values[up]) != m_allowed[ui].end();
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!active[i]) {
            if (given[i] && !specs[i].fixed)
                return fail(ErrorCode::InvalidArgument,
                    "parameter '" + specs[i].name + "' is given but inactive (its condition on '"
                        + specs[i].condition->parent + "' does not hold)",
                    LWB_WHERE);
            values[i] = std::nan("");
        } else if (std::isnan(values[i])) {
            return fail(ErrorCode::InvalidArgument, "missing value of parameter '" + specs[i].name + "'", LWB_WHERE);
        }
    }
    return values;
}

Params SpaceCodec::toParams(const double* values) const
{
    Params params;
    const auto& specs = m_space.params();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        double v = values[i];
        if (std::isnan(v))
            continue;
        const ParamSpec& p = specs[i];
        switch (p.type) {
        case ParamType::Int:
            params[p.name] = static_cast<std::int64_t>(std::llround(v));
            break;
        case ParamType::Float:
            params[p.name] = v;
            break;
        case ParamType::Bool:
            params[p.name] = v != 0.0;
            break;
        case ParamType::Categorical:
            params[p.name] = p.choices[static_cast<std::size_t>(v)];
            break;
        }
    }
    return params;
}

void SpaceCodec::applyConditions(double* values) const
{
    for (int i : m_order) {
        auto ui = static_cast<std::size_t>(i);
        if (!std::isnan(m_fixed[ui]))
            values[ui] = m_fixed[ui];
        int parent = m_parent[ui];
        if (parent < 0)
            continue;
        double pv = values[static_cast<std::size_t>(parent)];
        bool allowed
            = !std::isnan(pv) && std::find(m_allowed[ui].begin(), m_allowed[ui].end(), pv) != m_allowed[ui].end();
        if (!allowed)
            values[ui] = std::nan("");
    }
}

bool SpaceCodec::parentAllows(int param, const double* values) const
{
    auto ui = static_cast<std::size_t>(param);
    int parent = m_parent[ui];
    if (parent < 0)
        return true;
    double pv = values[parent];
    return !std::isnan(pv) && std::find(m_allowed[ui].begin(), m_allowed[ui].end(), pv) != m_allowed[ui].end();
}

int SpaceCodec::violatedConstraint(const double* values) const
{
    for (std::size_t i = 0; i < m_constraints.size(); ++i) {
        if (!m_constraints[i].holds(values))
            return static_cast<int>(i);
    }
    return -1;
}

double SpaceCodec::toUnit(const ParamSpec& p, double v) const
{
    double lo = p.low, hi = p.high, x = v;
    if (p.scale == Scale::Log) {
        lo = std::log(p.low);
        hi = std::log(p.high);
        x = std::log(v);
    } else if (p.scale == Scale::Pow2) {
        lo = exponentLow(p);
        hi = exponentHigh(p);
        x = std::log2(v);
    }
    if (hi <= lo)
        return 0.5;
    return std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
}

double SpaceCodec::fromUnit(const ParamSpec& p, double u) const
{
    u = std::clamp(u, 0.0, 1.0);
    switch (p.scale) {
    case Scale::Linear: {
        double v = p.low + u * (p.high - p.low);
        if (p.type == ParamType::Int)
            v = std::round(v);
        return std::clamp(v, p.low, p.high);
    }
    case Scale::Log: {
        double v = std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)));
        if (p.type == ParamType::Int)
            v = std::round(v);
        return std::clamp(v, p.low, p.high);
    }
    case Scale::Pow2: {
        double lo = exponentLow(p), hi = exponentHigh(p);
        return std::exp2(std::round(lo + u * (hi - lo)));
    }
    }
    return p.low;
}

void SpaceCodec::encode(const double* values, double* u) const
{
    const auto& specs = m_space.params();
    for (const FreeParam& f : m_free) {
        const ParamSpec& p = specs[static_cast<std::size_t>(f.param)];
        double v = values[f.param];
        for (int k = 0; k < f.width; ++k)
            u[f.offset + k] = 0.0;
        if (std::isnan(v))
            continue;
        switch (p.type) {
        case ParamType::Int:
        case ParamType::Float:
            u[f.offset] = toUnit(p, v);
            break;
        case ParamType::Bool:
            u[f.offset] = v;
            break;
        case ParamType::Categorical:
            u[f.offset + static_cast<int>(v)] = 1.0;
            break;
        }
    }
}

void SpaceCodec::decode(const double* u, double* values) const
{
    const auto& specs = m_space.params();
    for (std::size_t i = 0; i < specs.size(); ++i)
        values[i] = m_fixed[i];
    for (const FreeParam& f : m_free) {
        const ParamSpec& p = specs[static_cast<std::size_t>(f.param)];
        double& v = values[f.param];
        switch (p.type) {
        case ParamType::Int:
        case ParamType::Float:
            v = fromUnit(p, u[f.offset]);
            break;
        case ParamType::Bool:
            v = u[f.offset] >= 0.5 ? 1.0 : 0.0;
            break;
        case ParamType::Categorical: {
            int best = 0;
            for (int k = 1; k < f.width; ++k) {
                if (u[f.offset + k] > u[f.offset + best])
                    best = k;
            }
            v = best;
            break;
        }
        }
    }
    applyConditions(values);
}

void SpaceCodec::fromQuantiles(const double* q, double* values) const
{
    for (std::size_t i = 0; i < m_fixed.size(); ++i)
        values[i] = m_fixed[i];
    for (std::size_t k = 0; k < m_free.size(); ++k)
        values[m_free[k].param] = quantileValue(k, q[k]);
    applyConditions(values);
}

double SpaceCodec::quantileValue(std::size_t freeIndex, double q) const
{
    const FreeParam& f = m_free[freeIndex];
    const ParamSpec& p = m_space.params()[static_cast<std::size_t>(f.param)];
    double qk = std::clamp(q, 0.0, 1.0 - 1e-12);
    if (p.type == ParamType::Float) {
        double v = p.scale == Scale::Log ? std::exp(std::log(p.low) + qk * (std::log(p.high) - std::log(p.low)))
                                         : p.low + qk * (p.high - p.low);
        return std::clamp(v, p.low, p.high);
    }
    if (p.type == ParamType::Int && p.scale == Scale::Log) {
        // Log-uniform over [low - 0.5, high + 0.5], rounded: each integer gets its log-width.
        double lo = std::log(p.low - 0.5), hi = std::log(p.high + 0.5);
        return std::clamp(std::round(std::exp(lo + qk * (hi - lo))), p.low, p.high);
    }
    auto level = static_cast<std::int64_t>(std::floor(qk * static_cast<double>(f.levels)));
    return levelValue(f.param, std::min(level, f.levels - 1));
}

double SpaceCodec::levelValue(int param, std::int64_t index) const
{
    const ParamSpec& p = m_space.params()[static_cast<std::size_t>(param)];
    switch (p.type) {
    case ParamType::Int:
        if (p.scale == Scale::Pow2)
            return std::exp2(exponentLow(p) + static_cast<double>(index));
        return p.low + static_cast<double>(index);
    case ParamType::Bool:
    case ParamType::Categorical:
        return static_cast<double>(index);
    case ParamType::Float:
        break;
    }
    return std::nan("");
}

std::int64_t SpaceCodec::levelIndex(int param, double value) const
{
    const ParamSpec& p = m_space.params()[static_cast<std::size_t>(param)];
    if (p.type == ParamType::Int) {
        if (p.scale == Scale::Pow2)
            return std::llround(std::log2(value) - exponentLow(p));
        return std::llround(value - p.low);
    }
    return std::llround(value);
}

std::string SpaceCodec::key(const double* values) const
{
    std::string out;
    char buffer[32];
    for (int i = 0; i < paramCount(); ++i) {
        std::snprintf(buffer, sizeof buffer, "%.10g|", values[i]);
        out += buffer;
    }
    return out;
}

} // namespace lwb::tuner::detail
