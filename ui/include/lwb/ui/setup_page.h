// Setup page: pick a workload, edit the search space (per knob: include, domain, scale, fixed
// value), objectives, outcome constraints, budget, sampler/pruner, measurement rules and capture;
// messages appear next to the fields as you type; load/save the YAML spec; Run / Pause / Stop.
#pragma once

#include "lwb/ui/setup_spec.h"
#include "lwb/ui/study_controller.h"

#include <QWidget>

#include <map>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTimer;
class QToolButton;
class QVBoxLayout;

namespace lwb::ui {

class SearchSpaceModel;

class SetupPage : public QWidget {
    Q_OBJECT
public:
    explicit SetupPage(StudyController* controller, QWidget* parent = nullptr);

    /// The spec as the form shows it.
    SetupSpec spec() const;
    void setSpec(const SetupSpec& spec);
    /// Issues of the last validation (runs at most every 150 ms while typing).
    const std::vector<ValidationIssue>& issues() const { return m_issues; }
    /// Validates now (tests call it instead of waiting for the timer).
    void validateNow();
    /// The message shown under a field ("" when none).
    QString fieldMessage(const QString& field) const;

    bool loadYaml(const QString& path);
    bool saveYaml(const QString& path);

public slots:
    void run();
    void pauseOrResume();
    void stop(); ///< finishes the running trial
    void stopNow(); ///< abandons it
    void openSpecDialog();
    void saveSpecDialog();

signals:
    /// Errors and confirmations of load/save (the main window shows them).
    void userMessage(const lwb::ui::UserMessage& message);

private:
    void buildUi();
    QWidget* field(QWidget* editor, const QString& key);
    void workloadChanged();
    void addObjectiveRow(const ObjectiveSetting& objective);
    void refreshObjectiveChoices();
    void scheduleValidation();
    void showIssues();
    void onRunState(RunState state);

    StudyController* m_controller;
    std::vector<WorkloadInfo> m_workloads;
    std::vector<ValidationIssue> m_issues;
    bool m_loading = false;
    QTimer* m_validateTimer = nullptr;
    SearchSpaceModel* m_space = nullptr;
    // Form.
    QLineEdit* m_name = nullptr;
    QComboBox* m_workload = nullptr;
    QLabel* m_workloadInfo = nullptr;
    QTableView* m_spaceView = nullptr;
    QVBoxLayout* m_objectiveRows = nullptr;
    QLineEdit* m_constraints = nullptr;
    QSpinBox* m_trials = nullptr;
    QLineEdit* m_timeBudget = nullptr;
    QSpinBox* m_patience = nullptr;
    QComboBox* m_sampler = nullptr;
    QComboBox* m_pruner = nullptr;
    QComboBox* m_mode = nullptr;
    QSpinBox* m_warmup = nullptr;
    QSpinBox* m_minSamples = nullptr;
    QSpinBox* m_maxSamples = nullptr;
    QDoubleSpinBox* m_maxNoise = nullptr;
    QLineEdit* m_maxTime = nullptr;
    QDoubleSpinBox* m_targetLoss = nullptr;
    QLineEdit* m_lossBudget = nullptr;
    QComboBox* m_capture = nullptr;
    QSpinBox* m_seed = nullptr;
    QLineEdit* m_storage = nullptr;
    QLabel* m_summary = nullptr;
    QPushButton* m_runButton = nullptr;
    QPushButton* m_pauseButton = nullptr;
    QToolButton* m_stopButton = nullptr;
    std::map<QString, QLabel*> m_fieldMessages; ///< dotted key -> message label
};

} // namespace lwb::ui
