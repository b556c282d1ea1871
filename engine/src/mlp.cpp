// MLP classifier (see mlp.h): forward z_i = h_i W_iᵀ + b_i, h_{i+1} = gelu(z_i); backward in
// reverse with the activation dtype of the precision for matmul operands.
#include "lwb/engine/mlp.h"

#include "lwb/core/json_yaml.h"
#include "lwb/engine/safetensors.h"

#include <cmath>
#include <fmt/core.h>
#include <random>

namespace lwb::engine {

std::vector<std::int64_t> MlpConfig::widths() const
{
    std::vector<std::int64_t> w {inputDim};
    for (std::int64_t i = 0; i < nLayer; ++i)
        w.push_back(hiddenDim);
    w.push_back(classes);
    return w;
}

std::int64_t MlpConfig::parameterCount() const
{
    auto w = widths();
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < w.size(); ++i)
        n += w[i] * w[i + 1] + w[i + 1];
    return n;
}

Status MlpConfig::validate() const
{
    if (inputDim < 1 || hiddenDim < 1 || nLayer < 0 || classes < 2)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("MLP needs input_dim >= 1, hidden_dim >= 1, n_layer >= 0 and classes >= 2 (got {}, {}, {}, {})",
                inputDim, hiddenDim, nLayer, classes),
            LWB_WHERE);
    return {};
}

MlpTensors MlpTensors::of(const Tensor& flat, const MlpConfig& config)
{
    MlpTensors t;
    auto w = config.widths();
    std::int64_t off = 0;
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        t.weights.push_back(flat.view(off, {w[i + 1], w[i]}));
        off += w[i] * w[i + 1];
        t.biases.push_back(flat.view(off, {w[i + 1]}));
        off += w[i + 1];
    }
    return t;
}

std::vector<std::pair<std::string, Tensor>> MlpTensors::named() const
{
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        out.emplace_back(fmt::format("layers.{}.weight", i), weights[i]);
        out.emplace_back(fmt::format("layers.{}.bias", i), biases[i]);
    }
    return out;
}

Result<std::unique_ptr<MlpModel>> MlpModel::create(Backend& backend, const MlpConfig& config)
{
    LWB_RETURN_IF_ERROR(config.validate());
    std::unique_ptr<MlpModel> m(new MlpModel(backend, config));
    LWB_ASSIGN_OR_RETURN(m->m_flat, backend.allocate({config.parameterCount()}, DType::F32, MemoryKind::Parameters));
    m->m_tensors = MlpTensors::of(m->m_flat, config);
    return m;
}

Status MlpModel::initRandom(std::uint64_t seed)
{
    if (!m_flat.data())
        return {};
    std::vector<float> host(static_cast<std::size_t>(m_flat.numel()));
    std::mt19937_64 rng(seed);
    auto w = m_config.widths();
    std::size_t off = 0;
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        float bound = 1.0f / std::sqrt(static_cast<float>(w[i]));
        std::uniform_real_distribution<float> u(-bound, bound);
        for (std::int64_t k = 0; k < w[i] * w[i + 1] + w[i + 1]; ++k)
            host[off++] = u(rng);
    }
    m_backend.copyFromHost(m_flat, host.data());
    return m_backend.synchronize();
}

Status MlpModel::save(const std::filesystem::path& path) const
{
    std::vector<float> host(static_cast<std::size_t>(m_flat.numel()));
    m_backend.copyToHost(host.data(), m_flat);
    LWB_RETURN_IF_ERROR(m_backend.synchronize());
    std::vector<SafetensorsRecord> records;
    const char* base = static_cast<const char*>(m_flat.data());
    for (const auto& [name, t] : m_tensors.named()) {
        SafetensorsRecord r {name, DType::F32, {}, nullptr};
        for (int i = 0; i < t.rank(); ++i)
            r.shape.push_back(t.dim(i));
        r.data = host.data() + (static_cast<const char*>(t.data()) - base) / static_cast<std::ptrdiff_t>(sizeof(float));
        records.push_back(std::move(r));
    }
    return writeSafetensors(path, records, {{"format", "lepton-workbench-mlp"}});
}

Status MlpModel::load(const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::read(path));
    for (const auto& [name, t] : m_tensors.named()) {
        const auto* e = file.find(name);
        std::vector<std::int64_t> want;
        for (int i = 0; i < t.rank(); ++i)
            want.push_back(t.dim(i));
        if (!e)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("weights file {} has no tensor '{}'", path.string(), name), LWB_WHERE);
        if (e->shape != want)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("tensor '{}' in {} has shape {} but the model expects {}", name, path.string(),
                    Json(e->shape).dump(), Json(want).dump()),
                LWB_WHERE);
        auto values = file.toFloats(*e);
        m_backend.copyFromHost(t, values.data());
    }
    return m_backend.synchronize();
}

Result<std::unique_ptr<MlpWeights>> MlpWeights::create(
    Backend& backend, const MlpConfig& config, Precision precision, WeightUse use, std::vector<std::int64_t> rowHints)
{
    const DType dtype = weightDType(precision);
    if (!backend.supports(Op::Matmul, dtype)
        || (use == WeightUse::Training && !backend.supports(Op::MatmulWeightGrad, dtype)))
        return fail(ErrorCode::Unsupported,
            fmt::format("precision {} is not supported{} by the {} backend on this machine", precisionName(precision),
                use == WeightUse::Training ? " for training" : "", backend.name()),
            LWB_WHERE);
    auto w = std::make_unique<MlpWeights>();
    w->m_precision = precision;
    auto widths = config.widths();
    for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
        LWB_ASSIGN_OR_RETURN(
            auto f, backend.createPackedWeight({widths[i + 1], widths[i], dtype, WeightLayout::Transposed, rowHints}));
        w->forward.push_back(std::move(f));
        if (use == WeightUse::Training && i > 0) { // the first layer needs no gradient w.r.t. the input
            LWB_ASSIGN_OR_RETURN(
                auto b, backend.createPackedWeight({widths[i], widths[i + 1], dtype, WeightLayout::Plain, rowHints}));
            w->backward.push_back(std::move(b));
        } else {
            w->backward.push_back(nullptr);
        }
    }
    return w;
}

void MlpWeights::pack(Backend& backend, const MlpModel& model, int index, int parts)
{
    int item = 0;
    for (std::size_t i = 0; i < forward.size(); ++i) {
        if (item++ % parts == index)
            backend.packWeight(*forward[i], model.tensors().weights[i]);
        if (backward[i] && item++ % parts == index)
            backend.packWeight(*backward[i], model.tensors().weights[i]);
    }
}

Result<std::unique_ptr<MlpRunner>> MlpRunner::create(
    Backend& backend, const MlpModel& model, const MlpWeights& weights, std::int64_t batch, WeightUse use)
{
    std::unique_ptr<MlpRunner> r(new MlpRunner(backend, model, weights));
    const auto widths = model.config().widths();
    const std::int64_t B = batch;
    r->m_B = B;
    r->m_act = activationDType(weights.precision());
    auto act = [&](Shape s, DType d) { return backend.allocate(s, d, MemoryKind::Activations); };
    LWB_ASSIGN_OR_RETURN(r->m_x, act({B, widths[0]}, DType::F32));
    LWB_ASSIGN_OR_RETURN(r->m_y, act({B}, DType::I32));
    LWB_ASSIGN_OR_RETURN(r->m_losses, act({B}, DType::F32));
    LWB_ASSIGN_OR_RETURN(r->m_pred, act({B}, DType::I32));
    if (r->m_act == DType::F32) {
        r->m_h.push_back(r->m_x);
    } else {
        LWB_ASSIGN_OR_RETURN(auto h0, act({B, widths[0]}, r->m_act));
        r->m_h.push_back(std::move(h0));
    }
    std::int64_t maxWidth = 0;
    for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
        LWB_ASSIGN_OR_RETURN(auto z, act({B, widths[i + 1]}, DType::F32));
        r->m_z.push_back(std::move(z));
        if (i + 2 < widths.size()) {
            LWB_ASSIGN_OR_RETURN(auto h, act({B, widths[i + 1]}, r->m_act));
            r->m_h.push_back(std::move(h));
        }
        maxWidth = std::max(maxWidth, widths[i + 1]);
    }
    if (use == WeightUse::Training) {
        LWB_ASSIGN_OR_RETURN(r->m_dh, act({B * maxWidth}, DType::F32));
        for (int k = 0; k < 2; ++k) {
            LWB_ASSIGN_OR_RETURN(auto dz, act({B * maxWidth}, r->m_act));
            r->m_dz.push_back(std::move(dz));
        }
        if (r->m_act != DType::F32) {
            LWB_ASSIGN_OR_RETURN(r->m_dlogitsAct, act({B, widths.back()}, r->m_act));
        }
        LWB_ASSIGN_OR_RETURN(
            r->m_gradFlat, backend.allocate({model.config().parameterCount()}, DType::F32, MemoryKind::Gradients));
        r->m_grads = MlpTensors::of(r->m_gradFlat, model.config());
        for (std::size_t i = 0; i + 1 < widths.size(); ++i)
            LWB_RETURN_IF_ERROR(backend.prepareWeightGrad(B, widths[i + 1], widths[i], r->m_act));
    }
    r->m_hostLosses.resize(static_cast<std::size_t>(B));
    r->m_hostPred.resize(static_cast<std::size_t>(B));
    return r;
}

Status MlpRunner::forward(const float* x)
{
    Backend& be = m_backend;
    const auto& t = m_model.tensors();
    be.copyFromHost(m_x, x);
    if (m_act != DType::F32)
        be.convert(m_h[0], m_x);
    const std::size_t layers = m_z.size();
    for (std::size_t i = 0; i < layers; ++i) {
        be.matmul(m_z[i], m_h[i], *m_weights.forward[i], t.biases[i], Accumulate::Overwrite);
        if (i + 1 < layers)
            be.geluForward(m_h[i + 1], m_z[i]);
    }
    return {};
}

Result<double> MlpRunner::forwardBackward(const float* x, const std::int32_t* y, Accumulate gradMode, float lossScale)
{
    Backend& be = m_backend;
    const auto widths = m_model.config().widths();
    const std::size_t layers = m_z.size();
    LWB_RETURN_IF_ERROR(forward(x));
    be.copyFromHost(m_y, y);
    Tensor dlogits = m_act == DType::F32 ? m_z.back() : m_dlogitsAct;
    be.crossEntropy(m_losses, dlogits, m_z.back(), m_y, widths.back(), lossScale);
    be.copyToHost(m_hostLosses.data(), m_losses);
    Tensor dz = dlogits;
    for (std::size_t i = layers; i-- > 0;) {
        be.matmulWeightGrad(m_grads.weights[i], dz, m_h[i], gradMode);
        be.biasGrad(m_grads.biases[i], dz, gradMode);
        if (i == 0)
            break;
        Tensor dh = m_dh.view(0, {m_B, widths[i]});
        be.matmul(dh, dz, *m_weights.backward[i], Tensor(), Accumulate::Overwrite);
        Tensor next = m_dz[i % 2].view(0, {m_B, widths[i]});
        be.geluBackward(next, m_z[i - 1], dh);
        dz = next;
    }
    LWB_RETURN_IF_ERROR(be.synchronize());
    double sum = 0;
    for (float v : m_hostLosses)
        sum += v;
    return sum / static_cast<double>(m_B);
}

Result<std::pair<double, std::int64_t>> MlpRunner::evaluate(const float* x, const std::int32_t* y)
{
    Backend& be = m_backend;
    LWB_RETURN_IF_ERROR(forward(x));
    be.copyFromHost(m_y, y);
    be.crossEntropy(m_losses, Tensor(), m_z.back(), m_y, m_model.config().classes, 1.0f);
    be.argmax(m_pred, m_z.back(), m_model.config().classes);
    be.copyToHost(m_hostLosses.data(), m_losses);
    be.copyToHost(m_hostPred.data(), m_pred);
    LWB_RETURN_IF_ERROR(be.synchronize());
    double sum = 0;
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < m_B; ++i) {
        sum += m_hostLosses[static_cast<std::size_t>(i)];
        correct += m_hostPred[static_cast<std::size_t>(i)] == y[i] ? 1 : 0;
    }
    return std::pair {sum / static_cast<double>(m_B), correct};
}

Result<std::vector<std::int32_t>> MlpRunner::predict(const float* x)
{
    Backend& be = m_backend;
    LWB_RETURN_IF_ERROR(forward(x));
    be.argmax(m_pred, m_z.back(), m_model.config().classes);
    be.copyToHost(m_hostPred.data(), m_pred);
    LWB_RETURN_IF_ERROR(be.synchronize());
    return m_hostPred;
}

} // namespace lwb::engine
