// The workbench's main window: menus, dockable panels (added by later pages) and the About box.
#pragma once

#include <QMainWindow>

class QAction;

namespace lwb::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// The Help > About action (tests trigger it).
    QAction* aboutAction() const { return m_aboutAction; }

public slots:
    void showAbout();

private:
    QAction* m_aboutAction = nullptr;
};

/// Text of the About dialog (version, build, what the workbench does).
QString aboutText();

} // namespace lwb::ui
