// Main window (see main_window.h): builds the pages and docks, wires them to the controller and
// to each other (trial selection -> details; double-click -> timeline; kernel row -> timeline
// highlight; context menu -> compare), and keeps the layout and theme in QSettings.
#include "lwb/ui/main_window.h"

#include "lwb/core/version.h"
#include "lwb/ui/compare_page.h"
#include "lwb/ui/export_page.h"
#include "lwb/ui/kernels_page.h"
#include "lwb/ui/setup_page.h"
#include "lwb/ui/study_browser.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_page.h"
#include "lwb/ui/tuning_page.h"
#include "widget_util.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDockWidget>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>

#include <utility>

namespace lwb::ui {

QString aboutText()
{
    return QStringLiteral("<h3>Lepton Workbench %1</h3>"
                          "<p>Profile and tune GPU and CPU training and inference: kernel timelines, "
                          "Bayesian optimisation of configurations, tuned profiles and a CI gate.</p>"
                          "<p>Build: %2</p>")
        .arg(QString::fromUtf8(workbenchVersion().data(), static_cast<int>(workbenchVersion().size())),
            QString::fromUtf8(
                workbenchBuildDescription().data(), static_cast<int>(workbenchBuildDescription().size())));
}

/// The inline message bar above the pages: errors stay until closed, information fades.
class MessageBar : public QFrame {
public:
    explicit MessageBar(QWidget* parent)
        : QFrame(parent)
        , m_text(new QLabel)
        , m_details(new QToolButton)
        , m_close(new QToolButton)
        , m_fade(new QTimer(this))
    {
        setObjectName(QStringLiteral("messageBar"));
        setAutoFillBackground(true);
        m_text->setObjectName(QStringLiteral("messageText"));
        m_text->setWordWrap(true);
        m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_details->setText(tr("Details"));
        m_details->setAutoRaise(true);
        m_close->setText(QStringLiteral("\u2715"));
        m_close->setAutoRaise(true);
        m_close->setToolTip(tr("Dismiss"));
        auto* h = new QHBoxLayout(this);
        h->setContentsMargins(10, 4, 4, 4);
        h->addWidget(m_text, 1);
        h->addWidget(m_details);
        h->addWidget(m_close);
        connect(m_close, &QToolButton::clicked, this, &QWidget::hide);
        connect(m_details, &QToolButton::clicked, this, [this] {
            QMessageBox box(QMessageBox::Information, tr("Details"), m_text->text(), QMessageBox::Ok, window());
            box.setDetailedText(m_detail);
            box.exec();
        });
        m_fade->setSingleShot(true);
        connect(m_fade, &QTimer::timeout, this, &QWidget::hide);
        hide();
    }

    void show(const UserMessage& m)
    {
        const QColor bg = m.severity == Severity::Error ? QColor(0xd9, 0x3f, 0x3f)
            : m.severity == Severity::Warning           ? QColor(0xc0, 0x8a, 0x1c)
                                                        : QColor(0x2f, 0x6f, 0xd0);
        QPalette p = palette();
        p.setColor(QPalette::Window, bg);
        p.setColor(QPalette::WindowText, Qt::white);
        p.setColor(QPalette::ButtonText, Qt::white);
        setPalette(p);
        const QString icon = m.severity == Severity::Error ? QStringLiteral("\u2716 ")
            : m.severity == Severity::Warning              ? QStringLiteral("\u26a0 ")
                                                           : QStringLiteral("\u2139 ");
        m_text->setText(icon + qs(m.text));
        m_detail = qs(m.detail);
        m_details->setVisible(!m.detail.empty());
        QFrame::show();
        if (m.severity == Severity::Info)
            m_fade->start(6000);
        else
            m_fade->stop();
    }
    QString text() const { return isHidden() ? QString() : m_text->text(); }

private:
    QLabel* m_text;
    QToolButton* m_details;
    QToolButton* m_close;
    QTimer* m_fade;
    QString m_detail;
};

void releaseOffThread(StudySnapshotPtr snapshot)
{
    if (snapshot && snapshot.use_count() == 1 && snapshot->trials.size() > 1000)
        QThreadPool::globalInstance()->start([s = std::move(snapshot)]() mutable { s.reset(); });
}

MainWindow::MainWindow(QWidget* parent)
    : MainWindow(new OfflineController, parent)
{
}

MainWindow::MainWindow(StudyController* controller, QWidget* parent)
    : QMainWindow(parent)
    , m_controller(controller)
{
    if (!m_controller->parent())
        m_controller->setParent(this);
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("Lepton Workbench"));
    resize(1440, 900);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    build();
    buildMenus();
    connectController();
    m_defaultState = saveState();
    statusBar()->showMessage(tr("Ready"), 3000);
}

MainWindow::~MainWindow() = default;

void MainWindow::build()
{
    m_setup = new SetupPage(m_controller);
    m_tuning = new TuningPage(m_controller);
    m_timeline = new TimelinePage(m_controller);
    m_kernels = new KernelsPage;
    m_compare = new ComparePage(m_controller);
    m_export = new ExportPage(m_controller);
    m_pages = new QTabWidget;
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_setup, tr("Setup"));
    m_pages->addTab(m_tuning, tr("Tuning"));
    m_pages->addTab(m_timeline, tr("Timeline"));
    m_pages->addTab(m_kernels, tr("Kernels"));
    m_pages->addTab(m_compare, tr("Compare"));
    m_pages->addTab(m_export, tr("Export"));
    for (int i = 0; i < m_pages->count(); ++i)
        m_pages->setTabToolTip(i, tr("Ctrl+%1").arg(i + 1));
    m_messageBar = new MessageBar(this);
    auto* central = new QWidget;
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    v->addWidget(m_messageBar);
    v->addWidget(m_pages, 1);
    setCentralWidget(central);

    // Docks.
    m_browser = new StudyBrowser;
    auto* browserDock = new QDockWidget(tr("Study"), this);
    browserDock->setObjectName(QStringLiteral("studyDock"));
    browserDock->setWidget(m_browser);
    addDockWidget(Qt::LeftDockWidgetArea, browserDock);
    m_details = new QTextBrowser;
    m_details->setObjectName(QStringLiteral("trialDetails"));
    m_details->setOpenLinks(false);
    m_details->setHtml(tr("<p style='color:gray'>Select a trial to see its configuration and measurements.</p>"));
    auto* detailsDock = new QDockWidget(tr("Trial"), this);
    detailsDock->setObjectName(QStringLiteral("trialDock"));
    detailsDock->setWidget(m_details);
    addDockWidget(Qt::LeftDockWidgetArea, detailsDock);
    splitDockWidget(browserDock, detailsDock, Qt::Vertical);
    resizeDocks({browserDock}, {470}, Qt::Horizontal);
    resizeDocks({browserDock, detailsDock}, {600, 220}, Qt::Vertical);
    m_messages = new QListWidget;
    m_messages->setObjectName(QStringLiteral("messagesList"));
    auto* messagesDock = new QDockWidget(tr("Messages"), this);
    messagesDock->setObjectName(QStringLiteral("messagesDock"));
    messagesDock->setWidget(m_messages);
    addDockWidget(Qt::BottomDockWidgetArea, messagesDock);
    messagesDock->hide();

    // Status bar: run state, task progress with Cancel.
    m_runState = new QLabel(tr("Idle"));
    m_runState->setObjectName(QStringLiteral("runStateLabel"));
    m_taskLabel = new QLabel;
    m_taskBar = new QProgressBar;
    m_taskBar->setObjectName(QStringLiteral("taskProgress"));
    m_taskBar->setMaximumWidth(180);
    m_taskBar->setRange(0, 1000);
    m_taskCancel = new QToolButton;
    m_taskCancel->setObjectName(QStringLiteral("taskCancel"));
    m_taskCancel->setText(tr("Cancel"));
    m_taskCancel->setAutoRaise(true);
    connect(m_taskCancel, &QToolButton::clicked, this, [this] {
        if (!m_tasks.empty())
            m_controller->cancelTask(m_tasks.rbegin()->first);
    });
    for (QWidget* w :
        {static_cast<QWidget*>(m_taskLabel), static_cast<QWidget*>(m_taskBar), static_cast<QWidget*>(m_taskCancel)}) {
        statusBar()->addPermanentWidget(w);
        w->hide();
    }
    statusBar()->addPermanentWidget(m_runState);

    // Cross-page wiring.
    connect(m_browser, &StudyBrowser::trialSelected, this, &MainWindow::showTrialDetails);
    connect(m_browser, &StudyBrowser::trialActivated, this, &MainWindow::openTrialTimeline);
    connect(m_browser, &StudyBrowser::compareRequested, this, [this](int a, int b) {
        m_compare->compare(a, b);
        showPage(Page::Compare);
    });
    connect(m_tuning, &TuningPage::trialClicked, this, [this](int trial) {
        m_browser->selectTrial(trial);
        showTrialDetails(trial);
    });
    connect(m_kernels, &KernelsPage::kernelSelected, m_timeline, &TimelinePage::highlightKernel);
    connect(m_kernels, &KernelsPage::kernelActivated, this, [this](const QString& name) {
        m_timeline->highlightKernel(name);
        showPage(Page::Timeline);
        m_timeline->nextMatch();
    });
    connect(m_setup, &SetupPage::userMessage, this, &MainWindow::onMessage);
}

QAction* MainWindow::action(const QString& name) const
{
    auto it = m_actions.find(name);
    return it == m_actions.end() ? nullptr : it->second;
}

void MainWindow::buildMenus()
{
    auto add = [this](QMenu* menu, const QString& name, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = menu->addAction(text);
        a->setObjectName(name + QStringLiteral("Action"));
        if (!key.isEmpty())
            a->setShortcut(key);
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        m_actions[name] = a;
        return a;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, QStringLiteral("open"), tr("&Open study\u2026"), QKeySequence::Open, [this] { openStudyDialog(); });
    add(file, QStringLiteral("loadSpec"), tr("&Load spec (YAML)\u2026"), QKeySequence(tr("Ctrl+Shift+O")),
        [this] { m_setup->openSpecDialog(); });
    add(file, QStringLiteral("saveSpec"), tr("&Save spec (YAML)\u2026"), QKeySequence::Save,
        [this] { m_setup->saveSpecDialog(); });
    file->addSeparator();
    add(file, QStringLiteral("export"), tr("&Export\u2026"), QKeySequence(tr("Ctrl+E")),
        [this] { showPage(Page::Export); });
    file->addSeparator();
    add(file, QStringLiteral("quit"), tr("&Quit"), QKeySequence::Quit, [] { QApplication::closeAllWindows(); });

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    add(run, QStringLiteral("run"), tr("&Run study"), QKeySequence(Qt::Key_F5), [this] {
        showPage(Page::Tuning);
        m_setup->run();
    });
    add(run, QStringLiteral("pause"), tr("&Pause / resume"), QKeySequence(Qt::Key_F6),
        [this] { m_setup->pauseOrResume(); });
    add(run, QStringLiteral("stop"), tr("&Stop after the running trial"), QKeySequence(Qt::SHIFT | Qt::Key_F5),
        [this] { m_setup->stop(); });
    add(run, QStringLiteral("stopNow"), tr("Stop &now (abandon the running trial)"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F5), [this] { m_setup->stopNow(); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList names {
        tr("&Setup"), tr("&Tuning"), tr("T&imeline"), tr("&Kernels"), tr("&Compare"), tr("&Export")};
    for (int i = 0; i < names.size(); ++i)
        add(view, QStringLiteral("page%1").arg(i + 1), names[i], QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)),
            [this, i] { m_pages->setCurrentIndex(i); });
    view->addSeparator();
    add(view, QStringLiteral("find"), tr("&Find in timeline"), QKeySequence::Find, [this] {
        showPage(Page::Timeline);
        m_timeline->focusSearch();
    });
    add(view, QStringLiteral("findNext"), tr("Next match"), QKeySequence(Qt::Key_F3),
        [this] { m_timeline->nextMatch(); });
    add(view, QStringLiteral("findPrevious"), tr("Previous match"), QKeySequence(Qt::SHIFT | Qt::Key_F3),
        [this] { m_timeline->previousMatch(); });
    add(view, QStringLiteral("filterTrials"), tr("Filter trials"), QKeySequence(tr("Ctrl+L")), [this] {
        m_browser->filterField()->setFocus();
        m_browser->filterField()->selectAll();
    });
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());
    QMenu* theme = view->addMenu(tr("T&heme"));
    auto* group = new QActionGroup(this);
    const std::pair<ThemeChoice, QString> themes[] = {{ThemeChoice::FollowDesktop, tr("Follow the desktop")},
        {ThemeChoice::Light, tr("Light")}, {ThemeChoice::Dark, tr("Dark")}};
    for (const auto& [choice, label] : themes) {
        QAction* a = theme->addAction(label);
        a->setCheckable(true);
        a->setChecked(currentThemeChoice() == choice);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [this, c = choice] {
            applyTheme(c);
            QSettings().setValue(QStringLiteral("theme"), static_cast<int>(c));
        });
    }
    add(view, QStringLiteral("resetLayout"), tr("&Reset layout"), QKeySequence(),
        [this] { restoreState(m_defaultState); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    add(help, QStringLiteral("shortcuts"), tr("&Keyboard shortcuts"), QKeySequence(Qt::Key_F1),
        [this] { showShortcuts(); });
    m_aboutAction
        = add(help, QStringLiteral("about"), tr("&About Lepton Workbench"), QKeySequence(), [this] { showAbout(); });
    m_aboutAction->setObjectName(QStringLiteral("aboutAction"));
}

void MainWindow::connectController()
{
    connect(m_controller, &StudyController::studyChanged, this, &MainWindow::onStudy);
    connect(m_controller, &StudyController::insightsChanged, m_tuning, &TuningPage::setInsights);
    connect(m_controller, &StudyController::trialProgressChanged, m_tuning, &TuningPage::setProgress);
    connect(m_controller, &StudyController::timelineReady, this, [this](TimelineSnapshotPtr t) {
        m_timeline->setTimeline(t);
        m_kernels->setTimeline(t);
        statusBar()->showMessage(tr("Timeline of trial %1 loaded").arg(t ? t->trial : -1), 4000);
    });
    connect(m_controller, &StudyController::compareReady, m_compare, &ComparePage::setComparison);
    connect(m_controller, &StudyController::message, this, &MainWindow::onMessage);
    connect(m_controller, &StudyController::taskProgress, this, &MainWindow::onTask);
    connect(m_controller, &StudyController::exportFinished, this, [this](const ExportResult& r) {
        onMessage(UserMessage {r.ok ? Severity::Info : Severity::Error,
            (r.ok ? "Exported " : "Export failed: ") + r.request.path
                + (r.ok ? " (" + r.message + ")" : ": " + r.message),
            {}});
    });
    connect(m_controller, &StudyController::runStateChanged, this, [this](RunState s) {
        m_runState->setText(qs(runStateName(s)));
        // A study that starts running is watched on the Tuning page.
        if (s == RunState::Running && currentPage() == Page::Setup)
            showPage(Page::Tuning);
    });
}

void MainWindow::onStudy(StudySnapshotPtr study)
{
    if (!study || !m_study || study->name != m_study->name || study->path != m_study->path)
        m_details->setHtml(tr("<p style='color:gray'>Select a trial to see its configuration and measurements.</p>"));
    // The previous snapshot is released on a pool thread once every page has let go of it:
    // freeing 10,000 trials costs the GUI thread ~10 ms otherwise.
    StudySnapshotPtr previous = std::exchange(m_study, study);
    m_browser->setStudy(study);
    m_tuning->setStudy(study);
    m_timeline->setStudy(study);
    m_compare->setStudy(study);
    m_export->setStudy(study);
    if (study)
        setWindowTitle(QStringLiteral("%1 \u2014 Lepton Workbench").arg(qs(study->name)));
    const int selected = m_browser->selectedTrial();
    if (selected >= 0)
        showTrialDetails(selected);
    releaseOffThread(std::move(previous));
}

void MainWindow::onMessage(const UserMessage& message)
{
    const QString when = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    auto* item = new QListWidgetItem(QStringLiteral("%1  %2").arg(when, qs(message.text)));
    if (!message.detail.empty())
        item->setToolTip(qs(message.detail));
    if (message.severity == Severity::Error)
        item->setForeground(QColor(0xd9, 0x3f, 0x3f));
    else if (message.severity == Severity::Warning)
        item->setForeground(QColor(0xc0, 0x8a, 0x1c));
    m_messages->addItem(item);
    m_messages->scrollToBottom();
    m_messageBar->show(message);
}

void MainWindow::onTask(const TaskProgress& task)
{
    if (task.finished)
        m_tasks.erase(task.taskId);
    else
        m_tasks[task.taskId] = task;
    const bool busy = !m_tasks.empty();
    m_taskLabel->setVisible(busy);
    m_taskBar->setVisible(busy);
    m_taskCancel->setVisible(busy);
    if (!busy)
        return;
    const TaskProgress& t = m_tasks.rbegin()->second;
    m_taskLabel->setText(qs(t.label) + (m_tasks.size() > 1 ? tr(" (+%1 more)").arg(m_tasks.size() - 1) : QString()));
    if (t.fraction < 0)
        m_taskBar->setRange(0, 0);
    else {
        m_taskBar->setRange(0, 1000);
        m_taskBar->setValue(static_cast<int>(t.fraction * 1000));
    }
    m_taskCancel->setEnabled(t.cancellable);
}

void MainWindow::showTrialDetails(int trial)
{
    if (!m_study)
        return;
    for (const auto& t : m_study->trials)
        if (t.number == trial) {
            m_details->setHtml(trialDetailsHtml(*m_study, t));
            return;
        }
}

void MainWindow::openTrialTimeline(int trial)
{
    showPage(Page::Timeline);
    m_timeline->loadTrial(trial);
}

void MainWindow::showPage(Page page)
{
    m_pages->setCurrentIndex(static_cast<int>(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return static_cast<Page>(m_pages->currentIndex());
}

QString MainWindow::visibleMessage() const
{
    return m_messageBar->text();
}

int MainWindow::messageCount() const
{
    return m_messages->count();
}

void MainWindow::openStudyDialog()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open study"), QString(), tr("Study files (*.lwb);;All files (*)"));
    if (!path.isEmpty())
        m_controller->openStudy(path);
}

void MainWindow::showAbout()
{
    QMessageBox box(QMessageBox::Information, tr("About Lepton Workbench"), aboutText(), QMessageBox::Ok, this);
    box.setObjectName(QStringLiteral("aboutDialog"));
    box.exec();
}

void MainWindow::showShortcuts()
{
    QString html = tr("<table cellpadding=3>");
    for (const auto& [name, a] : m_actions)
        if (!a->shortcut().isEmpty())
            html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                        .arg(a->shortcut().toString(QKeySequence::NativeText), a->text().remove(QLatin1Char('&')));
    html += tr(
        "<tr><td colspan=2><br><b>Timeline</b></td></tr>"
        "<tr><td>drag</td><td>pan</td></tr><tr><td>wheel</td><td>zoom at the cursor</td></tr>"
        "<tr><td>Shift+drag, right-drag</td><td>select a range</td></tr><tr><td>Z</td><td>zoom to the "
        "selection</td></tr>"
        "<tr><td>F, Home</td><td>fit the whole trace</td></tr><tr><td>+ / -</td><td>zoom in / out</td></tr>"
        "<tr><td>\u2190 \u2192</td><td>pan</td></tr><tr><td>double-click</td><td>zoom into an item</td></tr></table>");
    QMessageBox box(QMessageBox::NoIcon, tr("Keyboard shortcuts"), html, QMessageBox::Ok, this);
    box.setObjectName(QStringLiteral("shortcutsDialog"));
    box.exec();
}

void MainWindow::saveLayout() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/page"), m_pages->currentIndex());
}

void MainWindow::restoreLayout()
{
    QSettings s;
    if (s.contains(QStringLiteral("window/geometry")))
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    if (s.contains(QStringLiteral("window/state")))
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    if (s.contains(QStringLiteral("window/page")))
        m_pages->setCurrentIndex(s.value(QStringLiteral("window/page")).toInt());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

} // namespace lwb::ui
