// SPDX-License-Identifier: MIT
// Reply matching edge cases, each run on SQLite and PostgreSQL, on the legacy path, the batch
// path with everything in one batch, and the batch path one message per batch (which is what
// exercises replies that arrive before their parent).
#include "tracking/ingestion_engine.h"
#include "tracking/mail_parser.h"

#include "../support/test_databases.h"

#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QString kAccount = u"me@company.example"_s;
const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);

Delivery sent(const QString& id, int minute, const QString& conversation = {},
              const QString& subject = u"Quarterly report"_s) {
    MailMessage m;
    m.messageId = id;
    m.conversationId = conversation;
    m.subject = subject;
    m.sender = kAccount;
    m.recipients = {u"client@customer.example"_s};
    m.sentAt = kT0.addSecs(minute * 60);
    return {kAccount, m};
}

Delivery inbound(const QString& id, int minute, const QStringList& inReplyTo,
                 const QStringList& references = {}, const QString& conversation = {},
                 MessageKind kind = MessageKind::Normal,
                 const QString& subject = u"Re: Quarterly report"_s) {
    MailMessage m;
    m.messageId = id;
    m.inReplyTo = inReplyTo;
    m.references = references;
    m.conversationId = conversation;
    m.subject = subject;
    m.sender = u"client@customer.example"_s;
    m.recipients = {kAccount};
    m.sentAt = kT0.addSecs(minute * 60);
    m.kind = kind;
    return {kAccount, m};
}

Delivery bounce(const QString& id, int minute, const QString& original) {
    Delivery d = inbound(id, minute, {}, {}, {}, MessageKind::Bounce, u"Undeliverable"_s);
    d.message.sender = u"mailer-daemon@mx.company.example"_s;
    d.message.bouncedMessageId = original;
    return d;
}

struct Expectation {
    QString messageId;
    QString status;
    QString method; // empty: none
    int responses = 0;
};

enum class Mode { Legacy, OneBatch, BatchPerMessage };

} // namespace

Q_DECLARE_METATYPE(QList<Delivery>)
Q_DECLARE_METATYPE(QList<Expectation>)

class TestReplyMatching : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<test::TestDatabase> m_sqlite;
    std::unique_ptr<test::TestDatabase> m_postgres;
    int m_run = 0;

    void runScenario(Dialect dialect, Mode mode) {
        QFETCH(QList<Delivery>, deliveries);
        QFETCH(QList<Expectation>, expected);
        test::TestDatabase* tdb = dialect == Dialect::Sqlite ? m_sqlite.get() : m_postgres.get();
        if (!tdb->ok()) {
            TW_DATABASE_UNAVAILABLE(tdb->reason());
        }
        auto db = tdb->openMigrated();
        QVERIFY(db);
        // Each run gets its own mailbox, so runs share the database without meeting.
        const QString account = u"run%1-"_s.arg(++m_run) + kAccount;
        for (Delivery& d : deliveries) {
            d.account = account;
            if (d.message.sender == kAccount) {
                d.message.sender = account;
            }
        }
        ManualClock clock(kT0.addDays(1));
        IngestionEngine engine(*db, clock, {mode != Mode::Legacy, 100, 30});
        if (mode == Mode::BatchPerMessage) {
            for (const Delivery& d : deliveries) {
                QVERIFY(engine.ingest({d}).ok());
            }
        } else {
            auto r = engine.ingest(deliveries);
            QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        }
        for (const Expectation& e : expected) {
            auto q = db->exec(u"SELECT t.tracking_status, t.match_method, t.response_count "
                              u"FROM tracked_emails t JOIN accounts a ON a.id = t.email_account_id "
                              u"WHERE a.email_address = ? AND t.internet_message_id = ?"_s,
                              {account, e.messageId});
            QVERIFY(q.ok());
            QVERIFY2(q->next(), qPrintable(u"not tracked: "_s + e.messageId));
            QCOMPARE(q->value(0).toString(), e.status);
            QCOMPARE(q->value(1).toString(), e.method);
            QCOMPARE(q->value(2).toInt(), e.responses);
        }
    }

private slots:
    void initTestCase() {
        m_sqlite = std::make_unique<test::TestDatabase>(Dialect::Sqlite);
        m_postgres = std::make_unique<test::TestDatabase>(Dialect::PostgreSql);
    }
    void cleanupTestCase() {
        m_sqlite.reset();
        m_postgres.reset();
    }

    void scenarios_data() {
        QTest::addColumn<QList<Delivery>>("deliveries");
        QTest::addColumn<QList<Expectation>>("expected");
        const QString a = u"a-1@company.example"_s;
        const QString b = u"b-2@company.example"_s;

        QTest::newRow("in-reply-to")
            << QList<Delivery>{sent(a, 0), inbound(u"r1@c.example"_s, 5, {a})}
            << QList<Expectation>{{a, u"replied"_s, u"in_reply_to"_s, 1}};
        QTest::newRow("references only")
            << QList<Delivery>{sent(a, 0), inbound(u"r1@c.example"_s, 5, {}, {u"x@else"_s, a})}
            << QList<Expectation>{{a, u"replied"_s, u"references"_s, 1}};
        QTest::newRow("references: newest tracked id wins")
            << QList<Delivery>{sent(a, 0), sent(b, 1), inbound(u"r1@c.example"_s, 5, {}, {a, b})}
            << QList<Expectation>{{a, u"active"_s, {}, 0}, {b, u"replied"_s, u"references"_s, 1}};
        QTest::newRow("in-reply-to beats references")
            << QList<Delivery>{sent(a, 0), sent(b, 1), inbound(u"r1@c.example"_s, 5, {a}, {b})}
            << QList<Expectation>{{a, u"replied"_s, u"in_reply_to"_s, 1}, {b, u"active"_s, {}, 0}};
        QTest::newRow("conversation id")
            << QList<Delivery>{sent(a, 0, u"conv-1"_s),
                               inbound(u"r1@c.example"_s, 5, {}, {}, u"conv-1"_s)}
            << QList<Expectation>{{a, u"replied"_s, u"conversation"_s, 1}};
        QTest::newRow("conversation: newest sent before the reply")
            << QList<Delivery>{sent(a, 0, u"conv-1"_s), sent(b, 10, u"conv-1"_s),
                               inbound(u"r1@c.example"_s, 5, {}, {}, u"conv-1"_s)}
            << QList<Expectation>{{a, u"replied"_s, u"conversation"_s, 1}, {b, u"active"_s, {}, 0}};
        QTest::newRow("reply before its parent")
            << QList<Delivery>{inbound(u"r1@c.example"_s, 5, {a}), sent(a, 0)}
            << QList<Expectation>{{a, u"replied"_s, u"in_reply_to"_s, 1}};
        QTest::newRow("reply by references before its parent")
            << QList<Delivery>{inbound(u"r1@c.example"_s, 5, {}, {a}), sent(a, 0)}
            << QList<Expectation>{{a, u"replied"_s, u"references"_s, 1}};
        QTest::newRow("conversation reply before its parent")
            << QList<Delivery>{inbound(u"r1@c.example"_s, 5, {}, {}, u"conv-9"_s),
                               sent(a, 0, u"conv-9"_s)}
            << QList<Expectation>{{a, u"replied"_s, u"conversation"_s, 1}};
        QTest::newRow("auto-reply is not a reply")
            << QList<Delivery>{sent(a, 0),
                               inbound(u"ooo@c.example"_s, 1, {a}, {a}, {}, MessageKind::AutoReply,
                                       u"Automatic reply: Quarterly report"_s)}
            << QList<Expectation>{{a, u"active"_s, {}, 0}};
        QTest::newRow("bounce marks bounced")
            << QList<Delivery>{sent(a, 0), bounce(u"dsn@mx.example"_s, 1, a)}
            << QList<Expectation>{{a, u"bounced"_s, {}, 0}};
        QTest::newRow("bounce before its parent")
            << QList<Delivery>{bounce(u"dsn@mx.example"_s, 1, a), sent(a, 0)}
            << QList<Expectation>{{a, u"bounced"_s, {}, 0}};
        // "Re: Quarterly report" from the recipient, with no ids and no conversation.
        QTest::newRow("subject-only lookalike does not match")
            << QList<Delivery>{sent(a, 0, u"conv-1"_s), inbound(u"r1@c.example"_s, 5, {}, {}, {})}
            << QList<Expectation>{{a, u"active"_s, {}, 0}};
        QTest::newRow("other conversation does not match")
            << QList<Delivery>{sent(a, 0, u"conv-1"_s),
                               inbound(u"r1@c.example"_s, 5, {}, {}, u"conv-other"_s)}
            << QList<Expectation>{{a, u"active"_s, {}, 0}};
        QTest::newRow("ids differing only in local-part case do not match")
            << QList<Delivery>{sent(u"Abc.1@company.example"_s, 0),
                               inbound(u"r1@c.example"_s, 5, {u"abc.1@company.example"_s})}
            << QList<Expectation>{{u"Abc.1@company.example"_s, u"active"_s, {}, 0}};
        QTest::newRow("ids differing only in domain case match")
            << QList<Delivery>{sent(MailParser::normalizeMessageId(u"<Abc.1@Company.Example>"), 0),
                               inbound(
                                   u"r1@c.example"_s, 5,
                                   {MailParser::normalizeMessageId(u"<Abc.1@COMPANY.example>")})}
            << QList<Expectation>{{u"Abc.1@company.example"_s, u"replied"_s, u"in_reply_to"_s, 1}};
        QTest::newRow("own follow-up is sent mail, not a reply")
            << QList<Delivery>{sent(a, 0),
                               [&] {
                                   Delivery d = sent(b, 5);
                                   d.message.inReplyTo = {a};
                                   return d;
                               }()}
            << QList<Expectation>{{a, u"active"_s, {}, 0}, {b, u"active"_s, {}, 0}};
        QTest::newRow("second reply counts, first reply's fields stay")
            << QList<Delivery>{sent(a, 0), inbound(u"r1@c.example"_s, 5, {a}),
                               inbound(u"r2@c.example"_s, 6, {}, {a})}
            << QList<Expectation>{{a, u"replied"_s, u"in_reply_to"_s, 2}};
        QTest::newRow("the same reply twice counts once")
            << QList<Delivery>{sent(a, 0), inbound(u"r1@c.example"_s, 5, {a}),
                               inbound(u"r1@c.example"_s, 5, {a})}
            << QList<Expectation>{{a, u"replied"_s, u"in_reply_to"_s, 1}};
        QTest::newRow("a reply after a bounce leaves it bounced")
            << QList<Delivery>{sent(a, 0), bounce(u"dsn@mx.example"_s, 1, a),
                               inbound(u"r1@c.example"_s, 5, {a})}
            << QList<Expectation>{{a, u"bounced"_s, {}, 1}};
    }

    void scenarios() { runScenario(Dialect::Sqlite, Mode::Legacy); }

    void scenariosSqliteOneBatch_data() { scenarios_data(); }
    void scenariosSqliteOneBatch() { runScenario(Dialect::Sqlite, Mode::OneBatch); }
    void scenariosSqliteBatchPerMessage_data() { scenarios_data(); }
    void scenariosSqliteBatchPerMessage() { runScenario(Dialect::Sqlite, Mode::BatchPerMessage); }
    void scenariosPostgresLegacy_data() { scenarios_data(); }
    void scenariosPostgresLegacy() { runScenario(Dialect::PostgreSql, Mode::Legacy); }
    void scenariosPostgresOneBatch_data() { scenarios_data(); }
    void scenariosPostgresOneBatch() { runScenario(Dialect::PostgreSql, Mode::OneBatch); }
    void scenariosPostgresBatchPerMessage_data() { scenarios_data(); }
    void scenariosPostgresBatchPerMessage() {
        runScenario(Dialect::PostgreSql, Mode::BatchPerMessage);
    }

    void otherMailboxDoesNotMatch_data() { test::addDialectRows(); }
    void otherMailboxDoesNotMatch() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kT0);
        IngestionEngine engine(*db, clock, {true, 100, 30});
        Delivery reply = inbound(u"r1@c.example"_s, 5, {u"a@company.example"_s});
        reply.account = u"someone-else@company.example"_s;
        auto r = engine.ingest({sent(u"a@company.example"_s, 0), reply});
        QVERIFY(r.ok());
        QCOMPARE(r->stored, 1);
        QCOMPARE(r->repliesMatched, 0);
        QCOMPARE(r->repliesPending, 1);
    }
};

QTEST_GUILESS_MAIN(TestReplyMatching)
#include "tst_reply_matching.moc"
