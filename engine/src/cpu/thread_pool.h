// The engine's one intra-op thread pool: a fixed number of threads, the caller being thread 0.
// Work is split statically by thread index (deterministic results for a given thread count).
// Workers spin briefly before sleeping on a futex (std::atomic::wait), so back-to-back small ops
// (batch-1 decode) do not pay a wake-up each; a pool larger than the machine's logical cores
// never spins (spinning threads would only take the cores from the ones with work). Every pool thread, and every thread
// that calls into the CPU backend, runs oneDNN single-threaded: OpenMP never starts a team of its own, so there is
// exactly one set of compute threads (see notes on mixing thread runtimes).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace lwb::engine::cpu {

/// Makes OpenMP (hence oneDNN) use one thread when called from the current thread.
void useSingleThreadedOneDnnOnThisThread();

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return m_size; }

    /// Runs fn(threadIndex) once on every thread and returns when all have finished.
    template <typename F> void run(F&& fn)
    {
        if (m_size == 1) {
            fn(0);
            return;
        }
        using Fn = std::remove_reference_t<F>;
        Fn* target = &fn;
        dispatch([](void* ctx, int index) { (*static_cast<Fn*>(ctx))(index); },
            const_cast<void*>(static_cast<const void*>(target)));
    }

    /// Splits [0, n) into size() contiguous chunks whose boundaries are multiples of `grain`,
    /// and runs fn(begin, end, threadIndex) for every non-empty chunk.
    template <typename F> void parallelFor(std::int64_t n, std::int64_t grain, F&& fn)
    {
        int parts = m_size;
        if (parts == 1 || n <= grain) {
            if (n > 0)
                fn(std::int64_t {0}, n, 0);
            return;
        }
        run([&](int t) {
            auto [begin, end] = chunk(n, grain, parts, t);
            if (begin < end)
                fn(begin, end, t);
        });
    }

    /// The [begin, end) range of part `index` of `parts` over [0, n), aligned to `grain`.
    static std::pair<std::int64_t, std::int64_t> chunk(std::int64_t n, std::int64_t grain, int parts, int index);

private:
    using Job = void (*)(void*, int);
    void dispatch(Job job, void* context);
    void workerLoop(int index);

    int m_size;
    int m_spinIterations;
    std::vector<std::thread> m_threads;
    Job m_job = nullptr;
    void* m_context = nullptr;
    alignas(64) std::atomic<std::uint32_t> m_generation {0};
    alignas(64) std::atomic<int> m_pending {0};
    std::atomic<bool> m_stop {false};
};

} // namespace lwb::engine::cpu
