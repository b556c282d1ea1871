// Chrome/Perfetto trace-event JSON writer. Built for 1M+ events: one pass over the records,
// names escaped once per string id, numbers formatted with std::to_chars into a 1 MiB buffer that
// is flushed to a FILE* or a gzFile. Perfetto requires the X events of one tid to nest, so each
// GPU stream and host thread has its own tid, and ranges that overlap them (markers, overhead,
// syncs) go to a companion tid.
#include "lwb/profiler/export.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#if LWB_HAVE_ZLIB
#include <zlib.h>
#endif

namespace lwb::profiler {
namespace {

constexpr std::int64_t kHostPid = 1;
constexpr std::int64_t kGpuPidBase = 100;
constexpr std::int64_t kCompanionTid = 0x40000000; ///< added to a tid for its companion track

class Sink {
public:
    virtual ~Sink() = default;
    virtual bool write(const char* data, std::size_t size) = 0;
    virtual bool close() = 0;
};

class StringSink final : public Sink {
public:
    explicit StringSink(std::string& out)
        : m_out(out)
    {
    }
    bool write(const char* data, std::size_t size) override
    {
        m_out.append(data, size);
        return true;
    }
    bool close() override { return true; }

private:
    std::string& m_out;
};

class FileSink final : public Sink {
public:
    explicit FileSink(std::FILE* file)
        : m_file(file)
    {
    }
    ~FileSink() override { close(); }
    bool write(const char* data, std::size_t size) override { return std::fwrite(data, 1, size, m_file) == size; }
    bool close() override
    {
        if (!m_file)
            return true;
        bool ok = std::fflush(m_file) == 0;
        ok = std::fclose(m_file) == 0 && ok;
        m_file = nullptr;
        return ok;
    }

private:
    std::FILE* m_file;
};

#if LWB_HAVE_ZLIB
class GzipSink final : public Sink {
public:
    explicit GzipSink(gzFile file)
        : m_file(file)
    {
        gzbuffer(m_file, 1 << 20);
    }
    ~GzipSink() override { close(); }
    bool write(const char* data, std::size_t size) override
    {
        return gzwrite(m_file, data, static_cast<unsigned>(size)) == static_cast<int>(size);
    }
    bool close() override
    {
        if (!m_file)
            return true;
        bool ok = gzclose(m_file) == Z_OK;
        m_file = nullptr;
        return ok;
    }

private:
    gzFile m_file;
};
#endif

/// Buffered JSON text output.
class Out {
public:
    explicit Out(Sink& sink)
        : m_sink(sink)
    {
        m_buffer.reserve(kFlushAt + 4096);
    }
    void raw(std::string_view text)
    {
        m_buffer.append(text);
        maybeFlush();
    }
    void integer(std::int64_t value)
    {
        char text[24];
        auto [end, ec] = std::to_chars(text, text + sizeof text, value);
        m_buffer.append(text, end);
    }
    void number(double value)
    {
        char text[32];
        auto [end, ec] = std::to_chars(text, text + sizeof text, value);
        m_buffer.append(text, end);
    }
    /// Nanoseconds as microseconds with exactly three decimals.
    void micros(std::int64_t ns)
    {
        if (ns < 0) {
            m_buffer += '-';
            ns = -ns;
        }
        integer(ns / 1000);
        char frac[4] = {'.', static_cast<char>('0' + ns % 1000 / 100), static_cast<char>('0' + ns % 100 / 10),
            static_cast<char>('0' + ns % 10)};
        m_buffer.append(frac, 4);
    }
    void maybeFlush()
    {
        if (m_buffer.size() >= kFlushAt)
            flush();
    }
    void flush()
    {
        if (!m_buffer.empty() && m_ok)
            m_ok = m_sink.write(m_buffer.data(), m_buffer.size());
        m_written += static_cast<std::int64_t>(m_buffer.size());
        m_buffer.clear();
    }
    bool ok() const { return m_ok; }
    std::int64_t written() const { return m_written; }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    Sink& m_sink;
    std::string m_buffer;
    bool m_ok = true;
    std::int64_t m_written = 0;
};

std::string jsonString(std::string_view text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
    return out;
}

bool isGpuWork(const ActivityRecord& r)
{
    return r.device >= 0
        && (r.kind == RecordKind::Kernel || r.kind == RecordKind::Memcpy || r.kind == RecordKind::Memset
            || r.kind == RecordKind::Graph);
}

/// Records that overlap the main records of their track go to the companion tid.
bool onCompanion(const ActivityRecord& r)
{
    return r.kind == RecordKind::Marker || r.kind == RecordKind::Overhead
        || (r.kind == RecordKind::Sync && r.device >= 0);
}

std::string_view categoryOf(const ActivityRecord& r)
{
    if (r.kind == RecordKind::Kernel)
        return r.device < 0 ? "cpu_op" : "kernel";
    if (r.kind == RecordKind::Runtime)
        return "cuda_runtime";
    if (r.kind == RecordKind::Driver)
        return "cuda_driver";
    if (r.kind == RecordKind::Marker)
        return r.category == OpCategory::Step ? "step" : "user_annotation";
    return recordKindName(r.kind);
}

struct Place {
    std::int64_t pid, tid;
};

Place placeOf(const ActivityRecord& r)
{
    std::int64_t pid = r.device >= 0 ? kGpuPidBase + r.device : (r.processId ? r.processId : kHostPid);
    std::int64_t tid = r.stream + (onCompanion(r) ? kCompanionTid : 0);
    return {pid, tid};
}

void writeArgs(Out& out, const Trace& trace, const ActivityRecord& r)
{
    out.raw(",\"args\":{");
    bool first = true;
    auto key = [&](std::string_view name) {
        out.raw(first ? "\"" : ",\"");
        first = false;
        out.raw(name);
        out.raw("\":");
    };
    if (r.correlationId) {
        key("correlation");
        out.integer(r.correlationId);
    }
    if (r.step >= 0) {
        key("step");
        out.integer(r.step);
    }
    switch (r.kind) {
    case RecordKind::Kernel:
        if (r.device >= 0) {
            key("grid");
            out.raw("[");
            out.integer(r.gridX);
            out.raw(",");
            out.integer(r.gridY);
            out.raw(",");
            out.integer(r.gridZ);
            out.raw("]");
            key("block");
            out.raw("[");
            out.integer(r.blockX);
            out.raw(",");
            out.integer(r.blockY);
            out.raw(",");
            out.integer(r.blockZ);
            out.raw("]");
            key("registers per thread");
            out.integer(r.registersPerThread);
            key("shared memory");
            out.integer(static_cast<std::int64_t>(r.staticSharedMemory) + r.dynamicSharedMemory);
            key("stream");
            out.integer(r.stream);
            key("device");
            out.integer(r.device);
        }
        if (r.flops > 0) {
            key("flops");
            out.number(r.flops);
        }
        if (r.bytes > 0) {
            key("bytes");
            out.integer(r.bytes);
        }
        break;
    case RecordKind::Memcpy:
    case RecordKind::Memset:
        key("bytes");
        out.integer(r.bytes);
        break;
    case RecordKind::Runtime:
    case RecordKind::Driver:
        key("return");
        out.integer(r.returnValue);
        if (r.externalId) {
            key("external id");
            out.integer(static_cast<std::int64_t>(r.externalId));
        }
        break;
    case RecordKind::Graph:
        key("graph");
        out.integer(r.graphId);
        break;
    default:
        break;
    }
    if (r.shortName != r.name && r.shortName != 0) {
        key("short name");
        out.raw(jsonString(trace.strings[r.shortName]));
    }
    out.raw("}");
}

ExportStats writeDocument(const Trace& trace, Out& out, const ChromeExportOptions& options)
{
    ExportStats stats;
    std::vector<std::string> names(trace.strings.size());
    auto nameJson = [&](StringId id) -> const std::string& {
        if (names[id].empty())
            names[id] = jsonString(trace.strings[id]);
        return names[id];
    };
    std::unordered_map<std::uint64_t, const ActivityRecord*> apiByCorrelation;
    for (const ActivityRecord& r : trace.records)
        if ((r.kind == RecordKind::Runtime || r.kind == RecordKind::Driver) && r.correlationId && r.hasTimestamp())
            apiByCorrelation[(std::uint64_t {r.processId} << 32) | r.correlationId] = &r;

    out.raw("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"Lepton Workbench\",\"label\":");
    out.raw(jsonString(options.label));
    out.raw(",\"source\":");
    out.raw(jsonString(trace.source));
    out.raw(",\"utcEpochNs\":");
    out.integer(trace.utcEpochNs);
    out.raw(",\"droppedRecords\":");
    out.integer(trace.stats.droppedRecords);
    out.raw("},\n\"traceEvents\":[\n");

    std::set<std::pair<std::int64_t, std::int64_t>> threads;
    std::map<std::int64_t, std::int32_t> processes; // pid -> device
    std::map<std::pair<std::int64_t, std::int64_t>, TrackKey> threadKeys;
    bool firstEvent = true;
    std::int64_t flowId = 0;
    for (const ActivityRecord& r : trace.records) {
        if (!r.hasTimestamp()) {
            ++stats.skipped;
            continue;
        }
        Place place = placeOf(r);
        if (threads.emplace(place.pid, place.tid).second) {
            processes.emplace(place.pid, r.device);
            threadKeys.emplace(std::pair {place.pid, place.tid}, TrackKey {r.device, r.stream});
        }
        out.raw(firstEvent ? "{\"ph\":\"" : ",\n{\"ph\":\"");
        firstEvent = false;
        bool instant = (r.flags & kInstant) != 0;
        out.raw(instant ? "i\",\"s\":\"t\"" : "X\"");
        out.raw(",\"cat\":\"");
        out.raw(categoryOf(r));
        out.raw("\",\"name\":");
        out.raw(nameJson(r.name));
        out.raw(",\"pid\":");
        out.integer(place.pid);
        out.raw(",\"tid\":");
        out.integer(place.tid);
        out.raw(",\"ts\":");
        out.micros(r.start);
        if (!instant) {
            out.raw(",\"dur\":");
            out.micros(std::max<std::int64_t>(0, r.end - r.start));
        }
        writeArgs(out, trace, r);
        out.raw("}");
        ++stats.events;

        if (isGpuWork(r) && r.correlationId) {
            auto it = apiByCorrelation.find((std::uint64_t {r.processId} << 32) | r.correlationId);
            if (it != apiByCorrelation.end()) {
                const ActivityRecord& api = *it->second;
                Place from = placeOf(api);
                ++flowId;
                out.raw(",\n{\"ph\":\"s\",\"cat\":\"ac2g\",\"name\":\"launch\",\"id\":");
                out.integer(flowId);
                out.raw(",\"pid\":");
                out.integer(from.pid);
                out.raw(",\"tid\":");
                out.integer(from.tid);
                out.raw(",\"ts\":");
                out.micros(api.start);
                out.raw("},\n{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"ac2g\",\"name\":\"launch\",\"id\":");
                out.integer(flowId);
                out.raw(",\"pid\":");
                out.integer(place.pid);
                out.raw(",\"tid\":");
                out.integer(place.tid);
                out.raw(",\"ts\":");
                out.micros(r.start);
                out.raw("}");
                ++stats.flows;
            }
        }
        out.maybeFlush();
    }

    // Metadata: process and thread names and sort order (host first, then GPUs by ordinal).
    for (const auto& [pid, device] : processes) {
        std::string name = device >= 0 ? "GPU " + std::to_string(device)
                                       : (trace.processName.empty() ? std::string("Host") : trace.processName);
        if (device < 0 && pid != kHostPid)
            name += " (pid " + std::to_string(pid) + ")";
        out.raw(firstEvent ? "{" : ",\n{");
        firstEvent = false;
        out.raw("\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
        out.integer(pid);
        out.raw(",\"tid\":0,\"args\":{\"name\":");
        out.raw(jsonString(name));
        out.raw("}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":");
        out.integer(pid);
        out.raw(",\"tid\":0,\"args\":{\"sort_index\":");
        out.integer(device >= 0 ? 10 + device : 0);
        out.raw("}}");
    }
    for (const auto& [place, key] : threadKeys) {
        auto named = trace.trackNames.find(key);
        std::string name = named != trace.trackNames.end() ? named->second : defaultTrackName(key);
        bool companion = place.second >= kCompanionTid;
        if (companion)
            name += key.isHost() ? " (ranges)" : " (sync)";
        out.raw(",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
        out.integer(place.first);
        out.raw(",\"tid\":");
        out.integer(place.second);
        out.raw(",\"args\":{\"name\":");
        out.raw(jsonString(name));
        out.raw("}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":");
        out.integer(place.first);
        out.raw(",\"tid\":");
        out.integer(place.second);
        out.raw(",\"args\":{\"sort_index\":");
        out.integer((place.second & (kCompanionTid - 1)) * 2 + (companion ? 1 : 0));
        out.raw("}}");
    }
    out.raw("\n]}\n");
    out.flush();
    stats.bytes = out.written();
    return stats;
}

} // namespace

bool gzipSupported()
{
    return LWB_HAVE_ZLIB != 0;
}

std::string chromeTraceJson(const Trace& trace, const ChromeExportOptions& options)
{
    std::string text;
    StringSink sink(text);
    Out out(sink);
    writeDocument(trace, out, options);
    return text;
}

Result<ExportStats> writeChromeTrace(
    const Trace& trace, const std::filesystem::path& path, const ChromeExportOptions& options)
{
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    std::unique_ptr<Sink> sink;
    if (options.compression == Compression::Gzip) {
#if LWB_HAVE_ZLIB
        gzFile file = gzopen(tmp.c_str(), "wb1");
        if (!file)
            return fail(ErrorCode::Io, "cannot create " + tmp.string(), LWB_WHERE);
        sink = std::make_unique<GzipSink>(file);
#else
        return fail(ErrorCode::Unsupported, "this build has no zlib: export without compression", LWB_WHERE);
#endif
    } else {
        std::FILE* file = std::fopen(tmp.c_str(), "wb");
        if (!file)
            return fail(ErrorCode::Io, "cannot create " + tmp.string() + ": " + detail::errnoText(), LWB_WHERE);
        sink = std::make_unique<FileSink>(file);
    }
    Out out(*sink);
    ExportStats stats = writeDocument(trace, out, options);
    bool ok = out.ok() && sink->close();
    std::error_code ec;
    if (!ok) {
        std::filesystem::remove(tmp, ec);
        return fail(ErrorCode::Io, "writing " + path.string() + " failed (disk full?)", LWB_WHERE);
    }
    if (options.compression == Compression::Gzip)
        stats.bytes = static_cast<std::int64_t>(std::filesystem::file_size(tmp, ec));
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        return fail(
            ErrorCode::Io, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message(), LWB_WHERE);
    return stats;
}

} // namespace lwb::profiler
