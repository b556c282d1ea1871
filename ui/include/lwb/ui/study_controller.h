// StudyController: the only door between the GUI's pages and the workbench. Pages call its
// methods on the GUI thread; every method returns at once, the work happens elsewhere (the real
// controller runs the workbench service on a worker thread), and results come back as immutable
// snapshots through the signals (queued to the GUI thread). DemoController is a deterministic
// fake with synthetic data for tests, screenshots and `lepton-workbench --demo`.
#pragma once

#include "lwb/ui/setup_spec.h"
#include "lwb/ui/snapshots.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <vector>

namespace lwb::ui {

class StudyController : public QObject {
    Q_OBJECT
public:
    explicit StudyController(QObject* parent = nullptr);
    ~StudyController() override;

    /// Workloads offered on the Setup page (knobs and metrics).
    virtual std::vector<WorkloadInfo> workloads() const = 0;
    /// Checks a spec before it runs; the default runs validateSetup() against workloads().
    /// A real controller may add the workbench parser's verdict (key and line).
    virtual std::vector<ValidationIssue> validate(const SetupSpec& spec) const;
    virtual RunState runState() const = 0;
    /// The last snapshot sent by studyChanged (null before any).
    virtual StudySnapshotPtr study() const = 0;

    /// Opens a study file read-only and follows it while another process writes it. Progress
    /// through taskProgress; the study through studyChanged; failures through message.
    virtual void openStudy(const QString& path) = 0;
    /// Starts a new study from the Setup page's spec (runState goes to Running).
    virtual void startStudy(const SetupSpec& spec) = 0;
    /// Pause: no new trial starts after the running one; resume continues.
    virtual void pauseStudy() = 0;
    virtual void resumeStudy() = 0;
    virtual void stopStudy(StopMode mode) = 0;
    /// Loads a trial's timeline and kernel summary (timelineReady), cancellable.
    virtual void requestTimeline(int trialNumber) = 0;
    /// Compares two trials (compareReady).
    virtual void requestCompare(int trialA, int trialB) = 0;
    /// Writes a tuned profile, a report or a trace (exportFinished).
    virtual void exportFile(const ExportRequest& request) = 0;
    /// Cancels a task announced by taskProgress; it finishes with a final taskProgress.
    virtual void cancelTask(quint64 taskId) = 0;

signals:
    void runStateChanged(lwb::ui::RunState state);
    void studyChanged(lwb::ui::StudySnapshotPtr study);
    void trialProgressChanged(const lwb::ui::TrialProgress& progress);
    void insightsChanged(lwb::ui::InsightsPtr insights);
    void timelineReady(lwb::ui::TimelineSnapshotPtr timeline);
    void compareReady(lwb::ui::CompareSnapshotPtr comparison);
    void exportFinished(const lwb::ui::ExportResult& result);
    void taskProgress(const lwb::ui::TaskProgress& progress);
    void message(const lwb::ui::UserMessage& message);
};

/// The controller of a GUI built without the workbench service behind it: no workloads, and
/// every action answers with a clear message instead of doing nothing.
class OfflineController final : public StudyController {
    Q_OBJECT
public:
    using StudyController::StudyController;
    std::vector<WorkloadInfo> workloads() const override { return {}; }
    RunState runState() const override { return RunState::Idle; }
    StudySnapshotPtr study() const override { return nullptr; }
    void openStudy(const QString& path) override;
    void startStudy(const SetupSpec& spec) override;
    void pauseStudy() override { }
    void resumeStudy() override { }
    void stopStudy(StopMode) override { }
    void requestTimeline(int trialNumber) override;
    void requestCompare(int trialA, int trialB) override;
    void exportFile(const ExportRequest& request) override;
    void cancelTask(quint64) override { }

private:
    void unavailable(const std::string& what);
};

/// Registers the snapshot types for queued connections (idempotent; controllers call it).
void registerUiMetaTypes();

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ui::RunState)
Q_DECLARE_METATYPE(lwb::ui::StudySnapshotPtr)
Q_DECLARE_METATYPE(lwb::ui::TrialProgress)
Q_DECLARE_METATYPE(lwb::ui::InsightsPtr)
Q_DECLARE_METATYPE(lwb::ui::TimelineSnapshotPtr)
Q_DECLARE_METATYPE(lwb::ui::CompareSnapshotPtr)
Q_DECLARE_METATYPE(lwb::ui::ExportResult)
Q_DECLARE_METATYPE(lwb::ui::TaskProgress)
Q_DECLARE_METATYPE(lwb::ui::UserMessage)
