// Trace commands: `lwb profile` (one captured run into a study file), `lwb stats` (nsys-style
// reports), `lwb export` (Chrome/Perfetto JSON, CSV, JSON) and `lwb import-nsys`.
#include "cli_common.h"

#include "lwb/core/study_file.h"
#include "lwb/profiler/export.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/workbench/profiles.h"
#include "lwb/workbench/study_setup.h"
#include "lwb/workbench/trial_runner.h"

#include <fmt/core.h>
#include <iostream>

namespace lwb::cli {
namespace {

struct TraceFile {
    sql::Database db;
    std::optional<profiler::TraceStore> store;
};

Result<std::unique_ptr<TraceFile>> openTraces(const std::string& path, sql::OpenMode mode)
{
    auto file = std::make_unique<TraceFile>();
    LWB_ASSIGN_OR_RETURN(file->db, study_file::open(path, mode));
    LWB_ASSIGN_OR_RETURN(auto store, profiler::TraceStore::open(file->db));
    file->store.emplace(std::move(store));
    return file;
}

/// The trace to show: the given id, else the only (or latest) trace of the file.
Result<std::int64_t> pickTrace(profiler::TraceStore& store, std::int64_t requested)
{
    LWB_ASSIGN_OR_RETURN(auto traces, store.listTraces());
    if (traces.empty())
        return fail(ErrorCode::NotFound,
            "the file holds no trace (capture one with `lwb profile` or "
            "`lwb tune` with capture: {policy: best})",
            LWB_WHERE);
    if (requested > 0) {
        for (const auto& t : traces)
            if (t.traceId == requested)
                return requested;
        return fail(ErrorCode::NotFound, fmt::format("no trace {} in the file", requested), LWB_WHERE);
    }
    return traces.back().traceId;
}

std::string ns(double v)
{
    return fmt::format("{:.0f}", v);
}

Result<Table> statsTable(const profiler::TraceSummary& s, const std::string& report)
{
    Table t;
    if (report == "kernel_sum") {
        t.columns = {"Time (%)", "Total Time (ns)", "Instances", "Avg (ns)", "Med (ns)", "Min (ns)", "Max (ns)",
            "StdDev (ns)", "Name", "Group"};
        for (const auto& op : s.topOps)
            t.rows.push_back(
                {fmt::format("{:.1f}", op.percent), std::to_string(op.stats.totalNs), std::to_string(op.stats.count),
                    ns(op.stats.meanNs), ns(op.stats.medianNs), std::to_string(op.stats.minNs),
                    std::to_string(op.stats.maxNs), ns(op.stats.stddevNs), op.name, op.group});
    } else if (report == "gaps") {
        t.columns = {"Device", "Start (ns)", "End (ns)", "Duration (ns)", "After", "Before", "Step"};
        for (const auto& d : s.devices)
            for (const auto& g : d.largestGaps)
                t.rows.push_back({d.device, std::to_string(g.startNs), std::to_string(g.endNs),
                    std::to_string(g.endNs - g.startNs), g.before, g.after, std::to_string(g.step)});
    } else if (report == "overlap") {
        t.columns = {"Device", "Compute (ns)", "Copy (ns)", "Overlap (ns)", "Copy overlapped (%)"};
        for (const auto& o : s.overlap)
            t.rows.push_back({o.device, std::to_string(o.computeNs), std::to_string(o.copyNs),
                std::to_string(o.overlapNs), fmt::format("{:.1f}", o.copyOverlappedPercent)});
    } else if (report == "steps") {
        t.columns = {"Step", "Wall (ns)", "Busy (ns)", "Idle (ns)", "Ops", "Op total (ns)"};
        for (const auto& st : s.steps)
            t.rows.push_back({std::to_string(st.step), std::to_string(st.wallNs), std::to_string(st.busyNs),
                std::to_string(st.idleNs), std::to_string(st.opCount), std::to_string(st.opTotalNs)});
    } else if (report == "utilization") {
        t.columns = {"Device", "Track", "Busy (ns)", "Idle (ns)", "Busy (%)"};
        auto add = [&](const profiler::Utilization& u) {
            double span = static_cast<double>(u.lastNs - u.firstNs);
            t.rows.push_back({u.device, u.track, std::to_string(u.busyNs), std::to_string(u.idleNs),
                fmt::format("{:.1f}", span > 0 ? 100.0 * u.busyNs / span : 0.0)});
        };
        for (const auto& u : s.devices)
            add(u);
        for (const auto& u : s.tracks)
            add(u);
    } else {
        return fail(ErrorCode::InvalidArgument, "unknown report " + report, LWB_WHERE);
    }
    return t;
}

struct ProfileArgs {
    std::string workload;
    std::vector<std::string> sets;
    std::string output = "profile.lwb";
    int skip = 2, steps = 3, windows = 3;
};

int runProfile(const ProfileArgs& args)
{
    auto workload = workbench::makeWorkload(args.workload);
    if (!workload)
        return reportError("profile", workload.error());
    auto sets = workbench::parseSetArguments(args.sets);
    if (!sets)
        return reportError("profile", sets.error());
    auto partial = workbench::applyKnobText({}, *sets, **workload);
    if (!partial)
        return reportError("profile", partial.error());
    auto config = (*workload)->resolve(*partial);
    if (!config)
        return reportError("profile", config.error());
    workbench::TrialRunOptions run;
    run.rules.warmupWindows = 0;
    run.rules.minSamples = run.rules.maxSamples = args.windows;
    run.primaryMetric = (*workload)->metrics().empty() ? "" : (*workload)->metrics().front().name;
    run.capture = profiler::CaptureSchedule::window(args.skip, args.steps);
    auto& interrupt = installInterruptHandlers();
    run.cancelled = [&interrupt] { return interrupt.load() > 0; };
    auto outcome = workbench::runTrial(**workload, *config, run);
    for (const auto& note : outcome.captureNotes)
        std::fprintf(stderr, "lwb profile: %s\n", note.c_str());
    if (outcome.error)
        return reportError("profile", *outcome.error);
    if (!outcome.trace)
        return reportError("profile", Error {ErrorCode::Internal, "the run produced no trace records", ""});
    auto file = openTraces(args.output, sql::OpenMode::ReadWriteCreate);
    if (!file)
        return reportError("profile", file.error());
    profiler::TraceMeta meta;
    meta.label = args.workload + " " + engine::configToJson(*config).dump();
    meta.notes = engine::configToJson(*config).dump();
    auto id = (*file)->store->write(*outcome.trace, meta);
    if (!id)
        return reportError("profile", id.error());
    auto summary = profiler::summarize(*outcome.trace);
    std::printf("trace %lld: %zu records, %zu steps captured -> %s\n", static_cast<long long>(*id),
        outcome.trace->records.size(), summary.steps.size(), args.output.c_str());
    auto table = statsTable(summary, "kernel_sum");
    if (table) {
        table->rows.resize(std::min<std::size_t>(table->rows.size(), 10));
        std::cout << formatTable(*table, "table");
    }
    return 0;
}

} // namespace

std::vector<Command> addTraceCommands(CLI::App& app)
{
    std::vector<Command> out;
    auto profileArgs = std::make_shared<ProfileArgs>();
    CLI::App* profile = app.add_subcommand("profile", "Run one configuration with the op tracer and store the trace");
    profile->add_option("workload", profileArgs->workload, "gpt-train, gpt-infer, mlp-train or mlp-infer")->required();
    profile->add_option("--set", profileArgs->sets, "Knob value: --set batch_size=8 (repeatable)");
    profile->add_option("-o,--output", profileArgs->output, "Study file to store the trace in");
    profile->add_option("--skip", profileArgs->skip, "Steps to skip before capturing");
    profile->add_option("--steps", profileArgs->steps, "Steps to capture");
    profile->add_option("--windows", profileArgs->windows, "Measurement windows to run");
    out.push_back({profile, [profileArgs] { return runProfile(*profileArgs); }});

    struct StatsArgs {
        std::string file, report = "kernel_sum", format = "table";
        std::int64_t trace = 0;
    };
    auto statsArgs = std::make_shared<StatsArgs>();
    CLI::App* stats = app.add_subcommand("stats", "Summaries of a stored trace (like nsys stats)");
    stats->add_option("file", statsArgs->file, "Study file")->required();
    stats->add_option("--trace", statsArgs->trace, "Trace id (default: the latest)");
    stats->add_option("--report", statsArgs->report, "kernel_sum, gaps, overlap, steps or utilization")
        ->check(CLI::IsMember({"kernel_sum", "gaps", "overlap", "steps", "utilization"}));
    stats->add_option("--format", statsArgs->format, "table, csv, json or yaml")
        ->check(CLI::IsMember({"table", "csv", "json", "yaml"}));
    out.push_back({stats, [statsArgs] {
                       auto file = openTraces(statsArgs->file, sql::OpenMode::ReadOnly);
                       if (!file)
                           return reportError("stats", file.error());
                       auto id = pickTrace(*(*file)->store, statsArgs->trace);
                       if (!id)
                           return reportError("stats", id.error());
                       auto summary = (*file)->store->summary(*id);
                       if (!summary)
                           return reportError("stats", summary.error());
                       auto table = statsTable(*summary, statsArgs->report);
                       if (!table)
                           return reportError("stats", table.error());
                       std::cout << formatTable(*table, statsArgs->format);
                       return 0;
                   }});

    struct ExportArgs {
        std::string file, type = "chrome", output;
        std::int64_t trace = 0;
        bool gzip = false;
    };
    auto exportArgs = std::make_shared<ExportArgs>();
    CLI::App* exp = app.add_subcommand("export", "Export a stored trace: Chrome/Perfetto JSON, CSV summary or JSON");
    exp->add_option("file", exportArgs->file, "Study file")->required();
    exp->add_option("--trace", exportArgs->trace, "Trace id (default: the latest)");
    exp->add_option("--type", exportArgs->type, "chrome, csv or json")->check(CLI::IsMember({"chrome", "csv", "json"}));
    exp->add_option("-o,--output", exportArgs->output, "Output file (default trace-<id>.<ext>)");
    exp->add_flag("--gzip", exportArgs->gzip, "Compress Chrome JSON with gzip");
    out.push_back({exp, [exportArgs] {
                       auto file = openTraces(exportArgs->file, sql::OpenMode::ReadOnly);
                       if (!file)
                           return reportError("export", file.error());
                       auto id = pickTrace(*(*file)->store, exportArgs->trace);
                       if (!id)
                           return reportError("export", id.error());
                       std::string ext = exportArgs->type == "chrome" ? (exportArgs->gzip ? "json.gz" : "json")
                           : exportArgs->type == "csv"                ? "csv"
                                                                      : "summary.json";
                       std::string path
                           = exportArgs->output.empty() ? fmt::format("trace-{}.{}", *id, ext) : exportArgs->output;
                       if (exportArgs->type == "chrome") {
                           profiler::ChromeExportOptions options;
                           if (exportArgs->gzip)
                               options.compression = profiler::Compression::Gzip;
                           auto written = (*file)->store->exportChrome(*id, path, options);
                           if (!written)
                               return reportError("export", written.error());
                           std::printf("wrote %s (%lld events, %lld flows)\n", path.c_str(),
                               static_cast<long long>(written->events), static_cast<long long>(written->flows));
                       } else if (exportArgs->type == "csv") {
                           if (Status s = (*file)->store->exportCsv(*id, profiler::CsvReport::TopOps, path); !s)
                               return reportError("export", s.error());
                           std::printf("wrote %s\n", path.c_str());
                       } else {
                           auto summary = (*file)->store->summary(*id);
                           if (!summary)
                               return reportError("export", summary.error());
                           if (Status s = writeFileAtomic(path, summary->toJson().dump(2) + "\n"); !s)
                               return reportError("export", s.error());
                           std::printf("wrote %s\n", path.c_str());
                       }
                       return 0;
                   }});

    struct ImportArgs {
        std::string input, output;
    };
    auto importArgs = std::make_shared<ImportArgs>();
    CLI::App* imp = app.add_subcommand("import-nsys",
        "Import an Nsight Systems SQLite export (nsys export --type "
        "sqlite) into a study file");
    imp->add_option("export", importArgs->input, "nsys SQLite export")->required()->check(CLI::ExistingFile);
    imp->add_option("-o,--output", importArgs->output, "Study file (default: <export>.lwb)");
    out.push_back({imp, [importArgs] {
                       std::string output = importArgs->output.empty()
                           ? std::filesystem::path(importArgs->input).replace_extension(".lwb").string()
                           : importArgs->output;
                       auto file = openTraces(output, sql::OpenMode::ReadWriteCreate);
                       if (!file)
                           return reportError("import-nsys", file.error());
                       profiler::TraceMeta meta;
                       meta.label = std::filesystem::path(importArgs->input).filename().string();
                       auto id = (*file)->store->importNsys(importArgs->input, meta);
                       if (!id)
                           return reportError("import-nsys", id.error());
                       auto info = (*file)->store->info(*id);
                       std::printf("imported trace %lld (%lld records) into %s\n", static_cast<long long>(*id),
                           info ? static_cast<long long>(info->recordCount) : 0LL, output.c_str());
                       return 0;
                   }});
    return out;
}

} // namespace lwb::cli
