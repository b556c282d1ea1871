// TimelineView (see timeline_view.h). Painting: ruler on top, then per visible track a header
// line and its lanes; boxes come from the per-frame draw list, labels only where they fit (text
// widths cached per name), folded runs drawn muted with their count, highlights outlined.
#include "lwb/ui/timeline_view.h"

#include "lwb/ui/theme.h"

#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace lwb::ui {

namespace {
constexpr double kRulerHeight = 26;
constexpr double kHeaderHeight = 20;
constexpr double kTrackGap = 4;
QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<int>(s.size()));
}

QColor categoryColor(ItemCategory c, std::string_view name, bool dark)
{
    switch (c) {
    case ItemCategory::Memcpy:
        return dark ? QColor(0x3c, 0xb4, 0xa8) : QColor(0x49, 0xb8, 0xac);
    case ItemCategory::Memset:
        return QColor(0x7a, 0xb8, 0x4c);
    case ItemCategory::Sync:
        return dark ? QColor(0xc0, 0x55, 0x55) : QColor(0xe0, 0x7a, 0x7a);
    case ItemCategory::Api:
        return dark ? QColor(0x6f, 0x7f, 0x95) : QColor(0xa9, 0xb6, 0xc8);
    case ItemCategory::Marker:
        return dark ? QColor(0x6a, 0x5f, 0x8e) : QColor(0xb9, 0xae, 0xdc);
    default:
        return colorForName(name, dark);
    }
}
} // namespace

TimelineView::TimelineView(QWidget* parent)
    : QWidget(parent)
    , m_vbar(new QScrollBar(Qt::Vertical, this))
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(300, 150);
    connect(m_vbar, &QScrollBar::valueChanged, this, [this] { update(); });
    relayout();
}

TimelineView::~TimelineView() = default;

double TimelineView::dataWidth() const
{
    return std::max(1.0, static_cast<double>(width() - (m_vbar->isVisible() ? m_vbar->width() : 0)));
}

double TimelineView::viewportHeight() const
{
    return std::max(1.0, height() - kRulerHeight);
}

void TimelineView::relayout()
{
    const double lane = QFontMetricsF(font()).height() + 6;
    static const std::vector<TimelineTrack> none;
    m_layout.build(m_source ? m_source->tracks() : none, lane, kHeaderHeight, kTrackGap);
    updateScrollRange();
}

void TimelineView::updateScrollRange()
{
    const int overflow = static_cast<int>(std::ceil(m_layout.contentHeight() - viewportHeight()));
    m_vbar->setRange(0, std::max(0, overflow));
    m_vbar->setPageStep(static_cast<int>(viewportHeight()));
    m_vbar->setSingleStep(static_cast<int>(m_layout.laneHeight()));
    m_vbar->setVisible(overflow > 0);
    m_vbar->setGeometry(width() - m_vbar->sizeHint().width(), static_cast<int>(kRulerHeight),
        m_vbar->sizeHint().width(), std::max(0, height() - static_cast<int>(kRulerHeight)));
}

void TimelineView::setSource(std::shared_ptr<const TimelineSource> source)
{
    m_source = std::move(source);
    m_selected = nullptr;
    m_selectedTrack = -1;
    m_lastTipItem = nullptr;
    m_selection.reset();
    m_highlight.clear();
    m_nameWidth.assign(m_source ? m_source->nameCount() : 0, -1.f);
    m_drawList.clear();
    relayout();
    m_vbar->setValue(0);
    fitAll();
}

void TimelineView::fitAll()
{
    m_mapping.setWidth(dataWidth());
    if (m_source)
        m_mapping.fit(m_source->timeRange(), 0.01);
    afterViewChange();
}

void TimelineView::afterViewChange()
{
    if (m_source)
        m_mapping.clampTo(m_source->timeRange(), 0.05);
    update();
    emit viewChanged();
}

void TimelineView::zoomAround(double x, double factor)
{
    m_mapping.zoomAt(x, factor);
    afterViewChange();
}

void TimelineView::panByPixels(double dx)
{
    m_mapping.panByPixels(dx);
    afterViewChange();
}

void TimelineView::setVisibleRange(double t0, double t1)
{
    m_mapping.setWidth(dataWidth());
    m_mapping.zoomToRange(t0, t1);
    afterViewChange();
}

void TimelineView::setSelection(double t0, double t1)
{
    m_selection = std::make_pair(std::min(t0, t1), std::max(t0, t1));
    update();
    emit selectionChanged();
}

void TimelineView::clearSelection()
{
    if (!m_selection)
        return;
    m_selection.reset();
    update();
    emit selectionChanged();
}

bool TimelineView::zoomToSelection()
{
    if (!m_selection || m_selection->second - m_selection->first <= 0)
        return false;
    const auto [t0, t1] = *m_selection;
    m_selection.reset();
    setVisibleRange(t0, t1);
    emit selectionChanged();
    return true;
}

std::int64_t TimelineView::countHighlighted() const
{
    if (!m_source || m_highlight.empty())
        return 0;
    std::int64_t n = 0;
    const TimeRange r = m_source->timeRange();
    for (std::size_t t = 0; t < m_source->tracks().size(); ++t) {
        TrackSlice slice = m_source->query(static_cast<int>(t), r.startNs, r.endNs + 1);
        for (const auto& lane : slice.lanes)
            for (const auto& it : lane)
                n += it.nameId < m_highlight.size() && m_highlight[it.nameId];
    }
    return n;
}

std::int64_t TimelineView::setSearchText(const QString& text)
{
    m_highlight.clear();
    if (m_source && !text.isEmpty()) {
        const QByteArray needle = text.toUtf8().toLower();
        const std::uint32_t n = m_source->nameCount();
        m_highlight.assign(n, 0);
        bool any = false;
        for (std::uint32_t id = 1; id < n; ++id) {
            const std::string_view name = m_source->name(id);
            const QByteArray hay = QByteArray::fromRawData(name.data(), static_cast<qsizetype>(name.size())).toLower();
            if (hay.contains(needle)) {
                m_highlight[id] = 1;
                any = true;
            }
        }
        if (!any)
            m_highlight.assign(n, 0); // keep "a search is active" (everything dims) so no match is visible
    }
    update();
    return countHighlighted();
}

std::int64_t TimelineView::highlightName(const QString& name)
{
    m_highlight.clear();
    if (m_source) {
        const std::uint32_t id = m_source->findName(name.toStdString());
        m_highlight.assign(m_source->nameCount(), 0);
        if (id != TimelineSource::kNoName)
            m_highlight[id] = 1;
    }
    update();
    return countHighlighted();
}

void TimelineView::clearHighlight()
{
    m_highlight.clear();
    update();
}

bool TimelineView::jumpToMatch(SearchDirection direction)
{
    if (!m_source || m_highlight.empty())
        return false;
    const double ref
        = m_selected ? static_cast<double>(m_selected->startNs) : m_mapping.timeForX(m_mapping.width() / 2);
    const TimeRange r = m_source->timeRange();
    const TimelineItem* found = nullptr;
    int foundTrack = -1;
    for (std::size_t t = 0; t < m_source->tracks().size(); ++t) {
        TrackSlice slice = m_source->query(static_cast<int>(t), r.startNs, r.endNs + 1);
        for (const auto& lane : slice.lanes) {
            if (direction == SearchDirection::Next) {
                auto it = std::partition_point(lane.begin(), lane.end(),
                    [&](const TimelineItem& x) { return static_cast<double>(x.startNs) <= ref; });
                for (; it != lane.end(); ++it) {
                    if (found && it->startNs >= found->startNs)
                        break;
                    if (it->nameId < m_highlight.size() && m_highlight[it->nameId] && &*it != m_selected) {
                        found = &*it;
                        foundTrack = static_cast<int>(t);
                        break;
                    }
                }
            } else {
                auto it = std::partition_point(lane.begin(), lane.end(),
                    [&](const TimelineItem& x) { return static_cast<double>(x.startNs) < ref; });
                while (it != lane.begin()) {
                    --it;
                    if (found && it->startNs <= found->startNs)
                        break;
                    if (it->nameId < m_highlight.size() && m_highlight[it->nameId] && &*it != m_selected) {
                        found = &*it;
                        foundTrack = static_cast<int>(t);
                        break;
                    }
                }
            }
        }
    }
    if (!found)
        return false;
    // Centre it; zoom in when it would be narrower than a few pixels.
    const double dur = static_cast<double>(std::max<std::int64_t>(1, found->durationNs()));
    const double center = static_cast<double>(found->startNs) + dur / 2;
    double span = m_mapping.width() * m_mapping.nsPerPx();
    if (dur / m_mapping.nsPerPx() < 8)
        span = dur * m_mapping.width() / 40;
    setVisibleRange(center - span / 2, center + span / 2);
    // Scroll the track into view.
    for (const auto& lt : m_layout.tracks())
        if (lt.index == foundTrack) {
            const double y = lt.top;
            if (y < m_vbar->value()
                || y + kHeaderHeight + m_layout.laneHeight() * (found->depth + 1) > m_vbar->value() + viewportHeight())
                m_vbar->setValue(static_cast<int>(y));
        }
    selectItem(found, foundTrack);
    return true;
}

void TimelineView::selectItem(const TimelineItem* item, int track)
{
    m_selected = item;
    m_selectedTrack = item ? track : -1;
    update();
    emit itemSelected(item ? describe(*item, track) : QString());
}

QString TimelineView::describe(const TimelineItem& item, int track) const
{
    if (!m_source)
        return {};
    QString s = qs(m_source->name(item.nameId)) + QStringLiteral(" \u2014 ")
        + qs(formatDuration(static_cast<double>(item.durationNs())));
    if (track >= 0 && track < static_cast<int>(m_source->tracks().size()))
        s += tr(" on %1").arg(qs(m_source->tracks()[static_cast<std::size_t>(track)].name));
    s += tr(", at %1").arg(qs(formatDuration(static_cast<double>(item.startNs - m_source->timeRange().startNs))));
    QStringList extra;
    if (item.detailId)
        extra << qs(m_source->name(item.detailId));
    if (item.correlation)
        extra << tr("correlation %1").arg(item.correlation);
    if (!extra.isEmpty())
        s += QStringLiteral(" (") + extra.join(QStringLiteral(", ")) + QLatin1Char(')');
    return s;
}

QString TimelineView::tooltipFor(const DrawBox& box) const
{
    const TimelineItem& it = *box.item;
    if (box.count > 1) {
        return tr("<b>%1 items</b> folded here (each narrower than %2 px)<br>first: %3<br>"
                  "<span style='color:gray'>zoom in (wheel) to see them</span>")
            .arg(box.count)
            .arg(3)
            .arg(qs(m_source->name(it.nameId)).toHtmlEscaped());
    }
    QString html = QStringLiteral("<b>%1</b><br>").arg(qs(m_source->name(it.nameId)).toHtmlEscaped());
    html += tr("duration <b>%1</b> &nbsp; %2<br>")
                .arg(qs(formatDuration(static_cast<double>(it.durationNs()))), qs(itemCategoryName(it.category)));
    html += tr("start %1<br>").arg(qs(formatDuration(static_cast<double>(it.startNs - m_source->timeRange().startNs))));
    if (it.detailId)
        html += qs(m_source->name(it.detailId)).toHtmlEscaped() + QStringLiteral("<br>");
    if (it.correlation)
        html += tr("correlation id %1<br>").arg(it.correlation);
    html += QStringLiteral("<span style='color:gray'>%1</span>")
                .arg(qs(m_source->tracks()[static_cast<std::size_t>(box.track)].name).toHtmlEscaped());
    return html;
}

TimelineView::FrameStats TimelineView::paintFrame(QPainter& p, QSize size)
{
    QElapsedTimer timer;
    timer.start();
    const PlotStyle style = PlotStyle::fromPalette(palette());
    const double dataW = std::max(1.0, size.width() - (m_vbar->isVisible() ? m_vbar->width() : 0.0));
    m_mapping.setWidth(dataW);
    const double scrollY = m_vbar->value();
    const double viewH = std::max(1.0, size.height() - kRulerHeight);
    FrameStats stats;
    // 1. Draw list for the tracks in view.
    if (m_source) {
        const std::vector<int> visible = m_layout.tracksInView(scrollY, scrollY + viewH);
        DrawListOptions opt;
        opt.minBoxPx = 3.0;
        opt.highlight = m_highlight.empty() ? nullptr : &m_highlight;
        buildDrawList(*m_source, m_layout, visible, m_mapping, opt, m_drawList);
    } else {
        m_drawList.clear();
    }
    stats.buildMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    stats.boxes = m_drawList.boxes.size();
    stats.items = m_drawList.itemsDrawn;
    stats.folded = m_drawList.foldedBoxes;
    timer.restart();

    // 2. Paint.
    p.fillRect(QRectF(0, 0, size.width(), size.height()), style.panel);
    const QFontMetricsF fm(p.font());
    const double laneH = m_layout.laneHeight();
    if (!m_source) {
        p.setPen(style.mutedText);
        p.drawText(QRectF(0, 0, size.width(), size.height()), Qt::AlignCenter,
            tr("No timeline loaded.\nDouble-click a trial with a trace in the study browser, or pick one above."));
        m_stats = stats;
        return stats;
    }
    p.save();
    p.setClipRect(QRectF(0, kRulerHeight, dataW, viewH));
    p.translate(0, kRulerHeight - scrollY);
    // Track headers.
    QColor headerBg = style.background;
    for (int ti : m_layout.tracksInView(scrollY, scrollY + viewH)) {
        const auto& lt = m_layout.tracks()[static_cast<std::size_t>(ti)];
        const auto& track = m_source->tracks()[static_cast<std::size_t>(lt.index)];
        p.fillRect(QRectF(0, lt.top, dataW, kHeaderHeight), headerBg);
        p.setPen(style.text);
        QFont bold = p.font();
        bold.setBold(true);
        p.setFont(bold);
        const QString title = qs(track.name);
        p.drawText(QPointF(8, lt.top + kHeaderHeight / 2 + fm.ascent() / 2 - 1), title);
        const double tw = QFontMetricsF(bold).horizontalAdvance(title);
        p.setFont(font());
        p.setPen(style.mutedText);
        p.drawText(
            QPointF(16 + tw, lt.top + kHeaderHeight / 2 + fm.ascent() / 2 - 1), tr("%L1 items").arg(track.itemCount));
    }
    // Boxes.
    p.setRenderHint(QPainter::Antialiasing, false);
    const float boxH = static_cast<float>(laneH - 2);
    const double textPad = 4;
    for (const DrawBox& b : m_drawList.boxes) {
        const float y = static_cast<float>(m_layout.rowTop(b.row) + 1);
        float w = b.x1 - b.x0;
        if (w < 1)
            w = 1;
        const std::string_view name = m_source->name(b.item->nameId);
        QColor c = categoryColor(b.item->category, name, style.dark);
        const bool folded = (b.flags & kBoxFolded) != 0;
        if (folded) {
            // One calm colour per category for folds: a zoomed-out trace reads as busy/idle bands.
            const int hue = b.item->category == ItemCategory::Kernel ? 212
                : b.item->category == ItemCategory::CpuOp            ? 150
                : b.item->category == ItemCategory::Memcpy           ? 175
                : b.item->category == ItemCategory::Sync             ? 0
                                                                     : 255;
            c = QColor::fromHsv(hue, style.dark ? 60 : 55, style.dark ? 125 : 185);
        }
        if (b.flags & kBoxDimmed)
            c.setAlpha(45);
        const QRectF r(b.x0, y, w, boxH);
        p.fillRect(r, c);
        if (b.flags & kBoxHighlighted) {
            p.setPen(QPen(style.highlight, 2));
            p.drawRect(r.adjusted(1, 1, -1, -1));
        }
        if (w < 24)
            continue;
        if (folded) {
            p.setPen(style.dark ? QColor(0xe0, 0xe0, 0xe0) : QColor(0x30, 0x30, 0x30));
            p.drawText(r, Qt::AlignCenter, QStringLiteral("\u00d7%1").arg(b.count));
            continue;
        }
        // Label: full name if it fits, else elided; start at the visible left edge.
        const double left = std::max<double>(b.x0, 0) + textPad;
        const double avail = std::min<double>(b.x1, dataW) - left - textPad;
        if (avail < 16)
            continue;
        float& cached = m_nameWidth[b.item->nameId];
        const QString text = qs(name);
        if (cached < 0)
            cached = static_cast<float>(fm.horizontalAdvance(text));
        p.setPen(c.lightness() > 140 || (b.flags & kBoxDimmed) ? QColor(0x15, 0x18, 0x1c) : QColor(0xf4, 0xf4, 0xf4));
        if (b.flags & kBoxDimmed)
            p.setPen(style.mutedText);
        const QRectF tr(left, y, avail, boxH);
        if (cached <= avail)
            p.drawText(tr, Qt::AlignLeft | Qt::AlignVCenter, text);
        else
            p.drawText(tr, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(text, Qt::ElideRight, avail));
    }
    // The selected item, and flow lines to the items sharing its correlation id (a launch and the
    // kernel it started), as nsys and Perfetto draw them.
    if (m_selected) {
        for (const auto& lt : m_layout.tracks()) {
            if (lt.index != m_selectedTrack)
                continue;
            const double x0 = m_mapping.xForTime(static_cast<double>(m_selected->startNs));
            const double x1 = std::max(x0 + 2, m_mapping.xForTime(static_cast<double>(m_selected->endNs)));
            const double y = lt.lanesTop + m_selected->depth * laneH;
            p.setPen(QPen(style.selection, 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(QRectF(x0, y + 1, x1 - x0, laneH - 2));
            if (m_selected->correlation == 0)
                break;
            p.setRenderHint(QPainter::Antialiasing, true);
            QColor flow = style.accent;
            p.setPen(QPen(flow, 1.6));
            for (const DrawBox& b : m_drawList.boxes) {
                if (b.count != 1 || b.item == m_selected || b.item->correlation != m_selected->correlation)
                    continue;
                const double ty = m_layout.rowTop(b.row);
                const bool below = ty > y;
                const QPointF from(x0, below ? y + laneH - 1 : y + 1);
                const QPointF to(b.x0, below ? ty + 1 : ty + laneH - 1);
                QPainterPath path(from);
                path.cubicTo(QPointF(from.x(), (from.y() + to.y()) / 2), QPointF(to.x(), (from.y() + to.y()) / 2), to);
                p.drawPath(path);
                p.setBrush(flow);
                p.drawEllipse(to, 2.5, 2.5);
                p.setBrush(Qt::NoBrush);
            }
            p.setRenderHint(QPainter::Antialiasing, false);
        }
    }
    p.restore();

    // Selection range and hover line over all tracks.
    if (m_selection) {
        const double x0 = m_mapping.xForTime(m_selection->first);
        const double x1 = m_mapping.xForTime(m_selection->second);
        QColor sel = style.accent;
        sel.setAlpha(40);
        p.fillRect(QRectF(x0, kRulerHeight, x1 - x0, viewH), sel);
        p.setPen(QPen(style.accent, 1));
        p.drawLine(QPointF(x0, kRulerHeight), QPointF(x0, size.height()));
        p.drawLine(QPointF(x1, kRulerHeight), QPointF(x1, size.height()));
    }
    // Ruler.
    p.fillRect(QRectF(0, 0, size.width(), kRulerHeight), style.background);
    p.setPen(QPen(style.axis, 1));
    p.drawLine(QPointF(0, kRulerHeight - 0.5), QPointF(size.width(), kRulerHeight - 0.5));
    const double origin = static_cast<double>(m_source->timeRange().startNs);
    for (const RulerTick& t : rulerTicks(m_mapping, origin, 110)) {
        if (t.x < -1 || t.x > dataW + 1)
            continue;
        p.setPen(QPen(style.axis, 1));
        p.drawLine(QPointF(t.x, kRulerHeight - (t.major ? 9 : 4)), QPointF(t.x, kRulerHeight - 1));
        if (t.major) {
            p.setPen(style.mutedText);
            p.drawText(QPointF(t.x + 3, fm.ascent() + 3), qs(t.label));
        }
    }
    if (m_selection) {
        const double x0 = m_mapping.xForTime(m_selection->first);
        const double x1 = m_mapping.xForTime(m_selection->second);
        const QString d = qs(formatDuration(m_selection->second - m_selection->first));
        const double tw = fm.horizontalAdvance(d) + 10;
        const QRectF label((x0 + x1) / 2 - tw / 2, 2, tw, kRulerHeight - 5);
        p.fillRect(label, style.accent);
        p.setPen(Qt::white);
        p.drawText(label, Qt::AlignCenter, d);
    }
    if (m_hoverX >= 0 && m_hoverX < dataW) {
        QColor hl = style.text;
        hl.setAlpha(90);
        p.setPen(QPen(hl, 1, Qt::DashLine));
        p.drawLine(QPointF(m_hoverX, kRulerHeight), QPointF(m_hoverX, size.height()));
    }
    stats.paintMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    m_stats = stats;
    return stats;
}

void TimelineView::paintEvent(QPaintEvent*)
{
    {
        QPainter p(this);
        p.setFont(font());
        paintFrame(p, size());
    }
    emit framePainted();
}

void TimelineView::resizeEvent(QResizeEvent*)
{
    const double oldWidth = m_mapping.width();
    updateScrollRange();
    const double w = dataWidth();
    if (oldWidth > 1 && m_source) {
        // Keep the visible time range when the window is resized.
        const double span = oldWidth * m_mapping.nsPerPx();
        m_mapping = TimelineMapping(m_mapping.startNs(), span / w, w);
    } else {
        m_mapping.setWidth(w);
    }
}

void TimelineView::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange) {
        m_nameWidth.assign(m_nameWidth.size(), -1.f);
        relayout();
    }
    QWidget::changeEvent(event);
}

const DrawBox* TimelineView::boxAt(QPointF pos) const
{
    if (pos.y() < kRulerHeight)
        return nullptr;
    const double y = pos.y() - kRulerHeight + m_vbar->value();
    auto [track, lane] = m_layout.hit(y);
    if (track < 0 || lane < 0)
        return nullptr;
    const int row = m_layout.tracks()[static_cast<std::size_t>(track)].firstRow + lane;
    return m_drawList.hit(row, pos.x(), 1.0);
}

void TimelineView::mousePressEvent(QMouseEvent* event)
{
    m_pressPos = m_lastPos = event->position();
    m_moved = false;
    const bool select = event->button() == Qt::RightButton
        || (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier));
    if (select) {
        m_drag = Drag::Select;
        m_selectAnchorNs = m_mapping.timeForX(event->position().x());
    } else if (event->button() == Qt::LeftButton) {
        m_drag = Drag::Pan;
        setCursor(Qt::ClosedHandCursor);
    }
}

void TimelineView::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF pos = event->position();
    m_hoverX = pos.x();
    if (m_drag != Drag::None && (pos - m_pressPos).manhattanLength() > 3)
        m_moved = true;
    if (m_drag == Drag::Pan && m_moved) {
        const QPointF d = pos - m_lastPos;
        m_mapping.panByPixels(d.x());
        m_vbar->setValue(m_vbar->value() - static_cast<int>(std::lround(d.y())));
        afterViewChange();
    } else if (m_drag == Drag::Select && m_moved) {
        setSelection(m_selectAnchorNs, m_mapping.timeForX(pos.x()));
    } else if (m_drag == Drag::None) {
        const DrawBox* box = boxAt(pos);
        if (box && box->item != m_lastTipItem) {
            QToolTip::showText(event->globalPosition().toPoint(), tooltipFor(*box), this);
            m_lastTipItem = box->item;
        } else if (!box && m_lastTipItem) {
            QToolTip::hideText();
            m_lastTipItem = nullptr;
        }
        update();
    }
    m_lastPos = pos;
}

void TimelineView::mouseReleaseEvent(QMouseEvent* event)
{
    const Drag drag = m_drag;
    m_drag = Drag::None;
    unsetCursor();
    if (drag == Drag::Pan && !m_moved) {
        const DrawBox* box = boxAt(event->position());
        if (box && box->count == 1)
            selectItem(box->item, box->track);
        else if (!box)
            selectItem(nullptr, -1);
    }
    if (drag == Drag::Select && !m_moved)
        clearSelection();
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent* event)
{
    const DrawBox* box = boxAt(event->position());
    if (!box) {
        fitAll();
        return;
    }
    // A fold or an item: zoom so it fills most of the view.
    const double t0 = m_mapping.timeForX(box->x0);
    const double t1 = m_mapping.timeForX(box->x1);
    const double pad = (t1 - t0) * 0.1 + 1;
    setVisibleRange(t0 - pad, t1 + pad);
}

void TimelineView::wheelEvent(QWheelEvent* event)
{
    const QPoint delta = event->angleDelta();
    if (event->modifiers() & Qt::ShiftModifier) {
        m_vbar->setValue(m_vbar->value() - delta.y() / 2);
    } else if (delta.y() != 0) {
        zoomAround(event->position().x(), std::pow(1.0015, delta.y()));
    }
    if (delta.x() != 0)
        panByPixels(delta.x() / 2.0);
    event->accept();
}

void TimelineView::keyPressEvent(QKeyEvent* event)
{
    const double w = m_mapping.width();
    switch (event->key()) {
    case Qt::Key_Left:
        panByPixels(w * 0.1);
        break;
    case Qt::Key_Right:
        panByPixels(-w * 0.1);
        break;
    case Qt::Key_Up:
        m_vbar->setValue(m_vbar->value() - m_vbar->singleStep());
        break;
    case Qt::Key_Down:
        m_vbar->setValue(m_vbar->value() + m_vbar->singleStep());
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomAround(w / 2, 1.5);
        break;
    case Qt::Key_Minus:
        zoomAround(w / 2, 1 / 1.5);
        break;
    case Qt::Key_F:
    case Qt::Key_Home:
        fitAll();
        break;
    case Qt::Key_Z:
        zoomToSelection();
        break;
    case Qt::Key_Escape:
        clearSelection();
        selectItem(nullptr, -1);
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

void TimelineView::leaveEvent(QEvent*)
{
    m_hoverX = -1;
    m_lastTipItem = nullptr;
    update();
}

} // namespace lwb::ui
