// The demo controller's closed-form workload model: throughput, latency, memory and loss of a
// configuration, an out-of-memory limit and pruning, plus a seeded sampler that explores, then
// exploits around the best trial. Only for synthetic data (tests, screenshots, --demo).
#pragma once

#include "lwb/ui/setup_spec.h"
#include "lwb/ui/snapshots.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lwb::ui::demo {

struct Rng {
    std::uint64_t state;
    std::uint64_t next();
    double uniform();
    double normal();
};

std::vector<WorkloadInfo> workloads();
const WorkloadInfo* findWorkload(const std::string& name);

struct Outcome {
    TrialState state = TrialState::Complete;
    std::map<std::string, double> metrics;
    std::string reason;
    std::vector<std::pair<std::int64_t, double>> loss;
};

/// Evaluates a configuration (params merged over the workload defaults).
Outcome evaluate(const std::string& workload, const std::map<std::string, ParamValue>& params, Rng& rng);

/// Samples the next configuration for the searched params: random for the first trials, then
/// mostly perturbations of the best one.
std::map<std::string, ParamValue> sample(
    const std::vector<ParamInfo>& params, const StudySnapshot& study, int objective, Rng& rng);

/// ParamInfo for a searched knob setting.
ParamInfo paramInfo(const KnobSetting& knob);

} // namespace lwb::ui::demo
