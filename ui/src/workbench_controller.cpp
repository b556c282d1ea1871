// The real StudyController over the workbench service (see workbench_controller.h).
#include "lwb/ui/workbench_controller.h"

#include "lwb/core/study_file.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/ui/study_loader.h"
#include "lwb/workbench/profiles.h"
#include "lwb/workbench/report.h"
#include "lwb/workbench/spec.h"
#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/tuning.h"

#include <QThreadPool>
#include <fmt/core.h>
#include <regex>

namespace lwb::ui {
namespace {

/// Runs `fn` on Qt's global thread pool, counting it so the destructor can wait.
template <typename F> void runInPool(std::atomic<int>& pending, F fn)
{
    ++pending;
    QThreadPool::globalInstance()->start([&pending, fn = std::move(fn)]() mutable {
        fn();
        --pending;
    });
}

/// "study.yaml:12: search_space.lr: message" -> field "search_space.lr".
ValidationIssue issueFromError(const std::string& message)
{
    static const std::regex keyed(R"(^[^:]*:\d+: ([a-z_]+(\.[A-Za-z0-9_]+)*): (.*)$)");
    std::smatch m;
    if (std::regex_match(message, m, keyed))
        return {m[1].str(), IssueSeverity::Error, m[3].str()};
    return {"", IssueSeverity::Error, message};
}

} // namespace

void WorkbenchController::onGuiThread(std::function<void()> fn)
{
    // Signals leave on the GUI thread, in order: a page's slot and a test's QSignalSpy see the
    // same state at the same time.
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

WorkbenchController::WorkbenchController(QObject* parent)
    : StudyController(parent)
    , m_workloads(builtinWorkloadInfos())
{
    registerUiMetaTypes();
    m_poll.setInterval(1000);
    connect(&m_poll, &QTimer::timeout, this, &WorkbenchController::refresh);
}

WorkbenchController::~WorkbenchController()
{
    m_poll.stop();
    m_interrupt = 2;
    m_paused = false;
    if (m_runner.joinable())
        m_runner.join();
    {
        std::lock_guard lock(m_mutex);
        for (auto& [id, flag] : m_tasks)
            *flag = true;
    }
    QThreadPool::globalInstance()->waitForDone();
}

std::vector<WorkloadInfo> WorkbenchController::workloads() const
{
    return m_workloads;
}

std::vector<ValidationIssue> WorkbenchController::validate(const SetupSpec& spec) const
{
    auto issues = StudyController::validate(spec);
    if (hasErrors(issues))
        return issues;
    auto parsed = workbench::parseSpec(setupToYaml(spec), "setup");
    if (!parsed) {
        issues.push_back(issueFromError(parsed.error().message));
        return issues;
    }
    if (parsed->workload != "command") {
        auto workload = workbench::makeWorkload(*parsed);
        if (!workload) {
            issues.push_back(issueFromError(workload.error().message));
        } else {
            if (auto space = workbench::buildSearchSpace(*parsed, **workload); !space)
                issues.push_back(issueFromError(space.error().message));
            if (Status s = workbench::checkMetrics(*parsed, **workload); !s)
                issues.push_back(issueFromError(s.error().message));
        }
    }
    return issues;
}

RunState WorkbenchController::runState() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

StudySnapshotPtr WorkbenchController::study() const
{
    std::lock_guard lock(m_mutex);
    return m_study;
}

void WorkbenchController::setRunState(RunState state)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_state == state)
            return;
        m_state = state;
    }
    emit runStateChanged(state);
}

void WorkbenchController::report(Severity severity, const std::string& text, const std::string& detail)
{
    onGuiThread([this, m = UserMessage {severity, text, detail}] { emit message(m); });
}

quint64 WorkbenchController::beginTask(const std::string& label, std::shared_ptr<std::atomic<bool>>* cancel)
{
    quint64 id = 0;
    {
        std::lock_guard lock(m_mutex);
        id = m_nextTask++;
        *cancel = std::make_shared<std::atomic<bool>>(false);
        m_tasks[id] = *cancel;
    }
    emit taskProgress(TaskProgress {id, label, -1, false, true});
    return id;
}

void WorkbenchController::endTask(quint64 id, const std::string& label)
{
    {
        std::lock_guard lock(m_mutex);
        m_tasks.erase(id);
    }
    emit taskProgress(TaskProgress {id, label, 1, true, false});
}

void WorkbenchController::cancelTask(quint64 taskId)
{
    std::lock_guard lock(m_mutex);
    if (auto it = m_tasks.find(taskId); it != m_tasks.end())
        *it->second = true;
}

void WorkbenchController::openStudy(const QString& path)
{
    std::string file = path.toStdString();
    {
        std::lock_guard lock(m_mutex);
        m_path = file;
        m_study.reset();
        m_insightsForComplete = -1;
    }
    std::shared_ptr<std::atomic<bool>> cancel;
    quint64 task = beginTask("opening " + file, &cancel);
    runInPool(m_pendingJobs, [this, file, task, cancel] {
        auto snapshot = loadStudySnapshot(file);
        if (!snapshot) {
            report(Severity::Error, "Cannot open " + file, snapshot.error().message);
        } else if (!*cancel) {
            publishStudy(std::make_shared<const StudySnapshot>(std::move(*snapshot)));
            QMetaObject::invokeMethod(
                this, [this] { m_poll.start(); }, Qt::QueuedConnection);
        }
        endTask(task, "opening " + file);
    });
}

void WorkbenchController::refresh()
{
    std::string path;
    {
        std::lock_guard lock(m_mutex);
        path = m_path;
    }
    if (path.empty())
        return;
    if (m_refreshing.exchange(true)) {
        m_refreshAgain = true; // a change arrived while reading: read once more afterwards
        return;
    }
    runInPool(m_pendingJobs, [this, path] {
        do {
            m_refreshAgain = false;
            auto snapshot = loadStudySnapshot(path);
            if (snapshot) {
                auto current = study();
                if (!current || current->revision != snapshot->revision
                    || current->trials.size() != snapshot->trials.size())
                    publishStudy(std::make_shared<const StudySnapshot>(std::move(*snapshot)));
            }
        } while (m_refreshAgain.exchange(false));
        m_refreshing = false;
    });
}

void WorkbenchController::publishStudy(StudySnapshotPtr snapshot)
{
    {
        std::lock_guard lock(m_mutex);
        m_study = snapshot;
    }
    onGuiThread([this, snapshot] { emit studyChanged(snapshot); });
    refreshInsights(snapshot);
}

void WorkbenchController::refreshInsights(const StudySnapshotPtr& snapshot)
{
    int complete = 0;
    for (const auto& t : snapshot->trials)
        complete += t.state == TrialState::Complete;
    if (complete < 3 || snapshot->objectives.empty())
        return;
    {
        std::lock_guard lock(m_mutex);
        if (complete == m_insightsForComplete)
            return;
    }
    if (m_insightsBusy.exchange(true))
        return;
    std::string path = snapshot->path;
    std::string name = snapshot->name;
    runInPool(m_pendingJobs, [this, path, name, complete] {
        auto insights = loadInsights(path, name, 0);
        if (insights) {
            {
                std::lock_guard lock(m_mutex);
                m_insightsForComplete = complete;
            }
            onGuiThread([this, i = std::make_shared<const InsightsSnapshot>(std::move(*insights))] {
                emit insightsChanged(i);
            });
        }
        m_insightsBusy = false;
    });
}

void WorkbenchController::startStudy(const SetupSpec& setup)
{
    if (m_runner.joinable()) {
        if (runState() == RunState::Running || runState() == RunState::Paused || runState() == RunState::Stopping) {
            report(Severity::Warning, "A study is already running: stop it first");
            return;
        }
        m_runner.join();
    }
    auto spec = workbench::parseSpec(setupToYaml(setup), "setup");
    if (!spec) {
        report(Severity::Error, "The study spec is invalid", spec.error().message);
        return;
    }
    std::string path = std::filesystem::absolute(spec->storage).string();
    spec->storage = path;
    {
        std::lock_guard lock(m_mutex);
        m_path = path;
        m_study.reset();
        m_insightsForComplete = -1;
    }
    m_interrupt = 0;
    m_paused = false;
    setRunState(RunState::Running);
    m_runner = std::thread([this, spec = std::move(*spec)] {
        workbench::TuneOptions options;
        options.resume = workbench::TuneOptions::Resume::Yes;
        options.interrupt = &m_interrupt;
        options.paused = &m_paused;
        options.onEvent = [this](const workbench::TuneEvent& e) {
            using workbench::TuneEventKind;
            if (e.kind == TuneEventKind::TrialStarted) {
                TrialProgress p;
                p.trial = e.trialNumber;
                p.phase = "measuring";
                p.message = e.config;
                emit trialProgressChanged(p);
            }
            if (e.kind == TuneEventKind::StudyStarted || e.kind == TuneEventKind::TrialFinished
                || e.kind == TuneEventKind::TrialStarted)
                QMetaObject::invokeMethod(
                    this, [this] { refresh(); }, Qt::QueuedConnection);
        };
        QMetaObject::invokeMethod(
            this, [this] { m_poll.start(); }, Qt::QueuedConnection);
        auto summary = workbench::runStudy(spec, options);
        if (!summary) {
            report(Severity::Error, "The study stopped with an error", summary.error().message);
        } else {
            std::string text = fmt::format("{}: {} complete, {} failed, {} pruned{}", summary->studyName,
                summary->complete, summary->failed, summary->pruned,
                summary->stopReason.empty() ? "" : " (" + summary->stopReason + ")");
            report(Severity::Info, text);
        }
        emit trialProgressChanged(TrialProgress {});
        // The final state of the study (traces of the best trials kept, the others pruned) is
        // published before Finished, so whoever reacts to Finished sees it.
        if (auto final = loadStudySnapshot(spec.storage))
            publishStudy(std::make_shared<const StudySnapshot>(std::move(*final)));
        QMetaObject::invokeMethod(
            this, [this] { setRunState(RunState::Finished); }, Qt::QueuedConnection);
    });
}

void WorkbenchController::pauseStudy()
{
    if (runState() != RunState::Running)
        return;
    m_paused = true;
    setRunState(RunState::Paused);
}

void WorkbenchController::resumeStudy()
{
    if (runState() != RunState::Paused)
        return;
    m_paused = false;
    setRunState(RunState::Running);
}

void WorkbenchController::stopStudy(StopMode mode)
{
    RunState state = runState();
    if (state != RunState::Running && state != RunState::Paused && state != RunState::Stopping)
        return;
    m_interrupt = mode == StopMode::AbandonTrial ? 2 : std::max(1, m_interrupt.load());
    m_paused = false;
    setRunState(RunState::Stopping);
}

void WorkbenchController::requestTimeline(int trialNumber)
{
    std::string path;
    {
        std::lock_guard lock(m_mutex);
        path = m_path;
    }
    if (path.empty()) {
        report(Severity::Warning, "Open a study first");
        return;
    }
    std::shared_ptr<std::atomic<bool>> cancel;
    std::string label = fmt::format("loading the timeline of trial {}", trialNumber);
    quint64 task = beginTask(label, &cancel);
    runInPool(m_pendingJobs, [this, path, trialNumber, task, cancel, label] {
        auto timeline = loadTrialTimeline(path, trialNumber, cancel.get());
        if (!timeline) {
            if (timeline.error().code != ErrorCode::Cancelled)
                report(
                    Severity::Warning, fmt::format("No timeline for trial {}", trialNumber), timeline.error().message);
        } else if (!*cancel) {
            onGuiThread(
                [this, t = std::make_shared<const TimelineSnapshot>(std::move(*timeline))] { emit timelineReady(t); });
        }
        endTask(task, label);
    });
}

void WorkbenchController::requestCompare(int trialA, int trialB)
{
    std::string path;
    {
        std::lock_guard lock(m_mutex);
        path = m_path;
    }
    if (path.empty()) {
        report(Severity::Warning, "Open a study first");
        return;
    }
    runInPool(m_pendingJobs, [this, path, trialA, trialB] {
        auto comparison = loadComparison(path, trialA, trialB);
        if (!comparison)
            report(Severity::Warning, fmt::format("Cannot compare trials {} and {}", trialA, trialB),
                comparison.error().message);
        else
            onGuiThread(
                [this, c = std::make_shared<const CompareSnapshot>(std::move(*comparison))] { emit compareReady(c); });
    });
}

void WorkbenchController::exportFile(const ExportRequest& request)
{
    std::string path;
    {
        std::lock_guard lock(m_mutex);
        path = m_path;
    }
    if (path.empty()) {
        emit exportFinished(ExportResult {request, false, "open or run a study first"});
        return;
    }
    runInPool(m_pendingJobs, [this, path, request] {
        ExportResult result {request, false, ""};
        auto done = [&](Status s, const std::string& what) {
            result.ok = s.isOk();
            result.message = s ? "wrote " + what + " " + request.path : s.error().message;
        };
        switch (request.kind) {
        case ExportKind::TunedProfile: {
            auto profile = workbench::buildProfile(path);
            if (!profile)
                result.message = profile.error().message;
            else
                done(profile->save(request.path), "the tuned profile");
            break;
        }
        case ExportKind::HtmlReport: {
            auto data = workbench::loadReportData(path);
            if (!data)
                result.message = data.error().message;
            else
                done(writeFileAtomic(request.path,
                         workbench::renderReport(*data, workbench::ReportFormat::Html, workbench::plotRenderer())),
                    "the report");
            break;
        }
        case ExportKind::ChromeTrace: {
            auto storage = tuner::SqliteStorage::open(path, tuner::StorageAccess::ReadOnly);
            std::optional<std::int64_t> traceId;
            if (storage) {
                if (auto names = (*storage)->studyNames(); names && !names->empty())
                    if (auto study = tuner::Study::load(*storage, names->front()))
                        if (auto trials = study->trials())
                            for (const auto& t : *trials)
                                if (t.number == request.trial)
                                    if (auto it = t.attrs.find("trace_id");
                                        it != t.attrs.end() && it->second.is_number_integer())
                                        traceId = it->second.get<std::int64_t>();
            }
            if (!traceId) {
                result.message = fmt::format("trial {} has no captured timeline", request.trial);
                break;
            }
            auto db = study_file::open(path, sql::OpenMode::ReadOnly);
            if (!db) {
                result.message = db.error().message;
                break;
            }
            auto store = profiler::TraceStore::open(*db);
            if (!store) {
                result.message = store.error().message;
                break;
            }
            auto written = store->exportChrome(*traceId, request.path);
            if (!written)
                result.message = written.error().message;
            else
                done(Status {}, fmt::format("{} events to", written->events));
            break;
        }
        }
        onGuiThread([this, result] { emit exportFinished(result); });
    });
}

} // namespace lwb::ui
