// Themes (see theme.h). Palettes are tuned for long sessions: low-glare dark greys, a blue
// accent, and state colours that stay distinguishable in both schemes.
#include "lwb/ui/theme.h"

#include <QApplication>
#include <QGuiApplication>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleHints>

#include <string_view>

namespace lwb::ui {

namespace {
ThemeChoice g_choice = ThemeChoice::FollowDesktop;
// The platform's palette before we replace it: the 6.4 fallback reads its lightness.
QPalette& platformPalette()
{
    static QPalette p = QGuiApplication::palette();
    return p;
}
} // namespace

bool isDark(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

bool desktopPrefersDark()
{
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    const auto scheme = QGuiApplication::styleHints()->colorScheme();
    if (scheme != Qt::ColorScheme::Unknown)
        return scheme == Qt::ColorScheme::Dark;
#endif
    if (qEnvironmentVariableIsSet("LWB_THEME"))
        return qEnvironmentVariable("LWB_THEME") == QLatin1String("dark");
    return isDark(platformPalette());
}

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0xf3, 0xf4, 0xf6));
    p.setColor(QPalette::WindowText, QColor(0x1f, 0x23, 0x28));
    p.setColor(QPalette::Base, QColor(0xff, 0xff, 0xff));
    p.setColor(QPalette::AlternateBase, QColor(0xf6, 0xf8, 0xfa));
    p.setColor(QPalette::ToolTipBase, QColor(0xff, 0xff, 0xf0));
    p.setColor(QPalette::ToolTipText, QColor(0x1f, 0x23, 0x28));
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x92, 0x9b));
    p.setColor(QPalette::Text, QColor(0x1f, 0x23, 0x28));
    p.setColor(QPalette::Button, QColor(0xf6, 0xf7, 0xf9));
    p.setColor(QPalette::ButtonText, QColor(0x1f, 0x23, 0x28));
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xd0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x2f, 0x6f, 0xd0));
    p.setColor(QPalette::Mid, QColor(0xc8, 0xcd, 0xd3));
    p.setColor(QPalette::Dark, QColor(0xa0, 0xa6, 0xad));
    p.setColor(QPalette::Light, Qt::white);
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x9a, 0xa0, 0xa6));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x9a, 0xa0, 0xa6));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x9a, 0xa0, 0xa6));
    return p;
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x25, 0x28, 0x2d));
    p.setColor(QPalette::WindowText, QColor(0xdc, 0xdf, 0xe4));
    p.setColor(QPalette::Base, QColor(0x1c, 0x1e, 0x22));
    p.setColor(QPalette::AlternateBase, QColor(0x23, 0x26, 0x2b));
    p.setColor(QPalette::ToolTipBase, QColor(0x30, 0x34, 0x3a));
    p.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe8, 0xeb));
    p.setColor(QPalette::PlaceholderText, QColor(0x7d, 0x84, 0x8d));
    p.setColor(QPalette::Text, QColor(0xdc, 0xdf, 0xe4));
    p.setColor(QPalette::Button, QColor(0x2e, 0x32, 0x38));
    p.setColor(QPalette::ButtonText, QColor(0xdc, 0xdf, 0xe4));
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xe0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa6, 0xff));
    p.setColor(QPalette::Mid, QColor(0x45, 0x4a, 0x52));
    p.setColor(QPalette::Dark, QColor(0x18, 0x1a, 0x1d));
    p.setColor(QPalette::Light, QColor(0x3a, 0x3f, 0x46));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6c, 0x72, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6c, 0x72, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x6c, 0x72, 0x7a));
    return p;
}

void applyTheme(ThemeChoice choice)
{
    (void)platformPalette(); // remember the desktop's palette before the first change
    g_choice = choice;
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    // Follow the desktop when it switches between light and dark while we run.
    static const bool connected = [] {
        QObject::connect(QGuiApplication::styleHints(), &QStyleHints::colorSchemeChanged, qApp, [] {
            if (g_choice == ThemeChoice::FollowDesktop)
                applyTheme(ThemeChoice::FollowDesktop);
        });
        return true;
    }();
    (void)connected;
#endif
    const bool dark = choice == ThemeChoice::Dark || (choice == ThemeChoice::FollowDesktop && desktopPrefersDark());
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) {
        if (QStyle* fusion = QStyleFactory::create(QStringLiteral("Fusion")))
            QApplication::setStyle(fusion);
        QApplication::setPalette(dark ? darkPalette() : lightPalette());
        (void)app;
    }
}

ThemeChoice currentThemeChoice()
{
    return g_choice;
}

PlotStyle PlotStyle::fromPalette(const QPalette& palette)
{
    PlotStyle s;
    s.dark = isDark(palette);
    s.background = palette.color(QPalette::Window);
    s.panel = palette.color(QPalette::Base);
    s.text = palette.color(QPalette::Text);
    s.mutedText = s.dark ? QColor(0x9a, 0xa0, 0xa8) : QColor(0x66, 0x6d, 0x75);
    s.grid = s.dark ? QColor(0x33, 0x37, 0x3d) : QColor(0xe8, 0xea, 0xed);
    s.axis = s.dark ? QColor(0x5a, 0x60, 0x68) : QColor(0xa8, 0xae, 0xb5);
    s.accent = s.dark ? QColor(0x5b, 0x9b, 0xf0) : QColor(0x2f, 0x6f, 0xd0);
    s.best = s.dark ? QColor(0xf5, 0xa6, 0x23) : QColor(0xe0, 0x7b, 0x00);
    s.failed = s.dark ? QColor(0xf0, 0x6a, 0x6a) : QColor(0xd0, 0x35, 0x35);
    s.pruned = s.dark ? QColor(0x8a, 0x90, 0x98) : QColor(0xa0, 0xa6, 0xad);
    s.running = QColor(0x2e, 0xb8, 0x72);
    s.band = s.accent;
    s.band.setAlpha(s.dark ? 60 : 45);
    s.highlight = QColor(0xff, 0xd0, 0x3a);
    s.selection = s.dark ? QColor(0xff, 0xff, 0xff) : QColor(0x10, 0x10, 0x10);
    return s;
}

QColor colorForName(std::string_view name, bool dark)
{
    // FNV-1a: stable across runs and platforms (std::hash is not).
    std::uint32_t h = 2166136261u;
    for (unsigned char c : name)
        h = (h ^ c) * 16777619u;
    const int hue = static_cast<int>(h % 360);
    const int sat = 110 + static_cast<int>((h >> 9) % 60);
    const int val = dark ? 170 + static_cast<int>((h >> 17) % 40) : 200 + static_cast<int>((h >> 17) % 40);
    return QColor::fromHsv(hue, sat, val);
}

} // namespace lwb::ui
