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

    void setValue(const QString& value);
    void setDetail(const QString& detail);
    QString value() const;

private:
    QLabel* m_caption;
    QLabel* m_value;
    QLabel* m_detail;
};

} // namespace trackwatch::ui
