// Seeded random numbers for the tuner: xoshiro256** seeded through SplitMix64, with our own uniform
// and normal draws so results are the same with every standard library (std distributions are not).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace lwb::tuner::detail {

/// SplitMix64 step: a good 64-bit mixer for deriving seeds.
inline std::uint64_t splitMix64(std::uint64_t& state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// A seed derived from a seed and a stream number (trial number, seed index, ...).
inline std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    splitMix64(state);
    return splitMix64(state);
}

class Rng {
public:
    explicit Rng(std::uint64_t seed)
    {
        std::uint64_t state = seed;
        for (auto& s : m_s)
            s = splitMix64(state);
    }

    std::uint64_t next()
    {
        std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n)
    {
        return n == 0 ? 0 : static_cast<std::uint64_t>(uniform() * static_cast<double>(n)) % n;
    }
    /// Standard normal (Box-Muller).
    double normal()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        double u1 = 0.0;
        while (u1 <= 0.0)
            u1 = uniform();
        double u2 = uniform();
        double r = std::sqrt(-2.0 * std::log(u1));
        m_spare = r * std::sin(2.0 * std::numbers::pi * u2);
        m_hasSpare = true;
        return r * std::cos(2.0 * std::numbers::pi * u2);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4] {};
    double m_spare = 0.0;
    bool m_hasSpare = false;
};

} // namespace lwb::tuner::detail
