// `lwb report`: one self-contained offline HTML file (or Markdown) with the study summary, the
// best configurations, plots (optimisation history with best-so-far, Pareto front, parallel
// coordinates, parameter importance, top kernels of the best trial) and the trial table. Plots
// are drawn by a PlotRenderer: the GUI's chart code rendered offscreen when the build has Qt
// (lwb_ui installs it), none in a headless build (the report then says so).
#pragma once

#include "lwb/core/json_yaml.h"
#include "lwb/core/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lwb::workbench {

/// Everything a report shows, as plain data (also what plot renderers receive).
struct ReportData {
    std::string studyName;
    std::string workload;
    std::vector<std::string> objectives; ///< "tokens_per_s:max"
    std::vector<std::string> paramNames;
    struct Trial {
        int number = 0;
        std::string state;
        std::vector<double> values; ///< per objective (COMPLETE)
        Json params = Json::object();
        std::string note;
        bool feasible = true;
        bool pareto = false;
    };
    std::vector<Trial> trials;
    int bestTrial = -1;
    std::vector<std::pair<std::string, double>> importance; ///< param -> share
    std::vector<std::pair<std::string, double>> topOpsMs; ///< best trial: op -> ms per step
    Json fingerprint = Json::object();
};

enum class PlotKind { History, Pareto, ParallelCoordinates, Importance, TopKernels };

/// Draws one plot of a report as a PNG; empty when the plot does not apply.
class PlotRenderer {
public:
    virtual ~PlotRenderer() = default;
    virtual std::vector<std::uint8_t> renderPng(PlotKind kind, const ReportData& data, int width, int height) = 0;
};

/// Installs the renderer lwb report uses (the Qt one when the build has a GUI).
void setPlotRenderer(PlotRenderer* renderer);
PlotRenderer* plotRenderer();

Result<ReportData> loadReportData(const std::filesystem::path& studyFile, const std::string& studyName = {});
enum class ReportFormat { Html, Markdown };
std::string renderReport(const ReportData& data, ReportFormat format, PlotRenderer* renderer);

} // namespace lwb::workbench
