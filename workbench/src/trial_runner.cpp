// One configuration, measured (see trial_runner.h).
#include "lwb/workbench/trial_runner.h"

#include "gpu_capture.h"

namespace lwb::workbench {
namespace {

/// Fans ops out to the tracer and an optional extra observer.
class TeeObserver final : public OpObserver {
public:
    TeeObserver(OpObserver* a, OpObserver* b)
        : m_a(a)
        , m_b(b)
    {
    }
    void onOp(const OpEvent& e) override
    {
        if (m_a)
            m_a->onOp(e);
        if (m_b)
            m_b->onOp(e);
    }
    void onStepBegin(std::int64_t s) override
    {
        if (m_a)
            m_a->onStepBegin(s);
        if (m_b)
            m_b->onStepBegin(s);
    }
    void onStepEnd(std::int64_t s) override
    {
        if (m_a)
            m_a->onStepEnd(s);
        if (m_b)
            m_b->onStepEnd(s);
    }

private:
    OpObserver* m_a;
    OpObserver* m_b;
};

class TrialContext final : public engine::RunContext {
public:
    TrialContext(const TrialRunOptions& options, OpObserver* observer)
        : m_options(options)
        , m_observer(observer)
    {
    }
    bool cancelled() const override { return m_options.cancelled && m_options.cancelled(); }
    void progress(double fraction, std::string_view message) override
    {
        if (m_options.onProgress)
            m_options.onProgress(fraction, message);
    }
    bool report(std::int64_t step, double value) override
    {
        return m_options.onIntermediate && m_options.onIntermediate(step, value);
    }
    OpObserver* observer() override { return m_observer; }

private:
    const TrialRunOptions& m_options;
    OpObserver* m_observer;
};

} // namespace

TrialOutcome runTrial(engine::Workload& workload, const engine::Config& config, const TrialRunOptions& options)
{
    TrialOutcome outcome;
    std::unique_ptr<profiler::HostOpTracer> tracer;
    if (options.capture)
        tracer = std::make_unique<profiler::HostOpTracer>(profiler::HostOpTracerOptions {*options.capture});
    TeeObserver tee(tracer.get(), options.extraObserver);
    OpObserver* observer = tracer && options.extraObserver ? static_cast<OpObserver*>(&tee)
        : tracer                                           ? static_cast<OpObserver*>(tracer.get())
                                                           : options.extraObserver;
    TrialContext context(options, observer);
    TrialGpuCapture gpu(config, options);

    auto session = workload.prepare(config, context);
    if (!session) {
        outcome.error = std::move(session).error();
    } else {
        auto measured = measure(**session, context, options.rules, options.primaryMetric);
        if (measured)
            outcome.measurement = std::move(*measured);
        else
            outcome.error = std::move(measured).error();
        session->reset(); // release the model's memory before the trace is assembled
    }
    if (tracer) {
        profiler::Trace trace = tracer->finish();
        gpu.finishInto(trace, *options.capture);
        if (!gpu.note().empty())
            outcome.captureNotes.push_back(gpu.note());
        if (!trace.records.empty())
            outcome.trace = std::move(trace);
    }
    return outcome;
}

} // namespace lwb::workbench
