// Small helpers shared by the pages: string conversion, titled panels, number formatting.
#pragma once

#include <QFrame>
#include <QLabel>
#include <QString>
#include <QVBoxLayout>

#include <cmath>
#include <string>
#include <string_view>

namespace lwb::ui {

inline QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
inline QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<int>(s.size()));
}

/// A framed panel with a bold title line and `content` below (plots and tables on the pages).
inline QFrame* makePanel(const QString& title, QWidget* content, QWidget* headerExtra = nullptr)
{
    auto* frame = new QFrame;
    frame->setFrameShape(QFrame::StyledPanel);
    auto* v = new QVBoxLayout(frame);
    v->setContentsMargins(6, 4, 6, 6);
    v->setSpacing(4);
    auto* header = new QHBoxLayout;
    auto* label = new QLabel(QStringLiteral("<b>%1</b>").arg(title));
    header->addWidget(label);
    header->addStretch();
    if (headerExtra)
        header->addWidget(headerExtra);
    v->addLayout(header);
    v->addWidget(content, 1);
    return frame;
}

/// 12345.6 -> "12,346"; 0.01234 -> "0.0123".
inline QString formatNumber(double v)
{
    const double a = std::fabs(v);
    if (a >= 1000)
        return QStringLiteral("%L1").arg(v, 0, 'f', 0);
    if (a >= 10)
        return QString::number(v, 'f', 1);
    if (a >= 0.01 || a == 0)
        return QString::number(v, 'f', 3);
    return QString::number(v, 'g', 3);
}

} // namespace lwb::ui
