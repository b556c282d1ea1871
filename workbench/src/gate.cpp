// CI gate classification and report writers (see gate.h).
#include "lwb/workbench/gate.h"

#include "lwb/workbench/statistics.h"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <regex>

namespace lwb::workbench {

std::string_view verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Same:
        return "SAME";
    case Verdict::Faster:
        return "FASTER";
    case Verdict::Slower:
        return "SLOWER";
    case Verdict::Inconclusive:
        return "INCONCLUSIVE";
    }
    return "?";
}

Result<FailRule> parseFailRule(std::string_view text)
{
    static const std::regex form(R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([-+]?)([0-9]*\.?[0-9]+)\s*%\s*)");
    std::string s(text);
    std::smatch m;
    if (!std::regex_match(s, m, form))
        return fail(ErrorCode::InvalidArgument,
            fmt::format("--fail-on '{}' must look like METRIC:-3% (a metric and a percentage)", text), LWB_WHERE);
    double pct = std::stod(m[3].str());
    if (pct <= 0 || pct >= 100)
        return fail(ErrorCode::InvalidArgument, fmt::format("--fail-on '{}': the percentage must be in (0, 100)", text),
            LWB_WHERE);
    return FailRule {m[1].str(), pct / 100.0};
}

MetricComparison compareMetric(const std::string& metric, engine::Direction direction, double threshold,
    const std::vector<double>& baseline, const std::vector<double>& current, const GateOptions& options)
{
    MetricComparison c;
    c.metric = metric;
    c.direction = direction;
    c.threshold = threshold;
    c.baselineCount = baseline.size();
    c.currentCount = current.size();
    if (baseline.empty() || current.empty()) {
        c.verdict = Verdict::Inconclusive;
        c.reason = baseline.empty() ? "the profile has no samples of this metric" : "no new samples were measured";
        return c;
    }
    Distribution base = summarize(baseline), cur = summarize(current);
    c.baselineMedian = base.median;
    c.currentMedian = cur.median;
    c.change = base.median != 0 ? (cur.median - base.median) / std::fabs(base.median) : 0;
    c.pValue = mannWhitneyU(baseline, current).pValue;
    double better = direction == engine::Direction::Maximize ? c.change : -c.change;
    bool significant = c.pValue < options.alpha;
    if (significant && std::fabs(c.change) >= threshold) {
        c.verdict = better > 0 ? Verdict::Faster : Verdict::Slower;
        c.reason = fmt::format(
            "{:+.1f}% (p = {:.3g}), beyond the {:.1f}% threshold", 100 * c.change, c.pValue, 100 * threshold);
        return c;
    }
    if (significant) {
        c.verdict = Verdict::Same;
        c.reason = fmt::format("{:+.1f}% is significant (p = {:.3g}) but within the {:.1f}% threshold", 100 * c.change,
            c.pValue, 100 * threshold);
        return c;
    }
    // Not significant: could the samples have shown a threshold-sized change? Smallest p-value the
    // exact U test can reach with these sample sizes is 2 / C(n+m, n); the medians' confidence
    // intervals must also be tighter than the threshold.
    double n = static_cast<double>(baseline.size()), m = static_cast<double>(current.size());
    double minP = 2.0 * std::exp(std::lgamma(n + 1) + std::lgamma(m + 1) - std::lgamma(n + m + 1));
    double spread = std::max((base.ciHigh - base.ciLow) / std::fabs(base.median != 0 ? base.median : 1),
        (cur.ciHigh - cur.ciLow) / std::fabs(cur.median != 0 ? cur.median : 1));
    if (minP >= options.alpha) {
        c.verdict = Verdict::Inconclusive;
        c.reason = fmt::format(
            "too few samples ({} and {}) for a test at alpha = {:g}", baseline.size(), current.size(), options.alpha);
    } else if (spread > 2 * threshold && std::fabs(c.change) >= threshold / 2) {
        c.verdict = Verdict::Inconclusive;
        c.reason = fmt::format("too noisy: median confidence intervals span {:.1f}% against a {:.1f}% threshold",
            100 * spread, 100 * threshold);
    } else {
        c.verdict = Verdict::Same;
        c.reason = fmt::format("{:+.1f}%, no significant difference (p = {:.3g})", 100 * c.change, c.pValue);
    }
    return c;
}

std::vector<OpDelta> rankOpDeltas(
    const std::map<std::string, double>& baselineMs, const std::map<std::string, double>& currentMs)
{
    std::map<std::string, OpDelta> rows;
    for (const auto& [op, ms] : baselineMs)
        rows[op].baselineMs = ms;
    for (const auto& [op, ms] : currentMs)
        rows[op].currentMs = ms;
    std::vector<OpDelta> out;
    for (auto& [op, row] : rows) {
        row.op = op;
        out.push_back(row);
    }
    std::stable_sort(out.begin(), out.end(),
        [](const OpDelta& a, const OpDelta& b) { return std::fabs(a.deltaMs()) > std::fabs(b.deltaMs()); });
    return out;
}

ExitCode GateReport::exitCode() const
{
    if (!environmentDifferences.empty() && !environmentMismatchAllowed)
        return ExitCode::EnvironmentMismatch;
    bool inconclusive = false;
    for (const auto& m : metrics) {
        if (m.verdict == Verdict::Slower)
            return ExitCode::CheckFailed;
        inconclusive |= m.verdict == Verdict::Inconclusive;
    }
    return inconclusive ? ExitCode::Inconclusive : ExitCode::Ok;
}

Json GateReport::toJson() const
{
    Json rows = Json::array();
    for (const auto& m : metrics)
        rows.push_back({{"metric", m.metric}, {"direction", m.direction == engine::Direction::Maximize ? "max" : "min"},
            {"threshold", m.threshold}, {"baseline_median", m.baselineMedian}, {"current_median", m.currentMedian},
            {"change", m.change}, {"p_value", m.pValue}, {"baseline_samples", m.baselineCount},
            {"current_samples", m.currentCount}, {"verdict", std::string(verdictName(m.verdict))},
            {"reason", m.reason}});
    Json explain = Json::array();
    for (const auto& o : explanation)
        explain.push_back(
            {{"op", o.op}, {"baseline_ms", o.baselineMs}, {"current_ms", o.currentMs}, {"delta_ms", o.deltaMs()}});
    return Json {{"profile", profilePath}, {"exit_code", toInt(exitCode())}, {"metrics", rows},
        {"environment_differences", environmentDifferences},
        {"environment_mismatch_allowed", environmentMismatchAllowed}, {"explanation", explain}, {"config", config}};
}

std::string GateReport::toMarkdown() const
{
    std::string md = fmt::format("## lwb check: {}\n\n", profilePath);
    md += "| metric | baseline | current | change | p-value | threshold | verdict |\n";
    md += "|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& m : metrics)
        md += fmt::format("| {} | {:.4g} | {:.4g} | {:+.1f}% | {:.3g} | {:.1f}% | **{}** |\n", m.metric,
            m.baselineMedian, m.currentMedian, 100 * m.change, m.pValue, 100 * m.threshold, verdictName(m.verdict));
    if (!environmentDifferences.empty()) {
        md += environmentMismatchAllowed ? "\nEnvironment differs (allowed):\n" : "\nEnvironment differs:\n";
        for (const auto& d : environmentDifferences)
            md += "- " + d + "\n";
    }
    if (!explanation.empty()) {
        md += "\nOps that account for the difference (ms per step):\n\n| op | baseline | current | delta |\n"
              "|---|---:|---:|---:|\n";
        for (std::size_t i = 0; i < explanation.size() && i < 10; ++i)
            md += fmt::format("| {} | {:.3f} | {:.3f} | {:+.3f} |\n", explanation[i].op, explanation[i].baselineMs,
                explanation[i].currentMs, explanation[i].deltaMs());
    }
    return md;
}

static std::string xmlEscape(std::string_view s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string GateReport::toJUnit() const
{
    int failures = 0, skipped = 0;
    for (const auto& m : metrics) {
        failures += m.verdict == Verdict::Slower;
        skipped += m.verdict == Verdict::Inconclusive;
    }
    bool envFail = !environmentDifferences.empty() && !environmentMismatchAllowed;
    int tests = static_cast<int>(metrics.size()) + (environmentDifferences.empty() ? 0 : 1);
    failures += envFail;
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<testsuites><testsuite name=\"lwb check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
                       "errors=\"0\">\n",
        tests, failures, skipped);
    if (!environmentDifferences.empty()) {
        xml += "  <testcase classname=\"lwb.check\" name=\"environment\">";
        std::string diff;
        for (const auto& d : environmentDifferences)
            diff += d + "\n";
        if (envFail)
            xml += "<failure message=\"environment mismatch\">" + xmlEscape(diff) + "</failure>";
        else
            xml += "<system-out>" + xmlEscape(diff) + "</system-out>";
        xml += "</testcase>\n";
    }
    for (const auto& m : metrics) {
        xml += fmt::format("  <testcase classname=\"lwb.check\" name=\"{}\">", xmlEscape(m.metric));
        std::string detail = fmt::format("{}: {} (baseline median {:.4g}, current median {:.4g})", m.metric,
            verdictName(m.verdict), m.baselineMedian, m.currentMedian);
        if (m.verdict == Verdict::Slower) {
            std::string body = m.reason;
            for (std::size_t i = 0; i < explanation.size() && i < 5; ++i)
                body += fmt::format("\n{}: {:+.3f} ms/step", explanation[i].op, explanation[i].deltaMs());
            xml += fmt::format("<failure message=\"{} regressed: {}\">{}</failure>", xmlEscape(m.metric),
                xmlEscape(m.reason), xmlEscape(body));
        } else if (m.verdict == Verdict::Inconclusive) {
            xml += fmt::format("<skipped message=\"{}\"/>", xmlEscape(detail + ": " + m.reason));
        } else {
            xml += "<system-out>" + xmlEscape(detail + ": " + m.reason) + "</system-out>";
        }
        xml += "</testcase>\n";
    }
    xml += "</testsuite></testsuites>\n";
    return xml;
}

} // namespace lwb::workbench
