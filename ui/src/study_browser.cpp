// Study browser (see study_browser.h).
#include "lwb/ui/study_browser.h"

#include "lwb/ui/timeline_mapping.h"
#include "lwb/ui/trial_table_model.h"
#include "widget_util.h"

#include <QComboBox>
#include <QContextMenuEvent>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QTimer>

namespace lwb::ui {

StudyBrowser::StudyBrowser(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("StudyBrowser"));
    m_model = new TrialTableModel(this);
    m_proxy = new TrialFilterProxy(this);
    m_proxy->setSourceModel(m_model);
    m_title = new QLabel(tr("<b>No study</b>"));
    m_title->setObjectName(QStringLiteral("studyTitle"));
    m_summary = new QLabel(tr("Open a study file (Ctrl+O) or run one from the Setup page."));
    m_summary->setObjectName(QStringLiteral("studySummary"));
    m_summary->setWordWrap(true);
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("trialFilter"));
    m_filter->setPlaceholderText(tr("Filter: bf16  batch_size=16  state:failed  (Ctrl+L)"));
    m_filter->setClearButtonEnabled(true);
    // Filtering 10,000 rows per keystroke is cheap, but coalesce bursts of typing anyway.
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(80);
    connect(m_filter, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, [this] { m_proxy->setTextFilter(m_filter->text()); });
    connect(m_filter, &QLineEdit::returnPressed, this, [this] { m_proxy->setTextFilter(m_filter->text()); });
    m_state = new QComboBox;
    m_state->setObjectName(QStringLiteral("stateFilter"));
    m_state->addItem(tr("All"), -1);
    for (TrialState s : {TrialState::Complete, TrialState::Failed, TrialState::Pruned, TrialState::Running})
        m_state->addItem(qs(trialStateName(s)).toLower(), static_cast<int>(s));
    connect(m_state, &QComboBox::currentIndexChanged, this,
        [this] { m_proxy->setStateFilter(m_state->currentData().toInt()); });

    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("trialTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(0, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures 10,000 rows.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
            if (current.isValid())
                emit trialSelected(current.data(TrialTableModel::TrialNumberRole).toInt());
        });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        emit trialActivated(index.data(TrialTableModel::TrialNumberRole).toInt());
    });
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex index = m_table->indexAt(pos);
        if (!index.isValid() || !m_study)
            return;
        const int trial = index.data(TrialTableModel::TrialNumberRole).toInt();
        const int best = bestTrialIndex(*m_study, 0);
        QMenu menu(this);
        menu.addAction(tr("Open timeline"), this, [this, trial] { emit trialActivated(trial); });
        QAction* cmp = menu.addAction(tr("Compare with the best trial"), this, [this, trial, best] {
            emit compareRequested(m_study->trials[static_cast<std::size_t>(best)].number, trial);
        });
        cmp->setEnabled(best >= 0 && m_study->trials[static_cast<std::size_t>(best)].number != trial);
        menu.exec(m_table->viewport()->mapToGlobal(pos));
    });

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_filter, 1);
    filters->addWidget(m_state);
    auto* root = new QVBoxLayout(this);
    root->setContentsMargins(4, 4, 4, 4);
    root->addWidget(m_title);
    root->addWidget(m_summary);
    root->addLayout(filters);
    root->addWidget(m_table, 1);
}

void StudyBrowser::setStudy(StudySnapshotPtr study)
{
    const bool reset = !m_study || !study || m_study->name != study->name || m_study->params != study->params
        || m_study->objectives != study->objectives;
    m_study = study;
    m_model->setStudy(std::move(study));
    if (reset) {
        m_table->resizeColumnsToContents();
        for (int c = 0; c < m_model->columnCount(); ++c)
            m_table->setColumnWidth(c, std::min(m_table->columnWidth(c) + 12, 220));
    }
    updateSummary();
}

void StudyBrowser::updateSummary()
{
    if (!m_study) {
        m_title->setText(tr("<b>No study</b>"));
        return;
    }
    m_title->setText(
        QStringLiteral("<b>%1</b> &nbsp;<span style='color:gray'>%2 \u00b7 %3</span>")
            .arg(qs(m_study->name).toHtmlEscaped(), qs(m_study->workload), qs(m_study->path).toHtmlEscaped()));
    int complete = 0, failed = 0, pruned = 0, running = 0;
    for (const auto& t : m_study->trials) {
        complete += t.state == TrialState::Complete;
        failed += t.state == TrialState::Failed;
        pruned += t.state == TrialState::Pruned;
        running += t.state == TrialState::Running;
    }
    QString s = tr("%L1 trials: %L2 complete, %L3 failed, %L4 pruned")
                    .arg(m_study->trials.size())
                    .arg(complete)
                    .arg(failed)
                    .arg(pruned);
    if (running)
        s += tr(", %1 running").arg(running);
    const int best = bestTrialIndex(*m_study, 0);
    if (best >= 0) {
        const auto& t = m_study->trials[static_cast<std::size_t>(best)];
        s += tr(". Best %1: <b>%2</b> (trial %3)")
                 .arg(qs(m_study->objectives.front().metric), formatNumber(*t.values.front()))
                 .arg(t.number);
    }
    m_summary->setText(s);
}

void StudyBrowser::selectTrial(int trial)
{
    const int row = m_model->rowOfTrial(trial);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return;
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index);
}

int StudyBrowser::selectedTrial() const
{
    const QModelIndex index = m_table->currentIndex();
    return index.isValid() ? index.data(TrialTableModel::TrialNumberRole).toInt() : -1;
}

QString trialDetailsHtml(const StudySnapshot& study, const TrialSnapshot& t)
{
    static const char* stateColor[] = {"#2f7ed8", "#2e9d57", "#d93f3f", "#c08a1c"};
    QString html = QStringLiteral("<h3>Trial %1 <span style='color:%2'>%3</span></h3>")
                       .arg(t.number)
                       .arg(QString::fromLatin1(stateColor[static_cast<int>(t.state)]), qs(trialStateName(t.state)));
    if (!t.failureReason.empty())
        html += QStringLiteral("<p style='color:#d93f3f'>%1</p>").arg(qs(t.failureReason).toHtmlEscaped());
    html += QStringLiteral("<table cellspacing=0 cellpadding=2>");
    for (std::size_t i = 0; i < study.objectives.size() && i < t.values.size(); ++i) {
        const auto& o = study.objectives[i];
        html += QStringLiteral("<tr><td><b>%1</b></td><td align=right><b>%2</b> %3</td></tr>")
                    .arg(qs(o.metric), t.values[i] ? formatNumber(*t.values[i]) : QStringLiteral("\u2014"), qs(o.unit));
    }
    for (const auto& [k, v] : t.params)
        html += QStringLiteral("<tr><td>%1</td><td align=right>%2</td></tr>")
                    .arg(qs(k), qs(paramValueToString(v)).toHtmlEscaped());
    for (const auto& [k, v] : t.metrics) {
        bool isObjective = false;
        for (const auto& o : study.objectives)
            isObjective |= o.metric == k;
        if (!isObjective)
            html += QStringLiteral("<tr><td style='color:gray'>%1</td><td align=right>%2</td></tr>")
                        .arg(qs(k), formatNumber(v));
    }
    html += QStringLiteral("</table>");
    if (t.durationSeconds > 0)
        html += QObject::tr("<p>Measured in %1").arg(qs(formatDuration(t.durationSeconds * 1e9)));
    if (!t.intermediate.empty())
        html += QObject::tr("; %1 intermediate values (last loss %2)")
                    .arg(t.intermediate.size())
                    .arg(t.intermediate.back().second, 0, 'f', 3);
    html += QObject::tr(t.hasTrace ? ". Timeline captured: double-click the trial to open it.</p>" : ".</p>");
    return html;
}

} // namespace lwb::ui
