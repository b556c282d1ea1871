// The acquisition the GP-BO sampler maximises over the unit cube u (D dims):
//   a(u) = log EI(mu_f(u), s_f(u); f*) + sum_c log P(g_c(u) <= b_c)
// with the objective model f (pending trials conditioned in with a constant lie), f* the best
// posterior mean among feasible completed trials, and one model g_c per outcome constraint plus one
// feasibility model (failure indicator, +1 failed / -1 ran) when trials failed. Without a feasible
// incumbent only the probability terms remain (find feasibility first).
#pragma once

#include "gp.h"

#include <optional>
#include <vector>

namespace lwb::tuner::detail {

struct ConstraintModel {
    GpModel model;
    double bound = 0.0; ///< feasible when the modelled value <= bound (standardised units)
};

class BoAcquisition {
public:
    BoAcquisition(std::optional<GpModel> objective, double incumbent, std::vector<ConstraintModel> constraints)
        : m_objective(std::move(objective))
        , m_incumbent(incumbent)
        , m_constraints(std::move(constraints))
    {
    }

    /// a(u) for every row of U (m x D).
    VectorXd evaluate(const MatrixXd& U) const;
    /// a(u) and its gradient (D) when grad is not null.
    double evaluatePoint(const VectorXd& u, VectorXd* grad) const;

private:
    std::optional<GpModel> m_objective; ///< absent: no feasible incumbent yet
    double m_incumbent = 0.0;
    std::vector<ConstraintModel> m_constraints;
};

} // namespace lwb::tuner::detail
