// Setup page (see setup_page.h). Every edit restarts a 150 ms timer; validation then runs the
// controller's validate() and places each message under its field (search-space messages go to
// the table's Issue column); Run stays disabled while there are errors.
#include "lwb/ui/setup_page.h"

#include "lwb/ui/table_models.h"
#include "widget_util.h"

#include "lwb/core/json_yaml.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
#include <QToolButton>

namespace lwb::ui {

namespace {

/// A combo box editor for the Scale column.
class ScaleDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        if (index.column() != SearchSpaceModel::Scale)
            return QStyledItemDelegate::createEditor(parent, option, index);
        auto* combo = new QComboBox(parent);
        combo->addItems({QStringLiteral("linear"), QStringLiteral("log"), QStringLiteral("pow2")});
        return combo;
    }
    void setEditorData(QWidget* editor, const QModelIndex& index) const override
    {
        if (auto* combo = qobject_cast<QComboBox*>(editor))
            combo->setCurrentText(index.data(Qt::EditRole).toString());
        else
            QStyledItemDelegate::setEditorData(editor, index);
    }
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override
    {
        if (auto* combo = qobject_cast<QComboBox*>(editor))
            model->setData(index, combo->currentText(), Qt::EditRole);
        else
            QStyledItemDelegate::setModelData(editor, model, index);
    }
};

QString metricLabel(const MetricInfo& m)
{
    return m.unit.empty() ? qs(m.name) : QStringLiteral("%1 (%2)").arg(qs(m.name), qs(m.unit));
}

} // namespace

SetupPage::SetupPage(StudyController* controller, QWidget* parent)
    : QWidget(parent)
    , m_controller(controller)
    , m_workloads(controller->workloads())
{
    setObjectName(QStringLiteral("SetupPage"));
    m_validateTimer = new QTimer(this);
    m_validateTimer->setSingleShot(true);
    m_validateTimer->setInterval(150);
    connect(m_validateTimer, &QTimer::timeout, this, &SetupPage::validateNow);
    buildUi();
    connect(m_controller, &StudyController::runStateChanged, this, &SetupPage::onRunState);
    if (!m_workloads.empty())
        setSpec(defaultSetup(m_workloads.front()));
    onRunState(m_controller->runState());
    validateNow();
}

QWidget* SetupPage::field(QWidget* editor, const QString& key)
{
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    v->addWidget(editor);
    auto* msg = new QLabel;
    msg->setObjectName(QStringLiteral("msg:") + key);
    msg->setWordWrap(true);
    msg->setVisible(false);
    v->addWidget(msg);
    m_fieldMessages[key] = msg;
    return box;
}

void SetupPage::buildUi()
{
    auto changed = [this] { scheduleValidation(); };
    // Study.
    auto* study = new QGroupBox(tr("Study"));
    auto* sf = new QFormLayout(study);
    m_name = new QLineEdit;
    m_name->setObjectName(QStringLiteral("studyName"));
    m_name->setPlaceholderText(tr("letters, digits, - _ ."));
    connect(m_name, &QLineEdit::textChanged, this, changed);
    sf->addRow(tr("Name"), field(m_name, QStringLiteral("name")));
    m_workload = new QComboBox;
    m_workload->setObjectName(QStringLiteral("workloadCombo"));
    for (const auto& w : m_workloads)
        m_workload->addItem(qs(w.name));
    connect(m_workload, &QComboBox::currentIndexChanged, this, [this] { workloadChanged(); });
    sf->addRow(tr("Workload"), field(m_workload, QStringLiteral("workload")));
    m_workloadInfo = new QLabel;
    m_workloadInfo->setWordWrap(true);
    m_workloadInfo->setObjectName(QStringLiteral("workloadInfo"));
    sf->addRow(QString(), m_workloadInfo);
    m_storage = new QLineEdit;
    m_storage->setPlaceholderText(tr("./<name>.lwb"));
    connect(m_storage, &QLineEdit::textChanged, this, changed);
    sf->addRow(tr("Study file"), m_storage);
    m_seed = new QSpinBox;
    m_seed->setRange(0, 1 << 30);
    connect(m_seed, &QSpinBox::valueChanged, this, changed);
    sf->addRow(tr("Seed"), m_seed);

    // Objectives and constraints.
    auto* goals = new QGroupBox(tr("Objectives and constraints"));
    auto* gv = new QVBoxLayout(goals);
    auto* rowsHost = new QWidget;
    m_objectiveRows = new QVBoxLayout(rowsHost);
    m_objectiveRows->setContentsMargins(0, 0, 0, 0);
    gv->addWidget(field(rowsHost, QStringLiteral("objectives")));
    auto* addObjective = new QPushButton(tr("Add objective"));
    addObjective->setObjectName(QStringLiteral("addObjective"));
    connect(addObjective, &QPushButton::clicked, this, [this] {
        addObjectiveRow({});
        scheduleValidation();
    });
    gv->addWidget(addObjective, 0, Qt::AlignLeft);
    m_constraints = new QLineEdit;
    m_constraints->setObjectName(QStringLiteral("constraints"));
    m_constraints->setPlaceholderText(tr("e.g. p99_latency_ms<=20, peak_memory_gb<=70"));
    connect(m_constraints, &QLineEdit::textChanged, this, changed);
    auto* cf = new QFormLayout;
    cf->addRow(tr("Outcome constraints"), field(m_constraints, QStringLiteral("outcome_constraints")));
    gv->addLayout(cf);

    // Budget and search strategy.
    auto* budget = new QGroupBox(tr("Budget and strategy"));
    auto* bf = new QFormLayout(budget);
    m_trials = new QSpinBox;
    m_trials->setObjectName(QStringLiteral("trials"));
    m_trials->setRange(0, 100000);
    connect(m_trials, &QSpinBox::valueChanged, this, changed);
    bf->addRow(tr("Trials"), field(m_trials, QStringLiteral("budget.trials")));
    m_timeBudget = new QLineEdit;
    m_timeBudget->setObjectName(QStringLiteral("timeBudget"));
    m_timeBudget->setPlaceholderText(tr("none, or 15m, 2h, 1h30m"));
    connect(m_timeBudget, &QLineEdit::textChanged, this, changed);
    bf->addRow(tr("Wall time"), field(m_timeBudget, QStringLiteral("budget.time")));
    m_patience = new QSpinBox;
    m_patience->setRange(0, 10000);
    m_patience->setSpecialValueText(tr("off"));
    connect(m_patience, &QSpinBox::valueChanged, this, changed);
    bf->addRow(tr("Patience"), field(m_patience, QStringLiteral("budget.patience")));
    m_sampler = new QComboBox;
    m_sampler->setObjectName(QStringLiteral("sampler"));
    m_sampler->addItem(tr("GP Bayesian optimisation"), QStringLiteral("gp"));
    m_sampler->addItem(tr("Random"), QStringLiteral("random"));
    m_sampler->addItem(tr("Sobol"), QStringLiteral("sobol"));
    m_sampler->addItem(tr("Grid"), QStringLiteral("grid"));
    connect(m_sampler, &QComboBox::currentIndexChanged, this, changed);
    bf->addRow(tr("Sampler"), field(m_sampler, QStringLiteral("sampler")));
    m_pruner = new QComboBox;
    m_pruner->addItem(tr("None"), QStringLiteral("none"));
    m_pruner->addItem(tr("Median"), QStringLiteral("median"));
    m_pruner->addItem(tr("Successive halving"), QStringLiteral("halving"));
    connect(m_pruner, &QComboBox::currentIndexChanged, this, changed);
    bf->addRow(tr("Pruner"), field(m_pruner, QStringLiteral("pruner")));
    m_capture = new QComboBox;
    m_capture->addItem(tr("Best trials"), QStringLiteral("best"));
    m_capture->addItem(tr("All trials"), QStringLiteral("all"));
    m_capture->addItem(tr("None"), QStringLiteral("none"));
    connect(m_capture, &QComboBox::currentIndexChanged, this, changed);
    bf->addRow(tr("Capture timelines"), field(m_capture, QStringLiteral("capture.policy")));

    // Measurement rules.
    auto* meas = new QGroupBox(tr("Measurement"));
    auto* mf = new QFormLayout(meas);
    m_mode = new QComboBox;
    m_mode->addItem(tr("Throughput (until stable)"), QStringLiteral("throughput"));
    m_mode->addItem(tr("Time to target loss"), QStringLiteral("time_to_target_loss"));
    m_mode->addItem(tr("Loss after a time budget"), QStringLiteral("loss_after_time"));
    connect(m_mode, &QComboBox::currentIndexChanged, this, changed);
    mf->addRow(tr("Mode"), field(m_mode, QStringLiteral("measurement.mode")));
    m_warmup = new QSpinBox;
    m_warmup->setRange(-1, 1000);
    connect(m_warmup, &QSpinBox::valueChanged, this, changed);
    mf->addRow(tr("Warm-up windows"), field(m_warmup, QStringLiteral("measurement.warmup")));
    m_minSamples = new QSpinBox;
    m_minSamples->setRange(0, 10000);
    connect(m_minSamples, &QSpinBox::valueChanged, this, changed);
    mf->addRow(tr("Min samples"), field(m_minSamples, QStringLiteral("measurement.min_samples")));
    m_maxSamples = new QSpinBox;
    m_maxSamples->setObjectName(QStringLiteral("maxSamples"));
    m_maxSamples->setRange(0, 10000);
    connect(m_maxSamples, &QSpinBox::valueChanged, this, changed);
    mf->addRow(tr("Max samples"), field(m_maxSamples, QStringLiteral("measurement.max_samples")));
    m_maxNoise = new QDoubleSpinBox;
    m_maxNoise->setRange(0, 100);
    m_maxNoise->setSuffix(QStringLiteral(" %"));
    m_maxNoise->setDecimals(1);
    connect(m_maxNoise, &QDoubleSpinBox::valueChanged, this, changed);
    mf->addRow(tr("Max noise (rel. stddev)"), field(m_maxNoise, QStringLiteral("measurement.max_noise")));
    m_maxTime = new QLineEdit;
    connect(m_maxTime, &QLineEdit::textChanged, this, changed);
    mf->addRow(tr("Max time per trial"), field(m_maxTime, QStringLiteral("measurement.max_time")));
    m_targetLoss = new QDoubleSpinBox;
    m_targetLoss->setRange(0, 100);
    m_targetLoss->setDecimals(3);
    connect(m_targetLoss, &QDoubleSpinBox::valueChanged, this, changed);
    mf->addRow(tr("Target loss"), field(m_targetLoss, QStringLiteral("measurement.target_loss")));
    m_lossBudget = new QLineEdit;
    m_lossBudget->setPlaceholderText(tr("e.g. 10m"));
    connect(m_lossBudget, &QLineEdit::textChanged, this, changed);
    mf->addRow(tr("Loss time budget"), field(m_lossBudget, QStringLiteral("measurement.time_budget")));

    // Search space.
    m_space = new SearchSpaceModel(this);
    connect(m_space, &SearchSpaceModel::knobsEdited, this, changed);
    m_spaceView = new QTableView;
    m_spaceView->setObjectName(QStringLiteral("searchSpaceTable"));
    m_spaceView->setModel(m_space);
    m_spaceView->setItemDelegate(new ScaleDelegate(m_spaceView));
    m_spaceView->verticalHeader()->hide();
    m_spaceView->setAlternatingRowColors(true);
    m_spaceView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_spaceView->setEditTriggers(
        QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    m_spaceView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_spaceView->verticalHeader()->setDefaultSectionSize(m_spaceView->fontMetrics().height() + 8);
    m_spaceView->horizontalHeader()->setStretchLastSection(true);
    auto* spaceHint = new QLabel(tr("Tick <b>Search</b> to tune a knob; double-click a cell to edit its domain. "
                                    "Knobs not searched run at their fixed value (or the workload's default)."));
    spaceHint->setWordWrap(true);
    auto* spaceBox = new QGroupBox(tr("Search space"));
    auto* spv = new QVBoxLayout(spaceBox);
    spv->addWidget(spaceHint);
    spv->addWidget(field(m_spaceView, QStringLiteral("search_space")), 1);

    // Columns: form on the left (scrolls), search space on the right.
    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    lv->addWidget(study);
    lv->addWidget(goals);
    lv->addWidget(budget);
    lv->addWidget(meas);
    lv->addStretch();
    auto* scroll = new QScrollArea;
    scroll->setWidget(left);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumWidth(360);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(scroll);
    split->addWidget(spaceBox);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({420, 760}); // the search space needs the width: domains, choices, issues

    // Bottom bar.
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("validationSummary"));
    auto* load = new QPushButton(tr("Load spec\u2026"));
    load->setObjectName(QStringLiteral("loadSpec"));
    connect(load, &QPushButton::clicked, this, &SetupPage::openSpecDialog);
    auto* save = new QPushButton(tr("Save spec\u2026"));
    save->setObjectName(QStringLiteral("saveSpec"));
    connect(save, &QPushButton::clicked, this, &SetupPage::saveSpecDialog);
    m_runButton = new QPushButton(tr("Run"));
    m_runButton->setObjectName(QStringLiteral("runButton"));
    m_runButton->setToolTip(tr("Start the study (F5)"));
    m_runButton->setDefault(true);
    connect(m_runButton, &QPushButton::clicked, this, &SetupPage::run);
    m_pauseButton = new QPushButton(tr("Pause"));
    m_pauseButton->setObjectName(QStringLiteral("pauseButton"));
    m_pauseButton->setToolTip(tr("No new trial starts after the running one (F6)"));
    connect(m_pauseButton, &QPushButton::clicked, this, &SetupPage::pauseOrResume);
    m_stopButton = new QToolButton;
    m_stopButton->setObjectName(QStringLiteral("stopButton"));
    m_stopButton->setText(tr("Stop"));
    m_stopButton->setToolTip(tr("Finish the running trial, keep it, and stop (Shift+F5)"));
    m_stopButton->setPopupMode(QToolButton::MenuButtonPopup);
    auto* stopMenu = new QMenu(m_stopButton);
    stopMenu->addAction(tr("Stop after the running trial"), this, &SetupPage::stop);
    stopMenu->addAction(tr("Stop now (abandon the running trial)"), this, &SetupPage::stopNow);
    m_stopButton->setMenu(stopMenu);
    connect(m_stopButton, &QToolButton::clicked, this, &SetupPage::stop);
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_summary, 1);
    bar->addWidget(load);
    bar->addWidget(save);
    bar->addSpacing(16);
    bar->addWidget(m_runButton);
    bar->addWidget(m_pauseButton);
    bar->addWidget(m_stopButton);

    auto* root = new QVBoxLayout(this);
    root->addWidget(split, 1);
    root->addLayout(bar);
    if (m_workloads.empty())
        m_workloadInfo->setText(tr("<i>No workloads are available: the workbench service is not connected in this "
                                   "build. Run <tt>lepton-workbench --demo</tt> to explore with synthetic data.</i>"));
}

void SetupPage::addObjectiveRow(const ObjectiveSetting& objective)
{
    auto* row = new QWidget;
    row->setObjectName(QStringLiteral("objectiveRow"));
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    auto* metric = new QComboBox;
    metric->setObjectName(QStringLiteral("objectiveMetric"));
    metric->setEditable(true);
    metric->setMinimumContentsLength(16);
    auto* dir = new QComboBox;
    dir->setObjectName(QStringLiteral("objectiveDirection"));
    dir->addItem(tr("maximise"), static_cast<int>(Direction::Maximize));
    dir->addItem(tr("minimise"), static_cast<int>(Direction::Minimize));
    auto* remove = new QToolButton;
    remove->setText(QStringLiteral("\u2715"));
    remove->setToolTip(tr("Remove this objective"));
    h->addWidget(metric, 1);
    h->addWidget(dir);
    h->addWidget(remove);
    m_objectiveRows->addWidget(row);
    refreshObjectiveChoices();
    metric->setCurrentIndex(metric->findData(qs(objective.metric)));
    if (metric->currentIndex() < 0)
        metric->setEditText(qs(objective.metric));
    dir->setCurrentIndex(objective.direction == Direction::Maximize ? 0 : 1);
    connect(metric, &QComboBox::currentTextChanged, this, [this, metric, dir] {
        // Picking a metric sets its natural direction.
        const QString name = metric->currentData().toString();
        for (const auto& w : m_workloads)
            if (qs(w.name) == m_workload->currentText())
                for (const auto& m : w.metrics)
                    if (qs(m.name) == name)
                        dir->setCurrentIndex(m.better == Direction::Maximize ? 0 : 1);
        scheduleValidation();
    });
    connect(dir, &QComboBox::currentIndexChanged, this, [this] { scheduleValidation(); });
    connect(remove, &QToolButton::clicked, this, [this, row] {
        row->deleteLater();
        m_objectiveRows->removeWidget(row);
        scheduleValidation();
    });
}

void SetupPage::refreshObjectiveChoices()
{
    const WorkloadInfo* w = nullptr;
    for (const auto& x : m_workloads)
        if (qs(x.name) == m_workload->currentText())
            w = &x;
    for (int i = 0; i < m_objectiveRows->count(); ++i) {
        auto* row = m_objectiveRows->itemAt(i)->widget();
        auto* metric = row ? row->findChild<QComboBox*>(QStringLiteral("objectiveMetric")) : nullptr;
        if (!metric || metric->count() > 0 || !w)
            continue;
        const QSignalBlocker block(metric);
        for (const auto& m : w->metrics)
            metric->addItem(metricLabel(m), qs(m.name));
    }
}

SetupSpec SetupPage::spec() const
{
    SetupSpec s;
    s.name = m_name->text().trimmed().toStdString();
    s.workload = m_workload->currentText().toStdString();
    s.knobs = m_space->knobs();
    for (int i = 0; i < m_objectiveRows->count(); ++i) {
        auto* row = m_objectiveRows->itemAt(i)->widget();
        if (!row)
            continue;
        auto* metric = row->findChild<QComboBox*>(QStringLiteral("objectiveMetric"));
        auto* dir = row->findChild<QComboBox*>(QStringLiteral("objectiveDirection"));
        QString name = metric->currentData().toString();
        if (name.isEmpty() || metric->currentText() != metric->itemText(metric->currentIndex()))
            name = metric->currentText().section(QLatin1Char(' '), 0, 0);
        s.objectives.push_back({name.trimmed().toStdString(), static_cast<Direction>(dir->currentData().toInt())});
    }
    for (const QString& c : m_constraints->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!c.trimmed().isEmpty())
            s.outcomeConstraints.push_back(c.trimmed().toStdString());
    s.trials = m_trials->value();
    s.timeBudget = m_timeBudget->text().trimmed().toStdString();
    s.patience = m_patience->value();
    s.sampler = m_sampler->currentData().toString().toStdString();
    s.pruner = m_pruner->currentData().toString().toStdString();
    s.capture = m_capture->currentData().toString().toStdString();
    s.measurement.mode = m_mode->currentData().toString().toStdString();
    s.measurement.warmup = m_warmup->value();
    s.measurement.minSamples = m_minSamples->value();
    s.measurement.maxSamples = m_maxSamples->value();
    s.measurement.maxNoise = m_maxNoise->value() / 100.0;
    s.measurement.maxTime = m_maxTime->text().trimmed().toStdString();
    s.measurement.targetLoss = m_targetLoss->value();
    s.measurement.lossTimeBudget = m_lossBudget->text().trimmed().toStdString();
    s.seed = static_cast<std::uint64_t>(m_seed->value());
    s.storage = m_storage->text().trimmed().toStdString();
    return s;
}

void SetupPage::setSpec(const SetupSpec& s)
{
    m_loading = true;
    m_name->setText(qs(s.name));
    {
        const QSignalBlocker block(m_workload);
        int idx = m_workload->findText(qs(s.workload));
        if (idx < 0 && !s.workload.empty()) {
            m_workload->addItem(qs(s.workload));
            idx = m_workload->count() - 1;
        }
        m_workload->setCurrentIndex(idx);
    }
    std::vector<KnobInfo> infos;
    QString info;
    for (const auto& w : m_workloads)
        if (w.name == s.workload) {
            infos = w.knobs;
            info = qs(w.description);
        }
    m_workloadInfo->setText(info);
    m_space->setKnobs(s.knobs, infos);
    while (m_objectiveRows->count() > 0) {
        QWidget* w = m_objectiveRows->itemAt(0)->widget();
        m_objectiveRows->removeWidget(w);
        delete w;
    }
    for (const auto& o : s.objectives)
        addObjectiveRow(o);
    QStringList constraints;
    for (const auto& c : s.outcomeConstraints)
        constraints << qs(c);
    m_constraints->setText(constraints.join(QStringLiteral(", ")));
    m_trials->setValue(s.trials);
    m_timeBudget->setText(qs(s.timeBudget));
    m_patience->setValue(s.patience);
    auto pick = [](QComboBox* c, const std::string& v) {
        int i = c->findData(qs(v));
        if (i < 0) {
            c->addItem(qs(v), qs(v)); // keep an unknown value visible so validation can name it
            i = c->count() - 1;
        }
        c->setCurrentIndex(i);
    };
    pick(m_sampler, s.sampler);
    pick(m_pruner, s.pruner);
    pick(m_capture, s.capture);
    pick(m_mode, s.measurement.mode);
    m_warmup->setValue(s.measurement.warmup);
    m_minSamples->setValue(s.measurement.minSamples);
    m_maxSamples->setValue(s.measurement.maxSamples);
    m_maxNoise->setValue(s.measurement.maxNoise * 100.0);
    m_maxTime->setText(qs(s.measurement.maxTime));
    m_targetLoss->setValue(s.measurement.targetLoss);
    m_lossBudget->setText(qs(s.measurement.lossTimeBudget));
    m_seed->setValue(static_cast<int>(s.seed));
    m_storage->setText(qs(s.storage));
    m_loading = false;
    scheduleValidation();
}

void SetupPage::workloadChanged()
{
    for (const auto& w : m_workloads) {
        if (qs(w.name) != m_workload->currentText())
            continue;
        SetupSpec next = defaultSetup(w);
        const SetupSpec cur = spec();
        // Keep what is not about the workload.
        const bool defaultName = cur.name.empty() || QString::fromStdString(cur.name).endsWith(QLatin1String("-study"));
        if (!defaultName)
            next.name = cur.name;
        next.trials = cur.trials;
        next.timeBudget = cur.timeBudget;
        next.sampler = cur.sampler;
        next.pruner = cur.pruner;
        next.measurement = cur.measurement;
        next.seed = cur.seed;
        setSpec(next);
        return;
    }
}

void SetupPage::scheduleValidation()
{
    // Fields that only apply to one measurement mode are enabled with it.
    const QString mode = m_mode->currentData().toString();
    m_targetLoss->setEnabled(mode == QLatin1String("time_to_target_loss"));
    m_lossBudget->setEnabled(mode == QLatin1String("loss_after_time"));
    if (!m_loading)
        m_validateTimer->start();
}

void SetupPage::validateNow()
{
    m_validateTimer->stop();
    m_issues = m_controller->validate(spec());
    showIssues();
}

QString SetupPage::fieldMessage(const QString& key) const
{
    auto it = m_fieldMessages.find(key);
    return it == m_fieldMessages.end() ? QString() : it->second->text();
}

void SetupPage::showIssues()
{
    std::map<QString, std::pair<IssueSeverity, QString>> byField;
    int errors = 0, warnings = 0;
    for (const auto& issue : m_issues) {
        (issue.severity == IssueSeverity::Error ? errors : warnings)++;
        QString key = qs(issue.field);
        // search_space.<knob> and settings.<knob> are shown in the table.
        if (key.startsWith(QLatin1String("search_space.")) || key.startsWith(QLatin1String("settings.")))
            continue;
        auto& slot = byField[key];
        if (slot.second.isEmpty() || (slot.first == IssueSeverity::Warning && issue.severity == IssueSeverity::Error))
            slot = {issue.severity, qs(issue.message)};
    }
    for (auto& [key, label] : m_fieldMessages) {
        auto it = byField.find(key);
        if (it == byField.end()) {
            label->clear();
            label->setVisible(false);
            continue;
        }
        const bool error = it->second.first == IssueSeverity::Error;
        label->setText(it->second.second);
        label->setStyleSheet(error ? QStringLiteral("color:#d93f3f") : QStringLiteral("color:#c08a1c"));
        label->setVisible(true);
    }
    m_space->setIssues(m_issues);
    if (errors == 0 && warnings == 0)
        m_summary->setText(tr("<span style='color:#2e9d57'>\u2714 The spec is valid.</span>"));
    else
        m_summary->setText(tr("<span style='color:%1'>%2 error(s), %3 warning(s)</span>%4")
                               .arg(errors ? QStringLiteral("#d93f3f") : QStringLiteral("#c08a1c"))
                               .arg(errors)
                               .arg(warnings)
                               .arg(errors ? tr(" \u2014 fix the fields marked in red to run") : QString()));
    onRunState(m_controller->runState());
}

void SetupPage::onRunState(RunState state)
{
    const bool active = state == RunState::Running || state == RunState::Pausing || state == RunState::Paused
        || state == RunState::Stopping;
    m_runButton->setEnabled(!active && !hasErrors(m_issues));
    m_pauseButton->setEnabled(state == RunState::Running || state == RunState::Paused || state == RunState::Pausing);
    m_pauseButton->setText(state == RunState::Paused || state == RunState::Pausing ? tr("Resume") : tr("Pause"));
    m_stopButton->setEnabled(active && state != RunState::Stopping);
}

void SetupPage::run()
{
    validateNow();
    if (hasErrors(m_issues))
        return;
    m_controller->startStudy(spec());
}

void SetupPage::pauseOrResume()
{
    const RunState s = m_controller->runState();
    if (s == RunState::Paused || s == RunState::Pausing)
        m_controller->resumeStudy();
    else if (s == RunState::Running)
        m_controller->pauseStudy();
}

void SetupPage::stop()
{
    m_controller->stopStudy(StopMode::FinishTrial);
}
void SetupPage::stopNow()
{
    m_controller->stopStudy(StopMode::AbandonTrial);
}

bool SetupPage::loadYaml(const QString& path)
{
    auto text = readTextFile(path.toStdString());
    if (!text) {
        emit userMessage(UserMessage {Severity::Error, "Cannot read " + path.toStdString(), text.error().message});
        return false;
    }
    auto parsed = setupFromYaml(*text, m_workloads);
    if (!parsed) {
        emit userMessage(
            UserMessage {Severity::Error, "The spec " + path.toStdString() + " is malformed", parsed.error().message});
        return false;
    }
    setSpec(*parsed);
    validateNow();
    return true;
}

bool SetupPage::saveYaml(const QString& path)
{
    Status st = writeFileAtomic(path.toStdString(), setupToYaml(spec()));
    if (!st) {
        emit userMessage(UserMessage {Severity::Error, "Cannot write " + path.toStdString(), st.error().message});
        return false;
    }
    emit userMessage(UserMessage {Severity::Info, "Saved the spec to " + path.toStdString(), {}});
    return true;
}

void SetupPage::openSpecDialog()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Load study spec"), QString(), tr("Study specs (*.yaml *.yml)"));
    if (!path.isEmpty())
        loadYaml(path);
}

void SetupPage::saveSpecDialog()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save study spec"), qs(spec().name) + QStringLiteral(".yaml"), tr("Study specs (*.yaml *.yml)"));
    if (!path.isEmpty())
        saveYaml(path);
}

} // namespace lwb::ui
