// SPDX-License-Identifier: MIT
// Webhook processing on both dialects: the mail source, the queue (idempotent enqueue, claim
// order, dead letters), the legacy and priority processors (same tracked emails from the same
// jobs), retries with exact backoff under a manual clock, failure isolation in a batch, lease
// reclaim, admission refusals, shadow mode, and a runner woken without polling.
#include "tracking/mail_parser.h"
#include "tracking/traffic_simulator.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_processor.h"
#include "webhooks/webhook_queue.h"

#include "../support/test_databases.h"

#include <QSqlDriver>
#include <QTest>

using namespace trackwatch;
using test::scalar;
using test::trackedState;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
const QString kAccount = u"sales@company.example"_s;

MailMessage sent(const QString& id, const QDateTime& at, const QString& account = kAccount) {
    MailMessage m;
    m.messageId = id;
    m.subject = u"Offer "_s + id;
    m.sender = account;
    m.senderName = u"Sales"_s;
    m.recipients = {u"client@customer.example"_s};
    m.sentAt = at;
    return m;
}

MailMessage replyTo(const MailMessage& parent, const QString& id, const QDateTime& at) {
    MailMessage m;
    m.messageId = id;
    m.subject = u"Re: "_s + parent.subject;
    m.sender = parent.recipients.first();
    m.recipients = {parent.sender};
    m.inReplyTo = {parent.messageId};
    m.references = {parent.messageId};
    m.sentAt = at;
    return m;
}

WebhookNotification notificationFor(const Delivery& d, int priority = 0,
                                    const QString& notificationId = {}) {
    WebhookNotification n;
    n.account = d.account;
    n.resourceId = d.message.messageId;
    n.priority = priority;
    n.notificationId = notificationId;
    return n;
}

// The error of a result, or nothing: QVERIFY2 evaluates its message even when it passes.
template <typename T> QByteArray why(const Result<T>& r) {
    return r ? QByteArray() : r.error().message.toUtf8();
}

// A job's row, read fresh.
WebhookJob jobRow(WebhookQueue& queue, qint64 id) {
    auto j = queue.job(id);
    return j && *j ? **j : WebhookJob{};
}

// Makes every insert of tracked email `messageId` fail, as a poison message would.
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

// Simulated traffic with every kind of answer, some delivered before their parent.
QList<Delivery> simulatedTraffic() {
    SimulatorConfig config;
    config.seed = 7;
    config.accounts = 5;
    config.outOfOrderRate = 0.1;
    config.bounceRate = 0.08;
    config.autoReplyRate = 0.1;
    config.meanReplyDelaySeconds = 900;
    TrafficSimulator sim(config, kT0);
    QList<Delivery> mail = sim.advanceTo(kT0.addSecs(2 * 3600), 90);
    mail += sim.advanceTo(kT0.addDays(3), 0); // every answer still due
    return mail;
}

// What the traffic should leave, from the simulator's own knowledge: message id -> status.
QHash<QString, QString> expectedStatuses(const QList<Delivery>& mail) {
    QHash<QString, QString> status;
    QHash<QString, QString> byConversation;
    for (const Delivery& d : mail) {
        if (d.message.kind == MessageKind::Normal && d.message.sender == d.account) {
            status.insert(d.message.messageId, u"active"_s);
            byConversation.insert(d.message.conversationId, d.message.messageId);
        }
    }
    for (const Delivery& d : mail) {
        const MailMessage& m = d.message;
        if (m.kind == MessageKind::Bounce) {
            status[m.bouncedMessageId] = u"bounced"_s;
        } else if (m.kind == MessageKind::Normal && m.sender != d.account) {
            const QString parent = !m.inReplyTo.isEmpty() ? m.inReplyTo.first()
                                   : !m.references.isEmpty()
                                       ? m.references.last()
                                       : byConversation.value(m.conversationId);
            status[parent] = u"replied"_s;
        }
    }
    return status;
}

// Rows for both dialects times both processors.
void addProcessorRows() {
    QTest::addColumn<Dialect>("dialect");
    QTest::addColumn<bool>("priority");
    for (const auto& [name, dialect] :
         {std::pair{"sqlite", Dialect::Sqlite}, std::pair{"postgresql", Dialect::PostgreSql}}) {
        QTest::newRow(QByteArray(name).append("/legacy").constData()) << dialect << false;
        QTest::newRow(QByteArray(name).append("/priority").constData()) << dialect << true;
    }
}

std::unique_ptr<WebhookProcessor> makeProcessor(bool priority, Database& db, const Clock& clock,
                                                WebhookProcessorConfig config = {}) {
    if (priority) {
        return std::make_unique<PriorityWebhookProcessor>(db, clock, std::move(config));
    }
    return std::make_unique<WebhookProcessor>(db, clock, std::move(config));
}

} // namespace

class TestWebhooks : public QObject {
    Q_OBJECT
private slots:
    // ---- The mail source ----

    void renderedMailParsesBack() {
        for (const Delivery& d : simulatedTraffic()) {
            const MailMessage& m = d.message;
            auto parsed = MailParser::parse(MailSource::render(m));
            QVERIFY2(parsed, qPrintable(m.messageId));
            QCOMPARE(parsed->messageId, m.messageId);
            QCOMPARE(parsed->sender, m.sender);
            QCOMPARE(parsed->senderName, m.senderName);
            QCOMPARE(parsed->recipients, m.recipients);
            QCOMPARE(parsed->subject, m.subject);
            QCOMPARE(parsed->inReplyTo, m.inReplyTo);
            QCOMPARE(parsed->references, m.references);
            QCOMPARE(parsed->conversationId, m.conversationId);
            QCOMPARE(parsed->kind, m.kind);
            QCOMPARE(parsed->bouncedMessageId, m.bouncedMessageId);
            QCOMPARE(parsed->sentAt.toSecsSinceEpoch(), m.sentAt.toSecsSinceEpoch());
        }
        // Non-ASCII names and subjects travel as encoded words.
        MailMessage m = sent(u"uml@company.example"_s, kT0);
        m.subject = u"Angebot für Müller – Q4"_s;
        m.senderName = u"Jürgen Groß"_s;
        auto parsed = MailParser::parse(MailSource::render(m));
        QVERIFY(parsed);
        QCOMPARE(parsed->subject, m.subject);
        QCOMPARE(parsed->senderName, m.senderName);
    }

    void sourceStoresAndFetches_data() { test::addDialectRows(); }
    void sourceStoresAndFetches() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        MailSource source(*db, clock);

        const MailMessage first = sent(u"a1@company.example"_s, kT0);
        auto id = source.storeDelivery({u"Sales@Company.example"_s, first}, u"AAMk-1"_s);
        QVERIFY2(id, why(id).constData());
        QCOMPARE(*id, u"AAMk-1"_s);
        // Any case of the mailbox finds it; the stored kind is known from the sender.
        auto fetched = source.fetch(kAccount, u"AAMk-1"_s);
        QVERIFY2(fetched, why(fetched).constData());
        QCOMPARE(fetched->messageId, first.messageId);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM mail_source_messages WHERE kind = 'sent'"_s),
                 1);

        auto missing = source.fetch(kAccount, u"nope"_s);
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::NotFound);

        // Bytes that are not a message; every byte value survives the round trip.
        QByteArray garbage("no headers here\r\n\r\n");
        for (int b = 0; b < 256; ++b) {
            garbage += static_cast<char>(b);
        }
        QVERIFY(source.store({kAccount, u"bad"_s, garbage, SourceKind::Inbound}).ok());
        auto raw = source.fetchRaw({{kAccount, u"bad"_s}, {kAccount, u"nope"_s}});
        QVERIFY(raw);
        QCOMPARE(raw->size(), 1);
        QCOMPARE(raw->value({kAccount, u"bad"_s}), garbage);
        auto bad = source.fetch(kAccount, u"bad"_s);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, ErrorCode::ParseError);

        // A provider's copy can change: storing again replaces it.
        const MailMessage second = sent(u"a2@company.example"_s, kT0);
        QVERIFY(source.storeDeliveries({{kAccount, second}, {kAccount, first}}).ok());
        QVERIFY(source.store({kAccount, u"AAMk-1"_s, MailSource::render(second), SourceKind::Sent})
                    .ok());
        QCOMPARE(source.fetch(kAccount, u"AAMk-1"_s)->messageId, second.messageId);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM mail_source_messages"_s), 4);
        QCOMPARE(source.remove(kAccount, u"AAMk-1"_s).value(), true);
        QCOMPARE(source.remove(kAccount, u"AAMk-1"_s).value(), false);
    }

    // ---- The queue ----

    void enqueueIsIdempotentOnTheNotificationId_data() { test::addDialectRows(); }
    void enqueueIsIdempotentOnTheNotificationId() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookQueue queue(*db, clock);
        qint64 announced = 0;
        queue.setOnEnqueued([&](qint64 n) { announced += n; });

        WebhookNotification n;
        n.account = u"Sales@Company.example"_s;
        n.resourceId = u"AAMk-1"_s;
        n.notificationId = u"notif-1"_s;
        n.clientState = u"secret"_s;
        n.subscriptionId = u"sub-9"_s;
        n.priority = 3;
        auto first = queue.enqueue(n);
        QVERIFY2(first, why(first).constData());
        QVERIFY(first->created);
        auto again = queue.enqueue(n);
        QVERIFY(again);
        QVERIFY(!again->created);
        QCOMPARE(again->id, first->id);

        const WebhookJob job = jobRow(queue, first->id);
        QCOMPARE(job.notification.account, kAccount);
        QCOMPARE(job.notification.resourceId, u"AAMk-1"_s);
        QCOMPARE(job.notification.changeType, u"created"_s);
        QCOMPARE(job.notification.clientState, u"secret"_s);
        QCOMPARE(job.notification.subscriptionId, u"sub-9"_s);
        QCOMPARE(job.notification.priority, 3);
        QCOMPARE(job.state, JobState::Queued);
        QCOMPARE(job.attempts, 0);
        QCOMPARE(job.createdAt, kT0);
        QCOMPARE(job.availableAt, kT0);

        // Many at once: repeats of a known id and within the call add nothing; notifications
        // without an id are always new.
        QList<WebhookNotification> many;
        for (int i = 0; i < 1200; ++i) {
            WebhookNotification m = n;
            m.resourceId = u"r-%1"_s.arg(i);
            m.notificationId = i < 600 ? u"notif-%1"_s.arg(i % 300) : QString();
            many.append(m);
        }
        auto created = queue.enqueueMany(many);
        QVERIFY2(created, why(created).constData());
        QCOMPARE(*created, 299 + 600); // notif-1 existed already
        QCOMPARE(announced, 1 + 899);
        auto counts = queue.counts();
        QVERIFY(counts);
        QCOMPARE(counts->queued, 900);
        QCOMPARE(counts->depth(), 900);
        QCOMPARE(queue.depth().value(), 900);
        QCOMPARE(queue.jobByNotification(u"notif-299"_s).value()->notification.resourceId,
                 u"r-299"_s);
        QVERIFY(!queue.jobByNotification(u"notif-300"_s).value());

        WebhookNotification empty;
        empty.account = kAccount;
        QCOMPARE(queue.enqueue(empty).error().code, ErrorCode::InvalidArgument);
    }

    void claimsHighestPriorityThenOldest_data() { test::addDialectRows(); }
    void claimsHighestPriorityThenOldest() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookQueue queue(*db, clock);
        // (resource, priority), enqueued a second apart.
        const QList<QPair<QString, int>> order = {{u"old-low"_s, 0}, {u"old-high"_s, 5},
                                                  {u"mid-mid"_s, 2}, {u"new-high"_s, 5},
                                                  {u"new-low"_s, 0}, {u"newest-mid"_s, 2}};
        for (const auto& [resource, priority] : order) {
            WebhookNotification n;
            n.account = kAccount;
            n.resourceId = resource;
            n.priority = priority;
            QVERIFY(queue.enqueue(n));
            clock.advanceSecs(1);
        }
        const auto resources = [](const QList<WebhookJob>& jobs) {
            QStringList out;
            for (const WebhookJob& j : jobs) {
                out << j.notification.resourceId;
            }
            return out;
        };
        auto first = queue.claim({ClaimOrder::Priority, 3, u"w1"_s, 60s});
        QVERIFY2(first, why(first).constData());
        QCOMPARE(resources(*first), (QStringList{u"old-high"_s, u"new-high"_s, u"mid-mid"_s}));
        for (const WebhookJob& j : *first) {
            QCOMPARE(j.state, JobState::Running);
            QCOMPARE(j.attempts, 1);
            QCOMPARE(j.claimedBy, u"w1"_s);
            QCOMPARE(j.leaseExpiresAt, clock.now().addSecs(60));
            QCOMPARE(j.claimToken, first->first().claimToken);
        }
        // The legacy order ignores priority.
        auto fifo = queue.claim({ClaimOrder::Fifo, 2, u"w2"_s, 60s});
        QVERIFY(fifo);
        QCOMPARE(resources(*fifo), (QStringList{u"old-low"_s, u"new-low"_s}));
        QVERIFY(fifo->first().claimToken != first->first().claimToken);
        auto rest = queue.claim({ClaimOrder::Priority, 10, u"w1"_s, 60s});
        QCOMPARE(resources(*rest), (QStringList{u"newest-mid"_s}));
        QVERIFY(queue.claim({ClaimOrder::Priority, 10, u"w1"_s, 60s})->isEmpty());
        QCOMPARE(queue.counts()->running, 6);

        // The claim reads the seed's index (forced past a sequential scan of a tiny table).
        QString plan;
        if (dialect == Dialect::Sqlite) {
            auto q = db->exec(u"EXPLAIN QUERY PLAN SELECT id FROM webhook_jobs WHERE state IN "
                              u"('queued', 'retry') AND available_at <= '2026' "
                              u"ORDER BY priority DESC, created_at, id LIMIT 10"_s);
            while (q && q->next()) {
                plan += q->value(3).toString() + u'\n';
            }
        } else {
            // A six-row table: make every plan but an ordered index scan look expensive.
            for (const QString& off :
                 {u"enable_seqscan"_s, u"enable_bitmapscan"_s, u"enable_sort"_s}) {
                QVERIFY(db->exec(u"SET %1 = off"_s.arg(off)));
            }
            auto q = db->exec(u"EXPLAIN SELECT id FROM webhook_jobs WHERE state IN "
                              u"('queued', 'retry') AND available_at <= now() "
                              u"ORDER BY priority DESC, created_at, id LIMIT 10 "
                              u"FOR UPDATE SKIP LOCKED"_s);
            while (q && q->next()) {
                plan += q->value(0).toString() + u'\n';
            }
        }
        QVERIFY2(plan.contains(u"idx_webhook_queue_priority"_s), qPrintable(plan));
        QVERIFY2(!plan.contains(u"TEMP B-TREE"_s) && !plan.contains(u"Sort"_s), qPrintable(plan));
    }

    // ---- Processing ----

    void legacyAndPriorityProcessorsAgree_data() { test::addDialectRows(); }
    void legacyAndPriorityProcessorsAgree() {
        QFETCH(Dialect, dialect);
        const QList<Delivery> mail = simulatedTraffic();
        const QHash<QString, QString> expected = expectedStatuses(mail);
        QVERIFY(mail.size() > 150);

        QStringList states[2];
        for (int which = 0; which < 2; ++which) {
            TW_TEST_DATABASE(tdb, dialect);
            auto db = tdb.openMigrated();
            QVERIFY(db);
            ManualClock clock(kT0.addDays(3));
            MailSource source(*db, clock);
            QVERIFY(source.storeDeliveries(mail).ok());
            WebhookQueue queue(*db, clock);
            QList<WebhookNotification> jobs;
            for (qsizetype i = 0; i < mail.size(); ++i) {
                // Mixed priorities reorder the priority processor's work against arrival.
                jobs.append(
                    notificationFor(mail[i], static_cast<int>((i * 7) % 4), u"n-%1"_s.arg(i)));
            }
            QCOMPARE(queue.enqueueMany(jobs).value(), mail.size());

            WebhookProcessorConfig config;
            config.batchSize = 40;
            std::unique_ptr<WebhookProcessor> processor;
            if (which == 0) {
                processor = std::make_unique<WebhookProcessor>(*db, clock, config);
            } else {
                processor = std::make_unique<PriorityWebhookProcessor>(*db, clock, config);
            }
            auto stats = processor->processAvailable();
            QVERIFY2(stats, why(stats).constData());
            QCOMPARE(stats->claimed, mail.size());
            QCOMPARE(stats->done, mail.size());
            QCOMPARE(stats->failed, 0);
            QCOMPARE(stats->ingestion.read, mail.size());
            QCOMPARE(stats->batches, which == 0 ? mail.size() : (mail.size() + 39) / 40);
            QCOMPARE(processor->totals().done, mail.size());
            auto counts = queue.counts();
            QCOMPARE(counts->done, mail.size());
            QCOMPARE(counts->depth(), 0);
            QCOMPARE(scalar(*db, u"SELECT count(*) FROM webhook_jobs WHERE processed_count <> 1 "
                                 u"OR attempts <> 1"_s),
                     0);

            states[which] = trackedState(*db);
            QCOMPARE(states[which].size(), expected.size());
            for (const QString& row : std::as_const(states[which])) {
                const QStringList cols = row.split(u'|');
                QCOMPARE(cols[2], expected.value(cols[1]));
            }
        }
        QCOMPARE(states[1], states[0]);
        QVERIFY(states[0].join(u'\n').contains(u"|replied|"_s));
        QVERIFY(states[0].join(u'\n').contains(u"|bounced|"_s));
    }

    void retriesBackOffExactlyThenDeadLetter_data() { addProcessorRows(); }
    void retriesBackOffExactlyThenDeadLetter() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, priority);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookProcessorConfig config;
        config.retry.base = 1000ms;
        config.retry.cap = 60s;
        config.retry.jitter = 0.2;
        config.retry.maxAttempts = 3;
        auto owned = makeProcessor(priority, *db, clock, config);
        WebhookProcessor& processor = *owned;
        processor.setJitterSource([] { return 0.5; }); // the middle: no jitter at all
        WebhookQueue& queue = processor.queue();
        const MailMessage m = sent(u"late@company.example"_s, kT0);
        // The notification arrives before the provider has the message.
        auto job = queue.enqueue(notificationFor({kAccount, m}));
        QVERIFY(job);

        auto round = processor.drainOnce(10);
        QVERIFY2(round, why(round).constData());
        QCOMPARE(round->claimed, 1);
        QCOMPARE(round->retried, 1);
        WebhookJob row = jobRow(queue, job->id);
        QCOMPARE(row.state, JobState::Retry);
        QCOMPARE(row.attempts, 1);
        QCOMPARE(row.availableAt, kT0.addMSecs(1000));
        QVERIFY2(row.lastError.contains(u"no message"_s), qPrintable(row.lastError));
        QCOMPARE(queue.counts()->retryWait, 1);
        QCOMPARE(queue.nextDueAt().value(), kT0.addMSecs(1000));

        clock.set(kT0.addMSecs(999));
        QCOMPARE(processor.drainOnce(10)->claimed, 0); // still backing off
        clock.set(kT0.addMSecs(1000));
        QCOMPARE(processor.drainOnce(10)->retried, 1);
        row = jobRow(queue, job->id);
        QCOMPARE(row.attempts, 2);
        QCOMPARE(row.availableAt, kT0.addMSecs(1000 + 2000));

        clock.set(kT0.addMSecs(3000));
        round = processor.drainOnce(10);
        QCOMPARE(round->deadLettered, 1);
        row = jobRow(queue, job->id);
        QCOMPARE(row.state, JobState::Dead);
        QCOMPARE(row.attempts, 3);
        QVERIFY2(row.deadReason.contains(u"no message"_s), qPrintable(row.deadReason));
        QCOMPARE(row.finishedAt, kT0.addMSecs(3000));
        auto dead = queue.deadLetters();
        QVERIFY(dead);
        QCOMPARE(dead->size(), 1);
        QCOMPARE(dead->first().id, job->id);
        QCOMPARE(dead->first().deadReason, row.deadReason);
        QCOMPARE(queue.counts()->dead, 1);
        QCOMPARE(processor.totals().failed, 3);

        // The message shows up; requeued, the dead letter runs and is done.
        QVERIFY(processor.source().storeDelivery({kAccount, m}).ok());
        QCOMPARE(queue.requeueDead({job->id, 424242}).value(), 1);
        row = jobRow(queue, job->id);
        QCOMPARE(row.state, JobState::Queued);
        QCOMPARE(row.attempts, 0);
        QVERIFY(row.deadReason.isEmpty());
        QVERIFY(!row.lastError.isEmpty()); // the history stays
        QCOMPARE(processor.drainOnce(10)->done, 1);
        row = jobRow(queue, job->id);
        QCOMPARE(row.state, JobState::Done);
        QCOMPARE(row.processedCount, 1);
        QCOMPARE(queue.deadLetters()->size(), 0);
        QCOMPARE(processor.ingestion().repository().trackedExists(1, m.messageId).value(), true);
    }

    void jitterStaysWithinItsBounds() {
        RetryPolicy policy;
        policy.base = 1000ms;
        policy.cap = 30s;
        policy.jitter = 0.25;
        for (int attempts = 1; attempts <= 8; ++attempts) {
            const double nominal = 1000.0 * (1 << (attempts - 1));
            for (double u : {0.0, 0.1, 0.5, 0.77, 0.999999}) {
                const auto d = static_cast<double>(policy.delay(attempts, u).count());
                QVERIFY(d >= std::min(nominal * 0.75, 30000.0) - 1);
                QVERIFY(d <= std::min(nominal * 1.25, 30000.0));
            }
            QCOMPARE(policy.delay(attempts, 0.5).count(),
                     static_cast<qint64>(std::min(nominal, 30000.0)));
        }
        QCOMPARE(policy.delay(1, 0.0).count(), 750);
        QCOMPARE(policy.delay(30, 0.9).count(), 30000); // capped, never overflowing
        policy.jitter = 0;
        QCOMPARE(policy.delay(3, 0.9).count(), 4000);
    }

    void jitteredRetryTimesAreBounded_data() { test::addDialectRows(); }
    void jitteredRetryTimesAreBounded() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookProcessorConfig config;
        config.retry.base = 10s;
        config.retry.jitter = 0.3;
        PriorityWebhookProcessor processor(*db, clock, config);
        const QList<double> draws = {0.0, 0.999, 0.25};
        qsizetype next = 0;
        processor.setJitterSource([&] { return draws[next++ % draws.size()]; });
        for (int i = 0; i < 3; ++i) {
            WebhookNotification n;
            n.account = kAccount;
            n.resourceId = u"missing-%1"_s.arg(i);
            QVERIFY(processor.queue().enqueue(n));
            clock.advanceSecs(1); // claim order is creation order
        }
        QCOMPARE(processor.drainOnce(10)->retried, 3);
        auto q = db->exec(u"SELECT available_at FROM webhook_jobs ORDER BY id"_s);
        QList<qint64> waits;
        while (q && q->next()) {
            waits << clock.now().msecsTo(TrackedEmailRepository::readTime(q->value(0)));
        }
        QCOMPARE(waits, (QList<qint64>{7000, 12994, 8500}));
    }

    void failingJobDoesNotFailItsBatch_data() { test::addDialectRows(); }
    void failingJobDoesNotFailItsBatch() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookProcessorConfig config;
        config.batchSize = 20;
        PriorityWebhookProcessor processor(*db, clock, config);
        QList<Delivery> mail;
        for (int i = 0; i < 12; ++i) {
            mail.append({kAccount, sent(u"m%1@company.example"_s.arg(i), kT0.addSecs(i))});
        }
        mail.append({kAccount, replyTo(mail[3].message, u"r3@customer.example"_s, kT0)});
        QVERIFY(processor.source().storeDeliveries(mail).ok());
        QVERIFY(poison(*db, u"m5@company.example"_s).ok());
        // And one whose bytes are no message: a dead letter at once, retrying cannot help.
        QVERIFY(processor.source()
                    .store({kAccount, u"broken"_s, "garbage without headers", SourceKind::Inbound})
                    .ok());
        QList<WebhookNotification> jobs;
        for (const Delivery& d : mail) {
            jobs.append(notificationFor(d));
        }
        WebhookNotification broken;
        broken.account = kAccount;
        broken.resourceId = u"broken"_s;
        jobs.append(broken);
        QCOMPARE(processor.queue().enqueueMany(jobs).value(), 14);

        auto round = processor.drainOnce(100);
        QVERIFY2(round, why(round).constData());
        QCOMPARE(round->batches, 1);
        QCOMPARE(round->isolatedBatches, 1);
        QCOMPARE(round->done, 12);
        QCOMPARE(round->retried, 1);
        QCOMPARE(round->deadLettered, 1);
        QCOMPARE(round->ingestion.stored, 11);
        QCOMPARE(round->ingestion.repliesMatched, 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 11);
        auto poisoned = processor.queue().claim({ClaimOrder::Priority, 1, u"peek"_s, 1s});
        QVERIFY(poisoned->isEmpty()); // backing off
        auto q = db->exec(u"SELECT resource_id, state, last_error FROM webhook_jobs WHERE "
                          u"state <> 'done' ORDER BY resource_id"_s);
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toString(), u"broken"_s);
        QCOMPARE(q->value(1).toString(), u"dead"_s);
        QVERIFY(q->next());
        QCOMPARE(q->value(0).toString(), u"m5@company.example"_s);
        QCOMPARE(q->value(1).toString(), u"retry"_s);
        QVERIFY2(q->value(2).toString().contains(u"poisoned message"_s),
                 qPrintable(q->value(2).toString()));
        QVERIFY(!q->next());
        QCOMPARE(trackedState(*db).filter(u"m3@company.example|replied"_s).size(), 1);
    }

    void expiredLeaseIsReclaimed_data() { addProcessorRows(); }
    void expiredLeaseIsReclaimed() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, priority);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        WebhookProcessorConfig config;
        config.lease = 60s;
        config.retry.maxAttempts = 2;
        auto owned = makeProcessor(priority, *db, clock, config);
        WebhookProcessor& processor = *owned;
        QList<qint64> ids;
        for (int i = 0; i < 2; ++i) {
            const Delivery d{kAccount, sent(u"l%1@company.example"_s.arg(i), kT0)};
            QVERIFY(processor.source().storeDelivery(d).ok());
            ids << processor.queue().enqueue(notificationFor(d)).value().id;
        }
        // A processor claims both and dies.
        auto crashed = processor.queue().claim({ClaimOrder::Priority, 2, u"crashed"_s, 60s});
        QCOMPARE(crashed->size(), 2);
        const qint64 staleToken = crashed->first().claimToken;
        QCOMPARE(processor.drainOnce(10)->claimed, 0); // held under a live lease

        clock.advanceSecs(59);
        QCOMPARE(processor.drainOnce(10)->claimed, 0);
        // Expired at 60 s; found at the next look for expired leases (every 5 s of clock time).
        clock.advanceSecs(1);
        QCOMPARE(processor.drainOnce(10)->claimed, 0);
        clock.advanceSecs(4);
        auto round = processor.drainOnce(10);
        QVERIFY2(round, why(round).constData());
        QCOMPARE(round->reclaimed, 2);
        QCOMPARE(round->done, 2);
        for (qint64 id : ids) {
            const WebhookJob row = jobRow(processor.queue(), id);
            QCOMPARE(row.state, JobState::Done);
            QCOMPARE(row.attempts, 2); // the dead processor's attempt counts
            QCOMPARE(row.processedCount, 1);
            QCOMPARE(row.claimedBy, processor.workerId());
        }
        // The dead processor's claim is void: it can settle nothing any more.
        QCOMPARE(processor.queue().complete(ids, staleToken).value(), 0);
        QCOMPARE(processor.queue().fail({{ids[0], u"late"_s, true, {}}}, staleToken).value(), 0);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 2);

        // A job that keeps killing its processors becomes a dead letter on its last attempt.
        const Delivery d{kAccount, sent(u"killer@company.example"_s, kT0)};
        QVERIFY(processor.source().storeDelivery(d).ok());
        const qint64 killer = processor.queue().enqueue(notificationFor(d)).value().id;
        for (int attempt = 0; attempt < 2; ++attempt) {
            QCOMPARE(processor.queue().claim({ClaimOrder::Fifo, 1, u"doomed"_s, 60s})->size(), 1);
            clock.advanceSecs(61);
            QCOMPARE(processor.queue().reclaimExpired(2).value().deadLettered, attempt);
        }
        const WebhookJob row = jobRow(processor.queue(), killer);
        QCOMPARE(row.state, JobState::Dead);
        QVERIFY2(row.deadReason.contains(u"lease expired"_s), qPrintable(row.deadReason));
    }

    void admissionRefusalReschedulesWithoutAnAttempt_data() { addProcessorRows(); }
    void admissionRefusalReschedulesWithoutAnAttempt() {
        QFETCH(Dialect, dialect);
        QFETCH(bool, priority);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        auto owned = makeProcessor(priority, *db, clock);
        WebhookProcessor& processor = *owned;
        const QString limited = u"busy@company.example"_s;
        bool refuse = true;
        QStringList asked;
        processor.setAdmission(
            [&](const QString& account) -> Result<std::optional<std::chrono::milliseconds>> {
                asked << account;
                if (account == limited && refuse) {
                    return std::optional<std::chrono::milliseconds>(30s);
                }
                return std::optional<std::chrono::milliseconds>();
            });
        QList<qint64> ids;
        for (const QString& account : {kAccount, limited}) {
            const Delivery d{account, sent(u"x@"_s + account, kT0, account)};
            QVERIFY(processor.source().storeDelivery(d).ok());
            ids << processor.queue().enqueue(notificationFor(d)).value().id;
        }
        auto round = processor.drainOnce(10);
        QVERIFY2(round, why(round).constData());
        QCOMPARE(round->done, 1);
        QCOMPARE(round->deferred, 1);
        QCOMPARE(round->failed, 0);
        QCOMPARE(asked, (QStringList{kAccount, limited}));
        WebhookJob row = jobRow(processor.queue(), ids[1]);
        QCOMPARE(row.state, JobState::Queued);
        QCOMPARE(row.attempts, 0);
        QCOMPARE(row.availableAt, kT0.addSecs(30));

        clock.advanceSecs(29);
        QCOMPARE(processor.drainOnce(10)->claimed, 0);
        clock.advanceSecs(1);
        round = processor.drainOnce(10);
        QCOMPARE(round->deferred, 1); // still refused: still no attempt counted
        QCOMPARE(jobRow(processor.queue(), ids[1]).attempts, 0);
        refuse = false;
        clock.advanceSecs(30);
        QCOMPARE(processor.drainOnce(10)->done, 1);
        row = jobRow(processor.queue(), ids[1]);
        QCOMPARE(row.state, JobState::Done);
        QCOMPARE(row.attempts, 1);

        // An admission hook that fails refuses for the base backoff.
        const Delivery d{kAccount, sent(u"y@company.example"_s, kT0)};
        QVERIFY(processor.source().storeDelivery(d).ok());
        const qint64 id = processor.queue().enqueue(notificationFor(d)).value().id;
        processor.setAdmission(
            [](const QString&) -> Result<std::optional<std::chrono::milliseconds>> {
                return Error{ErrorCode::Unavailable, u"limiter down"_s};
            });
        QCOMPARE(processor.drainOnce(10)->deferred, 1);
        row = jobRow(processor.queue(), id);
        QCOMPARE(row.attempts, 0);
        QCOMPARE(row.availableAt, clock.now().addMSecs(processor.config().retry.base.count()));
    }

    void shadowModeComparesAndCommitsOnce_data() { test::addDialectRows(); }
    void shadowModeComparesAndCommitsOnce() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        auto shadowDb = tdb.openMigrated();
        auto identicalDb = tdb.openMigrated();
        QVERIFY(db && shadowDb && identicalDb);
        ManualClock clock(kT0);
        // History before the shadow starts: the shadow's copy has it.
        PriorityWebhookProcessor primary(*db, clock);
        const MailMessage old = sent(u"old@company.example"_s, kT0);
        QVERIFY(primary.source().storeDelivery({kAccount, old}).ok());
        QVERIFY(primary.queue().enqueue(notificationFor({kAccount, old})));
        QCOMPARE(primary.processAvailable()->done, 1);

        // One shadow like the primary; one legacy shadow that gives up at once and refuses a
        // mailbox.
        PriorityWebhookProcessor identical(*identicalDb, clock);
        QVERIFY(identical.enterShadowSandbox().ok());
        WebhookProcessorConfig shadowConfig;
        shadowConfig.retry.maxAttempts = 1;
        WebhookProcessor shadow(*shadowDb, clock, shadowConfig);
        const QString refused = u"refused@company.example"_s;
        shadow.setAdmission(
            [&](const QString& account) -> Result<std::optional<std::chrono::milliseconds>> {
                return account == refused ? std::optional<std::chrono::milliseconds>(60s)
                                          : std::optional<std::chrono::milliseconds>();
            });
        QCOMPARE(primary.setShadow(&shadow).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(primary.setShadow(&primary).error().code, ErrorCode::InvalidArgument);

        QList<Delivery> mail;
        for (int i = 0; i < 6; ++i) {
            mail.append({kAccount, sent(u"s%1@company.example"_s.arg(i), kT0.addSecs(i))});
        }
        mail.append({kAccount, replyTo(old, u"r-old@customer.example"_s, kT0.addSecs(60))});
        mail.append({kAccount, replyTo(mail[0].message, u"r0@customer.example"_s, kT0)});
        mail.append({refused, sent(u"q@company.example"_s, kT0, refused)});
        QVERIFY(primary.source().storeDeliveries(mail).ok());
        QList<WebhookNotification> jobs;
        for (const Delivery& d : mail) {
            jobs.append(notificationFor(d));
        }
        WebhookNotification missing;
        missing.account = kAccount;
        missing.resourceId = u"not-there"_s;
        jobs.append(missing);
        QVERIFY(primary.queue().enqueueMany(jobs));

        // First the identical shadow: everything agrees.
        QVERIFY(primary.setShadow(&identical).ok());
        auto round = primary.drainOnce(5);
        QVERIFY2(round, why(round).constData());
        QCOMPARE(primary.shadowReport().compared, 5);
        QCOMPARE(primary.shadowReport().same, 5);
        QCOMPARE(primary.shadowReport().different, 0);

        // Then the differing one on the rest, its copy taken now (it has the first round).
        QVERIFY(shadow.enterShadowSandbox().ok());
        QCOMPARE(shadow.drainOnce(10).error().code, ErrorCode::Conflict);
        QVERIFY(primary.setShadow(&shadow).ok());
        round = primary.processAvailable();
        QVERIFY2(round, why(round).constData());
        const ShadowReport& report = primary.shadowReport();
        QCOMPARE(report.compared, 5 + 5);
        QCOMPARE(report.different, 2);
        QCOMPARE(report.same, 8);
        QCOMPARE(report.examples.size(), 2);
        QStringList differences;
        for (const ShadowDifference& d : report.examples) {
            differences << d.resource + u": "_s + d.primary + u" vs "_s + d.shadow;
        }
        const QString text = differences.join(u'\n');
        QVERIFY2(text.contains(refused + u"/q@company.example: done q@company.example=active"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"/q@company.example"_s) && text.contains(u" vs deferred"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"/not-there: retry vs dead"_s), qPrintable(text));

        // Only the primary committed: one row per sent message, each job done once.
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 1 + 6 + 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                             u"'replied'"_s),
                 2);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM webhook_jobs WHERE state = 'done' AND "
                             u"processed_count = 1"_s),
                 1 + 9);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM webhook_jobs WHERE state = 'retry'"_s), 1);
        // The shadows wrote only to their own copies, which go with their connections.
        QCOMPARE(scalar(*shadowDb, u"SELECT count(*) FROM tracked_emails"_s), 1 + 5 + 1);
        QCOMPARE(scalar(*identicalDb, u"SELECT count(*) FROM tracked_emails"_s), 1 + 5);
        QVERIFY(primary.setShadow(nullptr).ok());
        shadowDb.reset();
        identicalDb.reset();
        auto fresh = tdb.openMigrated();
        QCOMPARE(scalar(*fresh, u"SELECT count(*) FROM tracked_emails"_s), 1 + 6 + 1);
        QCOMPARE(trackedState(*fresh), trackedState(*db));
    }

    void throughputMeter() {
        ThroughputMeter meter(60s);
        meter.record(kT0, 100);
        meter.record(kT0.addSecs(30), 200);
        QCOMPARE(meter.perMinute(kT0.addSecs(30)), 300.0);
        QCOMPARE(meter.perMinute(kT0.addSecs(61)), 200.0);
        QCOMPARE(meter.perMinute(kT0.addSecs(200)), 0.0);
        QCOMPARE(ThroughputMeter::perMinute(500, std::chrono::seconds(30)), 1000.0);
        QCOMPARE(ThroughputMeter::perMinute(500, std::chrono::seconds(0)), 0.0);
    }

    // ---- The runner ----

    void runnerWakesOnNewWorkWithoutPolling_data() { test::addDialectRows(); }
    void runnerWakesOnNewWorkWithoutPolling() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        auto enqueuerDb = tdb.openMigrated();
        QVERIFY(db && enqueuerDb);
        SystemClock clock;
        PriorityWebhookProcessor processor(*db, clock);
        RunnerOptions options;
        options.fallbackPoll = 60s; // never within this test
        WebhookRunner runner(processor, options);
        int idles = 0;
        connect(&runner, &WebhookRunner::idle, this, [&] { ++idles; });
        runner.start();
        QCOMPARE(runner.listening(), dialect == Dialect::PostgreSql);
        QTRY_VERIFY_WITH_TIMEOUT(idles >= 1, 5000);

        // Another connection enqueues: PostgreSQL says so with NOTIFY; on SQLite the enqueuer
        // in the same process calls wake().
        WebhookQueue queue(*enqueuerDb, clock);
        MailSource source(*enqueuerDb, clock);
        if (dialect == Dialect::Sqlite) {
            queue.setOnEnqueued([&](qint64) { runner.wake(); });
        }
        const Delivery d{kAccount, sent(u"w@company.example"_s, kT0)};
        QVERIFY(source.storeDelivery(d).ok());
        QVERIFY(queue.enqueue(notificationFor(d)));
        QTRY_COMPARE_WITH_TIMEOUT(runner.totals().done, 1, 10000);
        const RunnerWakeups wakeups = runner.wakeups();
        QCOMPARE(wakeups.fallbackPolls, 0);
        if (dialect == Dialect::PostgreSql) {
            QVERIFY(wakeups.notifications >= 1);
        } else {
            QCOMPARE(wakeups.wakeCalls, 1);
        }
        runner.stop();
        QVERIFY(!runner.running());
    }
};

QTEST_GUILESS_MAIN(TestWebhooks)
#include "tst_webhooks.moc"
