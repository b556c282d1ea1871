// Random, Sobol and grid samplers, the sampler factory and option helpers (see samplers.h).
#include "samplers.h"

#include "sobol.h"

#include <algorithm>
#include <cmath>

namespace lwb::tuner::detail {

bool isProposable(const SpaceCodec& codec, const History& history, const std::vector<double>& values, Repeats repeats)
{
    if (codec.violatedConstraint(values.data()) >= 0)
        return false;
    std::string key = codec.key(values.data());
    if (history.failedKeys.count(key))
        return false;
    if (repeats == Repeats::Forbidden && (history.completeKeys.count(key) || history.pendingKeys.count(key)))
        return false;
    return true;
}

Result<std::vector<double>> randomProposable(const SpaceCodec& codec, const History& history, Rng& rng)
{
    std::vector<double> q(codec.freeParams().size());
    std::vector<double> values(static_cast<std::size_t>(codec.paramCount()));
    constexpr int kTries = 20000;
    for (int attempt = 0; attempt < kTries; ++attempt) {
        for (double& x : q)
            x = rng.uniform();
        codec.fromQuantiles(q.data(), values.data());
        if (isProposable(codec, history, values, attempt < kTries / 2 ? Repeats::Forbidden : Repeats::Allowed))
            return values;
    }
    return fail(ErrorCode::InvalidArgument,
        "no configuration satisfying the constraints (and not known to fail) found in " + std::to_string(kTries)
            + " random draws",
        LWB_WHERE);
}

Status checkOptionKeys(const Json& options, const std::string& what, const std::vector<std::string>& known)
{
    if (options.is_null())
        return {};
    if (!options.is_object())
        return fail(ErrorCode::InvalidArgument, what + " options must be a JSON object", LWB_WHERE);
    for (const auto& [key, value] : options.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            std::string list;
            for (const auto& k : known)
                list += (list.empty() ? "" : ", ") + k;
            return fail(ErrorCode::InvalidArgument,
                what + ": unknown option '" + key + "'"
                    + (list.empty() ? " (it takes none)" : " (known: " + list + ")"),
                LWB_WHERE);
        }
    }
    return {};
}

Result<int> intOption(const Json& options, const char* key, int fallback, int low, int high)
{
    if (!options.is_object() || !options.contains(key))
        return fallback;
    const Json& v = options[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < low || v.get<std::int64_t>() > high)
        return fail(ErrorCode::InvalidArgument,
            std::string("option '") + key + "' must be an integer in [" + std::to_string(low) + ", "
                + std::to_string(high) + "]",
            LWB_WHERE);
    return v.get<int>();
}

Result<double> numberOption(const Json& options, const char* key, double fallback, double low, double high)
{
    if (!options.is_object() || !options.contains(key))
        return fallback;
    const Json& v = options[key];
    if (!v.is_number() || !(v.get<double>() >= low && v.get<double>() <= high))
        return fail(ErrorCode::InvalidArgument,
            std::string("option '") + key + "' must be a number in [" + std::to_string(low) + ", "
                + std::to_string(high) + "]",
            LWB_WHERE);
    return v.get<double>();
}

Result<std::string> stringOption(
    const Json& options, const char* key, const std::string& fallback, const std::vector<std::string>& allowed)
{
    if (!options.is_object() || !options.contains(key))
        return fallback;
    const Json& v = options[key];
    if (v.is_string() && std::find(allowed.begin(), allowed.end(), v.get<std::string>()) != allowed.end())
        return v.get<std::string>();
    std::string list;
    for (const auto& a : allowed)
        list += (list.empty() ? "" : ", ") + a;
    return fail(ErrorCode::InvalidArgument, std::string("option '") + key + "' must be one of: " + list, LWB_WHERE);
}

namespace {

class RandomSampler final : public Sampler {
public:
    explicit RandomSampler(SpaceCodec codec)
        : m_codec(std::move(codec))
    {
    }
    std::string_view name() const override { return "random"; }
    Result<Params> propose(const SamplerContext& context) override
    {
        History history = buildHistory(m_codec, context.trials);
        Rng rng(mixSeed(context.studySeed, static_cast<std::uint64_t>(context.proposalIndex)));
        LWB_ASSIGN_OR_RETURN(auto values, randomProposable(m_codec, history, rng));
        return m_codec.toParams(values.data());
    }

private:
    SpaceCodec m_codec;
};

class SobolSampler final : public Sampler {
public:
    explicit SobolSampler(SpaceCodec codec)
        : m_codec(std::move(codec))
    {
    }
    std::string_view name() const override { return "sobol"; }
    Result<Params> propose(const SamplerContext& context) override
    {
        History history = buildHistory(m_codec, context.trials);
        int dims = std::max<int>(1, static_cast<int>(m_codec.freeParams().size()));
        if (dims > SobolSequence::kMaxDims)
            return randomFallback(context, history);
        SobolSequence sobol(dims, context.studySeed);
        std::vector<double> q(static_cast<std::size_t>(dims));
        std::vector<double> values(static_cast<std::size_t>(m_codec.paramCount()));
        // The point of this index; when it is not proposable, later points of a side stream.
        for (int attempt = 0; attempt < 256; ++attempt) {
            std::uint64_t index = attempt == 0
                ? static_cast<std::uint64_t>(context.proposalIndex)
                : (std::uint64_t {1} << 40) + static_cast<std::uint64_t>(context.proposalIndex) * 256 + attempt;
            sobol.point(index, q.data());
            m_codec.fromQuantiles(q.data(), values.data());
            if (isProposable(m_codec, history, values, Repeats::Forbidden))
                return m_codec.toParams(values.data());
        }
        return randomFallback(context, history);
    }

private:
    Result<Params> randomFallback(const SamplerContext& context, const History& history)
    {
        Rng rng(mixSeed(context.studySeed, static_cast<std::uint64_t>(context.proposalIndex)));
        LWB_ASSIGN_OR_RETURN(auto values, randomProposable(m_codec, history, rng));
        return m_codec.toParams(values.data());
    }
    SpaceCodec m_codec;
};

class GridSampler final : public Sampler {
public:
    GridSampler(SpaceCodec codec, std::vector<std::vector<double>> grid)
        : m_codec(std::move(codec))
        , m_grid(std::move(grid))
    {
    }
    std::string_view name() const override { return "grid"; }
    Result<Params> propose(const SamplerContext& context) override
    {
        History history = buildHistory(m_codec, context.trials);
        // Deterministic order per seed: a shuffled permutation of the grid.
        std::vector<std::size_t> order(m_grid.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        Rng rng(mixSeed(context.studySeed, 0x6A1D));
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[rng.below(i)]);
        for (std::size_t i : order) {
            std::string key = m_codec.key(m_grid[i].data());
            if (!history.completeKeys.count(key) && !history.pendingKeys.count(key) && !history.failedKeys.count(key))
                return m_codec.toParams(m_grid[i].data());
        }
        return fail(ErrorCode::NotFound,
            "grid exhausted: all " + std::to_string(m_grid.size()) + " configurations were tried", LWB_WHERE);
    }

private:
    SpaceCodec m_codec;
    std::vector<std::vector<double>> m_grid;
};

} // namespace

Result<std::unique_ptr<Sampler>> makeRandomSampler(const SearchSpace& space, const Json& options)
{
    LWB_RETURN_IF_ERROR(checkOptionKeys(options, "random sampler", {}));
    LWB_ASSIGN_OR_RETURN(auto codec, SpaceCodec::create(space));
    return std::unique_ptr<Sampler>(new RandomSampler(std::move(codec)));
}

Result<std::unique_ptr<Sampler>> makeSobolSampler(const SearchSpace& space, const Json& options)
{
    LWB_RETURN_IF_ERROR(checkOptionKeys(options, "sobol sampler", {}));
    LWB_ASSIGN_OR_RETURN(auto codec, SpaceCodec::create(space));
    return std::unique_ptr<Sampler>(new SobolSampler(std::move(codec)));
}

Result<std::unique_ptr<Sampler>> makeGridSampler(const SearchSpace& space, const Json& options)
{
    LWB_RETURN_IF_ERROR(checkOptionKeys(options, "grid sampler", {"points", "max_size"}));
    LWB_ASSIGN_OR_RETURN(int points, intOption(options, "points", 5, 2, 1000));
    LWB_ASSIGN_OR_RETURN(int maxSize, intOption(options, "max_size", 100000, 1, 10000000));
    LWB_ASSIGN_OR_RETURN(auto codec, SpaceCodec::create(space));
    const auto& specs = space.params();
    std::vector<std::vector<double>> levels(specs.size());
    for (const auto& f : codec.freeParams()) {
        const ParamSpec& p = specs[static_cast<std::size_t>(f.param)];
        auto& list = levels[static_cast<std::size_t>(f.param)];
        // Categorical and boolean parameters have no numeric range to subsample: every choice.
        bool discreteChoices = p.type == ParamType::Categorical || p.type == ParamType::Bool;
        if (discreteChoices || (p.type != ParamType::Float && f.levels <= points)) {
            for (std::int64_t i = 0; i < f.levels; ++i)
                list.push_back(codec.levelValue(f.param, i));
            continue;
        }
        for (int i = 0; i < points; ++i) {
            double t = points == 1 ? 0.5 : static_cast<double>(i) / (points - 1);
            double v = p.scale == Scale::Linear ? p.low + t * (p.high - p.low)
                                                : std::exp(std::log(p.low) + t * (std::log(p.high) - std::log(p.low)));
            if (p.type == ParamType::Int) {
                v = std::clamp(std::round(v), p.low, p.high);
                if (p.scale == Scale::Pow2)
                    v = codec.levelValue(f.param, std::llround(t * static_cast<double>(f.levels - 1)));
            }
            if (list.empty() || list.back() != v)
                list.push_back(v);
        }
    }
    std::vector<std::vector<double>> grid;
    bool complete
        = enumerateCombinations(codec, levels, static_cast<std::size_t>(maxSize), [&](const std::vector<double>& v) {
              if (codec.violatedConstraint(v.data()) < 0)
                  grid.push_back(v);
          });
    if (!complete)
        return fail(ErrorCode::InvalidArgument,
            "the grid has more than " + std::to_string(maxSize) + " configurations; lower 'points' or raise 'max_size'",
            LWB_WHERE);
    if (grid.empty())
        return fail(ErrorCode::InvalidArgument, "no grid configuration satisfies the constraints", LWB_WHERE);
    return std::unique_ptr<Sampler>(new GridSampler(std::move(codec), std::move(grid)));
}

} // namespace lwb::tuner::detail

namespace lwb::tuner {

Result<std::unique_ptr<Sampler>> makeSampler(const SamplerSpec& spec, const SearchSpace& space)
{
    Json options = spec.options.is_null() ? Json::object() : spec.options;
    if (spec.name == "random")
        return detail::makeRandomSampler(space, options);
    if (spec.name == "sobol")
        return detail::makeSobolSampler(space, options);
    if (spec.name == "grid")
        return detail::makeGridSampler(space, options);
    if (spec.name == "gp")
        return detail::makeGpSampler(space, options);
    return fail(ErrorCode::InvalidArgument, "unknown sampler '" + spec.name + "' (gp, grid, random, sobol)", LWB_WHERE);
}

std::vector<std::string> samplerNames()
{
    return {"gp", "grid", "random", "sobol"};
}

} // namespace lwb::tuner
