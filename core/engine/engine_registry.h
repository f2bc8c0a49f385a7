// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "control/circuit_breaker.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>

namespace trackwatch::core {

class Database;

// How an engine is doing, with the reasons when it is not healthy.
struct HealthReport {
    QString state = QStringLiteral("healthy"); // "healthy", "degraded" or "unhealthy"
    QStringList reasons;
};

struct EngineInstance {
    QString id;
    QString host;
    qint64 pid = 0;
    QString kind; // "console" or "daemon"
    QDateTime startedAt;
    QDateTime heartbeatAt;
    QDateTime stoppedAt;
    qint64 controlVersion = 0; // the control plane version it runs on
    QDateTime appliedAt;       // when it started running on that version
    HealthReport health;

    // "running", "stopped" (shut down cleanly) or "gone" (no heartbeat for staleAfter).
    QString status(const QDateTime& now) const;
};

// An engine's own view of one breaker (automatic transitions happen per engine).
struct EngineBreakerState {
    QString engineId;
    QString operation;
    QString state;
    QDateTime since;
    int consecutiveFailures = 0;
    int windowCalls = 0;
    int windowFailures = 0;
};

// The engines sharing a database: each registers itself, heartbeats every tick with the control
// version it has applied and its health, and reports its breakers' automatic transitions; a
// console or trackwatchctl reads them to see the fleet and to wait for engines to acknowledge a
// control change. Lives on its Database's thread. Not thread-safe.
class EngineRegistry {
public:
    static constexpr std::chrono::seconds kStaleAfter{5};

    EngineRegistry(Database& db, const Clock& clock);

    // Registers this process as an engine (and forgets engines gone for over a day).
    Status registerSelf(const QString& kind);
    const QString& id() const { return m_id; }
    Status heartbeat(qint64 controlVersion, const HealthReport& health);
    Status reportTransitions(const QString& operation, const QList<BreakerTransition>& list,
                             int consecutiveFailures, int windowCalls, int windowFailures);
    Status stop(); // marks this engine stopped

    Result<QList<EngineInstance>> engines();
    Result<QList<EngineBreakerState>> breakerStates(); // of running engines

    // Waits (polling every 100 ms, for at most `timeout`) until every running engine has applied
    // `version`, and returns the engines as they are then: those still below it did not
    // acknowledge in time. For trackwatchctl and the console's control thread.
    Result<QList<EngineInstance>> awaitVersion(qint64 version, std::chrono::milliseconds timeout);

private:
    Database& m_db;
    const Clock& m_clock;
    QString m_id;
};

} // namespace trackwatch::core
