// Kernels page (see kernels_page.h). The Time % column draws a bar behind the number so the
// distribution reads at a glance, like nsys' kernel summary with a sparkline.
#include "lwb/ui/kernels_page.h"

#include "lwb/ui/table_models.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_mapping.h"
#include "widget_util.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTableView>

namespace lwb::ui {

namespace {
class PercentBarDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        const double pct = index.data(kSortRole).toDouble();
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const PlotStyle style = PlotStyle::fromPalette(opt.palette);
        QStyledItemDelegate::paint(p, option, index);
        QColor bar = style.accent;
        bar.setAlpha(70);
        const QRectF r = QRectF(opt.rect).adjusted(2, 3, -2, -3);
        p->fillRect(QRectF(r.left(), r.top(), r.width() * std::clamp(pct / 100.0, 0.0, 1.0), r.height()), bar);
    }
};
} // namespace

KernelsPage::KernelsPage(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("KernelsPage"));
    m_model = new KernelSummaryModel(this);
    m_proxy = new KernelFilterProxy(this);
    m_proxy->setSourceModel(m_model);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("kernelTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(KernelSummaryModel::Total, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setItemDelegateForColumn(KernelSummaryModel::Percent, new PercentBarDelegate(m_table));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setSectionResizeMode(KernelSummaryModel::Name, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);

    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("kernelFilter"));
    m_filter->setPlaceholderText(tr("Filter by name (e.g. gemm, attention, memcpy)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &KernelFilterProxy::setNameFilter);
    m_category = new QComboBox;
    m_category->setObjectName(QStringLiteral("kernelCategory"));
    m_category->addItem(tr("All categories"), QString());
    for (const char* c : {"kernel", "cpu_op", "memcpy", "memset", "sync"})
        m_category->addItem(QString::fromLatin1(c), QString::fromLatin1(c));
    connect(m_category, &QComboBox::currentIndexChanged, this,
        [this] { m_proxy->setCategoryFilter(m_category->currentData().toString()); });
    m_title = new QLabel(tr("No timeline loaded: open a trial's timeline to see its kernels."));
    m_title->setObjectName(QStringLiteral("kernelsTitle"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_title, 1);
    bar->addWidget(m_filter);
    bar->addWidget(m_category);
    auto* root = new QVBoxLayout(this);
    root->addLayout(bar);
    root->addWidget(m_table, 1);
    auto* hint = new QLabel(tr("Select a row to highlight its occurrences on the timeline; double-click to go there."));
    hint->setEnabled(false);
    root->addWidget(hint);

    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
            const KernelSummaryRow* r = m_model->rowAt(m_proxy->mapToSource(current).row());
            if (r)
                emit kernelSelected(qs(r->name));
        });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const KernelSummaryRow* r = m_model->rowAt(m_proxy->mapToSource(index).row());
        if (r)
            emit kernelActivated(qs(r->name));
    });
}

void KernelsPage::setTimeline(TimelineSnapshotPtr timeline)
{
    m_model->setSummary(timeline ? timeline->kernels : nullptr);
    if (!timeline || !timeline->kernels) {
        m_title->setText(tr("No timeline loaded: open a trial's timeline to see its kernels."));
        return;
    }
    m_title->setText(tr("<b>%1</b> &nbsp;\u00b7&nbsp; %L2 kernels/ops, %3 of device and CPU time")
                         .arg(qs(timeline->label).toHtmlEscaped())
                         .arg(timeline->kernels->rows.size())
                         .arg(qs(formatDuration(static_cast<double>(timeline->kernels->totalNs)))));
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(KernelSummaryModel::Name, QHeaderView::Stretch);
}

} // namespace lwb::ui
