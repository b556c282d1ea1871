// TimelineView: the trace timeline widget. One header line per track (GPU stream, CPU thread),
// one row per nesting lane, kernels/ops as boxes; drag to pan, wheel to zoom at the cursor,
// Shift/right-drag to select a range (Z zooms to it), hover for details, search highlights.
// Each frame builds a draw list (timeline_draw_list.h) for the visible tracks, then paints it.
#pragma once

#include "lwb/ui/timeline_draw_list.h"
#include "lwb/ui/timeline_mapping.h"
#include "lwb/ui/timeline_source.h"

#include <QImage>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QScrollBar;

namespace lwb::ui {

enum class SearchDirection { Next, Previous };

class TimelineView : public QWidget {
    Q_OBJECT
public:
    struct FrameStats {
        double buildMs = 0; ///< draw-list construction
        double paintMs = 0; ///< painting the list, ruler and overlays
        std::size_t boxes = 0;
        std::size_t items = 0; ///< items represented by the boxes
        std::size_t folded = 0;
    };

    explicit TimelineView(QWidget* parent = nullptr);
    ~TimelineView() override;

    /// Shows a trace (null clears) and fits it to the width.
    void setSource(std::shared_ptr<const TimelineSource> source);
    const TimelineSource* source() const { return m_source.get(); }

    const TimelineMapping& mapping() const { return m_mapping; }
    const TimelineLayout& layout() const { return m_layout; }
    void fitAll();
    void zoomAround(double x, double factor);
    void panByPixels(double dx);
    void setVisibleRange(double t0, double t1);

    /// A time range selected with Shift/right-drag (relative to nothing: trace ns).
    std::optional<std::pair<double, double>> selection() const { return m_selection; }
    void setSelection(double t0, double t1);
    void clearSelection();
    bool zoomToSelection();

    /// Highlights items whose name contains `text` (case-insensitive); "" clears. Returns the
    /// number of matching occurrences.
    std::int64_t setSearchText(const QString& text);
    /// Highlights the occurrences of one exact name (the Kernels page's selection).
    std::int64_t highlightName(const QString& name);
    void clearHighlight();
    /// Selects and centres the next/previous highlighted item after the selection (or the view's
    /// centre); false when there is none.
    bool jumpToMatch(SearchDirection direction);

    const TimelineItem* selectedItem() const { return m_selected; }
    /// Selects an item of `track` (nullptr clears); its correlated items get flow lines.
    void selectItem(const TimelineItem* item, int track);
    int selectedTrack() const { return m_selectedTrack; }
    /// "name — 12.3 µs on GPU 0 stream 7 (grid ..., correlation 42)" for the status line.
    QString describe(const TimelineItem& item, int track) const;

    /// Builds the draw list for `size` and paints a frame (offscreen benchmarks use a QImage).
    FrameStats paintFrame(QPainter& painter, QSize size);
    FrameStats lastFrame() const { return m_stats; }
    const DrawList& drawList() const { return m_drawList; }

signals:
    void viewChanged();
    void selectionChanged();
    void itemSelected(const QString& description);
    /// After each paint on screen (lastFrame() then holds its statistics).
    void framePainted();

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void changeEvent(QEvent* event) override;
    QSize sizeHint() const override { return {900, 500}; }

private:
    double dataWidth() const;
    double viewportHeight() const;
    void relayout();
    void updateScrollRange();
    void afterViewChange();
    const DrawBox* boxAt(QPointF pos) const;
    std::int64_t countHighlighted() const;
    QString tooltipFor(const DrawBox& box) const;

    std::shared_ptr<const TimelineSource> m_source;
    TimelineMapping m_mapping;
    TimelineLayout m_layout;
    DrawList m_drawList;
    std::vector<std::uint8_t> m_highlight; ///< per name id
    std::vector<float> m_nameWidth; ///< text width cache per name id (-1 unknown)
    QScrollBar* m_vbar = nullptr;
    FrameStats m_stats;
    std::optional<std::pair<double, double>> m_selection;
    const TimelineItem* m_selected = nullptr;
    int m_selectedTrack = -1;
    // Interaction state.
    enum class Drag { None, Pan, Select } m_drag = Drag::None;
    QPointF m_pressPos;
    QPointF m_lastPos;
    bool m_moved = false;
    double m_selectAnchorNs = 0;
    double m_hoverX = -1;
    const TimelineItem* m_lastTipItem = nullptr;
};

} // namespace lwb::ui
