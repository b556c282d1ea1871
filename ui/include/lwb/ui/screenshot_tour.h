// The screenshot tour of `lepton-workbench --screenshots DIR`: opens a study, visits every page
// in the states worth showing (timeline zoomed and searched, kernels selected, a comparison, an
// export) and saves one PNG per view. tools/screenshots.sh runs it under Xvfb. Lives in
// lwb_ui so the app stays one file.
#pragma once

#include <QString>

namespace lwb::ui {

class MainWindow;

/// Runs the tour on `window` (already shown); returns the number of PNGs written, or -1.
/// `study` is what to open ("demo:300" with the demo controller, or a study file).
int runScreenshotTour(MainWindow& window, const QString& study, const QString& paretoStudy, const QString& dir);

} // namespace lwb::ui
