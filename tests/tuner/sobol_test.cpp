// Sobol' sequence: points in [0, 1), each one-dimensional projection of the first 2^m points is
// stratified (one point per interval of width 2^-m, kept by the scramble), seeds differ, low discrepancy.
#include "rng.h"
#include "sobol.h"

#include <gtest/gtest.h>

#include <set>

using namespace lwb::tuner::detail;

TEST(Sobol, OneDimensionalProjectionsAreStratified)
{
    for (auto scramble : {SobolSequence::Scramble::None, SobolSequence::Scramble::LinearMatrixAndShift}) {
        SobolSequence sobol(20, 42, scramble);
        const int m = 8, n = 1 << m;
        std::vector<std::set<int>> cells(20);
        std::vector<double> x(20);
        for (int i = 0; i < n; ++i) {
            sobol.point(static_cast<std::uint64_t>(i), x.data());
            for (int d = 0; d < 20; ++d) {
                ASSERT_GE(x[static_cast<std::size_t>(d)], 0.0);
                ASSERT_LT(x[static_cast<std::size_t>(d)], 1.0);
                cells[static_cast<std::size_t>(d)].insert(static_cast<int>(x[static_cast<std::size_t>(d)] * n));
            }
        }
        for (int d = 0; d < 20; ++d)
            EXPECT_EQ(cells[static_cast<std::size_t>(d)].size(), static_cast<std::size_t>(n)) << "dim " << d;
    }
}

TEST(Sobol, TwoDimensionalProjectionsBeatRandomPoints)
{
    // Fraction of empty cells of a 16 x 16 grid after 256 points: about 1/e for random points,
    // far fewer for a (t, m, 2)-net.
    SobolSequence sobol(6, 7);
    std::vector<double> x(6);
    std::set<int> cells;
    for (int i = 0; i < 256; ++i) {
        sobol.point(static_cast<std::uint64_t>(i), x.data());
        cells.insert(static_cast<int>(x[2] * 16) * 16 + static_cast<int>(x[5] * 16));
    }
    EXPECT_GT(cells.size(), 220u);
}

TEST(Sobol, SeedsGiveDifferentPointSets)
{
    SobolSequence a(3, 1), b(3, 2), c(3, 1);
    std::vector<double> xa(3), xb(3), xc(3);
    a.point(5, xa.data());
    b.point(5, xb.data());
    c.point(5, xc.data());
    EXPECT_NE(xa, xb);
    EXPECT_EQ(xa, xc);
}

TEST(Rng, SameSeedSameStream)
{
    Rng a(9), b(9);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(a.next(), b.next());
    Rng c(mixSeed(9, 1)), d(mixSeed(9, 2));
    EXPECT_NE(c.next(), d.next());
    double sum = 0.0;
    Rng e(3);
    for (int i = 0; i < 10000; ++i)
        sum += e.normal();
    EXPECT_NEAR(sum / 10000.0, 0.0, 0.05);
}
