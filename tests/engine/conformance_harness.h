// Backend conformance harness (ggml's test-backend-ops idea, llm.c's CPU-as-oracle rule): a table
// of op cases, each runnable on any Backend at any precision, compared with the CPU backend's
// reference kernels (portable loops, 1 thread). A case runs on the backend under test at every
// precision that backend supports and is compared (1) with the reference at the same precision
// when the reference has it, with a tolerance for two implementations of the same arithmetic,
// and (2) with the reference in fp32, with the precision's own error bound. Tolerances are
// relative to |reference| + RMS(reference output) and scale with the unit roundoff of the
// precision and, for fp32, with the square root of the reduction length. Used by the engine
// conformance tests (CPU backends here) and by the GPU tests (the CUDA backend).
#pragma once

#include "lwb/engine/backend.h"

#include "engine_test_util.h"

#include <functional>
#include <string>
#include <vector>

namespace lwb::engine::conformance {

struct Output {
    std::string name;
    std::vector<float> values;
};
using Outputs = std::vector<Output>;

/// Thrown by Runner when an allocation fails: the case stops (runCase reports the error).
struct RunnerAbort {
    Error error;
};

/// Runs one case on one backend: allocates and uploads inputs, collects outputs, and remembers
/// the first failure (allocation or a sticky op error) instead of aborting the test.
class Runner {
public:
    Runner(Backend& backend, DType dtype)
        : m_be(backend)
        , m_dtype(dtype)
    {
    }
    Backend& be() { return m_be; }
    /// The precision under test.
    DType dtype() const { return m_dtype; }
    Tensor zeros(Shape shape, DType dtype = DType::F32);
    /// A tensor of `dtype` (F32, BF16 or F16) holding `values` (rounded on the host).
    Tensor input(Shape shape, const std::vector<float>& values, DType dtype = DType::F32);
    Tensor ints(Shape shape, const std::vector<std::int32_t>& values);
    /// Downloads `t` (F32, BF16, F16 or I32) as floats under `name`.
    void output(const std::string& name, const Tensor& t);
    void output(const std::string& name, std::vector<float> values);
    std::vector<float> fetch(const Tensor& t);
    /// Outputs so far, or the first error of the run.
    Result<Outputs> finish();

private:
    void note(const Error& e);
    Backend& m_be;
    DType m_dtype;
    Outputs m_outputs;
    bool m_failed = false;
    Error m_error;
};

/// What a 16-bit precision rounds in a case: only outputs (the CPU reference's semantics), or the
/// operands too (tensor-core kernels such as flash attention round q, k, v, dO and the
/// intermediate P and dS to the precision): then both comparisons use Mode::RoundedOperands.
enum class Operands : std::uint8_t { Exact, MayRound };

struct CaseSpec {
    std::string family; ///< "matmul", "attention", ... (one test per family and backend)
    std::string name; ///< shape and variant, e.g. "M37_K50_N70_bias_add"
    std::vector<Op> ops; ///< every op the case runs (support check and coverage)
    std::vector<DType> dtypes; ///< precisions the case runs at (F32 always included)
    std::int64_t reduction = 1; ///< longest reduction (dot product, row sum) behind an output
    std::function<void(Runner&)> run;
    Operands operands = Operands::Exact;
};

/// Every case, all families.
const std::vector<CaseSpec>& allCases();
std::vector<std::string> caseFamilies();

/// RoundedOperands: a 16-bit precision whose operands are rounded at several stages (Operands::MayRound),
/// against either reference.
enum class Mode { SamePrecision, AgainstFp32, RoundedOperands };
/// Relative tolerance of a comparison (see the header comment).
double tolerance(DType dtype, std::int64_t reduction, Mode mode);

struct Comparison {
    bool ok = true;
    double worstRatio = 0; ///< max over elements of error / allowed error
    std::string detail; ///< first failing output and element
};
/// |got - want| <= rtol * (|want| + rms(want)) element by element; NaN/Inf mismatches fail.
Comparison compare(const Outputs& got, const Outputs& want, double rtol);

struct CaseResult {
    bool ran = false;
    std::string skipped; ///< why not (unsupported precision)
    std::vector<std::string> failures;
    double worstRatio = 0;
};
/// Runs `c` at `dtype` on `dut` and compares with `ref` (both comparison modes that apply).
CaseResult runCase(const CaseSpec& c, DType dtype, Backend& dut, Backend& ref);

/// Runs every case of `family` at `dtype` on `dut` and `ref` and compares with `rtolOf(reduction)`:
/// for configurations outside the precision list, e.g. fp32 data on TF32 tensor cores.
CaseResult runFamilyWithTolerance(const std::string& family, DType dtype, Backend& dut, Backend& ref,
    const std::function<double(std::int64_t)>& rtolOf);

/// TF32 (fp32 operands rounded to a 10-bit mantissa, like fp16's): fp16's RoundedOperands bound.
double tf32Tolerance(std::int64_t reduction);

/// The reference: the CPU backend's portable kernels on one thread.
std::unique_ptr<Backend> referenceBackend();

/// Parameterised over the backends under test: one test per op family.
class BackendConformance : public ::testing::TestWithParam<test::BackendUnderTest> {
protected:
    void SetUp() override;
    /// Runs every case of `family` at every precision; prints a line per case.
    void runFamily(const std::string& family);
    std::unique_ptr<Backend> m_ref, m_dut;
};

/// A GPT-S training step on the backend under test against the reference (same init, data).
class GptStepConformance : public ::testing::TestWithParam<test::BackendUnderTest> {
protected:
    void SetUp() override;
    std::unique_ptr<Backend> m_ref, m_dut;
};

/// The GPT-S step of `dut` against `ref` (fp32, and bf16 where `dut` trains in bf16); gtest failures.
void checkGptStep(Backend& dut, Backend& ref, const std::string& label);

/// Skip message when a parameterised backend is not registered here.
std::string notAvailableMessage(const std::string& backend);

} // namespace lwb::engine::conformance
