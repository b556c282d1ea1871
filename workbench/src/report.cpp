// Study reports (see report.h): data from the study file, HTML with embedded PNG plots, Markdown.
#include "lwb/workbench/report.h"

#include "lwb/core/study_file.h"
#include "lwb/core/version.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/profiles.h"

#include <algorithm>
#include <fmt/core.h>
#include <set>

namespace lwb::workbench {
namespace {
PlotRenderer* g_renderer = nullptr;

std::string base64(const std::vector<std::uint8_t>& bytes)
{
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        unsigned v = bytes[i] << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string html(std::string_view s)
{
    std::string out;
    for (char c : s) {
        if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '&')
            out += "&amp;";
        else if (c == '"')
            out += "&quot;";
        else
            out += c;
    }
    return out;
}

std::string paramText(const Json& params)
{
    std::string out;
    for (const auto& [k, v] : params.items())
        out += (out.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    return out;
}
} // namespace

void setPlotRenderer(PlotRenderer* renderer)
{
    g_renderer = renderer;
}
PlotRenderer* plotRenderer()
{
    return g_renderer;
}

Result<ReportData> loadReportData(const std::filesystem::path& studyFile, const std::string& studyName)
{
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(studyFile, tuner::StorageAccess::ReadOnly));
    LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
    std::string name = studyName;
    if (name.empty()) {
        if (names.size() != 1)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{} holds {} studies: name one with --study", studyFile.string(), names.size()), LWB_WHERE);
        name = names.front();
    }
    LWB_ASSIGN_OR_RETURN(auto record, storage->loadStudy(name));
    LWB_ASSIGN_OR_RETURN(auto study, tuner::Study::load(storage, name));
    LWB_ASSIGN_OR_RETURN(auto trials, study.trials());
    ReportData data;
    data.studyName = name;
    if (auto w = record.attrs.find("workload"); w != record.attrs.end() && w->second.is_string())
        data.workload = w->second.get<std::string>();
    if (auto fp = record.attrs.find("fingerprint"); fp != record.attrs.end())
        data.fingerprint = fp->second;
    for (const auto& o : study.options().objectives)
        data.objectives.push_back(o.name + (o.direction == tuner::Direction::Maximize ? ":max" : ":min"));
    for (const auto& p : study.options().space.params())
        data.paramNames.push_back(p.name);
    std::set<int> paretoNumbers;
    std::optional<tuner::Trial> best;
    if (data.objectives.size() > 1) {
        if (auto front = study.paretoFront())
            for (const auto& t : *front)
                paretoNumbers.insert(t.number);
    } else if (auto b = study.best()) {
        best = *b;
        data.bestTrial = b->number;
    }
    for (const auto& t : trials) {
        if (t.origin == tuner::TrialOrigin::WarmStart)
            continue;
        ReportData::Trial row;
        row.number = t.number;
        row.state = std::string(tuner::trialStateName(t.state));
        row.values = t.values;
        row.params = tuner::paramsToJson(t.params);
        row.note = t.state == tuner::TrialState::Failed ? t.failReason : "";
        for (const auto& c : study.options().constraints)
            if (auto it = t.constraintValues.find(c.metric); it != t.constraintValues.end())
                row.feasible &= c.satisfiedBy(it->second);
        row.pareto = paretoNumbers.count(t.number) > 0;
        data.trials.push_back(std::move(row));
    }
    if (data.trials.size() >= 3 && !data.objectives.empty())
        if (auto imp = study.importance(0))
            for (const auto& i : *imp)
                data.importance.push_back({i.param, i.importance});
    if (best) {
        if (auto t = best->attrs.find("trace_id"); t != best->attrs.end() && t->second.is_number_integer()) {
            if (auto db = study_file::open(studyFile, sql::OpenMode::ReadOnly)) {
                if (auto store = profiler::TraceStore::open(*db))
                    if (auto trace = store->load(t->second.get<std::int64_t>())) {
                        auto ops = opMillisPerStep(*trace);
                        data.topOpsMs.assign(ops.begin(), ops.end());
                        std::sort(data.topOpsMs.begin(), data.topOpsMs.end(),
                            [](const auto& x, const auto& y) { return x.second > y.second; });
                        if (data.topOpsMs.size() > 15)
                            data.topOpsMs.resize(15);
                    }
            }
        }
    }
    return data;
}

std::string renderReport(const ReportData& data, ReportFormat format, PlotRenderer* renderer)
{
    int complete = 0, failed = 0, pruned = 0;
    for (const auto& t : data.trials) {
        complete += t.state == "COMPLETE";
        failed += t.state == "FAILED";
        pruned += t.state == "PRUNED";
    }
    const ReportData::Trial* best = nullptr;
    for (const auto& t : data.trials)
        if (t.number == data.bestTrial)
            best = &t;
    std::string objectives;
    for (const auto& o : data.objectives)
        objectives += (objectives.empty() ? "" : ", ") + o;

    if (format == ReportFormat::Markdown) {
        std::string md = fmt::format("# Study {}\n\nWorkload `{}`, objectives {}. {} trials: {} complete, {} failed, "
                                     "{} pruned.\n\n",
            data.studyName, data.workload, objectives, data.trials.size(), complete, failed, pruned);
        if (best) {
            md += fmt::format("## Best trial {}\n\n`{}`\n\n", best->number, paramText(best->params));
            for (std::size_t i = 0; i < data.objectives.size() && i < best->values.size(); ++i)
                md += fmt::format("- {}: {:.6g}\n", data.objectives[i], best->values[i]);
        }
        if (!data.importance.empty()) {
            md += "\n## Parameter importance\n\n| parameter | importance |\n|---|---:|\n";
            for (const auto& [p, v] : data.importance)
                md += fmt::format("| {} | {:.2f} |\n", p, v);
        }
        if (!data.topOpsMs.empty()) {
            md += "\n## Top ops of the best trial (ms per step)\n\n| op | ms |\n|---|---:|\n";
            for (const auto& [op, ms] : data.topOpsMs)
                md += fmt::format("| {} | {:.3f} |\n", op, ms);
        }
        md += "\n## Trials\n\n| # | state | parameters | values | note |\n|---:|---|---|---|---|\n";
        for (const auto& t : data.trials) {
            std::string values;
            for (double v : t.values)
                values += fmt::format("{}{:.5g}", values.empty() ? "" : ", ", v);
            md += fmt::format("| {} | {} | {} | {} | {} |\n", t.number, t.state, paramText(t.params), values, t.note);
        }
        return md;
    }

    std::string out
        = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Lepton Workbench report: " + html(data.studyName)
        + "</title><style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
          "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
          "th{background:#f0f0f0}.num{text-align:right}.FAILED{color:#b00}.PRUNED{color:#888}img{max-width:100%;"
          "border:1px solid #ddd;margin:6px 0}code{background:#f4f4f4;padding:1px 4px}</style></head><body>";
    out += fmt::format("<h1>Study {}</h1><p>Workload <code>{}</code>, objectives {}. {} trials: {} complete, {} "
                       "failed, {} pruned. Generated by Lepton Workbench {}.</p>",
        html(data.studyName), html(data.workload), html(objectives), data.trials.size(), complete, failed, pruned,
        html(workbenchVersion()));
    if (best) {
        out += fmt::format(
            "<h2>Best trial {}</h2><p><code>{}</code></p><ul>", best->number, html(paramText(best->params)));
        for (std::size_t i = 0; i < data.objectives.size() && i < best->values.size(); ++i)
            out += fmt::format("<li>{}: <b>{:.6g}</b></li>", html(data.objectives[i]), best->values[i]);
        out += "</ul>";
    }
    struct PlotSpec {
        PlotKind kind;
        const char* title;
    };
    const PlotSpec plots[] = {{PlotKind::History, "Optimisation history"}, {PlotKind::Pareto, "Pareto front"},
        {PlotKind::ParallelCoordinates, "Parallel coordinates"}, {PlotKind::Importance, "Parameter importance"},
        {PlotKind::TopKernels, "Top ops of the best trial"}};
    if (renderer) {
        for (const auto& p : plots) {
            auto png = renderer->renderPng(p.kind, data, 1000, 420);
            if (!png.empty())
                out += fmt::format(
                    "<h2>{}</h2><img alt=\"{}\" src=\"data:image/png;base64,{}\">", p.title, p.title, base64(png));
        }
    } else {
        out += "<p><i>Plots are drawn by the GUI's chart code; this lwb was built without Qt "
               "(LWB_BUILD_UI=OFF).</i></p>";
    }
    if (!data.importance.empty()) {
        out += "<h2>Parameter importance</h2><table><tr><th>parameter</th><th>importance</th></tr>";
        for (const auto& [p, v] : data.importance)
            out += fmt::format("<tr><td>{}</td><td class=num>{:.2f}</td></tr>", html(p), v);
        out += "</table>";
    }
    if (!data.topOpsMs.empty()) {
        out += "<h2>Top ops of the best trial</h2><table><tr><th>op</th><th>ms per step</th></tr>";
        for (const auto& [op, ms] : data.topOpsMs)
            out += fmt::format("<tr><td>{}</td><td class=num>{:.3f}</td></tr>", html(op), ms);
        out += "</table>";
    }
    out += "<h2>Trials</h2><table><tr><th>#</th><th>state</th><th>parameters</th>";
    for (const auto& o : data.objectives)
        out += "<th>" + html(o) + "</th>";
    out += "<th>note</th></tr>";
    for (const auto& t : data.trials) {
        out += fmt::format("<tr class=\"{}\"><td class=num>{}</td><td>{}</td><td>{}</td>", t.state, t.number, t.state,
            html(paramText(t.params)));
        for (std::size_t i = 0; i < data.objectives.size(); ++i)
            out += i < t.values.size() ? fmt::format("<td class=num>{:.5g}</td>", t.values[i]) : "<td></td>";
        out += "<td>" + html(t.note) + (t.pareto ? " (Pareto)" : "") + (t.feasible ? "" : " (infeasible)")
            + "</td></tr>";
    }
    out += "</table>";
    if (!data.fingerprint.empty())
        out += "<h2>Machine</h2><pre>" + html(data.fingerprint.dump(2)) + "</pre>";
    out += "</body></html>\n";
    return out;
}

} // namespace lwb::workbench
