// Pieces shared by the built-in workloads: knob builders and readers, the replica set (one
// backend per replica sharing one device memory tracker, a thread per replica), the two-pass
// memory planning that makes out-of-memory happen before anything is allocated, the
// data-parallel optimiser step (reduce-scatter, global grad-norm clip, AdamW by chunks, dynamic
// loss scaling for fp16), the learning-rate schedule and percentiles.
#pragma once

#include "lwb/engine/backend.h"
#include "lwb/engine/precision.h"
#include "lwb/engine/workload.h"

#include "cpu/thread_pool.h"
#include "workloads/gradient_buckets.h"
#include "workloads/loss_scaler.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lwb::engine::detail {

// ---- knobs -----------------------------------------------------------------------------------

KnobSpec intKnob(std::string name, std::string description, std::int64_t value, double min, double max,
    KnobScale scale = KnobScale::Linear, std::string unit = "");
KnobSpec floatKnob(std::string name, std::string description, double value, double min, double max,
    KnobScale scale = KnobScale::Linear, std::string unit = "");
KnobSpec choiceKnob(std::string name, std::string description, std::string value, std::vector<std::string> choices);
/// A free-text knob (a file path): categorical with no choices; not searchable.
KnobSpec textKnob(std::string name, std::string description);

enum class Purpose { Training, Inference };
/// backend, precision (with supportedByBackend from the registry), threads, replicas (and for
/// inference its name `streams`), batch_size, memory_limit, seed, checkpoint, and the
/// backend-specific knobs (backendSettingKnobs()).
std::vector<KnobSpec> commonKnobs(Purpose purpose, std::int64_t defaultBatch);
/// Backend -> precisions it runs for `purpose` on this machine (tf32: backends with fp32_math).
std::map<std::string, std::vector<std::string>> supportedPrecisions(Purpose purpose);
/// The knobs backends read from BackendOptions::settings, in every build that compiles the
/// backend (cuda_device, fp32_math, cuda_graphs, pinned_memory, prefetch_depth with CUDA). Every
/// registered backend that does not read a knob accepts only its default (supportedByBackend), so
/// such a knob is Unsupported, not silently ignored, where it would do nothing.
std::vector<KnobSpec> backendSettingKnobs();
/// Base resolve + the backend checks of every knob (Unsupported when the backend cannot run a
/// value) + the inference alias replicas = streams.
Result<Config> resolveCommon(const Workload& workload, const Config& partial, Purpose purpose);
/// The model precision of the `precision` knob: tf32 runs the fp32 model with TF32 matmuls.
Result<Precision> modelPrecision(const Config& config);
/// The backend settings of a resolved configuration: its backend-specific knobs, with
/// fp32_math = tf32 when precision is tf32.
BackendSettings backendSettings(const Config& config);

/// n_layer, n_embd, n_head, seq_len (GPT model shape knobs) and their cross-check.
std::vector<KnobSpec> gptModelKnobs();
Status checkGptShape(const Config& config);
std::int64_t intValue(const Config& config, const std::string& name);
double floatValue(const Config& config, const std::string& name);
std::string textValue(const Config& config, const std::string& name);

// ---- replicas and memory planning ------------------------------------------------------------

/// Where replicas run: all on one device (CPU threads, or concurrent streams on one GPU, sharing
/// the weights and one memory tracker), or each on its own GPU (cuda_device + r) with its own
/// weights, tracker and optimiser state (multi-GPU data parallelism, see multi_gpu.h).
enum class ReplicaPlacement : std::uint8_t { SharedDevice, DevicePerReplica };

/// The device state of a session: backends (one per replica) over one memory tracker.
struct ReplicaSet {
    std::shared_ptr<MemoryTracker> tracker; ///< replica 0's device (every device with DevicePerReplica)
    ReplicaPlacement placement = ReplicaPlacement::SharedDevice;
    std::vector<std::unique_ptr<Backend>> backends;
    std::unique_ptr<cpu::ThreadPool> pool; ///< one thread per replica (the caller is replica 0)
    int threads = 1;
    Backend& primary() { return *backends.front(); }
    int size() const { return static_cast<int>(backends.size()); }
    /// Runs fn(replica) on every replica's thread; returns the first error.
    Status run(const std::function<Status(int)>& fn);
};

/// What the replicas run on: backend, threads per replica, replica count, backend settings.
struct DeviceSetup {
    std::string backend = "cpu";
    int threads = 1;
    int replicas = 1;
    BackendSettings settings;
    ReplicaPlacement placement = ReplicaPlacement::SharedDevice;
};
/// The device setup of a resolved configuration (backend, threads, replicas, backendSettings()).
DeviceSetup deviceSetup(const Config& config);

Result<ReplicaSet> makeReplicas(const DeviceSetup& setup, std::shared_ptr<MemoryTracker> tracker);

/// Runs `allocate` once in a planning pass (nothing is allocated, only counted) and fails with
/// OutOfMemory when the footprint exceeds `limitBytes` (> 0); otherwise returns a real
/// ReplicaSet on which the caller allocates for real. `allocate` must only allocate.
Result<ReplicaSet> planMemory(const DeviceSetup& setup, std::int64_t limitBytes,
    const std::function<Status(ReplicaSet&)>& allocate, std::int64_t* plannedBytes);

// ---- training --------------------------------------------------------------------------------

struct TrainHyper {
    double lr = 6e-4;
    std::int64_t warmupSteps = 10;
    std::int64_t maxSteps = 1000;
    double minLrFraction = 0.1;
    double weightDecay = 0.1;
    double gradClip = 1.0; ///< 0: no clipping
    double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
};
/// Linear warmup to lr over warmupSteps, then cosine decay to minLrFraction * lr at maxSteps
/// (0-based step; the PyTorch peer's schedule).
double learningRate(const TrainHyper& hyper, std::int64_t step);

/// What one optimiser step did.
struct OptimizerStepResult {
    double gradNorm = 0; ///< global gradient norm before clipping, unscaled (NaN/inf when skipped)
    bool applied = true; ///< false: skipped on an fp16 overflow (weights and moments unchanged)
    float lossScale = 1; ///< the loss scale this step's gradients carried
};

/// Whether the optimiser drives dynamic loss scaling (fp16 training) or not.
enum class LossScaling : std::uint8_t { Off, Dynamic };

/// One optimiser update across replicas: grads of replica r are summed into replica 0's buffer
/// chunk by chunk (replica r owns chunk r), the global norm is reduced in replica order, then
/// each replica clips and applies AdamW to its chunk. Without loss scaling a non-finite norm is
/// NumericalError (the update is skipped). With dynamic loss scaling the caller multiplies the
/// loss gradient by lossScale(); a non-finite norm (an fp16 overflow somewhere) skips the step
/// and halves the scale, otherwise the norm is divided by the scale and AdamW gets
/// gradScale = clip / scale, which is exactly the unscaled update (powers of two).
///
/// With replicas on separate devices (DevicePerReplica) every replica has its own parameters and
/// moments: the gradients are all-reduced by a GradientAllReduce (whose buckets the workload
/// launches during the backward pass; step() waits for them), every replica computes the same
/// norm from identical gradients, replica 0's decides clipping and skipping for all, and each
/// replica applies the same AdamW step to its whole copy, so the copies stay identical.
class DataParallelOptimizer {
public:
    static Result<DataParallelOptimizer> create(ReplicaSet& replicas, const Tensor& params, std::vector<Tensor> grads,
        LossScaling scaling = LossScaling::Off, DynamicLossScaler::Settings scalerSettings = {});
    /// DevicePerReplica: params[r] and grads[r] live on replica r's device.
    static Result<DataParallelOptimizer> createPerDevice(ReplicaSet& replicas, std::vector<Tensor> params,
        std::vector<Tensor> grads, LossScaling scaling = LossScaling::Off,
        DynamicLossScaler::Settings scalerSettings = {});
    /// The all-reduce step() waits for before reading gradients (DevicePerReplica; not owned).
    void setAllReduce(GradientAllReduce* allReduce) { m_allReduce = allReduce; }
    /// The factor the loss gradient of the next step must carry (1 without loss scaling).
    float lossScale() const { return m_scaling == LossScaling::Dynamic ? m_scaler.scale() : 1.0f; }
    std::int64_t skippedSteps() const { return m_scaler.skippedSteps(); }
    Result<OptimizerStepResult> step(
        ReplicaSet& replicas, std::int64_t step, double lr, const TrainHyper& hyper, OpObserver* observer);

private:
    /// Clipping, unscaling and skipping from the (scaled) norm; fills `step` when applied.
    Result<OptimizerStepResult> decide(
        double scaledNorm, std::int64_t step, double lr, const TrainHyper& hyper, AdamWStep& adamw);
    Result<OptimizerStepResult> stepPerDevice(
        ReplicaSet& replicas, std::int64_t step, double lr, const TrainHyper& hyper);

    Tensor m_params, m_m, m_v;
    std::vector<Tensor> m_grads, m_norms;
    std::vector<Tensor> m_replicaParams, m_replicaM, m_replicaV; ///< DevicePerReplica
    GradientAllReduce* m_allReduce = nullptr;
    LossScaling m_scaling = LossScaling::Off;
    DynamicLossScaler m_scaler;
};

// ---- statistics ------------------------------------------------------------------------------

/// Linear-interpolated percentile (q in [0, 100]) of a copy of `values`.
double percentile(std::vector<double> values, double q);
/// Catches exceptions at the library boundary.
template <typename F> auto guarded(F&& fn) -> decltype(fn())
{
    try {
        return fn();
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, std::string("unexpected exception: ") + e.what(), LWB_WHERE);
    }
}

} // namespace lwb::engine::detail
