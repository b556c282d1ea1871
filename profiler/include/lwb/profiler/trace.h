// Activity records and the in-memory Trace every capture source produces and TraceStore stores.
// Time base: every record's start/end is in nanoseconds since the trace's session start;
// `Trace::sessionStartNs` is that instant on lwb::monotonicNs() (CLOCK_MONOTONIC) for captures
// in this process (the host tracer and CUPTI, whose CLOCK_REALTIME stamps are converted), and 0
// for imported nsys exports (their times are already relative); `utcEpochNs` anchors it in UTC.
// Enumerations stored in records use the Nsight Systems export numbering (see docs/profiler.md).
#pragma once

#include "lwb/core/op_observer.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lwb::profiler {

/// Index into a Trace's StringTable; 0 is the empty string.
using StringId = std::uint32_t;

/// What a record describes; decides the nsys-shaped table it is stored in.
enum class RecordKind : std::uint8_t {
    Kernel, ///< a GPU kernel, or an op on a CPU thread (device kHostDevice)
    Memcpy,
    Memset,
    Runtime, ///< a CUDA runtime API call (host thread)
    Driver, ///< a CUDA driver API call (host thread)
    Marker, ///< an NVTX-like range or mark (host thread); host-tracer steps are markers
    Sync, ///< a synchronisation (stream/event/context sync on a GPU, waits on a CPU thread)
    Overhead, ///< profiler or driver overhead (buffer flush, lazy loading, JIT)
    Graph, ///< a whole CUDA graph launch executing on a stream (graph-level capture)
};
inline constexpr int kRecordKindCount = 9;

/// Stable lower-case name: "kernel", "memcpy", "memset", "runtime", "driver", "marker", "sync",
/// "overhead", "graph".
std::string_view recordKindName(RecordKind kind);

/// The device of records that run on a host thread (CPU ops, API calls, markers).
inline constexpr std::int32_t kHostDevice = -1;

/// Flag bits of ActivityRecord::flags.
enum RecordFlag : std::uint8_t {
    kNoTimestamp = 1, ///< CUPTI could not time the record (start == end == 0): kept, never plotted
    kHostOp = 2, ///< reported by the engine through OpObserver (category is meaningful)
    kInstant = 4, ///< a mark without duration
};

/// Copy kinds (CUpti_ActivityMemcpyKind and nsys ENUM_CUDA_MEMCPY_OPER agree).
enum class CopyKind : std::uint8_t {
    Unknown = 0,
    HtoD = 1,
    DtoH = 2,
    HtoA,
    AtoH,
    AtoA,
    AtoD,
    DtoA,
    DtoD = 8,
    HtoH = 9,
    PtoP = 10
};
/// Memory kinds in nsys numbering (ENUM_CUDA_MEM_KIND); CUPTI numbers them one higher, 0 unknown.
enum class MemoryKind : std::uint8_t {
    Pageable = 0,
    Pinned,
    Device,
    Array,
    Managed,
    DeviceStatic,
    ManagedStatic,
    Unknown = 7
};

/// One activity. Fields that do not apply to a kind stay 0.
struct ActivityRecord {
    std::int64_t start = 0; ///< ns since Trace::sessionStartNs
    std::int64_t end = 0;
    std::int64_t step = -1; ///< training/inference step, -1 when unknown
    std::int64_t bytes = 0; ///< memcpy/memset bytes; bytes moved by a host op
    double flops = 0; ///< host ops: operations done (0 unknown)
    std::uint64_t graphNodeId = 0; ///< kernels/memcpy/memset launched by a graph; Graph records: graph exec id
    std::uint64_t externalId = 0; ///< API records: the external correlation id (trial tag), 0 none
    std::int32_t device = kHostDevice; ///< GPU ordinal, or kHostDevice for host-thread records
    std::uint32_t stream = 0; ///< GPU: CUDA stream id; host: thread id (engine thread index or OS tid)
    std::uint32_t context = 0; ///< CUDA context id
    std::uint32_t processId = 0;
    std::uint32_t correlationId = 0; ///< links an API call to the kernels/copies it launched
    std::uint32_t graphId = 0;
    StringId name = 0; ///< kernel demangled name, API name (nsys style, e.g. cudaLaunchKernel_v7000), op, text
    StringId shortName = 0; ///< kernels: base name; otherwise equal to name
    std::int32_t gridX = 0, gridY = 0, gridZ = 0;
    std::int32_t blockX = 0, blockY = 0, blockZ = 0;
    std::int32_t registersPerThread = 0;
    std::int32_t staticSharedMemory = 0; ///< bytes
    std::int32_t dynamicSharedMemory = 0; ///< bytes
    std::int32_t returnValue = 0; ///< API calls
    std::int32_t value = 0; ///< memset value; Sync: CUDA event id
    std::uint32_t cbid = 0; ///< API calls: CUPTI callback id (0 when unknown)
    RecordKind kind = RecordKind::Kernel;
    OpCategory category = OpCategory::Compute; ///< host ops; derived from the kind otherwise
    std::uint8_t copyKind = 0; ///< CopyKind
    std::uint8_t srcKind = 0; ///< MemoryKind of the source
    std::uint8_t dstKind = 0; ///< MemoryKind of the destination
    std::uint8_t memoryKind = 0; ///< memset: MemoryKind
    std::uint8_t syncType = 0; ///< Sync: 1 event, 2 stream wait event, 3 stream, 4 context (CUPTI numbering)
    std::uint8_t overheadType = 0; ///< Overhead: nsys ENUM_CUPTI_OVERHEAD_TYPE numbering
    std::uint8_t launchType = 0; ///< nsys numbering: 0 unknown, 1 regular, 2/3 cooperative
    std::uint8_t flags = 0; ///< RecordFlag bits

    std::int64_t duration() const { return end - start; }
    bool hasTimestamp() const { return (flags & kNoTimestamp) == 0; }
};

/// Interned strings: each distinct text stored once; ids are dense, 0 = "".
class StringTable {
public:
    StringTable();
    StringTable(const StringTable& other);
    StringTable& operator=(const StringTable& other);
    StringTable(StringTable&&) noexcept = default;
    StringTable& operator=(StringTable&&) noexcept = default;

    StringId intern(std::string_view text);
    /// The id of a text already interned, or nullopt-like 0xFFFFFFFF when absent.
    StringId find(std::string_view text) const;
    const std::string& operator[](StringId id) const { return m_values[id]; }
    std::size_t size() const { return m_values.size(); }
    const std::deque<std::string>& values() const { return m_values; }

private:
    std::deque<std::string> m_values; // deque: stable addresses for the string_view keys
    std::unordered_map<std::string_view, StringId> m_index;
};
inline constexpr StringId kNoString = 0xFFFFFFFFu;

/// A timeline row: one GPU stream, or one host thread.
struct TrackKey {
    std::int32_t device = kHostDevice;
    std::uint32_t stream = 0;
    auto operator<=>(const TrackKey&) const = default;
    bool isHost() const { return device < 0; }
};

/// Counters of what a capture lost or could not time; "never silently lost".
struct CaptureStats {
    std::int64_t droppedRecords = 0; ///< records the source could not keep (CUPTI buffer full, tracer cap)
    std::string dropReason; ///< why records were dropped, empty when none were
    std::int64_t noTimestampRecords = 0; ///< records kept with kNoTimestamp
    std::int64_t filteredRecords = 0; ///< records left out on purpose (noisy API calls)
    std::int64_t invalidRecords = 0; ///< unknown or truncated records found in buffers
};

/// A captured timeline: records, their strings, the time base and what was lost.
struct Trace {
    std::vector<ActivityRecord> records;
    StringTable strings;
    std::int64_t sessionStartNs = 0; ///< lwb::monotonicNs() at session start; 0 for imports
    std::int64_t utcEpochNs = 0; ///< UTC (ns since the epoch) at session start
    std::string source; ///< "host-op-tracer", "cupti", "nsys-import", or a '+'-joined list after merge
    CaptureStats stats;
    /// Names of tracks (host threads, GPU streams); tracks without one get a generated name.
    std::map<TrackKey, std::string> trackNames;
    std::string processName;

    /// Name of a record (convenience for tests and reports).
    const std::string& nameOf(const ActivityRecord& record) const { return strings[record.name]; }
    /// Appends another trace (same time base): re-interns its strings, shifts its times by the
    /// difference of the session starts, adds its counters.
    void merge(const Trace& other);
    /// Sorts records by (start, end, kind): deterministic order for summaries and exports.
    void sortByStart();
    /// [first start, last end] over timed records; {0, 0} when empty.
    std::pair<std::int64_t, std::int64_t> span() const;
};

/// Default display name of a track ("GPU 0 stream 7", "CPU thread 2").
std::string defaultTrackName(const TrackKey& key);

/// nsys-style name of a copy kind ("[CUDA memcpy Host-to-Device]").
std::string memcpyName(CopyKind kind);

} // namespace lwb::profiler
