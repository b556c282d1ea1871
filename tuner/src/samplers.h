// Internal sampler constructors and helpers shared by the samplers (see lwb/tuner/sampler.h).
#pragma once

#include "encoding.h"
#include "history.h"
#include "lwb/tuner/sampler.h"
#include "rng.h"

#include <memory>
#include <optional>

namespace lwb::tuner::detail {

Result<std::unique_ptr<Sampler>> makeRandomSampler(const SearchSpace& space, const Json& options);
Result<std::unique_ptr<Sampler>> makeSobolSampler(const SearchSpace& space, const Json& options);
Result<std::unique_ptr<Sampler>> makeGridSampler(const SearchSpace& space, const Json& options);
Result<std::unique_ptr<Sampler>> makeGpSampler(const SearchSpace& space, const Json& options);

/// Whether a configuration may be proposed: constraints hold and it is not known to fail; with
/// `allowRepeat` false it must also be new (not complete, pending or pruned).
enum class Repeats { Allowed, Forbidden };
bool isProposable(const SpaceCodec& codec, const History& history, const std::vector<double>& values, Repeats repeats);

/// Uniform random configuration that may be proposed (repeats allowed only after many tries);
/// InvalidArgument when the constraints leave nothing after many draws.
Result<std::vector<double>> randomProposable(const SpaceCodec& codec, const History& history, Rng& rng);

/// Reads an integer / number option, checking its range; InvalidArgument names the option.
Result<int> intOption(const Json& options, const char* key, int fallback, int low, int high);
Result<double> numberOption(const Json& options, const char* key, double fallback, double low, double high);
Result<std::string> stringOption(
    const Json& options, const char* key, const std::string& fallback, const std::vector<std::string>& allowed);
/// Fails on keys that are not in `known` (catches typos in specs).
Status checkOptionKeys(const Json& options, const std::string& what, const std::vector<std::string>& known);

} // namespace lwb::tuner::detail
