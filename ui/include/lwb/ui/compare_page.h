// Compare page: two trials side by side — the configuration diff, the measured distributions of
// each metric (box, whiskers and samples, with the verdict), and the ranked kernel-level
// explanation of the step-time difference, whose rows plus "other" add up to the total.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;

namespace lwb::ui {

class CellTableModel;

/// Metric distributions of a comparison as small multiples (QPainter).
class DistributionView : public QWidget {
    Q_OBJECT
public:
    explicit DistributionView(QWidget* parent = nullptr);
    void setComparison(CompareSnapshotPtr comparison);

protected:
    void paintEvent(QPaintEvent* event) override;
    QSize sizeHint() const override { return {480, 260}; }

private:
    CompareSnapshotPtr m_cmp;
};

class ComparePage : public QWidget {
    Q_OBJECT
public:
    explicit ComparePage(StudyController* controller, QWidget* parent = nullptr);

    void setStudy(StudySnapshotPtr study);
    void setComparison(CompareSnapshotPtr comparison);
    /// Picks the two trials and asks the controller to compare them.
    void compare(int trialA, int trialB);
    CellTableModel* configModel() const { return m_config; }
    CellTableModel* deltaModel() const { return m_deltas; }
    QString summaryText() const;

private:
    StudyController* m_controller;
    StudySnapshotPtr m_study;
    CompareSnapshotPtr m_cmp;
    QComboBox* m_a = nullptr;
    QComboBox* m_b = nullptr;
    QLabel* m_summary = nullptr;
    CellTableModel* m_config = nullptr;
    CellTableModel* m_deltas = nullptr;
    DistributionView* m_dist = nullptr;
    QTableView* m_deltaTable = nullptr;
    QTableView* m_configTable = nullptr;
};

} // namespace lwb::ui
