// The GUI's end-to-end flow, written once against the StudyController interface: from the Setup
// page to a finished study (QTest clicks), the best trial's timeline, the Compare page, and a
// tuned-profile export. The demo controller runs it today; the workbench service's controller
// runs the same function for issue 7's acceptance test (then `lwb check` reads the profile).
#pragma once

#include <QString>

namespace lwb::ui {
class MainWindow;
}

namespace lwb::ui::test {

struct EndToEndOptions {
    QString workload; ///< "" = the first offered (e.g. "mlp-train" for a short CPU study)
    int trials = 4;
    int timeoutMs = 60'000; ///< for the study, and again for each load
    QString profilePath; ///< where the tuned profile is exported
};

struct EndToEndResult {
    bool finished = false; ///< the study reached RunState::Finished
    int trials = 0;
    int bestTrial = -1;
    bool timelineShown = false; ///< the best trial's timeline is on the Timeline page
    bool compared = false; ///< the Compare page shows a comparison
    bool exported = false; ///< the export reported success
    QString failure; ///< what went wrong first ("" when nothing did)
};

/// Drives `window` (shown, over any controller) through the whole flow.
EndToEndResult runEndToEnd(MainWindow& window, const EndToEndOptions& options);

} // namespace lwb::ui::test
