// SPDX-License-Identifier: MIT
#include "cache/invalidation_channel.h"
#include "control/control_plane.h"
#include "engine/engine.h"
#include "engine/engine_registry.h"

#include "../support/shared_manual_clock.h"
#include "../support/test_databases.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

using test::SharedManualClock;

AlertStatus alertOf(const EngineSnapshot& s, const QString& rule) {
    for (const AlertStatus& a : s.alerts) {
        if (a.rule == rule) {
            return a;
        }
    }
    return {};
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    // A flag changed through the control plane by someone else reaches a running engine
    // within a tick (SQLite: the engine polls control_version).
    void flagChangeReachesARunningEngine_data() { test::addDialectRows(); }
    void flagChangeReachesARunningEngine() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 36'000;
        config.tickMs = 50;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy ready(&engine, &Engine::ready);
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        QVERIFY(ready.wait(10000));
        QVERIFY(snapshots.wait(10000));
        QCOMPARE(snapshots.last().first().value<EngineSnapshot>().batchIngestion, false);

        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        SystemClock clock;
        ControlPlane control(**db, clock, QProcessEnvironment(), u"oncall"_s);
        QVERIFY(control.setFlag(Flag::EnableBatchIngestion, true, u"load test"_s).ok());
        bool switched = false;
        // Each tick is 50 ms; the engine must notice within a few of them.
        for (int i = 0; i < 20 && !switched && snapshots.wait(30000); ++i) {
            switched = snapshots.last().first().value<EngineSnapshot>().batchIngestion;
        }
        QVERIFY(switched);

        // A tripped breaker sends it back to the legacy path although the flag is still on.
        QVERIFY(control.tripBreaker(u"batchIngestion"_s, u"batch path corrupts rows"_s).ok());
        bool legacy = false;
        for (int i = 0; i < 20 && !legacy && snapshots.wait(30000); ++i) {
            legacy = !snapshots.last().first().value<EngineSnapshot>().batchIngestion;
        }
        QVERIFY(legacy);
        // The engine reports the bypass as degraded health, in its snapshot and in the registry.
        const EngineSnapshot last = snapshots.last().first().value<EngineSnapshot>();
        QCOMPARE(last.health.state, u"degraded"_s);
        QVERIFY2(last.health.reasons.join(u' ').contains(u"batch path corrupts rows"_s),
                 qPrintable(last.health.reasons.join(u' ')));
        for (const GuardReport& g : last.guards) { // every guard is a breaker people can trip
            QVERIFY2(ControlPlane::breakerOperations().contains(g.operation),
                     qPrintable(g.operation));
        }
        QCOMPARE(last.guards.first().operation, u"batchIngestion"_s);
        QCOMPARE(last.guards.first().state, u"forced_open"_s);
        EngineRegistry registry(**db, clock);
        auto fleet = registry.awaitVersion(control.version().value(), std::chrono::seconds(5));
        QVERIFY(fleet);
        QCOMPARE(fleet->size(), 1);
        QCOMPARE(fleet->first().id, last.engineId);
        QCOMPARE(fleet->first().health.state, u"degraded"_s);
    }

    // With the flag on and the rollout at 100%, every batch takes the batch path; a rollback
    // sends everything to legacy and the guard's counts show it.
    void rolloutAndRollbackChooseThePath_data() { test::addDialectRows(); }
    void rolloutAndRollbackChooseThePath() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        QVERIFY(control.setFlag(Flag::EnableBatchIngestion, true, u"test"_s).ok());
        QVERIFY(control.setRollout(u"batchProcessing"_s, 100, u"test"_s).ok());
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 360'000;
        config.tickMs = 50;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        auto guard = [&] {
            return snapshots.last().first().value<EngineSnapshot>().guards.value(0);
        };
        qint64 optimized = 0;
        for (int i = 0; i < 40 && optimized == 0 && snapshots.wait(30000); ++i) {
            optimized = guard().optimized;
        }
        QVERIFY(optimized > 0);
        QCOMPARE(guard().fallbacks, 0);

        auto rolledBack = control.rollback(u"test rollback"_s);
        QVERIFY(rolledBack);
        bool applied = false;
        for (int i = 0; i < 40 && !applied && snapshots.wait(30000); ++i) {
            applied = snapshots.last().first().value<EngineSnapshot>().controlVersion >=
                      rolledBack->controlVersion;
        }
        QVERIFY(applied);
        const qint64 atRollback = guard().optimized;
        QVERIFY(snapshots.wait(30000));
        QVERIFY(snapshots.wait(30000));
        QCOMPARE(guard().optimized, atRollback); // nothing more on the batch path
        QVERIFY(!snapshots.last().first().value<EngineSnapshot>().batchIngestion);
    }

    // Another engine's writes reach this engine's cache: it reads the invalidation channel each
    // tick (and on NOTIFY on PostgreSQL) and drops those accounts; its own are not echoed back.
    void invalidationsFromAnotherEngine_data() { test::addDialectRows(); }
    void invalidationsFromAnotherEngine() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(QDateTime::currentDateTimeUtc());
        CacheInvalidationChannel other(*db, clock, u"other-engine"_s);
        CacheInvalidationChannel self(*db, clock, u"self"_s);
        QVERIFY(other.start().ok());
        QVERIFY(self.start().ok());
        QVERIFY(other.publish({u"a@example.com"_s, u"b@example.com"_s}).ok());
        QVERIFY(self.publish({u"c@example.com"_s}).ok());
        auto received = self.receive();
        QVERIFY(received);
        QStringList accounts = *received;
        accounts.sort();
        QCOMPARE(accounts, (QStringList{u"a@example.com"_s, u"b@example.com"_s}));
        QVERIFY(self.receive()->isEmpty()); // each once, the overlap re-read notwithstanding
        clock.advanceSecs(CacheInvalidationChannel::kKeepSecs + 1);
        QCOMPARE(self.prune().value(), 3);

        EngineConfig config;
        config.connection = tdb.spec();
        config.tickMs = 50;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy ready(&engine, &Engine::ready);
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        QVERIFY(ready.wait(10000));
        QVERIFY(snapshots.wait(30000));
        QCOMPARE(snapshots.last().first().value<EngineSnapshot>().invalidationsReceived, 0);
        SystemClock now;
        CacheInvalidationChannel writer(*db, now, u"writer"_s);
        QVERIFY(writer.publish({u"d@example.com"_s}).ok());
        qint64 got = 0;
        for (int i = 0; i < 40 && got == 0 && snapshots.wait(30000); ++i) {
            got = snapshots.last().first().value<EngineSnapshot>().invalidationsReceived;
        }
        QCOMPARE(got, 1);
        QCOMPARE(snapshots.last().first().value<EngineSnapshot>().caches.size(), 3);
    }

    // The simulator's mail through webhook jobs: the priority processor drains them (flag on,
    // rollout 100), a breaker tripped mid-run sends the rest to the legacy processor, and every
    // message ends up tracked exactly once, no job lost or dead.
    void webhooksSurviveABreakerTrippedMidRun_data() { test::addDialectRows(); }
    void webhooksSurviveABreakerTrippedMidRun() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        QVERIFY(control.setFlag(Flag::EnableBatchWebhooks, true, u"test"_s).ok());
        QVERIFY(control.setRollout(u"batchProcessing"_s, 100, u"test"_s).ok());
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 36'000;
        config.simulateBackfillSecs = 600; // a backlog at the first tick
        config.tickMs = 50;
        config.viaWebhooks = true;
        auto engine = std::make_unique<Engine>(config, std::make_shared<SystemClock>());
        QSignalSpy snapshots(engine.get(), &Engine::snapshotReady);
        engine->start();
        const auto last = [&] { return snapshots.last().first().value<EngineSnapshot>(); };
        const auto webhookGuard = [&] {
            for (const GuardReport& g : last().guards) {
                if (g.operation == u"batchWebhooks") {
                    return g;
                }
            }
            return GuardReport{};
        };
        for (int i = 0; i < 100 && snapshots.wait(30000) && webhookGuard().optimized == 0; ++i) {
        }
        QVERIFY(webhookGuard().optimized > 0);
        QVERIFY(last().webhooks.done > 0);

        QVERIFY(control.tripBreaker(u"batchWebhooks"_s, u"priority processor suspect"_s).ok());
        for (int i = 0; i < 100 && webhookGuard().state != u"forced_open" && snapshots.wait(30000);
             ++i) {
        }
        QCOMPARE(webhookGuard().state, u"forced_open"_s);
        const qint64 legacyBefore = webhookGuard().legacy;
        for (int i = 0;
             i < 200 &&
             (webhookGuard().legacy <= legacyBefore + 2 || last().webhooks.queueDepth > 0) &&
             snapshots.wait(30000);
             ++i) {
        }
        QVERIFY(webhookGuard().legacy > legacyBefore + 2);
        QCOMPARE(last().webhooks.queueDepth, 0);
        QCOMPARE(last().webhooks.deadLettered, 0);
        engine.reset();

        // Every job ran once; every sent message whose job is done is tracked, once.
        const auto scalar = [&](const QString& sql) { return test::scalar(*db, sql); };
        QCOMPARE(scalar(u"SELECT count(*) FROM webhook_jobs WHERE state = 'done' AND "
                        u"processed_count <> 1"_s),
                 0);
        QCOMPARE(scalar(u"SELECT count(*) FROM webhook_jobs WHERE state = 'dead'"_s), 0);
        const qint64 sentDone = scalar(
            u"SELECT count(*) FROM webhook_jobs j JOIN mail_source_messages m ON m.account = "
            u"j.account AND m.resource_id = j.resource_id WHERE m.kind = 'sent' AND "
            u"j.state = 'done'"_s);
        QVERIFY(sentDone > 100);
        QCOMPARE(scalar(u"SELECT count(*) FROM tracked_emails"_s), sentDone);
    }

    // Shadow mode: the legacy processor commits, a priority processor runs the same jobs in a
    // sandbox, and on the same traffic they agree.
    void webhookShadowComparesWithoutCommitting_data() { test::addDialectRows(); }
    void webhookShadowComparesWithoutCommitting() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 36'000;
        config.simulateBackfillSecs = 120;
        config.tickMs = 50;
        config.viaWebhooks = true;
        config.webhookShadow = true;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        qint64 compared = 0;
        for (int i = 0; i < 100 && snapshots.wait(30000) && compared < 50; ++i) {
            compared = snapshots.last().first().value<EngineSnapshot>().webhooks.shadowCompared;
        }
        const EngineSnapshot last = snapshots.last().first().value<EngineSnapshot>();
        QVERIFY2(compared >= 50, qPrintable(QString::number(compared)));
        QCOMPARE(last.webhooks.shadowDifferent, 0);
        QCOMPARE(last.webhooks.done, last.total.read); // one job per message, each once
    }

    // Injected errors drive HighErrorRate on the engine's own clock: pending, firing after its
    // pending period (the engine unhealthy, the optimizations rolled back by the alert, with
    // its audit rows), and resolved once the errors stop and the minute's window has moved on.
    // Every tick fills the dashboards' sample; every second tick here is stored.
    void injectedErrorsDriveHighErrorRate_data() { test::addDialectRows(); }
    void injectedErrorsDriveHighErrorRate() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto clock = std::make_shared<SharedManualClock>(QDateTime::currentDateTimeUtc());
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 36'000;
        config.tickMs = 20;
        config.injectErrorsPercent = 100;
        config.autoRollback = true;
        config.historyEveryTicks = 2;
        config.settings =
            QJsonDocument::fromJson(
                "{\"alerts\": {\"rules\": {\"HighErrorRate\": {\"pendingSecs\": 30}}}}")
                .object();
        Engine engine(config, clock);
        QSignalSpy ready(&engine, &Engine::ready);
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        QVERIFY(ready.wait(10000));
        const auto last = [&] { return snapshots.last().first().value<EngineSnapshot>(); };
        // Waits for a snapshot taken after the clock moved (none older than `after`).
        const auto nextAfter = [&](const QDateTime& after) {
            for (int i = 0; i < 200; ++i) {
                if (!snapshots.isEmpty() && last().at >= after) {
                    return true;
                }
                snapshots.wait(2000);
            }
            return false;
        };
        QString state;
        for (int i = 0; i < 20 && state != u"pending"; ++i) {
            clock->advanceSecs(1);
            QVERIFY(nextAfter(clock->now()));
            state = alertOf(last(), u"HighErrorRate"_s).state;
        }
        QCOMPARE(state, u"pending"_s);
        const EngineSnapshot pending = last();
        QCOMPARE(pending.sample.errorRate, 1.0); // every batch failed once
        QCOMPARE(pending.sample.engineId, pending.engineId);
        QVERIFY(!std::isnan(pending.sample.queryP95Ms));
        QVERIFY(pending.sample.memoryBytes > 0);
        QCOMPARE(pending.alerts.size(), 4);
        QCOMPARE(pending.health.state, u"healthy"_s); // pending is not firing

        clock->advanceSecs(31);
        QVERIFY(nextAfter(clock->now()));
        for (int i = 0; i < 20 && alertOf(last(), u"HighErrorRate"_s).state != u"firing"; ++i) {
            clock->advanceSecs(1);
            QVERIFY(nextAfter(clock->now()));
        }
        const EngineSnapshot firing = last();
        QCOMPARE(alertOf(firing, u"HighErrorRate"_s).state, u"firing"_s);
        QCOMPARE(firing.health.state, u"unhealthy"_s);
        QVERIFY2(firing.total.stored > 0, // the legacy path did the work anyway
                 qPrintable(u"stored %1, per hour %2"_s.arg(firing.total.stored)
                                .arg(firing.sample.emailsPerHour)));
        QVERIFY2(firing.health.reasons.join(u' ').contains(u"HighErrorRate"_s),
                 qPrintable(firing.health.reasons.join(u' ')));

        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        SystemClock wall;
        ControlPlane control(**db, wall, QProcessEnvironment(), u"oncall"_s);
        AuditFilter byAlert;
        byAlert.actor = u"alert:HighErrorRate"_s;
        auto audit = control.audit(byAlert);
        QVERIFY(audit.ok());
        QVERIFY(!audit->isEmpty());
        QVERIFY2(audit->first().reason.contains(u"error rate 100"_s),
                 qPrintable(audit->first().reason));
        QVERIFY(control.activeRollback().value().has_value());

        engine.setInjectErrors(0);
        // Five seconds a tick: the failures age out of the one-minute window while good
        // batches come in, so the rule always has data.
        for (int i = 0; i < 40 && alertOf(last(), u"HighErrorRate"_s).state != u"resolved"; ++i) {
            clock->advanceSecs(5);
            QVERIFY(nextAfter(clock->now()));
        }
        QCOMPARE(alertOf(last(), u"HighErrorRate"_s).state, u"resolved"_s);
        QCOMPARE(last().sample.errorRate, 0.0);
        QCOMPARE(last().health.state, u"degraded"_s); // the rollback is still in force
        QCOMPARE(control.audit(byAlert).value().size(), audit->size()); // rolled back once

        const QStringList path = [&] {
            QStringList out;
            auto q = (*db)->exec(u"SELECT from_state, to_state FROM alert_transitions WHERE "
                                 u"rule = 'HighErrorRate' ORDER BY id"_s);
            while (q && q->next()) {
                out << q->value(0).toString() + u'>' + q->value(1).toString();
            }
            return out;
        }();
        // From normal, or from no_data when the first tick had no batches yet.
        QCOMPARE(path.size(), 3);
        QVERIFY2(path[0].endsWith(u">pending"_s), qPrintable(path.join(u", "_s)));
        QCOMPARE(path.mid(1), (QStringList{u"pending>firing"_s, u"firing>resolved"_s}));
        QVERIFY(test::scalar(**db,
                             u"SELECT count(*) FROM metric_snapshots WHERE error_rate = 1"_s) > 0);
    }

    void badDatabaseFailsWithAClearMessage() {
        EngineConfig config;
        config.connection.dialect = Dialect::Sqlite;
        config.connection.path = u"/proc/trackwatch-cannot-live-here/x.db"_s;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy failed(&engine, &Engine::failed);
        engine.start();
        QVERIFY(failed.wait(10000));
        QVERIFY2(failed.first().first().toString().contains(u"/proc/trackwatch-cannot-live-here"_s),
                 qPrintable(failed.first().first().toString()));
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
