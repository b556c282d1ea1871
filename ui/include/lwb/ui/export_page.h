// Export page: write the tuned profile (JSON: best trial, Pareto set or one trial), the study
// report (HTML) and a trial's trace (Chrome JSON), each with a file dialog; the writes run in the
// controller and their results are listed here.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QWidget>

class QComboBox;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace lwb::ui {

class ExportPage : public QWidget {
    Q_OBJECT
public:
    explicit ExportPage(StudyController* controller, QWidget* parent = nullptr);

    void setStudy(StudySnapshotPtr study);
    /// Starts an export with the page's current choices and path for `kind`.
    void exportNow(ExportKind kind);
    QLineEdit* pathField(ExportKind kind) const;
    QComboBox* profileSelection() const { return m_selection; }
    QListWidget* results() const { return m_results; }

private:
    QWidget* makeGroup(
        ExportKind kind, const QString& title, const QString& text, const QString& filter, QWidget* options);
    void addResult(const ExportResult& result);

    StudyController* m_controller;
    StudySnapshotPtr m_study;
    QComboBox* m_selection = nullptr;
    QComboBox* m_profileTrial = nullptr;
    QComboBox* m_traceTrial = nullptr;
    QLineEdit* m_paths[3] = {nullptr, nullptr, nullptr};
    QPushButton* m_buttons[3] = {nullptr, nullptr, nullptr};
    QListWidget* m_results = nullptr;
};

} // namespace lwb::ui
