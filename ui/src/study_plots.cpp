// QPainter study plots (see study_plots.h). Points are batched into one drawPoints call per
// colour and parallel-coordinate lines drawn without antialiasing into a cached image, which
// keeps a 10,000-trial update well inside a frame.
#include "lwb/ui/study_plots.h"

#include <QEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lwb::ui {

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

struct Axis {
    double lo = 0, hi = 1;
    bool log = false;
    double px0 = 0, px1 = 1; ///< pixel positions of lo and hi

    double map(double v) const
    {
        double t;
        if (log && lo > 0 && hi > lo)
            t = (std::log(std::max(v, 1e-300)) - std::log(lo)) / (std::log(hi) - std::log(lo));
        else
            t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        return px0 + t * (px1 - px0);
    }
    void pad(double fraction)
    {
        if (log && lo > 0) {
            const double f = std::pow(hi / lo, fraction);
            lo /= f;
            hi *= f;
            return;
        }
        const double span = hi > lo ? hi - lo : std::max(1.0, std::fabs(hi) * 0.1);
        if (hi <= lo) {
            lo -= span / 2;
            hi += span / 2;
        } else {
            lo -= span * fraction;
            hi += span * fraction;
        }
    }
};

QColor ramp(double t)
{
    // A viridis-like ramp: readable on light and dark panels, ordered in lightness.
    static const QColor stops[] = {QColor(0x44, 0x01, 0x54), QColor(0x3b, 0x52, 0x8b), QColor(0x21, 0x91, 0x8c),
        QColor(0x5e, 0xc9, 0x62), QColor(0xfd, 0xe7, 0x25)};
    t = std::clamp(t, 0.0, 1.0) * 4;
    const int i = std::min(3, static_cast<int>(t));
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * f),
        static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * f),
        static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * f));
}

/// src-over of a premultiplied colour onto a premultiplied pixel (ia = 255 - source alpha).
inline std::uint32_t blendPixel(std::uint32_t d, std::uint32_t s, std::uint32_t ia)
{
    std::uint32_t rb = (d & 0xff00ffu) * ia + 0x800080u;
    rb = ((rb + ((rb >> 8) & 0xff00ffu)) >> 8) & 0xff00ffu;
    std::uint32_t ag = ((d >> 8) & 0xff00ffu) * ia + 0x800080u;
    ag = (ag + ((ag >> 8) & 0xff00ffu)) & 0xff00ff00u;
    return s + rb + ag;
}

/// Blends 1-px polylines straight into an ARGB32 image. Qt's raster engine hands each
/// translucent line's spans to its thread pool, which makes 60,000 segments take seconds;
/// this loop does them in tens of milliseconds. Points are in device pixels.
void blendPolylines(QImage& image, const std::vector<std::pair<QColor, QPolygonF>>& lines)
{
    const int w = image.width(), h = image.height();
    auto* bits = reinterpret_cast<std::uint32_t*>(image.bits());
    const qsizetype stride = image.bytesPerLine() / 4;
    for (const auto& [color, pts] : lines) {
        const std::uint32_t src = qPremultiply(color.rgba());
        const std::uint32_t ia = 255u - qAlpha(src);
        for (int k = 1; k < pts.size(); ++k) {
            const QPointF a = pts[k - 1], b = pts[k];
            // Both ends inside the image means every pixel between is (the image is convex).
            if (a.x() < 0 || a.y() < 0 || b.x() < 0 || b.y() < 0 || a.x() >= w || b.x() >= w || a.y() >= h
                || b.y() >= h)
                continue;
            const double dx = b.x() - a.x(), dy = b.y() - a.y();
            const int steps = static_cast<int>(std::max(std::fabs(dx), std::fabs(dy)));
            if (steps <= 0)
                continue;
            // 16.16 fixed point: one add per axis per pixel.
            std::int64_t fx = static_cast<std::int64_t>(a.x() * 65536.0);
            std::int64_t fy = static_cast<std::int64_t>(a.y() * 65536.0);
            const auto sx = static_cast<std::int64_t>(dx * 65536.0 / steps);
            const auto sy = static_cast<std::int64_t>(dy * 65536.0 / steps);
            for (int i = 0; i < steps; ++i) { // the end point is the next segment's start
                std::uint32_t& d = bits[(fy >> 16) * stride + (fx >> 16)];
                d = blendPixel(d, src, ia);
                fx += sx;
                fy += sy;
            }
        }
    }
}

QString objectiveTitle(const ObjectiveInfo& o)
{
    QString t = qs(o.metric);
    if (!o.unit.empty())
        t += QStringLiteral(" (") + qs(o.unit) + QLatin1Char(')');
    return t;
}

/// Panel, grid, ticks and titles; returns the inner plot rectangle and sets the axes' pixels.
QRectF frame(QPainter& p, const QRectF& rect, Axis& x, Axis& y, const QString& xTitle, const QString& yTitle,
    const PlotStyle& style, const std::vector<std::string>* xCategories = nullptr)
{
    const QFontMetricsF fm(p.font());
    const double left = fm.horizontalAdvance(QStringLiteral("0000.00")) + 22;
    const QRectF plot = rect.adjusted(left, 10, -14, -(fm.height() * 2 + 12));
    x.px0 = plot.left();
    x.px1 = plot.right();
    y.px0 = plot.bottom();
    y.px1 = plot.top();
    p.fillRect(rect, style.background);
    p.fillRect(plot, style.panel);
    p.setRenderHint(QPainter::Antialiasing, false);
    QPen gridPen(style.grid, 1);
    QPen textPen(style.mutedText);
    // Y ticks.
    for (double v :
        y.log ? std::vector<double> {} : niceTicks(y.lo, y.hi, std::max(3, static_cast<int>(plot.height() / 45)))) {
        const double py = y.map(v);
        if (py < plot.top() - 0.5 || py > plot.bottom() + 0.5)
            continue;
        p.setPen(gridPen);
        p.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py));
        p.setPen(textPen);
        p.drawText(QRectF(rect.left(), py - fm.height() / 2, left - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
            tickLabel(v));
    }
    // X ticks: categories, decades on log axes, nice numbers otherwise.
    std::vector<std::pair<double, QString>> xt;
    if (xCategories) {
        for (std::size_t i = 0; i < xCategories->size(); ++i)
            xt.emplace_back(static_cast<double>(i), qs((*xCategories)[i]));
    } else if (x.log && x.lo > 0) {
        for (double d = std::pow(10.0, std::floor(std::log10(x.lo))); d <= x.hi * 1.0001; d *= 10)
            for (double m : {1.0, 2.0, 5.0})
                if (d * m >= x.lo && d * m <= x.hi)
                    xt.emplace_back(d * m, tickLabel(d * m));
        if (xt.size() > 12) {
            std::vector<std::pair<double, QString>> thin;
            for (auto& t : xt)
                if (std::fabs(std::log10(t.first) - std::round(std::log10(t.first))) < 1e-9)
                    thin.push_back(t);
            xt = thin;
        }
    } else {
        for (double v : niceTicks(x.lo, x.hi, std::max(3, static_cast<int>(plot.width() / 80))))
            xt.emplace_back(v, tickLabel(v));
    }
    for (const auto& [v, label] : xt) {
        const double px = x.map(v);
        if (px < plot.left() - 0.5 || px > plot.right() + 0.5)
            continue;
        p.setPen(gridPen);
        p.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
        p.setPen(textPen);
        p.drawText(QRectF(px - 50, plot.bottom() + 3, 100, fm.height()), Qt::AlignHCenter | Qt::AlignTop, label);
    }
    p.setPen(QPen(style.axis, 1));
    p.drawRect(plot);
    p.setPen(style.text);
    p.drawText(QRectF(plot.left(), plot.bottom() + fm.height() + 5, plot.width(), fm.height()),
        Qt::AlignHCenter | Qt::AlignTop, xTitle);
    p.save();
    p.translate(rect.left() + fm.height() * 0.5 + 1, plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, -fm.height() / 2, plot.height(), fm.height()), Qt::AlignCenter, yTitle);
    p.restore();
    return plot;
}

void emptyMessage(QPainter& p, const QRectF& rect, const PlotStyle& style, const QString& text)
{
    p.fillRect(rect, style.background);
    p.setPen(style.mutedText);
    p.drawText(rect, Qt::AlignCenter | Qt::TextWordWrap, text);
}

void drawDots(QPainter& p, const QPolygonF& pts, const QColor& color, double size)
{
    if (pts.isEmpty())
        return;
    QPen pen(color, size, Qt::SolidLine, Qt::RoundCap);
    p.setPen(pen);
    p.drawPoints(pts);
}

void legend(QPainter& p, QPointF at, const std::vector<std::pair<QColor, QString>>& items, const PlotStyle& style)
{
    const QFontMetricsF fm(p.font());
    double x = at.x();
    for (const auto& [color, text] : items) {
        p.setPen(QPen(color, 7, Qt::SolidLine, Qt::RoundCap));
        p.drawPoint(QPointF(x + 4, at.y() + fm.height() / 2));
        p.setPen(style.mutedText);
        p.drawText(QPointF(x + 12, at.y() + fm.ascent()), text);
        x += 22 + fm.horizontalAdvance(text);
    }
}

std::optional<double> objectiveValue(const TrialSnapshot& t, int objective)
{
    if (objective < 0 || objective >= static_cast<int>(t.values.size()))
        return std::nullopt;
    const auto& v = t.values[static_cast<std::size_t>(objective)];
    return v && std::isfinite(*v) ? v : std::nullopt;
}

} // namespace

std::vector<double> niceTicks(double lo, double hi, int count)
{
    std::vector<double> out;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || count < 1)
        return out;
    const double raw = (hi - lo) / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (mag * m >= raw) {
            step = mag * m;
            break;
        }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
        out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    return out;
}

QString tickLabel(double v)
{
    const double a = std::fabs(v);
    if (a == 0)
        return QStringLiteral("0");
    if (a >= 1e6)
        return QString::number(v / 1e6, 'g', 3) + QLatin1Char('M');
    if (a >= 1e4)
        return QString::number(v / 1e3, 'g', 3) + QLatin1Char('k');
    if (a < 1e-3)
        return QString::number(v, 'g', 2);
    return QString::number(v, 'g', 4);
}

void paintHistory(QPainter& p, const QRectF& rect, const StudySnapshot& study, int objective, const PlotStyle& style,
    std::vector<PlotHit>* hits)
{
    if (objective < 0 || objective >= static_cast<int>(study.objectives.size()) || study.trials.empty()) {
        emptyMessage(p, rect, style, QObject::tr("No trials yet"));
        return;
    }
    const auto series = historySeries(study, objective);
    Axis x, y;
    x.lo = 0;
    x.hi = std::max(1, std::max(static_cast<int>(study.trials.size()), study.budgetTrials) - 1);
    bool any = false;
    for (const auto& pt : series) {
        if (!pt.value || pt.state == TrialState::Failed)
            continue;
        y.lo = any ? std::min(y.lo, *pt.value) : *pt.value;
        y.hi = any ? std::max(y.hi, *pt.value) : *pt.value;
        any = true;
    }
    if (!any) {
        y.lo = 0;
        y.hi = 1;
    }
    y.pad(0.06);
    x.pad(0.01);
    const ObjectiveInfo& o = study.objectives[static_cast<std::size_t>(objective)];
    const QRectF plot = frame(p, rect, x, y, QObject::tr("trial"), objectiveTitle(o), style);
    QPolygonF complete, pruned, failed, running, best;
    complete.reserve(static_cast<int>(series.size()));
    for (const auto& pt : series) {
        const double px = x.map(pt.trial);
        if (pt.state == TrialState::Failed || !pt.value) {
            if (pt.state == TrialState::Running)
                running << QPointF(px, plot.bottom() - 4);
            else if (pt.state == TrialState::Failed)
                failed << QPointF(px, plot.bottom() - 4);
        } else {
            const QPointF q(px, y.map(*pt.value));
            (pt.state == TrialState::Complete ? complete : pruned) << q;
        }
        if (pt.bestSoFar) {
            // A step line: vertices only where the best value changes (not two per trial).
            const double by = y.map(*pt.bestSoFar);
            if (best.isEmpty())
                best << QPointF(px, by);
            else if (by != best.back().y())
                best << QPointF(px, best.back().y()) << QPointF(px, by);
        }
        if (hits && pt.value)
            hits->push_back({QPointF(px, y.map(*pt.value)), pt.trial});
        else if (hits && pt.state == TrialState::Failed)
            hits->push_back({QPointF(px, plot.bottom() - 4), pt.trial});
    }
    p.save();
    p.setClipRect(plot.adjusted(-3, -3, 3, 3));
    p.setRenderHint(QPainter::Antialiasing, true);
    const bool many = series.size() > 2000;
    const double dot = many ? 3.0 : 6.0;
    QColor acc = style.accent;
    acc.setAlpha(many ? 150 : 210);
    drawDots(p, pruned, style.pruned, dot);
    drawDots(p, complete, acc, dot);
    // Failed trials: short red ticks along the bottom edge, so failures are visible in place.
    for (const QPointF& f : failed)
        p.fillRect(QRectF(f.x() - 0.75, plot.bottom() - 7, 1.5, 6), style.failed);
    drawDots(p, running, style.running, dot + 2);
    if (!best.isEmpty()) {
        best << QPointF(plot.right(), best.back().y());
        p.setPen(QPen(style.best, 2.2));
        p.drawPolyline(best);
    }
    p.restore();
    int nFailed = static_cast<int>(failed.size()), nPruned = static_cast<int>(pruned.size());
    std::vector<std::pair<QColor, QString>> items {
        {style.accent, QObject::tr("complete")}, {style.best, QObject::tr("best so far")}};
    if (nPruned)
        items.push_back({style.pruned, QObject::tr("pruned (%1)").arg(nPruned)});
    if (nFailed)
        items.push_back({style.failed, QObject::tr("failed (%1)").arg(nFailed)});
    legend(p, QPointF(plot.left() + 8, plot.top() + 4), items, style);
}

void paintPareto(QPainter& p, const QRectF& rect, const StudySnapshot& study, int objA, int objB,
    const PlotStyle& style, std::vector<PlotHit>* hits)
{
    const int n = static_cast<int>(study.objectives.size());
    if (n < 2 || objA < 0 || objB < 0 || objA >= n || objB >= n) {
        emptyMessage(p, rect, style, QObject::tr("The Pareto front needs a study with two objectives"));
        return;
    }
    Axis x, y;
    bool any = false;
    for (const auto& t : study.trials) {
        auto a = objectiveValue(t, objA), b = objectiveValue(t, objB);
        if (t.state != TrialState::Complete || !a || !b)
            continue;
        x.lo = any ? std::min(x.lo, *a) : *a;
        x.hi = any ? std::max(x.hi, *a) : *a;
        y.lo = any ? std::min(y.lo, *b) : *b;
        y.hi = any ? std::max(y.hi, *b) : *b;
        any = true;
    }
    if (!any) {
        emptyMessage(p, rect, style, QObject::tr("No completed trials yet"));
        return;
    }
    x.pad(0.05);
    y.pad(0.06);
    const QRectF plot = frame(p, rect, x, y, objectiveTitle(study.objectives[static_cast<std::size_t>(objA)]),
        objectiveTitle(study.objectives[static_cast<std::size_t>(objB)]), style);
    const auto front = paretoFront(study, objA, objB);
    std::vector<char> onFront(study.trials.size(), 0);
    for (int i : front)
        onFront[static_cast<std::size_t>(i)] = 1;
    QPolygonF dominated, frontPts;
    for (std::size_t i = 0; i < study.trials.size(); ++i) {
        const auto& t = study.trials[i];
        auto a = objectiveValue(t, objA), b = objectiveValue(t, objB);
        if (t.state != TrialState::Complete || !a || !b)
            continue;
        const QPointF q(x.map(*a), y.map(*b));
        if (!onFront[i])
            dominated << q;
        if (hits)
            hits->push_back({q, t.number});
    }
    for (int i : front) // in the front's order (by objective A), so the staircase is monotone
        frontPts << QPointF(x.map(*objectiveValue(study.trials[static_cast<std::size_t>(i)], objA)),
            y.map(*objectiveValue(study.trials[static_cast<std::size_t>(i)], objB)));
    p.save();
    p.setClipRect(plot.adjusted(-4, -4, 4, 4));
    p.setRenderHint(QPainter::Antialiasing, true);
    QColor dom = style.accent;
    dom.setAlpha(study.trials.size() > 2000 ? 90 : 140);
    drawDots(p, dominated, dom, study.trials.size() > 2000 ? 3 : 5);
    // The front as a staircase between its points (the region it dominates is shaded).
    QPolygonF stairs;
    for (int k = 0; k < frontPts.size(); ++k) {
        if (k > 0)
            stairs << QPointF(frontPts[k].x(), frontPts[k - 1].y());
        stairs << frontPts[k];
    }
    p.setPen(QPen(style.best, 2));
    p.drawPolyline(stairs);
    drawDots(p, frontPts, style.best, 8);
    p.restore();
    legend(p, QPointF(plot.left() + 8, plot.top() + 4),
        {{style.best, QObject::tr("Pareto front (%1)").arg(front.size())}, {style.accent, QObject::tr("dominated")}},
        style);
}

void paintParallelCoordinates(
    QPainter& p, const QRectF& rect, const StudySnapshot& study, int objective, const PlotStyle& style)
{
    p.fillRect(rect, style.background);
    if (study.params.empty() || objective < 0 || objective >= static_cast<int>(study.objectives.size())) {
        emptyMessage(p, rect, style, QObject::tr("No parameters to show"));
        return;
    }
    const QFontMetricsF fm(p.font());
    const int axes = static_cast<int>(study.params.size()) + 1;
    // Room below the axes for their minima and a line of notes.
    const QRectF plot = rect.adjusted(40, fm.height() * 2 + 8, -60, -(fm.height() * 2 + 12));
    p.fillRect(plot.adjusted(-30, -4, 50, 4), style.panel);
    auto axisX = [&](int i) { return plot.left() + plot.width() * i / std::max(1, axes - 1); };
    // Objective range.
    const ObjectiveInfo& o = study.objectives[static_cast<std::size_t>(objective)];
    double lo = 0, hi = 1;
    bool any = false;
    for (const auto& t : study.trials)
        if (auto v = objectiveValue(t, objective); v && t.state == TrialState::Complete) {
            lo = any ? std::min(lo, *v) : *v;
            hi = any ? std::max(hi, *v) : *v;
            any = true;
        }
    if (hi <= lo)
        hi = lo + 1;
    struct Line {
        double goodness;
        QPolygonF pts;
    };
    std::vector<Line> lines;
    lines.reserve(study.trials.size());
    for (const auto& t : study.trials) {
        auto v = objectiveValue(t, objective);
        if (t.state != TrialState::Complete || !v)
            continue;
        Line l;
        const double u = (*v - lo) / (hi - lo);
        l.goodness = o.direction == Direction::Maximize ? u : 1 - u;
        l.pts.reserve(axes);
        for (int i = 0; i < axes - 1; ++i) {
            const auto& param = study.params[static_cast<std::size_t>(i)];
            auto it = t.params.find(param.name);
            const double n = it == t.params.end() ? 0.5 : paramPosition(param, it->second);
            l.pts << QPointF(axisX(i), plot.bottom() - n * plot.height());
        }
        l.pts << QPointF(axisX(axes - 1), plot.bottom() - u * plot.height());
        lines.push_back(std::move(l));
    }
    // Worst first, so the best configurations lie on top.
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.goodness < b.goodness; });
    // Beyond 4,000 lines the picture no longer changes, only the cost: keep the best 2,000 and an
    // even sample of the rest (said so on the plot).
    constexpr std::size_t kMaxLines = 4000;
    const std::size_t total = lines.size();
    if (total > kMaxLines) {
        std::vector<Line> kept;
        kept.reserve(kMaxLines);
        const std::size_t rest = total - kMaxLines / 2;
        for (std::size_t i = 0; i < kMaxLines / 2; ++i)
            kept.push_back(std::move(lines[i * rest / (kMaxLines / 2)]));
        for (std::size_t i = rest; i < total; ++i)
            kept.push_back(std::move(lines[i]));
        lines = std::move(kept);
    }
    const int alpha = lines.size() > 3000 ? 40 : lines.size() > 500 ? 90 : 170;
    QImage* image
        = p.device() && p.device()->devType() == QInternal::Image ? static_cast<QImage*>(p.device()) : nullptr;
    if (lines.size() > 500 && image && image->format() == QImage::Format_ARGB32_Premultiplied) {
        // Many lines: our own blending loop (see blendPolylines), in device pixels.
        const QTransform toDevice = p.deviceTransform();
        std::vector<std::pair<QColor, QPolygonF>> device;
        device.reserve(lines.size());
        for (const auto& l : lines) {
            QColor c = ramp(l.goodness);
            c.setAlpha(alpha);
            device.emplace_back(c, toDevice.map(l.pts));
        }
        blendPolylines(*image, device);
    } else {
        p.setRenderHint(QPainter::Antialiasing, true);
        for (const auto& l : lines) {
            QColor c = ramp(l.goodness);
            c.setAlpha(alpha);
            p.setPen(QPen(c, 1.2));
            p.drawPolyline(l.pts);
        }
    }
    if (total > lines.size()) {
        p.setPen(style.mutedText);
        p.drawText(QRectF(rect.left() + 6, rect.bottom() - fm.height() - 2, rect.width() - 12, fm.height()),
            Qt::AlignRight | Qt::AlignVCenter,
            QObject::tr("%L1 of %L2 trials drawn: the best %L3 and an even sample of the rest")
                .arg(lines.size())
                .arg(total)
                .arg(kMaxLines / 2));
    }
    if (!lines.empty()) {
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(QPen(style.best, 2.6));
        p.drawPolyline(lines.back().pts);
    }
    // Axes with their names and ranges.
    p.setRenderHint(QPainter::Antialiasing, false);
    for (int i = 0; i < axes; ++i) {
        const double ax = axisX(i);
        p.setPen(QPen(style.axis, 1.5));
        p.drawLine(QPointF(ax, plot.top()), QPointF(ax, plot.bottom()));
        QString name, top, bottom;
        if (i < axes - 1) {
            const auto& param = study.params[static_cast<std::size_t>(i)];
            name = qs(param.name);
            if (param.kind == ParamKind::Categorical || param.kind == ParamKind::Bool) {
                // Label every choice at its position, on a chip so the lines do not hide it.
                for (std::size_t c = 0; c < param.choices.size(); ++c) {
                    const double n
                        = param.choices.size() < 2 ? 0.5 : static_cast<double>(c) / (param.choices.size() - 1);
                    const QString label = qs(param.choices[c]);
                    const QRectF chip(ax + 4, plot.bottom() - n * plot.height() - fm.height() / 2,
                        fm.horizontalAdvance(label) + 8, fm.height());
                    QColor bg = style.background;
                    bg.setAlpha(230);
                    p.fillRect(chip, bg);
                    p.setPen(style.text);
                    p.drawText(chip, Qt::AlignCenter, label);
                }
            } else {
                top = tickLabel(param.high);
                bottom = tickLabel(param.low);
            }
        } else {
            name = qs(o.metric);
            top = tickLabel(hi);
            bottom = tickLabel(lo);
        }
        p.setPen(style.text);
        QFont bold = p.font();
        bold.setBold(true);
        p.save();
        p.setFont(bold);
        p.drawText(QRectF(ax - 70, rect.top() + 2, 140, fm.height()), Qt::AlignHCenter | Qt::AlignTop, name);
        p.restore();
        p.setPen(style.mutedText);
        p.drawText(
            QRectF(ax - 60, plot.top() - fm.height() - 2, 120, fm.height()), Qt::AlignHCenter | Qt::AlignBottom, top);
        p.drawText(QRectF(ax - 60, plot.bottom() + 2, 120, fm.height()), Qt::AlignHCenter | Qt::AlignTop, bottom);
    }
}

void paintSlice(QPainter& p, const QRectF& rect, const StudySnapshot& study, const InsightsSnapshot* insights,
    const std::string& param, int objective, const PlotStyle& style, std::vector<PlotHit>* hits)
{
    const auto pit
        = std::find_if(study.params.begin(), study.params.end(), [&](const ParamInfo& x) { return x.name == param; });
    if (pit == study.params.end() || objective < 0 || objective >= static_cast<int>(study.objectives.size())) {
        emptyMessage(p, rect, style, QObject::tr("Pick a parameter"));
        return;
    }
    const ParamInfo& info = *pit;
    const bool discrete = info.kind == ParamKind::Categorical || info.kind == ParamKind::Bool;
    const SliceSnapshot* slice = nullptr;
    if (insights && insights->objective == objective)
        for (const auto& s : insights->slices)
            if (s.param == param)
                slice = &s;
    Axis x, y;
    x.log = !discrete && info.scale != ParamScale::Linear && info.low > 0;
    x.lo = discrete ? -0.5 : info.low;
    x.hi = discrete ? static_cast<double>(info.choices.size()) - 0.5 : info.high;
    if (!discrete)
        x.pad(0.02);
    bool any = false;
    auto extend = [&](double v) {
        y.lo = any ? std::min(y.lo, v) : v;
        y.hi = any ? std::max(y.hi, v) : v;
        any = true;
    };
    for (const auto& t : study.trials)
        if (auto v = objectiveValue(t, objective); v && t.state == TrialState::Complete)
            extend(*v);
    if (slice)
        for (std::size_t i = 0; i < slice->x.size(); ++i) {
            extend(slice->mean[i] - 2 * slice->stddev[i]);
            extend(slice->mean[i] + 2 * slice->stddev[i]);
        }
    if (!any) {
        emptyMessage(p, rect, style, QObject::tr("No completed trials yet"));
        return;
    }
    y.pad(0.05);
    const QRectF plot = frame(p, rect, x, y, qs(param) + (x.log ? QObject::tr(" (log)") : QString()),
        objectiveTitle(study.objectives[static_cast<std::size_t>(objective)]), style,
        discrete ? &info.choices : nullptr);
    p.save();
    p.setClipRect(plot);
    p.setRenderHint(QPainter::Antialiasing, true);
    QPolygonF obs;
    for (const auto& t : study.trials) {
        auto v = objectiveValue(t, objective);
        auto it = t.params.find(param);
        if (t.state != TrialState::Complete || !v || it == t.params.end())
            continue;
        double xv = paramNumeric(info, it->second);
        if (discrete) // spread the points of one category a little so they do not hide each other
            xv += (static_cast<double>((t.number * 2654435761u) % 1000) / 1000.0 - 0.5) * 0.3;
        const QPointF q(x.map(xv), y.map(*v));
        obs << q;
        if (hits)
            hits->push_back({q, t.number});
    }
    QColor dots = style.mutedText;
    dots.setAlpha(obs.size() > 2000 ? 70 : 150);
    drawDots(p, obs, dots, obs.size() > 2000 ? 3 : 5);
    if (slice && !slice->x.empty()) {
        if (discrete) {
            for (std::size_t i = 0; i < slice->x.size(); ++i) {
                const double cx = x.map(slice->x[i]);
                const QRectF box(cx - 14, y.map(slice->mean[i] + 2 * slice->stddev[i]), 28,
                    y.map(slice->mean[i] - 2 * slice->stddev[i]) - y.map(slice->mean[i] + 2 * slice->stddev[i]));
                p.fillRect(box, style.band);
                p.setPen(QPen(style.accent, 2.5));
                p.drawLine(QPointF(cx - 16, y.map(slice->mean[i])), QPointF(cx + 16, y.map(slice->mean[i])));
            }
        } else {
            QPolygonF band, mean;
            for (std::size_t i = 0; i < slice->x.size(); ++i) {
                band << QPointF(x.map(slice->x[i]), y.map(slice->mean[i] + 2 * slice->stddev[i]));
                mean << QPointF(x.map(slice->x[i]), y.map(slice->mean[i]));
            }
            for (std::size_t i = slice->x.size(); i-- > 0;)
                band << QPointF(x.map(slice->x[i]), y.map(slice->mean[i] - 2 * slice->stddev[i]));
            p.setPen(Qt::NoPen);
            p.setBrush(style.band);
            p.drawPolygon(band);
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(style.accent, 2.2));
            p.drawPolyline(mean);
        }
    }
    p.restore();
    std::vector<std::pair<QColor, QString>> items {{style.mutedText, QObject::tr("trials")}};
    if (slice)
        items.push_back(
            {style.accent, QObject::tr("GP mean \u00b1 2\u03c3 (%1 trials)").arg(insights->fittedOnTrials)});
    else
        items.push_back({style.pruned, QObject::tr("GP model not available yet")});
    legend(p, QPointF(plot.left() + 8, plot.top() + 4), items, style);
}

} // namespace lwb::ui
