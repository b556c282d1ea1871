// The workbench's main window: pages (Setup, Tuning, Timeline, Kernels, Compare, Export) in the
// centre, docks for the study browser, the selected trial and messages, a layout saved in
// QSettings, keyboard shortcuts, task progress with Cancel in the status bar, an inline message
// bar for errors, light/dark themes and the About box. All data comes from a StudyController.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QMainWindow>

#include <map>

class QAction;
class QLabel;
class QListWidget;
class QProgressBar;
class QTabWidget;
class QTextBrowser;
class QToolButton;

namespace lwb::ui {

class SetupPage;
class TuningPage;
class TimelinePage;
class KernelsPage;
class ComparePage;
class ExportPage;
class StudyBrowser;
class MessageBar;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Setup, Tuning, Timeline, Kernels, Compare, Export };

    /// A window without the workbench service (OfflineController).
    explicit MainWindow(QWidget* parent = nullptr);
    /// A window over `controller`; a controller without a parent becomes the window's child.
    explicit MainWindow(StudyController* controller, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// The Help > About action (tests trigger it).
    QAction* aboutAction() const { return m_aboutAction; }
    StudyController* controller() const { return m_controller; }

    void showPage(Page page);
    Page currentPage() const;
    SetupPage* setupPage() const { return m_setup; }
    TuningPage* tuningPage() const { return m_tuning; }
    TimelinePage* timelinePage() const { return m_timeline; }
    KernelsPage* kernelsPage() const { return m_kernels; }
    ComparePage* comparePage() const { return m_compare; }
    ExportPage* exportPage() const { return m_export; }
    StudyBrowser* studyBrowser() const { return m_browser; }
    /// The text of the inline message bar ("" when hidden).
    QString visibleMessage() const;
    /// Messages received so far (the Messages dock).
    int messageCount() const;
    /// Named actions for shortcuts: "open", "run", "pause", "stop", "find", ...
    QAction* action(const QString& name) const;

    /// Window geometry, dock layout and theme in QSettings.
    void saveLayout() const;
    void restoreLayout();

public slots:
    void showAbout();
    void showShortcuts();
    void openStudyDialog();
    void openTrialTimeline(int trial);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void build();
    void buildMenus();
    void connectController();
    void onStudy(StudySnapshotPtr study);
    void onMessage(const UserMessage& message);
    void onTask(const TaskProgress& task);
    void showTrialDetails(int trial);

    StudyController* m_controller = nullptr;
    StudySnapshotPtr m_study;
    QTabWidget* m_pages = nullptr;
    SetupPage* m_setup = nullptr;
    TuningPage* m_tuning = nullptr;
    TimelinePage* m_timeline = nullptr;
    KernelsPage* m_kernels = nullptr;
    ComparePage* m_compare = nullptr;
    ExportPage* m_export = nullptr;
    StudyBrowser* m_browser = nullptr;
    QTextBrowser* m_details = nullptr;
    QListWidget* m_messages = nullptr;
    MessageBar* m_messageBar = nullptr;
    QLabel* m_runState = nullptr;
    QLabel* m_taskLabel = nullptr;
    QProgressBar* m_taskBar = nullptr;
    QToolButton* m_taskCancel = nullptr;
    std::map<quint64, TaskProgress> m_tasks;
    std::map<QString, QAction*> m_actions;
    QAction* m_aboutAction = nullptr;
    QByteArray m_defaultState;
};

/// Drops a large snapshot's last reference on a pool thread instead of the GUI thread.
void releaseOffThread(StudySnapshotPtr snapshot);

/// Text of the About dialog (version, build, what the workbench does).
QString aboutText();

} // namespace lwb::ui
