// SPDX-License-Identifier: MIT
#pragma once

#include "control/control_plane.h"
#include "engine/engine_registry.h"

#include <QFrame>

class QLabel;
class QPushButton;

namespace trackwatch::ui {

// One circuit breaker, as Hystrix Dashboard shows a circuit: its state as a colour (closed
// green, open or forced open red, half-open amber), each running engine's own state and
// counts, the last transition, and Trip / Reset for a person (absent when read-only). The
// buttons only emit requests: the page asks for a reason and makes the change.
class BreakerTile : public QFrame {
    Q_OBJECT
public:
    BreakerTile(const QString& operation, bool readOnly, QWidget* parent = nullptr);

    const QString& operation() const { return m_operation; }
    // The shared state and the engines' views of this breaker (others are ignored).
    void setState(const core::BreakerRecord& shared,
                  const QList<core::EngineBreakerState>& engines);
    // The state the tile shows: forced_open when a person tripped it, else the worst of the
    // shared and the engines' states.
    QString shownState() const { return m_shown; }

    static QString stateText(const QString& state); // translated
    static QColor stateColour(const QString& state);

    QPushButton* tripButton() const { return m_trip; }
    QPushButton* resetButton() const { return m_reset; }

signals:
    void tripRequested(const QString& operation);
    void resetRequested(const QString& operation);

private:
    QString m_operation;
    QString m_shown;
    QLabel* m_title;
    QLabel* m_state;
    QLabel* m_shared;
    QLabel* m_engines;
    QLabel* m_last;
    QPushButton* m_trip = nullptr;
    QPushButton* m_reset = nullptr;
};

} // namespace trackwatch::ui
