// SPDX-License-Identifier: MIT
// getTrackedEmails and analytics: legacy, optimized and cached paths answer the same, the guard
// chooses between them, and an optimized failure is answered by legacy. Real databases, real
// simulated traffic.
#include "cache/query_cache.h"
#include "control/optimization_guard.h"
#include "storage/tracked_email_repository.h"
#include "tracking/email_query_service.h"
#include "tracking/ingestion_engine.h"
#include "tracking/traffic_simulator.h"

#include "../support/test_databases.h"

#include <QSet>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);

// Six simulated hours of mail for five accounts, ingested and rolled up.
std::unique_ptr<Database> seeded(const test::TestDatabase& tdb, ManualClock& clock,
                                 QStringList* accounts) {
    auto db = tdb.openMigrated();
    if (!db) {
        return nullptr;
    }
    SimulatorConfig config;
    config.accounts = 5;
    TrafficSimulator simulator(config, kT0);
    IngestionEngine ingestion(*db, clock, {true, 200, 30});
    for (int minute = 10; minute <= 360; minute += 10) {
        clock.set(kT0.addSecs(minute * 60));
        if (!ingestion.ingest(simulator.advanceTo(clock.now(), 600)).ok()) {
            return nullptr;
        }
    }
    if (!ingestion.repository().refreshAnalytics(clock.now()).ok()) {
        return nullptr;
    }
    *accounts = simulator.accounts();
    return db;
}

} // namespace

class TestEmailQueries : public QObject {
    Q_OBJECT
private slots:
    void legacyAndOptimizedAgree_data() { test::addDialectRows(); }
    void legacyAndOptimizedAgree() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        ManualClock clock(kT0);
        QStringList accounts;
        auto db = seeded(tdb, clock, &accounts);
        QVERIFY(db);
        EmailQueryService service(*db, nullptr, {});
        qint64 seen = 0;
        for (const QString& account : accounts) {
            for (const QString& status : {QString(), u"active"_s, u"replied"_s, u"bounced"_s}) {
                TrackedEmailQuery query{account, status, kT0.addSecs(3600), 25, {}, 0};
                // Page through everything on both paths: same rows, no duplicates, none missed.
                QSet<qint64> ids;
                for (int page = 0; page < 1000; ++page) {
                    auto legacy = service.legacyTrackedEmails(query);
                    auto optimized = service.optimizedTrackedEmails(query);
                    QVERIFY2(legacy && optimized,
                             qPrintable(!legacy      ? legacy.error().message
                                        : !optimized ? optimized.error().message
                                                     : QString()));
                    QCOMPARE(optimized->rows, legacy->rows);
                    QCOMPARE(optimized->path, u"optimized"_s);
                    for (const TrackedEmailRow& r : legacy->rows) {
                        QVERIFY(!ids.contains(r.id));
                        ids.insert(r.id);
                        QVERIFY(status.isEmpty() || r.status == status);
                        QVERIFY(r.sentAt >= query.since);
                    }
                    if (!legacy->hasMore) {
                        break;
                    }
                    query.beforeSentAt = legacy->rows.last().sentAt;
                    query.beforeId = legacy->rows.last().id;
                }
                QString sql = u"SELECT count(*) FROM tracked_emails t JOIN accounts a ON a.id = "
                              u"t.email_account_id WHERE a.email_address = ? AND t.sent_at >= ?"_s;
                QVariantList values{account, TrackedEmailRepository::timeValue(query.since)};
                if (!status.isEmpty()) {
                    sql += u" AND t.tracking_status = ?"_s;
                    values << status;
                }
                auto count = db->exec(sql, values);
                QVERIFY(count && count->next());
                QCOMPARE(ids.size(), count->value(0).toLongLong());
                seen += ids.size();
            }
        }
        QVERIFY(seen > 500);

        // Bad input is refused on every path.
        for (const TrackedEmailQuery& bad :
             {TrackedEmailQuery{{}, {}, {}, 20, {}, 0},
              TrackedEmailQuery{accounts.first(), u"lost"_s, {}, 20, {}, 0},
              TrackedEmailQuery{accounts.first(), {}, {}, 0, {}, 0},
              TrackedEmailQuery{accounts.first(), {}, {}, 1001, {}, 0},
              TrackedEmailQuery{accounts.first(), {}, {}, 20, kT0, 0}}) {
            QCOMPARE(service.legacyTrackedEmails(bad).error().code, ErrorCode::InvalidArgument);
            QCOMPARE(service.optimizedTrackedEmails(bad).error().code, ErrorCode::InvalidArgument);
        }
        auto unknown = service.trackedEmails({u"nobody@example.com"_s, {}, {}, 20, {}, 0});
        QVERIFY(unknown && unknown->rows.isEmpty());
    }

    void analyticsRawAndMaterializedAgree_data() { test::addDialectRows(); }
    void analyticsRawAndMaterializedAgree() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        ManualClock clock(kT0);
        QStringList accounts;
        auto db = seeded(tdb, clock, &accounts);
        QVERIFY(db);
        EmailQueryService service(*db, nullptr, {});
        for (const QString& account : {QString(), accounts.first()}) {
            const AnalyticsQuery query{account, kT0.addSecs(1800), kT0.addSecs(6 * 3600)};
            auto raw = service.rawAnalytics(query);
            auto materialized = service.materializedAnalytics(query);
            QVERIFY2(raw && materialized, qPrintable(!raw            ? raw.error().message
                                                     : !materialized ? materialized.error().message
                                                                     : QString()));
            QCOMPARE(raw->rows.size(), 6); // 09:00 (from 09:30, whole hours) to 14:00
            QCOMPARE(materialized->rows.size(), raw->rows.size());
            for (qsizetype i = 0; i < raw->rows.size(); ++i) {
                const AnalyticsRow& r = raw->rows[i];
                const AnalyticsRow& m = materialized->rows[i];
                QCOMPARE(m.hour, r.hour);
                QCOMPARE(m.sent, r.sent);
                QCOMPARE(m.replied, r.replied);
                QCOMPARE(m.bounced, r.bounced);
                QVERIFY(r.sent > 0);
                QVERIFY(qAbs(m.replyRate - r.replyRate) < 1e-9);
                QCOMPARE(m.medianReply.has_value(), r.medianReply.has_value());
                if (r.medianReply) {
                    QVERIFY2(qAbs(*m.medianReply - *r.medianReply) < 0.01,
                             qPrintable(u"%1 vs %2"_s.arg(*m.medianReply).arg(*r.medianReply)));
                    QVERIFY(qAbs(*m.p90Reply - *r.p90Reply) < 0.01);
                }
            }
        }
        QCOMPARE(service.analytics({{}, kT0, kT0}).error().code, ErrorCode::InvalidArgument);
    }

    // CachedEmailTrackingService: a hit after the first call, the same rows, and a write to the
    // account (invalidateAccount) makes the next call read the database again.
    void cacheHitsAndInvalidation_data() { test::addDialectRows(); }
    void cacheHitsAndInvalidation() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        ManualClock clock(kT0);
        QStringList accounts;
        auto db = seeded(tdb, clock, &accounts);
        QVERIFY(db);
        QueryCache cache({}, QueryCache::fromClock(clock));
        OptimizationGuard queries(u"optimizedQueries"_s, u"optimizedQueries"_s, {}, clock);
        OptimizationGuard caching(u"queryCache"_s, u"caching"_s, {}, clock);
        queries.configure(true, 100, u"closed"_s, {});
        caching.configure(true, 100, u"closed"_s, {});
        EmailQueryService service(*db, &cache, {&queries, &caching});
        const TrackedEmailQuery query{accounts.first(), {}, {}, 50, {}, 0};
        auto first = service.trackedEmails(query);
        auto second = service.trackedEmails(query);
        QVERIFY(first && second);
        QCOMPARE(first->path, u"optimized"_s);
        QCOMPARE(second->path, u"cached"_s);
        QCOMPARE(second->rows, first->rows);
        QCOMPARE(second->hasMore, first->hasMore);
        QCOMPARE(cache.stats(CacheNamespace::TrackedEmails).hits, 1);

        QVERIFY(cache.invalidateAccount(accounts.first()) > 0);
        QCOMPARE(service.trackedEmails(query)->path, u"optimized"_s);
        // Another account's entries are its own.
        QCOMPARE(service.trackedEmails({accounts.last(), {}, {}, 50, {}, 0})->path, u"optimized"_s);
        QCOMPARE(service.trackedEmails(query)->path, u"cached"_s);

        // Caching off (flag) goes straight to the optimized query; queries off to legacy.
        caching.configure(false, 100, u"closed"_s, {});
        QCOMPARE(service.trackedEmails(query)->path, u"optimized"_s);
        queries.configure(false, 100, u"closed"_s, {});
        QCOMPARE(service.trackedEmails(query)->path, u"legacy"_s);

        // Analytics through the cache too.
        caching.configure(true, 100, u"closed"_s, {});
        const AnalyticsQuery range{{}, kT0, kT0.addSecs(6 * 3600)};
        QCOMPARE(service.analytics(range)->path, u"materialized"_s);
        QCOMPARE(service.analytics(range)->path, u"cached"_s);
        service.setUseMaterializedViews(false);
        QCOMPARE(service.analytics(range)->path, u"raw"_s);
    }

    // A real failure of the optimized path (its function is gone): every request is still
    // answered, by legacy, and the breaker opens after five failures.
    void optimizedFailureFallsBackToLegacy() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        ManualClock clock(kT0);
        QStringList accounts;
        auto db = seeded(tdb, clock, &accounts);
        QVERIFY(db);
        OptimizationGuard queries(u"optimizedQueries"_s, {}, {}, clock);
        queries.configure(true, 100, u"closed"_s, {});
        EmailQueryService service(*db, nullptr, {&queries, nullptr});
        const TrackedEmailQuery query{accounts.first(), {}, {}, 20, {}, 0};
        auto before = service.trackedEmails(query);
        QVERIFY(before);
        QCOMPARE(before->path, u"optimized"_s);
        QVERIFY(db->exec(u"DROP FUNCTION get_tracked_emails_optimized"_s).ok());
        for (int i = 0; i < 8; ++i) {
            auto page = service.trackedEmails(query);
            QVERIFY2(page, page ? "" : qPrintable(page.error().message));
            QCOMPARE(page->path, u"legacy"_s);
            QCOMPARE(page->rows, before->rows);
        }
        QCOMPARE(queries.counts().fallbacks, 5); // then the breaker stopped trying
        QCOMPARE(queries.state(), BreakerState::Open);
        QVERIFY(queries.counts().lastFailure.contains(u"get_tracked_emails_optimized"_s));
    }
};

QTEST_GUILESS_MAIN(TestEmailQueries)
#include "tst_email_queries.moc"
