// DemoController: a StudyController with synthetic, deterministic data and no workbench behind
// it — for widget tests, screenshots and `lepton-workbench --demo`. Studies "run" on a timer
// (trial outcomes from a closed-form model of throughput, memory and loss), `demo:N` paths open
// a finished study of N trials, timelines are synthetic traces built on a worker thread.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QFutureWatcher>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>

namespace lwb::ui {

struct DemoOptions {
    int tickMs = 120; ///< one progress step of the running trial
    int ticksPerTrial = 6;
    std::int64_t timelineRecords = 120'000; ///< records of each synthetic trial trace
    std::uint64_t seed = 7;
};

class DemoController final : public StudyController {
    Q_OBJECT
public:
    explicit DemoController(DemoOptions options = {}, QObject* parent = nullptr);
    ~DemoController() override;

    std::vector<WorkloadInfo> workloads() const override;
    RunState runState() const override { return m_state; }
    StudySnapshotPtr study() const override { return m_study; }

    /// "demo:N" (N trials, one objective) or "demo:N:pareto" (tokens_per_s and p99 latency);
    /// anything else fails like an unreadable file would.
    void openStudy(const QString& path) override;
    void startStudy(const SetupSpec& spec) override;
    void pauseStudy() override;
    void resumeStudy() override;
    void stopStudy(StopMode mode) override;
    void requestTimeline(int trialNumber) override;
    void requestCompare(int trialA, int trialB) override;
    void exportFile(const ExportRequest& request) override;
    void cancelTask(quint64 taskId) override;

    /// Builds a finished synthetic study (also used by the benchmarks). `progress` (may be empty)
    /// gets the fraction done and returns false to cancel (then the result is null).
    static StudySnapshotPtr makeStudy(
        int trials, int objectives, std::uint64_t seed, const std::function<bool(double)>& progress = {});
    /// The demo's fake model insights for a study (a kernel smoother standing in for the GP).
    static InsightsPtr makeInsights(const StudySnapshot& study, int objective);

private:
    struct Task;
    void setState(RunState state);
    void tick();
    void finishCurrentTrial(TrialState forced);
    void publish(std::shared_ptr<StudySnapshot> study);
    quint64 beginTask(const std::string& label);
    void endTask(quint64 id, const std::string& label);

    DemoOptions m_options;
    RunState m_state = RunState::Idle;
    StudySnapshotPtr m_study;
    SetupSpec m_spec;
    QTimer m_timer;
    int m_tick = 0;
    bool m_stopAfterTrial = false;
    std::uint64_t m_rng = 1;
    quint64 m_nextTask = 1;
    std::map<quint64, QPointer<QFutureWatcherBase>> m_cancelWatchers;
};

} // namespace lwb::ui
