// RecordMapper (see record_mapper.h). Record structs are read through the aliases of
// cupti_records.h only. CUPTI enums are remapped to the nsys export numbering used in records.
#include "cupti/record_mapper.h"

#include "cupti/cupti_records.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace lwb::profiler::cupti {
namespace {

std::uint8_t nsysMemoryKind(std::uint32_t cuptiKind)
{
    // CUPTI: 0 unknown, 1 pageable, 2 pinned, ...; nsys: 0 pageable, 1 pinned, ..., 7 unknown.
    if (cuptiKind == CUPTI_ACTIVITY_MEMORY_KIND_UNKNOWN || cuptiKind > CUPTI_ACTIVITY_MEMORY_KIND_MANAGED_STATIC)
        return static_cast<std::uint8_t>(MemoryKind::Unknown);
    return static_cast<std::uint8_t>(cuptiKind - 1);
}

std::uint8_t nsysLaunchType(std::uint8_t cuptiType)
{
    // CUPTI: 0 regular, 1 cooperative single, 2 cooperative multi; nsys: 0 unknown, 1 regular, ...
    return cuptiType <= CUPTI_ACTIVITY_LAUNCH_TYPE_COOPERATIVE_MULTI_DEVICE ? static_cast<std::uint8_t>(cuptiType + 1)
                                                                            : std::uint8_t {0};
}

struct OverheadName {
    std::uint8_t nsysType;
    const char* name;
};

OverheadName overheadName(CUpti_ActivityOverheadKind kind)
{
    switch (kind) {
    case CUPTI_ACTIVITY_OVERHEAD_DRIVER_COMPILER:
        return {2, "Driver Compiler"};
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_BUFFER_FLUSH:
        return {3, "CUPTI Buffer Flush"};
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_INSTRUMENTATION:
        return {4, "CUPTI Instrumentation"};
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_RESOURCE:
        return {5, "CUPTI Resource"};
    case CUPTI_ACTIVITY_OVERHEAD_RUNTIME_TRIGGERED_MODULE_LOADING:
        return {6, "Runtime Triggered Module Loading"};
    case CUPTI_ACTIVITY_OVERHEAD_LAZY_FUNCTION_LOADING:
        return {7, "Lazy Function Loading"};
    case CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL:
        return {8, "Command Buffer Full"};
    case CUPTI_ACTIVITY_OVERHEAD_ACTIVITY_BUFFER_REQUEST:
        return {0, "Activity Buffer Request"};
    case CUPTI_ACTIVITY_OVERHEAD_UVM_ACTIVITY_INIT:
        return {0, "UVM Activity Init"};
    default:
        return {1, "Unknown"};
    }
}

const char* syncName(std::uint32_t type)
{
    switch (type) {
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE:
        return "[CUDA event synchronize]";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT:
        return "[CUDA stream wait event]";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE:
        return "[CUDA stream synchronize]";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE:
        return "[CUDA context synchronize]";
    default:
        return "[CUDA synchronize]";
    }
}

std::string demangle(const char* mangled)
{
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

/// "cudaLaunchKernel_v7000" -> "cudaLaunchKernel".
std::string_view withoutVersion(std::string_view name)
{
    auto pos = name.rfind("_v");
    if (pos == std::string_view::npos || pos + 2 >= name.size())
        return name;
    for (std::size_t i = pos + 2; i < name.size(); ++i)
        if (name[i] < '0' || name[i] > '9')
            return name;
    return name.substr(0, pos);
}

} // namespace

std::string kernelShortName(std::string_view name)
{
    std::string_view s = name;
    auto stripBalanced = [&](char open, char close) {
        if (s.empty() || s.back() != close)
            return;
        int depth = 0;
        for (std::size_t i = s.size(); i-- > 0;) {
            if (s[i] == close)
                ++depth;
            else if (s[i] == open && --depth == 0) {
                s = s.substr(0, i);
                return;
            }
        }
    };
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    stripBalanced('(', ')');
    stripBalanced('<', '>');
    // Return type and namespaces: keep what follows the last ' ' or "::" outside brackets.
    int depth = 0;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '<' || c == '(')
            ++depth;
        else if ((c == '>' || c == ')') && depth > 0)
            --depth;
        else if (depth == 0 && c == ' ')
            begin = i + 1;
        else if (depth == 0 && c == ':' && i + 1 < s.size() && s[i + 1] == ':')
            begin = i + 2;
    }
    s = s.substr(begin);
    return s.empty() ? std::string(name) : std::string(s);
}

RecordMapper::RecordMapper(CuptiApi& api, MapperOptions options)
    : m_api(api)
    , m_options(std::move(options))
{
    m_trace.source = "cupti";
}

std::int64_t RecordMapper::shift(std::uint64_t timestamp) const
{
    return static_cast<std::int64_t>(timestamp) + m_options.timeShiftNs;
}

void RecordMapper::setTimes(ActivityRecord& r, std::uint64_t start, std::uint64_t end)
{
    if (start == 0 && end == 0) {
        // CUPTI could not collect the timestamps (e.g. no device memory for them): keep, flag.
        r.flags |= kNoTimestamp;
        ++m_trace.stats.noTimestampRecords;
        return;
    }
    r.start = shift(start);
    r.end = shift(end < start ? start : end);
}

void RecordMapper::consumeBuffer(std::uint8_t* buffer, std::size_t validSize)
{
    CUpti_Activity* record = nullptr;
    while (true) {
        CUptiResult rc = m_api.nextRecord(buffer, validSize, &record);
        if (rc == CUPTI_ERROR_MAX_LIMIT_REACHED)
            break;
        if (rc != CUPTI_SUCCESS) {
            // CUPTI_ERROR_INVALID_KIND: an incomplete or invalid record; the rest is unreadable.
            ++m_trace.stats.invalidRecords;
            break;
        }
        map(*record);
    }
}

void RecordMapper::map(const CUpti_Activity& record)
{
    ++m_mapped;
    switch (record.kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
        mapKernel(record);
        break;
    case CUPTI_ACTIVITY_KIND_MEMCPY:
        mapMemcpy(record);
        break;
    case CUPTI_ACTIVITY_KIND_MEMSET:
        mapMemset(record);
        break;
    case CUPTI_ACTIVITY_KIND_RUNTIME:
    case CUPTI_ACTIVITY_KIND_DRIVER:
        mapApi(record);
        break;
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION:
        mapSync(record);
        break;
    case CUPTI_ACTIVITY_KIND_OVERHEAD:
        mapOverhead(record);
        break;
    case CUPTI_ACTIVITY_KIND_MARKER:
        mapMarker(record);
        break;
    case CUPTI_ACTIVITY_KIND_GRAPH_TRACE:
        mapGraph(record);
        break;
    case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        const auto& r = reinterpret_cast<const ExternalCorrelationRecord&>(record);
        if (r.externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0)
            m_externalIds[r.correlationId] = r.externalId;
        break;
    }
    case CUPTI_ACTIVITY_KIND_CONTEXT: {
        const auto& r = reinterpret_cast<const ContextRecord&>(record);
        m_contextDevice[r.contextId] = static_cast<std::int32_t>(r.deviceId);
        break;
    }
    default:
        --m_mapped;
        break; // a kind we did not enable (e.g. MARKER_DATA): nothing to keep
    }
}

void RecordMapper::mapKernel(const CUpti_Activity& record)
{
    const auto& k = reinterpret_cast<const KernelRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Kernel;
    setTimes(r, k.start, k.end);
    r.device = static_cast<std::int32_t>(k.deviceId);
    r.context = k.contextId;
    r.stream = k.streamId;
    r.correlationId = k.correlationId;
    r.processId = m_options.processId;
    r.gridX = k.gridX, r.gridY = k.gridY, r.gridZ = k.gridZ;
    r.blockX = k.blockX, r.blockY = k.blockY, r.blockZ = k.blockZ;
    r.registersPerThread = k.registersPerThread;
    r.staticSharedMemory = k.staticSharedMemory;
    r.dynamicSharedMemory = k.dynamicSharedMemory;
    r.launchType = nsysLaunchType(k.launchType);
    r.graphId = k.graphId;
    r.graphNodeId = k.graphNodeId;
    const char* mangled = k.name ? k.name : "<unknown kernel>";
    auto it = m_kernelNames.find(mangled);
    if (it == m_kernelNames.end()) {
        std::string full = demangle(mangled);
        StringId name = m_trace.strings.intern(full);
        StringId shortName = m_trace.strings.intern(kernelShortName(full));
        it = m_kernelNames.emplace(mangled, std::pair {name, shortName}).first;
    }
    r.name = it->second.first;
    r.shortName = it->second.second;
    m_trace.records.push_back(r);
}

void RecordMapper::mapMemcpy(const CUpti_Activity& record)
{
    const auto& m = reinterpret_cast<const MemcpyRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Memcpy;
    r.category = OpCategory::Memcpy;
    setTimes(r, m.start, m.end);
    r.device = static_cast<std::int32_t>(m.deviceId);
    r.context = m.contextId;
    r.stream = m.streamId;
    r.correlationId = m.correlationId;
    r.processId = m_options.processId;
    r.bytes = static_cast<std::int64_t>(m.bytes);
    r.copyKind = m.copyKind <= CUPTI_ACTIVITY_MEMCPY_KIND_PTOP ? m.copyKind : std::uint8_t {0};
    r.srcKind = nsysMemoryKind(m.srcKind);
    r.dstKind = nsysMemoryKind(m.dstKind);
    r.graphId = m.graphId;
    r.graphNodeId = m.graphNodeId;
    r.name = r.shortName = m_trace.strings.intern(memcpyName(static_cast<CopyKind>(r.copyKind)));
    m_trace.records.push_back(r);
}

void RecordMapper::mapMemset(const CUpti_Activity& record)
{
    const auto& m = reinterpret_cast<const MemsetRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Memset;
    r.category = OpCategory::Memset;
    setTimes(r, m.start, m.end);
    r.device = static_cast<std::int32_t>(m.deviceId);
    r.context = m.contextId;
    r.stream = m.streamId;
    r.correlationId = m.correlationId;
    r.processId = m_options.processId;
    r.bytes = static_cast<std::int64_t>(m.bytes);
    r.value = static_cast<std::int32_t>(m.value);
    r.memoryKind = nsysMemoryKind(m.memoryKind);
    r.graphId = m.graphId;
    r.graphNodeId = m.graphNodeId;
    r.name = r.shortName = m_trace.strings.intern("[CUDA memset]");
    m_trace.records.push_back(r);
}

void RecordMapper::mapApi(const CUpti_Activity& record)
{
    const auto& a = reinterpret_cast<const ApiRecord&>(record);
    bool driver = a.kind == CUPTI_ACTIVITY_KIND_DRIVER;
    auto domain = driver ? CUPTI_CB_DOMAIN_DRIVER_API : CUPTI_CB_DOMAIN_RUNTIME_API;
    std::uint64_t key = (std::uint64_t {static_cast<std::uint32_t>(domain)} << 32) | a.cbid;
    auto it = m_apiNames.find(key);
    if (it == m_apiNames.end()) {
        std::string name = m_api.callbackName(domain, a.cbid);
        if (name.empty())
            name = std::string(driver ? "cuDriverCall_" : "cudaRuntimeCall_") + std::to_string(a.cbid);
        bool filtered = m_options.filteredApis.count(std::string(withoutVersion(name))) > 0;
        it = m_apiNames.emplace(key, filtered ? kNoString : m_trace.strings.intern(name)).first;
    }
    if (it->second == kNoString) {
        ++m_trace.stats.filteredRecords;
        return;
    }
    ActivityRecord r;
    r.kind = driver ? RecordKind::Driver : RecordKind::Runtime;
    r.category = OpCategory::Runtime;
    setTimes(r, a.start, a.end);
    r.device = kHostDevice;
    r.stream = a.threadId;
    r.processId = a.processId;
    r.correlationId = a.correlationId;
    r.returnValue = static_cast<std::int32_t>(a.returnValue);
    r.cbid = a.cbid;
    r.name = r.shortName = it->second;
    m_trace.records.push_back(r);
}

void RecordMapper::mapSync(const CUpti_Activity& record)
{
    const auto& s = reinterpret_cast<const SyncRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Sync;
    r.category = OpCategory::Sync;
    setTimes(r, s.start, s.end);
    r.context = s.contextId;
    r.device = 0; // resolved from the context in finish()
    r.stream = s.streamId == CUPTI_SYNCHRONIZATION_INVALID_VALUE ? 0 : s.streamId;
    r.correlationId = s.correlationId;
    r.processId = m_options.processId;
    r.syncType = static_cast<std::uint8_t>(s.type);
    r.value = s.cudaEventId == CUPTI_SYNCHRONIZATION_INVALID_VALUE ? -1 : static_cast<std::int32_t>(s.cudaEventId);
    r.name = r.shortName = m_trace.strings.intern(syncName(s.type));
    m_trace.records.push_back(r);
}

void RecordMapper::mapOverhead(const CUpti_Activity& record)
{
    const auto& o = reinterpret_cast<const OverheadRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Overhead;
    r.category = OpCategory::Other;
    setTimes(r, o.start, o.end);
    if (o.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD || o.objectKind == CUPTI_ACTIVITY_OBJECT_PROCESS) {
        r.device = kHostDevice;
        r.processId = o.objectId.pt.processId;
        r.stream = o.objectId.pt.threadId;
    } else {
        r.device = static_cast<std::int32_t>(o.objectId.dcs.deviceId);
        r.context = o.objectId.dcs.contextId;
        r.stream = o.objectId.dcs.streamId;
        r.processId = m_options.processId;
    }
    r.correlationId = o.correlationId;
    OverheadName info = overheadName(o.overheadKind);
    r.overheadType = info.nsysType;
    r.name = r.shortName = m_trace.strings.intern(info.name);
    m_trace.records.push_back(r);
}

void RecordMapper::mapMarker(const CUpti_Activity& record)
{
    const auto& m = reinterpret_cast<const MarkerRecord&>(record);
    std::uint32_t pid = m.objectId.pt.processId, tid = m.objectId.pt.threadId;
    if (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_END) {
        auto it = m_openMarkers.find(m.id);
        if (it == m_openMarkers.end())
            return; // the start was before the capture
        ActivityRecord r;
        r.kind = RecordKind::Marker;
        r.category = OpCategory::Other;
        r.device = kHostDevice;
        r.processId = it->second.processId;
        r.stream = it->second.threadId;
        r.start = it->second.start;
        r.end = std::max(r.start, shift(m.timestamp));
        r.name = r.shortName = it->second.name;
        m_trace.records.push_back(r);
        m_openMarkers.erase(it);
        return;
    }
    StringId name = m_trace.strings.intern(m.name ? m.name : "");
    if (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_START) {
        m_openMarkers[m.id] = {shift(m.timestamp), name, pid, tid};
        return;
    }
    ActivityRecord r; // instantaneous
    r.kind = RecordKind::Marker;
    r.category = OpCategory::Other;
    r.flags = kInstant;
    r.device = kHostDevice;
    r.processId = pid;
    r.stream = tid;
    r.start = r.end = shift(m.timestamp);
    r.name = r.shortName = name;
    m_trace.records.push_back(r);
}

void RecordMapper::mapGraph(const CUpti_Activity& record)
{
    const auto& g = reinterpret_cast<const GraphTraceRecord&>(record);
    ActivityRecord r;
    r.kind = RecordKind::Graph;
    setTimes(r, g.start, g.end);
    r.device = static_cast<std::int32_t>(g.deviceId);
    r.context = g.contextId;
    r.stream = g.streamId;
    r.correlationId = g.correlationId;
    r.processId = m_options.processId;
    r.graphId = g.graphId;
    r.name = r.shortName = m_trace.strings.intern("[CUDA graph " + std::to_string(g.graphId) + "]");
    m_trace.records.push_back(r);
}

void RecordMapper::addDropped(std::int64_t count, const std::string& reason)
{
    if (count <= 0)
        return;
    m_trace.stats.droppedRecords += count;
    if (m_trace.stats.dropReason.find(reason) == std::string::npos)
        m_trace.stats.dropReason += (m_trace.stats.dropReason.empty() ? "" : "; ") + reason;
}

Trace RecordMapper::finish()
{
    // Contexts created before the capture have no CONTEXT record: learn their device from the
    // kernels and copies that ran in them.
    for (const ActivityRecord& r : m_trace.records)
        if ((r.kind == RecordKind::Kernel || r.kind == RecordKind::Memcpy || r.kind == RecordKind::Memset)
            && r.context != 0)
            m_contextDevice.try_emplace(r.context, r.device);
    for (ActivityRecord& r : m_trace.records) {
        if (r.kind == RecordKind::Sync) {
            auto it = m_contextDevice.find(r.context);
            if (it != m_contextDevice.end())
                r.device = it->second;
        }
        if (r.correlationId) {
            auto ext = m_externalIds.find(r.correlationId);
            if (ext != m_externalIds.end())
                r.externalId = ext->second;
        }
    }
    // Ranges still open at stop: kept as marks at their start.
    for (const auto& [id, open] : m_openMarkers) {
        ActivityRecord r;
        r.kind = RecordKind::Marker;
        r.flags = kInstant;
        r.device = kHostDevice;
        r.processId = open.processId;
        r.stream = open.threadId;
        r.start = r.end = open.start;
        r.name = r.shortName = open.name;
        m_trace.records.push_back(r);
    }
    m_openMarkers.clear();
    for (const ActivityRecord& r : m_trace.records)
        if (r.device >= 0 && !m_trace.trackNames.count({r.device, r.stream}))
            m_trace.trackNames[{r.device, r.stream}] = defaultTrackName({r.device, r.stream});
    m_trace.sortByStart();
    Trace out = std::move(m_trace);
    m_trace = Trace {};
    m_trace.source = "cupti";
    return out;
}

} // namespace lwb::profiler::cupti
