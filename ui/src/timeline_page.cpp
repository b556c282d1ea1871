// Timeline page (see timeline_page.h).
#include "lwb/ui/timeline_page.h"

#include "widget_util.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

namespace lwb::ui {

TimelinePage::TimelinePage(StudyController* controller, QWidget* parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("TimelinePage"));
    m_view = new TimelineView;
    m_view->setObjectName(QStringLiteral("timelineView"));
    m_trial = new QComboBox;
    m_trial->setObjectName(QStringLiteral("timelineTrial"));
    m_trial->setMinimumContentsLength(28);
    m_trial->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_trial->setToolTip(tr("Trials with a captured timeline"));
    connect(m_trial, &QComboBox::activated, this, [this](int index) {
        const int trial = m_trial->itemData(index).toInt();
        if (!m_timeline || m_timeline->trial != trial)
            loadTrial(trial);
    });
    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("timelineSearch"));
    m_search->setPlaceholderText(tr("Search kernels and ops (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->setMinimumWidth(220);
    connect(m_search, &QLineEdit::textChanged, this, &TimelinePage::search);
    connect(m_search, &QLineEdit::returnPressed, this, &TimelinePage::nextMatch);
    auto tool = [this](const QString& text, const QString& tip, auto slot) {
        auto* b = new QToolButton;
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        connect(b, &QToolButton::clicked, this, slot);
        return b;
    };
    auto* prev = tool(QStringLiteral("\u25b2"), tr("Previous match (Shift+F3)"), &TimelinePage::previousMatch);
    auto* next = tool(QStringLiteral("\u25bc"), tr("Next match (F3)"), &TimelinePage::nextMatch);
    m_matches = new QLabel;
    m_matches->setObjectName(QStringLiteral("timelineMatches"));
    auto* fit = tool(tr("Fit"), tr("Show the whole trace (F)"), [this] { m_view->fitAll(); });
    m_zoomSel = tool(tr("Zoom to selection"), tr("Zoom to the range selected with Shift+drag or right-drag (Z)"),
        [this] { m_view->zoomToSelection(); });
    m_zoomSel->setObjectName(QStringLiteral("zoomToSelection"));
    m_zoomSel->setEnabled(false);
    m_title = new QLabel;
    m_title->setObjectName(QStringLiteral("timelineTitle"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Trial")));
    bar->addWidget(m_trial);
    bar->addSpacing(12);
    bar->addWidget(m_search);
    bar->addWidget(prev);
    bar->addWidget(next);
    bar->addWidget(m_matches);
    bar->addStretch();
    bar->addWidget(fit);
    bar->addWidget(m_zoomSel);

    m_range = new QLabel;
    m_range->setObjectName(QStringLiteral("timelineRange"));
    m_details = new QLabel(tr("Drag to pan, wheel to zoom at the cursor, Shift+drag to select a range, "
                              "double-click to zoom into an item, click an item for its details."));
    m_details->setObjectName(QStringLiteral("timelineDetails"));
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_details, 1);
    bottom->addWidget(m_range);

    auto* root = new QVBoxLayout(this);
    root->addLayout(bar);
    root->addWidget(m_title);
    root->addWidget(m_view, 1);
    root->addLayout(bottom);

    connect(m_view, &TimelineView::framePainted, this, &TimelinePage::updateInfo);
    connect(m_view, &TimelineView::selectionChanged, this,
        [this] { m_zoomSel->setEnabled(m_view->selection().has_value()); });
    connect(m_view, &TimelineView::itemSelected, this, [this](const QString& d) {
        if (!d.isEmpty())
            m_details->setText(d);
    });
}

void TimelinePage::setStudy(StudySnapshotPtr study)
{
    m_study = std::move(study);
    const int current = m_trial->currentData().isValid() ? m_trial->currentData().toInt() : -1;
    const QSignalBlocker block(m_trial);
    m_trial->clear();
    if (!m_study)
        return;
    for (const auto& t : m_study->trials) {
        if (!t.hasTrace)
            continue;
        QString label = tr("Trial %1").arg(t.number);
        if (!t.values.empty() && t.values.front())
            label += QStringLiteral(" \u2014 %1 %2")
                         .arg(formatNumber(*t.values.front()), qs(m_study->objectives.front().metric));
        m_trial->addItem(label, t.number);
    }
    const int idx = m_trial->findData(m_timeline ? m_timeline->trial : current);
    m_trial->setCurrentIndex(idx);
}

void TimelinePage::loadTrial(int trial)
{
    m_title->setText(tr("Loading the timeline of trial %1\u2026").arg(trial));
    m_controller->requestTimeline(trial);
}

void TimelinePage::setTimeline(TimelineSnapshotPtr timeline)
{
    m_timeline = std::move(timeline);
    m_view->setSource(m_timeline ? m_timeline->source : nullptr);
    if (!m_timeline) {
        m_title->clear();
        return;
    }
    QString title = QStringLiteral("<b>%1</b>").arg(qs(m_timeline->label).toHtmlEscaped());
    if (m_timeline->source) {
        std::int64_t items = 0;
        for (const auto& t : m_timeline->source->tracks())
            items += t.itemCount;
        title += tr(" &nbsp;\u00b7&nbsp; %L1 records on %2 tracks, %3")
                     .arg(items)
                     .arg(m_timeline->source->tracks().size())
                     .arg(qs(formatDuration(static_cast<double>(m_timeline->source->timeRange().durationNs()))));
    }
    if (m_timeline->droppedRecords > 0)
        title += tr(" &nbsp;<span style='color:#d93f3f'>%L1 records were dropped during capture</span>")
                     .arg(m_timeline->droppedRecords);
    for (const auto& note : m_timeline->captureNotes)
        title += QStringLiteral(" &nbsp;<span style='color:#b8860b'>%1</span>").arg(qs(note).toHtmlEscaped());
    m_title->setText(title);
    const int idx = m_trial->findData(m_timeline->trial);
    if (idx >= 0)
        m_trial->setCurrentIndex(idx);
    if (!m_search->text().isEmpty())
        search(m_search->text());
    updateInfo();
}

void TimelinePage::search(const QString& text)
{
    if (text.isEmpty()) {
        m_view->clearHighlight();
        m_matches->clear();
        return;
    }
    const std::int64_t n = m_view->setSearchText(text);
    m_matches->setText(n == 0 ? tr("<span style='color:#d93f3f'>no match</span>") : tr("%L1 matches").arg(n));
}

void TimelinePage::highlightKernel(const QString& name)
{
    {
        const QSignalBlocker block(m_search);
        m_search->setText(name);
    }
    const std::int64_t n = m_view->highlightName(name);
    m_matches->setText(tr("%L1 occurrences").arg(n));
}

void TimelinePage::focusSearch()
{
    m_search->setFocus();
    m_search->selectAll();
}

void TimelinePage::nextMatch()
{
    if (!m_view->jumpToMatch(SearchDirection::Next))
        m_details->setText(tr("No further match after this point."));
}

void TimelinePage::previousMatch()
{
    if (!m_view->jumpToMatch(SearchDirection::Previous))
        m_details->setText(tr("No match before this point."));
}

void TimelinePage::updateInfo()
{
    if (!m_view->source()) {
        m_range->clear();
        return;
    }
    const auto& m = m_view->mapping();
    const auto s = m_view->lastFrame();
    const double origin = static_cast<double>(m_view->source()->timeRange().startNs);
    m_range->setText(tr("%1 \u2013 %2 (%3 per px) \u00b7 %L4 boxes for %L5 items, %L6 folded")
                         .arg(qs(formatDuration(m.startNs() - origin)), qs(formatDuration(m.endNs() - origin)),
                             qs(formatDuration(m.nsPerPx())))
                         .arg(static_cast<qlonglong>(s.boxes))
                         .arg(static_cast<qlonglong>(s.items))
                         .arg(static_cast<qlonglong>(s.folded)));
}

} // namespace lwb::ui
