// GptConfig, the flat parameter layout, GptModel (init, safetensors save/load), packed weight
// sets (GptWeights) and the precision helpers. Training and generation are in gpt_train.cpp and
// gpt_generate.cpp.
#include "lwb/engine/gpt.h"

#include "lwb/core/json_yaml.h"
#include "lwb/engine/safetensors.h"

#include <cmath>
#include <fmt/core.h>
#include <random>

namespace lwb::engine {

// ---- precision -------------------------------------------------------------------------------

std::string_view precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Fp32:
        return "fp32";
    case Precision::Bf16:
        return "bf16";
    case Precision::Fp16:
        return "fp16";
    case Precision::Int8:
        return "int8";
    }
    return "?";
}

Result<Precision> parsePrecision(std::string_view name)
{
    for (auto p : {Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Int8})
        if (precisionName(p) == name)
            return p;
    return fail(ErrorCode::InvalidArgument, fmt::format("unknown precision '{}' (known: fp32, bf16, fp16, int8)", name),
        LWB_WHERE);
}

DType weightDType(Precision precision)
{
    switch (precision) {
    case Precision::Fp32:
        return DType::F32;
    case Precision::Bf16:
        return DType::BF16;
    case Precision::Fp16:
        return DType::F16;
    case Precision::Int8:
        return DType::I8;
    }
    return DType::F32;
}

DType activationDType(Precision precision)
{
    switch (precision) {
    case Precision::Bf16:
        return DType::BF16;
    case Precision::Fp16:
        return DType::F16;
    default:
        return DType::F32;
    }
}

// ---- config and layout -----------------------------------------------------------------------

std::int64_t GptConfig::parameterCount() const
{
    const std::int64_t C = nEmbd, L = nLayer;
    return paddedVocab() * C + maxSeqLen * C
        + L * (2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + 4 * C * C + 4 * C + 4 * C * C + C) + 2 * C;
}

Status GptConfig::validate() const
{
    auto bad = [](std::string message) { return fail(ErrorCode::InvalidArgument, std::move(message), LWB_WHERE); };
    if (vocabSize < 2 || vocabSize > (1 << 20))
        return bad(fmt::format("vocab_size must be in [2, 1048576], got {}", vocabSize));
    if (maxSeqLen < 1)
        return bad(fmt::format("seq_len must be >= 1, got {}", maxSeqLen));
    if (nLayer < 1)
        return bad(fmt::format("n_layer must be >= 1, got {}", nLayer));
    if (nHead < 1 || nEmbd < 1 || nEmbd % nHead != 0)
        return bad(fmt::format("n_embd ({}) must be a positive multiple of n_head ({})", nEmbd, nHead));
    return {};
}

GptTensors GptTensors::of(const Tensor& flat, const GptConfig& cfg)
{
    const std::int64_t C = cfg.nEmbd, L = cfg.nLayer, Vp = cfg.paddedVocab();
    GptTensors t;
    std::int64_t off = 0;
    auto take = [&](Shape shape) {
        Tensor v = flat.view(off, shape);
        off += shape.numel();
        return v;
    };
    t.wte = take({Vp, C});
    t.wpe = take({cfg.maxSeqLen, C});
    Tensor ln1w = take({L, C}), ln1b = take({L, C}), qkvw = take({L, 3 * C, C}), qkvb = take({L, 3 * C});
    Tensor attprojw = take({L, C, C}), attprojb = take({L, C}), ln2w = take({L, C}), ln2b = take({L, C});
    Tensor fcw = take({L, 4 * C, C}), fcb = take({L, 4 * C}), fcprojw = take({L, C, 4 * C}), fcprojb = take({L, C});
    t.lnfw = take({C});
    t.lnfb = take({C});
    for (std::int64_t l = 0; l < L; ++l) {
        Layer layer;
        layer.ln1w = ln1w.view(l * C, {C});
        layer.ln1b = ln1b.view(l * C, {C});
        layer.qkvw = qkvw.view(l * 3 * C * C, {3 * C, C});
        layer.qkvb = qkvb.view(l * 3 * C, {3 * C});
        layer.attprojw = attprojw.view(l * C * C, {C, C});
        layer.attprojb = attprojb.view(l * C, {C});
        layer.ln2w = ln2w.view(l * C, {C});
        layer.ln2b = ln2b.view(l * C, {C});
        layer.fcw = fcw.view(l * 4 * C * C, {4 * C, C});
        layer.fcb = fcb.view(l * 4 * C, {4 * C});
        layer.fcprojw = fcprojw.view(l * 4 * C * C, {C, 4 * C});
        layer.fcprojb = fcprojb.view(l * C, {C});
        t.layers.push_back(std::move(layer));
    }
    return t;
}

std::vector<std::pair<std::string, Tensor>> GptTensors::named() const
{
    std::vector<std::pair<std::string, Tensor>> out {{"wte.weight", wte}, {"wpe.weight", wpe}};
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto& y = layers[l];
        const std::string p = fmt::format("h.{}.", l);
        out.insert(out.end(),
            {{p + "ln_1.weight", y.ln1w}, {p + "ln_1.bias", y.ln1b}, {p + "attn.c_attn.weight", y.qkvw},
                {p + "attn.c_attn.bias", y.qkvb}, {p + "attn.c_proj.weight", y.attprojw},
                {p + "attn.c_proj.bias", y.attprojb}, {p + "ln_2.weight", y.ln2w}, {p + "ln_2.bias", y.ln2b},
                {p + "mlp.c_fc.weight", y.fcw}, {p + "mlp.c_fc.bias", y.fcb}, {p + "mlp.c_proj.weight", y.fcprojw},
                {p + "mlp.c_proj.bias", y.fcprojb}});
    }
    out.insert(out.end(), {{"ln_f.weight", lnfw}, {"ln_f.bias", lnfb}});
    return out;
}

// ---- model -----------------------------------------------------------------------------------

Result<std::unique_ptr<GptModel>> GptModel::create(Backend& backend, const GptConfig& config)
{
    LWB_RETURN_IF_ERROR(config.validate());
    std::unique_ptr<GptModel> model(new GptModel(backend, config));
    LWB_ASSIGN_OR_RETURN(
        model->m_flat, backend.allocate({config.parameterCount()}, DType::F32, MemoryKind::Parameters));
    model->m_tensors = GptTensors::of(model->m_flat, config);
    return model;
}

Status GptModel::initRandom(std::uint64_t seed)
{
    const GptConfig& c = m_config;
    std::vector<float> host(static_cast<std::size_t>(c.parameterCount()), 0.0f);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    const float projStd = 0.02f / std::sqrt(2.0f * static_cast<float>(c.nLayer));
    std::normal_distribution<float> projNormal(0.0f, projStd);
    auto base = static_cast<const char*>(m_flat.data());
    auto offsetOf = [&](const Tensor& t) {
        return static_cast<std::size_t>(static_cast<const char*>(t.data()) - base) / sizeof(float);
    };
    auto fillWith = [&](const Tensor& t, auto& dist, std::int64_t count) {
        float* p = host.data() + offsetOf(t);
        for (std::int64_t i = 0; i < count; ++i)
            p[i] = dist(rng);
    };
    auto fillConst = [&](const Tensor& t, float v) {
        float* p = host.data() + offsetOf(t);
        for (std::int64_t i = 0; i < t.numel(); ++i)
            p[i] = v;
    };
    if (!m_flat.data()) // planning pass: nothing to initialise
        return {};
    fillWith(m_tensors.wte, normal, c.vocabSize * c.nEmbd); // padded rows stay zero
    fillWith(m_tensors.wpe, normal, m_tensors.wpe.numel());
    for (const auto& y : m_tensors.layers) {
        fillConst(y.ln1w, 1.0f);
        fillWith(y.qkvw, normal, y.qkvw.numel());
        fillWith(y.attprojw, projNormal, y.attprojw.numel());
        fillConst(y.ln2w, 1.0f);
        fillWith(y.fcw, normal, y.fcw.numel());
        fillWith(y.fcprojw, projNormal, y.fcprojw.numel());
    }
    fillConst(m_tensors.lnfw, 1.0f);
    m_backend.copyFromHost(m_flat, host.data());
    return m_backend.synchronize();
}

static std::map<std::string, std::string> gptMetadata(const GptConfig& c)
{
    return {{"format", "lepton-workbench-gpt"}, {"vocab_size", std::to_string(c.vocabSize)},
        {"max_seq_len", std::to_string(c.maxSeqLen)}, {"n_layer", std::to_string(c.nLayer)},
        {"n_head", std::to_string(c.nHead)}, {"n_embd", std::to_string(c.nEmbd)}};
}

Status GptModel::save(const std::filesystem::path& path) const
{
    std::vector<float> host(static_cast<std::size_t>(m_flat.numel()));
    m_backend.copyToHost(host.data(), m_flat);
    LWB_RETURN_IF_ERROR(m_backend.synchronize());
    std::vector<SafetensorsRecord> records;
    const float* base = host.data();
    const char* deviceBase = static_cast<const char*>(m_flat.data());
    for (const auto& [name, t] : m_tensors.named()) {
        SafetensorsRecord r;
        r.name = name;
        r.dtype = DType::F32;
        for (int i = 0; i < t.rank(); ++i)
            r.shape.push_back(t.dim(i));
        r.data = base + (static_cast<const char*>(t.data()) - deviceBase) / static_cast<std::ptrdiff_t>(sizeof(float));
        records.push_back(std::move(r));
    }
    return writeSafetensors(path, records, gptMetadata(m_config));
}

Status GptModel::load(const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::read(path));
    const auto expected = gptMetadata(m_config);
    for (const char* key : {"vocab_size", "max_seq_len", "n_layer", "n_head", "n_embd"}) {
        auto it = file.metadata().find(key);
        if (it != file.metadata().end() && it->second != expected.at(key))
            return fail(ErrorCode::InvalidArgument,
                fmt::format("weights file {} was written for {}={} but the configuration has {}={}", path.string(), key,
                    it->second, key, expected.at(key)),
                LWB_WHERE);
    }
    for (const auto& [name, t] : m_tensors.named()) {
        const auto* entry = file.find(name);
        if (!entry)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("weights file {} has no tensor '{}'", path.string(), name), LWB_WHERE);
        std::vector<std::int64_t> want;
        for (int i = 0; i < t.rank(); ++i)
            want.push_back(t.dim(i));
        if (entry->shape != want)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("tensor '{}' in {} has shape {} but the model expects {}", name, path.string(),
                    Json(entry->shape).dump(), Json(want).dump()),
                LWB_WHERE);
        if (entry->dtype != DType::F32 && entry->dtype != DType::BF16 && entry->dtype != DType::F16)
            return fail(ErrorCode::InvalidArgument,
                fmt::format(
                    "tensor '{}' in {} is {}, expected a float type", name, path.string(), dtypeName(entry->dtype)),
                LWB_WHERE);
        auto values = file.toFloats(*entry);
        m_backend.copyFromHost(t, values.data());
    }
    return m_backend.synchronize();
}

// ---- packed weights --------------------------------------------------------------------------

Result<std::unique_ptr<GptWeights>> GptWeights::create(
    Backend& backend, const GptConfig& config, Precision precision, WeightUse use, std::vector<std::int64_t> rowHints)
{
    const DType dtype = weightDType(precision);
    if (!backend.supports(Op::Matmul, dtype))
        return fail(ErrorCode::Unsupported,
            fmt::format("precision {} is not supported by the {} backend on this machine", precisionName(precision),
                backend.name()),
            LWB_WHERE);
    if (use == WeightUse::Training && !backend.supports(Op::MatmulWeightGrad, dtype))
        return fail(ErrorCode::Unsupported,
            fmt::format(
                "precision {} cannot be used for training on the {} backend", precisionName(precision), backend.name()),
            LWB_WHERE);
    auto w = std::make_unique<GptWeights>();
    w->m_precision = precision;
    const std::int64_t C = config.nEmbd, Vp = config.paddedVocab();
    auto make = [&](std::int64_t n, std::int64_t k, WeightLayout layout) {
        return backend.createPackedWeight(PackedWeightDesc {n, k, dtype, layout, rowHints});
    };
    for (std::int64_t l = 0; l < config.nLayer; ++l) {
        Layer y;
        LWB_ASSIGN_OR_RETURN(y.qkv, make(3 * C, C, WeightLayout::Transposed));
        LWB_ASSIGN_OR_RETURN(y.attproj, make(C, C, WeightLayout::Transposed));
        LWB_ASSIGN_OR_RETURN(y.fc, make(4 * C, C, WeightLayout::Transposed));
        LWB_ASSIGN_OR_RETURN(y.fcproj, make(C, 4 * C, WeightLayout::Transposed));
        if (use == WeightUse::Training) {
            LWB_ASSIGN_OR_RETURN(y.qkvBack, make(C, 3 * C, WeightLayout::Plain));
            LWB_ASSIGN_OR_RETURN(y.attprojBack, make(C, C, WeightLayout::Plain));
            LWB_ASSIGN_OR_RETURN(y.fcBack, make(C, 4 * C, WeightLayout::Plain));
            LWB_ASSIGN_OR_RETURN(y.fcprojBack, make(4 * C, C, WeightLayout::Plain));
        }
        w->layers.push_back(std::move(y));
    }
    LWB_ASSIGN_OR_RETURN(w->lmHead, make(Vp, C, WeightLayout::Transposed));
    if (use == WeightUse::Training) {
        LWB_ASSIGN_OR_RETURN(w->lmHeadBack, make(C, Vp, WeightLayout::Plain));
    }
    return w;
}

void GptWeights::pack(Backend& backend, const GptModel& model, int index, int parts)
{
    const GptTensors& t = model.tensors();
    int item = 0;
    auto one = [&](const std::unique_ptr<PackedWeight>& w, const Tensor& source) {
        if (w && item++ % parts == index)
            backend.packWeight(*w, source);
    };
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto& y = layers[l];
        const auto& s = t.layers[l];
        one(y.qkv, s.qkvw);
        one(y.attproj, s.attprojw);
        one(y.fc, s.fcw);
        one(y.fcproj, s.fcprojw);
        one(y.qkvBack, s.qkvw);
        one(y.attprojBack, s.attprojw);
        one(y.fcBack, s.fcw);
        one(y.fcprojBack, s.fcprojw);
    }
    one(lmHead, t.wte);
    one(lmHeadBack, t.wte);
}

} // namespace lwb::engine
