// End-to-end training on real text: GPT-S (6 layers, 384 wide, 6 heads) on tinyshakespeare for
// 300 steps must bring the validation loss well below ln(256) = 5.55, and the same seed must give
// the same loss curve. To fit the CI budget the batch is small: 4 sequences of 64 bytes per step
// on 2 threads (about 20-30 s on the 2-core CI machine); docs/performance.md records the numbers.
#include "engine_test_util.h"

#include "lwb/engine/workload.h"

#include <filesystem>

namespace lwb::engine::test {
namespace {

struct QuietContext : RunContext { };

Config shakespeare(const std::string& corpus, std::int64_t steps)
{
    return {{"corpus", corpus}, {"n_layer", std::int64_t {6}}, {"n_embd", std::int64_t {384}},
        {"n_head", std::int64_t {6}}, {"seq_len", std::int64_t {64}}, {"batch_size", std::int64_t {4}},
        {"threads", std::int64_t {2}}, {"lr", 1e-3}, {"warmup_steps", std::int64_t {20}},
        {"max_steps", std::int64_t {300}}, {"steps_per_window", steps}, {"val_batches", std::int64_t {8}},
        {"seed", std::int64_t {1337}}};
}

std::vector<double> run(const Config& config, int windows, std::map<std::string, double>* summary)
{
    QuietContext ctx;
    auto w = makeBuiltinWorkload("gpt-train");
    EXPECT_TRUE(w.has_value());
    auto session = (*w)->prepare(config, ctx);
    EXPECT_TRUE(session.has_value()) << session.error().describe();
    std::vector<double> curve;
    for (int i = 0; i < windows; ++i) {
        auto r = (*session)->runWindow(ctx);
        EXPECT_TRUE(r.has_value()) << r.error().describe();
        if (!r)
            break;
        for (auto [step, loss] : r->intermediate)
            curve.push_back(loss);
    }
    if (summary)
        *summary = (*session)->summary();
    return curve;
}

TEST(Training, GptSOnTinyShakespeareLearnsAndIsDeterministic)
{
    const std::filesystem::path corpus = std::filesystem::path(LWB_SHARED_DATA_DIR) / "tinyshakespeare.txt";
    if (!std::filesystem::exists(corpus))
        GTEST_SKIP() << "tinyshakespeare.txt not found in LWB_SHARED_DATA_DIR (" << LWB_SHARED_DATA_DIR << ")";
    std::map<std::string, double> summary;
    auto curve = run(shakespeare(corpus.string(), 50), 6, &summary);
    ASSERT_EQ(curve.size(), 300u);
    const double uniform = std::log(256.0);
    std::printf("loss: step 1 %.3f, step 100 %.3f, step 300 %.3f; validation %.3f (ln 256 = %.3f)\n", curve[0],
        curve[99], curve[299], summary["val_loss"], uniform);
    EXPECT_NEAR(curve[0], uniform, 0.3);
    EXPECT_LT(summary.at("val_loss"), 3.0) << "validation loss well below ln(256)";
    // Same seed, same curve: bitwise, for the first 30 steps of a fresh session.
    auto again = run(shakespeare(corpus.string(), 30), 1, nullptr);
    ASSERT_EQ(again.size(), 30u);
    EXPECT_EQ(again, std::vector<double>(curve.begin(), curve.begin() + 30));
}

} // namespace
} // namespace lwb::engine::test
