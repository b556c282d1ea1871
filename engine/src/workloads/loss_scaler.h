// Dynamic loss scaling for fp16 training (the usual recipe: PyTorch's GradScaler, Megatron):
// multiply the loss (dlogits scale) by S so small fp16 gradients do not underflow, check the
// fp32 parameter gradients for inf/NaN after the backward pass, skip the step and halve S on
// overflow, double S after `growthInterval` clean steps, and unscale in the optimiser
// (AdamWStep::gradScale = clip / S; the gradient norm is divided by S). Pure host logic, header
// only and backend-neutral: DataParallelOptimizer (common.h) drives it for fp16 training and
// checks finiteness through the gradient norm it computes anyway (an inf or NaN anywhere makes
// the sum of squares non-finite).
#pragma once

#include <algorithm>
#include <cstdint>

namespace lwb::engine::detail {

class DynamicLossScaler {
public:
    struct Settings {
        float initialScale = 65536.0f; ///< 2^16
        float growthFactor = 2.0f;
        float backoffFactor = 0.5f;
        std::int64_t growthInterval = 2000; ///< clean steps before the scale grows
        float minScale = 1.0f;
        float maxScale = 16777216.0f; ///< 2^24
    };
    enum class Decision { Apply, Skip };

    DynamicLossScaler()
        : DynamicLossScaler(Settings {})
    {
    }
    explicit DynamicLossScaler(Settings s)
        : m_settings(s)
        , m_scale(std::clamp(s.initialScale, s.minScale, s.maxScale))
    {
    }

    /// The factor to multiply the loss gradient with this step.
    float scale() const { return m_scale; }
    /// Called once per step with whether all gradients were finite: Skip means do not apply the
    /// update (the scale was reduced); Apply means unscale by the scale() used for this step.
    Decision update(bool gradientsFinite)
    {
        if (!gradientsFinite) {
            m_scale = std::max(m_settings.minScale, m_scale * m_settings.backoffFactor);
            m_cleanSteps = 0;
            ++m_skipped;
            return Decision::Skip;
        }
        if (++m_cleanSteps >= m_settings.growthInterval) {
            m_scale = std::min(m_settings.maxScale, m_scale * m_settings.growthFactor);
            m_cleanSteps = 0;
        }
        return Decision::Apply;
    }
    std::int64_t skippedSteps() const { return m_skipped; }

private:
    Settings m_settings;
    float m_scale;
    std::int64_t m_cleanSteps = 0;
    std::int64_t m_skipped = 0;
};

} // namespace lwb::engine::detail
