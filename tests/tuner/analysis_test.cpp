// Parameter importance and slice predictions for the GUI.
#include "lwb/tuner/study.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lwb;
using namespace lwb::tuner;

namespace {

Study fittedStudy()
{
    StudyOptions o;
    o.name = "analysis";
    o.space.addFloat("strong", 0.0, 1.0).addFloat("weak", 0.0, 1.0).addCategorical("kind", {"a", "b", "c"});
    o.objectives = {{"time_ms", Direction::Minimize, ValueTransform::None}};
    o.sampler = {"sobol", Json::object()};
    o.seed = 2;
    auto study = Study::create(std::make_shared<InMemoryStorage>(), o);
    EXPECT_TRUE(study);
    for (int i = 0; i < 40; ++i) {
        auto t = study->ask();
        double s = std::get<double>(t->params.at("strong")), w = std::get<double>(t->params.at("weak"));
        std::string k = std::get<std::string>(t->params.at("kind"));
        double v = 10.0 * (s - 0.3) * (s - 0.3) + 0.05 * w + (k == "c" ? 1.0 : 0.0);
        EXPECT_TRUE(study->tell(t->id, {v}));
    }
    return std::move(study).value();
}

} // namespace

TEST(Analysis, ImportanceRanksParametersByTheirEffect)
{
    Study study = fittedStudy();
    auto importance = study.importance();
    ASSERT_TRUE(importance) << importance.error().describe();
    ASSERT_EQ(importance->size(), 3u);
    EXPECT_EQ((*importance)[0].param, "strong");
    EXPECT_EQ((*importance)[1].param, "kind");
    EXPECT_EQ((*importance)[2].param, "weak");
    double total = 0.0;
    for (const auto& item : *importance)
        total += item.importance;
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_LT((*importance)[2].importance, 0.02);
}

TEST(Analysis, SliceFollowsTheFunctionWithABand)
{
    Study study = fittedStudy();
    auto slice = study.predictSlice("strong", {{"weak", 0.5}, {"kind", "a"}}, 21);
    ASSERT_TRUE(slice) << slice.error().describe();
    ASSERT_EQ(slice->mean.size(), 21u);
    ASSERT_EQ(slice->values.size(), 21u);
    EXPECT_EQ(std::get<std::string>(slice->fixedParams.at("kind")), "a");
    for (std::size_t i = 0; i < slice->mean.size(); ++i) {
        double s = slice->x[i];
        double truth = 10.0 * (s - 0.3) * (s - 0.3) + 0.025;
        EXPECT_NEAR(slice->mean[i], truth, 0.15) << "at " << s;
        EXPECT_LE(slice->lower[i], slice->mean[i]);
        EXPECT_GE(slice->upper[i], slice->mean[i]);
        EXPECT_GE(slice->stddev[i], 0.0);
    }
    // A categorical slice lists every choice; unknown or fixed parameters are errors.
    auto kinds = study.predictSlice("kind", {}, 10);
    ASSERT_TRUE(kinds);
    EXPECT_EQ(kinds->values.size(), 3u);
    EXPECT_GT(kinds->mean[2], kinds->mean[0] + 0.5);
    EXPECT_FALSE(study.predictSlice("nope", {}, 10));
}

TEST(Analysis, NeedsCompletedTrials)
{
    StudyOptions o;
    o.name = "empty";
    o.space.addFloat("x", 0.0, 1.0);
    o.objectives = {{"f", Direction::Minimize}};
    auto study = Study::create(std::make_shared<InMemoryStorage>(), o);
    ASSERT_TRUE(study);
    auto importance = study->importance();
    ASSERT_FALSE(importance);
    EXPECT_EQ(importance.error().code, ErrorCode::NotFound);
}
