// Study history for samplers (see history.h).
#include "history.h"

namespace lwb::tuner::detail {

History buildHistory(const SpaceCodec& codec, const std::vector<Trial>& trials)
{
    History h;
    for (const Trial& t : trials) {
        if (t.origin != TrialOrigin::WarmStart)
            ++h.ownTrials;
        auto values = codec.toValues(t.params);
        if (!values)
            continue;
        HistoryPoint point {&t, std::move(values).value()};
        std::string key = codec.key(point.values.data());
        switch (t.state) {
        case TrialState::Complete:
            if (t.values.empty())
                break;
            h.completeKeys.insert(key);
            h.complete.push_back(std::move(point));
            break;
        case TrialState::Failed:
            if (t.failReason == kInterruptedReason)
                break;
            h.failedKeys.insert(key);
            h.failed.push_back(std::move(point));
            break;
        case TrialState::Running:
        case TrialState::Waiting:
            h.pendingKeys.insert(key);
            h.pending.push_back(std::move(point));
            break;
        case TrialState::Pruned:
            h.pendingKeys.insert(key);
            break;
        }
    }
    return h;
}

} // namespace lwb::tuner::detail
