// Light and dark themes that follow the desktop: Fusion style with our palettes. Qt 6.5+ reports
// the desktop's colour scheme (QStyleHints::colorScheme); on 6.4 we read the lightness of the
// platform's default window colour instead. Plot colours derive from the active palette.
#pragma once

#include <QColor>
#include <QFont>
#include <QPalette>

class QApplication;

namespace lwb::ui {

enum class ThemeChoice { FollowDesktop, Light, Dark };

/// True when the desktop asks for a dark scheme (see the file comment for how it is detected).
bool desktopPrefersDark();
/// True when a palette's window colour is dark.
bool isDark(const QPalette& palette);
/// Applies the theme to the application (style, palette); call again when the desktop changes.
void applyTheme(ThemeChoice choice);
ThemeChoice currentThemeChoice();
QPalette lightPalette();
QPalette darkPalette();

/// Colours of plots and the timeline for the current palette.
struct PlotStyle {
    QColor background;
    QColor panel; ///< plot area
    QColor text;
    QColor mutedText;
    QColor grid;
    QColor axis;
    QColor accent; ///< complete trials, GP mean
    QColor best; ///< best-so-far line, Pareto front
    QColor failed;
    QColor pruned;
    QColor running;
    QColor band; ///< GP uncertainty band
    QColor highlight; ///< search matches on the timeline
    QColor selection;
    bool dark = false;

    static PlotStyle fromPalette(const QPalette& palette);
};

/// A stable colour for a name (same kernel, same colour in every view).
QColor colorForName(std::string_view name, bool dark);

} // namespace lwb::ui
