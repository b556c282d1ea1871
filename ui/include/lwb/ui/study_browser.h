// Study browser (a dock): the open study's summary and its trials in a sortable, filterable
// table (TrialTableModel + TrialFilterProxy, smooth at 10,000 trials). Selecting a trial shows
// it in the details dock; double-click opens its timeline; the context menu compares.
#pragma once

#include "lwb/ui/snapshots.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QTextBrowser;

namespace lwb::ui {

class TrialTableModel;
class TrialFilterProxy;

class StudyBrowser : public QWidget {
    Q_OBJECT
public:
    explicit StudyBrowser(QWidget* parent = nullptr);

    void setStudy(StudySnapshotPtr study);
    /// Selects (and scrolls to) a trial.
    void selectTrial(int trial);
    int selectedTrial() const;
    TrialTableModel* model() const { return m_model; }
    TrialFilterProxy* proxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    QLineEdit* filterField() const { return m_filter; }
    QComboBox* stateFilter() const { return m_state; }

signals:
    void trialSelected(int trial);
    void trialActivated(int trial); ///< double-click: open its timeline
    void compareRequested(int trialA, int trialB);

private:
    void updateSummary();

    StudySnapshotPtr m_study;
    TrialTableModel* m_model = nullptr;
    TrialFilterProxy* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_state = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_summary = nullptr;
};

/// HTML details of one trial (parameters, objectives, metrics, failure reason).
QString trialDetailsHtml(const StudySnapshot& study, const TrialSnapshot& trial);

} // namespace lwb::ui
