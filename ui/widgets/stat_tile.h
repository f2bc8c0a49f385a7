// SPDX-License-Identifier: MIT
#pragma once

#include <QFrame>

class QLabel;

namespace trackwatch::ui {

// A labelled number: a caption above a large value, with an optional detail line beneath.
class StatTile : public QFrame {
    Q_OBJECT
public:
    explicit StatTile(const QString& caption, QWidget* parent = nullptr);

    // How the value reads against its target: the value's colour (green, amber, red), the
    // same in the light and the dark palette.
    enum class Level { Neutral, Good, Warning, Bad };

    void setValue(const QString& value);
    void setDetail(const QString& detail);
    void setLevel(Level level);
    QString value() const;
    Level level() const { return m_level; }

private:
    QLabel* m_caption;
    QLabel* m_value;
    QLabel* m_detail;
    Level m_level = Level::Neutral;
};

} // namespace trackwatch::ui
