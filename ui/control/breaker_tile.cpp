// SPDX-License-Identifier: MIT
#include "control/breaker_tile.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

int severity(const QString& state) {
    if (state == u"forced_open") {
        return 4;
    }
    if (state == u"open") {
        return 3;
    }
    if (state == u"half_open") {
        return 2;
    }
    return 0;
}

QString timeText(const QDateTime& t) {
    return t.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

} // namespace

BreakerTile::BreakerTile(const QString& operation, bool readOnly, QWidget* parent)
    : QFrame(parent)
    , m_operation(operation)
    , m_title(new QLabel(operation, this))
    , m_state(new QLabel(this))
    , m_shared(new QLabel(this))
    , m_engines(new QLabel(this))
    , m_last(new QLabel(this)) {
    setObjectName(u"breaker_"_s + operation);
    setFrameShape(QFrame::StyledPanel);
    setMinimumWidth(200); // five fit side by side in the console's default width
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    m_state->setObjectName(u"state"_s);
    m_state->setAlignment(Qt::AlignCenter);
    m_state->setMinimumWidth(96);
    QFont stateFont = m_state->font();
    stateFont.setBold(true);
    m_state->setFont(stateFont);
    for (QLabel* label : {m_shared, m_engines, m_last}) {
        label->setWordWrap(true);
        label->setTextFormat(Qt::PlainText);
    }
    m_engines->setObjectName(u"engines"_s);
    m_last->setForegroundRole(QPalette::PlaceholderText);

    // The name on its own line (the operations' names are long), the state under it.
    auto* header = new QVBoxLayout;
    header->addWidget(m_title);
    header->addWidget(m_state, 0, Qt::AlignLeft);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addWidget(m_shared);
    layout->addWidget(m_engines);
    layout->addWidget(m_last);
    layout->addStretch(1);
    if (!readOnly) {
        m_trip = new QPushButton(tr("Trip…"), this);
        m_trip->setObjectName(u"trip"_s);
        m_trip->setToolTip(tr("Force the breaker open: every engine uses the legacy path"));
        m_reset = new QPushButton(tr("Reset…"), this);
        m_reset->setObjectName(u"reset"_s);
        m_reset->setToolTip(tr("Close the breaker again: engines use the optimized path"));
        auto* buttons = new QHBoxLayout;
        buttons->addStretch(1);
        buttons->addWidget(m_trip);
        buttons->addWidget(m_reset);
        layout->addLayout(buttons);
        connect(m_trip, &QPushButton::clicked, this, [this] { emit tripRequested(m_operation); });
        connect(m_reset, &QPushButton::clicked, this, [this] { emit resetRequested(m_operation); });
    }
    setState({operation, u"closed"_s, {}, {}, {}}, {});
}

QString BreakerTile::stateText(const QString& state) {
    if (state == u"closed") {
        return tr("closed");
    }
    if (state == u"open") {
        return tr("open");
    }
    if (state == u"half_open") {
        return tr("half-open");
    }
    if (state == u"forced_open") {
        return tr("forced open");
    }
    if (state == u"disabled") {
        return tr("disabled");
    }
    return state;
}

QColor BreakerTile::stateColour(const QString& state) {
    // Mid-tone colours that read on a light and on a dark window (the dashboard's tiles use
    // the same).
    switch (severity(state)) {
    case 4:
    case 3:
        return {0xd6, 0x3a, 0x3a};
    case 2:
        return {0xd0, 0x8a, 0x00};
    default:
        return state == u"closed" ? QColor(0x2e, 0x9d, 0x4f) : QColor(0x80, 0x80, 0x80);
    }
}

void BreakerTile::setState(const core::BreakerRecord& shared,
                           const QList<core::EngineBreakerState>& engines) {
    QString shown = shared.state;
    QDateTime lastAt = shared.changedAt;
    QString last;
    if (shared.changedAt.isValid()) {
        last = tr("%1: %2 by %3")
                   .arg(timeText(shared.changedAt), stateText(shared.state), shared.changedBy);
    }
    QStringList lines;
    QMap<QString, int> counts;
    for (const core::EngineBreakerState& e : engines) {
        if (e.operation != m_operation) {
            continue;
        }
        ++counts[e.state];
        if (shared.state != u"forced_open" && severity(e.state) > severity(shown)) {
            shown = e.state;
        }
        if (e.since.isValid() && (!lastAt.isValid() || e.since > lastAt)) {
            lastAt = e.since;
            last = tr("%1: %2 in engine %3")
                       .arg(timeText(e.since), stateText(e.state), e.engineId.left(8));
        }
        lines << tr("%1  %2 · %3 failures in a row · %4 of %5 recent calls failed")
                     .arg(e.engineId.left(8), stateText(e.state))
                     .arg(e.consecutiveFailures)
                     .arg(e.windowFailures)
                     .arg(e.windowCalls);
    }
    m_shown = shown;

    const QColor colour = stateColour(shown);
    // Dark text on amber, white on green, red and grey: readable on either palette.
    const QString text = severity(shown) == 2 ? u"#1a1a1a"_s : u"#ffffff"_s;
    m_state->setText(stateText(shown).toUpper());
    m_state->setStyleSheet(u"QLabel { background: %1; color: %2; border-radius: 4px; "
                           u"padding: 2px 8px; }"_s.arg(colour.name(), text));
    setStyleSheet(u"trackwatch--ui--BreakerTile { border: 1px solid palette(mid); "
                  u"border-left: 5px solid %1; border-radius: 4px; }"_s.arg(colour.name()));

    if (shared.state == u"forced_open") {
        m_shared->setText(tr("Tripped by %1: %2").arg(shared.changedBy, shared.reason));
    } else if (shared.changedAt.isValid()) {
        m_shared->setText(tr("Shared state %1 (set by %2: %3)")
                              .arg(stateText(shared.state), shared.changedBy, shared.reason));
    } else {
        m_shared->setText(tr("Shared state %1").arg(stateText(shared.state)));
    }

    QStringList summary;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        summary << u"%1 %2"_s.arg(it.value()).arg(stateText(it.key()));
    }
    const int running = static_cast<int>(lines.size());
    const QString engineCount = running == 1
                                    ? tr("1 engine: %1").arg(summary.join(u", "_s))
                                    : tr("%1 engines: %2").arg(running).arg(summary.join(u", "_s));
    m_engines->setText(running == 0 ? tr("No running engine reports this breaker.")
                                    : engineCount + u"\n"_s + lines.join(u"\n"_s));
    m_last->setText(last.isEmpty() ? tr("No transition yet.") : tr("Last transition %1").arg(last));
    if (m_trip != nullptr) {
        m_trip->setEnabled(shared.state != u"forced_open");
        m_reset->setEnabled(shared.state != u"closed");
    }
}

} // namespace trackwatch::ui
