// SearchSpace: building and validation errors, JSON round trip (canonical and flat forms), conditions,
// constraint expressions, configuration checks.
#include "encoding.h"
#include "lwb/tuner/search_space.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lwb;
using namespace lwb::tuner;

namespace {

SearchSpace gpuSpace()
{
    SearchSpace s;
    s.addInt("batch_size", 1, 64, Scale::Pow2)
        .addInt("seq_len", 128, 2048, Scale::Pow2)
        .addCategorical("precision", {"fp32", "bf16", "fp16"})
        .addFloat("lr", 1e-4, 1e-2, Scale::Log)
        .addFloat("loss_scale", 1.0, 65536.0, Scale::Log)
        .addBool("compile")
        .addCondition("loss_scale", "precision", {"fp16"})
        .addConstraint("batch_size * seq_len <= 65536");
    return s;
}

std::string errorOf(const Status& s)
{
    return s ? std::string() : s.error().message;
}

} // namespace

TEST(ParamValue, StringLiteralIsAString)
{
    ParamValue v = "bf16";
    EXPECT_TRUE(std::holds_alternative<std::string>(v));
    EXPECT_TRUE(sameValue(ParamValue(std::int64_t {8}), ParamValue(8.0)));
    EXPECT_FALSE(sameValue(ParamValue(true), ParamValue(std::int64_t {1})));
}

TEST(ParamValue, JsonRoundTripKeepsTypes)
{
    Params p {{"a", std::int64_t {8}}, {"b", 0.5}, {"c", "x"}, {"d", true}};
    auto back = paramsFromJson(paramsToJson(p));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, p);
    EXPECT_FALSE(paramsFromJson(Json {{"a", Json::array()}}));
}

TEST(SearchSpace, ValidSpaceValidates)
{
    EXPECT_TRUE(gpuSpace().validate());
}

TEST(SearchSpace, ValidationListsEveryProblem)
{
    SearchSpace s;
    s.addInt("a", 5, 1)
        .addFloat("b", 0.0, 1.0, Scale::Log)
        .addCategorical("c", {})
        .addInt("d", 3, 3, Scale::Pow2)
        .addFloat("b", 0.0, 1.0)
        .setFixed("nope", 1.0)
        .addCondition("a", "missing", {std::int64_t {1}});
    Status status = s.validate();
    ASSERT_FALSE(status);
    std::string m = status.error().message;
    EXPECT_NE(m.find("'a': low > high"), std::string::npos) << m;
    EXPECT_NE(m.find("log scale needs low > 0"), std::string::npos) << m;
    EXPECT_NE(m.find("without choices"), std::string::npos) << m;
    EXPECT_NE(m.find("pow2 scale needs"), std::string::npos) << m;
    EXPECT_NE(m.find("declared twice"), std::string::npos) << m;
    EXPECT_NE(m.find("setFixed: unknown parameter 'nope'"), std::string::npos) << m;
    EXPECT_NE(m.find("unknown parameter 'missing'"), std::string::npos) << m;
    EXPECT_EQ(status.error().code, ErrorCode::InvalidArgument);
}

TEST(SearchSpace, RejectsBadFixedValuesAndConditionValues)
{
    SearchSpace s;
    s.addInt("batch", 1, 64, Scale::Pow2).addCategorical("p", {"a", "b"}).addFloat("x", 0, 1);
    s.setFixed("batch", std::int64_t {3});
    s.addCondition("x", "p", {"c"});
    std::string m = errorOf(s.validate());
    EXPECT_NE(m.find("not a power of two"), std::string::npos) << m;
    EXPECT_NE(m.find("not one of its choices"), std::string::npos) << m;
    EXPECT_TRUE(errorOf(SearchSpace().validate()).find("no parameters") != std::string::npos);
}

TEST(SearchSpace, RejectsConditionCycles)
{
    SearchSpace s;
    s.addBool("a").addBool("b").addCondition("a", "b", {true}).addCondition("b", "a", {true});
    EXPECT_NE(errorOf(s.validate()).find("cycle"), std::string::npos);
}

TEST(SearchSpace, ConstraintErrorsNamePositionAndName)
{
    SearchSpace s = gpuSpace();
    s.addConstraint("batch_size * seqlen <= 4");
    std::string m = errorOf(s.validate());
    EXPECT_NE(m.find("unknown parameter 'seqlen'"), std::string::npos) << m;
    EXPECT_NE(m.find("column 14"), std::string::npos) << m;

    SearchSpace t = gpuSpace();
    t.addConstraint("batch_size * seq_len");
    EXPECT_NE(errorOf(t.validate()).find("not a condition"), std::string::npos);
    SearchSpace u = gpuSpace();
    u.addConstraint("precision == \"int4\"");
    EXPECT_NE(errorOf(u.validate()).find("not a choice"), std::string::npos);
    SearchSpace v = gpuSpace();
    v.addConstraint("(batch_size <= 4");
    EXPECT_NE(errorOf(v.validate()).find("expected ')'"), std::string::npos);
}

TEST(SearchSpace, JsonRoundTrip)
{
    SearchSpace s = gpuSpace();
    s.setFixed("compile", false);
    Json j = s.toJson();
    auto back = SearchSpace::fromJson(j);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->toJson(), j);
    EXPECT_EQ(j["params"]["batch_size"]["scale"], "pow2");
    EXPECT_EQ(j["params"]["loss_scale"]["condition"]["parent"], "precision");
    EXPECT_EQ(j["constraints"][0], "batch_size * seq_len <= 65536");
}

TEST(SearchSpace, FlatJsonFormOfTheWorkbenchSpec)
{
    auto spec = parseJson(R"({
        "batch_size": {"type": "int", "low": 1, "high": 64, "scale": "pow2"},
        "precision": {"type": "categorical", "choices": ["fp32", "bf16"]},
        "lr": {"type": "float", "low": 1e-4, "high": 1e-2, "scale": "log"},
        "constraints": ["batch_size <= 32 or precision == 'bf16'"]
    })");
    ASSERT_TRUE(spec);
    auto space = SearchSpace::fromJson(*spec);
    ASSERT_TRUE(space) << space.error().message;
    EXPECT_EQ(space->params().size(), 3u);
    EXPECT_EQ(space->find("lr")->scale, Scale::Log);
    EXPECT_EQ(space->constraints().size(), 1u);
    EXPECT_TRUE(space->checkParams({{"batch_size", std::int64_t {64}}, {"precision", "bf16"}, {"lr", 1e-3}}));
    EXPECT_FALSE(space->checkParams({{"batch_size", std::int64_t {64}}, {"precision", "fp32"}, {"lr", 1e-3}}));
}

TEST(SearchSpace, JsonErrorsAreSpecific)
{
    auto typo = SearchSpace::fromJson(Json::parse(R"({"a": {"type": "int", "low": 1, "hihg": 3}})"));
    ASSERT_FALSE(typo);
    EXPECT_NE(typo.error().message.find("unknown key 'hihg'"), std::string::npos);
    auto type = SearchSpace::fromJson(Json::parse(R"({"a": {"type": "double", "low": 1, "high": 3}})"));
    ASSERT_FALSE(type);
    EXPECT_NE(type.error().message.find("unknown type 'double'"), std::string::npos);
    auto bounds = SearchSpace::fromJson(Json::parse(R"({"a": {"type": "int", "low": 1.5, "high": 3}})"));
    ASSERT_FALSE(bounds);
    EXPECT_NE(bounds.error().message.find("int bounds must be integers"), std::string::npos);
}

TEST(SearchSpace, ConditionsControlActivity)
{
    SearchSpace s = gpuSpace();
    Params fp16 {{"batch_size", std::int64_t {8}}, {"seq_len", std::int64_t {512}}, {"precision", "fp16"}, {"lr", 1e-3},
        {"loss_scale", 1024.0}, {"compile", true}};
    EXPECT_TRUE(s.checkParams(fp16));
    EXPECT_TRUE(s.isActive(*s.find("loss_scale"), fp16));
    Params bf16 = fp16;
    bf16["precision"] = "bf16";
    EXPECT_FALSE(s.isActive(*s.find("loss_scale"), bf16));
    std::string m = errorOf(s.checkParams(bf16));
    EXPECT_NE(m.find("given but inactive"), std::string::npos) << m;
    bf16.erase("loss_scale");
    EXPECT_TRUE(s.checkParams(bf16));
    fp16.erase("loss_scale");
    EXPECT_NE(errorOf(s.checkParams(fp16)).find("missing value of parameter 'loss_scale'"), std::string::npos);
}

TEST(SearchSpace, CheckParamsEnforcesDomainsAndConstraints)
{
    SearchSpace s = gpuSpace();
    Params ok {{"batch_size", std::int64_t {32}}, {"seq_len", std::int64_t {2048}}, {"precision", "fp32"}, {"lr", 1e-3},
        {"compile", false}};
    EXPECT_TRUE(s.checkParams(ok));
    Params tooBig = ok;
    tooBig["batch_size"] = std::int64_t {64};
    EXPECT_NE(errorOf(s.checkParams(tooBig)).find("violates the constraint"), std::string::npos);
    Params notPow2 = ok;
    notPow2["batch_size"] = std::int64_t {24};
    EXPECT_NE(errorOf(s.checkParams(notPow2)).find("power of two"), std::string::npos);
    Params unknown = ok;
    unknown["threads"] = std::int64_t {4};
    EXPECT_NE(errorOf(s.checkParams(unknown)).find("unknown parameter 'threads'"), std::string::npos);
    Params outOfRange = ok;
    outOfRange["lr"] = 0.5;
    EXPECT_NE(errorOf(s.checkParams(outOfRange)).find("outside"), std::string::npos);
}

TEST(SearchSpace, FixedValuesAreFilledAndEnforced)
{
    SearchSpace s;
    s.addInt("threads", 1, 16).addFloat("x", 0, 1).setFixed("threads", std::int64_t {8});
    EXPECT_EQ(s.freeParamCount(), 1u);
    Params full = s.withFixedValues({{"x", 0.5}});
    EXPECT_EQ(std::get<std::int64_t>(full.at("threads")), 8);
    EXPECT_TRUE(s.checkParams(full));
    full["threads"] = std::int64_t {4};
    EXPECT_NE(errorOf(s.checkParams(full)).find("fixed to 8"), std::string::npos);
}

TEST(ConstraintExpression, Arithmetic)
{
    SearchSpace s;
    s.addInt("a", 1, 100).addFloat("b", 0, 10).addCategorical("c", {"x", "y"}).addCategorical("n", {1, 2, 4});
    auto check = [&](const char* constraint, Params p) {
        SearchSpace t = s;
        t.addConstraint(constraint);
        return static_cast<bool>(t.checkParams(p));
    };
    Params p {{"a", std::int64_t {6}}, {"b", 2.5}, {"c", "y"}, {"n", std::int64_t {4}}};
    EXPECT_TRUE(check("a * b == 15", p));
    EXPECT_TRUE(check("a / 4 + 1 > 2.4 and a % 4 == 2", p));
    EXPECT_TRUE(check("2 ^ 3 == 8 && -a < 0", p));
    EXPECT_TRUE(check("max(a, b) == 6 and min(a, b) == 2.5 and abs(-b) == 2.5", p));
    EXPECT_TRUE(check("log2(n) == 2 and sqrt(n) == 2", p));
    EXPECT_TRUE(check("c == 'y' and c != \"x\"", p));
    EXPECT_TRUE(check("n * a == 24", p)); // numeric categorical: its value, not its index
    EXPECT_TRUE(check("not (a > 10) || b > 100", p));
    EXPECT_FALSE(check("a * b > 15", p));
}

TEST(SpaceCodec, EncodeDecodeRoundTripAndSnapping)
{
    auto codec = tuner::detail::SpaceCodec::create(gpuSpace());
    ASSERT_TRUE(codec);
    Params p {{"batch_size", std::int64_t {16}}, {"seq_len", std::int64_t {256}}, {"precision", "fp16"}, {"lr", 1e-3},
        {"loss_scale", 256.0}, {"compile", true}};
    auto values = codec->toValues(p);
    ASSERT_TRUE(values);
    std::vector<double> u(static_cast<std::size_t>(codec->dims()));
    codec->encode(values->data(), u.data());
    for (double x : u) {
        EXPECT_GE(x, 0.0);
        EXPECT_LE(x, 1.0);
    }
    std::vector<double> back(values->size());
    codec->decode(u.data(), back.data());
    Params decoded = codec->toParams(back.data());
    EXPECT_EQ(std::get<std::int64_t>(decoded.at("batch_size")), 16);
    EXPECT_EQ(std::get<std::string>(decoded.at("precision")), "fp16");
    EXPECT_NEAR(std::get<double>(decoded.at("lr")), 1e-3, 1e-12);
    // A point between two powers of two snaps to the nearest one in log2.
    u[0] = 0.5 * (u[0] + 1.0 / 6.0 * 5.0);
    codec->decode(u.data(), back.data());
    double b = back[0];
    EXPECT_EQ(b, std::exp2(std::round(std::log2(b))));
}

TEST(SpaceCodec, QuantilesCoverDomainsUniformly)
{
    SearchSpace s;
    s.addInt("k", 1, 4).addBool("flag").addCategorical("c", {"a", "b", "c"});
    auto codec = tuner::detail::SpaceCodec::create(s);
    ASSERT_TRUE(codec);
    std::map<double, int> counts;
    std::vector<double> v(3);
    for (int i = 0; i < 400; ++i) {
        double q[3] = {0.3, 0.9, (i + 0.5) / 400.0};
        codec->fromQuantiles(q, v.data());
        counts[v[2]]++; // params are sorted by name: c, flag, k
    }
    ASSERT_EQ(counts.size(), 4u);
    for (const auto& [value, n] : counts)
        EXPECT_EQ(n, 100) << value;
}
