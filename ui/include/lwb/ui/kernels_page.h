// Kernels page: the kernel/op summary of the loaded trial (top by total time; count, mean,
// median, min, max, share), filterable by name and category. Selecting a row highlights its
// occurrences on the timeline; double-click jumps there.
#pragma once

#include "lwb/ui/study_controller.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace lwb::ui {

class KernelSummaryModel;
class KernelFilterProxy;

class KernelsPage : public QWidget {
    Q_OBJECT
public:
    explicit KernelsPage(QWidget* parent = nullptr);

    void setTimeline(TimelineSnapshotPtr timeline);
    QTableView* table() const { return m_table; }
    KernelFilterProxy* proxy() const { return m_proxy; }
    QLineEdit* filterField() const { return m_filter; }

signals:
    void kernelSelected(const QString& name);
    void kernelActivated(const QString& name);

private:
    KernelSummaryModel* m_model = nullptr;
    KernelFilterProxy* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_category = nullptr;
    QLabel* m_title = nullptr;
};

} // namespace lwb::ui
