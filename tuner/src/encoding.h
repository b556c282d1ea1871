// SpaceCodec: the numeric forms of a configuration used inside the tuner.
//   value vector v (P = all parameters, space order): ints and floats as is, bool 0/1, categorical =
//     choice index, NaN = inactive. Constraints and conditions are evaluated on it.
//   unit-cube encoding u (D dims): one dim per free int/float/bool in [0, 1] (log/log2 first for
//     log and pow2 scales), one-hot (k dims) per categorical; inactive parameters encode as 0.
//   quantiles q (F = free parameters): one number in [0, 1) per free parameter, mapped so that a
//     uniform q gives the parameter's natural distribution (random, Sobol and grid samplers).
#pragma once

#include "expression.h"
#include "lwb/tuner/search_space.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::tuner::detail {

class SpaceCodec {
public:
    /// A free (searched) parameter and its place in u.
    struct FreeParam {
        int param = 0; ///< index in the value vector
        int offset = 0; ///< first dim in u
        int width = 1; ///< dims in u (k for a categorical)
        std::int64_t levels = 0; ///< distinct values (0 for floats)
        bool enumerable = false; ///< discrete with few levels: enumerated by the BO optimiser
    };

    /// Validates the space and compiles its constraints.
    static Result<SpaceCodec> create(const SearchSpace& space);

    const SearchSpace& space() const { return m_space; }
    int paramCount() const { return static_cast<int>(m_space.params().size()); }
    int dims() const { return m_dims; }
    const std::vector<FreeParam>& freeParams() const { return m_free; }
    const std::vector<Expression>& constraints() const { return m_constraints; }

    /// Checks and converts a configuration (fixed values may be omitted); inactive entries NaN.
    Result<std::vector<double>> toValues(const Params& params) const;
    Params toParams(const double* values) const;

    /// Sets fixed values and marks inactive parameters NaN, parents before children.
    void applyConditions(double* values) const;
    /// Parameters ordered parents before children.
    const std::vector<int>& order() const { return m_order; }
    /// Whether the parameter's condition holds given its parent's value (true without a condition).
    bool parentAllows(int param, const double* values) const;
    /// Fixed value (value-vector form) or NaN.
    double fixedValue(int param) const { return m_fixed[static_cast<std::size_t>(param)]; }
    /// Index of the first violated constraint, or -1.
    int violatedConstraint(const double* values) const;

    /// u from v (D dims).
    void encode(const double* values, double* u) const;
    /// v from u: rounds discrete dims to valid values, applies fixed values and conditions.
    void decode(const double* u, double* values) const;
    /// v from quantiles q (one per free parameter, in [0, 1)).
    void fromQuantiles(const double* q, double* values) const;

    /// Index in freeParams() of a parameter, -1 when it is fixed.
    int freeIndexOf(int param) const { return m_freeOfParam[static_cast<std::size_t>(param)]; }
    /// Value of free parameter number `freeIndex` at quantile q in [0, 1) (its natural distribution).
    double quantileValue(std::size_t freeIndex, double q) const;
    /// Value-vector value of level `index` of a discrete parameter.
    double levelValue(int param, std::int64_t index) const;
    /// Level index of a discrete parameter's value-vector value.
    std::int64_t levelIndex(int param, double value) const;

    /// A key that identifies a configuration (floats rounded to 10 significant digits).
    std::string key(const double* values) const;

private:
    double toUnit(const ParamSpec& p, double value) const;
    double fromUnit(const ParamSpec& p, double u) const;

    SearchSpace m_space;
    std::vector<FreeParam> m_free;
    std::vector<int> m_freeOfParam; ///< param -> index in m_free, -1 when fixed
    std::vector<int> m_order; ///< parents before children
    std::vector<int> m_parent; ///< param -> parent index or -1
    std::vector<std::vector<double>> m_allowed; ///< param -> allowed parent values (value-vector form)
    std::vector<double> m_fixed; ///< param -> fixed value (value-vector form) or NaN
    std::vector<Expression> m_constraints;
    int m_dims = 0;
};

/// Level count below which an int parameter is enumerated (not relaxed) by the BO optimiser.
inline constexpr std::int64_t kMaxEnumeratedLevels = 32;

} // namespace lwb::tuner::detail
