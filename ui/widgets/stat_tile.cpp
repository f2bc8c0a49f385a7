// SPDX-License-Identifier: MIT
#include "widgets/stat_tile.h"

#include <QLabel>
#include <QVBoxLayout>

namespace trackwatch::ui {

StatTile::StatTile(const QString& caption, QWidget* parent)
    : QFrame(parent)
    , m_caption(new QLabel(caption, this))
    , m_value(new QLabel(QStringLiteral("–"), this))
    , m_detail(new QLabel(this)) {
    setFrameShape(QFrame::StyledPanel);
    setMinimumWidth(150);
    QFont valueFont = m_value->font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 1.9);
    valueFont.setBold(true);
    m_value->setFont(valueFont);
    m_caption->setWordWrap(true);
    m_detail->setWordWrap(true);
    m_caption->setForegroundRole(QPalette::PlaceholderText);
    m_detail->setForegroundRole(QPalette::PlaceholderText);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_caption);
    layout->addWidget(m_value);
    layout->addWidget(m_detail);
    m_detail->hide();
}

void StatTile::setValue(const QString& value) {
    m_value->setText(value);
}

void StatTile::setDetail(const QString& detail) {
    m_detail->setText(detail);
    m_detail->setVisible(!detail.isEmpty());
}

void StatTile::setLevel(Level level) {
    m_level = level;
    // Mid-tone colours that keep their contrast on a light and on a dark window background.
    static const QColor good(0x2e, 0x9d, 0x4f);
    static const QColor warning(0xd0, 0x8a, 0x00);
    static const QColor bad(0xd6, 0x3a, 0x3a);
    QPalette p = m_value->palette();
    p.setColor(QPalette::WindowText, level == Level::Good      ? good
                                     : level == Level::Warning ? warning
                                     : level == Level::Bad     ? bad
                                                           : palette().color(QPalette::WindowText));
    m_value->setPalette(p);
}

QString StatTile::value() const {
    return m_value->text();
}

} // namespace trackwatch::ui
