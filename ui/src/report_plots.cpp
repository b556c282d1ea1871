// Offscreen rendering of report plots with the GUI's paint functions (see report_plots.h).
#include "lwb/ui/report_plots.h"

#include "lwb/ui/snapshots.h"
#include "lwb/ui/study_plots.h"
#include "lwb/ui/theme.h"

#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QPalette>

#include <cstdlib>

namespace lwb::ui {
namespace {

StudySnapshot toSnapshot(const workbench::ReportData& data)
{
    StudySnapshot s;
    s.name = data.studyName;
    s.workload = data.workload;
    for (const auto& o : data.objectives) {
        auto colon = o.rfind(':');
        s.objectives.push_back(
            {o.substr(0, colon), "", o.substr(colon + 1) == "max" ? Direction::Maximize : Direction::Minimize});
    }
    std::map<std::string, std::vector<std::string>> categories;
    std::map<std::string, std::pair<double, double>> ranges;
    for (const auto& t : data.trials)
        for (const auto& [k, v] : t.params.items()) {
            if (v.is_string() || v.is_boolean()) {
                std::string text = v.is_string() ? v.get<std::string>() : (v.get<bool>() ? "true" : "false");
                auto& list = categories[k];
                if (std::find(list.begin(), list.end(), text) == list.end())
                    list.push_back(text);
            } else if (v.is_number()) {
                auto [it, inserted] = ranges.emplace(k, std::make_pair(v.get<double>(), v.get<double>()));
                it->second.first = std::min(it->second.first, v.get<double>());
                it->second.second = std::max(it->second.second, v.get<double>());
            }
        }
    for (const auto& name : data.paramNames) {
        ParamInfo p;
        p.name = name;
        if (categories.count(name)) {
            p.kind = ParamKind::Categorical;
            p.choices = categories[name];
        } else if (ranges.count(name)) {
            p.kind = ParamKind::Float;
            p.low = ranges[name].first;
            p.high = ranges[name].second > p.low ? ranges[name].second : p.low + 1;
        } else {
            continue;
        }
        s.params.push_back(std::move(p));
    }
    for (const auto& t : data.trials) {
        TrialSnapshot ts;
        ts.number = t.number;
        ts.state = t.state == "COMPLETE" ? TrialState::Complete
            : t.state == "FAILED"        ? TrialState::Failed
            : t.state == "PRUNED"        ? TrialState::Pruned
                                         : TrialState::Running;
        for (const auto& [k, v] : t.params.items()) {
            if (v.is_boolean())
                ts.params[k] = std::string(v.get<bool>() ? "true" : "false");
            else if (v.is_string())
                ts.params[k] = v.get<std::string>();
            else if (v.is_number())
                ts.params[k] = v.get<double>();
        }
        for (std::size_t i = 0; i < s.objectives.size(); ++i)
            ts.values.push_back(i < t.values.size() ? std::optional<double>(t.values[i]) : std::nullopt);
        ts.failureReason = t.note;
        s.trials.push_back(std::move(ts));
    }
    return s;
}

void paintBars(QPainter& p, const QRectF& rect, const std::vector<std::pair<std::string, double>>& rows,
    const QString& unit, const PlotStyle& style)
{
    p.fillRect(rect, style.panel);
    if (rows.empty())
        return;
    double maxValue = 0;
    for (const auto& r : rows)
        maxValue = std::max(maxValue, r.second);
    if (maxValue <= 0)
        maxValue = 1;
    const double labelWidth = rect.width() * 0.35;
    const double rowHeight = std::min(26.0, (rect.height() - 10) / static_cast<double>(rows.size()));
    QFont font = p.font();
    font.setPointSizeF(9);
    p.setFont(font);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        double y = rect.top() + 5 + static_cast<double>(i) * rowHeight;
        QRectF label(rect.left() + 6, y, labelWidth - 12, rowHeight);
        p.setPen(style.text);
        p.drawText(label, Qt::AlignRight | Qt::AlignVCenter,
            p.fontMetrics().elidedText(
                QString::fromStdString(rows[i].first), Qt::ElideMiddle, static_cast<int>(label.width())));
        double w = (rect.width() - labelWidth - 90) * rows[i].second / maxValue;
        QRectF bar(rect.left() + labelWidth, y + rowHeight * 0.15, std::max(1.0, w), rowHeight * 0.7);
        p.fillRect(bar, colorForName(rows[i].first, style.dark));
        p.setPen(style.mutedText);
        p.drawText(QRectF(bar.right() + 6, y, 84, rowHeight), Qt::AlignLeft | Qt::AlignVCenter,
            QString::number(rows[i].second, 'g', 3) + unit);
    }
}

} // namespace

std::vector<std::uint8_t> QtPlotRenderer::renderPng(
    workbench::PlotKind kind, const workbench::ReportData& data, int width, int height)
{
    StudySnapshot study = toSnapshot(data);
    PlotStyle style = PlotStyle::fromPalette(lightPalette());
    QImage image(width, height, QImage::Format_ARGB32_Premultiplied);
    image.fill(style.background);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    QRectF rect(0, 0, width, height);
    bool drawn = true;
    switch (kind) {
    case workbench::PlotKind::History:
        if (study.trials.empty() || study.objectives.empty())
            drawn = false;
        else
            paintHistory(painter, rect, study, 0, style);
        break;
    case workbench::PlotKind::Pareto:
        if (study.objectives.size() < 2)
            drawn = false;
        else
            paintPareto(painter, rect, study, 0, 1, style);
        break;
    case workbench::PlotKind::ParallelCoordinates:
        if (study.params.empty() || study.trials.size() < 2)
            drawn = false;
        else
            paintParallelCoordinates(painter, rect, study, 0, style);
        break;
    case workbench::PlotKind::Importance: {
        if (data.importance.empty()) {
            drawn = false;
            break;
        }
        paintBars(painter, rect, data.importance, "", style);
        break;
    }
    case workbench::PlotKind::TopKernels:
        if (data.topOpsMs.empty()) {
            drawn = false;
            break;
        }
        paintBars(painter, rect, data.topOpsMs, " ms", style);
        break;
    }
    painter.end();
    if (!drawn)
        return {};
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

bool installQtPlotRenderer()
{
    static QtPlotRenderer renderer;
    if (!QGuiApplication::instance()) {
        if (!std::getenv("QT_QPA_PLATFORM"))
            setenv("QT_QPA_PLATFORM", "offscreen", 1);
        // Lives until the process exits (never destroyed from a static destructor).
        static int argc = 1;
        static char name[] = "lwb";
        static char* argv[] = {name, nullptr};
        new QGuiApplication(argc, argv);
    }
    workbench::setPlotRenderer(&renderer);
    return QGuiApplication::instance() != nullptr;
}

} // namespace lwb::ui
