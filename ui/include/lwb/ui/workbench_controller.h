// WorkbenchController: the real StudyController. Runs studies in-process through the workbench
// service on a worker thread (the same study loop as `lwb tune`), follows study files read-only
// while another process writes them (polling the WAL file, no locks taken), and loads timelines,
// comparisons and exports on the thread pool. Everything reaches the pages as snapshots through
// the controller's signals (queued to the GUI thread); the GUI thread never waits on a study.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace lwb::ui {

class WorkbenchController final : public StudyController {
    Q_OBJECT
public:
    explicit WorkbenchController(QObject* parent = nullptr);
    ~WorkbenchController() override;

    std::vector<WorkloadInfo> workloads() const override;
    std::vector<ValidationIssue> validate(const SetupSpec& spec) const override;
    RunState runState() const override;
    StudySnapshotPtr study() const override;

    void openStudy(const QString& path) override;
    void startStudy(const SetupSpec& spec) override;
    void pauseStudy() override;
    void resumeStudy() override;
    void stopStudy(StopMode mode) override;
    void requestTimeline(int trialNumber) override;
    void requestCompare(int trialA, int trialB) override;
    void exportFile(const ExportRequest& request) override;
    void cancelTask(quint64 taskId) override;

    /// How often an open study file is re-read (ms).
    void setPollInterval(int milliseconds) { m_poll.setInterval(milliseconds); }

private:
    void setRunState(RunState state);
    void onGuiThread(std::function<void()> fn);
    void refresh();
    void publishStudy(StudySnapshotPtr snapshot);
    void refreshInsights(const StudySnapshotPtr& snapshot);
    void report(Severity severity, const std::string& text, const std::string& detail = {});
    quint64 beginTask(const std::string& label, std::shared_ptr<std::atomic<bool>>* cancel);
    void endTask(quint64 id, const std::string& label);

    std::vector<WorkloadInfo> m_workloads;
    QTimer m_poll;
    mutable std::mutex m_mutex; ///< guards m_study, m_path, m_state, m_tasks
    StudySnapshotPtr m_study;
    std::string m_path;
    RunState m_state = RunState::Idle;
    std::atomic<bool> m_refreshing {false};
    std::atomic<bool> m_refreshAgain {false};
    std::atomic<bool> m_insightsBusy {false};
    int m_insightsForComplete = -1;

    std::thread m_runner;
    std::atomic<int> m_interrupt {0};
    std::atomic<bool> m_paused {false};

    quint64 m_nextTask = 1;
    std::map<quint64, std::shared_ptr<std::atomic<bool>>> m_tasks;
    std::atomic<int> m_pendingJobs {0};
};

} // namespace lwb::ui
