// The main window opens offscreen with its title, and Help > About shows the version.
#include "lwb/core/version.h"
#include "lwb/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QMessageBox>
#include <QTimer>
#include <gtest/gtest.h>

TEST(MainWindow, OpensWithTitle)
{
    lwb::ui::MainWindow window;
    window.show();
    QApplication::processEvents();
    EXPECT_TRUE(window.isVisible());
    EXPECT_EQ(window.windowTitle(), QStringLiteral("Lepton Workbench"));
}

TEST(MainWindow, AboutShowsVersion)
{
    lwb::ui::MainWindow window;
    window.show();
    QString seenText;
    QTimer::singleShot(0, [&] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
            seenText = box->text();
            box->accept();
        }
    });
    window.aboutAction()->trigger();
    EXPECT_TRUE(seenText.contains(QString::fromUtf8(lwb::workbenchVersion().data()))) << seenText.toStdString();
    EXPECT_TRUE(seenText.contains(QStringLiteral("Lepton Workbench")));
}
