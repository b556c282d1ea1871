// Host tracer overhead on the engine's GPT-S training step (gpt-train defaults: L6 C384 H6 T256
// B8, fp32, one thread), measured in one run: windows without tracing alternate with windows
// traced by HostOpTracer, and the medians of the step times are compared. Because the expected
// overhead is far below the step-to-step noise of a shared machine, the program also reports the
// bound computed from the ops per step and the tracer's measured cost per op.
// Usage: tracer_overhead_bench [rounds=3] [steps_per_window=2]
#include "lwb/core/clock.h"
#include "lwb/engine/workload.h"
#include "lwb/profiler/host_op_tracer.h"
#include "lwb/profiler/summary.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using namespace lwb;
using namespace lwb::profiler;

namespace {

class Context final : public engine::RunContext {
public:
    OpObserver* observer() override { return current; }
    OpObserver* current = nullptr;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

int main(int argc, char** argv)
{
    int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
    std::int64_t steps = argc > 2 ? std::atoll(argv[2]) : 2;
    auto workload = engine::makeBuiltinWorkload("gpt-train");
    if (!workload) {
        std::fprintf(stderr, "%s\n", workload.error().describe().c_str());
        return 1;
    }
    auto config = (*workload)->resolve({{"threads", std::int64_t {1}}, {"steps_per_window", steps}});
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().describe().c_str());
        return 1;
    }
    Context context;
    auto session = (*workload)->prepare(*config, context);
    if (!session) {
        std::fprintf(stderr, "%s\n", session.error().describe().c_str());
        return 1;
    }
    std::printf("tracer_overhead_bench: gpt-train %s\n", engine::configToJson(*config).dump().c_str());
    if (auto warm = (*session)->runWindow(context); !warm) {
        std::fprintf(stderr, "%s\n", warm.error().describe().c_str());
        return 1;
    }
    std::vector<double> plain, traced;
    std::size_t records = 0;
    std::int64_t tracedSteps = 0;
    for (int round = 0; round < rounds; ++round) {
        for (int mode = 0; mode < 2; ++mode) {
            HostOpTracer tracer;
            context.current = mode ? &tracer : nullptr;
            auto window = (*session)->runWindow(context);
            if (!window) {
                std::fprintf(stderr, "%s\n", window.error().describe().c_str());
                return 1;
            }
            (mode ? traced : plain).push_back(window->metrics.at("step_time_ms"));
            Trace trace = tracer.finish();
            if (mode) {
                records += trace.records.size();
                tracedSteps += static_cast<std::int64_t>(summarize(trace).steps.size());
            }
            std::printf(
                "  round %d %-8s step %.1f ms\n", round, mode ? "traced" : "plain", window->metrics.at("step_time_ms"));
        }
    }
    double a = median(plain), b = median(traced);
    double opsPerStep = static_cast<double>(records) / static_cast<double>(std::max<std::int64_t>(1, tracedSteps));

    // The tracer's cost per op in this process (the same call the engine makes).
    HostOpTracer probe;
    OpEvent e;
    e.name = "matmul";
    constexpr int kOps = 1'000'000;
    Stopwatch sw;
    for (int i = 0; i < kOps; ++i) {
        e.startNs = i;
        probe.onOp(e);
    }
    double nsPerOp = static_cast<double>(sw.elapsedNs()) / kOps;
    (void)probe.finish();

    std::printf("\nmedian step: untraced %.1f ms, traced %.1f ms: measured difference %+.2f%% (step-to-step noise "
                "dominates)\n",
        a, b, (b / a - 1) * 100);
    std::printf("ops per step %.0f (records incl. step markers), tracer %.1f ns per op: %.3f us per step = %.5f%% of "
                "the untraced step (target < 1%%)\n",
        opsPerStep, nsPerOp, opsPerStep * nsPerOp * 1e-3, opsPerStep * nsPerOp * 1e-6 / a * 100);
    return 0;
}
