// Study specs: a full spec parses; errors name the key and the line; overrides follow
// CLI > environment > file.
#include "lwb/workbench/spec.h"

#include <gtest/gtest.h>

using namespace lwb;
using namespace lwb::workbench;

namespace {
const char* kSpec = R"(name: gpt-cpu
workload: gpt-train
settings:
  n_layer: 2
  seq_len: 64
search_space:
  batch_size: {low: 1, high: 32, scale: pow2}
  precision: [fp32, bf16]
  threads: {low: 1, high: 2}
  lr: {low: 1.0e-4, high: 1.0e-2, scale: log}
constraints: ["batch_size * seq_len <= 65536"]
objectives: [tokens_per_s:max]
outcome_constraints: ["peak_memory_gb<=2"]
budget: {trials: 12, time: 15m, patience: 5}
sampler: gp
pruner: median
measurement: {warmup: 1, min_samples: 3, max_samples: 8, max_noise: 0.05, max_time: 2m}
capture: {policy: best, k: 2, skip: 1, steps: 2}
seed: 7
)";

std::string errorOf(std::string_view yaml, const std::map<std::string, std::string>& overrides = {})
{
    auto spec = parseSpec(yaml, "study.yaml", overrides);
    return spec ? std::string("<parsed>") : spec.error().message;
}
} // namespace

TEST(Spec, FullSpecParses)
{
    auto spec = parseSpec(kSpec, "study.yaml");
    ASSERT_TRUE(spec) << spec.error().describe();
    EXPECT_EQ(spec->name, "gpt-cpu");
    EXPECT_EQ(spec->workload, "gpt-train");
    EXPECT_EQ(spec->rawSettings["n_layer"], 2);
    ASSERT_EQ(spec->searchSpace.size(), 4u);
    const auto& bs = spec->searchSpace[0];
    EXPECT_EQ(bs.name, "batch_size");
    EXPECT_EQ(bs.type, engine::KnobType::Int);
    EXPECT_EQ(bs.scale, engine::KnobScale::PowerOfTwo);
    const auto& lr = spec->searchSpace[1];
    EXPECT_EQ(lr.name, "lr");
    EXPECT_EQ(lr.type, engine::KnobType::Float);
    EXPECT_EQ(lr.scale, engine::KnobScale::Log);
    const auto& prec = spec->searchSpace[2];
    EXPECT_EQ(prec.type, engine::KnobType::Categorical);
    EXPECT_EQ(prec.choices.size(), 2u);
    EXPECT_EQ(spec->objectives[0].toString(), "tokens_per_s:max");
    EXPECT_EQ(spec->outcomeConstraints[0].toString(), "peak_memory_gb<=2");
    EXPECT_TRUE(spec->outcomeConstraints[0].satisfiedBy(1.9));
    EXPECT_FALSE(spec->outcomeConstraints[0].satisfiedBy(2.1));
    EXPECT_EQ(spec->trials, 12);
    EXPECT_DOUBLE_EQ(spec->timeBudgetSeconds, 900);
    EXPECT_EQ(spec->patience, 5);
    EXPECT_EQ(spec->pruner, "median");
    EXPECT_EQ(spec->measurement.minSamples, 3);
    EXPECT_DOUBLE_EQ(spec->measurement.maxTimeSeconds, 120);
    EXPECT_EQ(spec->capture.policy, CapturePolicy::Best);
    EXPECT_EQ(spec->capture.bestK, 2);
    EXPECT_EQ(spec->storage, "gpt-cpu.lwb");
    EXPECT_EQ(spec->seed, 7u);
    // Round trip through JSON keeps the meaning.
    Json j = spec->toJson();
    EXPECT_EQ(j["search_space"]["batch_size"]["scale"], "pow2");
    EXPECT_EQ(j["objectives"][0], "tokens_per_s:max");
}

TEST(Spec, UnknownKeyNamesKeyAndLine)
{
    std::string e = errorOf("name: a\nworkload: gpt-train\nobjectives: [x:max]\nbudgett: {trials: 3}\n");
    EXPECT_NE(e.find("study.yaml:4"), std::string::npos) << e;
    EXPECT_NE(e.find("budgett"), std::string::npos) << e;
    std::string nested = errorOf("name: a\nworkload: gpt-train\nobjectives: [x:max]\nmeasurement:\n  max_nosie: 0.1\n");
    EXPECT_NE(nested.find("study.yaml:5"), std::string::npos) << nested;
    EXPECT_NE(nested.find("max_nosie"), std::string::npos) << nested;
}

TEST(Spec, WrongTypesAndImpossibleDomains)
{
    std::string base = "name: a\nworkload: gpt-train\nobjectives: [x:max]\n";
    std::string e1 = errorOf(base + "budget: {trials: many}\n");
    EXPECT_NE(e1.find("budget.trials"), std::string::npos) << e1;
    EXPECT_NE(e1.find("integer"), std::string::npos) << e1;
    std::string e2 = errorOf(base + "search_space:\n  batch_size: {low: 64, high: 8}\n");
    EXPECT_NE(e2.find("study.yaml:5"), std::string::npos) << e2;
    EXPECT_NE(e2.find("empty"), std::string::npos) << e2;
    std::string e3 = errorOf(base + "search_space:\n  lr: {low: 0, high: 0.1, scale: log}\n");
    EXPECT_NE(e3.find("low > 0"), std::string::npos) << e3;
    std::string e4 = errorOf(base + "search_space:\n  batch_size: {low: 3, high: 3, scale: pow2}\n");
    EXPECT_NE(e4.find("power of two"), std::string::npos) << e4;
    std::string e5 = errorOf(base + "search_space:\n  precision: []\n");
    EXPECT_NE(e5.find("empty list"), std::string::npos) << e5;
    std::string e6 = errorOf(base + "measurement: {max_noise: 5}\n");
    EXPECT_NE(e6.find("max_noise"), std::string::npos) << e6;
    std::string e7 = errorOf("name: a\nworkload: gpt-train\nobjectives: [tokens_per_s]\n");
    EXPECT_NE(e7.find("METRIC:max"), std::string::npos) << e7;
    std::string e8 = errorOf(base + "sampler: tpe\n");
    EXPECT_NE(e8.find("sampler"), std::string::npos) << e8;
    std::string e9 = errorOf("name: a\nworkload: command\nobjectives: [x:max]\n");
    EXPECT_NE(e9.find("argv"), std::string::npos) << e9;
}

TEST(Spec, MalformedYamlNamesTheLine)
{
    std::string e = errorOf("name: a\nworkload: [gpt\nobjectives: x\n");
    EXPECT_NE(e.find("study.yaml:"), std::string::npos) << e;
    EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
    std::string notMap = errorOf("- just\n- a list\n");
    EXPECT_NE(notMap.find("mapping"), std::string::npos) << notMap;
}

TEST(Spec, OverridePrecedenceCliOverEnvOverFile)
{
    std::map<std::string, std::string> env {{"LWB_TRIALS", "30"}, {"LWB_MAX_NOISE", "0.1"}, {"LWB_SEED", "9"}};
    auto fromEnv = parseSpec(kSpec, "study.yaml", {}, env);
    ASSERT_TRUE(fromEnv) << fromEnv.error().describe();
    EXPECT_EQ(fromEnv->trials, 30);
    EXPECT_DOUBLE_EQ(fromEnv->measurement.maxNoise, 0.1);
    auto fromCli
        = parseSpec(kSpec, "study.yaml", {{"trials", "40"}, {"set.n_layer", "3"}, {"objectives", "a:max,b:min"}}, env);
    ASSERT_TRUE(fromCli) << fromCli.error().describe();
    EXPECT_EQ(fromCli->trials, 40);
    EXPECT_EQ(fromCli->seed, 9u);
    EXPECT_EQ(fromCli->rawSettings["n_layer"], 3);
    ASSERT_EQ(fromCli->objectives.size(), 2u);
    EXPECT_EQ(fromCli->objectives[1].toString(), "b:min");
    // Errors in an override name the flag.
    auto bad = parseSpec(kSpec, "study.yaml", {{"trials", "zero"}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("--trials"), std::string::npos) << bad.error().message;
    auto badEnv = parseSpec(kSpec, "study.yaml", {}, {{"LWB_MAX_NOISE", "loud"}});
    ASSERT_FALSE(badEnv);
    EXPECT_NE(badEnv.error().message.find("LWB_MAX_NOISE"), std::string::npos) << badEnv.error().message;
}

TEST(Spec, CommandWorkloadSection)
{
    auto spec = parseSpec(R"YAML(name: my-script
workload: command
search_space:
  batch_size: [16, 32, 64]
  lr: {low: 1.0e-4, high: 1.0e-1, scale: log}
objectives: [samples_per_s:max]
command:
  argv: [python3, train.py, --batch-size, "{batch_size}", --lr, "{lr}"]
  env: {OMP_NUM_THREADS: "2"}
  timeout: 90s
  metrics:
    regex: {samples_per_s: "throughput: ([0-9.]+)"}
)YAML",
        "cmd.yaml");
    ASSERT_TRUE(spec) << spec.error().describe();
    ASSERT_TRUE(spec->command);
    EXPECT_EQ(spec->command->argv.size(), 6u);
    EXPECT_EQ(spec->command->metricsFormat, "regex");
    EXPECT_DOUBLE_EQ(spec->command->timeoutSeconds, 90);
    EXPECT_EQ(spec->searchSpace[0].choices.size(), 3u);
    auto badRegex = parseSpec("name: a\nworkload: command\nobjectives: [x:max]\ncommand:\n  argv: [a]\n  metrics:\n    "
                              "regex: {x: \"no group\"}\n",
        "cmd.yaml");
    ASSERT_FALSE(badRegex);
    EXPECT_NE(badRegex.error().message.find("capture group"), std::string::npos);
}

TEST(Spec, DurationsAndObjectives)
{
    EXPECT_DOUBLE_EQ(*parseDuration("90"), 90);
    EXPECT_DOUBLE_EQ(*parseDuration("1h30m"), 5400);
    EXPECT_DOUBLE_EQ(*parseDuration("250ms"), 0.25);
    EXPECT_FALSE(parseDuration("soon"));
    EXPECT_FALSE(parseDuration("5 parsecs"));
    EXPECT_EQ(parseObjective("p99_latency_ms:min")->direction, engine::Direction::Minimize);
    EXPECT_FALSE(parseOutcomeConstraint("p99 < 20"));
    EXPECT_DOUBLE_EQ(parseOutcomeConstraint("tokens_per_s>=1e3")->bound, 1000);
}
