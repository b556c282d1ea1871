// Import of a real Nsight Systems 2025.5 export (../shared/data/nsys/nsight-2025.5.2.sqlite: a
// small program with 3 kernels, a memcpy, 33 runtime/driver calls, 2 stream syncs, 1 overhead
// record and 2 graph launches) with every record checked, and clear errors for files that are
// not exports, of another schema, truncated or damaged.
#include "lwb/core/study_file.h"
#include "lwb/profiler/nsys_import.h"
#include "lwb/profiler/summary.h"
#include "lwb/profiler/trace_store.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace lwb;
using namespace lwb::profiler;

namespace {

const std::filesystem::path kExport = std::filesystem::path(LWB_SHARED_DATA_DIR) / "nsys" / "nsight-2025.5.2.sqlite";
constexpr std::uint32_t kPid = 945961;

std::vector<const ActivityRecord*> ofKind(const Trace& t, RecordKind kind)
{
    std::vector<const ActivityRecord*> out;
    for (const ActivityRecord& r : t.records)
        if (r.kind == kind)
            out.push_back(&r);
    return out;
}

std::string bytesOf(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::filesystem::path& p, const std::string& bytes)
{
    std::ofstream(p, std::ios::binary) << bytes;
}

} // namespace

TEST(NsysImport, ReadsTheRealExportExactly)
{
    ASSERT_TRUE(std::filesystem::exists(kExport)) << kExport;
    NsysExportInfo info;
    auto trace = readNsysExport(kExport, &info);
    ASSERT_TRUE(trace) << trace.error().describe();
    EXPECT_EQ(info.productVersion, "2025.5.2.266");
    EXPECT_EQ(info.schemaVersion, "3.24.0");
    EXPECT_EQ(trace->source, "nsys-import");
    EXPECT_EQ(trace->utcEpochNs, 1785620044423518993);
    EXPECT_EQ(trace->sessionStartNs, 0);
    EXPECT_EQ(trace->records.size(), 42u);
    EXPECT_EQ(trace->processName, "/tmp/flameox-nsight-smoke (pid 945961)");

    auto kernels = ofKind(*trace, RecordKind::Kernel);
    ASSERT_EQ(kernels.size(), 3u);
    const std::int64_t starts[] = {339316740, 339324324, 339328676};
    const std::int64_t ends[] = {339318180, 339325668, 339329732};
    const std::uint32_t correlations[] = {129, 131, 133};
    for (int i = 0; i < 3; ++i) {
        const ActivityRecord& k = *kernels[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(k.start, starts[i]);
        EXPECT_EQ(k.end, ends[i]);
        EXPECT_EQ(k.correlationId, correlations[i]);
        EXPECT_EQ(trace->nameOf(k), "add_one(const float *, float *, int)");
        EXPECT_EQ(trace->strings[k.shortName], "add_one");
        EXPECT_EQ(k.device, 0);
        EXPECT_EQ(k.context, 1u);
        EXPECT_EQ(k.stream, 13u);
        EXPECT_EQ(k.processId, kPid);
        EXPECT_EQ(k.registersPerThread, 16);
        EXPECT_EQ(std::tuple(k.gridX, k.gridY, k.gridZ), std::tuple(4, 1, 1));
        EXPECT_EQ(std::tuple(k.blockX, k.blockY, k.blockZ), std::tuple(256, 1, 1));
        EXPECT_EQ(k.staticSharedMemory, 0);
        EXPECT_EQ(k.dynamicSharedMemory, 0);
        EXPECT_EQ(k.launchType, 1);
    }

    auto copies = ofKind(*trace, RecordKind::Memcpy);
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(copies[0]->start, 339231173);
    EXPECT_EQ(copies[0]->end, 339232037);
    EXPECT_EQ(copies[0]->bytes, 4096);
    EXPECT_EQ(copies[0]->correlationId, 124u);
    EXPECT_EQ(copies[0]->copyKind, static_cast<std::uint8_t>(CopyKind::HtoD));
    EXPECT_EQ(copies[0]->srcKind, static_cast<std::uint8_t>(MemoryKind::Pageable));
    EXPECT_EQ(copies[0]->dstKind, static_cast<std::uint8_t>(MemoryKind::Device));
    EXPECT_EQ(trace->nameOf(*copies[0]), "[CUDA memcpy Host-to-Device]");

    auto runtime = ofKind(*trace, RecordKind::Runtime);
    auto driver = ofKind(*trace, RecordKind::Driver);
    EXPECT_EQ(runtime.size(), 26u);
    EXPECT_EQ(driver.size(), 7u);
    EXPECT_EQ(trace->nameOf(*driver[0]), "cuModuleGetLoadingMode");
    EXPECT_EQ(driver[0]->start, 244414694);
    EXPECT_EQ(driver[0]->end, 244416573);
    EXPECT_EQ(driver[0]->correlationId, 1u);
    int launches = 0;
    for (const ActivityRecord* r : runtime) {
        EXPECT_EQ(r->processId, kPid);
        EXPECT_EQ(r->stream, kPid); // the main thread's tid
        EXPECT_EQ(r->returnValue, 0);
        if (trace->nameOf(*r) == "cudaLaunchKernel_v7000")
            ++launches;
    }
    EXPECT_EQ(launches, 4);
    EXPECT_EQ(trace->trackNames.at({kHostDevice, kPid}), "flameox-nsight- (tid 945961)");

    auto syncs = ofKind(*trace, RecordKind::Sync);
    ASSERT_EQ(syncs.size(), 2u);
    EXPECT_EQ(syncs[0]->start, 339330318);
    EXPECT_EQ(syncs[0]->end, 339332203);
    EXPECT_EQ(syncs[0]->correlationId, 135u);
    EXPECT_EQ(syncs[0]->syncType, 2);
    EXPECT_EQ(syncs[0]->stream, 13u);
    auto overhead = ofKind(*trace, RecordKind::Overhead);
    ASSERT_EQ(overhead.size(), 1u);
    EXPECT_EQ(trace->nameOf(*overhead[0]), "Lazy Function Loading");
    EXPECT_EQ(overhead[0]->overheadType, 7);
    EXPECT_EQ(overhead[0]->correlationId, 129u);
    EXPECT_EQ(overhead[0]->stream, kPid);
    auto graphs = ofKind(*trace, RecordKind::Graph);
    ASSERT_EQ(graphs.size(), 2u);
    EXPECT_EQ(graphs[0]->start, 339410404);
    EXPECT_EQ(graphs[0]->end, 339412132);
    EXPECT_EQ(graphs[0]->graphId, 1u);
    EXPECT_EQ(graphs[0]->graphNodeId, 2u); // graph exec id
    EXPECT_EQ(graphs[1]->correlationId, 142u);
}

TEST(NsysImport, SummaryOfTheImportedTrace)
{
    auto trace = readNsysExport(kExport);
    ASSERT_TRUE(trace);
    TraceSummary s = summarize(*trace);
    auto kernels = s.group("gpu_kernel");
    ASSERT_EQ(kernels.size(), 1u);
    EXPECT_EQ(kernels[0].name, "add_one(const float *, float *, int)");
    EXPECT_EQ(kernels[0].stats.count, 3);
    EXPECT_EQ(kernels[0].stats.totalNs, 3840);
    EXPECT_DOUBLE_EQ(kernels[0].stats.medianNs, 1344);
    EXPECT_EQ(kernels[0].stats.minNs, 1056);
    EXPECT_EQ(kernels[0].stats.maxNs, 1440);
    EXPECT_EQ(s.launch.launches, 6); // 3 kernels, the memcpy, 2 graph launches
    EXPECT_EQ(s.launch.unmatched, 0);
    EXPECT_EQ(s.launch.apiNs.totalNs, 86566);
    ASSERT_EQ(s.devices.size(), 1u);
    EXPECT_EQ(s.devices[0].busyNs, 7808);
}

TEST(NsysImport, IntoAStudyFile)
{
    lwb::test::TempDir dir;
    auto db = study_file::open(dir / "study.lwb", sql::OpenMode::ReadWriteCreate);
    ASSERT_TRUE(db);
    auto store = TraceStore::open(*db);
    ASSERT_TRUE(store);
    auto id = store->importNsys(kExport, {"", 7, ""});
    ASSERT_TRUE(id) << id.error().describe();
    auto info = store->info(*id);
    EXPECT_EQ(info->label, "nsight-2025.5.2.sqlite");
    EXPECT_EQ(info->notes, "Nsight Systems 2025.5.2.266, export schema 3.24.0");
    EXPECT_EQ(info->trialId, 7);
    EXPECT_EQ(info->recordCount, 42);
    auto tracks = store->tracks(*id);
    ASSERT_EQ(tracks->size(), 2u);
    EXPECT_EQ(tracks->at(0).name, "flameox-nsight- (tid 945961)");
    EXPECT_EQ(tracks->at(1).name, "GPU 0 stream 13");
    auto window = store->loadRange(*id, {0, 13}, 339316000, 339331000);
    ASSERT_TRUE(window);
    ASSERT_EQ(window->size(), 4u); // 3 kernels + the first stream sync
    EXPECT_EQ(window->at(0).name, "add_one(const float *, float *, int)");
    auto kernels = store->kernelSummary(*id);
    ASSERT_EQ(kernels->size(), 1u);
    EXPECT_EQ(kernels->at(0).stats.totalNs, 3840);
    // The same nsys query on both files gives the same answer.
    auto ours = db->queryInt("SELECT sum(end - start) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE traceId = 1");
    auto source = sql::Database::open(kExport, sql::OpenMode::ReadOnly);
    ASSERT_TRUE(source);
    EXPECT_EQ(**ours, **source->queryInt("SELECT sum(end - start) FROM CUPTI_ACTIVITY_KIND_KERNEL"));
}

TEST(NsysImport, ClearErrorsForBadFiles)
{
    lwb::test::TempDir dir;
    auto missing = readNsysExport(dir / "nope.sqlite");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

    writeBytes(dir / "text.sqlite", "this is not a database\n");
    auto text = readNsysExport(dir / "text.sqlite");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(text.error().message.find("not an Nsight Systems SQLite export"), std::string::npos);

    std::string bytes = bytesOf(kExport);
    writeBytes(dir / "truncated.sqlite", bytes.substr(0, bytes.size() / 2));
    auto truncated = readNsysExport(dir / "truncated.sqlite");
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().code, ErrorCode::Corrupt);
    EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos) << truncated.error().message;
    writeBytes(dir / "stub.sqlite", bytes.substr(0, 60));
    EXPECT_EQ(readNsysExport(dir / "stub.sqlite").error().code, ErrorCode::Corrupt);

    // Damaged: garbage over the kernel table's root page (page 17 of 4096 bytes).
    std::string damaged = bytes;
    for (std::size_t i = 16 * 4096; i < 17 * 4096; ++i)
        damaged[i] = static_cast<char>(0xA5 ^ (i * 31));
    writeBytes(dir / "damaged.sqlite", damaged);
    auto broken = readNsysExport(dir / "damaged.sqlite");
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, ErrorCode::Corrupt) << broken.error().describe();
    EXPECT_NE(broken.error().message.find("damaged"), std::string::npos) << broken.error().message;

    // An SQLite file that is not an export (a study file).
    {
        ASSERT_TRUE(study_file::open(dir / "study.lwb", sql::OpenMode::ReadWriteCreate));
    }
    auto study = readNsysExport(dir / "study.lwb");
    ASSERT_FALSE(study);
    EXPECT_EQ(study.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(study.error().message.find("not an Nsight Systems export"), std::string::npos);

    // Another major schema, and a table without the columns we read.
    auto make = [&](const std::string& name, const std::string& version, const std::string& extra) {
        auto db = sql::Database::open(dir / name, sql::OpenMode::ReadWriteCreate);
        EXPECT_TRUE(db);
        EXPECT_TRUE(db->exec("CREATE TABLE META_DATA_EXPORT(name TEXT, value TEXT); INSERT INTO META_DATA_EXPORT "
                             "VALUES('EXPORT_SCHEMA_VERSION', '"
            + version + "');" + extra));
    };
    make("v4.sqlite", "4.0.0", "");
    auto v4 = readNsysExport(dir / "v4.sqlite");
    ASSERT_FALSE(v4);
    EXPECT_EQ(v4.error().code, ErrorCode::Unsupported);
    EXPECT_NE(v4.error().message.find("schema 4.0.0"), std::string::npos);
    make("columns.sqlite", "3.1.0", "CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL(start INTEGER, end INTEGER);");
    auto columns = readNsysExport(dir / "columns.sqlite");
    ASSERT_FALSE(columns);
    EXPECT_EQ(columns.error().code, ErrorCode::Unsupported);
    EXPECT_NE(columns.error().message.find("CUPTI_ACTIVITY_KIND_KERNEL lacks a column"), std::string::npos)
        << columns.error().message;

    // The store reports the same errors and writes nothing.
    auto db = sql::Database::openInMemory();
    ASSERT_TRUE(study_file::initialise(*db));
    auto store = TraceStore::open(*db);
    EXPECT_EQ(store->importNsys(dir / "truncated.sqlite").error().code, ErrorCode::Corrupt);
    EXPECT_TRUE(store->listTraces()->empty());
}
