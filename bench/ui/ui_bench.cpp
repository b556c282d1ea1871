// lwb_ui_bench: measures the GUI's hot paths offscreen and prints them next to the targets of
// issue 7 and next to a naive peer measured in the same run:
//   timeline, 1M records: first paint (setSource + fit + draw list + paint) < 300 ms; a pan/zoom
//   frame (mapping change + draw list + paint into a QImage) < 16 ms; peer: painting every
//   visible item without level-of-detail folding.
//   10,000 trials: trial table update (model diff + sorted proxy + view repaint) and history plot
//   update (render) < 50 ms; peer: rebuilding a QStandardItemModel.
// Usage: lwb_ui_bench [--records N] [--trials N] [--width W --height H] [--only timeline|trials]
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/study_plots.h"
#include "lwb/ui/theme.h"
#include "lwb/ui/timeline_source.h"
#include "lwb/ui/timeline_view.h"
#include "lwb/ui/trial_table_model.h"

#include <QApplication>
#include <QHeaderView>
#include <QImage>
#include <QPainter>
#include <QStandardItemModel>
#include <QTableView>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace lwb::ui;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stats {
    double median = 0, p95 = 0, max = 0;
};

Stats stats(std::vector<double> v)
{
    Stats s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    s.median = v[v.size() / 2];
    s.p95 = v[std::min(v.size() - 1, static_cast<std::size_t>(v.size() * 0.95))];
    s.max = v.back();
    return s;
}

void row(const char* what, const Stats& s, double target)
{
    std::printf("  %-46s median %8.2f ms   p95 %8.2f ms   max %8.2f ms   target < %5.0f ms  %s\n", what, s.median,
        s.p95, s.max, target, s.p95 < target ? "ok" : "OVER");
}

/// The naive peer: every visible item of every lane is painted as its own rectangle.
double naiveFrame(const TimelineSource& src, const TimelineMapping& m, QImage& image, std::size_t& painted)
{
    const auto t0 = Clock::now();
    QPainter p(&image);
    p.fillRect(image.rect(), Qt::white);
    painted = 0;
    double y = 26;
    for (std::size_t t = 0; t < src.tracks().size(); ++t) {
        TrackSlice slice = src.query(
            static_cast<int>(t), static_cast<std::int64_t>(m.startNs()), static_cast<std::int64_t>(m.endNs()) + 1);
        y += 20;
        for (const auto& lane : slice.lanes) {
            for (const auto& it : lane) {
                const double x0 = m.xForTime(static_cast<double>(it.startNs));
                const double x1 = m.xForTime(static_cast<double>(it.endNs));
                p.fillRect(QRectF(x0, y, std::max(1.0, x1 - x0), 16), colorForName(src.name(it.nameId), false));
                ++painted;
            }
            y += 18;
        }
    }
    return msSince(t0);
}

} // namespace

int main(int argc, char** argv)
{
    if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    applyTheme(ThemeChoice::Light);
    std::int64_t records = 1'000'000;
    int trials = 10'000;
    int width = 1600, height = 900;
    std::string only;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--records"))
            records = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--trials"))
            trials = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--width"))
            width = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--height"))
            height = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--only"))
            only = argv[++i];
    }

    // ---- Timeline -------------------------------------------------------------------------
    if (only.empty() || only == "timeline") {
        SyntheticTraceOptions opt;
        opt.records = records;
        opt.gpuStreams = 4;
        opt.cpuThreads = 2;
        opt.steps = 20;
        auto t0 = Clock::now();
        auto source = makeSyntheticTimeline(opt);
        const double genMs = msSince(t0);
        std::int64_t n = 0;
        for (const auto& t : source->tracks())
            n += t.itemCount;
        std::printf(
            "timeline: %lld records on %zu tracks, %.2f s of trace (generated in %.0f ms, not counted), %dx%d px\n",
            static_cast<long long>(n), source->tracks().size(), source->timeRange().durationNs() / 1e9, genMs, width,
            height);

        QImage image(width, height, QImage::Format_ARGB32_Premultiplied);
        std::vector<double> first;
        for (int rep = 0; rep < 5; ++rep) {
            TimelineView view;
            view.resize(width, height);
            t0 = Clock::now();
            view.setSource(source);
            QPainter p(&image);
            view.paintFrame(p, image.size());
            first.push_back(msSince(t0));
        }
        row("first paint (open + fit + draw list + paint)", stats(first), 300);

        TimelineView view;
        view.resize(width, height);
        view.setSource(source);
        const TimeRange range = source->timeRange();
        const double span = static_cast<double>(range.durationNs());
        struct Level {
            const char* name;
            double fraction;
        };
        const Level levels[]
            = {{"whole trace", 1.0}, {"1/10", 0.1}, {"1/100", 0.01}, {"1/1,000", 1e-3}, {"1/10,000", 1e-4}};
        std::vector<double> all, build, paint;
        std::printf("  pan/zoom frames by zoom level (60 frames each: 30 wheel steps + 30 pans):\n");
        for (const auto& level : levels) {
            std::vector<double> frames;
            std::size_t boxes = 0, items = 0;
            const double center = range.startNs + span * 0.37;
            view.setVisibleRange(center - span * level.fraction / 2, center + span * level.fraction / 2);
            for (int f = 0; f < 60; ++f) {
                const auto f0 = Clock::now();
                if (f < 30)
                    view.zoomAround(width * (0.2 + 0.02 * f), f % 2 ? 1.15 : 1 / 1.15);
                else
                    view.panByPixels(f % 2 ? 37 : -41);
                QPainter p(&image);
                const auto s = view.paintFrame(p, image.size());
                frames.push_back(msSince(f0));
                build.push_back(s.buildMs);
                paint.push_back(s.paintMs);
                boxes = s.boxes;
                items = s.items;
            }
            const Stats s = stats(frames);
            std::printf("    %-10s median %6.2f ms  p95 %6.2f ms  max %6.2f ms   (%zu boxes for %zu items)\n",
                level.name, s.median, s.p95, s.max, boxes, items);
            all.insert(all.end(), frames.begin(), frames.end());
        }
        row("pan/zoom frame, all levels", stats(all), 16);
        std::printf(
            "    of which draw list median %.2f ms, paint median %.2f ms\n", stats(build).median, stats(paint).median);

        // Search highlight active (every frame checks the mask, folds scan their items).
        view.setSearchText(QStringLiteral("gemm"));
        std::vector<double> hl;
        view.fitAll();
        for (int f = 0; f < 30; ++f) {
            const auto f0 = Clock::now();
            view.zoomAround(width * 0.5, f % 2 ? 1.3 : 1 / 1.3);
            QPainter p(&image);
            view.paintFrame(p, image.size());
            hl.push_back(msSince(f0));
        }
        row("zoom frame with a search highlight (whole trace)", stats(hl), 16);
        view.clearHighlight();

        // Peer: the same whole-trace and 1/10 views without level of detail.
        for (double fraction : {1.0, 0.1}) {
            TimelineMapping m(range.startNs + span * (0.37 - fraction / 2), span * fraction / width, width);
            std::vector<double> naive, lod;
            std::size_t painted = 0;
            for (int rep = 0; rep < 3; ++rep) {
                naive.push_back(naiveFrame(*source, m, image, painted));
                view.setVisibleRange(m.startNs(), m.endNs());
                const auto f0 = Clock::now();
                QPainter p(&image);
                view.paintFrame(p, image.size());
                lod.push_back(msSince(f0));
            }
            const double a = stats(naive).median, b = stats(lod).median;
            std::printf("  peer, %-5s of the trace: naive paint of %zu items %8.2f ms vs draw list %6.2f ms  (%.0fx)\n",
                fraction == 1.0 ? "all" : "1/10", painted, a, b, a / std::max(1e-6, b));
        }
    }
    if (!only.empty() && only != "trials")
        return 0;

    // ---- Trials ---------------------------------------------------------------------------
    auto t0 = Clock::now();
    const auto full = DemoController::makeStudy(trials, 1, 11);
    const auto pareto = DemoController::makeStudy(trials, 2, 12);
    std::printf("\ntrials: %d (studies generated in %.0f ms, not counted)\n", trials, msSince(t0));
    // Snapshots of the growing study, built beforehand as the controller would deliver them.
    const int updates = 40;
    std::vector<StudySnapshotPtr> snapshots;
    for (int k = updates; k >= 0; --k) {
        auto s = std::make_shared<StudySnapshot>(*full);
        s->trials.resize(static_cast<std::size_t>(trials - k));
        if (k > 0) { // the newest trial is still running
            s->trials.back().state = TrialState::Running;
            s->trials.back().values.assign(1, std::nullopt);
        }
        snapshots.push_back(s);
    }
    TrialTableModel model;
    TrialFilterProxy proxy;
    proxy.setSourceModel(&model);
    QTableView table;
    table.setModel(&proxy);
    table.setSortingEnabled(true);
    table.sortByColumn(2, Qt::DescendingOrder);
    table.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table.resize(700, 900);
    table.show();
    model.setStudy(snapshots.front());
    QApplication::processEvents();
    std::vector<double> tableMs;
    for (std::size_t i = 1; i < snapshots.size(); ++i) {
        const auto u0 = Clock::now();
        model.setStudy(snapshots[i]);
        table.viewport()->repaint();
        tableMs.push_back(msSince(u0));
    }
    row("trial table update (diff + sorted proxy + repaint)", stats(tableMs), 50);
    std::vector<double> filterMs;
    for (const char* f : {"bf16", "precision=bf16", "state:failed", "batch_size=64 bf16", ""}) {
        const auto u0 = Clock::now();
        proxy.setTextFilter(QString::fromLatin1(f));
        table.viewport()->repaint();
        filterMs.push_back(msSince(u0));
    }
    row("trial table filter change", stats(filterMs), 50);
    std::printf("    (first filter, which builds the rows' search text: %.2f ms)\n", filterMs.front());
    // Peer: rebuilding a QStandardItemModel with every cell on each update.
    std::vector<double> naiveTable;
    for (int rep = 0; rep < 3; ++rep) {
        const auto u0 = Clock::now();
        QStandardItemModel std(trials, 10);
        for (int r = 0; r < trials; ++r) {
            const auto& t = full->trials[static_cast<std::size_t>(r)];
            std.setItem(r, 0, new QStandardItem(QString::number(t.number)));
            std.setItem(r, 1, new QStandardItem(QString::fromLatin1(trialStateName(t.state).data())));
            std.setItem(r, 2, new QStandardItem(t.values[0] ? QString::number(*t.values[0]) : QString()));
            int c = 3;
            for (const auto& [k, v] : t.params)
                if (c < 10)
                    std.setItem(r, c++, new QStandardItem(QString::fromStdString(paramValueToString(v))));
        }
        QSortFilterProxyModel sp;
        sp.setSourceModel(&std);
        sp.sort(2, Qt::DescendingOrder);
        naiveTable.push_back(msSince(u0));
    }
    std::printf("  peer: QStandardItemModel rebuild + sort per update: median %.1f ms (%.0fx the incremental update)\n",
        stats(naiveTable).median, stats(naiveTable).median / std::max(1e-6, stats(tableMs).median));

    auto plotBench = [&](StudyPlot::Kind kind, const char* name, const StudySnapshotPtr& base, double target) {
        StudyPlot plot(kind);
        plot.resize(900, 520);
        if (kind == StudyPlot::Kind::Slice) {
            plot.setParam("batch_size");
            plot.setInsights(DemoController::makeInsights(*base, 0));
        }
        // Snapshots stay alive outside the timed region, as in the app, where MainWindow frees
        // old snapshots on a pool thread (releaseOffThread) rather than on the GUI thread.
        std::vector<StudySnapshotPtr> keep;
        for (int k = 0; k < 20; ++k) {
            auto s = std::make_shared<StudySnapshot>(*base);
            s->trials.resize(static_cast<std::size_t>(trials - 20 + k));
            keep.push_back(s);
        }
        std::vector<double> ms;
        for (const auto& s : keep) {
            const auto u0 = Clock::now();
            plot.setStudy(s);
            QImage img = plot.render(plot.size());
            ms.push_back(msSince(u0));
        }
        row(name, stats(ms), target);
    };
    plotBench(StudyPlot::Kind::History, "history plot update (render 900x520)", full, 50);
    plotBench(StudyPlot::Kind::Pareto, "Pareto plot update", pareto, 50);
    plotBench(StudyPlot::Kind::ParallelCoordinates, "parallel coordinates update", full, 50);
    plotBench(StudyPlot::Kind::Slice, "slice plot update", full, 50);
    return 0;
}
