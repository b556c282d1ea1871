// Compare page (see compare_page.h).
#include "lwb/ui/compare_page.h"

#include "lwb/ui/table_models.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_mapping.h"
#include "widget_util.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>

#include <algorithm>
#include <cmath>
#include <set>

namespace lwb::ui {

namespace {
double quantile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(pos);
    const double f = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

QTableView* makeTable(QAbstractItemModel* model, const QString& name)
{
    auto* proxy = new QSortFilterProxyModel(model);
    proxy->setSourceModel(model);
    proxy->setSortRole(kSortRole);
    auto* t = new QTableView;
    t->setObjectName(name);
    t->setModel(proxy);
    t->setSortingEnabled(true);
    t->verticalHeader()->hide();
    t->setAlternatingRowColors(true);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setWordWrap(false);
    t->setTextElideMode(Qt::ElideMiddle);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setStretchLastSection(false);
    return t;
}

const Qt::Alignment kRight = Qt::AlignRight | Qt::AlignVCenter;
} // namespace

DistributionView::DistributionView(QWidget* parent)
    : QWidget(parent)
{
    setMinimumHeight(120);
}

void DistributionView::setComparison(CompareSnapshotPtr comparison)
{
    m_cmp = std::move(comparison);
    update();
}

void DistributionView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const PlotStyle style = PlotStyle::fromPalette(palette());
    p.fillRect(rect(), style.background);
    if (!m_cmp || m_cmp->metrics.empty()) {
        p.setPen(style.mutedText);
        p.drawText(rect(), Qt::AlignCenter, tr("Pick trials A and B and press Compare"));
        return;
    }
    const QFontMetricsF fm(font());
    const int n = static_cast<int>(m_cmp->metrics.size());
    const double rowH = std::max(44.0, (height() - 8.0) / n);
    const double labelW = 150, verdictW = 110;
    const QColor colA = style.accent;
    const QColor colB = style.best;
    p.setRenderHint(QPainter::Antialiasing, true);
    for (int i = 0; i < n; ++i) {
        const MetricComparison& m = m_cmp->metrics[static_cast<std::size_t>(i)];
        const double top = 4 + i * rowH;
        const QRectF row(0, top, width(), rowH - 4);
        p.fillRect(row.adjusted(labelW, 0, -verdictW, 0), style.panel);
        p.setPen(style.text);
        p.drawText(QRectF(6, top, labelW - 10, rowH / 2), Qt::AlignLeft | Qt::AlignBottom, qs(m.metric));
        p.setPen(style.mutedText);
        p.drawText(QRectF(6, top + rowH / 2, labelW - 10, rowH / 2 - 4), Qt::AlignLeft | Qt::AlignTop,
            (m.direction == Direction::Maximize ? tr("higher is better") : tr("lower is better"))
                + (m.unit.empty() ? QString() : QStringLiteral(", ") + qs(m.unit)));
        double lo = INFINITY, hi = -INFINITY;
        for (double v : m.samplesA)
            lo = std::min(lo, v), hi = std::max(hi, v);
        for (double v : m.samplesB)
            lo = std::min(lo, v), hi = std::max(hi, v);
        if (!(hi > lo))
            hi = lo + 1;
        const double pad = (hi - lo) * 0.08;
        lo -= pad;
        hi += pad;
        const double x0 = labelW + 8, x1 = width() - verdictW - 8;
        auto X = [&](double v) { return x0 + (v - lo) / (hi - lo) * (x1 - x0); };
        auto drawBox = [&](const std::vector<double>& s, double cy, const QColor& c, const QString& tag) {
            if (s.empty())
                return;
            const double q1 = quantile(s, 0.25), q2 = quantile(s, 0.5), q3 = quantile(s, 0.75);
            const double mn = *std::min_element(s.begin(), s.end()), mx = *std::max_element(s.begin(), s.end());
            const double h = std::min(12.0, rowH / 4);
            p.setPen(QPen(c, 1.2));
            p.drawLine(QPointF(X(mn), cy), QPointF(X(q1), cy));
            p.drawLine(QPointF(X(q3), cy), QPointF(X(mx), cy));
            QColor fill = c;
            fill.setAlpha(70);
            p.setBrush(fill);
            p.drawRect(QRectF(X(q1), cy - h / 2, std::max(1.0, X(q3) - X(q1)), h));
            p.setPen(QPen(c, 2.4));
            p.drawLine(QPointF(X(q2), cy - h / 2 - 2), QPointF(X(q2), cy + h / 2 + 2));
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(c, 3.2, Qt::SolidLine, Qt::RoundCap));
            for (double v : s)
                p.drawPoint(QPointF(X(v), cy + h / 2 + 4));
            p.setPen(style.mutedText);
            p.drawText(QRectF(x0 - 6, cy - fm.height() / 2, 0, fm.height()),
                Qt::AlignRight | Qt::AlignVCenter | Qt::TextDontClip, tag);
            p.setPen(style.text);
            p.drawText(QPointF(X(q2) + 5, cy - h / 2 - 2), formatNumber(q2));
        };
        drawBox(m.samplesA, top + rowH * 0.30, colA, QStringLiteral("A"));
        drawBox(m.samplesB, top + rowH * 0.70, colB, QStringLiteral("B"));
        // Verdict badge.
        const bool good = m.verdict == "FASTER" || m.verdict == "SMALLER";
        const bool bad = m.verdict == "SLOWER" || m.verdict == "LARGER";
        QColor badge = good ? QColor(0x2e, 0x9d, 0x57) : bad ? style.failed : style.pruned;
        const double medA = quantile(m.samplesA, 0.5), medB = quantile(m.samplesB, 0.5);
        const double rel = medA != 0 ? (medB - medA) / std::fabs(medA) * 100 : 0;
        const QRectF b(width() - verdictW + 4, top + rowH / 2 - 20, verdictW - 10, 20);
        p.setPen(Qt::NoPen);
        p.setBrush(badge);
        p.drawRoundedRect(b, 4, 4);
        p.setBrush(Qt::NoBrush);
        p.setPen(Qt::white);
        p.drawText(b, Qt::AlignCenter, qs(m.verdict));
        p.setPen(style.text);
        p.drawText(QRectF(b.left(), b.bottom() + 2, b.width(), fm.height()), Qt::AlignCenter,
            QStringLiteral("%1%2 %").arg(rel >= 0 ? QStringLiteral("+") : QString()).arg(rel, 0, 'f', 1));
    }
}

ComparePage::ComparePage(StudyController* controller, QWidget* parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("ComparePage"));
    m_a = new QComboBox;
    m_a->setObjectName(QStringLiteral("compareA"));
    m_b = new QComboBox;
    m_b->setObjectName(QStringLiteral("compareB"));
    for (QComboBox* c : {m_a, m_b}) {
        c->setMinimumContentsLength(30);
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    }
    auto* swap = new QPushButton(tr("Swap"));
    connect(swap, &QPushButton::clicked, this, [this] {
        const int a = m_a->currentIndex();
        m_a->setCurrentIndex(m_b->currentIndex());
        m_b->setCurrentIndex(a);
    });
    auto* go = new QPushButton(tr("Compare"));
    go->setObjectName(QStringLiteral("compareButton"));
    go->setDefault(true);
    connect(go, &QPushButton::clicked, this, [this] {
        if (m_a->currentIndex() >= 0 && m_b->currentIndex() >= 0)
            m_controller->requestCompare(m_a->currentData().toInt(), m_b->currentData().toInt());
    });
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A")));
    bar->addWidget(m_a, 1);
    bar->addWidget(new QLabel(tr("B")));
    bar->addWidget(m_b, 1);
    bar->addWidget(swap);
    bar->addWidget(go);

    m_summary = new QLabel(tr("Compare two completed trials: what differs in their configuration, how their "
                              "measurements are distributed, and which kernels explain the difference."));
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    m_summary->setWordWrap(true);
    m_config = new CellTableModel(this);
    m_deltas = new CellTableModel(this);
    m_dist = new DistributionView;
    m_dist->setObjectName(QStringLiteral("distributionView"));
    QTableView* configTable = makeTable(m_config, QStringLiteral("configDiffTable"));
    m_configTable = configTable;
    configTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    QTableView* deltaTable = makeTable(m_deltas, QStringLiteral("deltaTable"));
    deltaTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_deltaTable = deltaTable;

    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(makePanel(tr("Configuration"), configTable));
    top->addWidget(makePanel(tr("Measured distributions (A blue, B orange)"), m_dist));
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 3);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(makePanel(tr("Why: per-step time by kernel/op, ranked by |\u0394|"), deltaTable));
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* root = new QVBoxLayout(this);
    root->addLayout(bar);
    root->addWidget(m_summary);
    root->addWidget(split, 1);
}

void ComparePage::setStudy(StudySnapshotPtr study)
{
    m_study = std::move(study);
    const QVariant a = m_a->currentData(), b = m_b->currentData();
    const QSignalBlocker ba(m_a), bb(m_b);
    m_a->clear();
    m_b->clear();
    if (!m_study)
        return;
    for (const auto& t : m_study->trials) {
        if (t.state != TrialState::Complete)
            continue;
        QString label = tr("Trial %1").arg(t.number);
        if (!t.values.empty() && t.values.front())
            label += QStringLiteral(" \u2014 %1").arg(formatNumber(*t.values.front()));
        QStringList ps;
        for (const auto& [k, v] : t.params)
            ps << qs(paramValueToString(v));
        label += QStringLiteral(" (") + ps.join(QStringLiteral(", ")) + QLatin1Char(')');
        m_a->addItem(label, t.number);
        m_b->addItem(label, t.number);
    }
    // Default: A = the first completed trial (a baseline), B = the best.
    const int best = bestTrialIndex(*m_study, 0);
    const int ia = a.isValid() ? m_a->findData(a) : 0;
    const int ib = b.isValid()
        ? m_b->findData(b)
        : (best >= 0 ? m_b->findData(m_study->trials[static_cast<std::size_t>(best)].number) : 0);
    m_a->setCurrentIndex(std::max(0, ia));
    m_b->setCurrentIndex(std::max(0, ib));
}

void ComparePage::compare(int trialA, int trialB)
{
    const int ia = m_a->findData(trialA), ib = m_b->findData(trialB);
    if (ia >= 0)
        m_a->setCurrentIndex(ia);
    if (ib >= 0)
        m_b->setCurrentIndex(ib);
    m_controller->requestCompare(trialA, trialB);
}

void ComparePage::setComparison(CompareSnapshotPtr cmp)
{
    m_cmp = std::move(cmp);
    m_dist->setComparison(m_cmp);
    if (!m_cmp) {
        m_config->setTable({}, {});
        m_deltas->setTable({}, {});
        return;
    }
    const PlotStyle style = PlotStyle::fromPalette(palette());
    // Configuration diff: changed parameters first.
    std::set<std::string> keys;
    for (const auto& [k, v] : m_cmp->configA)
        keys.insert(k);
    for (const auto& [k, v] : m_cmp->configB)
        keys.insert(k);
    std::vector<std::vector<CellTableModel::Cell>> rows;
    for (const auto& k : keys) {
        auto ia = m_cmp->configA.find(k), ib = m_cmp->configB.find(k);
        const QString va = ia == m_cmp->configA.end() ? QStringLiteral("\u2014") : qs(paramValueToString(ia->second));
        const QString vb = ib == m_cmp->configB.end() ? QStringLiteral("\u2014") : qs(paramValueToString(ib->second));
        const bool differs = va != vb;
        CellTableModel::Cell name {qs(k),
            differs ? QVariant(QStringLiteral("0") + qs(k)) : QVariant(QStringLiteral("1") + qs(k)), {}, {},
            Qt::AlignLeft | Qt::AlignVCenter};
        CellTableModel::Cell ca {va, {}, {}, {}, Qt::AlignLeft | Qt::AlignVCenter};
        CellTableModel::Cell cb {
            vb, {}, differs ? QVariant(style.best) : QVariant(), {}, Qt::AlignLeft | Qt::AlignVCenter};
        if (differs)
            name.text = QStringLiteral("\u25cf ") + name.text;
        rows.push_back({name, ca, cb});
    }
    std::stable_sort(rows.begin(), rows.end(),
        [](const auto& x, const auto& y) { return x[0].sort.toString() < y[0].sort.toString(); });
    m_config->setTable(
        {tr("Parameter"), tr("A (trial %1)").arg(m_cmp->trialA), tr("B (trial %1)").arg(m_cmp->trialB)}, rows);
    m_configTable->sortByColumn(0, Qt::AscendingOrder);

    // Ranked explanation.
    const double total = m_cmp->stepNsB - m_cmp->stepNsA;
    std::vector<std::vector<CellTableModel::Cell>> drows;
    double cumulative = 0;
    int rank = 1;
    auto addRow = [&](const QString& rankText, const QString& name, const QString& cat, double a, double b,
                      double sortRank, bool isSum) {
        const double d = b - a;
        cumulative += isSum ? 0 : d;
        const double share = total != 0 ? d / total * 100 : 0;
        const QColor c = d < 0 ? QColor(0x2e, 0x9d, 0x57) : style.failed;
        drows.push_back({{rankText, sortRank, {}, {}, kRight}, {name, name, {}, name, Qt::AlignLeft | Qt::AlignVCenter},
            {cat, cat, {}, {}, Qt::AlignLeft | Qt::AlignVCenter}, {qs(formatDuration(a)), a, {}, {}, kRight},
            {qs(formatDuration(b)), b, {}, {}, kRight},
            {(d > 0 ? QStringLiteral("+") : QString()) + qs(formatDuration(d)), d, c, {}, kRight},
            {QString::number(share, 'f', 1) + QLatin1Char('%'), share, {}, {}, kRight},
            {isSum ? QString() : (cumulative > 0 ? QStringLiteral("+") : QString()) + qs(formatDuration(cumulative)),
                cumulative, {}, {}, kRight}});
    };
    for (const auto& d : m_cmp->deltas) {
        addRow(QString::number(rank), qs(d.name), qs(d.category), d.nsA, d.nsB, rank, false);
        ++rank;
    }
    addRow(QString(), tr("other (idle, unlisted ops)"), QString(), 0, m_cmp->otherNs, 1e9, false);
    addRow(QString(), tr("= step time"), QString(), m_cmp->stepNsA, m_cmp->stepNsB, 1e9 + 1, true);
    m_deltas->setTable({tr("#"), tr("Kernel / op"), tr("Category"), tr("A / step"), tr("B / step"), tr("\u0394"),
                           tr("Share of \u0394"), tr("Cumulative")},
        drows);
    // Per-section modes exist only once the columns do.
    m_deltaTable->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_deltaTable->sortByColumn(0, Qt::AscendingOrder);
    double listed = 0;
    for (const auto& d : m_cmp->deltas)
        listed += d.deltaNs();
    m_summary->setText(tr("Step time A %1 \u2192 B %2 (%3%4, %5%6 %). The %7 listed kernels/ops explain %8; other %9.")
                           .arg(qs(formatDuration(m_cmp->stepNsA)), qs(formatDuration(m_cmp->stepNsB)),
                               total > 0 ? QStringLiteral("+") : QString(), qs(formatDuration(total)),
                               total > 0 ? QStringLiteral("+") : QString())
                           .arg(m_cmp->stepNsA > 0 ? total / m_cmp->stepNsA * 100 : 0, 0, 'f', 1)
                           .arg(m_cmp->deltas.size())
                           .arg(qs(formatDuration(listed)), qs(formatDuration(m_cmp->otherNs))));
}

QString ComparePage::summaryText() const
{
    return m_summary->text();
}

} // namespace lwb::ui
