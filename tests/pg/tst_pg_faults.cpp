// SPDX-License-Identifier: MIT
// The faults a deployment meets every week, for real: sessions ended by the server, and
// PostgreSQL restarted under a running engine. Tests that restart the server do it on a
// throwaway cluster of their own; the shared test cluster only sees sessions of the test's own
// databases ended.
#include "engine/engine.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "storage/reconnector.h"

#include "../support/shared_manual_clock.h"
#include "../support/test_databases.h"
#include "../support/throwaway_cluster.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QTemporaryDir>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

#define TW_THROWAWAY_CLUSTER(var)                                                                  \
    test::ThrowawayCluster var;                                                                    \
    if (!var.ok()) {                                                                               \
        TW_DATABASE_UNAVAILABLE(var.reason());                                                     \
    }

// Ends the sessions of `db` from a second connection, as pg_terminate_backend by an operator
// or a failover would.
bool endSessionsOf(const ConnectionSpec& admin, const QString& database) {
    auto other = Database::open(admin);
    return other && (*other)
                        ->exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                               "datname = ? AND pid <> pg_backend_pid()"_s,
                               {database})
                        .ok();
}

// The engine's view of one run: the last snapshot it sent.
struct Watcher {
    EngineSnapshot last;
    bool busyOrFailing() const {
        const QString reasons = last.health.reasons.join(u'\n');
        return reasons.contains(u"unreachable"_s) || reasons.contains(u"failing"_s) ||
               reasons.contains(u"connection lost"_s);
    }
};

// An mbox of `sent` messages from me@import.example, every third one answered.
QString writeMbox(const QString& path, int sent) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        return {};
    }
    const QDateTime base(QDate(2026, 11, 1), QTime(8, 0), Qt::UTC);
    for (int i = 0; i < sent; ++i) {
        const QString date = base.addSecs(i * 30).toString(Qt::RFC2822Date);
        f.write(u"From me@import.example Sun Nov  1 08:00:00 2026\n"
                "From: me@import.example\nTo: c%1@customer.example\n"
                "Message-ID: <s%1@import.example>\nDate: %2\nSubject: offer %1\n\n"
                "Hello %1\n\n"_s.arg(i)
                    .arg(date)
                    .toUtf8());
        if (i % 3 == 0) {
            f.write(u"From c%1@customer.example Sun Nov  1 09:00:00 2026\n"
                    "From: c%1@customer.example\nTo: me@import.example\n"
                    "Message-ID: <r%1@customer.example>\nIn-Reply-To: <s%1@import.example>\n"
                    "Date: %2\nSubject: Re: offer %1\n\nYes\n\n"_s.arg(i)
                        .arg(base.addSecs(i * 30 + 600).toString(Qt::RFC2822Date))
                        .toUtf8());
        }
    }
    return path;
}

// trackwatchd --import, with its data folder (log) in `home`.
void startImport(QProcess& p, const QString& dsn, const QString& mbox, const QString& home) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_DATA_HOME"_s, home);
    env.remove(u"ENABLE_BATCH_INGESTION"_s);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(TRACKWATCHD_PATH),
            {u"--db"_s, dsn, u"--import"_s, mbox, u"--account"_s, u"me@import.example"_s});
}

qint64 trackedCount(const ConnectionSpec& spec) {
    auto db = Database::open(spec);
    return db ? test::scalar(**db, u"SELECT count(*) FROM tracked_emails"_s) : -1;
}

QStringList stateOf(const ConnectionSpec& spec) {
    auto db = Database::open(spec);
    return db ? test::trackedState(**db) : QStringList{};
}

} // namespace

class TestPgFaults : public QObject {
    Q_OBJECT
private slots:
    // A session the server ended is found lost by the next statement, which fails at once
    // with Unavailable, as does every statement after it (no driver calls, no log flood);
    // reopen() brings back the same object, its session settings and its LISTENs.
    void aLostSessionIsFoundAndReopenedInPlace() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QStringList heard;
        QVERIFY(db->listen(u"tw_fault_test"_s, [&](const QString& channel) { heard << channel; }));

        const auto admin = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(admin.ok());
        QVERIFY(endSessionsOf(*admin, tdb.spec().database));
        auto failed = db->exec(u"SELECT 1"_s);
        QVERIFY(!failed.ok());
        QCOMPARE(failed.error().code, ErrorCode::Unavailable);
        QVERIFY(!db->connected());
        QVERIFY(!db->lostReason().isEmpty());
        QVERIFY2(!failed.error().message.endsWith(u": "_s), qPrintable(failed.error().message));
        auto again = db->exec(u"SELECT 1"_s);
        QCOMPARE(again.error().code, ErrorCode::Unavailable);
        QVERIFY(!db->transaction([] { return Status(); }).ok());

        QVERIFY(db->reopen().ok());
        QVERIFY(db->connected());
        QCOMPARE(db->session(), 1);
        auto literal = db->exec(u"SHOW standard_conforming_strings"_s);
        QVERIFY(literal && literal->next());
        QCOMPARE(literal->value(0).toString(), u"on"_s);
        auto other = Database::open(tdb.spec());
        QVERIFY(other);
        // Notifications reach the new session (sent until one arrives: the first may come
        // while it is still listening anew).
        QVERIFY(QTest::qWaitFor(
            [&] { return (*other)->exec(u"NOTIFY tw_fault_test"_s).ok() && !heard.isEmpty(); },
            10'000));
        QCOMPARE(heard.first(), u"tw_fault_test"_s);
    }

    // With the server down, ready() says no at once and tries again only when the backoff
    // says so (by the injected clock); once the server is back, the next due try reconnects
    // and runs the catch-up once.
    void theReconnectorBacksOffUntilTheServerIsBack() {
        TW_THROWAWAY_CLUSTER(cluster);
        auto db = Database::open(cluster.spec());
        QVERIFY2(db, db ? "" : qPrintable(db.error().message));
        ManualClock clock(QDateTime(QDate(2026, 12, 7), QTime(3, 0), Qt::UTC));
        Reconnector link(**db, clock, BackoffPolicy{1000ms, 8000ms}, 42);
        int restored = 0;
        link.onRestored([&] { ++restored; });
        QVERIFY(link.ready());
        QVERIFY(link.describe().isEmpty());

        QVERIFY(cluster.stop());
        QVERIFY(!(*db)->exec(u"SELECT 1"_s).ok());
        QVERIFY(!link.ready()); // the first try is at once, and fails
        const auto outage = link.outage();
        QVERIFY(outage.has_value());
        QCOMPARE(outage->attempts, 1);
        QCOMPARE(outage->since, clock.now());
        QVERIFY(outage->nextAttempt > clock.now());
        QVERIFY(outage->nextAttempt <= clock.now().addMSecs(1000));
        QVERIFY(link.describe().startsWith(u"database unreachable since 2026-12-07T03:00:00Z"_s));
        QVERIFY(!link.ready()); // not due: no new try
        QCOMPARE(link.outage()->attempts, 1);
        for (int i = 0; i < 6; ++i) { // due each time: 1, 2, 4, 8, 8, 8 s (with jitter)
            clock.set(link.outage()->nextAttempt);
            QVERIFY(!link.ready());
        }
        QCOMPARE(link.outage()->attempts, 7);
        QVERIFY(clock.now().msecsTo(link.outage()->nextAttempt) <= 8000);
        QVERIFY(clock.now().msecsTo(link.outage()->nextAttempt) >= 4000);
        QCOMPARE(restored, 0);

        QVERIFY(cluster.start());
        QVERIFY(!link.ready()); // back, but not due yet
        clock.set(link.outage()->nextAttempt);
        QVERIFY(link.ready());
        QCOMPARE(restored, 1);
        QVERIFY(!link.outage().has_value());
        QVERIFY((*db)->exec(u"SELECT 1"_s).ok());
    }

    // The simulator runs through ended sessions and a server restart: the engine says
    // "unhealthy: database unreachable" meanwhile, recovers by itself, and the tracked emails
    // at the end equal those of a run that met no fault (nothing lost, nothing twice).
    void theEngineSurvivesEndedSessionsAndARestartDuringSimulation() {
        TW_THROWAWAY_CLUSTER(cluster);
        QVERIFY(cluster.sql(u"CREATE DATABASE clean"_s));
        QVERIFY(cluster.sql(u"CREATE DATABASE faulty"_s));
        const QStringList clean = simulate(cluster, u"clean"_s, false);
        QVERIFY(clean.size() > 500);
        const QStringList faulty = simulate(cluster, u"faulty"_s, true);
        QCOMPARE(faulty.size(), clean.size());
        QCOMPARE(faulty, clean);
    }

    // An import meets ended sessions and a server restart: trackwatchd reconnects with
    // backoff, ingests the chunk in flight again, and ends with exactly a clean import's rows.
    void anImportSurvivesEndedSessionsAndARestart() {
        TW_THROWAWAY_CLUSTER(cluster);
        QTemporaryDir dir;
        constexpr int kSent = 12'000;
        const QString mbox = writeMbox(dir.filePath(u"archive.mbox"_s), kSent);
        QVERIFY(!mbox.isEmpty());
        QVERIFY(cluster.sql(u"CREATE DATABASE clean"_s));
        QVERIFY(cluster.sql(u"CREATE DATABASE faulty"_s));
        const auto dsn = [&](const QString& db) {
            return u"postgresql://postgres@127.0.0.1:%1/%2"_s.arg(cluster.spec().port).arg(db);
        };
        QProcess clean;
        startImport(clean, dsn(u"clean"_s), mbox, dir.path());
        QVERIFY(clean.waitForFinished(300'000));
        QVERIFY2(clean.exitCode() == 0, clean.readAll().constData());
        const QStringList expected = stateOf(cluster.spec(u"clean"_s));
        QCOMPARE(expected.size(), kSent);

        QProcess faulty;
        startImport(faulty, dsn(u"faulty"_s), mbox, dir.path());
        const ConnectionSpec spec = cluster.spec(u"faulty"_s);
        QVERIFY(QTest::qWaitFor([&] { return trackedCount(spec) > kSent / 10; }, 120'000));
        QVERIFY(cluster.terminateSessions(u"faulty"_s));
        QVERIFY(QTest::qWaitFor([&] { return trackedCount(spec) > kSent / 3; }, 120'000));
        QVERIFY(faulty.state() == QProcess::Running); // still importing: the faults hit it
        QVERIFY(cluster.restart());
        QVERIFY(faulty.waitForFinished(300'000));
        const QByteArray output = faulty.readAll();
        QVERIFY2(faulty.exitCode() == 0, output.constData());
        QVERIFY2(output.count("resuming the import") >= 2, output.constData());
        QCOMPARE(stateOf(spec), expected);
    }

    // kill -9 in the middle of an import into SQLite, then the same import again: the file is
    // intact and the rows are exactly a clean import's.
    void aKilledImportRunAgainIsExact() {
        QTemporaryDir dir;
        constexpr int kSent = 12'000;
        const QString mbox = writeMbox(dir.filePath(u"archive.mbox"_s), kSent);
        ConnectionSpec clean;
        clean.dialect = Dialect::Sqlite;
        clean.path = dir.filePath(u"clean.db"_s);
        ConnectionSpec killed = clean;
        killed.path = dir.filePath(u"killed.db"_s);

        QProcess once;
        startImport(once, clean.path, mbox, dir.path());
        QVERIFY(once.waitForFinished(300'000));
        QVERIFY2(once.exitCode() == 0, once.readAll().constData());
        const QStringList expected = stateOf(clean);
        QCOMPARE(expected.size(), kSent);

        QProcess first;
        startImport(first, killed.path, mbox, dir.path());
        QVERIFY(QTest::qWaitFor([&] { return trackedCount(killed) > kSent / 4; }, 120'000));
        first.kill(); // SIGKILL: no chance to finish a statement or a transaction
        QVERIFY(first.waitForFinished(10'000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);
        const qint64 before = trackedCount(killed);
        QVERIFY(before > 0 && before < kSent);
        {
            auto db = Database::open(killed);
            QVERIFY(db);
            auto check = (*db)->exec(u"PRAGMA integrity_check"_s);
            QVERIFY(check && check->next());
            QCOMPARE(check->value(0).toString(), u"ok"_s);
        }
        QProcess again;
        startImport(again, killed.path, mbox, dir.path());
        QVERIFY(again.waitForFinished(300'000));
        QVERIFY2(again.exitCode() == 0, again.readAll().constData());
        QCOMPARE(stateOf(killed), expected);
    }

private:
    // An hour of simulated mail in 2-minute steps; with faults, the sessions are ended at step
    // 10 and the server is down from step 18 to step 21. Returns the tracked state at the end.
    QStringList simulate(test::ThrowawayCluster& cluster, const QString& database, bool faults) {
        EngineConfig config;
        config.connection = cluster.spec(database);
        config.simulateRate = 3000;
        config.simulator.seed = 11;
        config.tickMs = 10;
        config.expiryIntervalSecs = 3600;
        config.analyticsIntervalSecs = 3600;
        config.reconnect = BackoffPolicy{0ms, 0ms}; // every tick, by the frozen clock
        const QDateTime start(QDate(2026, 12, 7), QTime(2, 0), Qt::UTC);
        auto clock = std::make_shared<test::SharedManualClock>(start);
        Engine engine(config, clock);
        Watcher watch;
        bool sawOutage = false;
        connect(&engine, &Engine::snapshotReady, this, [&](const EngineSnapshot& s) {
            watch.last = s;
            sawOutage = sawOutage || s.health.reasons.join(u' ').contains(u"unreachable"_s);
        });
        QSignalSpy ready(&engine, &Engine::ready);
        QSignalSpy failed(&engine, &Engine::failed);
        engine.start();
        if (!ready.wait(60'000)) {
            qWarning("engine did not start: %s",
                     failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
            return {};
        }
        for (int step = 1; step <= 30; ++step) {
            if (faults && step == 10) {
                cluster.terminateSessions(database);
            }
            if (faults && step == 18) {
                cluster.stop();
            }
            if (faults && step == 21) {
                cluster.start();
            }
            clock->advanceSecs(120);
            const QDateTime now = clock->now();
            const bool down = faults && step >= 18 && step < 21;
            // Each step waits for a tick at its time; while the server is down that tick
            // reports the outage, otherwise it has done all the work due.
            if (!QTest::qWaitFor(
                    [&] { return watch.last.at >= now && (down || !watch.busyOrFailing()); },
                    120'000)) {
                qWarning("step %d: %s", step, qPrintable(watch.last.health.reasons.join(u"; ")));
                return {};
            }
            if (down && watch.last.health.state != u"unhealthy") {
                qWarning("step %d: health %s while the server is down", step,
                         qPrintable(watch.last.health.state));
                return {};
            }
        }
        if (faults && !sawOutage) {
            qWarning("the engine never reported the outage");
            return {};
        }
        auto db = Database::open(config.connection);
        return db ? test::trackedState(**db) : QStringList{};
    }
};

QTEST_GUILESS_MAIN(TestPgFaults)
#include "tst_pg_faults.moc"
