// Issue 7's acceptance flow over the real workbench service: the end-to-end GUI flow (Setup ->
// a short CPU study run in-process -> the best trial's timeline -> Compare -> export) through
// WorkbenchController, then `lwb check` (a separate process) accepts the exported profile. Also:
// the GUI follows a study file that another process is writing.
#include "e2e_flow.h"

#include "lwb/core/subprocess.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/workbench_controller.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <gtest/gtest.h>
#include <thread>

using namespace lwb::ui;

TEST(ServiceEndToEnd, CpuStudyFromSetupToCheckedProfile)
{
    QTemporaryDir dir;
    const QString previous = QDir::currentPath();
    QDir::setCurrent(dir.path()); // the Setup page's default storage is ./<name>.lwb
    {
        MainWindow w(new WorkbenchController);
        w.resize(1400, 900);
        w.show();
        test::EndToEndOptions o;
        o.workload = QStringLiteral("mlp-train");
        o.trials = 3;
        o.timeoutMs = 180'000;
        o.profilePath = dir.filePath(QStringLiteral("tuned.json"));
        const auto r = test::runEndToEnd(w, o);
        EXPECT_TRUE(r.failure.isEmpty()) << r.failure.toStdString();
        EXPECT_TRUE(r.finished);
        EXPECT_EQ(r.trials, 3);
        EXPECT_TRUE(r.timelineShown);
        EXPECT_TRUE(r.compared);
        ASSERT_TRUE(r.exported);
        ASSERT_TRUE(QFile::exists(o.profilePath));
    }
    QDir::setCurrent(previous);

    lwb::SubprocessOptions options;
    options.timeoutSeconds = 300;
    auto check = lwb::runSubprocess({LWB_CLI_PATH, "check", dir.filePath(QStringLiteral("tuned.json")).toStdString(),
                                        "--fail-on", "samples_per_s:-50%"},
        options);
    ASSERT_TRUE(check) << check.error().describe();
    // Accepted: parsed, re-measured and compared (0 same/faster, 1 slower, 6 too noisy), not a
    // usage error (4), an internal error (3) or an environment mismatch (7).
    EXPECT_TRUE(check->exitCode == 0 || check->exitCode == 1 || check->exitCode == 6) << check->describe() << "\n"
                                                                                      << check->out << check->err;
    EXPECT_NE(check->out.find("| samples_per_s |"), std::string::npos) << check->out;
}

TEST(ServiceEndToEnd, FollowsAStudyFileWhileLwbTuneWritesIt)
{
    QTemporaryDir dir;
    const QString spec = dir.filePath(QStringLiteral("s.yaml"));
    const QString storage = dir.filePath(QStringLiteral("s.lwb"));
    QFile file(spec);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("name: followed\nworkload: command\nsearch_space:\n  x: [1, 2, 3, 4, 5, 6]\n"
                              "objectives: [v:max]\nbudget: {trials: 6}\nsampler: grid\n"
                              "measurement: {warmup: 0, min_samples: 1, max_samples: 1}\nstorage: %1\n"
                              "command:\n  argv: [sh, -c, 'sleep 0.4; echo \"{\\\"v\\\": $1}\"', sh, \"{x}\"]\n")
                   .arg(storage)
                   .toUtf8());
    file.close();

    WorkbenchController controller;
    controller.setPollInterval(100);
    std::vector<int> trialCounts;
    QObject::connect(&controller, &StudyController::studyChanged,
        [&](StudySnapshotPtr s) { trialCounts.push_back(static_cast<int>(s->trials.size())); });
    QSignalSpy errors(&controller, &StudyController::message);

    // `lwb tune` writes the file in another process while the controller follows it read-only.
    std::thread writer([&] {
        lwb::SubprocessOptions o;
        o.timeoutSeconds = 120;
        (void)lwb::runSubprocess({LWB_CLI_PATH, "tune", spec.toStdString(), "-q"}, o);
    });
    ASSERT_TRUE(QTest::qWaitFor([&] { return QFile::exists(storage); }, 20'000));
    QTest::qWait(300);
    controller.openStudy(storage);
    const bool complete = QTest::qWaitFor(
        [&] {
            auto s = controller.study();
            if (!s || s->trials.size() != 6)
                return false;
            for (const auto& t : s->trials)
                if (t.state != TrialState::Complete)
                    return false;
            return true;
        },
        60'000);
    writer.join();
    EXPECT_TRUE(complete);
    ASSERT_FALSE(trialCounts.empty());
    EXPECT_LT(trialCounts.front(), 6) << "the GUI should have seen the study while it was being written";
    for (const auto& args : errors) {
        auto m = args.at(0).value<UserMessage>();
        EXPECT_NE(m.severity, Severity::Error) << m.text << ": " << m.detail;
        EXPECT_EQ(m.detail.find("locked"), std::string::npos) << m.detail;
    }
}
