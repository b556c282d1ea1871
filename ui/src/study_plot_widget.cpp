// StudyPlot: the widget around the study paint functions (see study_plots.h): paints into a
// cached image redrawn only when the data, size or palette change, shows trial tool tips on
// hover and emits trialClicked on a click.
#include "lwb/ui/study_plots.h"

#include <QEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

namespace lwb::ui {

namespace {
QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
} // namespace

StudyPlot::StudyPlot(Kind kind, QWidget* parent)
    : QWidget(parent)
    , m_kind(kind)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void StudyPlot::setStudy(StudySnapshotPtr study)
{
    m_study = std::move(study);
    m_cacheValid = false;
    update();
}

void StudyPlot::setInsights(InsightsPtr insights)
{
    m_insights = std::move(insights);
    if (m_kind == Kind::Slice) {
        m_cacheValid = false;
        update();
    }
}

void StudyPlot::setObjective(int objective)
{
    m_objective = objective;
    m_cacheValid = false;
    update();
}

void StudyPlot::setParam(const std::string& param)
{
    m_param = param;
    m_cacheValid = false;
    update();
}

void StudyPlot::draw(QPainter& p, const QRectF& rect, std::vector<PlotHit>* hits) const
{
    const PlotStyle style = PlotStyle::fromPalette(palette());
    if (!m_study) {
        p.fillRect(rect, style.background);
        p.setPen(style.mutedText);
        p.drawText(rect, Qt::AlignCenter, tr("Open a study or start one on the Setup page"));
        return;
    }
    switch (m_kind) {
    case Kind::History:
        paintHistory(p, rect, *m_study, m_objective, style, hits);
        break;
    case Kind::Pareto:
        paintPareto(p, rect, *m_study, 0, 1, style, hits);
        break;
    case Kind::ParallelCoordinates:
        paintParallelCoordinates(p, rect, *m_study, m_objective, style);
        break;
    case Kind::Slice:
        paintSlice(p, rect, *m_study, m_insights.get(), m_param, m_objective, style, hits);
        break;
    }
}

QImage StudyPlot::render(QSize size) const
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    QPainter p(&image);
    p.setFont(font());
    draw(p, QRectF(QPointF(0, 0), QSizeF(size)), nullptr);
    return image;
}

void StudyPlot::paintEvent(QPaintEvent*)
{
    const qreal dpr = devicePixelRatioF();
    if (!m_cacheValid || m_cache.size() != size() * dpr) {
        m_cache = QImage(size() * dpr, QImage::Format_ARGB32_Premultiplied);
        m_cache.setDevicePixelRatio(dpr);
        QPainter cp(&m_cache);
        cp.setFont(font());
        m_hits.clear();
        draw(cp, QRectF(rect()), &m_hits);
        m_cacheValid = true;
    }
    QPainter p(this);
    p.drawImage(0, 0, m_cache);
}

void StudyPlot::resizeEvent(QResizeEvent*)
{
    m_cacheValid = false;
}

void StudyPlot::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        m_cacheValid = false;
        update();
    }
    QWidget::changeEvent(event);
}

const PlotHit* StudyPlot::nearest(QPointF pos, double radius) const
{
    const PlotHit* best = nullptr;
    double bestD = radius * radius;
    for (const auto& h : m_hits) {
        const double dx = h.pos.x() - pos.x(), dy = h.pos.y() - pos.y();
        const double d = dx * dx + dy * dy;
        if (d <= bestD) {
            bestD = d;
            best = &h;
        }
    }
    return best;
}

void StudyPlot::mouseMoveEvent(QMouseEvent* event)
{
    const PlotHit* h = nearest(event->position(), 8);
    if (!h || !m_study) {
        QToolTip::hideText();
        setCursor(Qt::ArrowCursor);
        return;
    }
    setCursor(Qt::PointingHandCursor);
    QString text;
    for (const auto& t : m_study->trials) {
        if (t.number != h->trial)
            continue;
        text = tr("<b>Trial %1</b> &nbsp;%2").arg(t.number).arg(QString::fromLatin1(trialStateName(t.state).data()));
        for (std::size_t i = 0; i < m_study->objectives.size() && i < t.values.size(); ++i)
            if (t.values[i])
                text += QStringLiteral("<br>%1 = %2")
                            .arg(qs(m_study->objectives[i].metric))
                            .arg(*t.values[i], 0, 'g', 5);
        for (const auto& [k, v] : t.params)
            text += QStringLiteral("<br><span style='color:gray'>%1</span> %2").arg(qs(k), qs(paramValueToString(v)));
        if (!t.failureReason.empty())
            text += QStringLiteral("<br><i>%1</i>").arg(qs(t.failureReason).toHtmlEscaped());
        text += tr("<br><span style='color:gray'>click to select</span>");
        break;
    }
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void StudyPlot::mousePressEvent(QMouseEvent* event)
{
    if (const PlotHit* h = nearest(event->position(), 8))
        emit trialClicked(h->trial);
}

} // namespace lwb::ui
