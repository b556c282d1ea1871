// The Setup page's spec model: validation messages name the field, YAML written by the GUI
// round-trips through the GUI's reader and is accepted by the workbench's own spec parser (the
// one `lwb tune` uses) with the same search space, objectives and rules.
#include "lwb/ui/setup_spec.h"
#include "lwb/workbench/spec.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace lwb::ui;

namespace {

WorkloadInfo workload()
{
    WorkloadInfo w;
    w.name = "gpt-train";
    w.knobs = {
        {"batch_size", ParamKind::Int, "", "", std::int64_t {8}, 1, 128, ParamScale::PowerOfTwo, {}},
        {"precision", ParamKind::Categorical, "", "", std::string("f32"), 0, 0, ParamScale::Linear,
            {"f32", "bf16", "f16"}},
        {"lr", ParamKind::Float, "", "", 3e-4, 1e-5, 1e-2, ParamScale::Log, {}},
        {"threads", ParamKind::Int, "", "", std::int64_t {8}, 1, 32, ParamScale::Linear, {}},
        {"checkpointing", ParamKind::Bool, "", "", false, 0, 0, ParamScale::Linear, {}},
        {"n_layer", ParamKind::Int, "", "", std::int64_t {6}, 2, 24, ParamScale::Linear, {}},
    };
    w.metrics = {{"tokens_per_s", "tok/s", Direction::Maximize, ""}, {"p99_latency_ms", "ms", Direction::Minimize, ""},
        {"peak_memory_gb", "GB", Direction::Minimize, ""}};
    return w;
}

bool hasIssue(const std::vector<ValidationIssue>& issues, const std::string& field, IssueSeverity severity)
{
    return std::any_of(issues.begin(), issues.end(),
        [&](const ValidationIssue& i) { return i.field == field && i.severity == severity; });
}

KnobSetting& knob(SetupSpec& s, const std::string& name)
{
    for (auto& k : s.knobs)
        if (k.name == name)
            return k;
    throw std::runtime_error("no knob " + name);
}

} // namespace

TEST(SetupSpec, DefaultsAreValid)
{
    const WorkloadInfo w = workload();
    SetupSpec s = defaultSetup(w);
    EXPECT_EQ(s.workload, "gpt-train");
    EXPECT_TRUE(knob(s, "batch_size").included);
    EXPECT_FALSE(knob(s, "n_layer").included);
    ASSERT_EQ(s.objectives.size(), 1u);
    EXPECT_EQ(s.objectives[0].metric, "tokens_per_s");
    const auto issues = validateSetup(s, &w);
    EXPECT_FALSE(hasErrors(issues)) << (issues.empty() ? "" : issues[0].field + ": " + issues[0].message);
}

TEST(SetupSpec, ValidationNamesTheField)
{
    const WorkloadInfo w = workload();
    struct Case {
        std::function<void(SetupSpec&)> edit;
        std::string field;
        IssueSeverity severity;
    };
    const std::vector<Case> cases {
        {[](SetupSpec& s) { s.name = ""; }, "name", IssueSeverity::Error},
        {[](SetupSpec& s) { s.name = "has space"; }, "name", IssueSeverity::Error},
        {[](SetupSpec& s) {
             knob(s, "lr").low = 0.1;
             knob(s, "lr").high = 0.01;
         },
            "search_space.lr", IssueSeverity::Error},
        {[](SetupSpec& s) { knob(s, "lr").low = 0; }, "search_space.lr", IssueSeverity::Error}, // log needs > 0
        {[](SetupSpec& s) {
             knob(s, "batch_size").low = 3;
             knob(s, "batch_size").high = 3;
         },
            "search_space.batch_size", IssueSeverity::Error}, // no power of two in [3, 3]
        {[](SetupSpec& s) { knob(s, "threads").high = 64; }, "search_space.threads",
            IssueSeverity::Error}, // > workload max
        {[](SetupSpec& s) { knob(s, "threads").low = 1.5; }, "search_space.threads", IssueSeverity::Error},
        {[](SetupSpec& s) {
             knob(s, "precision").choices = {"f32", "fp8"};
         },
            "search_space.precision", IssueSeverity::Error},
        {[](SetupSpec& s) { knob(s, "precision").choices = {}; }, "search_space.precision", IssueSeverity::Error},
        {[](SetupSpec& s) { knob(s, "precision").choices = {"bf16"}; }, "search_space.precision",
            IssueSeverity::Warning},
        {[](SetupSpec& s) { knob(s, "n_layer").fixedValue = "six"; }, "settings.n_layer", IssueSeverity::Error},
        {[](SetupSpec& s) {
             for (auto& k : s.knobs)
                 k.included = false;
         },
            "search_space", IssueSeverity::Error},
        {[](SetupSpec& s) { s.objectives.clear(); }, "objectives", IssueSeverity::Error},
        {[](SetupSpec& s) {
             s.objectives.push_back({"tokens_per_s", Direction::Maximize});
         },
            "objectives", IssueSeverity::Error},
        {[](SetupSpec& s) { s.objectives[0].metric = "flops"; }, "objectives", IssueSeverity::Error},
        {[](SetupSpec& s) { s.outcomeConstraints = {"p99_latency_ms < 20"}; }, "outcome_constraints",
            IssueSeverity::Error},
        {[](SetupSpec& s) { s.outcomeConstraints = {"latency<=20"}; }, "outcome_constraints", IssueSeverity::Error},
        {[](SetupSpec& s) { s.trials = 0; }, "budget.trials", IssueSeverity::Error},
        {[](SetupSpec& s) { s.timeBudget = "15 minutes"; }, "budget.time", IssueSeverity::Error},
        {[](SetupSpec& s) { s.sampler = "annealing"; }, "sampler", IssueSeverity::Error},
        {[](SetupSpec& s) { s.measurement.maxSamples = 2; }, "measurement.max_samples", IssueSeverity::Error},
        {[](SetupSpec& s) { s.measurement.maxNoise = 5; }, "measurement.max_noise", IssueSeverity::Error},
        {[](SetupSpec& s) { s.measurement.mode = "time_to_target_loss"; }, "measurement.target_loss",
            IssueSeverity::Error},
        {[](SetupSpec& s) { s.capture = "some"; }, "capture.policy", IssueSeverity::Error},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SetupSpec s = defaultSetup(w);
        cases[i].edit(s);
        const auto issues = validateSetup(s, &w);
        EXPECT_TRUE(hasIssue(issues, cases[i].field, cases[i].severity)) << "case " << i << " field " << cases[i].field;
    }
    // Constraints and durations that are fine.
    SetupSpec ok = defaultSetup(w);
    ok.outcomeConstraints = {"p99_latency_ms<=20", "peak_memory_gb <= 70.5"};
    ok.timeBudget = "1h30m";
    EXPECT_FALSE(hasErrors(validateSetup(ok, &w)));
    EXPECT_DOUBLE_EQ(*parseDurationText("1h30m"), 5400);
    EXPECT_DOUBLE_EQ(*parseDurationText("250ms"), 0.25);
    EXPECT_FALSE(parseDurationText("").has_value());
}

TEST(SetupSpec, YamlRoundTrip)
{
    const WorkloadInfo w = workload();
    SetupSpec s = defaultSetup(w);
    s.name = "rt.study-1";
    knob(s, "checkpointing").included = true;
    knob(s, "n_layer").fixedValue = "12";
    knob(s, "precision").choices = {"bf16", "f32"};
    s.objectives.push_back({"p99_latency_ms", Direction::Minimize});
    s.outcomeConstraints = {"peak_memory_gb<=70"};
    s.trials = 42;
    s.timeBudget = "2h";
    s.patience = 7;
    s.sampler = "sobol";
    s.pruner = "median";
    s.measurement.maxNoise = 0.03;
    s.measurement.maxTime = "90s";
    s.capture = "all";
    s.seed = 1234;
    s.storage = "out/rt.lwb";
    const std::string yaml = setupToYaml(s);
    auto back = setupFromYaml(yaml, {w});
    ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << yaml;
    EXPECT_EQ(*back, s) << yaml;
}

TEST(SetupSpec, YamlIsWhatTheWorkbenchParserReads)
{
    const WorkloadInfo w = workload();
    SetupSpec s = defaultSetup(w);
    s.name = "compat";
    knob(s, "checkpointing").included = true;
    knob(s, "n_layer").fixedValue = "12";
    s.objectives.push_back({"p99_latency_ms", Direction::Minimize});
    s.outcomeConstraints = {"p99_latency_ms<=20"};
    s.timeBudget = "15m";
    const std::string yaml = setupToYaml(s);
    auto parsed = lwb::workbench::parseSpec(yaml, "gui.yaml");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message << "\n" << yaml;
    const auto& spec = *parsed;
    EXPECT_EQ(spec.name, "compat");
    EXPECT_EQ(spec.workload, "gpt-train");
    EXPECT_EQ(spec.trials, s.trials);
    EXPECT_DOUBLE_EQ(spec.timeBudgetSeconds, 900);
    ASSERT_EQ(spec.objectives.size(), 2u);
    EXPECT_EQ(spec.objectives[1].toString(), "p99_latency_ms:min");
    ASSERT_EQ(spec.outcomeConstraints.size(), 1u);
    EXPECT_DOUBLE_EQ(spec.outcomeConstraints[0].bound, 20);
    EXPECT_DOUBLE_EQ(spec.measurement.maxNoise, s.measurement.maxNoise);
    EXPECT_EQ(spec.rawSettings["n_layer"], 12);
    int searched = 0;
    for (const auto& k : s.knobs)
        searched += k.included;
    ASSERT_EQ(static_cast<int>(spec.searchSpace.size()), searched);
    for (const auto& dim : spec.searchSpace) {
        if (dim.name == "lr") {
            EXPECT_EQ(dim.type, lwb::engine::KnobType::Float);
            EXPECT_EQ(dim.scale, lwb::engine::KnobScale::Log);
            EXPECT_DOUBLE_EQ(dim.low, 3e-5); // a decade below the default 3e-4
        } else if (dim.name == "batch_size") {
            EXPECT_EQ(dim.type, lwb::engine::KnobType::Int);
            EXPECT_EQ(dim.scale, lwb::engine::KnobScale::PowerOfTwo);
        } else if (dim.name == "precision") {
            EXPECT_EQ(dim.type, lwb::engine::KnobType::Categorical);
            EXPECT_EQ(dim.choices.size(), 3u);
        } else if (dim.name == "checkpointing") {
            EXPECT_EQ(dim.type, lwb::engine::KnobType::Bool);
        }
    }
}

TEST(SetupSpec, ReaderRejectsMalformedSpecsNamingTheKey)
{
    const std::vector<WorkloadInfo> ws {workload()};
    struct Case {
        const char* yaml;
        const char* key;
    };
    const Case cases[] = {
        {"name: a\nworkload: gpt-train\nbogus: 1\n", "bogus"},
        {"name: a\nworkload: gpt-train\nsearch_space: {lr: {low: 1}}\n", "search_space.lr"},
        {"name: a\nworkload: gpt-train\nsearch_space: {lr: {low: 1, high: 2, scale: cubic}}\n",
            "search_space.lr.scale"},
        {"name: a\nworkload: gpt-train\nobjectives: [tokens_per_s]\n", "objectives"},
        {"name: a\nworkload: gpt-train\nbudget: {trials: many}\n", "budget.trials"},
        {"name: a\nworkload: gpt-train\nmeasurement: {warmup: 1, speed: 2}\n", "measurement.speed"},
        {"- just\n- a list\n", "mapping"},
        {"name: [unterminated\n", "spec:"},
    };
    for (const auto& c : cases) {
        auto r = setupFromYaml(c.yaml, ws);
        ASSERT_FALSE(r.has_value()) << c.yaml;
        EXPECT_NE(r.error().message.find(c.key), std::string::npos) << r.error().message;
    }
}
