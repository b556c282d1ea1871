// InMemoryTimelineSource: items of each track stored lane by lane (sorted by start inside a
// lane, lanes back to back), so a query is two binary searches per lane and returns spans into
// the storage without copying. Also the synthetic trace generator used by tests and benchmarks.
#include "lwb/ui/timeline_source.h"

#include <algorithm>
#include <cassert>
#include <deque>
#include <string>

namespace lwb::ui {

std::string_view itemCategoryName(ItemCategory category)
{
    switch (category) {
    case ItemCategory::Kernel:
        return "kernel";
    case ItemCategory::Memcpy:
        return "memcpy";
    case ItemCategory::Memset:
        return "memset";
    case ItemCategory::CpuOp:
        return "cpu_op";
    case ItemCategory::Api:
        return "api";
    case ItemCategory::Marker:
        return "marker";
    case ItemCategory::Sync:
        return "sync";
    case ItemCategory::Other:
        break;
    }
    return "other";
}

std::size_t TrackSlice::size() const
{
    std::size_t n = 0;
    for (const auto& lane : lanes)
        n += lane.size();
    return n;
}

TimelineSource::~TimelineSource() = default;

namespace {

struct NameTable {
    std::deque<std::string> values {std::string()};
    std::unordered_map<std::string_view, std::uint32_t> index {{std::string_view(), 0u}};

    std::uint32_t intern(std::string_view text)
    {
        if (auto it = index.find(text); it != index.end())
            return it->second;
        values.emplace_back(text);
        auto id = static_cast<std::uint32_t>(values.size() - 1);
        index.emplace(values.back(), id);
        return id;
    }
};

struct TrackData {
    std::vector<TimelineItem> items; // lane 0 first, then lane 1, ...
    std::vector<std::size_t> laneBegin; // laneCount + 1 offsets
};

class InMemoryTimelineSource final : public TimelineSource {
public:
    std::vector<TimelineTrack> m_tracks;
    std::vector<TrackData> m_data;
    NameTable m_names;
    TimeRange m_range;

    const std::vector<TimelineTrack>& tracks() const override { return m_tracks; }
    TimeRange timeRange() const override { return m_range; }

    TrackSlice query(int track, std::int64_t t0, std::int64_t t1) const override
    {
        TrackSlice slice;
        if (track < 0 || track >= static_cast<int>(m_data.size()) || t1 <= t0)
            return slice;
        const TrackData& d = m_data[static_cast<std::size_t>(track)];
        slice.lanes.reserve(d.laneBegin.size() - 1);
        for (std::size_t lane = 0; lane + 1 < d.laneBegin.size(); ++lane) {
            const TimelineItem* begin = d.items.data() + d.laneBegin[lane];
            const TimelineItem* end = d.items.data() + d.laneBegin[lane + 1];
            // Inside a lane items do not overlap, so ends are sorted like starts.
            const TimelineItem* first
                = std::partition_point(begin, end, [t0](const TimelineItem& it) { return it.endNs <= t0; });
            const TimelineItem* last
                = std::partition_point(first, end, [t1](const TimelineItem& it) { return it.startNs < t1; });
            slice.lanes.emplace_back(first, static_cast<std::size_t>(last - first));
        }
        return slice;
    }

    std::string_view name(std::uint32_t id) const override
    {
        return id < m_names.values.size() ? std::string_view(m_names.values[id]) : std::string_view();
    }
    std::uint32_t nameCount() const override { return static_cast<std::uint32_t>(m_names.values.size()); }
    std::uint32_t findName(std::string_view text) const override
    {
        auto it = m_names.index.find(text);
        return it == m_names.index.end() ? kNoName : it->second;
    }
};

} // namespace

struct InMemoryTimelineBuilder::Impl {
    std::unique_ptr<InMemoryTimelineSource> source = std::make_unique<InMemoryTimelineSource>();
};

InMemoryTimelineBuilder::InMemoryTimelineBuilder()
    : m_impl(std::make_unique<Impl>())
{
}
InMemoryTimelineBuilder::~InMemoryTimelineBuilder() = default;
InMemoryTimelineBuilder::InMemoryTimelineBuilder(InMemoryTimelineBuilder&&) noexcept = default;
InMemoryTimelineBuilder& InMemoryTimelineBuilder::operator=(InMemoryTimelineBuilder&&) noexcept = default;

int InMemoryTimelineBuilder::addTrack(std::string name, std::string device)
{
    auto& s = *m_impl->source;
    s.m_tracks.push_back(TimelineTrack {std::move(name), std::move(device), 1, 0});
    s.m_data.emplace_back();
    return static_cast<int>(s.m_tracks.size() - 1);
}

std::uint32_t InMemoryTimelineBuilder::intern(std::string_view text)
{
    return m_impl->source->m_names.intern(text);
}

void InMemoryTimelineBuilder::reserve(int track, std::size_t items)
{
    m_impl->source->m_data.at(static_cast<std::size_t>(track)).items.reserve(items);
}

void InMemoryTimelineBuilder::addItem(int track, const TimelineItem& item)
{
    TimelineItem copy = item;
    copy.endNs = std::max(copy.endNs, copy.startNs);
    m_impl->source->m_data.at(static_cast<std::size_t>(track)).items.push_back(copy);
}

std::shared_ptr<const TimelineSource> InMemoryTimelineBuilder::finish()
{
    auto& s = *m_impl->source;
    bool any = false;
    for (std::size_t t = 0; t < s.m_data.size(); ++t) {
        auto& items = s.m_data[t].items;
        // Enclosing items first, so children land in deeper lanes.
        std::sort(items.begin(), items.end(), [](const TimelineItem& a, const TimelineItem& b) {
            return a.startNs != b.startNs ? a.startNs < b.startNs : a.endNs > b.endNs;
        });
        std::vector<std::int64_t> laneEnd;
        for (auto& it : items) {
            std::size_t lane = 0;
            while (lane < laneEnd.size() && laneEnd[lane] > it.startNs)
                ++lane;
            if (lane == laneEnd.size())
                laneEnd.push_back(it.endNs);
            else
                laneEnd[lane] = it.endNs;
            it.depth = static_cast<std::uint8_t>(std::min<std::size_t>(lane, 255));
        }
        std::stable_sort(
            items.begin(), items.end(), [](const TimelineItem& a, const TimelineItem& b) { return a.depth < b.depth; });
        const int lanes = std::max<int>(1, static_cast<int>(std::min<std::size_t>(laneEnd.size(), 256)));
        auto& begins = s.m_data[t].laneBegin;
        begins.assign(static_cast<std::size_t>(lanes) + 1, items.size());
        begins[0] = 0;
        for (int lane = 1; lane < lanes; ++lane)
            begins[static_cast<std::size_t>(lane)]
                = static_cast<std::size_t>(std::partition_point(items.begin(), items.end(),
                                               [lane](const TimelineItem& it) { return it.depth < lane; })
                    - items.begin());
        s.m_tracks[t].laneCount = lanes;
        s.m_tracks[t].itemCount = static_cast<std::int64_t>(items.size());
        for (const auto& it : items) {
            if (!any) {
                s.m_range = {it.startNs, it.endNs};
                any = true;
            }
            s.m_range.startNs = std::min(s.m_range.startNs, it.startNs);
            s.m_range.endNs = std::max(s.m_range.endNs, it.endNs);
        }
    }
    std::shared_ptr<const TimelineSource> result(std::move(m_impl->source));
    m_impl->source = std::make_unique<InMemoryTimelineSource>();
    return result;
}

} // namespace lwb::ui
