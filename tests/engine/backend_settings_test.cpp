// Backend-specific knobs and the precision/streams knobs of the built-in workloads: tf32 is
// Unsupported (never faked) on the CPU backend; knobs another backend reads (cuda_graphs, ...)
// accept only their default on backends that ignore them, so a tuner never searches a knob that
// does nothing; the inference knob `streams` and its former name `replicas` are one setting; the
// backend settings of a configuration carry the precision's TF32 choice.
#include "workloads/common.h"

#include "engine_test_util.h"

#include "lwb/engine/workload.h"

#include <algorithm>

namespace lwb::engine::test {
namespace {

std::unique_ptr<Workload> builtin(const std::string& name)
{
    auto w = makeBuiltinWorkload(name);
    EXPECT_TRUE(w.has_value());
    return std::move(*w);
}

Config smallConfig(const std::string& workload, Config extra)
{
    Config c;
    if (workload.rfind("gpt", 0) == 0)
        c = {{"n_layer", std::int64_t {1}}, {"n_embd", std::int64_t {32}}, {"n_head", std::int64_t {2}},
            {"seq_len", std::int64_t {16}}, {"batch_size", std::int64_t {2}}};
    if (workload == "gpt-infer") {
        c["prompt_len"] = std::int64_t {4};
        c["gen_len"] = std::int64_t {4};
    }
    for (auto& [k, v] : extra)
        c[k] = v;
    return c;
}

TEST(BackendSettings, Tf32IsAPrecisionChoiceButUnsupportedOnTheCpuBackend)
{
    for (const auto& name : builtinWorkloadNames()) {
        auto w = builtin(name);
        auto knobs = w->knobs();
        const KnobSpec* precision = findKnob(knobs, "precision");
        ASSERT_NE(precision, nullptr);
        EXPECT_NE(std::find(precision->choices.begin(), precision->choices.end(), "tf32"), precision->choices.end())
            << name;
        const auto& cpu = precision->supportedByBackend.at("cpu");
        EXPECT_EQ(std::find(cpu.begin(), cpu.end(), "tf32"), cpu.end()) << name << ": the CPU has no TF32 matmuls";
        auto r = w->resolve(smallConfig(name, {{"backend", std::string("cpu")}, {"precision", std::string("tf32")}}));
        ASSERT_FALSE(r.has_value()) << name << " accepted tf32 on the cpu backend";
        EXPECT_EQ(r.error().code, ErrorCode::Unsupported) << r.error().message;
        EXPECT_NE(r.error().message.find("tf32"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("cpu"), std::string::npos) << r.error().message;
    }
}

TEST(BackendSettings, Fp16TrainingIsNotOfferedByTheCpuBackend)
{
    for (const char* name : {"gpt-train", "mlp-train"}) {
        auto w = builtin(name);
        const auto knobs = w->knobs();
        const auto& cpu = findKnob(knobs, "precision")->supportedByBackend.at("cpu");
        EXPECT_EQ(std::find(cpu.begin(), cpu.end(), "fp16"), cpu.end()) << name;
        auto r = w->resolve(smallConfig(name, {{"precision", std::string("fp16")}}));
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
    }
}

TEST(BackendSettings, KnobsOfOtherBackendsAcceptOnlyTheirDefault)
{
    const auto settingKnobs = detail::backendSettingKnobs();
    if (settingKnobs.empty())
        GTEST_SKIP() << "this build has no backend with its own knobs (CUDA is not compiled in)";
    for (const auto& name : builtinWorkloadNames()) {
        auto w = builtin(name);
        auto knobs = w->knobs();
        for (const KnobSpec& setting : settingKnobs) {
            const KnobSpec* k = findKnob(knobs, setting.name);
            ASSERT_NE(k, nullptr) << name << " does not offer " << setting.name;
            ASSERT_TRUE(k->supportedByBackend.count("cpu")) << setting.name;
            EXPECT_EQ(k->supportedByBackend.at("cpu"), std::vector<std::string> {knobValueToString(k->defaultValue)})
                << setting.name << ": the cpu backend ignores it, so only the default is accepted there";
            auto atDefault = w->resolve(smallConfig(name, {{setting.name, k->defaultValue}}));
            EXPECT_TRUE(atDefault.has_value()) << name << " " << setting.name << ": " << atDefault.error().describe();
        }
        // A value that would change something is Unsupported on the cpu backend, naming the knob.
        auto graphs = w->resolve(smallConfig(name, {{"cuda_graphs", true}}));
        ASSERT_FALSE(graphs.has_value()) << name;
        EXPECT_EQ(graphs.error().code, ErrorCode::Unsupported);
        EXPECT_NE(graphs.error().message.find("cuda_graphs"), std::string::npos) << graphs.error().message;
        auto depth = w->resolve(smallConfig(name, {{"prefetch_depth", std::int64_t {4}}}));
        ASSERT_FALSE(depth.has_value());
        EXPECT_EQ(depth.error().code, ErrorCode::Unsupported);
        // Still a domain error (not Unsupported) when the value is outside the knob's domain.
        auto outside = w->resolve(smallConfig(name, {{"prefetch_depth", std::int64_t {0}}}));
        ASSERT_FALSE(outside.has_value());
        EXPECT_EQ(outside.error().code, ErrorCode::InvalidArgument);
    }
}

TEST(BackendSettings, BackendSettingsOfAConfigurationCarryTheTf32Choice)
{
    Config c {{"backend", std::string("cpu")}, {"precision", std::string("tf32")}, {"threads", std::int64_t {3}},
        {"replicas", std::int64_t {2}}, {"batch_size", std::int64_t {8}}};
    for (const auto& k : detail::backendSettingKnobs())
        c[k.name] = k.defaultValue;
    auto setup = detail::deviceSetup(c);
    EXPECT_EQ(setup.backend, "cpu");
    EXPECT_EQ(setup.threads, 3);
    EXPECT_EQ(setup.replicas, 2);
    ASSERT_TRUE(setup.settings.count("fp32_math"));
    EXPECT_EQ(std::get<std::string>(setup.settings.at("fp32_math")), "tf32") << "precision tf32 = fp32_math tf32";
    EXPECT_FALSE(setup.settings.count("batch_size")) << "only backend-specific knobs travel as settings";
    auto p = detail::modelPrecision(c);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, Precision::Fp32) << "tf32 runs the fp32 model";
    c["precision"] = std::string("bf16");
    EXPECT_EQ(detail::backendSettings(c).count("fp32_math"), detail::backendSettingKnobs().empty() ? 0u : 1u);
}

TEST(BackendSettings, InferenceStreamsAndTheirFormerNameReplicasAreOneSetting)
{
    for (const char* name : {"gpt-infer", "mlp-infer"}) {
        auto w = builtin(name);
        const auto knobs = w->knobs();
        ASSERT_NE(findKnob(knobs, "streams"), nullptr) << name;
        auto streams = w->resolve(smallConfig(name, {{"streams", std::int64_t {2}}}));
        ASSERT_TRUE(streams.has_value()) << streams.error().describe();
        EXPECT_EQ(std::get<std::int64_t>(streams->at("replicas")), 2);
        auto replicas = w->resolve(smallConfig(name, {{"replicas", std::int64_t {3}}}));
        ASSERT_TRUE(replicas.has_value());
        EXPECT_EQ(std::get<std::int64_t>(replicas->at("streams")), 3) << "existing configurations keep working";
        auto both = w->resolve(smallConfig(name, {{"replicas", std::int64_t {3}}, {"streams", std::int64_t {2}}}));
        ASSERT_FALSE(both.has_value());
        EXPECT_EQ(both.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(both.error().message.find("streams"), std::string::npos);
        auto same = w->resolve(smallConfig(name, {{"replicas", std::int64_t {2}}, {"streams", std::int64_t {2}}}));
        EXPECT_TRUE(same.has_value());
    }
    for (const char* name : {"gpt-train", "mlp-train"}) {
        const auto knobs = builtin(name)->knobs();
        EXPECT_EQ(findKnob(knobs, "streams"), nullptr) << name << ": replicas are data-parallel";
    }
}

TEST(BackendSettings, StreamsRunAsConcurrentInferenceInstances)
{
    auto w = builtin("mlp-infer");
    auto config
        = w->resolve(smallConfig("mlp-infer", {{"streams", std::int64_t {2}}, {"batch_size", std::int64_t {8}}}));
    ASSERT_TRUE(config.has_value());
    RunContext context;
    auto session = w->prepare(*config, context);
    ASSERT_TRUE(session.has_value()) << session.error().describe();
    auto window = (*session)->runWindow(context);
    ASSERT_TRUE(window.has_value()) << window.error().describe();
    EXPECT_GT(window->metrics.at("samples_per_s"), 0);
}

} // namespace
} // namespace lwb::engine::test
