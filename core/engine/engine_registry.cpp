// SPDX-License-Identifier: MIT
#include "engine/engine_registry.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QSysInfo>
#include <QThread>
#include <QUuid>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

QString EngineInstance::status(const QDateTime& now) const {
    if (stoppedAt.isValid()) {
        return u"stopped"_s;
    }
    return heartbeatAt.secsTo(now) > EngineRegistry::kStaleAfter.count() ? u"gone"_s : u"running"_s;
}

EngineRegistry::EngineRegistry(Database& db, const Clock& clock)
    : m_db(db)
    , m_clock(clock) {}

Status EngineRegistry::registerSelf(const QString& kind) {
    const QDateTime now = m_clock.now();
    if (auto r = m_db.exec(u"DELETE FROM engine_instances WHERE heartbeat_at < ?"_s,
                           {TrackedEmailRepository::timeValue(now.addDays(-1))});
        !r) {
        return r.error();
    }
    m_id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString at = TrackedEmailRepository::timeValue(now);
    return Status::from(m_db.exec(
        u"INSERT INTO engine_instances (id, host, pid, kind, started_at, heartbeat_at) "
        u"VALUES (?, ?, ?, ?, ?, ?)"_s,
        {m_id, QSysInfo::machineHostName(), QCoreApplication::applicationPid(), kind, at, at}));
}

Status EngineRegistry::heartbeat(qint64 controlVersion, const HealthReport& health) {
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    return Status::from(m_db.exec(
        u"UPDATE engine_instances SET heartbeat_at = ?, applied_at = CASE WHEN control_version "
        u"= ? THEN applied_at ELSE ? END, control_version = ?, health = ?, health_reasons = "
        u"COALESCE(?, '') "
        u"WHERE id = ?"_s,
        {now, controlVersion, now, controlVersion, health.state, health.reasons.join(u'\n'),
         m_id}));
}

Status EngineRegistry::reportTransitions(const QString& operation,
                                         const QList<BreakerTransition>& list,
                                         int consecutiveFailures, int windowCalls,
                                         int windowFailures) {
    if (list.isEmpty()) {
        return {};
    }
    return m_db.transaction([&]() -> Status {
        for (const BreakerTransition& t : list) {
            if (auto r = m_db.exec(
                    u"INSERT INTO breaker_transitions (operation, at, from_state, to_state, "
                    u"cause, consecutive_failures, window_calls, window_failures, recorded_by) "
                    u"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"_s,
                    {operation, TrackedEmailRepository::timeValue(t.at), breakerStateName(t.from),
                     breakerStateName(t.to), t.cause, t.consecutiveFailures, t.windowCalls,
                     t.windowFailures, m_id});
                !r) {
                return r.error();
            }
        }
        const BreakerTransition& last = list.last();
        return Status::from(m_db.exec(
            u"INSERT INTO engine_breakers (engine_id, operation, state, since, "
            u"consecutive_failures, window_calls, window_failures) VALUES (?, ?, ?, ?, ?, ?, ?) "
            u"ON CONFLICT (engine_id, operation) DO UPDATE SET state = excluded.state, "
            u"since = excluded.since, consecutive_failures = excluded.consecutive_failures, "
            u"window_calls = excluded.window_calls, window_failures = excluded.window_failures"_s,
            {m_id, operation, breakerStateName(last.to), TrackedEmailRepository::timeValue(last.at),
             consecutiveFailures, windowCalls, windowFailures}));
    });
}

Status EngineRegistry::stop() {
    if (m_id.isEmpty()) {
        return {};
    }
    return Status::from(m_db.exec(u"UPDATE engine_instances SET stopped_at = ? WHERE id = ?"_s,
                                  {TrackedEmailRepository::timeValue(m_clock.now()), m_id}));
}

Result<QList<EngineInstance>> EngineRegistry::engines() {
    auto q = m_db.exec(u"SELECT id, host, pid, kind, started_at, heartbeat_at, stopped_at, "
                       u"control_version, applied_at, health, health_reasons FROM "
                       u"engine_instances ORDER BY started_at, id"_s);
    if (!q) {
        return q.error();
    }
    QList<EngineInstance> list;
    while (q->next()) {
        EngineInstance e;
        e.id = q->value(0).toString();
        e.host = q->value(1).toString();
        e.pid = q->value(2).toLongLong();
        e.kind = q->value(3).toString();
        e.startedAt = TrackedEmailRepository::readTime(q->value(4));
        e.heartbeatAt = TrackedEmailRepository::readTime(q->value(5));
        e.stoppedAt = TrackedEmailRepository::readTime(q->value(6));
        e.controlVersion = q->value(7).toLongLong();
        e.appliedAt = TrackedEmailRepository::readTime(q->value(8));
        e.health.state = q->value(9).toString();
        e.health.reasons = q->value(10).toString().split(u'\n', Qt::SkipEmptyParts);
        list.append(e);
    }
    return list;
}

Result<QList<EngineBreakerState>> EngineRegistry::breakerStates() {
    auto q = m_db.exec(
        u"SELECT b.engine_id, b.operation, b.state, b.since, b.consecutive_failures, "
        u"b.window_calls, b.window_failures FROM engine_breakers b JOIN engine_instances e ON "
        u"e.id = b.engine_id WHERE e.stopped_at IS NULL AND e.heartbeat_at >= ? "
        u"ORDER BY b.operation, b.engine_id"_s,
        {TrackedEmailRepository::timeValue(m_clock.now().addSecs(-kStaleAfter.count()))});
    if (!q) {
        return q.error();
    }
    QList<EngineBreakerState> list;
    while (q->next()) {
        list.append({q->value(0).toString(), q->value(1).toString(), q->value(2).toString(),
                     TrackedEmailRepository::readTime(q->value(3)), q->value(4).toInt(),
                     q->value(5).toInt(), q->value(6).toInt()});
    }
    return list;
}

Result<QList<EngineInstance>> EngineRegistry::awaitVersion(qint64 version,
                                                           std::chrono::milliseconds timeout) {
    const QDeadlineTimer deadline(timeout);
    for (;;) {
        auto list = engines();
        if (!list) {
            return list.error();
        }
        const QDateTime now = m_clock.now();
        const bool all = std::all_of(list->begin(), list->end(), [&](const EngineInstance& e) {
            return e.status(now) != u"running" || e.controlVersion >= version;
        });
        if (all || deadline.hasExpired()) {
            return list;
        }
        QThread::msleep(100); // other processes are applying it: nothing to do meanwhile
    }
}

} // namespace trackwatch::core
