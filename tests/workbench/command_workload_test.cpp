// The external command workload through real processes: placeholders, JSON-line and regex
// metrics, several windows per run, and the failure modes (crash, hang past the timeout, no
// metric, unknown placeholder) — plus proof that placeholders cannot inject shell syntax.
#include "lwb/workbench/command_workload.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace lwb;
using namespace lwb::workbench;

namespace {

/// The file a shell would create if a placeholder value were ever run through one.
std::string injectionMarker()
{
    return (std::filesystem::temp_directory_path() / "lwb-cmd-injected").string();
}

StudySpec commandSpec(const std::string& yamlCommand, const std::string& extra = "")
{
    std::string yaml = "name: t\nworkload: command\nobjectives: [tokens_per_s:max]\nsearch_space:\n"
                       "  batch_size: [8, 16]\n  tag: [plain, \"x; touch "
        + injectionMarker() + "\"]\n" + extra + "command:\n" + yamlCommand;
    auto spec = parseSpec(yaml, "cmd.yaml");
    EXPECT_TRUE(spec) << spec.error().describe();
    return spec ? *spec : StudySpec {};
}

Result<Measurement> runOnce(CommandWorkload& w, const engine::Config& partial, int minSamples = 1)
{
    engine::RunContext ctx;
    LWB_ASSIGN_OR_RETURN(auto config, w.resolve(partial));
    LWB_ASSIGN_OR_RETURN(auto session, w.prepare(config, ctx));
    MeasurementRules rules;
    rules.warmupWindows = 0;
    rules.minSamples = minSamples;
    rules.maxSamples = minSamples;
    rules.maxNoise = 0.5;
    return measure(*session, ctx, rules, "tokens_per_s");
}

} // namespace

TEST(CommandWorkload, PlaceholdersAndJsonLines)
{
    auto spec = commandSpec("  argv: [sh, -c, 'for i in 1 2 3; do echo \"{\\\"tokens_per_s\\\": $((100*$1+i)), "
                            "\\\"step\\\": $i, \\\"loss\\\": 2.5}\"; done', sh, \"{batch_size}\"]\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w) << w.error().describe();
    auto line = (*w)->commandLine({{"batch_size", std::int64_t {16}}, {"tag", std::string("plain")}});
    ASSERT_TRUE(line);
    EXPECT_EQ(line->back(), "16");
    auto m = runOnce(**w, {{"batch_size", std::int64_t {8}}}, 3);
    ASSERT_TRUE(m) << m.error().describe();
    // One run printed three metric lines: three windows.
    EXPECT_EQ(m->samples.at("tokens_per_s"), (std::vector<double> {801, 802, 803}));
    EXPECT_EQ(m->intermediate.size(), 3u);
    EXPECT_DOUBLE_EQ(m->summary.at("command_runs"), 1);
}

TEST(CommandWorkload, RegexMetrics)
{
    auto spec
        = commandSpec("  argv: [sh, -c, 'echo \"epoch 1 throughput: 12.5 tok/s\"; echo \"epoch 2 throughput: 13.5 "
                      "tok/s\"']\n  metrics:\n    regex: {tokens_per_s: 'throughput: ([0-9.]+)'}\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w) << w.error().describe();
    auto m = runOnce(**w, {}, 2);
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_EQ(m->samples.at("tokens_per_s"), (std::vector<double> {12.5, 13.5}));
}

TEST(CommandWorkload, PlaceholdersCannotInjectShellSyntax)
{
    std::filesystem::remove(injectionMarker());
    auto spec = commandSpec("  argv: [printf, '{\"tokens_per_s\": 1, \"tag\": \"%s\"}\\n', \"{tag}\"]\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w) << w.error().describe();
    auto m = runOnce(**w, {{"tag", "x; touch " + injectionMarker()}});
    // printf prints the argument verbatim (the JSON then has the text as a string): no file.
    EXPECT_FALSE(std::filesystem::exists(injectionMarker()));
    ASSERT_TRUE(m) << m.error().describe();
}

TEST(CommandWorkload, CrashFailsTheTrialWithTheSignal)
{
    auto spec = commandSpec("  argv: [sh, -c, 'echo boom >&2; kill -SEGV $$']\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w);
    auto m = runOnce(**w, {});
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find("SIGSEGV"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("boom"), std::string::npos) << m.error().message;
}

TEST(CommandWorkload, HangPastTimeoutFails)
{
    auto spec = commandSpec("  argv: [sleep, '30']\n  timeout: 0.3s\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w);
    auto m = runOnce(**w, {});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::Timeout);
}

TEST(CommandWorkload, NoMetricFails)
{
    auto spec = commandSpec("  argv: [echo, hello]\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w);
    auto m = runOnce(**w, {});
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find("printed no metric"), std::string::npos) << m.error().message;
}

TEST(CommandWorkload, UnknownPlaceholderIsASpecError)
{
    auto spec = commandSpec("  argv: [echo, \"{batchsize}\"]\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("{batchsize}"), std::string::npos) << w.error().message;
    EXPECT_NE(w.error().message.find("command.argv"), std::string::npos) << w.error().message;
}

TEST(CommandWorkload, MissingProgramFails)
{
    auto spec = commandSpec("  argv: [/no/such/trainer]\n");
    auto w = CommandWorkload::fromSpec(spec);
    ASSERT_TRUE(w);
    auto m = runOnce(**w, {});
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::NotFound);
}

TEST(CommandWorkload, BracesEscape)
{
    auto s = substitutePlaceholders("{{literal}} {x} {\"json\": {x}} {open", {{"x", std::int64_t {3}}});
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, "{literal} 3 {\"json\": 3} {open");
}
