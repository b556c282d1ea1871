// GPU activity capture of a trial (workbench/src/gpu_capture.*): with a trace on a GPU backend the
// trial runner starts the CUPTI source with the trial's external id, keeps its records inside the
// steps the host tracer captured and merges them into the trial's trace; CUPTI that cannot run
// leaves a note and the host trace. The CUPTI source is a fake here (no GPU on the CI machine);
// the real one is tested with real record structs in tests/profiler.
#include "lwb/core/clock.h"
#include "lwb/core/hardware.h"
#include "lwb/workbench/trial_runner.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace lwb::workbench {
namespace {

struct StepTimes {
    std::vector<std::pair<std::int64_t, std::int64_t>> steps; ///< monotonic [start, end] per step
};

/// One step per window: an op in the middle, ~2 ms long.
class SteppingSession final : public engine::WorkloadSession {
public:
    explicit SteppingSession(StepTimes& times)
        : m_times(times)
    {
    }
    Result<engine::WindowResult> runWindow(engine::RunContext& ctx) override
    {
        OpObserver* obs = ctx.observer();
        std::int64_t step = m_step++;
        std::int64_t begin = monotonicNs();
        if (obs)
            obs->onStepBegin(step);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (obs) {
            OpEvent e;
            e.name = "matmul_fwd";
            e.device = 0;
            e.startNs = begin;
            e.endNs = monotonicNs();
            e.step = step;
            obs->onOp(e);
            obs->onStepEnd(step);
        }
        m_times.steps.emplace_back(begin, monotonicNs());
        std::this_thread::sleep_for(std::chrono::milliseconds(2)); // a gap between steps
        engine::WindowResult w;
        w.seconds = 0.002;
        w.metrics["tokens_per_s"] = 1000;
        return w;
    }

private:
    StepTimes& m_times;
    std::int64_t m_step = 0;
};

class SteppingWorkload final : public engine::Workload {
public:
    explicit SteppingWorkload(StepTimes& times)
        : m_times(times)
    {
    }
    std::string name() const override { return "stepping"; }
    std::string description() const override { return "test workload"; }
    std::vector<engine::KnobSpec> knobs() const override { return {}; }
    std::vector<engine::MetricSpec> metrics() const override { return {}; }
    Result<std::unique_ptr<engine::WorkloadSession>> prepare(const engine::Config&, engine::RunContext&) override
    {
        return std::unique_ptr<engine::WorkloadSession>(std::make_unique<SteppingSession>(m_times));
    }

private:
    StepTimes& m_times;
};

/// Stands in for CUPTI: on finish() returns one GPU kernel inside every step the workload ran and
/// one in the gap after it, tagged with the external id it was created with.
class FakeCupti final : public profiler::CuptiSource {
public:
    FakeCupti(const StepTimes& times, std::optional<std::uint64_t> externalId)
        : m_times(times)
        , m_externalId(externalId)
    {
    }
    Status start() override
    {
        m_startNs = monotonicNs();
        return {};
    }
    Status stop() override { return {}; }
    Result<profiler::Trace> finish() override
    {
        profiler::Trace t;
        t.source = "cupti";
        t.sessionStartNs = m_startNs;
        profiler::StringId name = t.strings.intern("gemm_kernel");
        for (const auto& [begin, end] : m_times.steps) {
            for (std::int64_t at : {begin + (end - begin) / 2, end + 1'000'000}) {
                profiler::ActivityRecord r;
                r.device = 0;
                r.stream = 7;
                r.start = at - m_startNs;
                r.end = r.start + 1000;
                r.externalId = m_externalId.value_or(0);
                r.name = r.shortName = name;
                t.records.push_back(r);
            }
        }
        return t;
    }
    Status pushExternalId(std::uint64_t) override { return {}; }
    Status popExternalId() override { return {}; }

private:
    const StepTimes& m_times;
    std::optional<std::uint64_t> m_externalId;
    std::int64_t m_startNs = 0;
};

TrialRunOptions tracedRun(const profiler::CaptureSchedule& schedule)
{
    TrialRunOptions run;
    run.rules.warmupWindows = 0;
    run.rules.minSamples = 4;
    run.rules.maxSamples = 4;
    run.primaryMetric = "tokens_per_s";
    run.capture = schedule;
    run.traceTag = 42;
    return run;
}

std::vector<const profiler::ActivityRecord*> gpuKernels(const profiler::Trace& t)
{
    std::vector<const profiler::ActivityRecord*> out;
    for (const auto& r : t.records)
        if (r.kind == profiler::RecordKind::Kernel && !(r.flags & profiler::kHostOp))
            out.push_back(&r);
    return out;
}

TEST(GpuCapture, GpuRecordsOfTheCapturedStepsJoinTheTrialTraceWithItsTag)
{
    StepTimes times;
    SteppingWorkload workload(times);
    auto run = tracedRun(profiler::CaptureSchedule::window(1, 2)); // steps 1 and 2 of 0..3
    std::optional<std::uint64_t> requestedId;
    run.gpuSource = [&](profiler::CuptiOptions o) -> Result<std::unique_ptr<profiler::CuptiSource>> {
        requestedId = o.externalId;
        return std::unique_ptr<profiler::CuptiSource>(std::make_unique<FakeCupti>(times, o.externalId));
    };
    TrialOutcome outcome = runTrial(workload, {{"backend", std::string("cuda")}}, run);
    ASSERT_FALSE(outcome.error) << outcome.error->describe();
    ASSERT_TRUE(outcome.trace);
    EXPECT_EQ(requestedId, std::optional<std::uint64_t>(42));
    EXPECT_TRUE(outcome.captureNotes.empty());
    EXPECT_EQ(outcome.trace->source, "host-op-tracer+cupti");
    ASSERT_EQ(times.steps.size(), 4u);

    auto kernels = gpuKernels(*outcome.trace);
    ASSERT_EQ(kernels.size(), 2u); // one per captured step; those of steps 0 and 3 and the gaps are gone
    std::set<std::int64_t> steps;
    for (const auto* k : kernels) {
        steps.insert(k->step);
        EXPECT_EQ(k->externalId, 42u);
        EXPECT_EQ(outcome.trace->nameOf(*k), "gemm_kernel");
        // On the host trace's time base: inside its step's window.
        std::int64_t at = outcome.trace->sessionStartNs + k->start;
        const auto& [begin, end] = times.steps[static_cast<std::size_t>(k->step)];
        EXPECT_GE(at, begin);
        EXPECT_LE(at, end);
    }
    EXPECT_EQ(steps, (std::set<std::int64_t> {1, 2}));
    EXPECT_EQ(outcome.trace->stats.filteredRecords, 6); // 8 GPU records, 2 kept
}

TEST(GpuCapture, CpuConfigurationsNeverStartCupti)
{
    StepTimes times;
    SteppingWorkload workload(times);
    auto run = tracedRun(profiler::CaptureSchedule::all());
    bool called = false;
    run.gpuSource = [&](profiler::CuptiOptions) -> Result<std::unique_ptr<profiler::CuptiSource>> {
        called = true;
        return fail(ErrorCode::Internal, "must not be called", LWB_WHERE);
    };
    TrialOutcome outcome = runTrial(workload, {{"backend", std::string("cpu")}}, run);
    ASSERT_FALSE(outcome.error);
    EXPECT_FALSE(called);
    EXPECT_TRUE(outcome.captureNotes.empty());
    ASSERT_TRUE(outcome.trace);
    EXPECT_EQ(outcome.trace->source, "host-op-tracer");
}

TEST(GpuCapture, UnavailableCuptiLeavesANoteAndTheHostTrace)
{
    StepTimes times;
    SteppingWorkload workload(times);
    auto run = tracedRun(profiler::CaptureSchedule::all());
    run.gpuSource = [](profiler::CuptiOptions) -> Result<std::unique_ptr<profiler::CuptiSource>> {
        return fail(ErrorCode::Unavailable, "CUPTI unavailable because no CUDA driver is installed", LWB_WHERE);
    };
    TrialOutcome outcome = runTrial(workload, {{"backend", std::string("cuda")}}, run);
    ASSERT_FALSE(outcome.error);
    ASSERT_EQ(outcome.captureNotes.size(), 1u);
    EXPECT_EQ(
        outcome.captureNotes[0], "GPU activity not captured: CUPTI unavailable because no CUDA driver is installed");
    ASSERT_TRUE(outcome.trace);
    EXPECT_EQ(gpuKernels(*outcome.trace).size(), 0u);
    EXPECT_EQ(outcome.trace->records.size(), 8u); // 4 step markers + 4 host ops
}

TEST(GpuCapture, TheRealSourceExplainsItselfWithoutAGpu)
{
    // On this machine (no GPU) the default source must say why, not fail the trial.
    if (makeDriverCudaProbe()->probe().driverAvailable)
        GTEST_SKIP() << "a CUDA driver is present: the no-GPU path is not what runs here";
    StepTimes times;
    SteppingWorkload workload(times);
    TrialOutcome outcome
        = runTrial(workload, {{"backend", std::string("cuda")}}, tracedRun(profiler::CaptureSchedule::all()));
    ASSERT_FALSE(outcome.error);
    ASSERT_EQ(outcome.captureNotes.size(), 1u);
    EXPECT_NE(outcome.captureNotes[0].find("GPU activity not captured"), std::string::npos) << outcome.captureNotes[0];
    ASSERT_TRUE(outcome.trace);
}

} // namespace
} // namespace lwb::workbench
