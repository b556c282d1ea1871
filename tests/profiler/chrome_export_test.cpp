// Chrome/Perfetto JSON export: the document parses, events carry the required fields with exact
// microsecond times, one track per stream/thread with names, flow events from API calls to the
// kernels they launched, records without timestamps skipped, gzip output readable by zlib.
#include "lwb/profiler/export.h"
#include "synthetic.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#if LWB_TEST_HAVE_ZLIB
#include <zlib.h>
#endif

using namespace lwb;
using namespace lwb::profiler;
using namespace lwb::profiler::test;

namespace {

std::vector<Json> eventsOf(const Json& doc, std::string_view ph)
{
    std::vector<Json> out;
    for (const Json& e : doc.at("traceEvents"))
        if (e.at("ph") == ph)
            out.push_back(e);
    return out;
}

} // namespace

TEST(ChromeExport, ParsesWithRequiredFieldsAndExactTimes)
{
    Trace trace = gpuTrace();
    auto doc = parseJson(chromeTraceJson(trace, {Compression::None, "synthetic run"}));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->at("displayTimeUnit"), "ns");
    EXPECT_EQ(doc->at("otherData").at("label"), "synthetic run");
    auto complete = eventsOf(*doc, "X");
    ASSERT_EQ(complete.size(), trace.records.size());
    for (const Json& e : complete)
        for (const char* key : {"name", "cat", "pid", "tid", "ts", "dur", "args"})
            EXPECT_TRUE(e.contains(key)) << key << " in " << e.dump();
    const Json* b = nullptr;
    for (const Json& e : complete)
        if (e.at("name") == "B")
            b = &e;
    ASSERT_NE(b, nullptr);
    EXPECT_DOUBLE_EQ(b->at("ts").get<double>(), 0.150);
    EXPECT_DOUBLE_EQ(b->at("dur").get<double>(), 0.100);
    EXPECT_EQ(b->at("cat"), "kernel");
    EXPECT_EQ(b->at("tid"), 7);
    EXPECT_EQ(b->at("args").at("correlation"), 2);
    EXPECT_EQ(b->at("args").at("grid"), Json::parse("[4,1,1]"));
    EXPECT_EQ(b->at("args").at("registers per thread"), 16);
    EXPECT_EQ(b->at("args").at("shared memory"), 384);
}

TEST(ChromeExport, OneTrackPerStreamAndThreadWithNames)
{
    Trace trace = gpuTrace();
    auto doc = parseJson(chromeTraceJson(trace));
    ASSERT_TRUE(doc);
    std::map<std::pair<int, int>, std::string> threadNames;
    std::map<int, std::string> processNames;
    for (const Json& m : eventsOf(*doc, "M")) {
        if (m.at("name") == "thread_name")
            threadNames[{m.at("pid").get<int>(), m.at("tid").get<int>()}] = m.at("args").at("name");
        if (m.at("name") == "process_name")
            processNames[m.at("pid").get<int>()] = m.at("args").at("name");
    }
    std::set<std::pair<int, int>> used;
    for (const Json& e : eventsOf(*doc, "X"))
        used.insert({e.at("pid").get<int>(), e.at("tid").get<int>()});
    EXPECT_EQ(used.size(), 3u); // host thread 100, GPU streams 7 and 8
    for (const auto& place : used)
        EXPECT_TRUE(threadNames.count(place)) << place.first << "/" << place.second;
    EXPECT_EQ(processNames.at(100), "GPU 0");
    EXPECT_EQ(threadNames.at({100, 7}), "GPU 0 stream 7");
    EXPECT_EQ(threadNames.at({1, 100}), "main (tid 100)");
}

TEST(ChromeExport, FlowEventsLinkApiCallsToKernels)
{
    Trace trace = gpuTrace();
    auto doc = parseJson(chromeTraceJson(trace));
    ASSERT_TRUE(doc);
    auto starts = eventsOf(*doc, "s");
    auto finishes = eventsOf(*doc, "f");
    ASSERT_EQ(starts.size(), 4u); // three kernels and the memcpy; the memset has no API call
    ASSERT_EQ(finishes.size(), 4u);
    std::map<int, Json> startById;
    for (const Json& s : starts) {
        EXPECT_EQ(s.at("cat"), "ac2g");
        EXPECT_EQ(s.at("tid"), 100); // the launching thread
        startById[s.at("id").get<int>()] = s;
    }
    for (const Json& f : finishes) {
        EXPECT_EQ(f.at("bp"), "e");
        ASSERT_TRUE(startById.count(f.at("id").get<int>()));
        EXPECT_EQ(f.at("pid"), 100); // GPU 0
    }
    // The kernel B (corr 2, starts at 150 ns) is bound to its launch at 20 ns.
    bool found = false;
    for (const Json& f : finishes)
        if (f.at("ts").get<double>() == 0.150) {
            EXPECT_DOUBLE_EQ(startById[f.at("id").get<int>()].at("ts").get<double>(), 0.020);
            found = true;
        }
    EXPECT_TRUE(found);
}

TEST(ChromeExport, SkipsUntimedRecordsAndSeparatesOverlappingRanges)
{
    Trace trace = cpuStepTrace();
    ActivityRecord untimed = hostOp(trace, "untimed", 0, 0, 0, 0);
    untimed.flags |= kNoTimestamp;
    trace.records.push_back(untimed);
    ActivityRecord quote = hostOp(trace, "name \"with\" quotes\\\n", 10, 20, 3, 0);
    trace.records.push_back(quote);
    auto doc = parseJson(chromeTraceJson(trace));
    ASSERT_TRUE(doc) << doc.error().describe();
    auto complete = eventsOf(*doc, "X");
    EXPECT_EQ(complete.size(), trace.records.size() - 1);
    bool sawQuote = false;
    for (const Json& e : complete) {
        if (e.at("cat") == "step") {
            EXPECT_NE(e.at("tid").get<std::int64_t>(), 0); // markers on a companion track of thread 0
        }
        if (e.at("name") == "name \"with\" quotes\\\n")
            sawQuote = true;
    }
    EXPECT_TRUE(sawQuote);
}

TEST(ChromeExport, FilesPlainAndGzip)
{
    lwb::test::TempDir dir;
    Trace trace = gpuTrace();
    auto plain = writeChromeTrace(trace, dir / "t.json");
    ASSERT_TRUE(plain) << plain.error().describe();
    EXPECT_EQ(plain->events, 9);
    EXPECT_EQ(plain->flows, 4);
    auto text = readTextFile(dir / "t.json");
    ASSERT_TRUE(text);
    EXPECT_EQ(static_cast<std::int64_t>(text->size()), plain->bytes);
    EXPECT_TRUE(parseJson(*text));
    EXPECT_FALSE(std::filesystem::exists(dir / "t.json.tmp"));

    auto missingDir = writeChromeTrace(trace, dir / "no" / "such" / "t.json");
    ASSERT_FALSE(missingDir);
    EXPECT_EQ(missingDir.error().code, ErrorCode::Io);

    if (!gzipSupported())
        GTEST_SKIP() << "built without zlib";
    auto gz = writeChromeTrace(trace, dir / "t.json.gz", {Compression::Gzip, ""});
    ASSERT_TRUE(gz) << gz.error().describe();
#if LWB_TEST_HAVE_ZLIB
    gzFile file = gzopen((dir / "t.json.gz").c_str(), "rb");
    ASSERT_NE(file, nullptr);
    std::string inflated;
    char buffer[4096];
    int n = 0;
    while ((n = gzread(file, buffer, sizeof buffer)) > 0)
        inflated.append(buffer, static_cast<std::size_t>(n));
    gzclose(file);
    EXPECT_EQ(inflated, *text);
#endif
}
