// Analyses for the GUI: parameter importance (main effects of the GP mean) and slice predictions
// along one parameter. Used by Study::importance() and Study::predictSlice().
#pragma once

#include "encoding.h"
#include "history.h"
#include "lwb/tuner/study.h"

namespace lwb::tuner::detail {

Result<std::vector<ParamImportance>> computeImportance(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int objectiveIndex, std::uint64_t seed);

Result<SlicePrediction> computeSlice(const SpaceCodec& codec, const History& history,
    const std::vector<Objective>& objectives, int objectiveIndex, const std::string& param, const Params& fixedParams,
    const Params& fallbackParams, int nPoints, std::uint64_t seed);

} // namespace lwb::tuner::detail
