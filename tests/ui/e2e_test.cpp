// The end-to-end GUI flow (e2e_flow.h) over the demo controller. The same flow over the
// workbench service's controller, followed by `lwb check` on the exported profile, is issue 7's
// acceptance test; it is added here when that controller exists.
#include "e2e_flow.h"

#include "lwb/ui/demo_controller.h"
#include "lwb/ui/main_window.h"

#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace lwb::ui;

TEST(EndToEnd, DemoStudyFromSetupToExport)
{
    DemoOptions fast;
    fast.tickMs = 2;
    fast.ticksPerTrial = 3;
    fast.timelineRecords = 20'000;
    MainWindow w(new DemoController(fast));
    w.resize(1400, 900);
    w.show();
    QTemporaryDir dir;
    test::EndToEndOptions o;
    o.workload = QStringLiteral("mlp-train");
    o.trials = 6;
    o.timeoutMs = 20'000;
    o.profilePath = dir.filePath(QStringLiteral("tuned.json"));
    const auto r = test::runEndToEnd(w, o);
    EXPECT_TRUE(r.failure.isEmpty()) << r.failure.toStdString();
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.trials, 6);
    EXPECT_GE(r.bestTrial, 0);
    EXPECT_TRUE(r.timelineShown);
    EXPECT_TRUE(r.compared);
    EXPECT_TRUE(r.exported);
    EXPECT_TRUE(QFile::exists(o.profilePath));
}
