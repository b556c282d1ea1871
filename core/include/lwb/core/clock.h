// Clocks. All workbench timestamps are nanoseconds; monotonicNs() (CLOCK_MONOTONIC) is the time
// base of measurements and host op traces; realtimeNs() (CLOCK_REALTIME) is CUPTI's time base
// and what study files record as wall-clock times.
#pragma once

#include <cstdint>
#include <ctime>

namespace lwb {

/// CLOCK_MONOTONIC in ns: never jumps; use for durations and host traces.
inline std::int64_t monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// CLOCK_REALTIME in ns since the Unix epoch.
inline std::int64_t realtimeNs()
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Measures elapsed monotonic time from construction or the last restart().
class Stopwatch {
public:
    Stopwatch() : m_start(monotonicNs()) { }
    void restart() { m_start = monotonicNs(); }
    std::int64_t elapsedNs() const { return monotonicNs() - m_start; }
    double elapsedSeconds() const { return static_cast<double>(elapsedNs()) * 1e-9; }

private:
    std::int64_t m_start;
};

} // namespace lwb
