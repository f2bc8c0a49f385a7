// SPDX-License-Identifier: MIT
#include "engine/feature_flags.h"
#include "tracking/ingestion_engine.h"
#include "tracking/traffic_simulator.h"

#include "../support/test_databases.h"

#include <QTest>

using namespace trackwatch;
using test::scalar;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);

QList<Delivery> sentMail(const QString& account, int count, const QDateTime& start) {
    QList<Delivery> list;
    for (int i = 0; i < count; ++i) {
        MailMessage m;
        m.messageId = u"msg-%1@company.example"_s.arg(i);
        m.subject = u"Offer %1"_s.arg(i);
        m.sender = account;
        m.recipients = {u"client-%1@customer.example"_s.arg(i % 7)};
        m.sentAt = start.addSecs(i * 10);
        list.append({account, m});
    }
    return list;
}

} // namespace

Q_DECLARE_METATYPE(QProcessEnvironment)

class TestIngestion : public QObject {
    Q_OBJECT
private slots:
    void storesOnceOnBothPaths_data() {
        QTest::addColumn<Dialect>("dialect");
        QTest::addColumn<bool>("batch");
        QTest::newRow("sqlite legacy") << Dialect::Sqlite << false;
        QTest::newRow("sqlite batch") << Dialect::Sqlite << true;
        QTest::newRow("postgresql legacy") << Dialect::PostgreSql << false;
        QTest::newRow("postgresql batch") << Dialect::PostgreSql << true;
    }
    void storesOnceOnBothPaths() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 40, 30});
        const auto mail = sentMail(u"me@company.example"_s, 250, kT0);

        auto first = engine.ingest(mail);
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QCOMPARE(first->read, 250);
        QCOMPARE(first->stored, 250);
        QCOMPARE(first->duplicates, 0);

        auto again = engine.ingest(mail);
        QVERIFY(again.ok());
        QCOMPARE(again->stored, 0);
        QCOMPARE(again->duplicates, 250);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 250);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM accounts"_s), 1);

        // Duplicates inside one call count once.
        auto twice = engine.ingest(sentMail(u"other@company.example"_s, 3, kT0) +
                                   sentMail(u"other@company.example"_s, 3, kT0));
        QVERIFY(twice.ok());
        QCOMPARE(twice->stored, 3);
        QCOMPARE(twice->duplicates, 3);
    }

    void failedBatchKeepsEarlierBatches_data() { test::addDialectRows(); }
    void failedBatchKeepsEarlierBatches() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        // A trigger refuses one message, as a database that fails mid-import would.
        if (dialect == Dialect::Sqlite) {
            QVERIFY(db->exec(u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails "
                             u"WHEN NEW.internet_message_id = 'msg-150@company.example' "
                             u"BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"_s)
                        .ok());
        } else {
            QVERIFY(db->exec(u"CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                             u"BEGIN IF NEW.internet_message_id = 'msg-150@company.example' THEN "
                             u"RAISE EXCEPTION 'poisoned message'; END IF; RETURN NEW; END $$"_s)
                        .ok());
            QVERIFY(db->exec(u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails FOR EACH ROW "
                             u"EXECUTE FUNCTION poison()"_s)
                        .ok());
        }
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {true, 100, 30});
        IngestionStats done;
        auto r = engine.ingest(sentMail(u"me@company.example"_s, 300, kT0), &done);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::DatabaseError);
        QVERIFY2(r.error().message.contains(u"poisoned"_s), qPrintable(r.error().message));
        QCOMPARE(done.stored, 100); // the first batch, committed before the failure
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 100);
    }

    void legacyAndBatchAgreeOnSimulatedTraffic_data() { test::addDialectRows(); }
    void legacyAndBatchAgreeOnSimulatedTraffic() {
        QFETCH(Dialect, dialect);
        SimulatorConfig config;
        config.seed = 7;
        config.accounts = 5;
        config.outOfOrderRate = 0.1;
        config.meanReplyDelaySeconds = 600;
        TrafficSimulator simulator(config, kT0);
        QList<QList<Delivery>> ticks;
        qsizetype total = 0;
        for (int minute = 1; minute <= 90; ++minute) {
            ticks.append(simulator.advanceTo(kT0.addSecs(minute * 60), 3000));
            total += ticks.last().size();
        }
        QVERIFY(total > 4000);

        QStringList dumps[2];
        IngestionStats stats[2];
        for (int batch = 0; batch < 2; ++batch) {
            TW_TEST_DATABASE(tdb, dialect);
            auto db = tdb.openMigrated();
            QVERIFY(db);
            ManualClock clock(kT0);
            IngestionEngine engine(*db, clock, {batch == 1, 100, 30});
            for (const auto& tick : ticks) {
                auto r = engine.ingest(tick);
                QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
                stats[batch] += *r;
            }
            dumps[batch] = test::trackedState(*db);
        }
        QCOMPARE(stats[0].read, total);
        QVERIFY(stats[0].repliesMatched > 0);
        QVERIFY(stats[0].lateReplies > 0); // out-of-order replies were exercised
        QVERIFY(stats[0].autoReplies > 0);
        QVERIFY(stats[0].bouncesMatched > 0);
        QCOMPARE(dumps[0].size(), dumps[1].size());
        QCOMPARE(dumps[0], dumps[1]);
        QCOMPARE(stats[0].stored, stats[1].stored);
        QCOMPARE(stats[0].replies(), stats[1].replies());
        QCOMPARE(stats[0].bounces(), stats[1].bounces());
    }

    // A sent message may have no To/Cc (Bcc only) and no subject: it is still tracked.
    void sentMailWithoutRecipientsOrSubject_data() { storesOnceOnBothPaths_data(); }
    void sentMailWithoutRecipientsOrSubject() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 100, 30});
        auto mail = sentMail(u"me@company.example"_s, 3, kT0);
        mail[1].message.recipients.clear();
        mail[1].message.subject = QString();
        auto r = engine.ingest(mail);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->stored, 3);
        auto q = db->exec(u"SELECT recipients, subject FROM tracked_emails WHERE "
                          u"internet_message_id = 'msg-1@company.example'"_s);
        QVERIFY(q.ok() && q->next());
        QCOMPARE(q->value(0).toString(), QString());
        QCOMPARE(q->value(1).toString(), QString());
    }

    // A failure halfway through a delivery on the legacy path leaves nothing of it behind, so
    // ingesting it again applies it (it is not mistaken for a duplicate).
    void legacyRetryAfterFailureApplies_data() { test::addDialectRows(); }
    void legacyRetryAfterFailureApplies() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {false, 100, 30});
        const auto mail = sentMail(u"me@company.example"_s, 1, kT0);
        QVERIFY(engine.ingest(mail).ok());
        MailMessage reply;
        reply.messageId = u"reply@customer.example"_s;
        reply.inReplyTo = {mail[0].message.messageId};
        reply.sender = u"client@customer.example"_s;
        reply.sentAt = kT0.addSecs(600);
        const QList<Delivery> replies{{u"me@company.example"_s, reply}};

        if (dialect == Dialect::Sqlite) {
            QVERIFY(db->exec(u"CREATE TRIGGER refuse BEFORE UPDATE ON tracked_emails "
                             u"BEGIN SELECT RAISE(ABORT, 'database went away'); END"_s)
                        .ok());
        } else {
            QVERIFY(db->exec(u"CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                             u"BEGIN RAISE EXCEPTION 'database went away'; END $$"_s)
                        .ok());
            QVERIFY(db->exec(u"CREATE TRIGGER refuse BEFORE UPDATE ON tracked_emails "
                             u"FOR EACH ROW EXECUTE FUNCTION refuse()"_s)
                        .ok());
        }
        QVERIFY(!engine.ingest(replies).ok());
        QVERIFY(db->exec(dialect == Dialect::Sqlite ? u"DROP TRIGGER refuse"_s
                                                    : u"DROP TRIGGER refuse ON tracked_emails"_s)
                    .ok());
        auto again = engine.ingest(replies);
        QVERIFY(again.ok());
        QCOMPARE(again->duplicates, 0);
        QCOMPARE(again->repliesMatched, 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                             u"'replied'"_s),
                 1);
    }

    // Two engines: one stores a reply before its parent exists, the other stores the parent in
    // a transaction that cannot see the reply's pending row. The sweep joins them.
    void sweepResolvesStrandedPendingReplies_data() { test::addDialectRows(); }
    void sweepResolvesStrandedPendingReplies() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {true, 100, 30});
        const auto mail = sentMail(u"me@company.example"_s, 2, kT0);
        MailMessage reply;
        reply.messageId = u"reply@customer.example"_s;
        reply.inReplyTo = {mail[0].message.messageId};
        reply.sender = u"client@customer.example"_s;
        reply.sentAt = kT0.addSecs(600);
        auto r = engine.ingest({{u"me@company.example"_s, reply}});
        QVERIFY(r.ok());
        QCOMPARE(r->repliesPending, 1);
        // The parent lands without looking at pending replies, as the other engine's would.
        const qint64 account = engine.repository().ensureAccount(u"me@company.example"_s).value();
        QVERIFY(engine.repository()
                    .insertSent({{account, &mail[0].message}, {account, &mail[1].message}}, kT0)
                    .ok());
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                             u"'replied'"_s),
                 0);
        QCOMPARE(engine.resolveStrandedPending().value(), 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                             u"'replied'"_s),
                 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM pending_replies"_s), 0);
        QCOMPARE(engine.resolveStrandedPending().value(), 0);
    }

    void expiresAfterTrackingDays_data() { test::addDialectRows(); }
    void expiresAfterTrackingDays() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {true, 100, 30});
        QVERIFY(engine.ingest(sentMail(u"me@company.example"_s, 10, kT0)).ok());
        clock.set(kT0.addDays(30)); // exactly 30 days: not yet overdue
        QCOMPARE(engine.expireOverdue().value(), 0);
        clock.set(kT0.addDays(30).addSecs(55)); // past the first 6 (sent 10 s apart)
        QCOMPARE(engine.expireOverdue().value(), 6);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                             u"'expired'"_s),
                 6);
        QCOMPARE(engine.expireOverdue().value(), 0); // nothing twice
    }

    void analyticsRollup_data() { test::addDialectRows(); }
    void analyticsRollup() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0.addDays(1));
        IngestionEngine engine(*db, clock, {true, 100, 30});
        auto mail = sentMail(u"me@company.example"_s, 4, kT0); // 09:00:00 .. 09:00:30
        // Replies after 60, 120 and 300 seconds to the first three.
        const int delays[] = {60, 120, 300};
        for (int i = 0; i < 3; ++i) {
            MailMessage r;
            r.messageId = u"reply-%1@customer.example"_s.arg(i);
            r.inReplyTo = {mail[i].message.messageId};
            r.sender = u"client@customer.example"_s;
            r.sentAt = mail[i].message.sentAt.addSecs(delays[i]);
            mail.append({u"me@company.example"_s, r});
        }
        QVERIFY(engine.ingest(mail).ok());
        QVERIFY(engine.repository().refreshAnalytics(clock.now()).ok());
        const QString sql = u"SELECT emails_sent, emails_replied, median_reply_seconds, "
                            u"p90_reply_seconds FROM tracked_emails_hourly_metrics WHERE "
                            u"email_account_id = %1 ORDER BY hour"_s;
        for (const QString& account : {u"(SELECT id FROM accounts)"_s, u"0"_s}) {
            auto q = db->exec(sql.arg(account));
            QVERIFY(q.ok());
            QVERIFY(q->next());
            QCOMPARE(q->value(0).toInt(), 4);
            QCOMPARE(q->value(1).toInt(), 3);
            QCOMPARE(q->value(2).toDouble(), 120.0);
            QCOMPARE(q->value(3).toDouble(), 264.0); // percentile_cont(0.9) of 60, 120, 300
            QVERIFY(!q->next());
        }
        // A later change is picked up by the next refresh.
        clock.set(kT0.addDays(2));
        MailMessage late;
        late.messageId = u"reply-late@customer.example"_s;
        late.inReplyTo = {mail[3].message.messageId};
        late.sender = u"client@customer.example"_s;
        late.sentAt = kT0.addDays(2);
        QVERIFY(engine.ingest({{u"me@company.example"_s, late}}).ok());
        QVERIFY(engine.repository().refreshAnalytics(clock.now()).ok());
        QCOMPARE(scalar(*db, u"SELECT emails_replied FROM tracked_emails_hourly_metrics WHERE "
                             u"email_account_id = 0"_s),
                 4);
    }

    void batchFlagFollowsTheSeedsSemantics_data() {
        QTest::addColumn<QString>("variable");
        QTest::addColumn<QString>("value"); // "<unset>" leaves it out
        QTest::addColumn<int>("flag");
        QTest::addColumn<bool>("expected");
        const int batch = static_cast<int>(Flag::EnableBatchIngestion);
        const int optimized = static_cast<int>(Flag::UseOptimizedQueries);
        QTest::newRow("batch unset")
            << u"ENABLE_BATCH_INGESTION"_s << u"<unset>"_s << batch << false;
        QTest::newRow("batch true") << u"ENABLE_BATCH_INGESTION"_s << u"true"_s << batch << true;
        QTest::newRow("batch TRUE") << u"ENABLE_BATCH_INGESTION"_s << u"TRUE"_s << batch << false;
        QTest::newRow("batch 1") << u"ENABLE_BATCH_INGESTION"_s << u"1"_s << batch << false;
        QTest::newRow("optimized unset")
            << u"USE_OPTIMIZED_QUERIES"_s << u"<unset>"_s << optimized << true;
        QTest::newRow("optimized false")
            << u"USE_OPTIMIZED_QUERIES"_s << u"false"_s << optimized << false;
        QTest::newRow("optimized FALSE")
            << u"USE_OPTIMIZED_QUERIES"_s << u"FALSE"_s << optimized << true;
        QTest::newRow("optimized 0") << u"USE_OPTIMIZED_QUERIES"_s << u"0"_s << optimized << true;
    }
    void batchFlagFollowsTheSeedsSemantics() {
        QFETCH(QString, variable);
        QFETCH(QString, value);
        QFETCH(int, flag);
        QFETCH(bool, expected);
        QProcessEnvironment env;
        if (value != u"<unset>") {
            env.insert(variable, value);
        }
        QCOMPARE(FeatureFlags::info(static_cast<Flag>(flag)).environment, variable);
        QCOMPARE(FeatureFlags::fromEnvironment(static_cast<Flag>(flag), env), expected);
    }
};

QTEST_GUILESS_MAIN(TestIngestion)
#include "tst_ingestion.moc"
