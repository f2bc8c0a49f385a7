// SPDX-License-Identifier: MIT
#include "control/control_plane.h"
#include "control/rollout.h"
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QTest>
#include <QThread>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {
const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
}

class TestControlPlane : public QObject {
    Q_OBJECT
private slots:
    void flagSourcesAndOverrides_data() { test::addDialectRows(); }
    void flagSourcesAndOverrides() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        QProcessEnvironment env;
        env.insert(u"ENABLE_QUERY_CACHING"_s, u"false"_s);
        ControlPlane control(*db, clock, env, u"oncall"_s);

        auto batch = control.flag(Flag::EnableBatchIngestion).value();
        QCOMPARE(batch.enabled, false);
        QCOMPARE(batch.source, FlagSource::Default);
        auto caching = control.flag(Flag::EnableQueryCaching).value();
        QCOMPARE(caching.enabled, false);
        QCOMPARE(caching.source, FlagSource::Environment);

        // An override wins over the environment; clearing it returns to the environment.
        QVERIFY(control.setFlag(Flag::EnableQueryCaching, true, u"cache fixed in 4.2"_s).ok());
        caching = control.flag(Flag::EnableQueryCaching).value();
        QCOMPARE(caching.enabled, true);
        QCOMPARE(caching.source, FlagSource::Override);
        QCOMPARE(caching.updatedBy, u"oncall"_s);
        QCOMPARE(caching.updatedAt, kT0);
        QVERIFY(
            control.clearFlag(Flag::EnableQueryCaching, u"back to the deployment's value"_s).ok());
        caching = control.flag(Flag::EnableQueryCaching).value();
        QCOMPARE(caching.enabled, false);
        QCOMPARE(caching.source, FlagSource::Environment);
        QCOMPARE(control.flags().value().size(), FeatureFlags::all().size());
        QCOMPARE(control.version().value(), 2);
    }

    void everyChangeIsAuditedWithAReason_data() { test::addDialectRows(); }
    void everyChangeIsAuditedWithAReason() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        ControlPlane control(*db, clock, QProcessEnvironment(), u"alice"_s);

        for (const QString& reason : {QString(), u"   "_s}) {
            const Status s = control.setFlag(Flag::UseOptimizedQueries, false, reason);
            QVERIFY(!s.ok());
            QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
        }
        QCOMPARE(control.version().value(), 0);
        QVERIFY(control.audit().value().isEmpty());

        QVERIFY(control.setFlag(Flag::UseOptimizedQueries, false, u"p95 regression"_s).ok());
        clock.advanceSecs(60);
        QVERIFY(control.setRollout(u"caching"_s, 80, u"hit rate healthy"_s).ok());
        auto entries = control.audit().value();
        QCOMPARE(entries.size(), 2);
        const AuditEntry& flag = entries[1]; // newest first
        QCOMPARE(flag.action, u"flag.set"_s);
        QCOMPARE(flag.target, u"flag:useOptimizedQueries"_s);
        QCOMPARE(flag.oldValue, u"on (default)"_s);
        QCOMPARE(flag.newValue, u"off (override)"_s);
        QCOMPARE(flag.reason, u"p95 regression"_s);
        QCOMPARE(flag.actorOsUser, u"alice"_s);
        QVERIFY(!flag.actorRole.isEmpty());
        QCOMPARE(flag.at, kT0);
        QCOMPARE(entries[0].oldValue, u"50 (default)"_s);
        QCOMPARE(entries[0].newValue, u"80"_s);

        // Filters: target (exact and prefix), actor, time.
        QCOMPARE(control.audit({u"rollout:caching"_s, {}, {}, {}, 100}).value().size(), 1);
        QCOMPARE(control.audit({u"flag:*"_s, {}, {}, {}, 100}).value().size(), 1);
        QCOMPARE(control.audit({{}, u"alice"_s, {}, {}, 100}).value().size(), 2);
        QCOMPARE(control.audit({{}, u"bob"_s, {}, {}, 100}).value().size(), 0);
        QCOMPARE(control.audit({{}, {}, kT0.addSecs(30), {}, 100}).value().size(), 1);
        QCOMPARE(control.audit({{}, {}, {}, kT0.addSecs(30), 100}).value().size(), 1);
    }

    // The seed's emergency rollback: every optimization off in one change, audited per flag;
    // the roll-forward puts back exactly what was there (overrides with their author and time,
    // environment values, defaults).
    void rollbackAndRollForwardRestoreExactly_data() { test::addDialectRows(); }
    void rollbackAndRollForwardRestoreExactly() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        QProcessEnvironment env;
        env.insert(u"ENABLE_QUERY_CACHING"_s, u"false"_s);
        ControlPlane alice(*db, clock, env, u"alice"_s);
        ControlPlane bob(*db, clock, env, u"bob"_s);
        QVERIFY(alice.setFlag(Flag::EnableBatchIngestion, true, u"batch ready"_s).ok());
        QVERIFY(alice.setFlag(Flag::UseMaterializedViews, false, u"refresh too slow"_s).ok());
        auto before = alice.flags().value();

        QCOMPARE(bob.rollForwardPlan().error().code, ErrorCode::NotFound);
        QCOMPARE(bob.rollback(u" "_s).error().code, ErrorCode::InvalidArgument);
        auto plan = bob.rollbackPlan().value();
        QCOMPARE(plan.size(), ControlPlane::rollbackFlags().size());
        QCOMPARE(plan.first().flag, u"useOptimizedQueries"_s);
        QCOMPARE(plan.first().before, u"on (default)"_s);
        QCOMPARE(plan.first().after, u"off (rollback)"_s);
        QCOMPARE(bob.version().value(), 2); // a plan changes nothing

        clock.advanceSecs(60);
        auto record = bob.rollback(u"error rate 7%"_s);
        QVERIFY2(record, record ? "" : qPrintable(record.error().message));
        QCOMPARE(record->controlVersion, 3); // one change, whatever the number of flags
        QCOMPARE(record->changes.size(), ControlPlane::rollbackFlags().size());
        QCOMPARE(record->by, u"bob"_s);
        QCOMPARE(record->at, kT0.addSecs(60));
        const QList<FlagValue> rolled = bob.flags().value();
        for (const FlagValue& f : rolled) {
            const bool optimization = ControlPlane::rollbackFlags().contains(f.flag);
            QCOMPARE(f.source == FlagSource::Rollback, optimization);
            if (optimization) {
                QCOMPARE(f.enabled, false);
            } else {
                QCOMPARE(f.enabled, true); // monitoring stays on to watch the recovery
            }
        }
        auto audit = bob.audit({u"flag:*"_s, u"bob"_s, {}, {}, 100}).value();
        QCOMPARE(audit.size(), ControlPlane::rollbackFlags().size());
        for (const AuditEntry& e : audit) {
            QCOMPARE(e.action, u"rollback"_s);
            QCOMPARE(e.newValue, u"off (rollback)"_s);
            QCOMPARE(e.reason, u"error rate 7%"_s);
        }
        QCOMPARE(audit.last().target, u"flag:useOptimizedQueries"_s);
        QCOMPARE(audit.last().oldValue, u"on (default)"_s);
        QVERIFY(bob.activeRollback().value().has_value());

        // Someone turns one back on during the incident; a second rollback turns it off again
        // and keeps the values from before the first.
        QVERIFY(alice.setFlag(Flag::EnableBatchIngestion, true, u"needed for backlog"_s).ok());
        auto again = bob.rollback(u"still failing"_s);
        QVERIFY(again);
        QCOMPARE(again->id, record->id);
        QCOMPARE(bob.flag(Flag::EnableBatchIngestion).value().enabled, false);

        clock.advanceSecs(600);
        auto forward = bob.rollForwardPlan().value();
        QCOMPARE(forward.size(), ControlPlane::rollbackFlags().size());
        auto done = bob.rollForward(u"fix deployed"_s);
        QVERIFY2(done, done ? "" : qPrintable(done.error().message));
        QCOMPARE(done->id, record->id);
        auto after = bob.flags().value();
        QCOMPARE(after.size(), before.size());
        for (qsizetype i = 0; i < after.size(); ++i) {
            QCOMPARE(after[i].name, before[i].name);
            QCOMPARE(after[i].enabled, before[i].enabled);
            QCOMPARE(after[i].source, before[i].source);
            QCOMPARE(after[i].updatedBy, before[i].updatedBy);
            QCOMPARE(after[i].updatedAt, before[i].updatedAt);
        }
        QCOMPARE(bob.flag(Flag::EnableQueryCaching).value().source, FlagSource::Environment);
        QCOMPARE(bob.flag(Flag::EnableBatchIngestion).value().updatedBy, u"alice"_s);
        QVERIFY(!bob.activeRollback().value().has_value());
        QCOMPARE(bob.audit({{}, {}, kT0.addSecs(600), {}, 100}).value().first().action,
                 u"roll-forward"_s);
        QCOMPARE(bob.rollForward(u"again"_s).error().code, ErrorCode::NotFound);
    }

    void rolloutValidationAndPreview_data() { test::addDialectRows(); }
    void rolloutValidationAndPreview() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        ControlPlane control(*db, clock, QProcessEnvironment(), u"alice"_s);
        QCOMPARE(control.rollout(u"optimizedQueries"_s).value().percentage, 25);
        for (int bad : {-1, 101, 1000}) {
            const Status s = control.setRollout(u"optimizedQueries"_s, bad, u"typo"_s);
            QVERIFY(!s.ok());
            QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
        }
        QVERIFY(!control.setRollout(u"noSuchRollout"_s, 10, u"x"_s).ok());
        QCOMPARE(control.version().value(), 0);

        TrackedEmailRepository repo(*db);
        qint64 expected = 0;
        for (int i = 0; i < 300; ++i) {
            const QString account = u"acct-%1@customer.example"_s.arg(i);
            QVERIFY(repo.ensureAccount(account).ok());
            const int bucket = Rollout::bucket(u"optimizedQueries", account);
            expected += bucket >= 25 && bucket < 60;
        }
        QCOMPARE(control.rolloutPreview(u"optimizedQueries"_s, 60).value(), expected);
        QVERIFY(control.setRollout(u"optimizedQueries"_s, 60, u"phase 2"_s).ok());
        QCOMPARE(control.rollout(u"optimizedQueries"_s).value().percentage, 60);
        QCOMPARE(control.rolloutPreview(u"optimizedQueries"_s, 60).value(), 0);
    }

    void breakersTripAndResetWithAReason_data() { test::addDialectRows(); }
    void breakersTripAndResetWithAReason() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        auto before = control.breakers().value();
        QCOMPARE(before.size(), ControlPlane::breakerOperations().size());
        for (const BreakerRecord& b : before) {
            QCOMPARE(b.state, u"closed"_s);
        }
        QVERIFY(!control.tripBreaker(u"queryCache"_s, u" "_s).ok());
        QVERIFY(!control.tripBreaker(u"noSuchBreaker"_s, u"why"_s).ok());
        QCOMPARE(control.version().value(), 0);

        QVERIFY(control.tripBreaker(u"queryCache"_s, u"stale results, INC-7"_s).ok());
        auto tripped = control.breakers().value();
        for (const BreakerRecord& b : tripped) {
            QCOMPARE(b.state, b.operation == u"queryCache" ? u"forced_open"_s : u"closed"_s);
        }
        clock.advanceSecs(120);
        QVERIFY(control.resetBreaker(u"queryCache"_s, u"fixed"_s).ok());
        auto audit = control.audit({u"breaker:queryCache"_s, {}, {}, {}, 10}).value();
        QCOMPARE(audit.size(), 2);
        QCOMPARE(audit[1].action, u"breaker.trip"_s);
        QCOMPARE(audit[1].oldValue, u"closed"_s);
        QCOMPARE(audit[1].newValue, u"forced_open"_s);
        QCOMPARE(audit[0].oldValue, u"forced_open"_s);
        QCOMPARE(audit[0].newValue, u"closed"_s);
        auto transitions = db->exec(u"SELECT from_state, to_state, cause FROM breaker_transitions "
                                    u"WHERE operation = 'queryCache' ORDER BY id"_s);
        QVERIFY(transitions.ok());
        QVERIFY(transitions->next());
        QCOMPARE(transitions->value(2).toString(), u"tripped: stale results, INC-7"_s);
        QVERIFY(transitions->next());
        QCOMPARE(transitions->value(0).toString(), u"forced_open"_s);
        QCOMPARE(transitions->value(1).toString(), u"closed"_s);
        QCOMPARE(transitions->value(2).toString(), u"reset: fixed"_s);
    }

    // Two consoles write the same flag at once: every write is audited with the value it
    // replaced, and the final value is the last write's.
    void concurrentWritesAreSerialized_data() { test::addDialectRows(); }
    void concurrentWritesAreSerialized() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        QVERIFY(tdb.openMigrated());
        constexpr int kWrites = 40;
        std::atomic<int> failures{0};
        auto writer = [&](const QString& who, bool value) {
            auto db = Database::open(tdb.spec());
            if (!db) {
                ++failures;
                return;
            }
            SystemClock clock;
            ControlPlane control(**db, clock, QProcessEnvironment(), who);
            for (int i = 0; i < kWrites; ++i) {
                if (!control.setFlag(Flag::EnableBatchWebhooks, value, who + u" write"_s).ok()) {
                    ++failures;
                }
            }
        };
        std::unique_ptr<QThread> a(QThread::create(writer, u"console-a"_s, true));
        std::unique_ptr<QThread> b(QThread::create(writer, u"console-b"_s, false));
        a->start();
        b->start();
        QVERIFY(a->wait(120000));
        QVERIFY(b->wait(120000));
        QCOMPARE(failures.load(), 0);

        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock, QProcessEnvironment(), u"check"_s);
        auto entries = control.audit({u"flag:enableBatchWebhooks"_s, {}, {}, {}, 1000}).value();
        QCOMPARE(entries.size(), 2 * kWrites);
        QCOMPARE(control.version().value(), 2 * kWrites);
        // Oldest first: each audit row's old value is the previous row's new value.
        std::reverse(entries.begin(), entries.end());
        QCOMPARE(entries.first().oldValue, u"off (default)"_s);
        for (qsizetype i = 1; i < entries.size(); ++i) {
            QCOMPARE(entries[i].oldValue, entries[i - 1].newValue);
        }
        const bool last = entries.last().newValue.startsWith(u"on"_s);
        QCOMPARE(control.flag(Flag::EnableBatchWebhooks).value().enabled, last);
    }
};

QTEST_GUILESS_MAIN(TestControlPlane)
#include "tst_control_plane.moc"
