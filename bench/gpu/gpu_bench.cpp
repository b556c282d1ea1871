// gpu_bench: the CUDA backend's throughput on one GPU. GPT training steps (forward, backward, grad
// norm, AdamW, weight repack; the gpt-train step) in tokens/s and MFU against the device's dense
// peak for the precision (llm.c's FLOP count: 6 N + 6 L C T per token), and greedy decode in
// tokens/s against the memory-bandwidth bound (every weight read once per step). Needs a GPU; on a
// machine without one it says so and measures nothing. Expected results: docs/gpu.md.
//
//   gpu_bench [--quick] [--model gpt2-124m|gpt-s] [--batch B] [--seq T] [--steps N] [--warmup N]
//             [--graphs] [--only train|decode] [--peak-tflops X]
#include "cuda/cuda_backend.h"
#include "cuda/cuda_registry.h"

#include "lwb/core/clock.h"
#include "lwb/engine/gpt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fmt/core.h>
#include <random>
#include <string>
#include <vector>

using namespace lwb;
using namespace lwb::engine;
using namespace lwb::engine::cuda;

namespace {

struct Options {
    bool quick = false;
    std::string model = "gpt2-124m";
    std::int64_t batch = 16, seq = 1024, steps = 10, warmup = 3;
    bool graphs = false;
    std::string only;
    double peakOverride = 0; ///< TFLOP/s for every precision (unknown devices)
};

/// Dense peaks in TFLOP/s (TOPS for int8) and HBM bandwidth in TB/s, from NVIDIA's data sheets
/// (H100 SXM: ../shared/docs/notes/engine.md). Matched on the device name.
struct Peaks {
    const char* name;
    double fp32, tf32, bf16, int8, hbm;
};
const Peaks kPeaks[] = {
    {"H200", 66.9, 494.7, 989.4, 1978.9, 4.8},
    {"H100 PCIe", 51.2, 378.0, 756.0, 1513.0, 2.0},
    {"H100", 66.9, 494.7, 989.4, 1978.9, 3.35}, // SXM5
    {"A100", 19.5, 156.0, 312.0, 624.0, 2.0},
};

const Peaks* peaksFor(const std::string& device)
{
    for (const auto& p : kPeaks)
        if (device.find(p.name) != std::string::npos)
            return &p;
    return nullptr;
}

GptConfig modelConfig(const Options& o)
{
    GptConfig c;
    if (o.model == "gpt-s") {
        c.nLayer = 6;
        c.nEmbd = 384;
        c.nHead = 6;
        c.vocabSize = 256;
    } else { // GPT-2 124M (llm.c's reference model)
        c.nLayer = 12;
        c.nEmbd = 768;
        c.nHead = 12;
        c.vocabSize = 50257;
    }
    c.maxSeqLen = o.seq;
    return c;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::unique_ptr<CudaBackend> makeBackend(const CudaOptions& cuda)
{
    auto b = createCudaBackend(BackendOptions {}, cuda);
    if (!b) {
        std::fprintf(stderr, "cannot create the CUDA backend: %s\n", b.error().describe().c_str());
        return nullptr;
    }
    return std::unique_ptr<CudaBackend>(static_cast<CudaBackend*>(b->release()));
}

#define BENCH_CHECK(expr)                                                                                              \
    do {                                                                                                               \
        const auto& lwbStatus = (expr);                                                                                \
        if (!lwbStatus.has_value()) {                                                                                  \
            std::fprintf(stderr, "  failed: %s\n", lwbStatus.error().describe().c_str());                              \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

void benchTrain(const Options& o, const char* label, Precision precision, Fp32Math math)
{
    CudaOptions cuda;
    cuda.fp32Math = math;
    cuda.graphs = o.graphs ? GraphMode::CaptureReplay : GraphMode::Off;
    auto be = makeBackend(cuda);
    if (!be)
        return;
    const GptConfig cfg = modelConfig(o);
    const std::int64_t B = o.batch, T = o.seq, N = B * T;
    auto model = GptModel::create(*be, cfg);
    BENCH_CHECK(model);
    BENCH_CHECK((*model)->initRandom(1));
    auto weights = GptWeights::create(*be, cfg, precision, WeightUse::Training, {N});
    BENCH_CHECK(weights);
    (*weights)->pack(*be, **model);
    auto trainer = GptTrainer::create(*be, **model, **weights, B, T);
    BENCH_CHECK(trainer);
    const std::int64_t P = cfg.parameterCount();
    auto m = be->allocate({P}, DType::F32, MemoryKind::OptimizerState);
    BENCH_CHECK(m);
    auto v = be->allocate({P}, DType::F32, MemoryKind::OptimizerState);
    BENCH_CHECK(v);
    auto norm = be->allocate({1}, DType::F32, MemoryKind::Workspace);
    BENCH_CHECK(norm);
    std::mt19937 rng(7);
    std::vector<std::int32_t> tok(static_cast<std::size_t>(N + 1));
    std::vector<double> ms;
    for (std::int64_t s = 1; s <= o.warmup + o.steps; ++s) {
        for (auto& t : tok)
            t = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(cfg.vocabSize));
        Stopwatch sw;
        auto loss = (*trainer)->forwardBackward(tok.data(), tok.data() + 1, Accumulate::Overwrite, 1.0f / N);
        BENCH_CHECK(loss);
        be->sumSquares(*norm, (*trainer)->gradients());
        float sq = 0;
        be->copyToHost(&sq, *norm);
        const double gn = std::sqrt(static_cast<double>(sq));
        AdamWStep step;
        step.lr = 3e-4f;
        step.t = s;
        step.gradScale = gn > 1.0 ? static_cast<float>(1.0 / gn) : 1.0f;
        be->adamw((*model)->flat(), (*trainer)->gradients(), *m, *v, step);
        (*weights)->pack(*be, **model);
        BENCH_CHECK(be->synchronize());
        if (s > o.warmup)
            ms.push_back(sw.elapsedSeconds() * 1e3);
    }
    const double stepMs = median(ms);
    const double tokensPerS = static_cast<double>(N) / (stepMs / 1e3);
    const double flopsPerToken = 6.0 * static_cast<double>(P) + 6.0 * static_cast<double>(cfg.nLayer * cfg.nEmbd * T);
    const double achieved = flopsPerToken * tokensPerS / 1e12;
    const Peaks* peaks = peaksFor(be->device().name);
    double peak = o.peakOverride;
    if (peak == 0 && peaks)
        peak = precision == Precision::Bf16 ? peaks->bf16 : (math == Fp32Math::Tf32 ? peaks->tf32 : peaks->fp32);
    std::printf("train  %-6s B%-3lld T%-5lld step %8.2f ms  %10.0f tokens/s  %7.1f TFLOP/s  MFU %s  peak %.1f GB\n",
        label, static_cast<long long>(B), static_cast<long long>(T), stepMs, tokensPerS, achieved,
        peak > 0 ? fmt::format("{:5.1f}%", 100.0 * achieved / peak).c_str() : "  n/a",
        static_cast<double>(be->memoryStats().peakBytes) / 1e9);
    if (o.graphs) {
        auto st = be->launchStats();
        std::printf("       graphs: %lld segments, %lld replays, %lld updates, %lld instantiations\n",
            static_cast<long long>(st.segments), static_cast<long long>(st.replays), static_cast<long long>(st.updates),
            static_cast<long long>(st.instantiations));
    }
}

void benchDecode(const Options& o, const char* label, Precision precision, std::int64_t B)
{
    CudaOptions cuda;
    cuda.graphs = o.graphs ? GraphMode::CaptureReplay : GraphMode::Off;
    auto be = makeBackend(cuda);
    if (!be)
        return;
    GptConfig cfg = modelConfig(o);
    const std::int64_t prompt = std::min<std::int64_t>(128, cfg.maxSeqLen / 2), gen = o.quick ? 32 : 128;
    cfg.maxSeqLen = std::max(cfg.maxSeqLen, prompt + gen + 1);
    auto model = GptModel::create(*be, cfg);
    BENCH_CHECK(model);
    BENCH_CHECK((*model)->initRandom(1));
    auto weights = GptWeights::create(*be, cfg, precision, WeightUse::Inference, {B, B * prompt});
    BENCH_CHECK(weights);
    (*weights)->pack(*be, **model);
    auto gen8 = GptGenerator::create(*be, **model, **weights, B, prompt);
    BENCH_CHECK(gen8);
    std::vector<std::int32_t> prompts(static_cast<std::size_t>(B * prompt), 65);
    std::vector<double> perToken;
    for (int round = 0; round < (o.quick ? 2 : 3); ++round) {
        auto next = (*gen8)->prefill(prompts.data(), prompt);
        BENCH_CHECK(next);
        Stopwatch sw;
        for (std::int64_t t = 0; t < gen; ++t) {
            next = (*gen8)->decode(*next);
            BENCH_CHECK(next);
        }
        if (round > 0) // the first round warms up
            perToken.push_back(sw.elapsedSeconds() / static_cast<double>(gen));
    }
    const double s = median(perToken);
    double weightBytes = static_cast<double>((*weights)->lmHead->bytes());
    for (const auto& l : (*weights)->layers)
        weightBytes += static_cast<double>(l.qkv->bytes() + l.attproj->bytes() + l.fc->bytes() + l.fcproj->bytes());
    const auto& d = be->device();
    const Peaks* peaks = peaksFor(d.name);
    const double hbm = peaks ? peaks->hbm * 1e12 : 2.0 * d.memoryClockKHz * 1e3 * d.memoryBusWidthBits / 8.0; // DDR
    const double boundS = weightBytes / hbm;
    std::printf("decode %-6s B%-3lld %8.3f ms/token  %10.0f tokens/s  weights %.0f MB, bandwidth bound %.3f ms "
                "(%.0f%% of it)\n",
        label, static_cast<long long>(B), s * 1e3, static_cast<double>(B) / s, weightBytes / 1e6, boundS * 1e3,
        100.0 * boundS / s);
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--quick") {
            o.quick = true;
            o.steps = 4;
            o.warmup = 2;
        } else if (a == "--model") {
            o.model = next();
        } else if (a == "--batch") {
            o.batch = std::stoll(next());
        } else if (a == "--seq") {
            o.seq = std::stoll(next());
        } else if (a == "--steps") {
            o.steps = std::stoll(next());
        } else if (a == "--warmup") {
            o.warmup = std::stoll(next());
        } else if (a == "--graphs") {
            o.graphs = true;
        } else if (a == "--only") {
            o.only = next();
        } else if (a == "--peak-tflops") {
            o.peakOverride = std::stod(next());
        } else {
            std::fprintf(stderr,
                "usage: gpu_bench [--quick] [--model gpt2-124m|gpt-s] [--batch B] [--seq T] "
                "[--steps N] [--warmup N] [--graphs] [--only train|decode] [--peak-tflops X]\n");
            return 2;
        }
    }
    const std::string why = cudaUnusableReason(makeDriverCudaProbe()->probe());
    if (!why.empty()) {
        std::printf("gpu_bench: no usable CUDA GPU here (%s); nothing was measured.\n", why.c_str());
        return 0;
    }
    auto probe = makeBackend({});
    if (!probe)
        return 1;
    const auto& d = probe->device();
    const Peaks* peaks = peaksFor(d.name);
    std::printf("%s (cc %d.%d, %d SMs, %.0f GB, SM clock %d MHz), runtime %d, driver %d, model %s, graphs %s\n",
        d.name.c_str(), d.computeMajor, d.computeMinor, d.smCount, static_cast<double>(d.memoryBytes) / 1e9,
        d.smClockKHz / 1000, d.runtimeVersion, d.driverVersion, o.model.c_str(), o.graphs ? "on" : "off");
    if (peaks)
        std::printf(
            "dense peaks (data sheet): fp32 %.1f, tf32 %.1f, bf16 %.1f TFLOP/s, int8 %.0f TOPS, HBM %.2f TB/s\n",
            peaks->fp32, peaks->tf32, peaks->bf16, peaks->int8, peaks->hbm);
    else if (o.peakOverride == 0)
        std::printf("unknown device: MFU needs --peak-tflops\n");
    probe.reset();
    if (o.only.empty() || o.only == "train") {
        benchTrain(o, "bf16", Precision::Bf16, Fp32Math::Strict);
        benchTrain(o, "tf32", Precision::Fp32, Fp32Math::Tf32);
        if (!o.quick)
            benchTrain(o, "fp32", Precision::Fp32, Fp32Math::Strict);
    }
    if (o.only.empty() || o.only == "decode") {
        for (std::int64_t B : {std::int64_t {1}, std::int64_t {8}}) {
            benchDecode(o, "bf16", Precision::Bf16, B);
            benchDecode(o, "fp16", Precision::Fp16, B);
            benchDecode(o, "int8", Precision::Int8, B);
            if (!o.quick)
                benchDecode(o, "fp32", Precision::Fp32, B);
        }
    }
    return 0;
}
