// SPDX-License-Identifier: MIT
// The seed's database work on a real PostgreSQL with a million tracked emails: the named
// indexes, functions and materialized view exist, and the dashboard query plans as an index
// scan. SQLite's plan for the same query is checked too.
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr int kRows = 1'000'000;
constexpr int kAccounts = 200;

// The seed's validation query (Day 1-2), with its $1 filled in.
const QString kDashboardQuery =
    u"SELECT * FROM tracked_emails WHERE email_account_id = 42 AND tracking_status = 'active' "
    u"AND sent_at >= NOW() - INTERVAL '30 days' ORDER BY sent_at DESC LIMIT 20"_s;

// Every node type in a JSON plan, depth first.
void collectNodes(const QJsonObject& node, QStringList& types, QStringList& indexes) {
    types << node.value(u"Node Type"_s).toString();
    if (node.contains(u"Index Name"_s)) {
        indexes << node.value(u"Index Name"_s).toString();
    }
    for (const QJsonValue& child : node.value(u"Plans"_s).toArray()) {
        collectNodes(child.toObject(), types, indexes);
    }
}

} // namespace

class TestPgQueryPlans : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<test::TestDatabase> m_pg;
    std::unique_ptr<Database> m_db;

    qint64 scalar(const QString& sql) {
        auto q = m_db->exec(sql);
        if (!q || !q->next()) {
            qWarning("%s", q ? "no row" : qPrintable(q.error().message));
            return -1;
        }
        return q->value(0).toLongLong();
    }

private slots:
    void initTestCase() {
        m_pg = std::make_unique<test::TestDatabase>(Dialect::PostgreSql);
        if (!m_pg->ok()) {
            TW_DATABASE_UNAVAILABLE(m_pg->reason());
        }
        m_db = m_pg->openMigrated();
        QVERIFY(m_db);
        QVERIFY(m_db->exec(u"INSERT INTO accounts (email_address) SELECT 'account-' || g || "
                           u"'@company.example' FROM generate_series(1, %1) g"_s.arg(kAccounts))
                    .ok());
        // A million emails over 90 days: the last 30 days hold the active ones (60 % of them);
        // older ones were answered, bounced or expired.
        auto filled = m_db->exec(
            u"INSERT INTO tracked_emails (email_account_id, internet_message_id, conversation_id, "
            u"subject, subject_normalized, sender, recipients, sent_at, tracking_status, "
            u"replied_at, created_at, updated_at) "
            u"SELECT a, 'm-' || g || '@company.example', md5(g::text), 'Offer ' || g, "
            u"'Offer ' || g, 'account-' || a || '@company.example', 'client@customer.example', "
            u"s, st, CASE WHEN st = 'replied' THEN s + interval '3 hours' END, s, s "
            u"FROM (SELECT g, 1 + g % %2 AS a, now() - (g % 7776000) * interval '1 second' AS s, "
            u"CASE WHEN g % 7776000 < 2592000 AND g % 10 < 6 THEN 'active' "
            u"WHEN g % 10 < 7 THEN 'replied' WHEN g % 10 < 8 THEN 'bounced' "
            u"ELSE CASE WHEN g % 7776000 < 2592000 THEN 'replied' ELSE 'expired' END END AS st "
            u"FROM generate_series(1, %1) g) x"_s.arg(kRows)
                .arg(kAccounts));
        QVERIFY2(filled.ok(), filled.ok() ? "" : qPrintable(filled.error().message));
        QVERIFY(m_db->exec(u"ANALYZE tracked_emails"_s).ok());
        QCOMPARE(scalar(u"SELECT count(*) FROM tracked_emails"_s), kRows);
    }

    void seedIndexesExist() {
        auto q = m_db->exec(u"SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_%'"_s);
        QVERIFY(q.ok());
        QStringList names;
        while (q->next()) {
            names << q->value(0).toString();
        }
        QVERIFY(names.contains(u"idx_tracked_emails_account_status_response"_s));
        QVERIFY(names.contains(u"idx_tracked_emails_active_tracking"_s));
        QVERIFY(names.contains(u"idx_tracked_emails_hourly_metrics_key"_s));
    }

    void dashboardQueryIsAnIndexScan() {
        auto q = m_db->exec(u"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "_s + kDashboardQuery);
        QVERIFY(q.ok() && q->next());
        const QJsonArray plans = QJsonDocument::fromJson(q->value(0).toString().toUtf8()).array();
        QVERIFY(!plans.isEmpty());
        QStringList types;
        QStringList indexes;
        collectNodes(plans.first().toObject().value(u"Plan"_s).toObject(), types, indexes);
        qInfo("dashboard plan: %s on %s", qPrintable(types.join(u" > "_s)),
              qPrintable(indexes.join(u", "_s)));
        QVERIFY2(!types.contains(u"Seq Scan"_s), qPrintable(types.join(u", "_s)));
        QVERIFY2(types.contains(u"Index Scan"_s), qPrintable(types.join(u", "_s)));
        QCOMPARE(indexes, QStringList{u"idx_tracked_emails_active_tracking"_s});
        // The index hands rows over in order: no sort step.
        QVERIFY(!types.contains(u"Sort"_s));
    }

    void statusFilterUsesAccountStatusIndex() {
        auto q = m_db->exec(u"EXPLAIN (FORMAT JSON) SELECT id FROM tracked_emails WHERE "
                            u"email_account_id = 42 AND tracking_status = 'replied' "
                            u"ORDER BY replied_at DESC LIMIT 20"_s);
        QVERIFY(q.ok() && q->next());
        const QJsonArray plans = QJsonDocument::fromJson(q->value(0).toString().toUtf8()).array();
        QStringList types;
        QStringList indexes;
        collectNodes(plans.first().toObject().value(u"Plan"_s).toObject(), types, indexes);
        QVERIFY2(!types.contains(u"Seq Scan"_s), qPrintable(types.join(u", "_s)));
        QVERIFY2(indexes.contains(u"idx_tracked_emails_account_status_response"_s),
                 qPrintable(indexes.join(u", "_s)));
    }

    void optimizedFunctionPagesNewestFirst() {
        auto first = m_db->exec(u"SELECT id, sent_at FROM get_tracked_emails_optimized(42, "
                                u"'active', now() - interval '30 days', 20)"_s);
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QList<QPair<qint64, QDateTime>> rows;
        while (first->next()) {
            rows.append(
                {first->value(0).toLongLong(), TrackedEmailRepository::readTime(first->value(1))});
        }
        QCOMPARE(rows.size(), 20);
        for (qsizetype i = 1; i < rows.size(); ++i) {
            QVERIFY(rows[i - 1].second >= rows[i].second);
        }
        // The next page continues strictly after the last row of this one.
        auto next = m_db->exec(u"SELECT id, sent_at FROM get_tracked_emails_optimized(42, "
                               u"'active', now() - interval '30 days', 20, "
                               u"(SELECT sent_at FROM tracked_emails WHERE id = ?), ?)"_s,
                               {rows.last().first, rows.last().first});
        QVERIFY2(next.ok(), next.ok() ? "" : qPrintable(next.error().message));
        QSet<qint64> firstPage;
        for (const auto& row : rows) {
            firstPage.insert(row.first);
        }
        int count = 0;
        while (next->next()) {
            ++count;
            QVERIFY(!firstPage.contains(next->value(0).toLongLong()));
            QVERIFY(TrackedEmailRepository::readTime(next->value(1)) <= rows.last().second);
        }
        QCOMPARE(count, 20);
        // Out-of-range limits are refused, not clamped silently.
        QVERIFY(
            !m_db->exec(u"SELECT * FROM get_tracked_emails_optimized(42, NULL, NULL, 0)"_s).ok());
    }

    void analyticsFromTheMaterializedView() {
        QVERIFY(m_db->exec(u"SELECT refresh_analytics_views()"_s).ok());
        const qint64 sentInView =
            scalar(u"SELECT sum(emails_sent) FROM tracked_emails_hourly_metrics WHERE "
                   u"email_account_id = 0"_s);
        QCOMPARE(sentInView, kRows);
        const qint64 sentForOne = scalar(u"SELECT sum(emails_sent) FROM "
                                         u"get_tracking_analytics(42, now() - interval '100 days', "
                                         u"now() + interval '1 day')"_s);
        QCOMPARE(sentForOne, scalar(u"SELECT count(*) FROM tracked_emails WHERE "
                                    u"email_account_id = 42"_s));
        const qint64 medianReplied =
            scalar(u"SELECT round(max(median_reply_seconds)) FROM get_tracking_analytics(NULL, "
                   u"now() - interval '100 days')"_s);
        QCOMPARE(medianReplied, 3 * 3600);
    }

    void sqlitePlansTheSameQueryOnItsIndex() {
        TW_TEST_DATABASE(lite, Dialect::Sqlite);
        auto db = lite.openMigrated();
        QVERIFY(db);
        auto q = db->exec(u"EXPLAIN QUERY PLAN SELECT * FROM tracked_emails WHERE "
                          u"email_account_id = 42 AND tracking_status = 'active' AND sent_at >= ? "
                          u"ORDER BY sent_at DESC LIMIT 20"_s,
                          {u"2026-10-01T00:00:00.000Z"_s});
        QVERIFY(q.ok());
        QString plan;
        while (q->next()) {
            plan += q->value(3).toString() + u'\n';
        }
        // Without statistics SQLite may take the search's (account, sent_at) index instead of
        // the seed's partial one; either reads the account's range in order, with no sort.
        QVERIFY2(plan.contains(u"idx_tracked_emails_active_tracking"_s) ||
                     plan.contains(u"idx_tracked_emails_search_account"_s),
                 qPrintable(plan));
        QVERIFY2(plan.contains(u"email_account_id=? AND sent_at>?"_s), qPrintable(plan));
        QVERIFY2(!plan.contains(u"TEMP B-TREE"_s), qPrintable(plan));
    }

    void cleanupTestCase() {
        m_db.reset();
        m_pg.reset();
    }
};

QTEST_GUILESS_MAIN(TestPgQueryPlans)
#include "tst_pg_query_plans.moc"
