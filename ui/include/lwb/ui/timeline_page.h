// Timeline page: pick a trial with a captured trace, search kernels/ops by name (highlight,
// next/previous match), fit, zoom to selection, and read the selected item's details. The view
// itself is TimelineView; loading goes through the controller (progress in the status bar).
#pragma once

#include "lwb/ui/study_controller.h"
#include "lwb/ui/timeline_view.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QToolButton;

namespace lwb::ui {

class TimelinePage : public QWidget {
    Q_OBJECT
public:
    explicit TimelinePage(StudyController* controller, QWidget* parent = nullptr);

    TimelineView* view() const { return m_view; }
    TimelineSnapshotPtr timeline() const { return m_timeline; }
    void setStudy(StudySnapshotPtr study);
    void setTimeline(TimelineSnapshotPtr timeline);
    /// Asks the controller for a trial's timeline.
    void loadTrial(int trial);
    /// Highlights one kernel (the Kernels page's selection).
    void highlightKernel(const QString& name);
    QLineEdit* searchField() const { return m_search; }

public slots:
    void focusSearch();
    void nextMatch();
    void previousMatch();

private:
    void search(const QString& text);
    void updateInfo();

    StudyController* m_controller;
    TimelineSnapshotPtr m_timeline;
    StudySnapshotPtr m_study;
    TimelineView* m_view = nullptr;
    QComboBox* m_trial = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_matches = nullptr;
    QLabel* m_range = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_title = nullptr;
    QToolButton* m_zoomSel = nullptr;
};

} // namespace lwb::ui
