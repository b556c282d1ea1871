// engine_vs_torch: runs our engine (through the same workloads the workbench tunes) and the PyTorch
// peer (../shared/bench/torch_gpt_bench.py, /usr/bin/python3) on the same configurations in one
// run, alternating them, and prints the rates and their ratios against the targets of issue #3.
// The machine is shared: it also prints `foreign_cores` (CPU time of other processes seen by the
// peer) and the load average so that a noisy run is recognisable; re-run when the load is low.
//
//   engine_vs_torch [--quick] [--only train|decode|mlp|parallel] [--no-torch] [--threads N]
//                   [--torch-script PATH] [--python PATH]
#include "lwb/core/clock.h"
#include "lwb/core/json_yaml.h"
#include "lwb/engine/workload.h"

#include <algorithm>
#include <cstdio>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace lwb;
using namespace lwb::engine;

namespace {

struct Options {
    bool quick = false;
    bool torch = true;
    std::string only;
    int threads = 1;
    std::string script = LWB_SOURCE_DIR "/../shared/bench/torch_gpt_bench.py";
    std::string python = "/usr/bin/python3";
};

struct QuietContext : RunContext { };

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Runs `warmup` + `windows` windows of a workload; per-metric medians over the measured windows.
std::map<std::string, double> runOurs(const std::string& workload, const Config& config, int warmup, int windows)
{
    QuietContext ctx;
    auto w = makeBuiltinWorkload(workload);
    auto session = (*w)->prepare(config, ctx);
    if (!session) {
        std::fprintf(stderr, "  ours failed: %s\n", session.error().describe().c_str());
        return {};
    }
    std::map<std::string, std::vector<double>> samples;
    for (int i = 0; i < warmup + windows; ++i) {
        auto r = (*session)->runWindow(ctx);
        if (!r) {
            std::fprintf(stderr, "  ours failed: %s\n", r.error().describe().c_str());
            return {};
        }
        if (i >= warmup)
            for (const auto& [k, v] : r->metrics)
                samples[k].push_back(v);
    }
    std::map<std::string, double> out;
    for (const auto& [k, v] : samples)
        out[k] = median(v);
    return out;
}

/// Runs the peer script with `args`; returns its JSON line (empty object on failure).
Json runTorch(const Options& o, const std::string& args)
{
    if (!o.torch)
        return Json::object();
    std::string cmd = fmt::format("{} {} {} --threads {} 2>/dev/null", o.python, o.script, args, o.threads);
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe)
        return Json::object();
    std::string text;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe))
        text += buf;
    pclose(pipe);
    auto last = text.rfind('{');
    if (last == std::string::npos)
        return Json::object();
    auto parsed = parseJson(text.substr(last));
    return parsed ? *parsed : Json::object();
}

double jsonNumber(const Json& j, const char* key)
{
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0;
}

struct Row {
    std::string what;
    double ours = 0, torch = 0, target = 0;
    std::string note;
};
std::vector<Row> g_rows;

void report(const std::string& what, double ours, double torch, double target, const std::string& note = "")
{
    g_rows.push_back({what, ours, torch, target, note});
    std::printf("  %-44s ours %9.1f  torch %9.1f  ratio %5.2fx%s %s\n", what.c_str(), ours, torch,
        torch > 0 ? ours / torch : 0.0, target > 0 ? fmt::format(" (target >= {:.1f}x)", target).c_str() : "",
        note.c_str());
    std::fflush(stdout);
}

double loadAverage()
{
    std::ifstream in("/proc/loadavg");
    double l = 0;
    in >> l;
    return l;
}

Config gptS(Config extra)
{
    Config c {{"n_layer", std::int64_t {6}}, {"n_embd", std::int64_t {384}}, {"n_head", std::int64_t {6}},
        {"seq_len", std::int64_t {256}}};
    for (auto& [k, v] : extra)
        c[k] = v;
    return c;
}

void benchTraining(const Options& o)
{
    std::printf("GPT-S training (L6 C384 H6 T256 B8), tokens/s, %d thread(s):\n", o.threads);
    const int windows = o.quick ? 2 : 3;
    for (const char* precision : {"fp32", "bf16"}) {
        auto ours = runOurs("gpt-train",
            gptS({{"batch_size", std::int64_t {8}}, {"precision", std::string(precision)},
                {"threads", std::int64_t {o.threads}}, {"steps_per_window", std::int64_t {2}}}),
            1, windows);
        Json torch = runTorch(
            o, fmt::format("--model gpt --cfg S --mode train --dtype {} --min_time {}", precision, o.quick ? 4 : 8));
        const double oursRate = ours.count("step_time_ms") ? 8 * 256 / (ours["step_time_ms"] * 1e-3) : 0;
        report(fmt::format("gpt-S train {}", precision), oursRate, jsonNumber(torch, "tok_s_med"),
            std::string(precision) == "fp32" ? 1.2 : 1.3,
            fmt::format("[torch foreign_cores {:.2f}]", jsonNumber(torch, "foreign_cores")));
    }
}

void benchDecode(const Options& o)
{
    std::printf("GPT-S generation (prompt 128, 128 decode steps, KV cache), tokens/s, %d thread(s):\n", o.threads);
    for (const char* precision : {"fp32", "bf16", "int8"}) {
        for (std::int64_t batch : {std::int64_t {1}, std::int64_t {8}}) {
            auto ours = runOurs("gpt-infer",
                gptS({{"batch_size", batch}, {"precision", std::string(precision)},
                    {"threads", std::int64_t {o.threads}}, {"prompt_len", std::int64_t {128}},
                    {"gen_len", std::int64_t {128}}}),
                1, o.quick ? 2 : 3);
            Json torch
                = runTorch(o, fmt::format("--model gpt --cfg S --mode decode --dtype {} --batch {}", precision, batch));
            report(fmt::format("gpt-S decode {} B{}", precision, batch), ours["decode_tokens_per_s"],
                jsonNumber(torch, "decode_tok_s"), 2.0);
            report(fmt::format("gpt-S prefill {} B{}", precision, batch), ours["prefill_tokens_per_s"],
                jsonNumber(torch, "prefill_tok_s"), 0);
        }
    }
}

void benchMlp(const Options& o)
{
    std::printf("MLP-L (1024-4096-4096-1024, B1024), samples/s, %d thread(s):\n", o.threads);
    Config shape {{"input_dim", std::int64_t {1024}}, {"hidden_dim", std::int64_t {4096}},
        {"n_layer", std::int64_t {2}}, {"classes", std::int64_t {1024}}, {"batch_size", std::int64_t {1024}},
        {"threads", std::int64_t {o.threads}}};
    for (const char* precision : {"fp32", "bf16"}) {
        Config c = shape;
        c["precision"] = std::string(precision);
        c["steps_per_window"] = std::int64_t {3};
        auto ours = runOurs("mlp-train", c, 1, o.quick ? 2 : 3);
        Json torch = runTorch(o,
            fmt::format("--model mlp --cfg MLP-L --mode train --dtype {} --min_time {}", precision, o.quick ? 4 : 8));
        report(fmt::format("mlp-L train {}", precision), ours["samples_per_s"], jsonNumber(torch, "samples_s_med"), 0);
    }
    for (const char* precision : {"fp32", "bf16", "int8"}) {
        Config c = shape;
        c["precision"] = std::string(precision);
        c["iterations_per_window"] = std::int64_t {5};
        auto ours = runOurs("mlp-infer", c, 1, o.quick ? 2 : 3);
        Json torch = runTorch(o,
            fmt::format("--model mlp --cfg MLP-L --mode infer --dtype {} --min_time {}", precision, o.quick ? 3 : 5));
        report(fmt::format("mlp-L infer {}", precision), ours["samples_per_s"], jsonNumber(torch, "samples_s_med"), 0);
    }
}

void benchParallel(const Options& o)
{
    std::printf("GPT-S fp32 training on 2 cores: 1 replica x 2 threads vs 2 replicas x 1 thread (ours), tokens/s:\n");
    double rates[2] = {0, 0};
    int i = 0;
    for (auto [threads, replicas] : {std::pair {2, 1}, std::pair {1, 2}}) {
        auto ours = runOurs("gpt-train",
            gptS({{"batch_size", std::int64_t {8}}, {"threads", std::int64_t {threads}},
                {"replicas", std::int64_t {replicas}}, {"steps_per_window", std::int64_t {2}}}),
            1, o.quick ? 2 : 3);
        rates[i++] = ours["tokens_per_s"];
        std::printf("  threads %d replicas %d: %9.1f tokens/s\n", threads, replicas, ours["tokens_per_s"]);
    }
    report("gpt-S train fp32: 2 replicas vs 2 threads", rates[1], rates[0], 0, "(ratio = replicas / threads)");
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--quick")
            o.quick = true;
        else if (a == "--no-torch")
            o.torch = false;
        else if (a == "--only")
            o.only = next();
        else if (a == "--threads")
            o.threads = std::max(1, std::atoi(next().c_str()));
        else if (a == "--torch-script")
            o.script = next();
        else if (a == "--python")
            o.python = next();
        else {
            std::printf("usage: engine_vs_torch [--quick] [--only train|decode|mlp|parallel] [--no-torch] "
                        "[--threads N] [--torch-script PATH] [--python PATH]\n");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    std::printf("engine_vs_torch: load average %.2f at start\n", loadAverage());
    Stopwatch total;
    if (o.only.empty() || o.only == "train")
        benchTraining(o);
    if (o.only.empty() || o.only == "decode")
        benchDecode(o);
    if (o.only.empty() || o.only == "mlp")
        benchMlp(o);
    if (o.only.empty() || o.only == "parallel")
        benchParallel(o);
    std::printf("\n| configuration | ours | PyTorch | ratio | target |\n|---|---|---|---|---|\n");
    for (const auto& r : g_rows)
        std::printf("| %s | %.1f | %.1f | %.2fx | %s |\n", r.what.c_str(), r.ours, r.torch,
            r.torch > 0 ? r.ours / r.torch : 0.0, r.target > 0 ? fmt::format(">= {:.1f}x", r.target).c_str() : "");
    std::printf("\nload average %.2f at end; %.0f s\n", loadAverage(), total.elapsedSeconds());
    return 0;
}
