// SPDX-License-Identifier: MIT
#include "engine/feature_flags.h"
#include "tracking/ingestion_engine.h"
#include "tracking/mail_parser.h"
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

// Makes every insert of tracked email `messageId` fail, as a message the database refuses.
Status poison(Database& db, const QString& messageId) {
    if (db.dialect() == Dialect::Sqlite) {
        return Status::from(db.exec(
            u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails WHEN "
            u"NEW.internet_message_id = '%1' BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"_s
                .arg(messageId)));
    }
    if (auto r = db.exec(u"CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                         u"IF NEW.internet_message_id = '%1' THEN RAISE EXCEPTION "
                         u"'poisoned message'; END IF; RETURN NEW; END $$"_s.arg(messageId));
        !r) {
        return r.error();
    }
    return Status::from(db.exec(u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails FOR EACH "
                                u"ROW EXECUTE FUNCTION poison()"_s));
}

MailMessage replyTo(const QString& parentId, const QString& id, const QDateTime& at) {
    MailMessage m;
    m.messageId = id;
    m.inReplyTo = {parentId};
    m.sender = u"client@customer.example"_s;
    m.sentAt = at;
    return m;
}

MailMessage parsed(const QByteArray& raw) {
    auto m = MailParser::parse(raw);
    if (!m) {
        qFatal("fixture does not parse: %s", qPrintable(m.error().message));
    }
    return std::move(m).value();
}

void addPathRows() {
    QTest::addColumn<Dialect>("dialect");
    QTest::addColumn<bool>("batch");
    QTest::newRow("sqlite legacy") << Dialect::Sqlite << false;
    QTest::newRow("sqlite batch") << Dialect::Sqlite << true;
    QTest::newRow("postgresql legacy") << Dialect::PostgreSql << false;
    QTest::newRow("postgresql batch") << Dialect::PostgreSql << true;
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

    // A caller that handles failures itself (the webhook processor) still gets them: the
    // failed batch rolls back whole, batches before it stay committed.
    void failedBatchKeepsEarlierBatchesWithoutSkipping_data() { test::addDialectRows(); }
    void failedBatchKeepsEarlierBatchesWithoutSkipping() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY(poison(*db, u"msg-150@company.example"_s));
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {true, 100, 30, false});
        IngestionStats done;
        auto r = engine.ingest(sentMail(u"me@company.example"_s, 300, kT0), &done);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::DatabaseError);
        QVERIFY2(r.error().message.contains(u"poisoned"_s), qPrintable(r.error().message));
        QCOMPARE(done.stored, 100); // the first batch, committed before the failure
        QCOMPARE(done.skipped, 0);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 100);
    }

    // Defect: one message the database refuses failed its whole batch (and on the legacy path
    // every message after it). Now it is skipped and counted with its reason, every other
    // message lands, and running the same input again changes nothing.
    void poisonedMessageIsSkippedAndCounted_data() { addPathRows(); }
    void poisonedMessageIsSkippedAndCounted() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY(poison(*db, u"msg-150@company.example"_s));
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 100, 30});
        auto mail = sentMail(u"me@company.example"_s, 300, kT0);
        // A reply in the poisoned message's batch, to a good message of that batch.
        mail.insert(160, Delivery{u"me@company.example"_s,
                                  replyTo(mail[120].message.messageId,
                                          u"reply-120@customer.example"_s, kT0.addSecs(5000))});
        for (int run = 0; run < 2; ++run) {
            auto r = engine.ingest(mail);
            QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
            QCOMPARE(r->read, 301);
            QCOMPARE(r->skipped, 1);
            QCOMPARE(r->skipReasons.size(), 1);
            QVERIFY2(r->skipReasons.first().contains(u"msg-150@company.example"_s) &&
                         r->skipReasons.first().contains(u"poisoned"_s),
                     qPrintable(r->skipReasons.first()));
            QCOMPARE(r->stored, run == 0 ? 299 : 0);
            QCOMPARE(r->repliesMatched, run == 0 ? 1 : 0);
            QCOMPARE(r->duplicates, run == 0 ? 0 : 300);
            QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 299);
            QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE "
                                 u"internet_message_id = 'msg-150@company.example'"_s),
                     0);
            QCOMPARE(scalar(*db, u"SELECT response_count FROM tracked_emails WHERE "
                                 u"internet_message_id = 'msg-120@company.example'"_s),
                     1);
        }
    }

    // Defect: "References: <p\0q@x> <pq@x>" from a source other than the parser collided on
    // pending_reply_refs once NUL was dropped, and lost the batch. The database layer now
    // refuses NUL, and the delivery is skipped; the messages around it land.
    void nulInAnIdIsSkippedNotFatal_data() { addPathRows(); }
    void nulInAnIdIsSkippedNotFatal() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 100, 30});
        auto mail = sentMail(u"me@company.example"_s, 4, kT0);
        MailMessage bad = replyTo(u"elsewhere@x"_s, u"bad-reply@customer.example"_s, kT0);
        bad.inReplyTo.clear();
        bad.references = {u"p"_s + QChar(0) + u"q@x"_s, u"pq@x"_s};
        mail.insert(2, Delivery{u"me@company.example"_s, bad});
        auto r = engine.ingest(mail);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->stored, 4);
        QCOMPARE(r->skipped, 1);
        QVERIFY2(r->skipReasons.first().contains(u"NUL"_s), qPrintable(r->skipReasons.first()));
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM pending_replies"_s), 0);
    }

    // Defect: a NUL in a header made two References ids one once stored, and the message failed.
    // The parser removes NUL, then drops the duplicate: the reply waits with one reference.
    void nulInParsedHeadersIsNormalised_data() { addPathRows(); }
    void nulInParsedHeadersIsNormalised() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 100, 30});
        // '#' stands for NUL.
        const MailMessage reply = parsed(QByteArray("Message-ID: <r1@customer.example>\n"
                                                    "From: client@customer.example\n"
                                                    "Subject: Re: Off#er\n"
                                                    "References: <p#q@x> <pq@x>\n\nThanks\n")
                                             .replace('#', '\0'));
        QCOMPARE(reply.subject, u"Re: Offer"_s);
        QCOMPARE(reply.references, QStringList{u"pq@x"_s});
        auto mail = sentMail(u"me@company.example"_s, 2, kT0);
        mail.insert(1, Delivery{u"me@company.example"_s, reply});
        auto r = engine.ingest(mail);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->skipped, 0);
        QCOMPARE(r->stored, 2);
        QCOMPARE(r->repliesPending, 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM pending_reply_refs WHERE ref_id = 'pq@x'"_s),
                 1);
        // The parent lands later: the reply reaches it.
        MailMessage parent = mail[0].message;
        parent.messageId = u"pq@x"_s;
        auto later = engine.ingest({{u"me@company.example"_s, parent}});
        QVERIFY(later.ok());
        QCOMPARE(later->lateReplies, 1);
    }

    // Defect: a Message-ID of about 3,000 characters failed on PostgreSQL (B-tree entries are
    // limited to 2,704 bytes) and imported on SQLite. Long ids are now stored on both in one
    // bounded digest form, and a reply to such a message still matches, whether it arrives
    // before or after it and whatever made the delivery.
    void longIdsAreBoundedAndStillMatch_data() { addPathRows(); }
    void longIdsAreBoundedAndStillMatch() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {batch, 100, 30});
        const QByteArray local = QByteArray("long-").append(QByteArray(3000, 'x'));
        const QByteArray longId = local + "@Company.example";
        const MailMessage sent =
            parsed("Message-ID: <" + longId +
                   ">\nFrom: me@company.example\nTo: a@customer.example\n"
                   "Subject: Offer\nDate: Mon, 2 Nov 2026 09:00:00 +0000\n\nHi\n");
        const QString stored =
            MailParser::storageId(QString::fromLatin1(local) + u"@company.example"_s);
        QCOMPARE(sent.messageId, stored);
        QVERIFY(stored.size() <= MailParser::kMaxIdLength);
        const MailMessage early =
            parsed("Message-ID: <early@customer.example>\nFrom: "
                   "a@customer.example\nIn-Reply-To: <" +
                   longId + ">\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nOk\n");
        // Another source hands over the raw long id (and a long conversation id).
        MailMessage direct = replyTo(QString::fromLatin1(local) + u"@company.example"_s,
                                     u"direct@customer.example"_s, kT0.addSecs(7200));
        direct.conversationId = QString(3000, u'c');
        MailMessage otherSent = sentMail(u"me@company.example"_s, 1, kT0)[0].message;
        otherSent.messageId = QString(2000, u'y') + u"@company.example"_s;
        otherSent.conversationId = QString(3000, u'c');
        const QString me = u"me@company.example"_s;
        auto r = engine.ingest({{me, early}, {me, sent}, {me, direct}, {me, otherSent}});
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->skipped, 0);
        QCOMPARE(r->stored, 2);
        QCOMPARE(r->repliesMatched + r->lateReplies, 2);
        auto q = db->exec(u"SELECT internet_message_id, tracking_status, response_count FROM "
                          u"tracked_emails ORDER BY id"_s);
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toString(), stored);
        QCOMPARE(q->value(1).toString(), u"replied"_s);
        QCOMPARE(q->value(2).toInt(), 2);
        QVERIFY(q->next());
        QVERIFY(q->value(0).toString().size() <= MailParser::kMaxIdLength);
        QCOMPARE(scalar(*db, u"SELECT max(length(conversation_id)) FROM tracked_emails"_s),
                 qint64(MailParser::storageId(QString(3000, u'c')).size()));
        // Again: all duplicates.
        auto again = engine.ingest({{me, early}, {me, sent}, {me, direct}, {me, otherSent}});
        QVERIFY(again.ok());
        QCOMPARE(again->duplicates, 4);
    }

    // A lost connection is not a bad message: nothing is skipped, the call fails so that the
    // caller retries, and the retry on a new connection stores everything once.
    void lostConnectionIsNotAPoisonedMessage_data() { addPathRows(); }
    void lostConnectionIsNotAPoisonedMessage() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, batch);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        const auto mail = sentMail(u"me@company.example"_s, 50, kT0);
        {
            IngestionEngine engine(*db, clock, {batch, 20, 30});
            QVERIFY(engine.ingest(mail.mid(0, 10)).ok());
            if (dialect == Dialect::Sqlite) {
                db->handle().close();
            } else {
                auto admin = Database::open(tdb.spec());
                QVERIFY(admin.ok());
                QVERIFY((*admin)->exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       u"WHERE datname = current_database() AND "
                                       u"pid <> pg_backend_pid()"_s));
            }
            IngestionStats done;
            auto r = engine.ingest(mail, &done);
            // A Database that reconnects by itself may carry on; one that does not fails. Either
            // way no message is blamed.
            QCOMPARE(done.skipped, 0);
            if (r.ok()) {
                QCOMPARE(r->skipped, 0);
            }
        }
        db.reset();
        auto fresh = tdb.openMigrated();
        QVERIFY(fresh);
        IngestionEngine engine(*fresh, clock, {batch, 20, 30});
        auto retry = engine.ingest(mail);
        QVERIFY2(retry.ok(), retry.ok() ? "" : qPrintable(retry.error().message));
        QCOMPARE(retry->skipped, 0);
        QCOMPARE(retry->stored + retry->duplicates, 50);
        QCOMPARE(scalar(*fresh, u"SELECT count(*) FROM tracked_emails"_s), 50);
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
        // The delivery is skipped (the database refused it while answering): nothing of it
        // stays behind.
        auto refused = engine.ingest(replies);
        QVERIFY(refused.ok());
        QCOMPARE(refused->skipped, 1);
        QCOMPARE(refused->repliesMatched, 0);
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
