// RecordMapper: CUPTI activity records -> ActivityRecords. Runs on the collector's writer thread
// (never in CUPTI's callback). Copies and interns kernel names at once (they point into CUPTI
// memory), converts CUPTI timestamps to the trace time base, remaps enums to nsys numbering,
// keeps records without timestamps (flagged), and applies external correlation ids at the end.
#pragma once

#include "cupti/cupti_api.h"
#include "lwb/profiler/trace.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lwb::profiler::cupti {

struct MapperOptions {
    /// Added to every CUPTI timestamp: (clock offset to CLOCK_MONOTONIC) - session start.
    std::int64_t timeShiftNs = 0;
    std::uint32_t processId = 0; ///< stamped on device records (CUPTI's carry no pid)
    /// API names (without the _vNNNN suffix) left out as noise, counted in stats.filteredRecords.
    std::unordered_set<std::string> filteredApis;
};

class RecordMapper {
public:
    RecordMapper(CuptiApi& api, MapperOptions options);

    /// Maps every record of one completed buffer (iterated with CuptiApi::nextRecord).
    void consumeBuffer(std::uint8_t* buffer, std::size_t validSize);
    /// Maps one record.
    void map(const CUpti_Activity& record);
    /// Dropped records reported by CUPTI (accumulated; the counter resets on every read).
    void addDropped(std::int64_t count, const std::string& reason);
    /// Applies external correlation ids and context -> device, closes open markers, sorts.
    Trace finish();

    std::int64_t recordsMapped() const { return m_mapped; }

private:
    std::int64_t shift(std::uint64_t timestamp) const;
    void setTimes(ActivityRecord& r, std::uint64_t start, std::uint64_t end);
    void mapKernel(const CUpti_Activity& record);
    void mapMemcpy(const CUpti_Activity& record);
    void mapMemset(const CUpti_Activity& record);
    void mapApi(const CUpti_Activity& record);
    void mapSync(const CUpti_Activity& record);
    void mapOverhead(const CUpti_Activity& record);
    void mapMarker(const CUpti_Activity& record);
    void mapGraph(const CUpti_Activity& record);

    CuptiApi& m_api;
    MapperOptions m_options;
    Trace m_trace;
    std::int64_t m_mapped = 0;
    std::unordered_map<std::string, std::pair<StringId, StringId>> m_kernelNames; ///< mangled -> (demangled, short)
    std::unordered_map<std::uint64_t, StringId> m_apiNames; ///< (domain << 32 | cbid) -> name, kNoString when filtered
    std::unordered_map<std::uint32_t, std::uint64_t> m_externalIds; ///< correlation id -> external id
    std::unordered_map<std::uint32_t, std::int32_t> m_contextDevice; ///< context id -> device
    struct OpenMarker {
        std::int64_t start;
        StringId name;
        std::uint32_t processId, threadId;
    };
    std::unordered_map<std::uint32_t, OpenMarker> m_openMarkers;
};

/// nsys-style short name of a demangled kernel name: no return type, namespaces, template or
/// function arguments ("void at::native::k<float>(float*)" -> "k").
std::string kernelShortName(std::string_view demangled);

} // namespace lwb::profiler::cupti
