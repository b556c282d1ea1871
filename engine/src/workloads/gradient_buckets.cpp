// Gradient bucket planning (see gradient_buckets.h).
#include "workloads/gradient_buckets.h"

#include <fmt/core.h>

namespace lwb::engine::detail {

std::vector<GradientSegment> gptGradientsInBackwardOrder(const GptConfig& c)
{
    // Offsets mirror GptTensors::of (llm.c order: wte, wpe, then each parameter kind for all
    // layers, then lnf); a test checks them against GptTensors::of.
    const std::int64_t C = c.nEmbd, L = c.nLayer, Vp = c.paddedVocab();
    const std::int64_t wte = 0, wpe = wte + Vp * C;
    const std::int64_t ln1w = wpe + c.maxSeqLen * C, ln1b = ln1w + L * C, qkvw = ln1b + L * C;
    const std::int64_t qkvb = qkvw + L * 3 * C * C, attprojw = qkvb + L * 3 * C, attprojb = attprojw + L * C * C;
    const std::int64_t ln2w = attprojb + L * C, ln2b = ln2w + L * C, fcw = ln2b + L * C, fcb = fcw + L * 4 * C * C;
    const std::int64_t fcprojw = fcb + L * 4 * C, fcprojb = fcprojw + L * 4 * C * C, lnfw = fcprojb + L * C;
    const std::int64_t lnfb = lnfw + C;

    std::vector<GradientSegment> out;
    out.push_back({"ln_f.weight", lnfw, C, 0});
    out.push_back({"ln_f.bias", lnfb, C, 0});
    for (std::int64_t l = L - 1; l >= 0; --l) {
        const int stage = static_cast<int>(L - l);
        const std::string h = fmt::format("h.{}.", l);
        out.push_back({h + "mlp.c_proj.weight", fcprojw + l * 4 * C * C, 4 * C * C, stage});
        out.push_back({h + "mlp.c_proj.bias", fcprojb + l * C, C, stage});
        out.push_back({h + "mlp.c_fc.weight", fcw + l * 4 * C * C, 4 * C * C, stage});
        out.push_back({h + "mlp.c_fc.bias", fcb + l * 4 * C, 4 * C, stage});
        out.push_back({h + "ln_2.weight", ln2w + l * C, C, stage});
        out.push_back({h + "ln_2.bias", ln2b + l * C, C, stage});
        out.push_back({h + "attn.c_proj.weight", attprojw + l * C * C, C * C, stage});
        out.push_back({h + "attn.c_proj.bias", attprojb + l * C, C, stage});
        out.push_back({h + "attn.c_attn.weight", qkvw + l * 3 * C * C, 3 * C * C, stage});
        out.push_back({h + "attn.c_attn.bias", qkvb + l * 3 * C, 3 * C, stage});
        out.push_back({h + "ln_1.weight", ln1w + l * C, C, stage});
        out.push_back({h + "ln_1.bias", ln1b + l * C, C, stage});
    }
    const int last = static_cast<int>(L + 1);
    out.push_back({"wpe.weight", wpe, c.maxSeqLen * C, last});
    out.push_back({"wte.weight", wte, Vp * C, last});
    return out;
}

std::vector<GradientBucket> planGradientBuckets(
    const std::vector<GradientSegment>& backwardOrder, std::int64_t bucketBytes)
{
    std::vector<GradientBucket> buckets;
    GradientBucket open;
    auto close = [&] {
        if (!open.segments.empty())
            buckets.push_back(std::move(open));
        open = {};
    };
    for (const GradientSegment& s : backwardOrder) {
        const std::int64_t bytes = s.count * static_cast<std::int64_t>(sizeof(float));
        if (bytes >= bucketBytes)
            close(); // a large gradient goes alone rather than delaying the smaller ones before it
        open.segments.push_back(s);
        open.bytes += bytes;
        open.readyStage = s.readyStage;
        if (open.bytes >= bucketBytes)
            close();
    }
    close();
    return buckets;
}

} // namespace lwb::engine::detail
