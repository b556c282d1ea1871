// Screenshot tour (see screenshot_tour.h). Waits on the controller's signals with a bounded
// local event loop, so a slow machine takes longer but never captures a half-loaded page.
#include "lwb/ui/screenshot_tour.h"

#include "lwb/ui/compare_page.h"
#include "lwb/ui/export_page.h"
#include "lwb/ui/kernels_page.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/study_browser.h"
#include "lwb/ui/table_models.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_page.h"
#include "lwb/ui/tuning_page.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QListWidget>
#include <QPixmap>
#include <QTabWidget>
#include <QTableView>
#include <QThread>

#include <cstdio>
#include <functional>

namespace {

bool waitFor(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(10);
    }
    return true;
}

void settle(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QApplication::processEvents(QEventLoop::AllEvents, 20);
}

} // namespace

namespace lwb::ui {

int runScreenshotTour(MainWindow& w, const QString& study, const QString& paretoStudy, const QString& dir)
{
    QDir().mkpath(dir);
    int written = 0;
    auto shot = [&](const QString& name) {
        settle(400);
        const QString path = QDir(dir).filePath(name + QStringLiteral(".png"));
        if (w.grab().save(path)) {
            ++written;
            std::printf("wrote %s\n", qPrintable(path));
        } else {
            std::fprintf(stderr, "could not write %s\n", qPrintable(path));
        }
    };
    auto* controller = w.controller();
    auto openAndWait = [&](const QString& what) {
        lwb::ui::StudySnapshotPtr seen;
        auto c = QObject::connect(
            controller, &lwb::ui::StudyController::studyChanged, &w, [&](lwb::ui::StudySnapshotPtr s) { seen = s; });
        controller->openStudy(what);
        const bool ok = waitFor([&] { return seen != nullptr; }, 60000);
        QObject::disconnect(c);
        return ok ? seen : nullptr;
    };

    // 1. Setup.
    w.showPage(MainWindow::Page::Setup);
    shot(QStringLiteral("setup"));

    // 2. A finished study: browser, tuning plots.
    auto s = openAndWait(study);
    if (!s)
        return -1;
    const int best = lwb::ui::bestTrialIndex(*s, 0);
    const int bestTrial = best >= 0 ? s->trials[static_cast<std::size_t>(best)].number : 0;
    w.studyBrowser()->table()->sortByColumn(2, Qt::DescendingOrder);
    w.studyBrowser()->selectTrial(bestTrial);
    if (auto* param = w.tuningPage()->findChild<QComboBox*>(QStringLiteral("sliceParam")))
        param->setCurrentText(QStringLiteral("batch_size"));
    w.tuningPage()->showTrialCurve(bestTrial);
    w.showPage(MainWindow::Page::Tuning);
    shot(QStringLiteral("tuning"));

    // 3. Timeline of the best trial: overview, then zoomed into one step with a search.
    lwb::ui::TimelineSnapshotPtr timeline;
    auto c = QObject::connect(controller, &lwb::ui::StudyController::timelineReady, &w,
        [&](lwb::ui::TimelineSnapshotPtr t) { timeline = t; });
    w.openTrialTimeline(bestTrial);
    if (!waitFor([&] { return timeline != nullptr; }, 120000))
        return -1;
    QObject::disconnect(c);
    settle(200);
    shot(QStringLiteral("timeline-overview"));
    auto* view = w.timelinePage()->view();
    const auto range = timeline->source->timeRange();
    const double span = static_cast<double>(range.durationNs());
    // The start of the second step's backward pass: kernels wide enough to read their names.
    double focus = range.startNs + span * 0.2;
    const std::uint32_t backward = timeline->source->findName("backward");
    int seen = 0;
    for (const auto& lane : timeline->source->query(0, range.startNs, range.endNs + 1).lanes)
        for (const auto& item : lane)
            if (item.nameId == backward && ++seen == 2)
                focus = static_cast<double>(item.startNs);
    // Demo traces have "backward" markers and gemm kernels; a real trace: zoom into the first
    // step and search for its most expensive op.
    const bool demoTrace = backward != lwb::ui::TimelineSource::kNoName;
    const double window = demoTrace ? 220'000.0 : span * 0.15;
    if (!demoTrace)
        focus = range.startNs + span * 0.04;
    view->setVisibleRange(focus, focus + window);
    QString search = QStringLiteral("gemm");
    if (!demoTrace && timeline->kernels && !timeline->kernels->rows.empty())
        search = QString::fromStdString(timeline->kernels->rows.front().name);
    w.timelinePage()->searchField()->setText(search);
    // Select the first visible launch so its flow line to the kernel shows.
    settle(100);
    for (const auto& b : view->drawList().boxes)
        if (b.count == 1 && b.item->correlation != 0 && b.x0 > 300 && b.x1 - b.x0 > 8) {
            bool hasKernel = false;
            for (const auto& k : view->drawList().boxes)
                hasKernel |= k.item != b.item && k.count == 1 && k.item->correlation == b.item->correlation;
            if (hasKernel) {
                view->selectItem(b.item, b.track);
                break;
            }
        }
    shot(QStringLiteral("timeline"));

    // 4. Kernels with the top row selected (its occurrences highlight on the timeline).
    w.timelinePage()->searchField()->clear();
    w.showPage(MainWindow::Page::Kernels);
    auto* table = w.kernelsPage()->table();
    table->selectRow(0);
    shot(QStringLiteral("kernels"));

    // 5. Compare the best trial with its nearest completed neighbour (fewest differing params),
    //    the comparison people make when they ask "why is this one faster?".
    //    Prefer a neighbour that differs in precision: the explanation then has something to say.
    int first = -1, fewest = 1 << 30;
    const auto& bestParams = s->trials[static_cast<std::size_t>(best)].params;
    for (const auto& t : s->trials) {
        if (t.state != TrialState::Complete || t.number == bestTrial)
            continue;
        int diff = 0;
        for (const auto& [k, v] : t.params)
            diff += bestParams.count(k) == 0 || !(bestParams.at(k) == v);
        const bool precisionDiffers = t.params.count("precision") && bestParams.count("precision")
            && !(t.params.at("precision") == bestParams.at("precision"));
        const int score = diff - (precisionDiffers ? 100 : 0);
        if (diff > 0 && score < fewest) {
            fewest = score;
            first = t.number;
        }
    }
    lwb::ui::CompareSnapshotPtr cmp;
    c = QObject::connect(
        controller, &lwb::ui::StudyController::compareReady, &w, [&](lwb::ui::CompareSnapshotPtr x) { cmp = x; });
    w.comparePage()->compare(first, bestTrial);
    w.showPage(MainWindow::Page::Compare);
    waitFor([&] { return cmp != nullptr; }, 60000);
    QObject::disconnect(c);
    shot(QStringLiteral("compare"));

    // 6. Export a tuned profile into a scratch folder.
    w.showPage(MainWindow::Page::Export);
    const QString scratch = QDir::temp().filePath(QStringLiteral("lwb-screenshots"));
    QDir().mkpath(scratch);
    w.exportPage()->pathField(lwb::ui::ExportKind::TunedProfile)->setText(scratch + QStringLiteral("/tuned.json"));
    w.exportPage()->pathField(lwb::ui::ExportKind::HtmlReport)->setText(scratch + QStringLiteral("/report.html"));
    w.exportPage()->pathField(lwb::ui::ExportKind::ChromeTrace)->setText(scratch + QStringLiteral("/trace.json"));
    w.exportPage()->exportNow(lwb::ui::ExportKind::TunedProfile);
    waitFor([&] { return w.exportPage()->results()->count() > 0; }, 30000);
    shot(QStringLiteral("export"));

    // 7. Multi-objective study: Pareto front, in the dark theme.
    if (!paretoStudy.isEmpty()) {
        lwb::ui::applyTheme(lwb::ui::ThemeChoice::Dark);
        if (openAndWait(paretoStudy)) {
            w.showPage(MainWindow::Page::Tuning);
            shot(QStringLiteral("tuning-pareto-dark"));
        }
        lwb::ui::applyTheme(lwb::ui::ThemeChoice::Light);
    }
    return written;
}

} // namespace lwb::ui
