// The study history as samplers need it: trials converted to value vectors and grouped by state,
// with keys of the configurations that must not be proposed again.
#pragma once

#include "encoding.h"
#include "lwb/tuner/trial.h"

#include <set>
#include <string>
#include <vector>

namespace lwb::tuner::detail {

struct HistoryPoint {
    const Trial* trial = nullptr;
    std::vector<double> values; ///< value vector (see encoding.h)
};

struct History {
    std::vector<HistoryPoint> complete; ///< COMPLETE, warm-start copies included
    std::vector<HistoryPoint> failed; ///< FAILED because of the configuration (not interrupted)
    std::vector<HistoryPoint> pending; ///< RUNNING and WAITING
    std::set<std::string> failedKeys; ///< never proposed again
    std::set<std::string> pendingKeys; ///< running, waiting or pruned: not proposed again
    std::set<std::string> completeKeys;
    int ownTrials = 0; ///< trials that are not warm-start copies
};

/// Groups the trials; trials whose parameters do not fit the space (e.g. an older space) are skipped.
History buildHistory(const SpaceCodec& codec, const std::vector<Trial>& trials);

/// Calls emit(values) for every combination of the given levels (levels[p] empty: parameter not
/// enumerated, left NaN), respecting conditions; stops after `limit` combinations and returns false
/// when there were more.
template <typename Emit>
bool enumerateCombinations(
    const SpaceCodec& codec, const std::vector<std::vector<double>>& levels, std::size_t limit, Emit&& emit)
{
    const auto& order = codec.order();
    std::vector<double> values(static_cast<std::size_t>(codec.paramCount()), 0.0);
    std::size_t count = 0;
    bool complete = true;
    auto recurse = [&](auto&& self, std::size_t at) -> void {
        if (!complete)
            return;
        if (at == order.size()) {
            if (count >= limit) {
                complete = false;
                return;
            }
            ++count;
            emit(values);
            return;
        }
        int p = order[at];
        auto up = static_cast<std::size_t>(p);
        if (!codec.parentAllows(p, values.data())) {
            values[up] = std::nan("");
            self(self, at + 1);
            return;
        }
        if (!std::isnan(codec.fixedValue(p)) || levels[up].empty()) {
            values[up] = std::isnan(codec.fixedValue(p)) ? std::nan("") : codec.fixedValue(p);
            self(self, at + 1);
            return;
        }
        for (double level : levels[up]) {
            values[up] = level;
            self(self, at + 1);
        }
    };
    recurse(recurse, 0);
    return complete;
}

} // namespace lwb::tuner::detail
