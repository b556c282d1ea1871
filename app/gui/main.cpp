// `lepton-workbench`: the Qt GUI. `--smoke-test` opens the window and the About box, then exits 0
// (used by the tests to prove the executable starts offscreen); `--demo` runs on synthetic data;
// `--screenshots DIR` saves a PNG of every page (tools/screenshots.sh runs it under Xvfb).
#include "lwb/core/log.h"
#include "lwb/core/version.h"
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/screenshot_tour.h"
#include "lwb/ui/theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

namespace {

/// The controller the window talks to. The workbench service's controller (a worker thread over
/// workbench/) plugs in here; until then a plain run has the OfflineController, --demo the demo.
lwb::ui::StudyController* makeController(bool demo, qint64 demoRecords)
{
    if (demo) {
        lwb::ui::DemoOptions options;
        if (demoRecords > 0)
            options.timelineRecords = demoRecords;
        return new lwb::ui::DemoController(options);
    }
    return new lwb::ui::OfflineController;
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("lepton-workbench"));
    QApplication::setOrganizationName(QStringLiteral("Lepton"));
    QApplication::setApplicationVersion(
        QString::fromUtf8(lwb::workbenchVersion().data(), static_cast<int>(lwb::workbenchVersion().size())));
    lwb::log::init("warn");

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Lepton Workbench GUI"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption smoke(QStringLiteral("smoke-test"), QStringLiteral("Open the window and About box, then quit."));
    QCommandLineOption demo(
        QStringLiteral("demo"), QStringLiteral("Use synthetic demo data instead of the workbench service."));
    QCommandLineOption open(QStringLiteral("open"),
        QStringLiteral("Open a study (with --demo: demo:N or demo:N:pareto)."), QStringLiteral("study"));
    QCommandLineOption theme(
        QStringLiteral("theme"), QStringLiteral("system, light or dark."), QStringLiteral("theme"));
    QCommandLineOption shots(QStringLiteral("screenshots"),
        QStringLiteral("Save a PNG of every page into DIR and quit (implies --demo)."), QStringLiteral("dir"));
    QCommandLineOption records(
        QStringLiteral("demo-records"), QStringLiteral("Records per synthetic trial timeline."), QStringLiteral("n"));
    parser.addOptions({smoke, demo, open, theme, shots, records});
    parser.process(app);

    const bool screenshots = parser.isSet(shots);
    lwb::ui::ThemeChoice choice = static_cast<lwb::ui::ThemeChoice>(
        QSettings().value(QStringLiteral("theme"), static_cast<int>(lwb::ui::ThemeChoice::FollowDesktop)).toInt());
    if (parser.isSet(theme)) {
        const QString t = parser.value(theme);
        choice = t == QLatin1String("dark") ? lwb::ui::ThemeChoice::Dark
            : t == QLatin1String("light")   ? lwb::ui::ThemeChoice::Light
                                            : lwb::ui::ThemeChoice::FollowDesktop;
    }
    if (screenshots)
        choice = lwb::ui::ThemeChoice::Light;
    lwb::ui::applyTheme(choice);

    lwb::ui::MainWindow window(makeController(parser.isSet(demo) || screenshots, parser.value(records).toLongLong()));
    if (!screenshots && !parser.isSet(smoke))
        window.restoreLayout();
    window.show();
    if (parser.isSet(smoke)) {
        QTimer::singleShot(50, &window, [&window] {
            QTimer::singleShot(50, &window, [] {
                if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
                    box->accept();
            });
            window.showAbout();
            window.close();
        });
    } else if (screenshots) {
        window.resize(1600, 1000);
        int status = 0;
        QTimer::singleShot(100, &window, [&] {
            const int n = lwb::ui::runScreenshotTour(window,
                parser.isSet(open) ? parser.value(open) : QStringLiteral("demo:300"), QStringLiteral("demo:300:pareto"),
                parser.value(shots));
            status = n > 0 ? 0 : 1;
            QApplication::exit(status);
        });
        return QApplication::exec();
    } else if (parser.isSet(open)) {
        const QString study = parser.value(open);
        QTimer::singleShot(0, &window, [&window, study] { window.controller()->openStudy(study); });
    }
    return QApplication::exec();
}
