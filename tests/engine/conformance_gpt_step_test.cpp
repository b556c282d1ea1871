// A full GPT-S training step (L6 C384 H6, byte vocabulary, B2 T64) on the backend under test
// against the CPU reference: same initialisation and data; the loss, every parameter gradient
// (relative 2-norm per tensor), the gradient norm, the parameters after one AdamW update and the
// loss after it must agree — at the same precision within the tolerance of two implementations,
// and in bf16 against fp32 within bf16's error. On a GPU machine this is the CUDA step vs the CPU
// step (cuda_conformance_test.cpp); here it runs on the CPU configurations.
#include "conformance_harness.h"

#include "lwb/engine/gpt.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace lwb::engine::conformance {
namespace {

constexpr std::int64_t kB = 2, kT = 64;
constexpr float kLr = 1e-3f;

GptConfig gptS()
{
    GptConfig c;
    c.nLayer = 6;
    c.nEmbd = 384;
    c.nHead = 6;
    c.vocabSize = 256;
    c.maxSeqLen = kT;
    return c;
}

struct StepResult {
    double loss = 0, lossAfter = 0, gradNorm = 0;
    std::vector<float> grads, before, after;
    std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> tensors; ///< name -> (offset, size)
};

Result<std::vector<float>> fetch(Backend& be, const Tensor& t)
{
    std::vector<float> out(static_cast<std::size_t>(t.numel()));
    be.copyToHost(out.data(), t);
    LWB_RETURN_IF_ERROR(be.synchronize());
    return out;
}

Result<StepResult> trainingStep(Backend& be, Precision precision)
{
    const GptConfig cfg = gptS();
    LWB_ASSIGN_OR_RETURN(auto model, GptModel::create(be, cfg));
    LWB_RETURN_IF_ERROR(model->initRandom(1234));
    LWB_ASSIGN_OR_RETURN(auto weights, GptWeights::create(be, cfg, precision, WeightUse::Training, {kB * kT}));
    weights->pack(be, *model);
    LWB_ASSIGN_OR_RETURN(auto trainer, GptTrainer::create(be, *model, *weights, kB, kT));
    std::mt19937 rng(99);
    std::vector<std::int32_t> stream(static_cast<std::size_t>(kB * kT + 1));
    for (auto& t : stream)
        t = static_cast<std::int32_t>(rng() % 256);
    const std::vector<std::int32_t> tokens(stream.begin(), stream.end() - 1), targets(stream.begin() + 1, stream.end());

    StepResult r;
    const char* base = static_cast<const char*>(model->flat().data());
    for (const auto& [name, t] : model->tensors().named())
        r.tensors.push_back({name,
            {static_cast<std::size_t>(static_cast<const char*>(t.data()) - base) / sizeof(float),
                static_cast<std::size_t>(t.numel())}});
    LWB_ASSIGN_OR_RETURN(r.before, fetch(be, model->flat()));
    LWB_ASSIGN_OR_RETURN(r.loss,
        trainer->forwardBackward(
            tokens.data(), targets.data(), Accumulate::Overwrite, 1.0f / static_cast<float>(kB * kT)));
    LWB_ASSIGN_OR_RETURN(r.grads, fetch(be, trainer->gradients()));
    LWB_ASSIGN_OR_RETURN(Tensor norm, be.allocate({1}, DType::F32, MemoryKind::Workspace));
    be.sumSquares(norm, trainer->gradients());
    LWB_ASSIGN_OR_RETURN(auto sq, fetch(be, norm));
    r.gradNorm = std::sqrt(static_cast<double>(sq[0]));
    const std::int64_t n = model->flat().numel();
    LWB_ASSIGN_OR_RETURN(Tensor m, be.allocate({n}, DType::F32, MemoryKind::OptimizerState));
    LWB_ASSIGN_OR_RETURN(Tensor v, be.allocate({n}, DType::F32, MemoryKind::OptimizerState));
    AdamWStep step;
    step.lr = kLr;
    step.t = 1;
    be.adamw(model->flat(), trainer->gradients(), m, v, step);
    weights->pack(be, *model);
    LWB_RETURN_IF_ERROR(be.synchronize());
    LWB_ASSIGN_OR_RETURN(r.after, fetch(be, model->flat()));
    LWB_ASSIGN_OR_RETURN(r.lossAfter, trainer->loss(tokens.data(), targets.data()));
    return r;
}

double relNorm(const float* a, const float* b, std::size_t n)
{
    double num = 0, den = 0;
    for (std::size_t i = 0; i < n; ++i) {
        num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
        den += static_cast<double>(b[i]) * b[i];
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

struct StepTolerance {
    double loss, grad, gradNorm, update;
};

/// Compares two steps; prints the measured differences (calibration in docs/gpu.md).
void compareSteps(const StepResult& got, const StepResult& want, const StepTolerance& tol, const std::string& what)
{
    const double lossErr = std::fabs(got.loss - want.loss) / std::fabs(want.loss);
    const double afterErr = std::fabs(got.lossAfter - want.lossAfter) / std::fabs(want.lossAfter);
    const double normErr = std::fabs(got.gradNorm - want.gradNorm) / want.gradNorm;
    EXPECT_LE(lossErr, tol.loss) << what << ": loss " << got.loss << " vs " << want.loss;
    EXPECT_LE(afterErr, tol.loss) << what << ": loss after the update " << got.lossAfter << " vs " << want.lossAfter;
    EXPECT_LE(normErr, tol.gradNorm) << what << ": gradient norm " << got.gradNorm << " vs " << want.gradNorm;
    double worstGrad = 0;
    std::string worstName;
    for (const auto& [name, span] : want.tensors) {
        const double e = relNorm(got.grads.data() + span.first, want.grads.data() + span.first, span.second);
        if (e > worstGrad) {
            worstGrad = e;
            worstName = name;
        }
        EXPECT_LE(e, tol.grad) << what << ": gradient of " << name;
    }
    // One AdamW step at t=1 moves each parameter by about lr * sign(g): compare the updates
    // in norm, and bound every element by the step size (a sign can flip where g ~ 0).
    std::vector<float> dGot(got.after.size()), dWant(want.after.size());
    double worstElement = 0;
    for (std::size_t i = 0; i < dGot.size(); ++i) {
        dGot[i] = got.after[i] - got.before[i];
        dWant[i] = want.after[i] - want.before[i];
        worstElement = std::max(worstElement, std::fabs(static_cast<double>(got.after[i]) - want.after[i]));
    }
    const double updateErr = relNorm(dGot.data(), dWant.data(), dGot.size());
    EXPECT_LE(updateErr, tol.update) << what << ": AdamW update";
    EXPECT_LE(worstElement, 2.05 * kLr) << what << ": a parameter moved further than one AdamW step";
    std::printf("[ %s ] loss %.6f vs %.6f (rel %.2e), after update rel %.2e, grad norm rel %.2e, worst gradient "
                "%s rel %.2e, update rel %.2e\n",
        what.c_str(), got.loss, want.loss, lossErr, afterErr, normErr, worstName.c_str(), worstGrad, updateErr);
}

/// The reference steps are deterministic: computed once per process and precision.
const Result<StepResult>& referenceStep(Backend& ref, Precision precision)
{
    static std::map<Precision, Result<StepResult>> cache;
    auto it = cache.find(precision);
    if (it == cache.end())
        it = cache.emplace(precision, trainingStep(ref, precision)).first;
    return it->second;
}

} // namespace

void checkGptStep(Backend& dut, Backend& ref, const std::string& label)
{
    const auto& ref32 = referenceStep(ref, Precision::Fp32);
    ASSERT_TRUE(ref32.has_value()) << ref32.error().describe();
    auto got32 = trainingStep(dut, Precision::Fp32);
    ASSERT_TRUE(got32.has_value()) << got32.error().describe();
    compareSteps(*got32, *ref32, {1e-5, 1e-4, 1e-5, 2e-2}, label + " fp32 vs reference fp32");

    if (!dut.supports(Op::MatmulWeightGrad, DType::BF16)) {
        std::printf("[ %s ] no bf16 training here: bf16 step not compared\n", label.c_str());
        return;
    }
    auto got16 = trainingStep(dut, Precision::Bf16);
    ASSERT_TRUE(got16.has_value()) << got16.error().describe();
    if (ref.supports(Op::MatmulWeightGrad, DType::BF16)) {
        const auto& ref16 = referenceStep(ref, Precision::Bf16);
        ASSERT_TRUE(ref16.has_value()) << ref16.error().describe();
        compareSteps(*got16, *ref16, {2e-3, 3e-2, 1e-2, 0.2}, label + " bf16 vs reference bf16");
    }
    compareSteps(*got16, *ref32, {1e-2, 0.15, 5e-2, 0.3}, label + " bf16 vs reference fp32");
}

namespace {

TEST_P(GptStepConformance, TrainingStepMatchesTheReference)
{
    checkGptStep(*m_dut, *m_ref, GetParam().label);
}

} // namespace
} // namespace lwb::engine::conformance
