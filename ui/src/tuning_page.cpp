// Tuning page (see tuning_page.h). Plots receive the same immutable snapshot; only the loss
// curve uses Qt Charts (tens of points, live appends); trial plots and importance are QPainter.
#include "lwb/ui/tuning_page.h"

#include "lwb/ui/study_plots.h"
#include "lwb/ui/theme.h"
#include "widget_util.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QEvent>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QProgressBar>
#include <QSplitter>
#include <QTabWidget>
#include <QValueAxis>

#include <algorithm>

namespace lwb::ui {

ImportanceView::ImportanceView(QWidget* parent)
    : QWidget(parent)
{
    setMinimumHeight(90);
}

void ImportanceView::setInsights(InsightsPtr insights)
{
    m_insights = std::move(insights);
    update();
}

int ImportanceView::bars() const
{
    return m_insights ? static_cast<int>(m_insights->importance.size()) : 0;
}

void ImportanceView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const PlotStyle style = PlotStyle::fromPalette(palette());
    p.fillRect(rect(), style.background);
    if (!m_insights || m_insights->importance.empty()) {
        p.setPen(style.mutedText);
        p.drawText(
            rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Importance appears once the model has enough trials"));
        return;
    }
    const QFontMetricsF fm(font());
    const auto& entries = m_insights->importance;
    double labelW = 0;
    for (const auto& e : entries)
        labelW = std::max(labelW, fm.horizontalAdvance(qs(e.param)));
    labelW += 12;
    const double valueW = fm.horizontalAdvance(QStringLiteral("100%")) + 10;
    const double rowH = std::min(26.0, (height() - 4.0) / static_cast<double>(entries.size()));
    const double maxW = std::max(1e-9, entries.front().weight);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const double y = 2 + static_cast<double>(i) * rowH;
        p.setPen(style.text);
        p.drawText(QRectF(0, y, labelW - 8, rowH), Qt::AlignRight | Qt::AlignVCenter, qs(entries[i].param));
        const double w = (width() - labelW - valueW) * entries[i].weight / maxW;
        QColor c = style.accent;
        c.setAlpha(i == 0 ? 255 : 200);
        p.fillRect(QRectF(labelW, y + rowH * 0.18, std::max(1.0, w), rowH * 0.64), c);
        p.setPen(style.mutedText);
        p.drawText(QRectF(labelW + w + 4, y, valueW, rowH), Qt::AlignLeft | Qt::AlignVCenter,
            QStringLiteral("%1%").arg(entries[i].weight * 100, 0, 'f', 0));
    }
}

TuningPage::TuningPage(StudyController* controller, QWidget* parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("TuningPage"));
    // Status line and the running trial.
    m_status = new QLabel(tr("No study yet"));
    m_status->setObjectName(QStringLiteral("tuningStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_objective = new QComboBox;
    m_objective->setObjectName(QStringLiteral("objectiveCombo"));
    connect(m_objective, &QComboBox::currentIndexChanged, this, [this] { objectiveChanged(); });
    auto* top = new QHBoxLayout;
    top->addWidget(m_status, 1);
    top->addWidget(new QLabel(tr("Objective")));
    top->addWidget(m_objective);

    m_trialLabel = new QLabel(tr("No trial running"));
    m_trialLabel->setObjectName(QStringLiteral("trialProgressLabel"));
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("trialProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(10);

    // Loss curve of the running trial.
    auto* lossChart = new QChart;
    lossChart->legend()->hide();
    lossChart->setMargins(QMargins(4, 4, 4, 4));
    lossChart->setBackgroundRoundness(0);
    m_loss = new QLineSeries;
    lossChart->addSeries(m_loss);
    m_lossX = new QValueAxis;
    m_lossX->setTitleText(tr("step"));
    m_lossX->setLabelFormat(QStringLiteral("%d"));
    m_lossY = new QValueAxis;
    m_lossY->setTitleText(tr("loss"));
    lossChart->addAxis(m_lossX, Qt::AlignBottom);
    lossChart->addAxis(m_lossY, Qt::AlignLeft);
    m_loss->attachAxis(m_lossX);
    m_loss->attachAxis(m_lossY);
    m_lossView = new QChartView(lossChart);
    m_lossView->setRenderHint(QPainter::Antialiasing);
    m_lossView->setMinimumHeight(140);
    styleCharts();
    auto* current = new QWidget;
    auto* cv = new QVBoxLayout(current);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->addWidget(m_trialLabel);
    cv->addWidget(m_progress);
    cv->addWidget(m_lossView, 1);

    // History / Pareto.
    m_history = new StudyPlot(StudyPlot::Kind::History);
    m_history->setObjectName(QStringLiteral("historyPlot"));
    m_pareto = new StudyPlot(StudyPlot::Kind::Pareto);
    m_pareto->setObjectName(QStringLiteral("paretoPlot"));
    m_historyTabs = new QTabWidget;
    m_historyTabs->setDocumentMode(true);
    m_historyTabs->addTab(m_history, tr("History"));
    m_historyTabs->addTab(m_pareto, tr("Pareto front"));
    m_parallel = new StudyPlot(StudyPlot::Kind::ParallelCoordinates);
    m_parallel->setObjectName(QStringLiteral("parallelPlot"));
    m_slice = new StudyPlot(StudyPlot::Kind::Slice);
    m_slice->setObjectName(QStringLiteral("slicePlot"));
    m_param = new QComboBox;
    m_param->setObjectName(QStringLiteral("sliceParam"));
    connect(m_param, &QComboBox::currentTextChanged, this,
        [this](const QString& p) { m_slice->setParam(p.toStdString()); });
    for (StudyPlot* plot : {m_history, m_pareto, m_slice}) {
        connect(plot, &StudyPlot::trialClicked, this, &TuningPage::trialClicked);
        connect(plot, &StudyPlot::trialClicked, this, &TuningPage::showTrialCurve);
    }

    m_importance = new ImportanceView;
    m_importance->setObjectName(QStringLiteral("importanceView"));

    auto* left = new QSplitter(Qt::Vertical);
    left->addWidget(makePanel(tr("Optimisation history"), m_historyTabs));
    left->addWidget(makePanel(tr("Parallel coordinates"), m_parallel));
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(makePanel(tr("Running trial"), current));
    right->addWidget(makePanel(tr("Parameter slice (GP surrogate)"), m_slice, m_param));
    right->addWidget(makePanel(tr("Parameter importance"), m_importance));
    right->setSizes({260, 420, 200});
    left->setSizes({480, 360});
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* root = new QVBoxLayout(this);
    root->addLayout(top);
    root->addWidget(split, 1);

    connect(controller, &StudyController::runStateChanged, this, [this](RunState s) {
        m_state = s;
        updateStatus();
    });
    m_state = controller->runState();
}

void TuningPage::setStudy(StudySnapshotPtr study)
{
    const bool newShape
        = !m_study || !study || m_study->objectives != study->objectives || m_study->params != study->params;
    m_study = std::move(study);
    if (newShape) {
        const QSignalBlocker b1(m_objective);
        const QSignalBlocker b2(m_param);
        const QString param = m_param->currentText();
        m_objective->clear();
        m_param->clear();
        if (m_study) {
            for (const auto& o : m_study->objectives)
                m_objective->addItem(qs(o.metric));
            for (const auto& p : m_study->params)
                m_param->addItem(qs(p.name));
        }
        const int keep = m_param->findText(param);
        m_param->setCurrentIndex(keep >= 0 ? keep : 0);
        m_slice->setParam(m_param->currentText().toStdString());
        if (!m_trialRunning) { // a curve of the previous study's trial would mislead
            m_trialLabel->setText(tr("No trial running"));
            m_progress->setValue(0);
            setLossCurve({});
        }
        const bool multi = m_study && m_study->objectives.size() >= 2;
        m_historyTabs->setTabEnabled(1, multi);
        if (multi)
            m_historyTabs->setCurrentIndex(1);
        else
            m_historyTabs->setCurrentIndex(0);
    }
    for (StudyPlot* plot : {m_history, m_pareto, m_parallel, m_slice})
        plot->setStudy(m_study);
    updateStatus();
}

void TuningPage::setInsights(InsightsPtr insights)
{
    m_insights = std::move(insights);
    m_slice->setInsights(m_insights);
    m_importance->setInsights(m_insights);
}

void TuningPage::setProgress(const TrialProgress& progress)
{
    m_trialRunning = progress.trial >= 0;
    if (!m_trialRunning) {
        m_trialLabel->setText(tr("No trial running"));
        m_progress->setValue(0);
        return;
    }
    m_trialLabel->setText(tr("<b>Trial %1</b> \u2014 %2: %3 (%4 s)")
                              .arg(progress.trial)
                              .arg(qs(progress.phase), qs(progress.message))
                              .arg(progress.elapsedSeconds, 0, 'f', 1));
    m_progress->setValue(static_cast<int>(progress.fraction * 1000));
    setLossCurve(progress.loss);
}

void TuningPage::showTrialCurve(int trial)
{
    if (m_trialRunning || !m_study)
        return;
    for (const auto& t : m_study->trials) {
        if (t.number != trial)
            continue;
        m_trialLabel->setText(t.intermediate.empty()
                ? tr("Trial %1 (%2) reported no intermediate values").arg(t.number).arg(qs(trialStateName(t.state)))
                : tr("<b>Trial %1</b> (%2): training loss, %3 steps")
                      .arg(t.number)
                      .arg(qs(trialStateName(t.state)))
                      .arg(t.intermediate.back().first));
        m_progress->setValue(t.state == TrialState::Running ? 0 : 1000);
        setLossCurve(t.intermediate);
        return;
    }
}

void TuningPage::setLossCurve(const std::vector<std::pair<std::int64_t, double>>& loss)
{
    QList<QPointF> pts;
    double lo = 0, hi = 1, xmax = 10;
    bool any = false;
    for (const auto& [step, v] : loss) {
        pts << QPointF(static_cast<double>(step), v);
        lo = any ? std::min(lo, v) : v;
        hi = any ? std::max(hi, v) : v;
        xmax = std::max(xmax, static_cast<double>(step));
        any = true;
    }
    m_loss->replace(pts);
    m_lossX->setRange(0, xmax);
    if (any)
        m_lossY->setRange(std::max(0.0, lo - 0.1 * (hi - lo + 0.1)), hi + 0.1 * (hi - lo + 0.1));
}

void TuningPage::objectiveChanged()
{
    const int o = std::max(0, m_objective->currentIndex());
    m_history->setObjective(o);
    m_parallel->setObjective(o);
    m_slice->setObjective(o);
}

void TuningPage::updateStatus()
{
    if (!m_study) {
        m_status->setText(tr("No study yet \u2014 open one (Ctrl+O) or start one on the Setup page"));
        return;
    }
    int complete = 0, failed = 0, pruned = 0;
    for (const auto& t : m_study->trials) {
        complete += t.state == TrialState::Complete;
        failed += t.state == TrialState::Failed;
        pruned += t.state == TrialState::Pruned;
    }
    QString text = QStringLiteral("<b>%1</b> &nbsp;%2 &nbsp;\u00b7&nbsp; %3 trials")
                       .arg(qs(m_study->name), qs(runStateName(m_state)))
                       .arg(m_study->trials.size());
    if (m_study->budgetTrials > 0)
        text += tr(" of %1").arg(m_study->budgetTrials);
    text += tr(" (%1 complete, %2 failed, %3 pruned)").arg(complete).arg(failed).arg(pruned);
    const int o = std::max(0, m_objective->currentIndex());
    const int best = bestTrialIndex(*m_study, o);
    if (best >= 0) {
        const auto& t = m_study->trials[static_cast<std::size_t>(best)];
        const auto& obj = m_study->objectives[static_cast<std::size_t>(o)];
        text += tr(" &nbsp;\u00b7&nbsp; best %1 = <b>%2</b> %3 (trial %4)")
                    .arg(qs(obj.metric), formatNumber(*t.values[static_cast<std::size_t>(o)]), qs(obj.unit))
                    .arg(t.number);
    }
    m_status->setText(text);
}

QString TuningPage::statusText() const
{
    return m_status->text();
}

int TuningPage::importanceBars() const
{
    return m_importance->bars();
}

void TuningPage::styleCharts()
{
    const PlotStyle st = PlotStyle::fromPalette(palette());
    QChart* chart = m_lossView->chart();
    chart->setBackgroundBrush(st.background);
    chart->setPlotAreaBackgroundBrush(st.panel);
    chart->setPlotAreaBackgroundVisible(true);
    for (QValueAxis* axis : {m_lossX, m_lossY}) {
        axis->setLabelsColor(st.mutedText);
        axis->setGridLineColor(st.grid);
        axis->setLinePenColor(st.axis);
        axis->setTitleBrush(st.text);
    }
    m_loss->setPen(QPen(st.accent, 2));
}

void TuningPage::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        styleCharts();
    QWidget::changeEvent(event);
}

int TuningPage::lossPoints() const
{
    return static_cast<int>(m_loss->count());
}

} // namespace lwb::ui
