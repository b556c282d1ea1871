// Trace and StringTable (see trace.h): interning, merging two captures on one time base, and the
// display names of tracks and copy kinds.
#include "lwb/profiler/trace.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace lwb::profiler {

std::string_view recordKindName(RecordKind kind)
{
    switch (kind) {
    case RecordKind::Kernel:
        return "kernel";
    case RecordKind::Memcpy:
        return "memcpy";
    case RecordKind::Memset:
        return "memset";
    case RecordKind::Runtime:
        return "runtime";
    case RecordKind::Driver:
        return "driver";
    case RecordKind::Marker:
        return "marker";
    case RecordKind::Sync:
        return "sync";
    case RecordKind::Overhead:
        return "overhead";
    case RecordKind::Graph:
        return "graph";
    }
    return "unknown";
}

StringTable::StringTable()
{
    intern("");
}

StringTable::StringTable(const StringTable& other)
    : StringTable()
{
    for (std::size_t i = 1; i < other.m_values.size(); ++i)
        intern(other.m_values[i]);
}

StringTable& StringTable::operator=(const StringTable& other)
{
    if (this != &other) {
        StringTable copy(other);
        *this = std::move(copy);
    }
    return *this;
}

StringId StringTable::intern(std::string_view text)
{
    auto it = m_index.find(text);
    if (it != m_index.end())
        return it->second;
    auto id = static_cast<StringId>(m_values.size());
    m_values.emplace_back(text);
    m_index.emplace(std::string_view(m_values.back()), id);
    return id;
}

StringId StringTable::find(std::string_view text) const
{
    auto it = m_index.find(text);
    return it == m_index.end() ? kNoString : it->second;
}

void Trace::merge(const Trace& other)
{
    std::vector<StringId> remap(other.strings.size());
    for (std::size_t i = 0; i < other.strings.size(); ++i)
        remap[i] = strings.intern(other.strings[static_cast<StringId>(i)]);
    std::int64_t shift = 0;
    if (records.empty() && sessionStartNs == 0) {
        sessionStartNs = other.sessionStartNs;
        utcEpochNs = other.utcEpochNs;
    } else {
        shift = other.sessionStartNs - sessionStartNs;
    }
    records.reserve(records.size() + other.records.size());
    for (ActivityRecord record : other.records) {
        if (record.hasTimestamp()) {
            record.start += shift;
            record.end += shift;
        }
        record.name = remap[record.name];
        record.shortName = remap[record.shortName];
        records.push_back(record);
    }
    if (source.empty())
        source = other.source;
    else if (!other.source.empty())
        source += "+" + other.source;
    stats.droppedRecords += other.stats.droppedRecords;
    if (!other.stats.dropReason.empty())
        stats.dropReason += (stats.dropReason.empty() ? "" : "; ") + other.stats.dropReason;
    stats.noTimestampRecords += other.stats.noTimestampRecords;
    stats.filteredRecords += other.stats.filteredRecords;
    stats.invalidRecords += other.stats.invalidRecords;
    for (const auto& [key, name] : other.trackNames)
        trackNames.emplace(key, name);
    if (processName.empty())
        processName = other.processName;
}

void Trace::sortByStart()
{
    auto before = [](const ActivityRecord& a, const ActivityRecord& b) {
        return std::tie(a.start, a.end, a.kind) < std::tie(b.start, b.end, b.kind);
    };
    if (std::is_sorted(records.begin(), records.end(), before))
        return;
    // Sort small keys (the index breaks ties: stable), then move the records once.
    struct Key {
        std::int64_t start, end;
        std::uint32_t kind, index;
    };
    std::vector<Key> keys(records.size());
    for (std::size_t i = 0; i < records.size(); ++i)
        keys[i] = {records[i].start, records[i].end, static_cast<std::uint32_t>(records[i].kind),
            static_cast<std::uint32_t>(i)};
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        return std::tie(a.start, a.end, a.kind, a.index) < std::tie(b.start, b.end, b.kind, b.index);
    });
    std::vector<ActivityRecord> sorted;
    sorted.reserve(records.size());
    for (const Key& k : keys)
        sorted.push_back(records[k.index]);
    records = std::move(sorted);
}

std::pair<std::int64_t, std::int64_t> Trace::span() const
{
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    for (const ActivityRecord& r : records) {
        if (!r.hasTimestamp())
            continue;
        first = std::min(first, r.start);
        last = std::max(last, r.end);
    }
    if (first > last)
        return {0, 0};
    return {first, last};
}

std::string defaultTrackName(const TrackKey& key)
{
    if (key.isHost())
        return "CPU thread " + std::to_string(key.stream);
    return "GPU " + std::to_string(key.device) + " stream " + std::to_string(key.stream);
}

std::string memcpyName(CopyKind kind)
{
    switch (kind) {
    case CopyKind::HtoD:
        return "[CUDA memcpy Host-to-Device]";
    case CopyKind::DtoH:
        return "[CUDA memcpy Device-to-Host]";
    case CopyKind::HtoA:
        return "[CUDA memcpy Host-to-Array]";
    case CopyKind::AtoH:
        return "[CUDA memcpy Array-to-Host]";
    case CopyKind::AtoA:
        return "[CUDA memcpy Array-to-Array]";
    case CopyKind::AtoD:
        return "[CUDA memcpy Array-to-Device]";
    case CopyKind::DtoA:
        return "[CUDA memcpy Device-to-Array]";
    case CopyKind::DtoD:
        return "[CUDA memcpy Device-to-Device]";
    case CopyKind::HtoH:
        return "[CUDA memcpy Host-to-Host]";
    case CopyKind::PtoP:
        return "[CUDA memcpy Peer-to-Peer]";
    case CopyKind::Unknown:
        break;
    }
    return "[CUDA memcpy Unknown]";
}

} // namespace lwb::profiler
