// runEndToEnd (see e2e_flow.h): only public widgets and QTest input, so it exercises what a user
// does and holds for any controller that keeps the StudyController contract.
#include "e2e_flow.h"

#include "lwb/ui/compare_page.h"
#include "lwb/ui/export_page.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/setup_page.h"
#include "lwb/ui/study_browser.h"
#include "lwb/ui/table_models.h"
#include "lwb/ui/timeline_page.h"

#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

namespace lwb::ui::test {

EndToEndResult runEndToEnd(MainWindow& w, const EndToEndOptions& o)
{
    EndToEndResult r;
    StudyController* c = w.controller();
    // 1. Setup: workload, a small budget, Run.
    w.showPage(MainWindow::Page::Setup);
    SetupPage* setup = w.setupPage();
    auto* workload = setup->findChild<QComboBox*>(QStringLiteral("workloadCombo"));
    if (!o.workload.isEmpty()) {
        const int i = workload->findText(o.workload);
        if (i < 0) {
            r.failure = QStringLiteral("workload %1 is not offered").arg(o.workload);
            return r;
        }
        workload->setCurrentIndex(i);
    }
    auto* name = setup->findChild<QLineEdit*>(QStringLiteral("studyName"));
    name->clear();
    QTest::keyClicks(name, QStringLiteral("e2e-study"));
    setup->findChild<QSpinBox*>(QStringLiteral("trials"))->setValue(o.trials);
    setup->validateNow();
    auto* run = setup->findChild<QPushButton*>(QStringLiteral("runButton"));
    if (!run->isEnabled()) {
        r.failure = QStringLiteral("Run is disabled: ") + w.visibleMessage();
        return r;
    }
    QTest::mouseClick(run, Qt::LeftButton);
    r.finished = QTest::qWaitFor([&] { return c->runState() == RunState::Finished; }, o.timeoutMs);
    if (!r.finished || !c->study()) {
        r.failure = QStringLiteral("the study did not finish: ") + w.visibleMessage();
        return r;
    }
    const auto study = c->study();
    r.trials = static_cast<int>(study->trials.size());
    const int best = bestTrialIndex(*study, 0);
    if (best < 0) {
        r.failure = QStringLiteral("no trial completed");
        return r;
    }
    r.bestTrial = study->trials[static_cast<std::size_t>(best)].number;

    // 2. The best trial's timeline: double-click it in the study browser.
    StudyBrowser* browser = w.studyBrowser();
    browser->selectTrial(r.bestTrial);
    QTableView* table = browser->table();
    const QPoint cell = table->visualRect(table->currentIndex()).center();
    QSignalSpy timeline(c, &StudyController::timelineReady);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell);
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell);
    r.timelineShown = QTest::qWaitFor([&] { return timeline.count() > 0; }, o.timeoutMs)
        && w.currentPage() == MainWindow::Page::Timeline && w.timelinePage()->view()->source() != nullptr;
    if (!r.timelineShown) {
        r.failure = QStringLiteral("no timeline for trial %1: ").arg(r.bestTrial) + w.visibleMessage();
        return r;
    }

    // 3. Compare: the first completed trial against the best.
    int other = -1;
    for (const auto& t : study->trials)
        if (t.state == TrialState::Complete && t.number != r.bestTrial) {
            other = t.number;
            break;
        }
    if (other >= 0) {
        QSignalSpy compared(c, &StudyController::compareReady);
        w.comparePage()->compare(other, r.bestTrial);
        w.showPage(MainWindow::Page::Compare);
        r.compared = QTest::qWaitFor([&] { return compared.count() > 0; }, o.timeoutMs)
            && w.comparePage()->deltaModel()->rowCount() > 0;
        if (!r.compared) {
            r.failure = QStringLiteral("no comparison: ") + w.visibleMessage();
            return r;
        }
    }

    // 4. Export the tuned profile (the path is typed: no file dialog in a test).
    w.showPage(MainWindow::Page::Export);
    ExportPage* exp = w.exportPage();
    exp->pathField(ExportKind::TunedProfile)->setText(o.profilePath);
    const int before = exp->results()->count();
    QTest::mouseClick(exp->findChild<QPushButton*>(QStringLiteral("exportButton0")), Qt::LeftButton);
    if (!QTest::qWaitFor([&] { return exp->results()->count() > before; }, o.timeoutMs)) {
        r.failure = QStringLiteral("the export never finished");
        return r;
    }
    r.exported = exp->results()->item(0)->data(Qt::UserRole).toBool();
    if (!r.exported)
        r.failure = QStringLiteral("export failed: ") + exp->results()->item(0)->text();
    return r;
}

} // namespace lwb::ui::test
