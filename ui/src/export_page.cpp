// Export page (see export_page.h).
#include "lwb/ui/export_page.h"

#include "widget_util.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>

namespace lwb::ui {

ExportPage::ExportPage(StudyController* controller, QWidget* parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("ExportPage"));
    auto* profileOpts = new QWidget;
    auto* po = new QHBoxLayout(profileOpts);
    po->setContentsMargins(0, 0, 0, 0);
    m_selection = new QComboBox;
    m_selection->setObjectName(QStringLiteral("profileSelection"));
    m_selection->addItem(tr("Best trial"), static_cast<int>(ProfileSelection::BestTrial));
    m_selection->addItem(tr("Pareto set"), static_cast<int>(ProfileSelection::ParetoSet));
    m_selection->addItem(tr("One trial"), static_cast<int>(ProfileSelection::OneTrial));
    m_profileTrial = new QComboBox;
    m_profileTrial->setEnabled(false);
    connect(m_selection, &QComboBox::currentIndexChanged, this, [this] {
        m_profileTrial->setEnabled(m_selection->currentData().toInt() == static_cast<int>(ProfileSelection::OneTrial));
    });
    po->addWidget(new QLabel(tr("Configurations")));
    po->addWidget(m_selection);
    po->addWidget(m_profileTrial);
    po->addStretch();
    auto* traceOpts = new QWidget;
    auto* to = new QHBoxLayout(traceOpts);
    to->setContentsMargins(0, 0, 0, 0);
    m_traceTrial = new QComboBox;
    m_traceTrial->setObjectName(QStringLiteral("traceTrial"));
    to->addWidget(new QLabel(tr("Trial")));
    to->addWidget(m_traceTrial);
    to->addStretch();

    auto* root = new QVBoxLayout(this);
    root->addWidget(makeGroup(ExportKind::TunedProfile, tr("Tuned profile (JSON)"),
        tr("The best configuration (or the Pareto set) with its measured distributions, the search space and the "
           "hardware/software fingerprint. <tt>lwb check tuned.json</tt> re-measures it in CI; <tt>lwb apply</tt> "
           "runs the workload with it."),
        tr("Tuned profiles (*.json)"), profileOpts));
    root->addWidget(makeGroup(ExportKind::HtmlReport, tr("Report (HTML)"),
        tr("One self-contained offline file: study summary, best configurations, history, Pareto front, parallel "
           "coordinates, importance and the top kernels of the best trial."),
        tr("HTML reports (*.html)"), nullptr));
    root->addWidget(makeGroup(ExportKind::ChromeTrace, tr("Trace (Chrome / Perfetto JSON)"),
        tr("A trial's captured timeline, one track per stream and thread; open it in ui.perfetto.dev or "
           "chrome://tracing."),
        tr("Chrome traces (*.json)"), traceOpts));
    auto* results = new QGroupBox(tr("Results"));
    auto* rv = new QVBoxLayout(results);
    m_results = new QListWidget;
    m_results->setObjectName(QStringLiteral("exportResults"));
    rv->addWidget(m_results);
    root->addWidget(results, 1);
    connect(m_controller, &StudyController::exportFinished, this, &ExportPage::addResult);
}

QWidget* ExportPage::makeGroup(
    ExportKind kind, const QString& title, const QString& text, const QString& filter, QWidget* options)
{
    const int k = static_cast<int>(kind);
    auto* box = new QGroupBox(title);
    auto* v = new QVBoxLayout(box);
    auto* label = new QLabel(text);
    label->setWordWrap(true);
    v->addWidget(label);
    if (options)
        v->addWidget(options);
    auto* row = new QHBoxLayout;
    m_paths[k] = new QLineEdit;
    m_paths[k]->setObjectName(QStringLiteral("exportPath%1").arg(k));
    m_paths[k]->setPlaceholderText(tr("File to write"));
    auto* browse = new QPushButton(tr("Browse\u2026"));
    connect(browse, &QPushButton::clicked, this, [this, k, filter, title] {
        const QString path = QFileDialog::getSaveFileName(this, title, m_paths[k]->text(), filter);
        if (!path.isEmpty())
            m_paths[k]->setText(path);
    });
    m_buttons[k] = new QPushButton(tr("Export"));
    m_buttons[k]->setObjectName(QStringLiteral("exportButton%1").arg(k));
    connect(m_buttons[k], &QPushButton::clicked, this, [this, kind] { exportNow(kind); });
    row->addWidget(m_paths[k], 1);
    row->addWidget(browse);
    row->addWidget(m_buttons[k]);
    v->addLayout(row);
    return box;
}

QLineEdit* ExportPage::pathField(ExportKind kind) const
{
    return m_paths[static_cast<int>(kind)];
}

void ExportPage::setStudy(StudySnapshotPtr study)
{
    const bool first = !m_study || !study || m_study->name != study->name;
    m_study = std::move(study);
    if (!m_study)
        return;
    if (first) {
        const QString base = QDir::current().filePath(qs(m_study->name));
        m_paths[0]->setText(base + QStringLiteral("-tuned.json"));
        m_paths[1]->setText(base + QStringLiteral("-report.html"));
        m_paths[2]->setText(base + QStringLiteral("-trace.json"));
    }
    const QVariant pt = m_profileTrial->currentData(), tt = m_traceTrial->currentData();
    m_profileTrial->clear();
    m_traceTrial->clear();
    for (const auto& t : m_study->trials) {
        if (t.state == TrialState::Complete)
            m_profileTrial->addItem(tr("Trial %1").arg(t.number), t.number);
        if (t.hasTrace)
            m_traceTrial->addItem(tr("Trial %1").arg(t.number), t.number);
    }
    m_profileTrial->setCurrentIndex(std::max(0, m_profileTrial->findData(pt)));
    const int best = bestTrialIndex(*m_study, 0);
    m_traceTrial->setCurrentIndex(std::max(0,
        tt.isValid()    ? m_traceTrial->findData(tt)
            : best >= 0 ? m_traceTrial->findData(m_study->trials[static_cast<std::size_t>(best)].number)
                        : 0));
    m_selection->setItemData(1, m_study->objectives.size() >= 2 ? QVariant() : QVariant(0), Qt::UserRole - 1);
}

void ExportPage::exportNow(ExportKind kind)
{
    ExportRequest r;
    r.kind = kind;
    r.path = m_paths[static_cast<int>(kind)]->text().trimmed().toStdString();
    if (kind == ExportKind::TunedProfile) {
        r.selection = static_cast<ProfileSelection>(m_selection->currentData().toInt());
        if (r.selection == ProfileSelection::OneTrial)
            r.trial = m_profileTrial->currentData().toInt();
    } else if (kind == ExportKind::ChromeTrace) {
        r.trial = m_traceTrial->currentData().isValid() ? m_traceTrial->currentData().toInt() : -1;
    }
    m_buttons[static_cast<int>(kind)]->setEnabled(false);
    m_controller->exportFile(r);
}

void ExportPage::addResult(const ExportResult& result)
{
    m_buttons[static_cast<int>(result.request.kind)]->setEnabled(true);
    const QString when = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    auto* item = new QListWidgetItem(QStringLiteral("%1  %2  %3 \u2014 %4")
                                         .arg(when, result.ok ? QStringLiteral("\u2714") : QStringLiteral("\u2716"),
                                             qs(result.request.path), qs(result.message)));
    item->setForeground(result.ok ? QColor(0x2e, 0x9d, 0x57) : QColor(0xd9, 0x3f, 0x3f));
    item->setData(Qt::UserRole, result.ok);
    m_results->insertItem(0, item);
}

} // namespace lwb::ui
