// DemoController (see demo_controller.h): runs synthetic studies on a GUI-thread timer and builds
// timelines, comparisons and exports on worker threads (QtConcurrent with QPromise, so progress
// and cancellation follow the same path a real controller uses).
#include "lwb/ui/demo_controller.h"

#include "demo_model.h"

#include "lwb/core/json_yaml.h"
#include "lwb/ui/timeline_source.h"

#include <QFileInfo>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace lwb::ui {

namespace {

std::string trialLabel(const TrialSnapshot& t)
{
    std::string s = "trial " + std::to_string(t.number);
    std::string params;
    for (const auto& [k, v] : t.params) {
        if (params.size() > 60)
            break;
        params += (params.empty() ? "" : ", ") + k + "=" + paramValueToString(v);
    }
    return params.empty() ? s : s + " (" + params + ")";
}

const TrialSnapshot* findTrial(const StudySnapshot* study, int number)
{
    if (!study)
        return nullptr;
    for (const auto& t : study->trials)
        if (t.number == number)
            return &t;
    return nullptr;
}

std::vector<ObjectiveInfo> objectivesFor(const WorkloadInfo& w, const std::vector<ObjectiveSetting>& settings)
{
    std::vector<ObjectiveInfo> out;
    for (const auto& o : settings) {
        ObjectiveInfo info {o.metric, "", o.direction};
        for (const auto& m : w.metrics)
            if (m.name == o.metric)
                info.unit = m.unit;
        out.push_back(info);
    }
    return out;
}

TrialSnapshot makeTrial(int number, const std::string& workload, const std::vector<ObjectiveInfo>& objectives,
    std::map<std::string, ParamValue> params, demo::Rng& rng)
{
    TrialSnapshot t;
    t.number = number;
    t.params = std::move(params);
    demo::Outcome o = demo::evaluate(workload, t.params, rng);
    t.state = o.state;
    t.failureReason = o.reason;
    t.intermediate = o.loss;
    for (const auto& obj : objectives) {
        auto it = o.metrics.find(obj.metric);
        t.values.push_back(o.state == TrialState::Complete && it != o.metrics.end() ? std::optional<double>(it->second)
                                                                                    : std::nullopt);
    }
    t.metrics = o.metrics;
    t.durationSeconds = 20 + 25 * rng.uniform();
    t.hasTrace = o.state == TrialState::Complete;
    return t;
}

std::vector<ParamInfo> paramsFor(const WorkloadInfo& w, const std::vector<std::string>& names)
{
    std::vector<ParamInfo> out;
    for (const auto& n : names)
        for (const auto& k : w.knobs)
            if (k.name == n) {
                KnobSetting s {k.name, k.kind, true, k.min, k.max, k.scale,
                    k.kind == ParamKind::Bool ? std::vector<std::string> {"false", "true"} : k.choices, ""};
                out.push_back(demo::paramInfo(s));
            }
    return out;
}

} // namespace

DemoController::DemoController(DemoOptions options, QObject* parent)
    : StudyController(parent)
    , m_options(options)
    , m_rng(options.seed * 7919 + 1)
{
    m_timer.setInterval(std::max(1, m_options.tickMs));
    connect(&m_timer, &QTimer::timeout, this, &DemoController::tick);
}

DemoController::~DemoController()
{
    // Workers capture no `this`; cancel them and wait so none outlives the flags it polls.
    const auto watchers = findChildren<QFutureWatcherBase*>();
    for (auto* w : watchers)
        w->cancel();
    for (auto* w : watchers)
        w->waitForFinished();
}

std::vector<WorkloadInfo> DemoController::workloads() const
{
    return demo::workloads();
}

void DemoController::setState(RunState state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit runStateChanged(state);
}

void DemoController::publish(std::shared_ptr<StudySnapshot> study)
{
    study->revision = m_study ? m_study->revision + 1 : 1;
    m_study = study;
    emit studyChanged(m_study);
    if (!m_study->objectives.empty() && !m_study->params.empty())
        emit insightsChanged(makeInsights(*m_study, 0));
}

StudySnapshotPtr DemoController::makeStudy(
    int trials, int objectives, std::uint64_t seed, const std::function<bool(double)>& progress)
{
    auto s = std::make_shared<StudySnapshot>();
    const bool pareto = objectives >= 2;
    s->workload = pareto ? "gpt-infer" : "gpt-train";
    s->name = pareto ? "gpt-infer-latency" : "gpt-train-throughput";
    s->path = "demo:" + std::to_string(trials) + (pareto ? ":pareto" : "");
    const WorkloadInfo& w = *demo::findWorkload(s->workload);
    s->objectives = pareto
        ? objectivesFor(w, {{"tokens_per_s", Direction::Maximize}, {"p99_latency_ms", Direction::Minimize}})
        : objectivesFor(w, {{"tokens_per_s", Direction::Maximize}});
    s->params = pareto ? paramsFor(w, {"batch_size", "precision", "threads", "max_new_tokens", "kv_cache"})
                       : paramsFor(w, {"batch_size", "seq_len", "precision", "threads", "grad_accum", "lr"});
    s->budgetTrials = trials;
    demo::Rng rng {seed * 104729 + 3};
    s->trials.reserve(static_cast<std::size_t>(trials));
    const int chunk = std::max(1, trials / 100);
    for (int i = 0; i < trials; ++i) {
        if (progress && i % chunk == 0 && !progress(static_cast<double>(i) / trials))
            return nullptr;
        auto params = demo::sample(s->params, *s, 0, rng);
        s->trials.push_back(makeTrial(i, s->workload, s->objectives, std::move(params), rng));
    }
    return s;
}

InsightsPtr DemoController::makeInsights(const StudySnapshot& study, int objective)
{
    // A kernel smoother per parameter stands in for the tuner's GP: mean and spread of the
    // objective near each x, wider where few trials were measured.
    auto out = std::make_shared<InsightsSnapshot>();
    out->objective = objective;
    std::vector<const TrialSnapshot*> done;
    for (const auto& t : study.trials)
        if (t.state == TrialState::Complete && objective < static_cast<int>(t.values.size())
            && t.values[static_cast<std::size_t>(objective)])
            done.push_back(&t);
    out->fittedOnTrials = static_cast<int>(done.size());
    if (done.size() < 3)
        return out;
    double total = 0, total2 = 0;
    for (auto* t : done) {
        const double v = *t->values[static_cast<std::size_t>(objective)];
        total += v;
        total2 += v * v;
    }
    const double n = static_cast<double>(done.size());
    const double mean = total / n;
    const double var = std::max(1e-12, total2 / n - mean * mean);
    // Bin each trial once per parameter; the smoother then works on <= 64 bins, not 10k trials.
    constexpr int kBins = 64;
    double importanceSum = 0;
    for (const auto& p : study.params) {
        std::vector<double> sum(kBins, 0), sum2(kBins, 0), cnt(kBins, 0);
        for (auto* t : done) {
            auto it = t->params.find(p.name);
            if (it == t->params.end())
                continue;
            const int b = std::clamp(static_cast<int>(paramPosition(p, it->second) * (kBins - 1) + 0.5), 0, kBins - 1);
            const double v = *t->values[static_cast<std::size_t>(objective)];
            sum[b] += v;
            sum2[b] += v * v;
            cnt[b] += 1;
        }
        SliceSnapshot slice;
        slice.param = p.name;
        const bool discrete = p.kind == ParamKind::Categorical || p.kind == ParamKind::Bool;
        const int points = discrete ? static_cast<int>(std::max<std::size_t>(1, p.choices.size())) : 60;
        double between = 0;
        for (int i = 0; i < points; ++i) {
            const double u = points == 1 ? 0.5 : static_cast<double>(i) / (points - 1);
            double w = 0, m = 0, m2 = 0;
            for (int b = 0; b < kBins; ++b) {
                if (cnt[b] == 0)
                    continue;
                const double d = (static_cast<double>(b) / (kBins - 1) - u) / (discrete ? 0.02 : 0.09);
                const double k = std::exp(-0.5 * d * d);
                w += k * cnt[b];
                m += k * sum[b];
                m2 += k * sum2[b];
            }
            const double mu = w > 1e-9 ? m / w : mean;
            const double sd = w > 1e-9
                ? std::sqrt(std::max(0.0, m2 / w - mu * mu) / std::max(1.0, w) + var * 0.02 / (1 + w))
                : std::sqrt(var);
            double x = u;
            if (discrete)
                x = i;
            else if (p.scale != ParamScale::Linear && p.low > 0)
                x = p.low * std::pow(p.high / p.low, u);
            else
                x = p.low + u * (p.high - p.low);
            slice.x.push_back(x);
            slice.mean.push_back(mu);
            slice.stddev.push_back(sd);
            between += (mu - mean) * (mu - mean);
        }
        const double weight = between / points / var;
        out->importance.push_back({p.name, weight});
        importanceSum += weight;
        out->slices.push_back(std::move(slice));
    }
    for (auto& e : out->importance)
        e.weight = importanceSum > 0 ? e.weight / importanceSum : 0;
    std::sort(out->importance.begin(), out->importance.end(),
        [](const ImportanceEntry& a, const ImportanceEntry& b) { return a.weight > b.weight; });
    return out;
}

quint64 DemoController::beginTask(const std::string& label)
{
    const quint64 id = m_nextTask++;
    emit taskProgress(TaskProgress {id, label, 0, false, true});
    return id;
}

void DemoController::endTask(quint64 id, const std::string& label)
{
    emit taskProgress(TaskProgress {id, label, 1, true, false});
}

void DemoController::openStudy(const QString& path)
{
    const QStringList parts = path.split(QLatin1Char(':'));
    bool ok = false;
    const int trials = parts.size() >= 2 && parts[0] == QLatin1String("demo") ? parts[1].toInt(&ok) : 0;
    if (!ok || trials < 0) {
        const bool exists = QFileInfo::exists(path);
        emit message(UserMessage {Severity::Error,
            "Cannot open " + path.toStdString() + ": "
                + (exists ? "the demo controller opens only demo:N studies; study files need the workbench service"
                          : "no such file"),
            {}});
        return;
    }
    const int objectives = parts.size() >= 3 && parts[2] == QLatin1String("pareto") ? 2 : 1;
    const std::uint64_t seed = m_options.seed;
    const std::string label = "Opening " + path.toStdString();
    const quint64 id = beginTask(label);
    auto* watcher = new QFutureWatcher<StudySnapshotPtr>(this);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, id, label](int v) {
        emit taskProgress(TaskProgress {id, label, v / 1000.0, false, true});
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, id, label, path] {
        watcher->deleteLater();
        m_cancelWatchers.erase(id);
        endTask(id, label);
        if (watcher->isCanceled() || watcher->future().resultCount() == 0) {
            emit message(UserMessage {Severity::Info, "Opening " + path.toStdString() + " was cancelled", {}});
            return;
        }
        m_timer.stop();
        auto study = std::make_shared<StudySnapshot>(*watcher->result());
        publish(study);
        setState(RunState::Finished);
    });
    watcher->setFuture(QtConcurrent::run([trials, objectives, seed](QPromise<StudySnapshotPtr>& promise) {
        promise.setProgressRange(0, 1000);
        auto study = makeStudy(trials, objectives, seed, [&promise](double f) {
            promise.setProgressValue(static_cast<int>(f * 1000));
            return !promise.isCanceled();
        });
        if (study)
            promise.addResult(study);
    }));
    m_cancelWatchers[id] = watcher;
}

void DemoController::startStudy(const SetupSpec& spec)
{
    if (m_state == RunState::Running || m_state == RunState::Pausing || m_state == RunState::Stopping) {
        emit message(UserMessage {Severity::Warning, "A study is already running; stop it first", {}});
        return;
    }
    const auto issues = validate(spec);
    if (hasErrors(issues)) {
        std::string detail;
        for (const auto& i : issues)
            if (i.severity == IssueSeverity::Error)
                detail += i.field + ": " + i.message + "\n";
        emit message(UserMessage {Severity::Error, "The study spec has errors; fix them on the Setup page", detail});
        return;
    }
    const WorkloadInfo* w = demo::findWorkload(spec.workload);
    m_spec = spec;
    auto s = std::make_shared<StudySnapshot>();
    s->name = spec.name;
    s->workload = spec.workload;
    s->path = spec.storage.empty() ? spec.name + ".lwb" : spec.storage;
    s->objectives = objectivesFor(*w, spec.objectives);
    for (const auto& k : spec.knobs)
        if (k.included)
            s->params.push_back(demo::paramInfo(k));
    s->budgetTrials = spec.trials;
    m_study.reset();
    m_tick = 0;
    m_stopAfterTrial = false;
    m_rng = spec.seed * 6364136223846793005ull + m_options.seed;
    publish(s);
    setState(RunState::Running);
    emit message(UserMessage {Severity::Info, "Study '" + spec.name + "' started (demo data)", {}});
    m_timer.start();
}

void DemoController::tick()
{
    if (!m_study)
        return;
    demo::Rng rng {m_rng};
    auto s = std::make_shared<StudySnapshot>(*m_study);
    const bool running = !s->trials.empty() && s->trials.back().state == TrialState::Running;
    if (!running) {
        if (m_state == RunState::Pausing) {
            m_timer.stop();
            setState(RunState::Paused);
            return;
        }
        if (m_stopAfterTrial || static_cast<int>(s->trials.size()) >= s->budgetTrials) {
            m_timer.stop();
            emit trialProgressChanged(TrialProgress {});
            setState(RunState::Finished);
            emit message(UserMessage {Severity::Info,
                "Study '" + s->name + "' finished: " + std::to_string(s->trials.size()) + " trials", {}});
            return;
        }
        TrialSnapshot t;
        t.number = static_cast<int>(s->trials.size());
        t.params = demo::sample(s->params, *s, 0, rng);
        t.values.assign(s->objectives.size(), std::nullopt);
        s->trials.push_back(std::move(t));
        m_tick = 0;
        m_rng = rng.state;
        publish(s);
        return;
    }
    ++m_tick;
    m_rng = rng.state;
    if (m_tick >= m_options.ticksPerTrial) {
        finishCurrentTrial(TrialState::Complete);
        return;
    }
    // Progress of the running trial: warm-up, then measured windows with the loss so far.
    const TrialSnapshot& cur = s->trials.back();
    demo::Rng preview {cur.number * 31ull + m_options.seed};
    demo::Outcome o = demo::evaluate(s->workload, cur.params, preview);
    TrialProgress p;
    p.trial = cur.number;
    p.fraction = static_cast<double>(m_tick) / m_options.ticksPerTrial;
    p.phase = m_tick <= 1 ? "warm-up" : "measuring";
    const int windows = std::max(1, m_options.ticksPerTrial - 2);
    p.message = m_tick <= 1 ? "warm-up window" : "window " + std::to_string(m_tick - 1) + "/" + std::to_string(windows);
    const std::size_t shown
        = o.loss.size() * static_cast<std::size_t>(m_tick) / static_cast<std::size_t>(m_options.ticksPerTrial);
    p.loss.assign(o.loss.begin(), o.loss.begin() + static_cast<std::ptrdiff_t>(shown));
    p.elapsedSeconds = m_tick * m_options.tickMs / 1000.0;
    emit trialProgressChanged(p);
}

void DemoController::finishCurrentTrial(TrialState forced)
{
    auto s = std::make_shared<StudySnapshot>(*m_study);
    if (s->trials.empty() || s->trials.back().state != TrialState::Running)
        return;
    TrialSnapshot& cur = s->trials.back();
    demo::Rng rng {cur.number * 31ull + m_options.seed};
    TrialSnapshot done = makeTrial(cur.number, s->workload, s->objectives, cur.params, rng);
    if (forced == TrialState::Failed) {
        done.state = TrialState::Failed;
        done.failureReason = "abandoned: the study was stopped while this trial ran";
        done.values.assign(s->objectives.size(), std::nullopt);
        done.hasTrace = false;
    }
    cur = std::move(done);
    publish(s);
    emit trialProgressChanged(TrialProgress {});
}

void DemoController::pauseStudy()
{
    if (m_state == RunState::Running)
        setState(RunState::Pausing);
}

void DemoController::resumeStudy()
{
    if (m_state == RunState::Paused || m_state == RunState::Pausing) {
        setState(RunState::Running);
        m_timer.start();
    }
}

void DemoController::stopStudy(StopMode mode)
{
    if (m_state != RunState::Running && m_state != RunState::Paused && m_state != RunState::Pausing)
        return;
    setState(RunState::Stopping);
    m_stopAfterTrial = true;
    if (mode == StopMode::AbandonTrial) {
        finishCurrentTrial(TrialState::Failed);
        m_timer.stop();
        setState(RunState::Finished);
        emit message(UserMessage {Severity::Info, "Study stopped; the running trial was abandoned", {}});
        return;
    }
    if (!m_timer.isActive())
        m_timer.start();
}

void DemoController::requestTimeline(int trialNumber)
{
    const TrialSnapshot* t = findTrial(m_study.get(), trialNumber);
    if (!t) {
        emit message(UserMessage {Severity::Error, "No trial " + std::to_string(trialNumber) + " in this study", {}});
        return;
    }
    if (!t->hasTrace) {
        emit message(UserMessage {Severity::Warning,
            "Trial " + std::to_string(trialNumber) + " has no captured timeline ("
                + std::string(trialStateName(t->state)) + "); the capture policy keeps traces of completed trials",
            {}});
        return;
    }
    const std::string label = "Loading timeline of trial " + std::to_string(trialNumber);
    const quint64 id = beginTask(label);
    auto snapshot = std::make_shared<TimelineSnapshot>();
    snapshot->trial = trialNumber;
    snapshot->label = trialLabel(*t);
    SyntheticTraceOptions opt;
    opt.records = m_options.timelineRecords;
    opt.seed = m_options.seed + static_cast<std::uint64_t>(trialNumber);
    opt.steps = 8;
    auto* watcher = new QFutureWatcher<TimelineSnapshotPtr>(this);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, id, label](int v) {
        emit taskProgress(TaskProgress {id, label, v / 1000.0, false, true});
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, id, label, trialNumber] {
        watcher->deleteLater();
        m_cancelWatchers.erase(id);
        endTask(id, label);
        if (watcher->isCanceled() || watcher->future().resultCount() == 0) {
            emit message(UserMessage {
                Severity::Info, "Loading the timeline of trial " + std::to_string(trialNumber) + " was cancelled", {}});
            return;
        }
        emit timelineReady(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run([snapshot, opt](QPromise<TimelineSnapshotPtr>& promise) mutable {
        promise.setProgressRange(0, 1000);
        opt.progress = [&promise](double f) {
            promise.setProgressValue(static_cast<int>(f * 900));
            return !promise.isCanceled();
        };
        snapshot->source = makeSyntheticTimeline(opt);
        if (!snapshot->source)
            return;
        snapshot->kernels = std::make_shared<KernelSummary>(summarizeKernels(*snapshot->source));
        promise.setProgressValue(1000);
        promise.addResult(TimelineSnapshotPtr(snapshot));
    }));
    m_cancelWatchers[id] = watcher;
}

void DemoController::requestCompare(int trialA, int trialB)
{
    const TrialSnapshot* a = findTrial(m_study.get(), trialA);
    const TrialSnapshot* b = findTrial(m_study.get(), trialB);
    if (!a || !b) {
        emit message(UserMessage {Severity::Error, "Pick two trials of the open study to compare", {}});
        return;
    }
    if (a->state != TrialState::Complete || b->state != TrialState::Complete) {
        emit message(UserMessage {Severity::Warning, "Only completed trials have measurements to compare", {}});
        return;
    }
    auto cmp = std::make_shared<CompareSnapshot>();
    cmp->trialA = trialA;
    cmp->trialB = trialB;
    cmp->labelA = trialLabel(*a);
    cmp->labelB = trialLabel(*b);
    cmp->configA = a->params;
    cmp->configB = b->params;
    demo::Rng rng {static_cast<std::uint64_t>(trialA) * 977 + static_cast<std::uint64_t>(trialB)};
    std::vector<std::string> metricNames;
    for (const auto& o : m_study->objectives)
        metricNames.push_back(o.metric);
    for (const char* extra : {"step_time_ms", "peak_memory_gb"})
        if (std::find(metricNames.begin(), metricNames.end(), extra) == metricNames.end())
            metricNames.emplace_back(extra);
    const WorkloadInfo* w = demo::findWorkload(m_study->workload);
    for (const auto& name : metricNames) {
        auto ia = a->metrics.find(name), ib = b->metrics.find(name);
        if (ia == a->metrics.end() || ib == b->metrics.end())
            continue;
        MetricComparison mc;
        mc.metric = name;
        if (w)
            for (const auto& m : w->metrics)
                if (m.name == name) {
                    mc.unit = m.unit;
                    mc.direction = m.better;
                }
        const double noise = name == "peak_memory_gb" ? 0.002 : 0.02;
        for (int i = 0; i < 15; ++i) {
            mc.samplesA.push_back(ia->second * (1 + noise * rng.normal()));
            mc.samplesB.push_back(ib->second * (1 + noise * rng.normal()));
        }
        const double rel = (ib->second - ia->second) / std::max(1e-12, std::fabs(ia->second));
        const bool better = mc.direction == Direction::Maximize ? rel > 0 : rel < 0;
        const bool memory = name == "peak_memory_gb";
        if (std::fabs(rel) < 1.2 * noise)
            mc.verdict = "SAME";
        else if (std::fabs(rel) < 2.5 * noise)
            mc.verdict = "INCONCLUSIVE";
        else
            mc.verdict = better ? (memory ? "SMALLER" : "FASTER") : (memory ? "LARGER" : "SLOWER");
        cmp->metrics.push_back(std::move(mc));
    }
    // Kernel-level explanation from the demo's cost model: each kernel/op's time per step scales
    // with what it depends on (matmuls with work / precision speed / threads, element-wise ops
    // with bytes moved, the optimizer with parameters), normalised to the measured step time.
    // The 10 largest differences are listed; the remaining ops are "other".
    const double stepA = a->metrics.count("step_time_ms") ? a->metrics.at("step_time_ms") * 1e6 : 1e8;
    const double stepB = b->metrics.count("step_time_ms") ? b->metrics.at("step_time_ms") * 1e6 : 1e8;
    auto profile = [](const TrialSnapshot& t) {
        auto num = [&](const char* k, double def) {
            auto it = t.params.find(k);
            return it == t.params.end() ? def : paramNumeric(ParamInfo {}, it->second);
        };
        auto precision
            = t.params.count("precision") ? paramValueToString(t.params.at("precision")) : std::string("f32");
        const double work = num("batch_size", 8) * num("seq_len", 256) * num("grad_accum", 1);
        const double seq = num("seq_len", 256);
        const double speed = precision == "bf16" ? 1.75 : precision == "f16" ? 1.6 : precision == "int8" ? 2.3 : 1.0;
        const double bytes = precision == "f32" ? 4 : 2;
        const double thr = std::pow(std::max(1.0, num("threads", 8)), 0.85);
        const double mm = work / (speed * thr), ew = work * bytes / 4 / thr;
        return std::vector<std::tuple<const char*, const char*, double>> {
            {"ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_64x3_tn", "kernel", 0.34 * mm},
            {"ampere_bf16_s16816gemm_bf16_64x64_sliced1x2_ldg8_f2f_nn", "kernel", 0.12 * mm},
            {"flash_fwd_kernel<Flash_fwd_kernel_traits<64, 128, 64, 4>>", "kernel", 0.10 * mm * seq / 512},
            {"flash_bwd_dq_dk_dv_loop_kernel", "kernel", 0.16 * mm * seq / 512},
            {"vectorized_layer_norm_kernel<c10::BFloat16, float>", "kernel", 0.05 * ew},
            {"layer_norm_grad_input_kernel", "kernel", 0.06 * ew},
            {"elementwise_kernel<128, 2, add_kernel_cuda>", "kernel", 0.05 * ew},
            {"vectorized_elementwise_kernel<4, GeluCUDAKernelImpl>", "kernel", 0.03 * ew},
            {"vectorized_elementwise_kernel<4, GeluBackwardCUDAKernelImpl>", "kernel", 0.03 * ew},
            {"cast_kernel<float, c10::BFloat16>", "kernel", precision == "f32" ? 0.0 : 0.03 * work / thr},
            {"multi_tensor_apply_kernel<AdamFunctor<float>>", "kernel", 0.02 * 4096 / thr * 64},
            {"softmax_warp_forward<c10::BFloat16, float, 10>", "kernel", 0.02 * ew},
            {"reduce_kernel<512, 1, ReduceOp<float, sum>>", "kernel", 0.015 * ew},
            {"Memcpy HtoD (Pinned -> Device)", "memcpy", 0.004 * work * bytes / 4},
            {"DataLoader wait", "sync", 0.01 * work / 8},
            {"cudaLaunchKernel", "api", 0.03 * 4096},
        };
    };
    const auto pa = profile(*a), pb = profile(*b);
    double sumA = 0, sumB = 0;
    for (std::size_t i = 0; i < pa.size(); ++i) {
        sumA += std::get<2>(pa[i]);
        sumB += std::get<2>(pb[i]);
    }
    std::vector<OpDelta> all;
    for (std::size_t i = 0; i < pa.size(); ++i)
        all.push_back({std::get<0>(pa[i]), std::get<1>(pa[i]), std::get<2>(pa[i]) * stepA / std::max(1e-9, sumA),
            std::get<2>(pb[i]) * stepB / std::max(1e-9, sumB)});
    std::sort(all.begin(), all.end(),
        [](const OpDelta& x, const OpDelta& y) { return std::fabs(x.deltaNs()) > std::fabs(y.deltaNs()); });
    cmp->deltas.assign(
        all.begin(), all.begin() + std::min<std::ptrdiff_t>(10, static_cast<std::ptrdiff_t>(all.size())));
    cmp->stepNsA = stepA;
    cmp->stepNsB = stepB;
    double explained = 0;
    for (const auto& d : cmp->deltas)
        explained += d.deltaNs();
    cmp->otherNs = (stepB - stepA) - explained;
    emit compareReady(cmp);
}

void DemoController::exportFile(const ExportRequest& request)
{
    if (!m_study) {
        emit exportFinished(ExportResult {request, false, "open or run a study first"});
        return;
    }
    if (request.path.empty()) {
        emit exportFinished(ExportResult {request, false, "choose a file to write"});
        return;
    }
    const std::string label = "Exporting " + request.path;
    const quint64 id = beginTask(label);
    StudySnapshotPtr study = m_study;
    const std::uint64_t seed = m_options.seed;
    auto* watcher = new QFutureWatcher<ExportResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, id, label, request] {
        watcher->deleteLater();
        m_cancelWatchers.erase(id);
        endTask(id, label);
        ExportResult r
            = watcher->future().resultCount() ? watcher->result() : ExportResult {request, false, "cancelled"};
        emit exportFinished(r);
    });
    watcher->setFuture(QtConcurrent::run([request, study, seed](QPromise<ExportResult>& promise) {
        std::string content;
        if (request.kind == ExportKind::TunedProfile) {
            OrderedJson j;
            j["format"] = "lwb-tuned-profile";
            j["version"] = 1;
            j["generator"] = "lepton-workbench demo controller (synthetic data, not a measured profile)";
            j["study"] = study->name;
            j["workload"] = study->workload;
            OrderedJson configs = OrderedJson::array();
            std::vector<int> picks;
            if (request.selection == ProfileSelection::ParetoSet && study->objectives.size() >= 2)
                picks = paretoFront(*study, 0, 1);
            else if (request.selection == ProfileSelection::OneTrial) {
                for (std::size_t i = 0; i < study->trials.size(); ++i)
                    if (study->trials[i].number == request.trial)
                        picks.push_back(static_cast<int>(i));
            } else if (int best = bestTrialIndex(*study, 0); best >= 0)
                picks.push_back(best);
            for (int i : picks) {
                const auto& t = study->trials[static_cast<std::size_t>(i)];
                OrderedJson c;
                c["trial"] = t.number;
                for (const auto& [k, v] : t.params)
                    c["config"][k] = paramValueToString(v);
                for (const auto& [k, v] : t.metrics)
                    c["metrics"][k] = v;
                configs.push_back(c);
            }
            j["configurations"] = configs;
            content = j.dump(2) + "\n";
        } else if (request.kind == ExportKind::HtmlReport) {
            content = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + study->name
                + "</title></head><body><h1>Study " + study->name
                + "</h1><p>Demo report (synthetic data): " + std::to_string(study->trials.size()) + " trials of "
                + study->workload + ".</p><table border=\"1\"><tr><th>trial</th><th>state</th><th>objectives</th></tr>";
            for (const auto& t : study->trials) {
                std::string values;
                for (const auto& v : t.values)
                    values += v ? std::to_string(*v) + " " : "- ";
                content += "<tr><td>" + std::to_string(t.number) + "</td><td>" + std::string(trialStateName(t.state))
                    + "</td><td>" + values + "</td></tr>";
            }
            content += "</table></body></html>\n";
        } else {
            SyntheticTraceOptions opt;
            opt.records = 20'000;
            opt.seed = seed + static_cast<std::uint64_t>(std::max(0, request.trial));
            auto source = makeSyntheticTimeline(opt);
            OrderedJson events = OrderedJson::array();
            for (std::size_t tr = 0; tr < source->tracks().size(); ++tr) {
                if (promise.isCanceled())
                    return;
                auto slice
                    = source->query(static_cast<int>(tr), source->timeRange().startNs, source->timeRange().endNs + 1);
                for (const auto& lane : slice.lanes)
                    for (const auto& it : lane)
                        events.push_back({{"name", std::string(source->name(it.nameId))}, {"ph", "X"},
                            {"ts", static_cast<double>(it.startNs) / 1000.0},
                            {"dur", static_cast<double>(it.durationNs()) / 1000.0}, {"pid", 1},
                            {"tid", static_cast<int>(tr)}, {"cat", std::string(itemCategoryName(it.category))}});
            }
            OrderedJson j;
            j["traceEvents"] = events;
            j["displayTimeUnit"] = "ns";
            content = j.dump() + "\n";
        }
        Status st = writeFileAtomic(request.path, content);
        if (!st)
            promise.addResult(ExportResult {request, false, st.error().message});
        else
            promise.addResult(ExportResult {request, true, "wrote " + std::to_string(content.size()) + " bytes"});
    }));
    m_cancelWatchers[id] = watcher;
}

void DemoController::cancelTask(quint64 taskId)
{
    auto it = m_cancelWatchers.find(taskId);
    if (it != m_cancelWatchers.end() && it->second)
        it->second->cancel();
}

} // namespace lwb::ui
