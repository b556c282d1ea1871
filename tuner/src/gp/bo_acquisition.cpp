// Acquisition of the GP-BO sampler: log-EI times probabilities of feasibility, in log space, with
// gradients by the chain rule through s = sqrt(var): ds/du = dvar/du / (2 s). See bo_acquisition.h.
#include "bo_acquisition.h"

#include "acquisition.h"

#include <cmath>

namespace lwb::tuner::detail {

VectorXd BoAcquisition::evaluate(const MatrixXd& U) const
{
    VectorXd total = VectorXd::Zero(U.rows());
    VectorXd mean, var;
    if (m_objective) {
        m_objective->predict(U, mean, var);
        for (Eigen::Index i = 0; i < U.rows(); ++i)
            total[i] += logExpectedImprovement(mean[i], std::sqrt(var[i]), m_incumbent, nullptr, nullptr);
    }
    for (const auto& c : m_constraints) {
        c.model.predict(U, mean, var);
        for (Eigen::Index i = 0; i < U.rows(); ++i)
            total[i] += logProbabilityBelow(mean[i], std::sqrt(var[i]), c.bound, nullptr, nullptr);
    }
    return total;
}

double BoAcquisition::evaluatePoint(const VectorXd& u, VectorXd* grad) const
{
    double total = 0.0;
    if (grad)
        grad->setZero(u.size());
    VectorXd dMean, dVar;
    auto term = [&](const GpModel& model, auto&& logTerm) {
        double mean = 0.0, var = 0.0;
        model.predictPoint(u, mean, var, grad ? &dMean : nullptr, grad ? &dVar : nullptr);
        double s = std::sqrt(var);
        double dm = 0.0, ds = 0.0;
        total += logTerm(mean, s, grad ? &dm : nullptr, grad ? &ds : nullptr);
        if (grad)
            *grad += dm * dMean + ds * dVar / (2.0 * s);
    };
    if (m_objective) {
        term(*m_objective, [&](double m, double s, double* dm, double* ds) {
            return logExpectedImprovement(m, s, m_incumbent, dm, ds);
        });
    }
    for (const auto& c : m_constraints) {
        term(c.model,
            [&](double m, double s, double* dm, double* ds) { return logProbabilityBelow(m, s, c.bound, dm, ds); });
    }
    return total;
}

} // namespace lwb::tuner::detail
