// Tuned profile round trip and malformed inputs (truncated, wrong types, future version).
#include "lwb/workbench/profile.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace lwb;
using namespace lwb::workbench;

namespace {
TunedProfile sample()
{
    TunedProfile p;
    p.studyName = "s";
    p.workload = "gpt-train";
    p.objectives = {"tokens_per_s:max"};
    p.best.config = {{"batch_size", 8}, {"precision", "bf16"}};
    p.best.samples["tokens_per_s"] = {100, 101, 99};
    p.best.values["tokens_per_s"] = 100;
    p.best.values["peak_memory_gb"] = 0.5;
    p.best.trialNumber = 4;
    p.best.opMillisPerStep["matmul_fwd"] = 3.5;
    p.fingerprint = collectFingerprint();
    p.provenance = {{"created_at", "2026-11-21T00:00:00Z"}};
    return p;
}

std::string loadError(const std::string& text)
{
    auto path = std::filesystem::temp_directory_path() / "lwb-profile-test.json";
    EXPECT_TRUE(writeFileAtomic(path, text));
    auto p = TunedProfile::load(path);
    std::filesystem::remove(path);
    return p ? "<loaded>" : p.error().message;
}
} // namespace

TEST(Profile, RoundTrip)
{
    auto path = std::filesystem::temp_directory_path() / "lwb-profile-roundtrip.json";
    ASSERT_TRUE(sample().save(path));
    auto p = TunedProfile::load(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(p) << p.error().describe();
    EXPECT_EQ(p->workload, "gpt-train");
    EXPECT_EQ(p->best.config["precision"], "bf16");
    EXPECT_EQ(p->best.samples.at("tokens_per_s").size(), 3u);
    EXPECT_DOUBLE_EQ(p->best.values.at("peak_memory_gb"), 0.5);
    EXPECT_DOUBLE_EQ(p->best.opMillisPerStep.at("matmul_fwd"), 3.5);
    EXPECT_TRUE(p->fingerprint.differencesFrom(sample().fingerprint).empty());
}

TEST(Profile, MalformedProfilesNameTheProblem)
{
    std::string full = sample().toJson().dump(2);
    EXPECT_NE(loadError(full.substr(0, full.size() / 2)).find("invalid JSON"), std::string::npos);
    EXPECT_NE(loadError("{}").find("not a tuned profile"), std::string::npos);
    Json j = sample().toJson();
    j["best"]["metrics"]["tokens_per_s"]["samples"] = "fast";
    EXPECT_NE(loadError(j.dump()).find("samples must be a list"), std::string::npos);
    Json k = sample().toJson();
    k.erase("workload");
    EXPECT_NE(loadError(k.dump()).find("workload"), std::string::npos);
    Json future = sample().toJson();
    future["version"] = 99;
    auto path = std::filesystem::temp_directory_path() / "lwb-profile-future.json";
    ASSERT_TRUE(writeFileAtomic(path, future.dump()));
    auto p = TunedProfile::load(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::VersionTooNew);
    EXPECT_NE(p.error().message.find("newer"), std::string::npos);
}
