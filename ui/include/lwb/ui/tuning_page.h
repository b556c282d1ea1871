// Tuning page, live while a study runs: status (trial k of n, best so far), the running trial's
// progress and loss curve (Qt Charts), optimisation history with best-so-far (and the Pareto
// front for multi-objective studies), parallel coordinates, a parameter slice with the GP mean and
// band, and parameter importance.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QTabWidget;
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace lwb::ui {

class StudyPlot;

/// Parameter importance as labelled horizontal bars (QPainter: readable at any panel size).
class ImportanceView : public QWidget {
    Q_OBJECT
public:
    explicit ImportanceView(QWidget* parent = nullptr);
    void setInsights(InsightsPtr insights);
    int bars() const;

protected:
    void paintEvent(QPaintEvent* event) override;
    QSize sizeHint() const override { return {360, 180}; }

private:
    InsightsPtr m_insights;
};

class TuningPage : public QWidget {
    Q_OBJECT
public:
    explicit TuningPage(StudyController* controller, QWidget* parent = nullptr);

    void setStudy(StudySnapshotPtr study);
    void setInsights(InsightsPtr insights);
    void setProgress(const TrialProgress& progress);
    /// While no trial runs, shows a finished trial's loss curve (its intermediate values).
    void showTrialCurve(int trial);

    StudyPlot* historyPlot() const { return m_history; }
    StudyPlot* paretoPlot() const { return m_pareto; }
    StudyPlot* parallelPlot() const { return m_parallel; }
    StudyPlot* slicePlot() const { return m_slice; }
    QString statusText() const;
    /// Number of bars in the importance chart (tests).
    int importanceBars() const;
    int lossPoints() const;

signals:
    void trialClicked(int trial);

protected:
    void changeEvent(QEvent* event) override;

private:
    void styleCharts();
    void updateStatus();
    void setLossCurve(const std::vector<std::pair<std::int64_t, double>>& loss);
    void objectiveChanged();

    StudyController* m_controller;
    StudySnapshotPtr m_study;
    InsightsPtr m_insights;
    RunState m_state = RunState::Idle;
    bool m_trialRunning = false;
    QLabel* m_status = nullptr;
    QLabel* m_trialLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QComboBox* m_objective = nullptr;
    QComboBox* m_param = nullptr;
    QTabWidget* m_historyTabs = nullptr;
    StudyPlot* m_history = nullptr;
    StudyPlot* m_pareto = nullptr;
    StudyPlot* m_parallel = nullptr;
    StudyPlot* m_slice = nullptr;
    QChartView* m_lossView = nullptr;
    QLineSeries* m_loss = nullptr;
    QValueAxis* m_lossX = nullptr;
    QValueAxis* m_lossY = nullptr;
    ImportanceView* m_importance = nullptr;
};

} // namespace lwb::ui
