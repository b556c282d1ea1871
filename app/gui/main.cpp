// `lepton-workbench`: the Qt GUI. `--smoke-test` opens the window and the About box, then exits 0
// (used by the tests to prove the executable starts offscreen).
#include "lwb/core/log.h"
#include "lwb/core/version.h"
#include "lwb/ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QTimer>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("lepton-workbench"));
    QApplication::setOrganizationName(QStringLiteral("Lepton"));
    QApplication::setApplicationVersion(QString::fromUtf8(lwb::workbenchVersion().data(),
        static_cast<int>(lwb::workbenchVersion().size())));
    lwb::log::init("warn");

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Lepton Workbench GUI"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption smoke(QStringLiteral("smoke-test"), QStringLiteral("Open the window and About box, then quit."));
    parser.addOption(smoke);
    parser.process(app);

    lwb::ui::MainWindow window;
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
    }
    return QApplication::exec();
}
