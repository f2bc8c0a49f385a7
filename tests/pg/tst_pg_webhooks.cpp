// SPDX-License-Identifier: MIT
// Webhook processors sharing one PostgreSQL queue: two runner threads and two processes (this
// executable started again as a worker) drain a few thousand jobs concurrently, each job done
// exactly once and none lost; NOTIFY wakes an idle runner without its fallback poll; one
// enqueue call sends one notification, however many rows it adds.
#include "common/logging.h"
#include "tracking/ingestion_engine.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_processor.h"
#include "webhooks/webhook_queue.h"

#include "../support/test_databases.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QTest>
#include <QThread>

#include <cstdio>
#include <iostream>
#include <string>

using namespace trackwatch;
using test::scalar;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
constexpr int kAccounts = 10;

// `sent` tracked emails over kAccounts mailboxes, and a reply to each of the first `replies`.
QList<Delivery> makeMail(int sent, int replies) {
    QList<Delivery> mail;
    for (int i = 0; i < sent; ++i) {
        const QString account = u"seller-%1@company.example"_s.arg(i % kAccounts);
        MailMessage m;
        m.messageId = u"m-%1@company.example"_s.arg(i);
        m.subject = u"Offer %1"_s.arg(i);
        m.sender = account;
        m.recipients = {u"buyer-%1@customer.example"_s.arg(i % 37)};
        m.sentAt = kT0.addSecs(i);
        mail.append({account, m});
    }
    for (int i = 0; i < replies; ++i) {
        const Delivery& parent = mail[i];
        MailMessage r;
        r.messageId = u"r-%1@customer.example"_s.arg(i);
        r.subject = u"Re: "_s + parent.message.subject;
        r.sender = parent.message.recipients.first();
        r.recipients = {parent.account};
        r.inReplyTo = {parent.message.messageId};
        r.sentAt = parent.message.sentAt.addSecs(600);
        mail.append({parent.account, r});
    }
    return mail;
}

QList<WebhookNotification> notificationsFor(const QList<Delivery>& mail) {
    QList<WebhookNotification> list;
    for (qsizetype i = 0; i < mail.size(); ++i) {
        WebhookNotification n;
        n.account = mail[i].account;
        n.resourceId = mail[i].message.messageId;
        n.notificationId = u"n-%1"_s.arg(i);
        n.priority = static_cast<int>(i % 3);
        list.append(n);
    }
    return list;
}

QString dsnOf(const ConnectionSpec& s) {
    return u"postgresql://%1:%2@%3:%4/%5"_s.arg(s.user, s.password, s.host)
        .arg(s.port)
        .arg(s.database);
}

// After a concurrent drain: every job done exactly once, every message tracked once, every
// reply matched.
void verifyExactlyOnce(Database& db, qint64 jobs, qint64 sent, qint64 replies) {
    QCOMPARE(scalar(db, u"SELECT count(*) FROM webhook_jobs"_s), jobs);
    QCOMPARE(scalar(db, u"SELECT count(*) FROM webhook_jobs WHERE state = 'done'"_s), jobs);
    QCOMPARE(scalar(db, u"SELECT count(*) FROM webhook_jobs WHERE processed_count <> 1"_s), 0);
    QCOMPARE(scalar(db, u"SELECT count(*) FROM webhook_jobs WHERE attempts <> 1"_s), 0);
    QCOMPARE(scalar(db, u"SELECT count(*) FROM tracked_emails"_s), sent);
    // A reply and its parent committed at the same moment by two processors miss each other;
    // the engine's periodic resolveStrandedPending() settles them, as here.
    SystemClock clock;
    IngestionEngine engine(db, clock);
    QVERIFY(engine.resolveStrandedPending());
    QCOMPARE(scalar(db, u"SELECT count(*) FROM tracked_emails WHERE tracking_status = "
                        u"'replied'"_s),
             replies);
    QCOMPARE(scalar(db, u"SELECT count(*) FROM inbound_messages"_s), replies);
}

// Worker mode: drains the queue at DSN with a processor of the given kind, after "go" on
// stdin, until no job is left; prints what it did.
int drainWorker(const QString& dsn, const QString& kind) {
    logging::initialize({}, u"warn"_s);
    auto spec = ConnectionSpec::parse(dsn);
    if (!spec) {
        std::fprintf(stderr, "%s\n", qPrintable(spec.error().message));
        return 2;
    }
    auto db = Database::open(*spec);
    if (!db) {
        std::fprintf(stderr, "%s\n", qPrintable(db.error().message));
        return 2;
    }
    SystemClock clock;
    WebhookProcessorConfig config;
    config.batchSize = 50;
    std::unique_ptr<WebhookProcessor> processor;
    if (kind == u"legacy") {
        processor = std::make_unique<WebhookProcessor>(**db, clock, config);
    } else {
        processor = std::make_unique<PriorityWebhookProcessor>(**db, clock, config);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);
    while (true) {
        auto r = processor->processAvailable();
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().message));
            return 1;
        }
        auto depth = processor->queue().depth();
        if (!depth) {
            std::fprintf(stderr, "%s\n", qPrintable(depth.error().message));
            return 1;
        }
        if (*depth == 0) {
            break;
        }
        QThread::msleep(10); // the other worker still holds the last jobs
    }
    const ProcessStats& t = processor->totals();
    std::printf("claimed %lld done %lld lost %lld\n", static_cast<long long>(t.claimed),
                static_cast<long long>(t.done), static_cast<long long>(t.lostLeases));
    std::fflush(stdout);
    return 0;
}

} // namespace

class TestPgWebhooks : public QObject {
    Q_OBJECT
private slots:
    void twoThreadsDrainOneQueueExactlyOnce() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        const QList<Delivery> mail = makeMail(2500, 500);
        MailSource source(*db, clock);
        QVERIFY(source.storeDeliveries(mail).ok());

        auto shared = std::make_shared<SystemClock>();
        RunnerOptions options;
        options.processor.batchSize = 50;
        options.maxJobsPerRound = 200;
        options.fallbackPoll = 60s; // they must wake on NOTIFY
        WebhookRunnerThread first(tdb.spec(), shared, options);
        WebhookRunnerThread second(tdb.spec(), shared, options);
        QSignalSpy failures1(&first, &WebhookRunnerThread::failed);
        QSignalSpy failures2(&second, &WebhookRunnerThread::failed);
        first.start();
        second.start();
        QTRY_VERIFY_WITH_TIMEOUT(first.isReady() && second.isReady(), 20000);

        // Both idle; one enqueue call, one NOTIFY, and both race for the jobs.
        WebhookQueue queue(*db, clock);
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(queue.enqueueMany(notificationsFor(mail)).value(), mail.size());
        QTRY_COMPARE_WITH_TIMEOUT(queue.counts().value().done, mail.size(), 120000);
        const qint64 ms = timer.elapsed();
        const ProcessStats a = first.totals();
        const ProcessStats b = second.totals();
        first.stop();
        second.stop();
        QCOMPARE(failures1.size() + failures2.size(), 0);
        qInfo("%lld jobs in %lld ms by two threads: %lld + %lld claimed", mail.size(), ms,
              a.claimed, b.claimed);
        QVERIFY(a.claimed > 0 && b.claimed > 0);
        QCOMPARE(a.claimed + b.claimed, mail.size());
        QCOMPARE(a.done + b.done, mail.size());
        QCOMPARE(a.lostLeases + b.lostLeases, 0);
        QCOMPARE(first.wakeups().fallbackPolls + second.wakeups().fallbackPolls, 0);
        QVERIFY(first.wakeups().notifications >= 1 && second.wakeups().notifications >= 1);
        verifyExactlyOnce(*db, mail.size(), 2500, 500);
    }

    void twoProcessesDrainOneQueueExactlyOnce() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        const QList<Delivery> mail = makeMail(2000, 400);
        QVERIFY(MailSource(*db, clock).storeDeliveries(mail).ok());
        QCOMPARE(WebhookQueue(*db, clock).enqueueMany(notificationsFor(mail)).value(), mail.size());

        // A priority and a legacy processor side by side, as during a gradual rollout.
        const QStringList kinds = {u"priority"_s, u"legacy"_s};
        QProcess workers[2];
        QByteArray output[2];
        for (int i = 0; i < 2; ++i) {
            workers[i].start(QCoreApplication::applicationFilePath(),
                             {u"--drain-worker"_s, dsnOf(tdb.spec()), kinds[i]});
            QVERIFY(workers[i].waitForStarted(10000));
        }
        for (int i = 0; i < 2; ++i) {
            while (!output[i].contains("ready\n")) {
                QVERIFY2(workers[i].waitForReadyRead(20000), workers[i].readAllStandardError());
                output[i] += workers[i].readAllStandardOutput();
            }
        }
        // Written out now: a QProcess without an event loop writes only inside its waitFor*().
        for (QProcess& w : workers) {
            w.write("go\n");
            QVERIFY(w.waitForBytesWritten(5000));
            w.closeWriteChannel();
        }
        qint64 claimed = 0;
        qint64 done = 0;
        for (int i = 0; i < 2; ++i) {
            QVERIFY(workers[i].waitForFinished(120000));
            output[i] += workers[i].readAllStandardOutput();
            QVERIFY2(workers[i].exitCode() == 0, workers[i].readAllStandardError());
            const QList<QByteArray> words = output[i].split('\n').value(1).split(' ');
            QCOMPARE(words.size(), 6);
            qInfo("%s worker: %s", qPrintable(kinds[i]), output[i].split('\n').value(1).data());
            QVERIFY(words[1].toLongLong() > 0);
            QCOMPARE(words[5].toLongLong(), 0); // no lost lease
            claimed += words[1].toLongLong();
            done += words[3].toLongLong();
        }
        QCOMPARE(claimed, mail.size());
        QCOMPARE(done, mail.size());
        verifyExactlyOnce(*db, mail.size(), 2000, 400);
    }

    void notifyWakesAnIdleRunner() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        RunnerOptions options;
        options.fallbackPoll = 60s; // longer than the test: only NOTIFY can wake it
        WebhookRunnerThread runner(tdb.spec(), std::make_shared<SystemClock>(), options);
        QSignalSpy idle(&runner, &WebhookRunnerThread::idle);
        runner.start();
        QVERIFY(idle.wait(20000)); // started, drained nothing, asleep

        SystemClock clock;
        const Delivery d = makeMail(1, 0).first();
        QVERIFY(MailSource(*db, clock).storeDelivery(d).ok());
        WebhookNotification n;
        n.account = d.account;
        n.resourceId = d.message.messageId;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(WebhookQueue(*db, clock).enqueue(n));
        QTRY_COMPARE_WITH_TIMEOUT(runner.totals().done, 1, 10000);
        qInfo("enqueued to done in %lld ms", timer.elapsed());
        const RunnerWakeups wakeups = runner.wakeups();
        QVERIFY(wakeups.notifications >= 1);
        QCOMPARE(wakeups.fallbackPolls, 0);
        QCOMPARE(wakeups.dueTimers, 0);
        QCOMPARE(wakeups.wakeCalls, 0);
        runner.stop();
        QCOMPARE(runner.totals().done, 1); // kept after the stop
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 1);
    }

    void oneNotificationPerEnqueueCall() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto listener = tdb.openMigrated();
        auto db = tdb.openMigrated();
        QVERIFY(listener && db);
        QSqlDriver* driver = listener->handle().driver();
        QVERIFY(driver->subscribeToNotification(WebhookQueue::channel()));
        int received = 0;
        connect(driver, &QSqlDriver::notification, this, [&] { ++received; });

        SystemClock clock;
        WebhookQueue queue(*db, clock);
        QList<WebhookNotification> many = notificationsFor(makeMail(1500, 0)); // 3 statements
        QCOMPARE(queue.enqueueMany(many).value(), 1500);
        QTRY_COMPARE_WITH_TIMEOUT(received, 1, 5000);
        // Nothing new, nothing said.
        QCOMPARE(queue.enqueueMany(many.mid(0, 10)).value(), 0);
        // Two calls in the caller's transaction: PostgreSQL folds them into one.
        const Status s = db->transaction([&]() -> Status {
            QList<WebhookNotification> more = notificationsFor(makeMail(1520, 0)).mid(1500);
            if (auto r = queue.enqueueMany(more.mid(0, 10)); !r) {
                return r.error();
            }
            return Status::from(queue.enqueueMany(more.mid(10)));
        });
        QVERIFY(s.ok());
        QTRY_COMPARE_WITH_TIMEOUT(received, 2, 5000);
        QTest::qWait(300); // and nothing trails behind
        QCOMPARE(received, 2);
        QCOMPARE(queue.depth().value(), 1520);
    }
};

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    if (argc >= 4 && qstrcmp(argv[1], "--drain-worker") == 0) {
        return drainWorker(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(argv[3]));
    }
    TestPgWebhooks test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_pg_webhooks.moc"
