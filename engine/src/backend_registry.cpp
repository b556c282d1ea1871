// The backend registry: the one place where backends are registered (CPU always; CUDA only in
// builds with LWB_HAVE_CUDA, when its backend exists). Op names for traces and messages.
#include "lwb/engine/backend.h"

#include "cpu/cpu_backend.h"
#if LWB_HAVE_CUDA
#include "cuda/cuda_registry.h"
#endif

#include <algorithm>
#include <fmt/core.h>
#include <mutex>

namespace lwb::engine {

std::string_view opName(Op op)
{
    switch (op) {
    case Op::Fill:
        return "fill";
    case Op::Copy:
        return "copy";
    case Op::Convert:
        return "convert";
    case Op::Add:
        return "add";
    case Op::SelectRows:
        return "select_rows";
    case Op::Embedding:
        return "embedding_fwd";
    case Op::EmbeddingBackward:
        return "embedding_bwd";
    case Op::LayerNorm:
        return "layernorm_fwd";
    case Op::ResidualLayerNorm:
        return "residual_layernorm_fwd";
    case Op::LayerNormBackward:
        return "layernorm_bwd";
    case Op::Gelu:
        return "gelu_fwd";
    case Op::GeluBackward:
        return "gelu_bwd";
    case Op::Attention:
        return "attention_fwd";
    case Op::AttentionBackward:
        return "attention_bwd";
    case Op::AttentionKvCache:
        return "attention_kv_cache";
    case Op::Matmul:
        return "matmul";
    case Op::MatmulWeightGrad:
        return "matmul_weight_grad";
    case Op::BiasGrad:
        return "bias_grad";
    case Op::CrossEntropy:
        return "cross_entropy";
    case Op::Argmax:
        return "argmax";
    case Op::AdamW:
        return "adamw";
    case Op::SumSquares:
        return "sum_squares";
    }
    return "unknown";
}

namespace {

struct Registry {
    std::mutex mutex;
    std::vector<BackendFactory> factories;
};

Registry& registry()
{
    static Registry* instance = [] {
        auto* r = new Registry;
        r->factories.push_back(cpu::cpuBackendFactory());
#if LWB_HAVE_CUDA
        if (auto cudaFactory = cuda::cudaBackendFactoryIfUsable()) // only with a usable GPU
            r->factories.push_back(std::move(*cudaFactory));
#endif
        return r;
    }();
    return *instance;
}

} // namespace

Status registerBackend(BackendFactory factory)
{
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    for (const auto& f : r.factories)
        if (f.name == factory.name)
            return fail(ErrorCode::InvalidArgument, fmt::format("a backend named '{}' is already registered", f.name),
                LWB_WHERE);
    r.factories.push_back(std::move(factory));
    return {};
}

std::vector<std::string> backendNames()
{
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& f : r.factories)
        names.push_back(f.name);
    return names;
}

const BackendFactory* findBackend(std::string_view name)
{
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = std::find_if(r.factories.begin(), r.factories.end(), [&](const auto& f) { return f.name == name; });
    return it == r.factories.end() ? nullptr : &*it;
}

Result<std::unique_ptr<Backend>> createBackend(std::string_view name, const BackendOptions& options)
{
    const BackendFactory* factory = findBackend(name);
    if (!factory) {
        std::string known;
        for (const auto& n : backendNames())
            known += (known.empty() ? "" : ", ") + n;
        return fail(ErrorCode::NotFound, fmt::format("no backend named '{}' (known: {})", name, known), LWB_WHERE);
    }
    if (std::string why = factory->unavailableReason ? factory->unavailableReason() : ""; !why.empty())
        return fail(ErrorCode::Unavailable, fmt::format("backend '{}' cannot run here: {}", name, why), LWB_WHERE);
    if (options.threads < 1)
        return fail(
            ErrorCode::InvalidArgument, fmt::format("threads must be >= 1, got {}", options.threads), LWB_WHERE);
    return factory->create(options);
}

} // namespace lwb::engine
