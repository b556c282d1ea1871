// ThreadPool (see thread_pool.h): generation counter + pending counter, spin-then-futex waits.
#include "cpu/thread_pool.h"

#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define LWB_CPU_RELAX() _mm_pause()
#else
#define LWB_CPU_RELAX() ((void)0)
#endif

namespace lwb::engine::cpu {

namespace {
// About 30-60 us of spinning before a worker sleeps: long enough to bridge consecutive ops,
// short enough not to steal a shared core from other processes for long.
constexpr int kSpinIterations = 4000;
} // namespace

void useSingleThreadedOneDnnOnThisThread()
{
    thread_local bool done = false;
    if (!done) {
        omp_set_num_threads(1);
        done = true;
    }
}

ThreadPool::ThreadPool(int threads)
    : m_size(threads < 1 ? 1 : threads)
{
    m_threads.reserve(static_cast<std::size_t>(m_size - 1));
    for (int i = 1; i < m_size; ++i)
        m_threads.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool()
{
    m_stop.store(true, std::memory_order_release);
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    m_generation.notify_all();
    for (auto& t : m_threads)
        t.join();
}

std::pair<std::int64_t, std::int64_t> ThreadPool::chunk(std::int64_t n, std::int64_t grain, int parts, int index)
{
    if (grain < 1)
        grain = 1;
    std::int64_t units = (n + grain - 1) / grain;
    std::int64_t base = units / parts;
    std::int64_t extra = units % parts;
    std::int64_t beginUnit = index * base + (index < extra ? index : extra);
    std::int64_t endUnit = beginUnit + base + (index < extra ? 1 : 0);
    std::int64_t begin = beginUnit * grain;
    std::int64_t end = endUnit * grain;
    if (begin > n)
        begin = n;
    if (end > n)
        end = n;
    return {begin, end};
}

void ThreadPool::dispatch(Job job, void* context)
{
    m_job = job;
    m_context = context;
    m_pending.store(m_size - 1, std::memory_order_relaxed);
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    m_generation.notify_all();
    job(context, 0);
    for (int spin = 0; m_pending.load(std::memory_order_acquire) != 0; ++spin) {
        if (spin < m_spinIterations) {
            LWB_CPU_RELAX();
        } else {
            int pending = m_pending.load(std::memory_order_acquire);
            if (pending != 0)
                m_pending.wait(pending, std::memory_order_acquire);
        }
    }
}

void ThreadPool::workerLoop(int index)
{
    useSingleThreadedOneDnnOnThisThread();
    // The generation this worker has handled: the value at construction (0), not a load here. A
    // worker that starts after the first dispatch (or after the destructor's wake-up) would
    // otherwise take the new generation as already seen and sleep forever.
    std::uint32_t seen = 0;
    for (;;) {
        std::uint32_t current;
        for (int spin = 0;; ++spin) {
            current = m_generation.load(std::memory_order_acquire);
            if (current != seen)
                break;
            if (spin < m_spinIterations)
                LWB_CPU_RELAX();
            else
                m_generation.wait(seen, std::memory_order_acquire);
        }
        seen = current;
        if (m_stop.load(std::memory_order_acquire))
            return;
        m_job(m_context, index);
        if (m_pending.fetch_sub(1, std::memory_order_acq_rel) == 1)
            m_pending.notify_one();
    }
}

} // namespace lwb::engine::cpu
