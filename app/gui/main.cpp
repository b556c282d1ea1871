// `lepton-workbench [STUDY.lwb]`: the Qt GUI over the workbench service (studies run in-process on
// a worker thread; a study file written by `lwb tune` is followed live). `--smoke-test` opens the
// window and the About box, then exits 0 (used by the tests); `--demo` runs on synthetic data;
// `--screenshots DIR` saves a PNG of every page (tools/screenshots.sh runs it under Xvfb).
#include "lwb/core/log.h"
#include "lwb/core/version.h"
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/main_window.h"
#include "lwb/ui/screenshot_tour.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/workbench_controller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

namespace {

/// The controller the window talks to: the workbench service, or synthetic data with --demo.
lwb::ui::StudyController* makeController(bool demo, qint64 demoRecords)
{
    if (demo) {
        lwb::ui::DemoOptions options;
        if (demoRecords > 0)
            options.timelineRecords = demoRecords;
        return new lwb::ui::DemoController(options);
    }
    return new lwb::ui::WorkbenchController;
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
    QCommandLineOption openPareto(QStringLiteral("open-pareto"),
        QStringLiteral("With --screenshots: a multi-objective study for the Pareto view."), QStringLiteral("study"));
    parser.addOptions({smoke, demo, open, theme, shots, records, openPareto});
    parser.addPositionalArgument(
        QStringLiteral("study"), QStringLiteral("A study file to open (.lwb)."), QStringLiteral("[study]"));
    parser.process(app);
    const QString studyToOpen = parser.isSet(open) ? parser.value(open)
        : parser.positionalArguments().isEmpty()   ? QString()
                                                   : parser.positionalArguments().front();

    const bool screenshots = parser.isSet(shots);
    // Screenshots of a real study file use the workbench service; without one, the demo study.
    const bool useDemo = parser.isSet(demo) || (screenshots && studyToOpen.isEmpty());
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

    lwb::ui::MainWindow window(makeController(useDemo, parser.value(records).toLongLong()));
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
            const int n
                = lwb::ui::runScreenshotTour(window, !studyToOpen.isEmpty() ? studyToOpen : QStringLiteral("demo:300"),
                    useDemo ? QStringLiteral("demo:300:pareto") : parser.value(openPareto), parser.value(shots));
            status = n > 0 ? 0 : 1;
            QApplication::exit(status);
        });
        return QApplication::exec();
    } else if (!studyToOpen.isEmpty()) {
        QTimer::singleShot(0, &window, [&window, studyToOpen] { window.controller()->openStudy(studyToOpen); });
    }
    return QApplication::exec();
}
