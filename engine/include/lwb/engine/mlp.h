// MLP classifier: inputDim -> nLayer hidden layers of hiddenDim with GELU-tanh -> classes,
// cross-entropy loss (the peer's MLP-S is 784-512-512-10, MLP-L 1024-4096-4096-1024). Parameters
// in one flat F32 buffer (w0, b0, w1, b1, ...), weights [out, in] like torch.nn.Linear.
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/backend.h"
#include "lwb/engine/gpt.h"
#include "lwb/engine/precision.h"

#include <filesystem>
#include <memory>
#include <vector>

namespace lwb::engine {

struct MlpConfig {
    std::int64_t inputDim = 784;
    std::int64_t hiddenDim = 512;
    std::int64_t nLayer = 2; ///< hidden layers
    std::int64_t classes = 10;
    /// Layer widths from input to output (nLayer + 2 entries).
    std::vector<std::int64_t> widths() const;
    std::int64_t parameterCount() const;
    Status validate() const;
};

struct MlpTensors {
    std::vector<Tensor> weights, biases;
    static MlpTensors of(const Tensor& flat, const MlpConfig& config);
    /// ("layers.0.weight", w0), ("layers.0.bias", b0), ...
    std::vector<std::pair<std::string, Tensor>> named() const;
};

class MlpModel {
public:
    static Result<std::unique_ptr<MlpModel>> create(Backend& backend, const MlpConfig& config);
    const MlpConfig& config() const { return m_config; }
    const Tensor& flat() const { return m_flat; }
    const MlpTensors& tensors() const { return m_tensors; }
    /// torch.nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.
    Status initRandom(std::uint64_t seed);
    Status save(const std::filesystem::path& path) const;
    Status load(const std::filesystem::path& path);

private:
    MlpModel(Backend& backend, MlpConfig config)
        : m_backend(backend)
        , m_config(std::move(config))
    {
    }
    Backend& m_backend;
    MlpConfig m_config;
    Tensor m_flat;
    MlpTensors m_tensors;
};

class MlpWeights {
public:
    static Result<std::unique_ptr<MlpWeights>> create(Backend& backend, const MlpConfig& config, Precision precision,
        WeightUse use, std::vector<std::int64_t> rowHints);
    void pack(Backend& backend, const MlpModel& model, int index = 0, int parts = 1);
    Precision precision() const { return m_precision; }
    std::vector<std::unique_ptr<PackedWeight>> forward, backward;

private:
    Precision m_precision = Precision::Fp32;
};

/// One replica's activations and gradients for batches of `batch` samples; also inference.
class MlpRunner {
public:
    static Result<std::unique_ptr<MlpRunner>> create(
        Backend& backend, const MlpModel& model, const MlpWeights& weights, std::int64_t batch, WeightUse use);
    /// x [B, inputDim], y [B] host arrays; returns the mean loss; gradients per gradMode.
    Result<double> forwardBackward(const float* x, const std::int32_t* y, Accumulate gradMode, float lossScale);
    /// Forward only: mean loss and the number of correct argmax predictions.
    Result<std::pair<double, std::int64_t>> evaluate(const float* x, const std::int32_t* y);
    /// Forward only: predicted classes.
    Result<std::vector<std::int32_t>> predict(const float* x);
    const Tensor& gradients() const { return m_gradFlat; }
    const MlpTensors& gradientTensors() const { return m_grads; }

private:
    MlpRunner(Backend& backend, const MlpModel& model, const MlpWeights& weights)
        : m_backend(backend)
        , m_model(model)
        , m_weights(weights)
    {
    }
    Status forward(const float* x);

    Backend& m_backend;
    const MlpModel& m_model;
    const MlpWeights& m_weights;
    std::int64_t m_B = 0;
    DType m_act = DType::F32;
    Tensor m_x, m_y, m_losses, m_pred, m_gradFlat, m_dh, m_dlogitsAct;
    std::vector<Tensor> m_h, m_z, m_dz;
    MlpTensors m_grads;
    std::vector<float> m_hostLosses;
    std::vector<std::int32_t> m_hostPred;
};

} // namespace lwb::engine
