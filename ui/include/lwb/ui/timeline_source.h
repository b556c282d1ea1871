// TimelineSource: what the timeline view reads — tracks (GPU streams, CPU threads), the time
// range, and per track the items overlapping a time window as "lanes" (one per nesting depth,
// items sorted and non-overlapping inside a lane, so both ends are binary-searchable). Qt-free.
// InMemoryTimelineSource is the reference implementation (tests, benchmarks, and the adapter
// target for the profiler's TraceStore: load a trace on a worker thread, build one of these).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lwb::ui {

/// What an item is; decides its colour family and the kernel table's category column.
enum class ItemCategory : std::uint8_t { Kernel, Memcpy, Memset, CpuOp, Api, Marker, Sync, Other };
std::string_view itemCategoryName(ItemCategory category);

/// One box on the timeline (32 bytes; a 1M-record trace is 32 MB).
struct TimelineItem {
    std::int64_t startNs = 0; ///< ns since the trace's start
    std::int64_t endNs = 0;
    std::uint32_t nameId = 0; ///< index into TimelineSource::name()
    std::uint32_t correlation = 0; ///< CUDA correlation id (links a launch to its kernel), 0 none
    std::uint32_t detailId = 0; ///< a name id with extra text ("grid 128x1x1 block 256x1x1"), 0 none
    ItemCategory category = ItemCategory::Kernel;
    std::uint8_t depth = 0; ///< nesting lane inside the track (0 = top)
    std::uint16_t reserved = 0;

    std::int64_t durationNs() const { return endNs - startNs; }
};
static_assert(sizeof(TimelineItem) == 32);

/// A timeline row: one GPU stream or one CPU thread.
struct TimelineTrack {
    std::string name; ///< "GPU 0 stream 7", "CPU thread 0"
    std::string device; ///< "GPU 0", "CPU"
    int laneCount = 1; ///< nesting depths in this track (>= 1)
    std::int64_t itemCount = 0;
};

struct TimeRange {
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::int64_t durationNs() const { return endNs - startNs; }
    bool operator==(const TimeRange&) const = default;
};

/// Items of one track overlapping a window: lanes[d] holds depth d's items, sorted by start,
/// non-overlapping. The spans point into the source and stay valid as long as the source does.
struct TrackSlice {
    std::vector<std::span<const TimelineItem>> lanes;
    std::size_t size() const;
};

/// Read-only trace for the timeline. Const methods must be safe to call from several threads.
class TimelineSource {
public:
    virtual ~TimelineSource();
    virtual const std::vector<TimelineTrack>& tracks() const = 0;
    virtual TimeRange timeRange() const = 0;
    /// Items of `track` that overlap [t0Ns, t1Ns), as lanes.
    virtual TrackSlice query(int track, std::int64_t t0Ns, std::int64_t t1Ns) const = 0;
    /// Interned text (names of kernels/ops, details); id 0 is "".
    virtual std::string_view name(std::uint32_t nameId) const = 0;
    virtual std::uint32_t nameCount() const = 0;
    /// The id of an exact name, or kNoName.
    virtual std::uint32_t findName(std::string_view text) const = 0;

    static constexpr std::uint32_t kNoName = 0xFFFFFFFFu;
};

/// Builds an InMemoryTimelineSource: add tracks and items in any order, then finish() sorts them,
/// assigns nesting lanes (greedy: the first lane whose last item ended) and indexes them.
class InMemoryTimelineBuilder {
public:
    InMemoryTimelineBuilder();
    ~InMemoryTimelineBuilder();
    InMemoryTimelineBuilder(InMemoryTimelineBuilder&&) noexcept;
    InMemoryTimelineBuilder& operator=(InMemoryTimelineBuilder&&) noexcept;

    /// Returns the track index.
    int addTrack(std::string name, std::string device);
    std::uint32_t intern(std::string_view text);
    void reserve(int track, std::size_t items);
    /// `item.depth` is ignored; lanes are computed by finish(). Items with end < start are clamped.
    void addItem(int track, const TimelineItem& item);
    std::shared_ptr<const TimelineSource> finish();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Parameters of a synthetic trace (tests, benchmarks, the demo controller).
struct SyntheticTraceOptions {
    std::int64_t records = 100'000; ///< kernels + ops in total (markers come on top)
    int gpuStreams = 4;
    int cpuThreads = 2;
    std::uint64_t seed = 1;
    int steps = 20; ///< step markers on CPU thread 0
    /// Called now and then with the fraction done; returning false cancels (the result is null).
    std::function<bool(double)> progress;
};
/// A plausible training trace: CPU threads with nested step/op ranges and launch calls, GPU
/// streams with kernels (gemm, attention, layernorm, ...) and copies, correlation ids linking
/// launches to kernels. Deterministic for a seed. Null when cancelled through `progress`.
std::shared_ptr<const TimelineSource> makeSyntheticTimeline(const SyntheticTraceOptions& options);

} // namespace lwb::ui
