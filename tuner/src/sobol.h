// Scrambled Sobol' points in [0, 1)^d for initial designs and acquisition candidates. Direction
// numbers come from primitive polynomials over GF(2) enumerated at start-up; the free initial
// direction numbers are drawn once from a fixed generator, and each sequence is randomised with a
// seeded linear matrix scramble plus a digital shift (so every seed gives a different, still
// low-discrepancy, point set).
#pragma once

#include <cstdint>
#include <vector>

namespace lwb::tuner::detail {

class SobolSequence {
public:
    /// Most dimensions supported (enough primitive polynomials up to degree 13).
    static constexpr int kMaxDims = 1000;

    /// d dimensions (1..kMaxDims); seed 0 with Scramble::None gives the plain sequence.
    enum class Scramble { None, LinearMatrixAndShift };
    SobolSequence(int dims, std::uint64_t seed, Scramble scramble = Scramble::LinearMatrixAndShift);

    int dims() const { return m_dims; }
    /// Point number `index` (0, 1, 2, ...) written to out[0..dims).
    void point(std::uint64_t index, double* out) const;

private:
    int m_dims = 0;
    std::vector<std::uint32_t> m_directions; ///< dims x 32, scrambled
    std::vector<std::uint32_t> m_shift; ///< dims
};

} // namespace lwb::tuner::detail
