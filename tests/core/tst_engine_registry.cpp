// SPDX-License-Identifier: MIT
// Engines in engine_instances: heartbeat, acknowledgement of control versions, health, gone
// after missed heartbeats, and their breakers' own transitions.
#include "engine/engine_registry.h"
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {
const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
}

class TestEngineRegistry : public QObject {
    Q_OBJECT
private slots:
    void heartbeatAcknowledgementAndGone_data() { test::addDialectRows(); }
    void heartbeatAcknowledgementAndGone() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        EngineRegistry a(*db, clock);
        EngineRegistry b(*db, clock);
        QVERIFY(a.registerSelf(u"daemon"_s).ok());
        QVERIFY(b.registerSelf(u"console"_s).ok());
        QVERIFY(a.id() != b.id());

        const Status beat = a.heartbeat(3, {});
        QVERIFY2(beat.ok(), beat.ok() ? "" : qPrintable(beat.error().message));
        clock.advanceSecs(1);
        QVERIFY(b.heartbeat(2, {u"degraded"_s, {u"breaker queryCache open"_s}}).ok());
        auto list = a.engines();
        QVERIFY(list);
        QCOMPARE(list->size(), 2);
        // Both started at the same instant: find each by its id.
        auto find = [](const QList<EngineInstance>& all, const QString& id) {
            return *std::find_if(all.begin(), all.end(),
                                 [&](const EngineInstance& e) { return e.id == id; });
        };
        const EngineInstance first = find(*list, a.id());
        const EngineInstance second = find(*list, b.id());
        QCOMPARE(first.kind, u"daemon"_s);
        QCOMPARE(first.controlVersion, 3);
        QCOMPARE(first.appliedAt, kT0);
        QCOMPARE(first.health.state, u"healthy"_s);
        QCOMPARE(second.health.state, u"degraded"_s);
        QCOMPARE(second.health.reasons, QStringList{u"breaker queryCache open"_s});
        QCOMPARE(first.status(clock.now()), u"running"_s);

        // Waiting for version 3: b has not applied it, and the deadline is zero.
        auto waited = a.awaitVersion(3, std::chrono::milliseconds(0));
        QVERIFY(waited);
        QCOMPARE(find(*waited, b.id()).controlVersion, 2);
        QVERIFY(b.heartbeat(3, {}).ok());
        waited = a.awaitVersion(3, std::chrono::milliseconds(0));
        QCOMPARE(find(*waited, b.id()).controlVersion, 3);
        QCOMPARE(find(*waited, b.id()).appliedAt, kT0.addSecs(1));

        // The same version again keeps the time it was first applied.
        clock.advanceSecs(4);
        QVERIFY(a.heartbeat(3, {}).ok());
        QCOMPARE(find(a.engines().value(), a.id()).appliedAt, kT0);

        // b stops heartbeating: gone after kStaleAfter, and no longer awaited.
        clock.advanceSecs(EngineRegistry::kStaleAfter.count() - 3);
        QVERIFY(a.heartbeat(4, {}).ok());
        list = a.engines();
        QCOMPARE(find(*list, b.id()).status(clock.now()), u"gone"_s);
        QCOMPARE(find(*list, a.id()).status(clock.now()), u"running"_s);
        waited = a.awaitVersion(4, std::chrono::milliseconds(0));
        QCOMPARE(find(*waited, a.id()).controlVersion, 4);

        QVERIFY(a.stop().ok());
        QCOMPARE(find(a.engines().value(), a.id()).status(clock.now()), u"stopped"_s);
    }

    void breakerTransitionsAreRecorded_data() { test::addDialectRows(); }
    void breakerTransitionsAreRecorded() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        EngineRegistry registry(*db, clock);
        QVERIFY(registry.registerSelf(u"daemon"_s).ok());
        QVERIFY(registry.heartbeat(1, {}).ok());
        BreakerTransition opened;
        opened.at = kT0;
        opened.from = BreakerState::Closed;
        opened.to = BreakerState::Open;
        opened.cause = u"failure threshold"_s;
        opened.consecutiveFailures = 5;
        QVERIFY(registry.reportTransitions(u"queryCache"_s, {opened}, 0, 0, 0).ok());

        auto states = registry.breakerStates();
        QVERIFY(states);
        QCOMPARE(states->size(), 1);
        QCOMPARE(states->first().engineId, registry.id());
        QCOMPARE(states->first().state, u"open"_s);
        QCOMPARE(states->first().since, kT0);

        auto q = db->exec(u"SELECT from_state, to_state, cause, consecutive_failures, "
                          u"recorded_by FROM breaker_transitions"_s);
        QVERIFY(q);
        QVERIFY(q->next());
        QCOMPARE(q->value(0).toString(), u"closed"_s);
        QCOMPARE(q->value(1).toString(), u"open"_s);
        QCOMPARE(q->value(2).toString(), u"failure threshold"_s);
        QCOMPARE(q->value(3).toInt(), 5);
        QCOMPARE(q->value(4).toString(), registry.id());
        QVERIFY(!q->next());

        // An engine that stopped heartbeating no longer counts.
        clock.advanceSecs(60);
        QVERIFY(registry.breakerStates()->isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEngineRegistry)
#include "tst_engine_registry.moc"
