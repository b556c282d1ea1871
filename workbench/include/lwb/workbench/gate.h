// The CI gate's decision: compare freshly measured samples with a profile's stored samples per
// metric using the Mann-Whitney U test and a practical threshold, classify each metric as SAME,
// FASTER, SLOWER or INCONCLUSIVE, and write the verdict as JSON, Markdown and JUnit XML.
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"
#include "lwb/engine/workload.h"
#include "lwb/workbench/exit_codes.h"

#include <map>
#include <string>
#include <vector>

namespace lwb::workbench {

enum class Verdict { Same, Faster, Slower, Inconclusive };
std::string_view verdictName(Verdict v); ///< "SAME", "FASTER", "SLOWER", "INCONCLUSIVE"

/// `--fail-on "tokens_per_s:-3%"`: a metric and the relative change that counts as a regression.
struct FailRule {
    std::string metric;
    double threshold = 0.05; ///< fraction, e.g. 0.03 for 3%
};
/// Parses "metric:-3%" / "metric:+10%" / "metric:3%" (the sign is informative; the metric's
/// direction decides which way is worse).
Result<FailRule> parseFailRule(std::string_view text);

struct MetricComparison {
    std::string metric;
    engine::Direction direction = engine::Direction::Maximize;
    double threshold = 0.05;
    double baselineMedian = 0;
    double currentMedian = 0;
    double change = 0; ///< (current - baseline) / baseline
    double pValue = 1;
    std::size_t baselineCount = 0;
    std::size_t currentCount = 0;
    Verdict verdict = Verdict::Inconclusive;
    std::string reason;
};

struct GateOptions {
    double alpha = 0.05; ///< significance level of the U test
};

/// Classifies one metric. SLOWER/FASTER need a significant difference (p < alpha) of at least
/// the threshold; a significant but smaller difference is SAME; no significant difference is
/// SAME when the samples are tight enough to have seen a threshold-sized change, INCONCLUSIVE
/// otherwise (too few or too noisy samples).
MetricComparison compareMetric(const std::string& metric, engine::Direction direction, double threshold,
    const std::vector<double>& baseline, const std::vector<double>& current, const GateOptions& options = {});

/// A ranked op-level explanation row: how much one op's time per step changed.
struct OpDelta {
    std::string op;
    double baselineMs = 0;
    double currentMs = 0;
    double deltaMs() const { return currentMs - baselineMs; }
};

struct GateReport {
    std::string profilePath;
    std::vector<MetricComparison> metrics;
    std::vector<std::string> environmentDifferences;
    bool environmentMismatchAllowed = false;
    std::vector<OpDelta> explanation; ///< ranked by |delta|, filled on a regression when traces exist
    Json config = Json::object();

    ExitCode exitCode() const;
    Json toJson() const;
    std::string toMarkdown() const;
    std::string toJUnit() const;
};

/// Ranks per-op time changes (largest absolute change first); ops present in only one side
/// count with 0 on the other. The rows add up to the total change.
std::vector<OpDelta> rankOpDeltas(
    const std::map<std::string, double>& baselineMs, const std::map<std::string, double>& currentMs);

} // namespace lwb::workbench
