// Sobol' sequence with our own direction numbers and scrambling (see sobol.h).
// Polynomial p(x) = x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1 is stored as a bit mask with bit k = coefficient
// of x^k. Direction numbers: m_k odd, < 2^k for k <= s; then
//   m_k = 2 a_1 m_(k-1) ^ 4 a_2 m_(k-2) ^ ... ^ 2^(s-1) a_(s-1) m_(k-s+1) ^ 2^s m_(k-s) ^ m_(k-s),
// and v_k = m_k << (32 - k). Point i = XOR of v_k over the set bits k of the Gray code of i.
#include "sobol.h"

#include "rng.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <stdexcept>

namespace lwb::tuner::detail {
namespace {

/// (a * b) mod p over GF(2), degree of p = s.
std::uint64_t mulMod(std::uint64_t a, std::uint64_t b, std::uint64_t p, int s)
{
    std::uint64_t result = 0;
    while (b) {
        if (b & 1)
            result ^= a;
        b >>= 1;
        a <<= 1;
        if (a >> s & 1)
            a ^= p;
    }
    return result;
}

std::uint64_t powMod(std::uint64_t base, std::uint64_t e, std::uint64_t p, int s)
{
    std::uint64_t result = 1;
    while (e) {
        if (e & 1)
            result = mulMod(result, base, p, s);
        base = mulMod(base, base, p, s);
        e >>= 1;
    }
    return result;
}

/// Whether p (degree s) is primitive: x has multiplicative order 2^s - 1 modulo p.
bool isPrimitive(std::uint64_t p, int s)
{
    std::uint64_t order = (std::uint64_t {1} << s) - 1;
    std::uint64_t x = s == 1 ? (2 ^ p) : 2; // x mod p (for s = 1, x = 1 mod x+1)
    if (powMod(x, order, p, s) != 1)
        return false;
    std::uint64_t rest = order;
    for (std::uint64_t q = 2; q * q <= rest; ++q) {
        if (rest % q)
            continue;
        if (powMod(x, order / q, p, s) == 1)
            return false;
        while (rest % q == 0)
            rest /= q;
    }
    if (rest > 1 && rest != order && powMod(x, order / rest, p, s) == 1)
        return false;
    return true;
}

struct Polynomial {
    std::uint64_t bits = 0;
    int degree = 0;
};

const std::vector<Polynomial>& primitivePolynomials()
{
    static std::vector<Polynomial> polys;
    static std::once_flag once;
    std::call_once(once, [] {
        for (int s = 1; static_cast<int>(polys.size()) < SobolSequence::kMaxDims; ++s) {
            for (std::uint64_t inner = 0; inner < (std::uint64_t {1} << (s - 1)); ++inner) {
                std::uint64_t p = (std::uint64_t {1} << s) | (inner << 1) | 1;
                if (isPrimitive(p, s))
                    polys.push_back({p, s});
            }
        }
    });
    return polys;
}

} // namespace

SobolSequence::SobolSequence(int dims, std::uint64_t seed, Scramble scramble)
    : m_dims(dims)
{
    if (dims < 1 || dims > kMaxDims)
        throw std::invalid_argument("SobolSequence: unsupported number of dimensions");
    const auto& polys = primitivePolynomials();
    m_directions.assign(static_cast<std::size_t>(dims) * 32, 0);
    m_shift.assign(static_cast<std::size_t>(dims), 0);
    Rng fixed(0x50B01);
    for (int d = 0; d < dims; ++d) {
        std::uint32_t* v = &m_directions[static_cast<std::size_t>(d) * 32];
        if (d == 0) {
            for (int k = 0; k < 32; ++k)
                v[k] = std::uint32_t {1} << (31 - k);
            continue;
        }
        const Polynomial& poly = polys[static_cast<std::size_t>(d - 1)];
        int s = poly.degree;
        std::vector<std::uint64_t> m(33, 0);
        for (int k = 1; k <= s && k <= 32; ++k)
            m[static_cast<std::size_t>(k)] = (fixed.next() % (std::uint64_t {1} << (k - 1))) * 2 + 1;
        for (int k = s + 1; k <= 32; ++k) {
            std::uint64_t value = m[static_cast<std::size_t>(k - s)] ^ (m[static_cast<std::size_t>(k - s)] << s);
            for (int j = 1; j < s; ++j) {
                if (poly.bits >> (s - j) & 1)
                    value ^= m[static_cast<std::size_t>(k - j)] << j;
            }
            m[static_cast<std::size_t>(k)] = value;
        }
        for (int k = 1; k <= 32; ++k)
            v[k - 1] = static_cast<std::uint32_t>(m[static_cast<std::size_t>(k)] << (32 - k));
    }
    if (scramble == Scramble::None)
        return;
    Rng rng(mixSeed(seed, 0x5C4A));
    for (int d = 0; d < dims; ++d) {
        // Lower-triangular binary matrix with unit diagonal: row j (output digit j, most significant
        // first) mixes input digits 0..j.
        std::uint32_t rows[32];
        for (int j = 0; j < 32; ++j) {
            std::uint32_t random = static_cast<std::uint32_t>(rng.next());
            std::uint32_t below = j == 0 ? 0u : (random & ~((std::uint32_t {1} << (32 - j)) - 1));
            rows[j] = below | (std::uint32_t {1} << (31 - j));
        }
        std::uint32_t* v = &m_directions[static_cast<std::size_t>(d) * 32];
        for (int k = 0; k < 32; ++k) {
            std::uint32_t scrambled = 0;
            for (int j = 0; j < 32; ++j) {
                if (std::popcount(rows[j] & v[k]) & 1)
                    scrambled |= std::uint32_t {1} << (31 - j);
            }
            v[k] = scrambled;
        }
        m_shift[static_cast<std::size_t>(d)] = static_cast<std::uint32_t>(rng.next());
    }
}

void SobolSequence::point(std::uint64_t index, double* out) const
{
    std::uint64_t gray = index ^ (index >> 1);
    for (int d = 0; d < m_dims; ++d) {
        const std::uint32_t* v = &m_directions[static_cast<std::size_t>(d) * 32];
        std::uint32_t x = m_shift[static_cast<std::size_t>(d)];
        std::uint64_t g = gray;
        for (int k = 0; g && k < 32; ++k, g >>= 1) {
            if (g & 1)
                x ^= v[k];
        }
        out[d] = (static_cast<double>(x) + 0.5) * 0x1.0p-32;
    }
}

} // namespace lwb::tuner::detail
