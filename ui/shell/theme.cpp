// SPDX-License-Identifier: MIT
#include "shell/theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

QString themeName(Theme theme) {
    switch (theme) {
    case Theme::Light:
        return u"light"_s;
    case Theme::Dark:
        return u"dark"_s;
    case Theme::System:
        break;
    }
    return u"system"_s;
}

bool themeByName(const QString& name, Theme* out) {
    for (Theme t : {Theme::System, Theme::Light, Theme::Dark}) {
        if (name == themeName(t)) {
            *out = t;
            return true;
        }
    }
    return false;
}

namespace {

QPalette lightPalette() {
    QPalette p;
    const QColor window(0xf4, 0xf5, 0xf7);
    const QColor text(0x1d, 0x22, 0x2b);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::AlternateBase, QColor(0xec, 0xee, 0xf2));
    p.setColor(QPalette::ToolTipBase, Qt::white);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x6b, 0x72, 0x80));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0xe6, 0xe8, 0xec));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xb4, 0x23, 0x18));
    p.setColor(QPalette::Light, Qt::white);
    p.setColor(QPalette::Midlight, QColor(0xe0, 0xe3, 0xe8));
    p.setColor(QPalette::Mid, QColor(0xb8, 0xbd, 0xc6));
    p.setColor(QPalette::Dark, QColor(0x8a, 0x90, 0x9c));
    p.setColor(QPalette::Shadow, QColor(0x40, 0x44, 0x4c));
    p.setColor(QPalette::Highlight, QColor(0x25, 0x63, 0xc9));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x1d, 0x4e, 0xd8));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x9a, 0xa0, 0xaa));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x9a, 0xa0, 0xaa));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x9a, 0xa0, 0xaa));
    return p;
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(0x1e, 0x21, 0x27);
    const QColor base(0x16, 0x18, 0x1d);
    const QColor text(0xe3, 0xe6, 0xeb);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x23, 0x27, 0x2e));
    p.setColor(QPalette::ToolTipBase, QColor(0x2b, 0x2f, 0x37));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x8b, 0x93, 0xa1));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x2b, 0x2f, 0x37));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x8a, 0x80));
    p.setColor(QPalette::Light, QColor(0x3a, 0x3f, 0x49));
    p.setColor(QPalette::Midlight, QColor(0x33, 0x37, 0x40));
    p.setColor(QPalette::Mid, QColor(0x25, 0x28, 0x2f));
    p.setColor(QPalette::Dark, QColor(0x12, 0x14, 0x18));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, QColor(0x3b, 0x82, 0xf6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x7c, 0xb3, 0xff));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6b, 0x72, 0x7f));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x6b, 0x72, 0x7f));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6b, 0x72, 0x7f));
    return p;
}

} // namespace

void applyTheme(Theme theme) {
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    switch (theme) {
    case Theme::Light:
        QApplication::setPalette(lightPalette());
        break;
    case Theme::Dark:
        QApplication::setPalette(darkPalette());
        break;
    case Theme::System:
        QApplication::setPalette(QApplication::style()->standardPalette());
        break;
    }
}

} // namespace trackwatch::ui
