// A synthetic but plausible training trace for tests, benchmarks and the demo: per step a
// "step N" marker with forward/backward/optimizer ranges on the main CPU thread, aten-like ops
// holding cudaLaunchKernel calls, kernels on a compute stream (and NCCL/copy streams) linked by
// correlation ids, a data-loader thread. Kernel mixes and durations depend on the seed.
#include "lwb/ui/timeline_source.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace lwb::ui {

namespace {

/// splitmix64: small, fast, reproducible across platforms.
struct Rng {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

struct KernelKind {
    const char* name;
    const char* op;
    double meanUs;
    int weight;
    const char* grid;
};

constexpr std::array<KernelKind, 14> kKernels {{
    {"ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_64x3_tn", "aten::linear", 38, 10,
        "grid 96x4x1 block 256x1x1"},
    {"ampere_bf16_s16816gemm_bf16_64x64_sliced1x2_ldg8_f2f_nn", "aten::matmul", 21, 8, "grid 64x8x1 block 128x1x1"},
    {"flash_fwd_kernel<Flash_fwd_kernel_traits<64, 128, 64, 4>>", "aten::scaled_dot_product_attention", 46, 4,
        "grid 8x12x16 block 128x1x1"},
    {"flash_bwd_dq_dk_dv_loop_kernel", "aten::_efficient_attention_backward", 88, 3, "grid 8x12x16 block 256x1x1"},
    {"vectorized_layer_norm_kernel<c10::BFloat16, float>", "aten::layer_norm", 6, 8, "grid 2048x1x1 block 128x1x1"},
    {"layer_norm_grad_input_kernel", "aten::native_layer_norm_backward", 9, 5, "grid 2048x1x1 block 256x1x1"},
    {"softmax_warp_forward<c10::BFloat16, float, 10>", "aten::_softmax", 5, 4, "grid 512x1x1 block 128x1x1"},
    {"elementwise_kernel<128, 2, add_kernel_cuda>", "aten::add", 2.5, 14, "grid 1024x1x1 block 128x1x1"},
    {"vectorized_elementwise_kernel<4, GeluCUDAKernelImpl>", "aten::gelu", 4, 6, "grid 1536x1x1 block 128x1x1"},
    {"vectorized_elementwise_kernel<4, GeluBackwardCUDAKernelImpl>", "aten::gelu_backward", 5, 4,
        "grid 1536x1x1 block 128x1x1"},
    {"multi_tensor_apply_kernel<AdamFunctor<float>>", "optimizer.step", 14, 2, "grid 320x1x1 block 512x1x1"},
    {"cross_entropy_loss_fwd_kernel", "aten::cross_entropy", 11, 1, "grid 256x1x1 block 512x1x1"},
    {"reduce_kernel<512, 1, ReduceOp<float, sum>>", "aten::sum", 3, 5, "grid 128x1x1 block 512x1x1"},
    {"cast_kernel<float, c10::BFloat16>", "aten::to", 1.5, 9, "grid 512x1x1 block 128x1x1"},
}};

} // namespace

std::shared_ptr<const TimelineSource> makeSyntheticTimeline(const SyntheticTraceOptions& options)
{
    Rng rng {options.seed * 0x2545F4914F6CDD1Dull + 17};
    InMemoryTimelineBuilder b;
    const int gpuStreams = std::max(1, options.gpuStreams);
    const int cpuThreads = std::max(1, options.cpuThreads);
    std::vector<int> cpu;
    for (int t = 0; t < cpuThreads; ++t)
        cpu.push_back(
            b.addTrack(t == 0 ? "CPU thread 0 (main)" : "CPU thread " + std::to_string(t) + " (data loader)", "CPU"));
    std::vector<int> gpu;
    static constexpr std::array<int, 6> kStreamIds {7, 13, 14, 15, 16, 17};
    for (int s = 0; s < gpuStreams; ++s)
        gpu.push_back(b.addTrack(
            "GPU 0 stream " + std::to_string(kStreamIds[static_cast<std::size_t>(s % 6)] + 8 * (s / 6)), "GPU 0"));

    int totalWeight = 0;
    for (const auto& k : kKernels)
        totalWeight += k.weight;
    std::array<std::uint32_t, kKernels.size()> kernelName {}, opName {}, gridText {};
    for (std::size_t i = 0; i < kKernels.size(); ++i) {
        kernelName[i] = b.intern(kKernels[i].name);
        opName[i] = b.intern(kKernels[i].op);
        gridText[i] = b.intern(kKernels[i].grid);
    }
    const std::uint32_t launchName = b.intern("cudaLaunchKernel");
    const std::uint32_t memcpyName = b.intern("Memcpy HtoD (Pinned -> Device)");
    const std::uint32_t ncclName = b.intern("ncclDevKernel_AllReduce_Sum_bf16_RING_LL");
    const std::uint32_t syncName = b.intern("cudaStreamSynchronize");
    const std::uint32_t loadName = b.intern("DataLoader.__next__");
    const std::uint32_t collateName = b.intern("collate_fn");
    const std::array<std::uint32_t, 3> phaseName {b.intern("forward"), b.intern("backward"), b.intern("optimizer")};

    const int steps = std::max(1, options.steps);
    // Records per launch group: op + launch + kernel (~3); other records are few.
    const std::int64_t groupsPerStep = std::max<std::int64_t>(4, options.records / steps / 3);
    std::vector<std::int64_t> streamFree(static_cast<std::size_t>(gpuStreams), 0);
    std::int64_t t = 5'000;
    std::uint32_t correlation = 1;
    std::int64_t produced = 0;
    // Mean kernel time tracks launch pace so the GPU is busy but not infinitely queued.
    for (int step = 0; step < steps; ++step) {
        if (options.progress && !options.progress(static_cast<double>(step) / steps))
            return nullptr;
        const std::int64_t stepStart = t;
        // The main thread waits for the next batch; the GPU idles meanwhile (the gap between steps).
        const std::int64_t wait = 1'500'000 + rng.below(1'500'000);
        b.addItem(cpu[0], {t + 2'000, t + wait, b.intern("DataLoader wait"), 0, 0, ItemCategory::Sync});
        t += wait + 5'000;
        ++produced;
        // Host -> device copy of the batch on the last stream (or the compute stream).
        const int copyStream = gpu.back();
        const std::int64_t copyStart = std::max(t, streamFree.back());
        b.addItem(copyStream,
            {copyStart, copyStart + 180'000 + static_cast<std::int64_t>(rng.below(40'000)), memcpyName, 0, 0,
                ItemCategory::Memcpy});
        streamFree.back() = copyStart + 220'000;
        ++produced;
        t += 20'000;
        for (int phase = 0; phase < 3; ++phase) {
            const std::int64_t phaseStart = t;
            const std::int64_t groups = phase == 0 ? groupsPerStep * 2 / 5
                : phase == 1                       ? groupsPerStep * 5 / 10
                                                   : groupsPerStep / 10;
            for (std::int64_t g = 0; g < groups; ++g) {
                int pick = rng.below(totalWeight);
                std::size_t k = 0;
                while (pick >= kKernels[k].weight)
                    pick -= kKernels[k++].weight;
                const std::int64_t opStart = t;
                t += 1'500 + rng.below(2'000);
                const int launches = 1 + (rng.below(4) == 0 ? 1 : 0);
                for (int l = 0; l < launches; ++l) {
                    const std::int64_t launchStart = t;
                    const std::int64_t launchEnd = launchStart + 2'500 + rng.below(3'000);
                    b.addItem(cpu[0], {launchStart, launchEnd, launchName, correlation, 0, ItemCategory::Api});
                    const int s = (gpuStreams > 2 && rng.below(10) == 0) ? 1 + rng.below(gpuStreams - 1) : 0;
                    auto& free = streamFree[static_cast<std::size_t>(s)];
                    const std::int64_t kStart = std::max(launchEnd + 3'000, free + 1'000 + rng.below(1'500));
                    const double jitter = 0.6 + 0.8 * rng.uniform();
                    const auto kDur = static_cast<std::int64_t>(kKernels[k].meanUs * 450.0 * jitter);
                    b.addItem(gpu[static_cast<std::size_t>(s)],
                        {kStart, kStart + kDur, kernelName[k], correlation, gridText[k], ItemCategory::Kernel});
                    free = kStart + kDur;
                    ++correlation;
                    t = launchEnd + 500;
                    produced += 2;
                }
                t += 1'000 + rng.below(1'500);
                b.addItem(cpu[0], {opStart, t, opName[k], 0, 0, ItemCategory::CpuOp});
                ++produced;
            }
            b.addItem(cpu[0], {phaseStart, t, phaseName[static_cast<std::size_t>(phase)], 0, 0, ItemCategory::Marker});
            ++produced;
            if (phase == 1 && gpuStreams > 1) {
                // Gradient all-reduce on its own stream, overlapping the end of backward.
                auto& free = streamFree[1];
                const std::int64_t s0 = std::max(t - 400'000, free);
                b.addItem(gpu[1], {s0, s0 + 350'000 + rng.below(80'000), ncclName, 0, 0, ItemCategory::Kernel});
                free = s0 + 430'000;
                ++produced;
            }
        }
        // Wait for the GPU, then the step ends.
        std::int64_t gpuDone = 0;
        for (auto f : streamFree)
            gpuDone = std::max(gpuDone, f);
        const std::int64_t syncEnd = std::max(t + 2'000, gpuDone + 4'000);
        b.addItem(cpu[0], {t, syncEnd, syncName, 0, 0, ItemCategory::Sync});
        t = syncEnd + 3'000;
        b.addItem(cpu[0], {stepStart, t, b.intern("step " + std::to_string(step)), 0, 0, ItemCategory::Marker});
        produced += 2;
        // The data loader prepares the next batch meanwhile.
        for (std::size_t th = 1; th < cpu.size(); ++th) {
            std::int64_t l0 = stepStart + static_cast<std::int64_t>(th) * 50'000;
            std::int64_t l1 = l0 + (t - stepStart) / 3;
            b.addItem(cpu[th], {l0, l1, loadName, 0, 0, ItemCategory::CpuOp});
            b.addItem(cpu[th], {l0 + 10'000, l1 - 10'000, collateName, 0, 0, ItemCategory::CpuOp});
            produced += 2;
        }
    }
    (void)produced;
    if (options.progress && !options.progress(1.0))
        return nullptr;
    return b.finish();
}

} // namespace lwb::ui
