// SPDX-License-Identifier: MIT
#include "metrics/metrics_registry.h"
#include "monitoring/metric_history.h"
#include "monitoring/process_stats.h"

#include "../support/test_databases.h"

#include <QTest>

#include <cmath>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kStart = QDateTime(QDate(2026, 11, 29), QTime(8, 0), Qt::UTC);

MonitorSample sampleAt(const QString& engine, const QDateTime& at, double base) {
    MonitorSample s;
    s.engineId = engine;
    s.at = at;
    s.emailsPerHour = base * 1000;
    s.webhookJobsPerMinute = base * 10;
    s.cacheHitRate = 0.5;
    s.queryP50Ms = base;
    s.queryP95Ms = base * 2;
    s.queryP99Ms = base * 3;
    s.apiP50Ms = kNoData; // no API traffic
    s.apiP95Ms = kNoData;
    s.apiP99Ms = kNoData;
    s.apiRequestsPerSecond = kNoData;
    s.errorRate = 0.01;
    s.queueDepth = base;
    s.cpuPercent = 12.5;
    s.memoryBytes = 64.0 * 1024 * 1024;
    s.dbConnectionsInUse = 0.25;
    return s;
}

} // namespace

class TstMetricHistory : public QObject {
    Q_OBJECT
private slots:
    // Every figure comes back as stored, a missing one (NaN) as NaN through NULL.
    void recordsAndReadsBack_data() { test::addDialectRows(); }
    void recordsAndReadsBack() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        MetricHistory history(*db);
        const MonitorSample stored = sampleAt(u"engine-a"_s, kStart.addMSecs(250), 7);
        QVERIFY(history.record(stored).ok());
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM metric_snapshots WHERE api_p50_ms IS "
                                   u"NULL AND query_p50_ms = 7"_s),
                 1);
        auto read = history.samples(u"engine-a"_s, kStart, kStart.addSecs(60));
        QVERIFY(read.ok());
        QCOMPARE(read->size(), 1);
        const MonitorSample& s = read->first();
        QCOMPARE(s.engineId, u"engine-a"_s);
        QCOMPARE(s.at, stored.at);
        QCOMPARE(s.emailsPerHour, 7000.0);
        QCOMPARE(s.queryP99Ms, 21.0);
        QCOMPARE(s.memoryBytes, 64.0 * 1024 * 1024);
        QCOMPARE(s.dbConnectionsInUse, 0.25);
        QVERIFY(std::isnan(s.apiP50Ms));
        QVERIFY(std::isnan(s.apiRequestsPerSecond));

        // A sample without an engine or a time is refused.
        QVERIFY(!history.record(MonitorSample{}).ok());
        // A reversed range is refused.
        QVERIFY(!history.samples({}, kStart.addSecs(1), kStart).ok());
    }

    // One engine's samples or every engine's, inside [from, to] only, oldest first.
    void filtersByEngineAndRange_data() { test::addDialectRows(); }
    void filtersByEngineAndRange() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        MetricHistory history(*db);
        for (int i = 0; i < 6; ++i) {
            QVERIFY(history.record(sampleAt(u"engine-a"_s, kStart.addSecs(i * 10), i)).ok());
            QVERIFY(history.record(sampleAt(u"engine-b"_s, kStart.addSecs(i * 10 + 5), i)).ok());
        }
        auto a = history.samples(u"engine-a"_s, kStart.addSecs(10), kStart.addSecs(40));
        QVERIFY(a.ok());
        QCOMPARE(a->size(), 4); // 10, 20, 30, 40: both ends included
        QCOMPARE(a->first().at, kStart.addSecs(10));
        QCOMPARE(a->last().at, kStart.addSecs(40));
        for (const MonitorSample& s : *a) {
            QCOMPARE(s.engineId, u"engine-a"_s);
        }
        auto fleet = history.samples({}, kStart, kStart.addSecs(60));
        QVERIFY(fleet.ok());
        QCOMPARE(fleet->size(), 12);
        for (qsizetype i = 1; i < fleet->size(); ++i) {
            QVERIFY((*fleet)[i - 1].at <= (*fleet)[i].at);
        }
        QCOMPARE(fleet->at(1).engineId, u"engine-b"_s);
        QVERIFY(history.samples(u"engine-c"_s, kStart, kStart.addSecs(60))->isEmpty());
    }

    // More samples than maxPoints: equal time buckets, each the average of its samples (NULLs
    // left out; a bucket with only NULLs stays NaN), its time the bucket's middle. An engine
    // with few samples in the same fleet query keeps its own.
    void averagesIntoBuckets_data() { test::addDialectRows(); }
    void averagesIntoBuckets() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        MetricHistory history(*db);
        // 100 samples a second apart, values 0..99; CPU missing in the first 50.
        for (int i = 0; i < 100; ++i) {
            MonitorSample s = sampleAt(u"busy"_s, kStart.addSecs(i), i);
            if (i < 50) {
                s.cpuPercent = kNoData;
            } else {
                s.cpuPercent = i;
            }
            QVERIFY(history.record(s).ok());
        }
        QVERIFY(history.record(sampleAt(u"quiet"_s, kStart.addSecs(42), 3)).ok());
        const QDateTime to = kStart.addMSecs(99'999); // 100 s in all: 10 buckets of 10 s
        auto busy = history.samples(u"busy"_s, kStart, to, 10);
        QVERIFY(busy.ok());
        QCOMPARE(busy->size(), 10);
        for (int b = 0; b < 10; ++b) {
            const MonitorSample& s = busy->at(b);
            QCOMPARE(s.at, kStart.addMSecs(b * 10'000 + 5'000));
            QCOMPARE(s.queryP50Ms, b * 10 + 4.5); // the mean of b*10 .. b*10+9
            if (b < 5) {
                QVERIFY(std::isnan(s.cpuPercent));
            } else {
                QCOMPARE(s.cpuPercent, b * 10 + 4.5);
            }
            QVERIFY(std::isnan(s.apiP95Ms));
        }
        auto fleet = history.samples({}, kStart, to, 10);
        QVERIFY(fleet.ok());
        QCOMPARE(fleet->size(), 11);
        int quiet = 0;
        for (qsizetype i = 0; i < fleet->size(); ++i) {
            if (fleet->at(i).engineId == u"quiet") {
                ++quiet;
                QCOMPARE(fleet->at(i).at, kStart.addSecs(42)); // its own sample, unaveraged
            }
            if (i > 0) {
                QVERIFY(fleet->at(i - 1).at <= fleet->at(i).at);
            }
        }
        QCOMPARE(quiet, 1);
        QVERIFY(!history.samples({}, kStart, to, 0).ok());
    }

    // The engine process's CPU and memory from /proc/self/stat and statm as the kernel writes
    // them (a command name with spaces and parentheses included).
    void parsesProcessFigures() {
        const QByteArray stat =
            "4242 (track (watch) d) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 50 0 0 20 0 9 0 "
            "123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        auto ticks = ProcessResources::parseStat(stat);
        QVERIFY(ticks.has_value());
        QCOMPARE(ticks->user, quint64{250});
        QCOMPARE(ticks->system, quint64{50});
        QVERIFY(!ProcessResources::parseStat("4242 (cut short) S 1 2").has_value());
        QVERIFY(!ProcessResources::parseStat("no parenthesis").has_value());
        QCOMPARE(
            ProcessResources::parseStatmResident("51200 2048 1000 10 0 3000 0\n", 4096).value(),
            2048.0 * 4096);
        QVERIFY(!ProcessResources::parseStatmResident("garbage", 4096).has_value());

        ProcessResources p;
        p.setSystemConstants(100, 4096);
        const QByteArray statm = "51200 2048 1000 10 0 3000 0";
        auto first = p.sample(1'000'000'000, stat, statm);
        QVERIFY(!first.cpuPercent.has_value()); // a rate needs two readings
        QCOMPARE(first.memoryBytes.value(), 2048.0 * 4096);
        // 300 -> 350 ticks (0.5 s of CPU) over 2 s: 25% of one core.
        QByteArray later = stat;
        later.replace(" 250 50 ", " 270 80 ");
        auto second = p.sample(3'000'000'000, later, statm);
        QVERIFY(second.cpuPercent.has_value());
        QCOMPARE(*second.cpuPercent, 25.0);

        // This process, for real: some resident memory.
        ProcessResources self;
        auto now = self.sample(1);
        QVERIFY(now.memoryBytes.value_or(0) > 1024 * 1024);
    }

    // A database with a registry times every statement by its first keyword (or the
    // operation's name) and counts itself as an open connection; without one it records
    // nothing.
    void databaseTimesStatements() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto metrics = std::make_shared<MetricsRegistry>();
        QVERIFY(db->exec(u"SELECT 1"_s).ok()); // before attaching: not counted
        db->setMetrics(metrics);
        QVERIFY(db->exec(u"SELECT count(*) FROM metric_snapshots"_s).ok());
        QVERIFY(db->exec(u"  select 2"_s).ok());
        QVERIFY(db->transaction([&] {
                      return Status::from(
                          db->exec(u"INSERT INTO alert_transitions (engine_id, rule, severity, "
                                   u"from_state, to_state, at) VALUES ('e', 'r', 's', 'a', "
                                   u"'b', '2026-11-29T00:00:00.000Z')"_s));
                  }).ok());
        {
            Database::OperationScope scope(*db, u"history_page"_s);
            QVERIFY(db->exec(u"SELECT 3"_s).ok());
        }
        QVERIFY(!db->exec(u"SELECT * FROM no_such_table"_s).ok());
        const MetricsSnapshot snap = metrics->snapshot();
        const auto count = [&](const QString& statement) {
            const MetricSnapshot* m =
                snap.find(u"trackwatch_db_query_duration_seconds", {{u"statement"_s, statement}});
            return m ? m->count : 0;
        };
        QCOMPARE(count(u"select"_s), quint64{3}); // the failed one is timed too
        QCOMPARE(count(u"insert"_s), quint64{1});
        QCOMPARE(count(u"begin"_s), quint64{1});
        QCOMPARE(count(u"commit"_s), quint64{1});
        QCOMPARE(count(u"history_page"_s), quint64{1});
        const MetricSnapshot* errors =
            snap.find(u"trackwatch_db_query_errors", {{u"statement"_s, u"select"_s}});
        QVERIFY(errors);
        QCOMPARE(errors->count, quint64{1});
        QCOMPARE(snap.find(u"trackwatch_db_connections", {{u"state"_s, u"open"_s}})->value, 1.0);
        QCOMPARE(snap.find(u"trackwatch_db_connections", {{u"state"_s, u"in_use"_s}})->value, 0.0);
        const MetricWindowStats all =
            metrics->mergedWindow(u"trackwatch_db_query_duration_seconds", MetricWindow::OneMinute);
        QCOMPARE(all.count, quint64{7});
        QVERIFY(all.p99 >= all.p50 && all.p50 > 0);
        db->setMetrics(nullptr);
        QCOMPARE(metrics->snapshot()
                     .find(u"trackwatch_db_connections", {{u"state"_s, u"open"_s}})
                     ->value,
                 0.0);
    }

    void prunesOldSamples_data() { test::addDialectRows(); }
    void prunesOldSamples() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        MetricHistory history(*db);
        for (int day = 0; day < 10; ++day) {
            QVERIFY(history.record(sampleAt(u"engine-a"_s, kStart.addDays(-day), day)).ok());
        }
        auto removed = history.prune(kStart.addDays(-8));
        QVERIFY(removed.ok());
        QCOMPARE(*removed, 1); // day 9 only; day 8 is not older than the limit
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM metric_snapshots"_s), 9);
        QCOMPARE(history.prune(kStart.addDays(-8)).value(), 0);
    }
};

QTEST_GUILESS_MAIN(TstMetricHistory)
#include "tst_metric_history.moc"
