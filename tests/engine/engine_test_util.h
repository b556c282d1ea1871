// Helpers for the engine tests: CPU backends in each kernel flavour, host<->device copies with
// dtype conversion, seeded random data, and closeness checks with relative + absolute tolerance.
// The backends under test come from the registry, so a CUDA backend joins the conformance suites
// (checked against the CPU reference kernels) by registering itself.
#pragma once

#include "lwb/engine/backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace lwb::engine::test {

inline std::unique_ptr<Backend> cpuBackend(int threads = 1, CpuKernels kernels = CpuKernels::Best)
{
    BackendOptions options;
    options.threads = threads;
    options.cpuKernels = kernels;
    auto backend = createBackend("cpu", options);
    EXPECT_TRUE(backend.has_value());
    return std::move(*backend);
}

/// A backend to test against the reference, described for test names.
struct BackendUnderTest {
    std::string label;
    std::string name;
    int threads = 1;
    CpuKernels kernels = CpuKernels::Best;
    std::unique_ptr<Backend> create() const
    {
        BackendOptions options;
        options.threads = threads;
        options.cpuKernels = kernels;
        auto b = createBackend(name, options);
        return b ? std::move(*b) : nullptr;
    }
};

/// Every registered backend that can run here, the CPU one in several configurations.
inline std::vector<BackendUnderTest> backendsUnderTest()
{
    std::vector<BackendUnderTest> out;
    for (const auto& name : backendNames()) {
        if (name == "cpu") {
            out.push_back({"cpu_best_1thread", "cpu", 1, CpuKernels::Best});
            out.push_back({"cpu_best_2threads", "cpu", 2, CpuKernels::Best});
            out.push_back({"cpu_reference_2threads", "cpu", 2, CpuKernels::Reference});
        } else if (const BackendFactory* f = findBackend(name);
                   f && (!f->unavailableReason || f->unavailableReason().empty())) {
            out.push_back({name, name, 1, CpuKernels::Best});
        }
    }
    return out;
}

/// Test-name generator for suites instantiated over backendsUnderTest().
inline std::string backendLabel(const ::testing::TestParamInfo<BackendUnderTest>& p)
{
    return p.param.label;
}

/// gtest prints the parameter of a failing or skipped case with this (not as raw bytes).
inline void PrintTo(const BackendUnderTest& b, std::ostream* os)
{
    *os << b.label;
}

inline std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v)
        x = normal(rng);
    return v;
}

inline Tensor zeros(Backend& backend, Shape shape, DType dtype = DType::F32)
{
    auto t = backend.allocate(shape, dtype, MemoryKind::Activations);
    EXPECT_TRUE(t.has_value());
    return *t;
}

/// Uploads floats into a tensor of `dtype` (F32, BF16 or F16; converted on the host).
inline Tensor upload(Backend& backend, Shape shape, const std::vector<float>& values, DType dtype = DType::F32)
{
    Tensor t = zeros(backend, shape, dtype);
    if (dtype == DType::F32) {
        backend.copyFromHost(t, values.data());
    } else {
        std::vector<std::uint16_t> half(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
            half[i] = dtype == DType::BF16 ? floatToBf16(values[i]) : floatToHalf(values[i]);
        backend.copyFromHost(t, half.data());
    }
    return t;
}

inline Tensor uploadInts(Backend& backend, Shape shape, const std::vector<std::int32_t>& values)
{
    Tensor t = zeros(backend, shape, DType::I32);
    backend.copyFromHost(t, values.data());
    return t;
}

/// Downloads a F32, BF16 or F16 tensor as floats.
inline std::vector<float> download(Backend& backend, const Tensor& t)
{
    std::vector<float> out(static_cast<std::size_t>(t.numel()));
    if (t.dtype() == DType::F32) {
        backend.copyToHost(out.data(), t);
    } else {
        std::vector<std::uint16_t> half(out.size());
        backend.copyToHost(half.data(), t);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = t.dtype() == DType::BF16 ? bf16ToFloat(half[i]) : halfToFloat(half[i]);
    }
    EXPECT_TRUE(backend.synchronize().has_value());
    return out;
}

inline std::vector<std::int32_t> downloadInts(Backend& backend, const Tensor& t)
{
    std::vector<std::int32_t> out(static_cast<std::size_t>(t.numel()));
    backend.copyToHost(out.data(), t);
    return out;
}

/// |a - b| <= atol + rtol * |b| elementwise; reports the worst element.
inline ::testing::AssertionResult allClose(
    const std::vector<float>& a, const std::vector<float>& b, double rtol, double atol)
{
    if (a.size() != b.size())
        return ::testing::AssertionFailure() << "sizes differ: " << a.size() << " vs " << b.size();
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        double excess
            = std::fabs(static_cast<double>(a[i]) - b[i]) - (atol + rtol * std::fabs(static_cast<double>(b[i])));
        if (!(excess <= worst)) { // NaN counts as failure
            worst = std::isnan(excess) ? INFINITY : excess;
            at = i;
        }
    }
    if (worst > 0)
        return ::testing::AssertionFailure()
            << "element " << at << ": " << a[at] << " vs " << b[at] << " (rtol " << rtol << ", atol " << atol << ")";
    return ::testing::AssertionSuccess();
}

/// Relative error of two vectors in the 2-norm: |a - b| / |b|.
inline double relativeError(const std::vector<float>& a, const std::vector<float>& b)
{
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
        den += static_cast<double>(b[i]) * b[i];
    }
    return std::sqrt(num / std::max(den, 1e-300));
}

} // namespace lwb::engine::test
