// Benchmark problems (see bench_problems.h). The mixed problem models time-to-target of a training
// run in hours: step time from precision speed, batch size and data-parallel efficiency; steps
// from a batch-size-dependent sample budget; a learning-rate penalty around an optimum that
// scales with sqrt(batch) and a steeper one for fp16 above it. Its optimum is found by enumerating
// the 224 discrete cells and golden-section search on log10(lr) in each.
#include "bench_problems.h"

#include <array>
#include <cmath>

namespace lwb::bench {
namespace {

double uniform(std::mt19937_64& rng, double lo, double hi)
{
    return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}
std::int64_t uniformInt(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi)
{
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}
double asDouble(const tuner::ParamValue& v)
{
    return tuner::numericValue(v).value();
}

const std::array<std::string, 6> kHartmannNames = {"x0", "x1", "x2", "x3", "x4", "x5"};
const std::array<std::string, 4> kPrecisions = {"fp32", "tf32", "bf16", "fp16"};

double mixedObjective(double batch, int precision, double parallelism, double lr)
{
    static constexpr double kSpeed[] = {1.0, 1.8, 2.6, 2.8};
    static constexpr double kQuality[] = {1.0, 1.01, 1.05, 1.03};
    static constexpr double kLrShift[] = {0.0, 0.0, -0.05, -0.2};
    double efficiency = parallelism / (1.0 + 0.08 * (parallelism - 1.0));
    double stepSeconds = (0.02 + batch * 0.0009 / kSpeed[precision]) / efficiency + 0.004 * (parallelism - 1.0);
    double samples = 2.0e5 * (1.0 + batch / 256.0);
    double steps = samples / batch;
    double lrOpt = -3.3 + 0.5 * std::log10(batch / 64.0) + kLrShift[precision];
    double dl = std::log10(lr) - lrOpt;
    double penalty = 1.0 + 1.5 * dl * dl;
    if (precision == 3 && dl > 0.3)
        penalty += 3.0 * (dl - 0.3) * (dl - 0.3);
    return steps * stepSeconds * kQuality[precision] * penalty / 3600.0;
}

} // namespace

Problem branin()
{
    Problem p;
    p.name = "Branin";
    p.space.addFloat("x1", -5.0, 10.0).addFloat("x2", 0.0, 15.0);
    p.optunaParams = Json::array({{{"name", "x1"}, {"type", "float"}, {"low", -5.0}, {"high", 10.0}},
        {{"name", "x2"}, {"type", "float"}, {"low", 0.0}, {"high", 15.0}}});
    p.objective = [](const tuner::Params& x) {
        double x1 = asDouble(x.at("x1")), x2 = asDouble(x.at("x2"));
        constexpr double kPi = 3.14159265358979323846;
        double b = 5.1 / (4.0 * kPi * kPi), c = 5.0 / kPi, t = 1.0 / (8.0 * kPi);
        double a = x2 - b * x1 * x1 + c * x1 - 6.0;
        return a * a + 10.0 * (1.0 - t) * std::cos(x1) + 10.0;
    };
    p.randomConfig = [](std::mt19937_64& rng) {
        return tuner::Params {{"x1", uniform(rng, -5.0, 10.0)}, {"x2", uniform(rng, 0.0, 15.0)}};
    };
    p.fromOptuna = [](const Json& j) {
        return tuner::Params {{"x1", j["x1"].get<double>()}, {"x2", j["x2"].get<double>()}};
    };
    p.toOptuna = [](const tuner::Params& x) { return tuner::paramsToJson(x); };
    p.optimum = 0.39788735772973816;
    return p;
}

Problem hartmann6()
{
    Problem p;
    p.name = "Hartmann-6";
    p.optunaParams = Json::array();
    for (int i = 0; i < 6; ++i) {
        const std::string& name = kHartmannNames[static_cast<std::size_t>(i)];
        p.space.addFloat(name, 0.0, 1.0);
        p.optunaParams.push_back({{"name", name}, {"type", "float"}, {"low", 0.0}, {"high", 1.0}});
    }
    p.objective = [](const tuner::Params& x) {
        static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
        static constexpr double kA[4][6] = {
            {10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
        static constexpr double kP[4][6]
            = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886}, {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650}, {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
        double sum = 0.0;
        for (int i = 0; i < 4; ++i) {
            double inner = 0.0;
            for (int j = 0; j < 6; ++j) {
                double d = asDouble(x.at(kHartmannNames[static_cast<std::size_t>(j)])) - kP[i][j];
                inner += kA[i][j] * d * d;
            }
            sum += kAlpha[i] * std::exp(-inner);
        }
        return -sum;
    };
    p.randomConfig = [](std::mt19937_64& rng) {
        tuner::Params params;
        for (int i = 0; i < 6; ++i)
            params[kHartmannNames[static_cast<std::size_t>(i)]] = uniform(rng, 0.0, 1.0);
        return params;
    };
    p.fromOptuna = [](const Json& j) {
        tuner::Params params;
        for (int i = 0; i < 6; ++i)
            params[kHartmannNames[static_cast<std::size_t>(i)]]
                = j[kHartmannNames[static_cast<std::size_t>(i)]].get<double>();
        return params;
    };
    p.toOptuna = [](const tuner::Params& x) { return tuner::paramsToJson(x); };
    p.optimum = -3.32236801141551;
    return p;
}

Problem mixedGpuConfig()
{
    Problem p;
    p.name = "Mixed GPU config";
    p.space.addInt("batch_size", 8, 512, tuner::Scale::Pow2)
        .addCategorical("precision", {"fp32", "tf32", "bf16", "fp16"})
        .addInt("parallelism", 1, 8)
        .addFloat("lr", 1e-5, 1e-1, tuner::Scale::Log);
    p.optunaParams = Json::array({{{"name", "log2_batch"}, {"type", "int"}, {"low", 3}, {"high", 9}},
        {{"name", "precision"}, {"type", "categorical"}, {"choices", {"fp32", "tf32", "bf16", "fp16"}}},
        {{"name", "parallelism"}, {"type", "int"}, {"low", 1}, {"high", 8}},
        {{"name", "lr"}, {"type", "float"}, {"low", 1e-5}, {"high", 1e-1}, {"log", true}}});
    auto precisionIndex = [](const std::string& s) {
        for (int i = 0; i < 4; ++i) {
            if (kPrecisions[static_cast<std::size_t>(i)] == s)
                return i;
        }
        return 0;
    };
    p.objective = [precisionIndex](const tuner::Params& x) {
        return mixedObjective(asDouble(x.at("batch_size")), precisionIndex(std::get<std::string>(x.at("precision"))),
            asDouble(x.at("parallelism")), asDouble(x.at("lr")));
    };
    p.randomConfig = [](std::mt19937_64& rng) {
        return tuner::Params {{"batch_size", std::int64_t {1} << uniformInt(rng, 3, 9)},
            {"precision", kPrecisions[static_cast<std::size_t>(uniformInt(rng, 0, 3))]},
            {"parallelism", uniformInt(rng, 1, 8)}, {"lr", std::pow(10.0, uniform(rng, -5.0, -1.0))}};
    };
    p.fromOptuna = [](const Json& j) {
        return tuner::Params {{"batch_size", std::int64_t {1} << j["log2_batch"].get<int>()},
            {"precision", j["precision"].get<std::string>()}, {"parallelism", j["parallelism"].get<std::int64_t>()},
            {"lr", j["lr"].get<double>()}};
    };
    p.toOptuna = [](const tuner::Params& x) {
        auto batch = std::get<std::int64_t>(x.at("batch_size"));
        int log2 = 0;
        while ((std::int64_t {1} << log2) < batch)
            ++log2;
        return Json {{"log2_batch", log2}, {"precision", std::get<std::string>(x.at("precision"))},
            {"parallelism", std::get<std::int64_t>(x.at("parallelism"))}, {"lr", std::get<double>(x.at("lr"))}};
    };
    // Optimum: every cell, golden-section search on log10(lr) (the penalty is unimodal in it).
    double best = 1e300;
    for (int e = 3; e <= 9; ++e) {
        for (int prec = 0; prec < 4; ++prec) {
            for (int par = 1; par <= 8; ++par) {
                auto f = [&](double l) { return mixedObjective(std::ldexp(1.0, e), prec, par, std::pow(10.0, l)); };
                double a = -5.0, b = -1.0;
                const double g = (std::sqrt(5.0) - 1.0) / 2.0;
                for (int it = 0; it < 200; ++it) {
                    double c = b - g * (b - a), d = a + g * (b - a);
                    if (f(c) < f(d))
                        b = d;
                    else
                        a = c;
                }
                best = std::min(best, f(0.5 * (a + b)));
            }
        }
    }
    p.optimum = best;
    return p;
}

} // namespace lwb::bench
