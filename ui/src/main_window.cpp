// Main window skeleton (see main_window.h).
#include "lwb/ui/main_window.h"

#include "lwb/core/version.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

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

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("Lepton Workbench"));
    resize(1280, 800);

    auto* placeholder = new QLabel(tr("Open a study file or start a new study."), this);
    placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(placeholder);

    QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
    QAction* quit = fileMenu->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
    m_aboutAction = helpMenu->addAction(tr("&About Lepton Workbench"), this, &MainWindow::showAbout);
    m_aboutAction->setObjectName(QStringLiteral("aboutAction"));

    statusBar()->showMessage(tr("Ready"));
}

void MainWindow::showAbout()
{
    QMessageBox box(QMessageBox::Information, tr("About Lepton Workbench"), aboutText(), QMessageBox::Ok, this);
    box.setObjectName(QStringLiteral("aboutDialog"));
    box.exec();
}

} // namespace lwb::ui
