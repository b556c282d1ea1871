// TraceStore on study files: schema registration, store/load round trip, nsys-shaped tables that
// nsys queries can read, the window query and level-of-detail overview against brute force,
// read-only viewers while a writer adds traces, summaries, comparison, exports and bad input.
#include "lwb/core/study_file.h"
#include "lwb/profiler/trace_store.h"
#include "synthetic.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using namespace lwb;
using namespace lwb::profiler;
using namespace lwb::profiler::test;

namespace {

sql::Database memoryStudy()
{
    auto db = sql::Database::openInMemory();
    EXPECT_TRUE(db);
    EXPECT_TRUE(study_file::initialise(*db));
    return std::move(*db);
}

/// Many kernels on two streams with random gaps; returns the trace.
Trace bigTrace(int kernels, std::uint32_t seed)
{
    Trace t;
    t.source = "synthetic";
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> len(100, 5000), gap(0, 3000), name(0, 7);
    std::int64_t at[2] = {0, 1000};
    for (int i = 0; i < kernels; ++i) {
        int s = i % 2;
        std::int64_t start = at[s] + gap(rng);
        std::int64_t end = start + len(rng);
        at[s] = end;
        t.records.push_back(
            record(t, RecordKind::Kernel, "kernel" + std::to_string(name(rng)), start, end, 0, 7 + s, i + 1));
    }
    t.sortByStart();
    return t;
}

void expectSameRecords(const Trace& a, const Trace& b)
{
    ASSERT_EQ(a.records.size(), b.records.size());
    auto key = [](const Trace& t, const ActivityRecord& r) {
        return std::tuple(r.start, r.end, static_cast<int>(r.kind), r.device, r.stream, t.nameOf(r));
    };
    std::vector<std::size_t> ia(a.records.size()), ib(b.records.size());
    std::iota(ia.begin(), ia.end(), 0);
    std::iota(ib.begin(), ib.end(), 0);
    std::sort(ia.begin(), ia.end(), [&](auto x, auto y) { return key(a, a.records[x]) < key(a, a.records[y]); });
    std::sort(ib.begin(), ib.end(), [&](auto x, auto y) { return key(b, b.records[x]) < key(b, b.records[y]); });
    for (std::size_t i = 0; i < ia.size(); ++i) {
        const ActivityRecord& x = a.records[ia[i]];
        const ActivityRecord& y = b.records[ib[i]];
        SCOPED_TRACE("record " + std::to_string(i) + " " + a.nameOf(x));
        EXPECT_EQ(key(a, x), key(b, y));
        EXPECT_EQ(a.strings[x.shortName], b.strings[y.shortName]);
        EXPECT_EQ(x.correlationId, y.correlationId);
        EXPECT_EQ(x.processId, y.processId);
        EXPECT_EQ(x.context, y.context);
        EXPECT_EQ(x.bytes, y.bytes);
        EXPECT_EQ(x.step, y.step);
        EXPECT_EQ(x.flags, y.flags);
        EXPECT_EQ(x.category, y.category);
        EXPECT_EQ(x.copyKind, y.copyKind);
        EXPECT_EQ(x.srcKind, y.srcKind);
        EXPECT_EQ(x.dstKind, y.dstKind);
        EXPECT_EQ(x.memoryKind, y.memoryKind);
        EXPECT_EQ(x.gridX, y.gridX);
        EXPECT_EQ(x.blockX, y.blockX);
        EXPECT_EQ(x.registersPerThread, y.registersPerThread);
        EXPECT_EQ(x.staticSharedMemory, y.staticSharedMemory);
        EXPECT_EQ(x.dynamicSharedMemory, y.dynamicSharedMemory);
        EXPECT_EQ(x.launchType, y.launchType);
        EXPECT_EQ(x.cbid, y.cbid);
        EXPECT_DOUBLE_EQ(x.flops, y.flops);
    }
}

} // namespace

TEST(TraceStore, RegistersItsTablesThroughTheMigrationRunner)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    ASSERT_TRUE(store) << store.error().describe();
    EXPECT_EQ(*study_file::schemaVersion(db, "profiler"), 1);
    for (const char* table : {"CUPTI_ACTIVITY_KIND_KERNEL", "CUPTI_ACTIVITY_KIND_MEMCPY", "CUPTI_ACTIVITY_KIND_MEMSET",
             "CUPTI_ACTIVITY_KIND_RUNTIME", "NVTX_EVENTS", "StringIds", "lwb_traces", "lwb_trace_lod"})
        EXPECT_TRUE(*db.tableExists(table)) << table;
    auto again = TraceStore::open(db); // idempotent
    EXPECT_TRUE(again);
}

TEST(TraceStore, RoundTripOfAGpuTraceAndNsysStyleQueries)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    ASSERT_TRUE(store);
    Trace trace = gpuTrace();
    auto id = store->write(trace, {"gpu synthetic", 42, "batch 8"});
    ASSERT_TRUE(id) << id.error().describe();
    EXPECT_EQ(*id, 1);

    auto list = store->listTraces();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    const TraceInfo& info = list->front();
    EXPECT_EQ(info.label, "gpu synthetic");
    EXPECT_EQ(info.trialId, 42);
    EXPECT_EQ(info.notes, "batch 8");
    EXPECT_EQ(info.source, "synthetic");
    EXPECT_EQ(info.recordCount, 9);
    EXPECT_EQ(info.durationNs, 440);
    EXPECT_EQ(info.sessionStartNs, 1'000'000);
    EXPECT_EQ(info.utcEpochNs, 1'700'000'000'000'000'000);

    auto loaded = store->load(*id);
    ASSERT_TRUE(loaded) << loaded.error().describe();
    expectSameRecords(trace, *loaded);
    EXPECT_EQ(loaded->sessionStartNs, trace.sessionStartNs);
    EXPECT_EQ(loaded->trackNames.at({kHostDevice, 100}), "main (tid 100)");

    // A query written for nsys exports (kernel summary joined with StringIds) works as is.
    auto q = db.prepare("SELECT s.value, count(*), sum(k.end - k.start) FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN "
                        "StringIds s ON s.id = k.shortName WHERE k.traceId = ?1 GROUP BY 1 ORDER BY 3 DESC");
    ASSERT_TRUE(q);
    ASSERT_TRUE(q->bind(1, *id));
    ASSERT_TRUE(*q->step());
    EXPECT_EQ(q->columnText(0), "A");
    EXPECT_EQ(q->columnInt(1), 2);
    EXPECT_EQ(q->columnInt(2), 200);
    // Kernels join their launches on correlationId (and the process).
    auto join = db.queryInt("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN CUPTI_ACTIVITY_KIND_RUNTIME r ON "
                            "r.correlationId = k.correlationId AND r.traceId = k.traceId AND (r.globalTid >> 24) = "
                            "(k.globalPid >> 24)");
    EXPECT_EQ(**join, 3);
    EXPECT_EQ(**db.queryInt("SELECT globalTid FROM CUPTI_ACTIVITY_KIND_RUNTIME LIMIT 1"), (1 << 24) | 100);
    EXPECT_EQ(**db.queryInt("SELECT srcKind * 10 + dstKind FROM CUPTI_ACTIVITY_KIND_MEMCPY"), 2);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM sqlite_master WHERE type='index' AND name='lwb_kernel_track'"), 1);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM lwb_op_summary WHERE traceId=1 AND groupName='gpu_kernel'"), 2);

    auto summary = store->summary(*id);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->toJson(), summarize(trace).toJson());
    auto kernels = store->kernelSummary(*id);
    ASSERT_TRUE(kernels);
    ASSERT_EQ(kernels->size(), 2u);
    EXPECT_EQ(kernels->front().name, "A");
}

TEST(TraceStore, CpuTraceRoundTripKeepsStepsCategoriesAndThreads)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    Trace trace = cpuStepTrace();
    trace.records[2].flops = 1.5e9;
    trace.records[2].bytes = 4096;
    auto id = store->write(trace, {"cpu", std::nullopt, ""});
    ASSERT_TRUE(id) << id.error().describe();
    auto loaded = store->load(*id);
    ASSERT_TRUE(loaded);
    expectSameRecords(trace, *loaded);
    EXPECT_EQ(summarize(*loaded).steps.size(), 2u);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE deviceId = -1"), 7);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM NVTX_EVENTS WHERE eventType = 59"), 2);
    EXPECT_FALSE(store->info(*id)->trialId.has_value());

    auto tracks = store->tracks(*id);
    ASSERT_TRUE(tracks);
    ASSERT_EQ(tracks->size(), 2u);
    EXPECT_EQ(tracks->at(0).key, (TrackKey {kHostDevice, 0}));
    EXPECT_EQ(tracks->at(0).kind, "host_thread");
    EXPECT_EQ(tracks->at(0).recordCount, 8); // 6 ops + 2 step markers
    EXPECT_EQ(tracks->at(1).key, (TrackKey {kHostDevice, 1}));
    EXPECT_EQ(tracks->at(1).maxDurationNs, 200);
}

TEST(TraceStore, TracksAndWindowQueries)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    auto id = store->write(gpuTrace(), {"gpu", std::nullopt, ""});
    ASSERT_TRUE(id);
    auto tracks = store->tracks(*id);
    ASSERT_TRUE(tracks);
    ASSERT_EQ(tracks->size(), 3u);
    EXPECT_EQ(tracks->at(0).name, "main (tid 100)");
    EXPECT_EQ(tracks->at(1).key, (TrackKey {0, 7}));
    EXPECT_EQ(tracks->at(1).name, "GPU 0 stream 7");
    EXPECT_EQ(tracks->at(1).kind, "gpu_stream");
    EXPECT_EQ(tracks->at(1).recordCount, 3);
    EXPECT_EQ(tracks->at(1).firstNs, 50);
    EXPECT_EQ(tracks->at(1).lastNs, 400);

    auto items = store->loadRange(*id, {0, 7}, 100, 310);
    ASSERT_TRUE(items) << items.error().describe();
    ASSERT_EQ(items->size(), 3u);
    EXPECT_EQ(items->at(0).name, "A");
    EXPECT_EQ(items->at(0).start, 50); // starts before the window, still visible
    EXPECT_EQ(items->at(1).name, "B");
    EXPECT_EQ(items->at(2).correlationId, 3u);
    EXPECT_TRUE(store->loadRange(*id, {0, 7}, 260, 290)->empty());
    auto copies = store->loadRange(*id, {0, 8}, 0, 1000);
    ASSERT_EQ(copies->size(), 2u);
    EXPECT_EQ(copies->at(0).name, "[CUDA memcpy Host-to-Device]");
    EXPECT_EQ(copies->at(0).kind, RecordKind::Memcpy);
    EXPECT_EQ(copies->at(0).bytes, 4096);
    EXPECT_EQ(copies->at(1).kind, RecordKind::Memset);
    auto api = store->loadRange(*id, {kHostDevice, 100}, 0, 12);
    ASSERT_EQ(api->size(), 2u);
    EXPECT_EQ(api->at(0).name, "cudaLaunchKernel_v7000");
    EXPECT_EQ(api->at(0).kind, RecordKind::Runtime);
    EXPECT_EQ(api->at(1).name, "cudaMemcpyAsync_v3020");

    auto missing = store->loadRange(*id, {3, 1}, 0, 10);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST(TraceStore, OverviewExactBelowTheFinestLevelAndFromTheLodTable)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    auto id = store->write(gpuTrace(), {"gpu", std::nullopt, ""});
    // Buckets of 100 ns (finer than the 1024 ns level 0): computed from the records.
    auto fine = store->overview(*id, {0, 7}, 0, 400, 4);
    ASSERT_TRUE(fine) << fine.error().describe();
    ASSERT_EQ(fine->size(), 4u);
    std::vector<std::int64_t> busy, count;
    for (const auto& b : *fine) {
        busy.push_back(b.busyNs);
        count.push_back(b.count);
    }
    EXPECT_EQ(busy, (std::vector<std::int64_t> {50, 100, 50, 100}));
    EXPECT_EQ(count, (std::vector<std::int64_t> {1, 1, 0, 1}));
    EXPECT_EQ(fine->at(3).topName, "A");
    // Whole track in one bucket.
    auto whole = store->overview(*id, {0, 7}, 1);
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->size(), 1u);
    EXPECT_EQ(whole->at(0).startNs, 50);
    EXPECT_EQ(whole->at(0).busyNs, 300);
    EXPECT_EQ(whole->at(0).count, 3);
    // Buckets as wide as level 0 (1024 ns): read from the LOD table.
    auto lod = store->overview(*id, {0, 7}, 0, 4096, 4);
    ASSERT_TRUE(lod);
    EXPECT_EQ(lod->at(0).busyNs, 300);
    EXPECT_EQ(lod->at(0).count, 3);
    EXPECT_EQ(lod->at(0).topName, "A");
    EXPECT_EQ(lod->at(1).busyNs, 0);
    EXPECT_EQ(**db.queryInt("SELECT lodBaseNs FROM lwb_traces WHERE traceId=1"), 1024);
    EXPECT_FALSE(store->overview(*id, {0, 7}, 0, 100, 0));
}

TEST(TraceStore, WindowQueriesAndOverviewMatchBruteForceOnABiggerTrace)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    Trace trace = bigTrace(20000, 7);
    auto id = store->write(trace, {"big", std::nullopt, ""});
    ASSERT_TRUE(id) << id.error().describe();
    auto [first, last] = trace.span();
    std::mt19937 rng(3);
    for (int q = 0; q < 50; ++q) {
        std::int64_t t0 = std::uniform_int_distribution<std::int64_t>(first, last)(rng);
        std::int64_t t1 = t0 + std::uniform_int_distribution<std::int64_t>(1, 50000)(rng);
        std::size_t expected = 0;
        for (const ActivityRecord& r : trace.records)
            if (r.stream == 8 && r.start < t1 && r.end >= t0)
                ++expected;
        auto items = store->loadRange(*id, {0, 8}, t0, t1);
        ASSERT_TRUE(items);
        EXPECT_EQ(items->size(), expected) << t0 << ".." << t1;
    }
    // Overview busy time adds up to the stream's busy time, at every zoom level.
    std::int64_t streamBusy = 0;
    std::int64_t records = 0;
    for (const ActivityRecord& r : trace.records)
        if (r.stream == 7) {
            streamBusy += r.duration();
            ++records;
        }
    for (int buckets : {1, 7, 100, 1000, 20000}) {
        auto view = store->overview(*id, {0, 7}, 0, last + 1, buckets);
        ASSERT_TRUE(view);
        std::int64_t busy = 0, count = 0;
        for (const auto& b : *view) {
            busy += b.busyNs;
            count += b.count;
        }
        EXPECT_NEAR(static_cast<double>(busy), static_cast<double>(streamBusy), 0.001 * streamBusy) << buckets;
        EXPECT_EQ(count, records) << buckets;
    }
}

TEST(TraceStore, ReadOnlyViewerSeesTracesWhileAnotherConnectionWrites)
{
    lwb::test::TempDir dir;
    auto path = dir / "study.lwb";
    auto writerDb = study_file::open(path, sql::OpenMode::ReadWriteCreate);
    ASSERT_TRUE(writerDb);
    auto writer = TraceStore::open(*writerDb);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->write(gpuTrace(), {"first", 1, ""}));

    auto viewerDb = study_file::open(path, sql::OpenMode::ReadOnly);
    ASSERT_TRUE(viewerDb) << viewerDb.error().describe();
    auto viewer = TraceStore::open(*viewerDb);
    ASSERT_TRUE(viewer) << viewer.error().describe();
    EXPECT_EQ(viewer->listTraces()->size(), 1u);
    // Single-row lookups must not leave the viewer's read transaction open (it would keep seeing
    // the snapshot of that moment).
    EXPECT_TRUE(viewer->info(1));
    EXPECT_TRUE(viewer->summary(1));
    EXPECT_TRUE(viewer->overview(1, {0, 7}, 10));
    ASSERT_TRUE(writer->write(cpuStepTrace(), {"second", 2, ""}));
    auto list = viewer->listTraces();
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ(list->at(1).label, "second");
    EXPECT_EQ(viewer->loadRange(2, {kHostDevice, 1}, 0, 1000)->size(), 1u);
    auto denied = viewer->write(gpuTrace(), {"x", std::nullopt, ""});
    ASSERT_FALSE(denied);
    EXPECT_NE(denied.error().message.find("read-only"), std::string::npos);

    // A file without profiler tables: the viewer says so.
    auto otherPath = dir / "empty.lwb";
    {
        ASSERT_TRUE(study_file::open(otherPath, sql::OpenMode::ReadWriteCreate));
    }
    auto otherDb = study_file::open(otherPath, sql::OpenMode::ReadOnly);
    ASSERT_TRUE(otherDb);
    auto none = TraceStore::open(*otherDb);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::NotFound);
}

TEST(TraceStore, SharedStringsCompareExportAndRemove)
{
    lwb::test::TempDir dir;
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    auto a = store->write(cpuStepTrace(), {"a", std::nullopt, ""});
    Trace faster = cpuStepTrace();
    for (ActivityRecord& r : faster.records)
        if (faster.nameOf(r) == "adamw")
            r.end = r.start + 100; // adamw 400 -> 100 ns
    auto b = store->write(faster, {"b", std::nullopt, ""});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM StringIds WHERE value='matmul'"), 1); // shared by both traces

    auto cmp = store->compare(*a, *b);
    ASSERT_TRUE(cmp) << cmp.error().describe();
    EXPECT_DOUBLE_EQ(cmp->differenceNs, 0); // same step wall times (markers) ...
    ASSERT_GE(cmp->rows.size(), 2u); // ... but adamw -150 ns per step, idle at the step end +150
    std::map<std::string, double> top
        = {{cmp->rows[0].label(), cmp->rows[0].deltaNs}, {cmp->rows[1].label(), cmp->rows[1].deltaNs}};
    EXPECT_EQ(top, (std::map<std::string, double> {{"adamw", -150}, {"idle before (end of step)", 150}}));

    auto chrome = store->exportChrome(*a, dir / "a.json");
    ASSERT_TRUE(chrome) << chrome.error().describe();
    EXPECT_EQ(chrome->events, 9);
    ASSERT_TRUE(store->exportCsv(*a, CsvReport::TopOps, dir / "a.csv"));
    EXPECT_NE(readTextFile(dir / "a.csv")->find("matmul"), std::string::npos);

    ASSERT_TRUE(store->remove(*a));
    EXPECT_EQ(store->listTraces()->size(), 1u);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE traceId=1"), 0);
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM lwb_trace_lod WHERE traceId=1"), 0);
    EXPECT_EQ(store->info(*a).error().code, ErrorCode::NotFound);
    EXPECT_EQ(store->load(*a).error().code, ErrorCode::NotFound);
}

TEST(TraceStore, BadInputGivesClearErrorsAndWritesNothing)
{
    sql::Database db = memoryStudy();
    auto store = TraceStore::open(db);
    Trace bad = gpuTrace();
    bad.records[3].end = bad.records[3].start - 5;
    auto id = store->write(bad, {"bad", std::nullopt, ""});
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(id.error().message.find("ends before it starts"), std::string::npos) << id.error().message;
    Trace dangling = gpuTrace();
    dangling.records[0].name = 999;
    EXPECT_EQ(store->write(dangling, {}).error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(store->listTraces()->empty());
    EXPECT_EQ(**db.queryInt("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL"), 0);

    auto good = store->write(gpuTrace(), {"good", std::nullopt, ""});
    ASSERT_TRUE(good);
    ASSERT_TRUE(db.exec("UPDATE lwb_trace_summaries SET summary = '{\"topOps\": 5' WHERE traceId = 1"));
    auto summary = store->summary(*good);
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().code, ErrorCode::Corrupt);
    ASSERT_TRUE(db.exec("UPDATE lwb_trace_summaries SET summary = '{\"topOps\": 5}' WHERE traceId = 1"));
    EXPECT_EQ(store->summary(*good).error().code, ErrorCode::Corrupt);
    EXPECT_EQ(store->summary(77).error().code, ErrorCode::NotFound);
}
