// Tuned profiles: the versioned JSON document a study exports (`lwb export-profile`) and the CI
// gate re-measures (`lwb check`). It holds the best configuration (or the Pareto set), the
// measured metric distributions with all samples, the search space, the measurement rules,
// provenance and the hardware/software fingerprint it was measured on.
#pragma once

#include "lwb/core/hardware.h"
#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/engine/workload.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lwb::workbench {

inline constexpr const char* kProfileFormat = "lepton-workbench-tuned-profile";
inline constexpr int kProfileVersion = 1;

/// One measured configuration in a profile.
struct ProfileEntry {
    Json config = Json::object(); ///< the configuration actually run (all knobs)
    std::map<std::string, std::vector<double>> samples; ///< metric -> per-window samples
    std::map<std::string, double> values; ///< metric -> value the tuner saw (median or summary)
    std::int64_t trialNumber = -1;
    /// Per-op time per step of this configuration's trace (op name -> ms), for explanations.
    std::map<std::string, double> opMillisPerStep;
};

struct TunedProfile {
    int version = kProfileVersion;
    std::string studyName;
    std::string workload;
    Json spec = Json::object(); ///< the study spec (search space, objectives, rules, command section)
    std::vector<std::string> objectives; ///< "tokens_per_s:max"
    ProfileEntry best;
    std::vector<ProfileEntry> pareto; ///< multi-objective studies: the Pareto set
    HardwareFingerprint fingerprint;
    Json provenance = Json::object(); ///< workbench version, created_at, study file, trial count

    Json toJson() const;
    /// Validates format, version (a newer version is VersionTooNew), types and required fields.
    static Result<TunedProfile> fromJson(const Json& json, const std::string& origin);
    static Result<TunedProfile> load(const std::filesystem::path& path);
    Status save(const std::filesystem::path& path) const;
};

} // namespace lwb::workbench
