// SPDX-License-Identifier: MIT
// Retention on both databases with an injected clock: the purge removes what is due, in
// bounded batches, and never what is still tracked, a pending reply younger than the tracking
// window plus a day, a webhook job still waiting, or the raw mail a waiting job needs.
#include "storage/retention.h"

#include "../support/test_databases.h"

#include <QJsonDocument>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kNow(QDate(2027, 3, 1), QTime(12, 0), Qt::UTC);

QDateTime daysAgo(double days) {
    return kNow.addMSecs(-static_cast<qint64>(days * 86'400'000));
}

bool insertTracked(Database& db, const QString& id, const QString& status, double sentDaysAgo,
                   double changedDaysAgo) {
    const QVariant changed = status == u"active" ? QVariant() : QVariant(daysAgo(changedDaysAgo));
    return db
        .exec(u"INSERT INTO tracked_emails (email_account_id, internet_message_id, sender, "
              u"sent_at, tracking_status, status_changed_at, created_at, updated_at) VALUES (1, "
              u"?, 'alice@company.example', ?, ?, ?, ?, ?)"_s,
              {id, daysAgo(sentDaysAgo), status, changed, daysAgo(sentDaysAgo),
               status == u"active" ? daysAgo(sentDaysAgo) : daysAgo(changedDaysAgo)})
        .ok();
}

bool insertPending(Database& db, const QString& id, double receivedDaysAgo, double createdDaysAgo) {
    auto q = db.exec(u"INSERT INTO pending_replies (email_account_id, message_id, kind, sender, "
                     u"received_at, created_at) VALUES (1, ?, 'reply', 'bob@client.example', ?, "
                     u"?) RETURNING id"_s,
                     {id, daysAgo(receivedDaysAgo), daysAgo(createdDaysAgo)});
    if (!q || !q->next()) {
        return false;
    }
    return db
        .exec(u"INSERT INTO pending_reply_refs (pending_id, email_account_id, ref_id, method, "
              u"rank) VALUES (?, 1, ?, 'in_reply_to', 0)"_s,
              {q->value(0).toLongLong(), u"parent-"_s + id})
        .ok();
}

bool insertJob(Database& db, const QString& resource, const QString& state,
               double finishedDaysAgo) {
    const QVariant finished =
        state == u"done" || state == u"dead" ? QVariant(daysAgo(finishedDaysAgo)) : QVariant();
    return db
        .exec(
            u"INSERT INTO webhook_jobs (account, resource_id, state, created_at, available_at, "
            u"finished_at) VALUES ('alice@company.example', ?, ?, ?, ?, ?)"_s,
            {resource, state, daysAgo(finishedDaysAgo + 1), daysAgo(finishedDaysAgo + 1), finished})
        .ok();
}

bool insertSource(Database& db, const QString& resource, double storedDaysAgo) {
    return db
        .exec(u"INSERT INTO mail_source_messages (account, resource_id, kind, raw, stored_at) "
              u"VALUES ('alice@company.example', ?, 'inbound', 'raw bytes', ?)"_s,
              {resource, daysAgo(storedDaysAgo)})
        .ok();
}

bool insertInbound(Database& db, const QString& id, double seenDaysAgo) {
    return db
        .exec(u"INSERT INTO inbound_messages (email_account_id, message_id, seen_at) VALUES "
              u"(1, ?, ?)"_s,
              {id, daysAgo(seenDaysAgo)})
        .ok();
}

QStringList column(Database& db, const QString& sql) {
    QStringList out;
    auto q = db.exec(sql);
    while (q && q->next()) {
        out << q->value(0).toString();
    }
    out.sort();
    return out;
}

qint64 rowsOf(const QList<RetentionCount>& counts, const QString& rule) {
    for (const RetentionCount& c : counts) {
        if (c.rule == rule) {
            return c.rows;
        }
    }
    return -1;
}

} // namespace

class TestRetention : public QObject {
    Q_OBJECT
private slots:
    void policyFromSettings() {
        auto defaults = RetentionPolicy::fromSettings({}, 30);
        QVERIFY(defaults);
        QCOMPARE(defaults->pendingRepliesDays, 31);
        const auto settings = QJsonDocument::fromJson(
                                  R"({"retention": {"pendingRepliesDays": 2, "trackedEmailsDays":
                                  0, "batchRows": 50}})")
                                  .object();
        auto policy = RetentionPolicy::fromSettings(settings, 60);
        QVERIFY(policy);
        QCOMPARE(policy->pendingRepliesDays, 61); // never below the window plus a day
        QCOMPARE(policy->trackedEmailsDays, 0);
        QCOMPARE(policy->batchRows, 50);
        for (const char* bad :
             {R"({"retention": {"trackedEmailDays": 3}})", R"({"retention": {"batchRows": 0}})",
              R"({"retention": {"inboundMessagesDays": -1}})",
              R"({"retention": {"inboundMessagesDays": 1.5}})",
              R"({"retention": {"inboundMessagesDays": "7"}})", R"({"retention": []})"}) {
            auto refused = RetentionPolicy::fromSettings(QJsonDocument::fromJson(bad).object(), 30);
            QVERIFY2(!refused, bad);
            QCOMPARE(refused.error().code, ErrorCode::InvalidArgument);
        }
        QCOMPARE(RetentionPolicy::orDefaults(
                     QJsonDocument::fromJson(R"({"retention": {"batchRows": 0}})").object(), 30)
                     .batchRows,
                 1000);
    }

    void purgesWhatIsDueAndNothingElse_data() { test::addDialectRows(); }
    void purgesWhatIsDueAndNothingElse() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY(db->exec(u"INSERT INTO accounts (email_address, created_at) VALUES "
                         u"('alice@company.example', ?)"_s,
                         {daysAgo(900)}));
        // Tracked emails: what is still tracked stays however old it is.
        QVERIFY(insertTracked(*db, u"active-old"_s, u"active"_s, 800, 0));
        QVERIFY(insertTracked(*db, u"active-new"_s, u"active"_s, 1, 0));
        QVERIFY(insertTracked(*db, u"replied-old"_s, u"replied"_s, 420, 400));
        QVERIFY(insertTracked(*db, u"expired-old"_s, u"expired"_s, 400, 366));
        QVERIFY(insertTracked(*db, u"bounced-old"_s, u"bounced"_s, 500, 370));
        QVERIFY(insertTracked(*db, u"replied-recent"_s, u"replied"_s, 400, 364));
        QVERIFY(insertTracked(*db, u"expired-recent"_s, u"expired"_s, 40, 10));
        // Pending replies (tracking window 30 days): kept until 31 days old, by receipt and
        // by storage both.
        QVERIFY(insertPending(*db, u"pending-30.5"_s, 30.5, 30.5));
        QVERIFY(insertPending(*db, u"pending-1"_s, 1, 1));
        QVERIFY(insertPending(*db, u"pending-old-mail-new-row"_s, 200, 2));
        QVERIFY(insertPending(*db, u"pending-32"_s, 32, 32));
        QVERIFY(insertPending(*db, u"pending-90"_s, 90, 90));
        // Webhook jobs: done after 7 days, dead after 30, waiting or running never.
        QVERIFY(insertJob(*db, u"r-done-8"_s, u"done"_s, 8));
        QVERIFY(insertJob(*db, u"r-done-6"_s, u"done"_s, 6));
        QVERIFY(insertJob(*db, u"r-dead-31"_s, u"dead"_s, 31));
        QVERIFY(insertJob(*db, u"r-dead-29"_s, u"dead"_s, 29));
        QVERIFY(insertJob(*db, u"r-queued-100"_s, u"queued"_s, 100));
        QVERIFY(insertJob(*db, u"r-running-100"_s, u"running"_s, 100));
        QVERIFY(insertJob(*db, u"r-retry-100"_s, u"retry"_s, 100));
        // Raw mail at the source: after 14 days, unless a waiting job still needs it.
        QVERIFY(insertSource(*db, u"r-done-8"_s, 15));
        QVERIFY(insertSource(*db, u"r-queued-100"_s, 100));
        QVERIFY(insertSource(*db, u"r-retry-100"_s, 100));
        QVERIFY(insertSource(*db, u"r-fresh"_s, 13));
        // Inbound marks: after 90 days; five old ones to see the batches.
        for (int i = 0; i < 5; ++i) {
            QVERIFY(insertInbound(*db, u"seen-old-%1"_s.arg(i), 91 + i));
        }
        QVERIFY(insertInbound(*db, u"seen-new"_s, 89));

        ManualClock clock(kNow);
        RetentionPolicy policy = RetentionPolicy::fromSettings({}, 30).value();
        policy.batchRows = 2;
        policy.batchesPerRun = 1;
        Retention retention(*db, clock, policy);

        auto due = retention.due();
        QVERIFY2(due, qPrintable(due ? QString() : due.error().message));
        QCOMPARE(rowsOf(*due, u"trackedEmails"_s), 3);
        QCOMPARE(rowsOf(*due, u"pendingReplies"_s), 2);
        QCOMPARE(rowsOf(*due, u"webhookJobsDone"_s), 1);
        QCOMPARE(rowsOf(*due, u"webhookJobsDead"_s), 1);
        QCOMPARE(rowsOf(*due, u"mailSourceRaw"_s), 1);
        QCOMPARE(rowsOf(*due, u"inboundMessages"_s), 5);

        // One round removes at most batchRows x batchesPerRun rows per rule.
        auto first = retention.purgeSome();
        QVERIFY2(first, qPrintable(first ? QString() : first.error().message));
        QCOMPARE(rowsOf(*first, u"inboundMessages"_s), 2);
        QCOMPARE(rowsOf(*first, u"trackedEmails"_s), 2);
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM inbound_messages"_s), 4);
        auto second = retention.purgeSome();
        QVERIFY(second);
        QCOMPARE(rowsOf(*second, u"inboundMessages"_s), 2);
        QCOMPARE(rowsOf(*second, u"trackedEmails"_s), 1);
        auto rest = retention.purgeAll();
        QVERIFY(rest);
        QCOMPARE(rowsOf(*rest, u"inboundMessages"_s), 1);

        QCOMPARE(column(*db, u"SELECT internet_message_id FROM tracked_emails"_s),
                 (QStringList{u"active-new"_s, u"active-old"_s, u"expired-recent"_s,
                              u"replied-recent"_s}));
        QCOMPARE(column(*db, u"SELECT message_id FROM pending_replies"_s),
                 (QStringList{u"pending-1"_s, u"pending-30.5"_s, u"pending-old-mail-new-row"_s}));
        // Their match references went with them.
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM pending_reply_refs"_s), 3);
        QCOMPARE(column(*db, u"SELECT resource_id FROM webhook_jobs"_s),
                 (QStringList{u"r-dead-29"_s, u"r-done-6"_s, u"r-queued-100"_s, u"r-retry-100"_s,
                              u"r-running-100"_s}));
        QCOMPARE(column(*db, u"SELECT resource_id FROM mail_source_messages"_s),
                 (QStringList{u"r-fresh"_s, u"r-queued-100"_s, u"r-retry-100"_s}));
        QCOMPARE(column(*db, u"SELECT message_id FROM inbound_messages"_s),
                 QStringList{u"seen-new"_s});

        // Nothing is due any more; later, what was kept comes due, what is tracked never.
        auto after = retention.due();
        QVERIFY(after);
        for (const RetentionCount& c : *after) {
            QCOMPARE(c.rows, 0);
        }
        clock.set(kNow.addDays(5000));
        QVERIFY(retention.purgeAll());
        QCOMPARE(column(*db, u"SELECT internet_message_id FROM tracked_emails"_s),
                 (QStringList{u"active-new"_s, u"active-old"_s}));
        QCOMPARE(column(*db, u"SELECT resource_id FROM webhook_jobs"_s),
                 (QStringList{u"r-queued-100"_s, u"r-retry-100"_s, u"r-running-100"_s}));
        QCOMPARE(column(*db, u"SELECT resource_id FROM mail_source_messages"_s),
                 (QStringList{u"r-queued-100"_s, u"r-retry-100"_s}));
    }

    void aRuleSetToZeroKeepsForever() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY(insertInbound(*db, u"ancient"_s, 3000));
        ManualClock clock(kNow);
        RetentionPolicy policy;
        policy.inboundMessagesDays = 0;
        Retention retention(*db, clock, policy);
        auto removed = retention.purgeAll();
        QVERIFY(removed);
        QCOMPARE(rowsOf(*removed, u"inboundMessages"_s), 0);
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM inbound_messages"_s), 1);
    }
};

QTEST_GUILESS_MAIN(TestRetention)
#include "tst_retention.moc"
