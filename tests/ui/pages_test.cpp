// Widget tests of the pages over the demo controller (offscreen, QTest input): a study from Setup
// to finished, inline validation, pause/resume/stop, YAML save/load, errors as messages, the
// timeline (load, search, zoom, pan, select, cancel), kernels -> timeline highlight, compare,
// export, shortcuts and the saved layout.
#include "lwb/ui/compare_page.h"
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/export_page.h"
#include "lwb/ui/kernels_page.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/setup_page.h"
#include "lwb/ui/study_browser.h"
#include "lwb/ui/study_plots.h"
#include "lwb/ui/table_models.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_page.h"
#include "lwb/ui/trial_table_model.h"
#include "lwb/ui/tuning_page.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QWheelEvent>
#include <gtest/gtest.h>

using namespace lwb::ui;

namespace {

DemoOptions fast()
{
    DemoOptions o;
    o.tickMs = 2;
    o.ticksPerTrial = 3;
    o.timelineRecords = 30'000;
    return o;
}

struct Window {
    DemoController* demo = new DemoController(fast());
    MainWindow w {demo};
    Window()
    {
        w.resize(1400, 900);
        w.show();
        QApplication::processEvents();
    }
    StudySnapshotPtr open(const QString& path)
    {
        QSignalSpy spy(demo, &StudyController::studyChanged);
        demo->openStudy(path);
        if (!QTest::qWaitFor([&] { return spy.count() > 0; }, 30000))
            return nullptr;
        return demo->study();
    }
    TimelineSnapshotPtr timeline(int trial)
    {
        QSignalSpy spy(demo, &StudyController::timelineReady);
        w.openTrialTimeline(trial);
        if (!QTest::qWaitFor([&] { return spy.count() > 0; }, 30000))
            return nullptr;
        return w.timelinePage()->timeline();
    }
};

int bestTrial(const StudySnapshot& s)
{
    return s.trials[static_cast<std::size_t>(bestTrialIndex(s, 0))].number;
}

} // namespace

TEST(SetupPage, RunsAStudyFromSetupToFinished)
{
    Window win;
    SetupPage* setup = win.w.setupPage();
    auto* trials = setup->findChild<QSpinBox*>(QStringLiteral("trials"));
    ASSERT_TRUE(trials);
    trials->setValue(8);
    setup->validateNow();
    auto* run = setup->findChild<QPushButton*>(QStringLiteral("runButton"));
    ASSERT_TRUE(run && run->isEnabled());
    QTest::mouseClick(run, Qt::LeftButton);
    EXPECT_EQ(win.demo->runState(), RunState::Running);
    EXPECT_EQ(win.w.currentPage(), MainWindow::Page::Tuning); // a started study is watched live
    EXPECT_FALSE(run->isEnabled());
    ASSERT_TRUE(QTest::qWaitFor([&] { return win.demo->runState() == RunState::Finished; }, 20000));
    ASSERT_TRUE(win.demo->study());
    EXPECT_EQ(win.demo->study()->trials.size(), 8u);
    EXPECT_TRUE(run->isEnabled());
    EXPECT_TRUE(win.w.tuningPage()->statusText().contains(QStringLiteral("Finished")));
    EXPECT_EQ(win.w.studyBrowser()->model()->rowCount(), 8);
    EXPECT_GT(win.w.tuningPage()->importanceBars(), 0);
    // The plots draw every trial they can (hits are recorded on paint).
    StudyPlot* history = win.w.tuningPage()->historyPlot();
    history->repaint();
    EXPECT_GT(history->hits().size(), 0u);
    // Clicking a point selects that trial in the browser.
    const PlotHit hit = history->hits().front();
    QTest::mouseClick(history, Qt::LeftButton, {}, hit.pos.toPoint());
    EXPECT_EQ(win.w.studyBrowser()->selectedTrial(), hit.trial);
}

TEST(SetupPage, ValidatesInlineAndBlocksRun)
{
    Window win;
    SetupPage* setup = win.w.setupPage();
    auto* name = setup->findChild<QLineEdit*>(QStringLiteral("studyName"));
    auto* run = setup->findChild<QPushButton*>(QStringLiteral("runButton"));
    name->clear();
    QTest::keyClicks(name, QStringLiteral("bad name"));
    setup->validateNow();
    EXPECT_FALSE(setup->fieldMessage(QStringLiteral("name")).isEmpty());
    EXPECT_FALSE(run->isEnabled());
    EXPECT_TRUE(
        setup->findChild<QLabel*>(QStringLiteral("validationSummary"))->text().contains(QStringLiteral("error")));
    name->clear();
    QTest::keyClicks(name, QStringLiteral("good-name"));
    // The timer validates by itself shortly after typing stops.
    EXPECT_TRUE(QTest::qWaitFor([&] { return run->isEnabled(); }, 2000));
    EXPECT_TRUE(setup->fieldMessage(QStringLiteral("name")).isEmpty());
    // A search-space problem lands in the table's Issue column.
    SetupSpec spec = setup->spec();
    for (auto& k : spec.knobs)
        if (k.name == "lr")
            k.low = -1;
    setup->setSpec(spec);
    setup->validateNow();
    EXPECT_FALSE(run->isEnabled());
    auto* table = setup->findChild<QTableView*>(QStringLiteral("searchSpaceTable"));
    bool found = false;
    for (int r = 0; r < table->model()->rowCount(); ++r)
        found |= !table->model()->index(r, SearchSpaceModel::Issue).data().toString().isEmpty();
    EXPECT_TRUE(found);
}

TEST(SetupPage, SavesAndLoadsYaml)
{
    Window win;
    SetupPage* setup = win.w.setupPage();
    QTemporaryDir dir;
    SetupSpec spec = setup->spec();
    spec.name = "yaml-check";
    spec.trials = 33;
    spec.outcomeConstraints = {"peak_memory_gb<=20"};
    setup->setSpec(spec);
    const QString path = dir.filePath(QStringLiteral("s.yaml"));
    ASSERT_TRUE(setup->saveYaml(path));
    setup->setSpec(defaultSetup(win.demo->workloads()[1]));
    EXPECT_NE(setup->spec(), spec);
    ASSERT_TRUE(setup->loadYaml(path));
    EXPECT_EQ(setup->spec(), spec);
    // A malformed file is a message in the window, and the form keeps its content.
    QFile bad(dir.filePath(QStringLiteral("bad.yaml")));
    ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
    bad.write("name: x\nworkload: gpt-train\nsearch_space: {lr: {low: 1}}\n");
    bad.close();
    EXPECT_FALSE(setup->loadYaml(bad.fileName()));
    EXPECT_TRUE(win.w.visibleMessage().contains(QStringLiteral("malformed")));
    EXPECT_EQ(setup->spec(), spec);
}

TEST(SetupPage, PauseResumeAndStopNow)
{
    Window win;
    SetupPage* setup = win.w.setupPage();
    setup->findChild<QSpinBox*>(QStringLiteral("trials"))->setValue(1000);
    setup->validateNow();
    win.w.action(QStringLiteral("run"))->trigger(); // F5
    ASSERT_EQ(win.demo->runState(), RunState::Running);
    QTest::qWait(30);
    win.w.action(QStringLiteral("pause"))->trigger(); // F6
    ASSERT_TRUE(QTest::qWaitFor([&] { return win.demo->runState() == RunState::Paused; }, 5000));
    const auto n = win.demo->study()->trials.size();
    QTest::qWait(40);
    EXPECT_EQ(win.demo->study()->trials.size(), n); // nothing runs while paused
    auto* pause = setup->findChild<QPushButton*>(QStringLiteral("pauseButton"));
    EXPECT_EQ(pause->text(), QStringLiteral("Resume"));
    QTest::mouseClick(pause, Qt::LeftButton);
    EXPECT_EQ(win.demo->runState(), RunState::Running);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            return !win.demo->study()->trials.empty() && win.demo->study()->trials.back().state == TrialState::Running;
        },
        5000));
    win.w.action(QStringLiteral("stopNow"))->trigger();
    EXPECT_EQ(win.demo->runState(), RunState::Finished);
    const auto& last = win.demo->study()->trials.back();
    EXPECT_EQ(last.state, TrialState::Failed);
    EXPECT_NE(last.failureReason.find("abandoned"), std::string::npos);
}

TEST(MainWindow, ErrorsAreMessagesNotCrashes)
{
    Window win;
    win.demo->openStudy(QStringLiteral("/no/such/study.lwb"));
    EXPECT_TRUE(win.w.visibleMessage().contains(QStringLiteral("Cannot open")));
    EXPECT_EQ(win.w.messageCount(), 1);
    win.demo->requestTimeline(12345); // no study yet
    EXPECT_TRUE(win.w.visibleMessage().contains(QStringLiteral("No trial")));
    // A window without the service explains itself too.
    MainWindow offline;
    offline.controller()->openStudy(QStringLiteral("x.lwb"));
    EXPECT_TRUE(offline.visibleMessage().contains(QStringLiteral("workbench service")));
    ExportPage* exp = offline.exportPage();
    QSignalSpy done(offline.controller(), &StudyController::exportFinished);
    exp->exportNow(ExportKind::TunedProfile);
    ASSERT_EQ(done.count(), 1);
    EXPECT_EQ(exp->results()->count(), 1);
}

TEST(TimelinePage, LoadsSearchesZoomsPansAndSelects)
{
    Window win;
    auto study = win.open(QStringLiteral("demo:40"));
    ASSERT_TRUE(study);
    auto tl = win.timeline(bestTrial(*study));
    ASSERT_TRUE(tl && tl->source);
    EXPECT_EQ(win.w.currentPage(), MainWindow::Page::Timeline);
    TimelinePage* page = win.w.timelinePage();
    TimelineView* view = page->view();
    ASSERT_EQ(view->source(), tl->source.get());
    view->repaint();
    EXPECT_GT(view->lastFrame().boxes, 0u);
    // Search highlights and counts; F3 selects the next match.
    QTest::keyClicks(page->searchField(), QStringLiteral("gemm"));
    EXPECT_TRUE(page->findChild<QLabel*>(QStringLiteral("timelineMatches"))->text().contains(QStringLiteral("match")));
    win.w.action(QStringLiteral("findNext"))->trigger();
    ASSERT_TRUE(view->selectedItem());
    EXPECT_NE(tl->source->name(view->selectedItem()->nameId).find("gemm"), std::string_view::npos);
    const auto* first = view->selectedItem();
    win.w.action(QStringLiteral("findNext"))->trigger();
    EXPECT_GT(view->selectedItem()->startNs, first->startNs - 1);
    EXPECT_NE(view->selectedItem(), first);
    // Wheel zoom keeps the time under the cursor.
    view->fitAll();
    const QPointF at(300, 120);
    const double before = view->mapping().timeForX(at.x());
    const double scale = view->mapping().nsPerPx();
    QWheelEvent wheel(
        at, view->mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view, &wheel);
    EXPECT_LT(view->mapping().nsPerPx(), scale);
    EXPECT_NEAR(view->mapping().timeForX(at.x()), before, view->mapping().nsPerPx());
    // Drag pans.
    const double start = view->mapping().startNs();
    QTest::mousePress(view, Qt::LeftButton, {}, QPoint(400, 200));
    QTest::mouseMove(view, QPoint(300, 200));
    QTest::mouseRelease(view, Qt::LeftButton, {}, QPoint(300, 200));
    EXPECT_NEAR(view->mapping().startNs() - start, 100 * view->mapping().nsPerPx(), view->mapping().nsPerPx());
    // Shift+drag selects a range; Zoom to selection shows exactly it.
    const double t0 = view->mapping().timeForX(200), t1 = view->mapping().timeForX(500);
    QTest::mousePress(view, Qt::LeftButton, Qt::ShiftModifier, QPoint(200, 200));
    QTest::mouseMove(view, QPoint(500, 200));
    QTest::mouseRelease(view, Qt::LeftButton, Qt::ShiftModifier, QPoint(500, 200));
    ASSERT_TRUE(view->selection().has_value());
    auto* zoomSel = page->findChild<QToolButton*>(QStringLiteral("zoomToSelection"));
    ASSERT_TRUE(zoomSel->isEnabled());
    QTest::mouseClick(zoomSel, Qt::LeftButton);
    EXPECT_NEAR(view->mapping().startNs(), t0, (t1 - t0) * 1e-6);
    EXPECT_NEAR(view->mapping().endNs(), t1, (t1 - t0) * 1e-6);
    EXPECT_FALSE(view->selection().has_value());
    // F fits the whole trace again.
    QTest::keyClick(view, Qt::Key_F);
    EXPECT_LE(view->mapping().startNs(), tl->source->timeRange().startNs);
    EXPECT_GE(view->mapping().endNs(), tl->source->timeRange().endNs);
    // Clicking a box selects it and shows its details.
    view->setVisibleRange(tl->source->timeRange().startNs, tl->source->timeRange().startNs + 2e6);
    view->repaint();
    const auto& boxes = view->drawList().boxes;
    const DrawBox* single = nullptr;
    for (const auto& b : boxes)
        if (b.count == 1 && b.x1 - b.x0 > 6 && b.x0 > 0)
            single = &b;
    ASSERT_TRUE(single);
    const int y = static_cast<int>(view->layout().rowTop(single->row) + 26 + view->layout().laneHeight() / 2);
    const TimelineItem* expected = single->item;
    QTest::mouseClick(view, Qt::LeftButton, {}, QPoint(static_cast<int>((single->x0 + single->x1) / 2), y));
    EXPECT_EQ(view->selectedItem(), expected);
    EXPECT_FALSE(page->findChild<QLabel*>(QStringLiteral("timelineDetails"))->text().isEmpty());
}

TEST(TimelinePage, LoadingCanBeCancelled)
{
    DemoOptions slow = fast();
    slow.timelineRecords = 3'000'000; // long enough to cancel
    auto* demo = new DemoController(slow);
    MainWindow w(demo);
    w.show();
    QSignalSpy opened(demo, &StudyController::studyChanged);
    demo->openStudy(QStringLiteral("demo:20"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return opened.count() > 0; }, 20000));
    QSignalSpy ready(demo, &StudyController::timelineReady);
    QSignalSpy tasks(demo, &StudyController::taskProgress);
    w.openTrialTimeline(bestTrial(*demo->study()));
    auto* cancel = w.findChild<QToolButton*>(QStringLiteral("taskCancel"));
    ASSERT_TRUE(cancel && cancel->isVisible()); // progress shows while loading
    QTest::mouseClick(cancel, Qt::LeftButton);
    ASSERT_TRUE(QTest::qWaitFor([&] { return !cancel->isVisible(); }, 20000));
    EXPECT_EQ(ready.count(), 0);
    EXPECT_TRUE(w.visibleMessage().contains(QStringLiteral("cancelled")));
    EXPECT_EQ(w.timelinePage()->view()->source(), nullptr);
}

TEST(KernelsPage, SelectingARowHighlightsTheTimeline)
{
    Window win;
    auto study = win.open(QStringLiteral("demo:30"));
    ASSERT_TRUE(study);
    ASSERT_TRUE(win.timeline(bestTrial(*study)));
    KernelsPage* kernels = win.w.kernelsPage();
    win.w.showPage(MainWindow::Page::Kernels);
    QTableView* table = kernels->table();
    ASSERT_GT(table->model()->rowCount(), 5);
    QTest::keyClicks(kernels->filterField(), QStringLiteral("flash"));
    ASSERT_GT(table->model()->rowCount(), 0);
    for (int r = 0; r < table->model()->rowCount(); ++r)
        EXPECT_TRUE(table->model()->index(r, 0).data().toString().contains(QStringLiteral("flash")));
    table->selectRow(0);
    const QString name = table->model()->index(0, 0).data().toString();
    const QString matches = win.w.timelinePage()->findChild<QLabel*>(QStringLiteral("timelineMatches"))->text();
    const qlonglong count = table->model()->index(0, KernelSummaryModel::Count).data(kSortRole).toLongLong();
    EXPECT_TRUE(matches.contains(QLocale().toString(count))) << matches.toStdString() << " vs " << count;
    EXPECT_EQ(win.w.timelinePage()->searchField()->text(), name);
    // Double-click jumps to the timeline with an occurrence selected.
    const QPoint cell = table->visualRect(table->model()->index(0, 0)).center();
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell);
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell);
    EXPECT_EQ(win.w.currentPage(), MainWindow::Page::Timeline);
    ASSERT_TRUE(win.w.timelinePage()->view()->selectedItem());
    EXPECT_EQ(QString::fromUtf8(
                  win.w.timelinePage()->view()->source()->name(win.w.timelinePage()->view()->selectedItem()->nameId)),
        name);
}

TEST(ComparePage, ExplainsTheDifferenceWithRowsThatAddUp)
{
    Window win;
    auto study = win.open(QStringLiteral("demo:40"));
    ASSERT_TRUE(study);
    int a = -1;
    for (const auto& t : study->trials)
        if (t.state == TrialState::Complete && t.number != bestTrial(*study)) {
            a = t.number;
            break;
        }
    QSignalSpy spy(win.demo, &StudyController::compareReady);
    win.w.comparePage()->compare(a, bestTrial(*study));
    ASSERT_EQ(spy.count(), 1);
    auto cmp = spy[0][0].value<CompareSnapshotPtr>();
    double sum = cmp->otherNs;
    for (const auto& d : cmp->deltas)
        sum += d.deltaNs();
    EXPECT_NEAR(sum, cmp->stepNsB - cmp->stepNsA, 1e-6 * std::fabs(cmp->stepNsA));
    for (std::size_t i = 1; i < cmp->deltas.size(); ++i)
        EXPECT_GE(std::fabs(cmp->deltas[i - 1].deltaNs()), std::fabs(cmp->deltas[i].deltaNs()));
    ComparePage* page = win.w.comparePage();
    EXPECT_EQ(page->configModel()->rowCount(), static_cast<int>(study->params.size()));
    EXPECT_EQ(page->deltaModel()->rowCount(), static_cast<int>(cmp->deltas.size()) + 2); // + other + total
    EXPECT_TRUE(page->summaryText().contains(QStringLiteral("explain")));
    // The browser's context action goes through the same path.
    QSignalSpy spy2(win.demo, &StudyController::compareReady);
    emit win.w.studyBrowser()->compareRequested(bestTrial(*study), a);
    EXPECT_EQ(spy2.count(), 1);
    EXPECT_EQ(win.w.currentPage(), MainWindow::Page::Compare);
}

TEST(ExportPage, WritesAProfileThroughTheController)
{
    Window win;
    auto study = win.open(QStringLiteral("demo:25"));
    ASSERT_TRUE(study);
    win.w.action(QStringLiteral("export"))->trigger(); // Ctrl+E
    EXPECT_EQ(win.w.currentPage(), MainWindow::Page::Export);
    ExportPage* page = win.w.exportPage();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("tuned.json"));
    page->pathField(ExportKind::TunedProfile)->setText(path);
    QTest::mouseClick(page->findChild<QPushButton*>(QStringLiteral("exportButton0")), Qt::LeftButton);
    ASSERT_TRUE(QTest::qWaitFor([&] { return page->results()->count() > 0; }, 10000));
    EXPECT_TRUE(page->results()->item(0)->data(Qt::UserRole).toBool());
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
    EXPECT_EQ(doc.value(QStringLiteral("format")).toString(), QStringLiteral("lwb-tuned-profile"));
    EXPECT_EQ(doc.value(QStringLiteral("configurations")).toArray().size(), 1);
    // A path that cannot be written fails visibly.
    page->pathField(ExportKind::HtmlReport)->setText(QStringLiteral("/proc/nope/report.html"));
    page->exportNow(ExportKind::HtmlReport);
    ASSERT_TRUE(QTest::qWaitFor([&] { return page->results()->count() > 1; }, 10000));
    EXPECT_FALSE(page->results()->item(0)->data(Qt::UserRole).toBool());
    EXPECT_TRUE(win.w.visibleMessage().contains(QStringLiteral("Export failed")));
}

TEST(StudyBrowser, TenThousandTrialsFilterAndSelect)
{
    Window win;
    auto study = win.open(QStringLiteral("demo:10000"));
    ASSERT_TRUE(study);
    StudyBrowser* b = win.w.studyBrowser();
    EXPECT_EQ(b->proxy()->rowCount(), 10'000);
    b->stateFilter()->setCurrentIndex(b->stateFilter()->findData(static_cast<int>(TrialState::Pruned)));
    for (int r = 0; r < b->proxy()->rowCount(); ++r)
        ASSERT_EQ(
            b->proxy()->index(r, 0).data(TrialTableModel::StateRole).toInt(), static_cast<int>(TrialState::Pruned));
    b->stateFilter()->setCurrentIndex(0);
    win.w.action(QStringLiteral("filterTrials"))->trigger(); // Ctrl+L
    EXPECT_TRUE(b->filterField()->hasFocus() || !win.w.isActiveWindow());
    QTest::keyClicks(b->filterField(), QStringLiteral("precision=bf16"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return b->proxy()->rowCount() < 10'000; }, 2000));
    b->selectTrial(bestTrial(*study));
    EXPECT_EQ(b->selectedTrial(), bestTrial(*study));
}

TEST(MainWindow, ShortcutsSwitchPages)
{
    Window win;
    win.w.activateWindow();
    for (int i = 0; i < 6; ++i) {
        win.w.action(QStringLiteral("page%1").arg(i + 1))->trigger();
        EXPECT_EQ(static_cast<int>(win.w.currentPage()), i);
        EXPECT_EQ(win.w.action(QStringLiteral("page%1").arg(i + 1))->shortcut(),
            QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)));
    }
    EXPECT_EQ(win.w.action(QStringLiteral("run"))->shortcut(), QKeySequence(Qt::Key_F5));
    EXPECT_EQ(win.w.action(QStringLiteral("find"))->shortcut(), QKeySequence(QKeySequence::Find));
    EXPECT_EQ(win.w.action(QStringLiteral("open"))->shortcut(), QKeySequence(QKeySequence::Open));
}

TEST(MainWindow, LayoutIsSavedAndRestored)
{
    {
        Window win;
        auto* dock = win.w.findChild<QDockWidget*>(QStringLiteral("trialDock"));
        ASSERT_TRUE(dock && dock->isVisible());
        dock->hide();
        win.w.showPage(MainWindow::Page::Compare);
        win.w.close(); // saves
    }
    Window again;
    again.w.restoreLayout();
    EXPECT_FALSE(again.w.findChild<QDockWidget*>(QStringLiteral("trialDock"))->isVisible());
    EXPECT_EQ(again.w.currentPage(), MainWindow::Page::Compare);
    again.w.action(QStringLiteral("resetLayout"))->trigger();
    EXPECT_TRUE(again.w.findChild<QDockWidget*>(QStringLiteral("trialDock"))->isVisible());
}

TEST(Theme, LightAndDarkPalettes)
{
    applyTheme(ThemeChoice::Dark);
    EXPECT_TRUE(isDark(QApplication::palette()));
    EXPECT_TRUE(PlotStyle::fromPalette(QApplication::palette()).dark);
    applyTheme(ThemeChoice::Light);
    EXPECT_FALSE(isDark(QApplication::palette()));
    EXPECT_EQ(currentThemeChoice(), ThemeChoice::Light);
    // Names keep their colour across calls (same kernel, same colour everywhere).
    EXPECT_EQ(colorForName("gemm", false), colorForName("gemm", false));
    EXPECT_NE(colorForName("gemm", false), colorForName("softmax", false));
}
