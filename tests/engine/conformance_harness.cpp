// Conformance harness: runner, tolerance model, comparison and the per-family driver (see
// conformance_harness.h). Calibration of the tolerance constants: docs/gpu.md.
#include "conformance_harness.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace lwb::engine::conformance {

// ---- runner -----------------------------------------------------------------------------------

void Runner::note(const Error& e)
{
    if (!m_failed) {
        m_failed = true;
        m_error = e;
    }
}

Tensor Runner::zeros(Shape shape, DType dtype)
{
    auto t = m_be.allocate(shape, dtype, MemoryKind::Activations);
    if (!t)
        throw RunnerAbort {t.error()}; // ops must not run on a tensor that does not exist
    return *t;
}

Tensor Runner::input(Shape shape, const std::vector<float>& values, DType dtype)
{
    Tensor t = zeros(shape, dtype);
    if (dtype == DType::F32) {
        m_be.copyFromHost(t, values.data());
    } else {
        std::vector<std::uint16_t> half(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
            half[i] = dtype == DType::BF16 ? floatToBf16(values[i]) : floatToHalf(values[i]);
        m_be.copyFromHost(t, half.data());
    }
    return t;
}

Tensor Runner::ints(Shape shape, const std::vector<std::int32_t>& values)
{
    Tensor t = zeros(shape, DType::I32);
    m_be.copyFromHost(t, values.data());
    return t;
}

std::vector<float> Runner::fetch(const Tensor& t)
{
    std::vector<float> out(static_cast<std::size_t>(t.numel()), 0.0f);
    if (t.dtype() == DType::F32) {
        m_be.copyToHost(out.data(), t);
    } else if (t.dtype() == DType::I32) {
        std::vector<std::int32_t> v(out.size());
        m_be.copyToHost(v.data(), t);
        for (std::size_t i = 0; i < v.size(); ++i)
            out[i] = static_cast<float>(v[i]);
    } else {
        std::vector<std::uint16_t> half(out.size());
        m_be.copyToHost(half.data(), t);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = t.dtype() == DType::BF16 ? bf16ToFloat(half[i]) : halfToFloat(half[i]);
    }
    if (auto s = m_be.synchronize(); !s)
        note(s.error());
    return out;
}

void Runner::output(const std::string& name, const Tensor& t)
{
    m_outputs.push_back({name, fetch(t)});
}

void Runner::output(const std::string& name, std::vector<float> values)
{
    m_outputs.push_back({name, std::move(values)});
}

Result<Outputs> Runner::finish()
{
    if (auto s = m_be.synchronize(); !s)
        note(s.error());
    if (m_failed)
        return fail(m_error);
    return std::move(m_outputs);
}

// ---- tolerances and comparison -----------------------------------------------------------------

namespace {
double unitRoundoff(DType d)
{
    switch (d) {
    case DType::BF16:
        return std::ldexp(1.0, -8);
    case DType::F16:
        return std::ldexp(1.0, -11);
    case DType::I8:
        return 1.0 / 254.0; // half a step of the symmetric 127-level grid, relative to absmax
    default:
        return std::ldexp(1.0, -24);
    }
}
} // namespace

double tolerance(DType dtype, std::int64_t reduction, Mode mode)
{
    // Two fp32 implementations differ by reordered sums and exp/tanh approximations: error grows
    // like sqrt(reduction length) unit roundoffs; 32 is the safety factor over what the CPU
    // kernels show against each other (docs/gpu.md).
    const double fp32 = 32.0 * unitRoundoff(DType::F32) * std::sqrt(static_cast<double>(reduction) + 1.0);
    if (dtype == DType::F32)
        return fp32;
    const double u = unitRoundoff(dtype);
    if (mode == Mode::SamePrecision) {
        // The same quantised/rounded inputs; the final rounding may land one ulp (2u) apart.
        return dtype == DType::I8 ? 4.0 * fp32 : 2.0 * u + fp32;
    }
    // Against fp32: the precision's own error (rounded inputs and outputs); int8's per-row
    // quantisation noise is about 1% of the output RMS, worst elements a few times that.
    if (dtype == DType::I8)
        return 0.06;
    // Operands rounded at several stages that feed each other (flash attention's backward: q, k,
    // v, dO, then P and dS): twice the single-rounding bound. The CPU emulation of the CUDA
    // kernels (conformance_flash_emulation_test.cpp) reaches 1.1 x 8u on the attention cases.
    return (mode == Mode::RoundedOperands ? 16.0 : 8.0) * u + fp32;
}

Comparison compare(const Outputs& got, const Outputs& want, double rtol)
{
    Comparison c;
    if (got.size() != want.size()) {
        c.ok = false;
        c.detail = "output count differs: " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
        return c;
    }
    for (std::size_t o = 0; o < got.size(); ++o) {
        const auto& a = got[o].values;
        const auto& b = want[o].values;
        if (a.size() != b.size() || got[o].name != want[o].name) {
            c.ok = false;
            c.detail = "output '" + want[o].name + "' has another size or name";
            return c;
        }
        double sumSq = 0;
        std::size_t finite = 0;
        for (float v : b)
            if (std::isfinite(v)) {
                sumSq += static_cast<double>(v) * v;
                ++finite;
            }
        const double rms = finite ? std::sqrt(sumSq / static_cast<double>(finite)) : 0.0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double x = a[i], y = b[i];
            double ratio;
            if (!std::isfinite(y) || !std::isfinite(x)) {
                const bool same = (std::isnan(x) && std::isnan(y)) || x == y;
                ratio = same ? 0.0 : INFINITY;
            } else {
                const double allowed = rtol * (std::fabs(y) + rms);
                const double err = std::fabs(x - y);
                ratio = allowed > 0 ? err / allowed : (err == 0 ? 0.0 : INFINITY);
            }
            if (ratio > c.worstRatio)
                c.worstRatio = ratio;
            if (ratio > 1.0 && c.ok) {
                c.ok = false;
                std::ostringstream s;
                s << "output '" << want[o].name << "' element " << i << ": " << x << " vs reference " << y
                  << " (allowed " << rtol << " x (|ref| + rms " << rms << "))";
                c.detail = s.str();
            }
        }
    }
    return c;
}

CaseResult runCase(const CaseSpec& c, DType dtype, Backend& dut, Backend& ref)
{
    CaseResult r;
    for (Op op : c.ops)
        if (!dut.supports(op, dtype)) {
            r.skipped = std::string(opName(op)) + " at " + std::string(dtypeName(dtype)) + " is not supported by "
                + dut.name();
            return r;
        }
    r.ran = true;
    auto execute = [&](Runner& runner) -> Result<Outputs> {
        try {
            c.run(runner);
        } catch (const RunnerAbort& abort) {
            return fail(abort.error);
        }
        return runner.finish();
    };
    Runner run(dut, dtype);
    auto got = execute(run);
    if (!got) {
        r.failures.push_back("the backend under test failed: " + got.error().describe());
        return r;
    }
    auto check = [&](DType refType, Mode mode) {
        Runner reference(ref, refType);
        auto want = execute(reference);
        if (!want) {
            r.failures.push_back("the reference failed: " + want.error().describe());
            return;
        }
        // Rounded operands: the reference at the same precision is no closer than fp32 is.
        const Mode toleranceMode = c.operands == Operands::MayRound ? Mode::RoundedOperands : mode;
        Comparison cmp = compare(*got, *want, tolerance(dtype, c.reduction, toleranceMode));
        r.worstRatio = std::max(r.worstRatio, cmp.worstRatio);
        if (!cmp.ok)
            r.failures.push_back(std::string(mode == Mode::SamePrecision ? "vs reference at " : "vs reference fp32 at ")
                + std::string(dtypeName(dtype)) + ": " + cmp.detail);
    };
    bool refHas = true;
    for (Op op : c.ops)
        refHas = refHas && ref.supports(op, dtype);
    if (refHas)
        check(dtype, Mode::SamePrecision);
    if (dtype != DType::F32)
        check(DType::F32, Mode::AgainstFp32);
    return r;
}

CaseResult runFamilyWithTolerance(const std::string& family, DType dtype, Backend& dut, Backend& ref,
    const std::function<double(std::int64_t)>& rtolOf)
{
    CaseResult all;
    for (const auto& c : allCases()) {
        if (c.family != family)
            continue;
        auto execute = [&](Backend& be) -> Result<Outputs> {
            Runner runner(be, dtype);
            try {
                c.run(runner);
            } catch (const RunnerAbort& abort) {
                return fail(abort.error);
            }
            return runner.finish();
        };
        auto got = execute(dut);
        auto want = execute(ref);
        all.ran = true;
        if (!got || !want) {
            all.failures.push_back(c.name + ": " + (got ? want.error() : got.error()).describe());
            continue;
        }
        Comparison cmp = compare(*got, *want, rtolOf(c.reduction));
        all.worstRatio = std::max(all.worstRatio, cmp.worstRatio);
        if (!cmp.ok)
            all.failures.push_back(c.name + ": " + cmp.detail);
    }
    return all;
}

double tf32Tolerance(std::int64_t reduction)
{
    return tolerance(DType::F16, reduction, Mode::RoundedOperands);
}

std::unique_ptr<Backend> referenceBackend()
{
    BackendOptions options;
    options.threads = 1;
    options.cpuKernels = CpuKernels::Reference;
    auto b = createBackend("cpu", options);
    return b ? std::move(*b) : nullptr;
}

std::vector<std::string> caseFamilies()
{
    std::vector<std::string> out;
    for (const auto& c : allCases())
        if (std::find(out.begin(), out.end(), c.family) == out.end())
            out.push_back(c.family);
    return out;
}

std::string notAvailableMessage(const std::string& backend)
{
    return "backend '" + backend + "' is not registered on this machine"
        + (backend == "cuda" ? " (no usable CUDA GPU: the CUDA tests need one)" : "");
}

// ---- fixtures -----------------------------------------------------------------------------------

namespace {
std::unique_ptr<Backend> create(const test::BackendUnderTest& p, std::string* why)
{
    BackendOptions options;
    options.threads = p.threads;
    options.cpuKernels = p.kernels;
    auto b = createBackend(p.name, options);
    if (!b) {
        *why = b.error().describe();
        return nullptr;
    }
    return std::move(*b);
}
} // namespace

void BackendConformance::SetUp()
{
    if (!findBackend(GetParam().name))
        GTEST_SKIP() << notAvailableMessage(GetParam().name);
    m_ref = referenceBackend();
    ASSERT_NE(m_ref, nullptr);
    std::string why;
    m_dut = create(GetParam(), &why);
    ASSERT_NE(m_dut, nullptr) << "creating " << GetParam().label << ": " << why;
}

void BackendConformance::runFamily(const std::string& family)
{
    int ran = 0;
    for (const auto& c : allCases()) {
        if (c.family != family)
            continue;
        for (DType dt : c.dtypes) {
            CaseResult r = runCase(c, dt, *m_dut, *m_ref);
            const std::string id = family + "/" + c.name + "/" + std::string(dtypeName(dt));
            if (!r.ran) {
                std::printf("[ %s ] %-48s skipped: %s\n", GetParam().label.c_str(), id.c_str(), r.skipped.c_str());
                continue;
            }
            ++ran;
            std::printf(
                "[ %s ] %-48s worst error %.3f of the tolerance\n", GetParam().label.c_str(), id.c_str(), r.worstRatio);
            for (const auto& f : r.failures)
                ADD_FAILURE() << id << " on " << GetParam().label << ": " << f;
        }
    }
    EXPECT_GT(ran, 0) << "no case of family '" << family << "' ran on " << GetParam().label;
}

void GptStepConformance::SetUp()
{
    if (!findBackend(GetParam().name))
        GTEST_SKIP() << notAvailableMessage(GetParam().name);
    m_ref = referenceBackend();
    ASSERT_NE(m_ref, nullptr);
    std::string why;
    m_dut = create(GetParam(), &why);
    ASSERT_NE(m_dut, nullptr) << "creating " << GetParam().label << ": " << why;
}

} // namespace lwb::engine::conformance
