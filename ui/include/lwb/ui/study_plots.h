// Study plots drawn with QPainter (Qt Charts is too slow for 10,000 trials): optimisation history
// with best-so-far, 2-D Pareto front, parallel coordinates, and a parameter slice with the GP mean
// and its uncertainty band. The paint functions draw into any QPainter (widgets, or QImage
// offscreen for `lwb report`); StudyPlot is the widget around them with hover tool tips and
// clicks that select a trial.
#pragma once

#include "lwb/ui/snapshots.h"
#include "lwb/ui/theme.h"

#include <QImage>
#include <QWidget>

#include <string>
#include <vector>

class QPainter;

namespace lwb::ui {

/// A point the user can hover or click: where it was drawn and which trial it is.
struct PlotHit {
    QPointF pos;
    int trial = 0;
};

/// Nice tick values (1/2/5 x 10^k) covering [lo, hi], about `count` of them.
std::vector<double> niceTicks(double lo, double hi, int count);
/// Compact tick label ("1.5k", "0.002", "3e-05").
QString tickLabel(double v);

void paintHistory(QPainter& p, const QRectF& rect, const StudySnapshot& study, int objective, const PlotStyle& style,
    std::vector<PlotHit>* hits = nullptr);
void paintPareto(QPainter& p, const QRectF& rect, const StudySnapshot& study, int objA, int objB,
    const PlotStyle& style, std::vector<PlotHit>* hits = nullptr);
void paintParallelCoordinates(
    QPainter& p, const QRectF& rect, const StudySnapshot& study, int objective, const PlotStyle& style);
/// `insights` may be null (then only the measured trials are drawn).
void paintSlice(QPainter& p, const QRectF& rect, const StudySnapshot& study, const InsightsSnapshot* insights,
    const std::string& param, int objective, const PlotStyle& style, std::vector<PlotHit>* hits = nullptr);

class StudyPlot : public QWidget {
    Q_OBJECT
public:
    enum class Kind { History, Pareto, ParallelCoordinates, Slice };
    explicit StudyPlot(Kind kind, QWidget* parent = nullptr);

    Kind kind() const { return m_kind; }
    void setStudy(StudySnapshotPtr study);
    void setInsights(InsightsPtr insights);
    void setObjective(int objective);
    void setParam(const std::string& param);
    /// Renders the plot as it is now into an image (benchmarks, reports, screenshots).
    QImage render(QSize size) const;
    /// Points drawn in the last paint (tests).
    const std::vector<PlotHit>& hits() const { return m_hits; }

signals:
    void trialClicked(int trial);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void changeEvent(QEvent* event) override;
    QSize sizeHint() const override { return {420, 260}; }
    QSize minimumSizeHint() const override { return {200, 140}; }

private:
    void draw(QPainter& p, const QRectF& rect, std::vector<PlotHit>* hits) const;
    const PlotHit* nearest(QPointF pos, double radius) const;

    Kind m_kind;
    StudySnapshotPtr m_study;
    InsightsPtr m_insights;
    int m_objective = 0;
    std::string m_param;
    std::vector<PlotHit> m_hits;
    QImage m_cache; ///< parallel coordinates: redrawn only when data or size change
    bool m_cacheValid = false;
};

} // namespace lwb::ui
