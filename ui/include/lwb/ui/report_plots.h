// The GUI's study plots rendered offscreen as PNG for `lwb report` (workbench::PlotRenderer):
// history with best-so-far, Pareto front, parallel coordinates, parameter importance and the top
// ops of the best trial — the same paint code as the Tuning page, drawn into a QImage.
#pragma once

#include "lwb/workbench/report.h"

namespace lwb::ui {

class QtPlotRenderer final : public workbench::PlotRenderer {
public:
    std::vector<std::uint8_t> renderPng(
        workbench::PlotKind kind, const workbench::ReportData& data, int width, int height) override;
};

/// Installs the Qt renderer for reports; creates an offscreen QGuiApplication when the process has
/// none (the `lwb` CLI). Returns false when Qt cannot start (then reports have no plots).
bool installQtPlotRenderer();

} // namespace lwb::ui
