// SPDX-License-Identifier: MIT
#include "tracking/mail_importer.h"

#include "../support/test_databases.h"

#include <QFile>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QString kData = QStringLiteral(TRACKWATCH_TEST_DATA "/import");
const QString kAccount = u"me@company.example"_s;

QString status(Database& db, const QString& messageId) {
    auto q = db.exec(u"SELECT tracking_status || '/' || COALESCE(match_method, '') FROM "
                     u"tracked_emails WHERE internet_message_id = ?"_s,
                     {messageId});
    return q && q->next() ? q->value(0).toString() : u"<missing>"_s;
}

} // namespace

class TestMailImporter : public QObject {
    Q_OBJECT
private slots:
    void importsAnMbox_data() { test::addDialectRows(); }
    void importsAnMbox() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        IngestionEngine ingestion(*db, clock, {true, 100, 36500});
        MailImporter importer(ingestion, u"Me@Company.example"_s);
        int progressCalls = 0;
        importer.setProgress([&](const ImportProgress& p) {
            ++progressCalls;
            QVERIFY(p.bytesDone <= p.bytesTotal);
        });
        auto stats = importer.importPath(kData + u"/mailbox.mbox"_s);
        QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
        QCOMPARE(stats->messagesRead, 7);
        QCOMPARE(stats->skipped, 1);
        QCOMPARE(stats->skipReasons.size(), 1);
        QVERIFY2(stats->skipReasons.first().contains(u"Message-ID"_s),
                 qPrintable(stats->skipReasons.first()));
        QCOMPARE(stats->ingestion.stored, 2);
        QCOMPARE(stats->ingestion.repliesMatched, 1);
        QCOMPARE(stats->ingestion.autoReplies, 1);
        QCOMPARE(stats->ingestion.bouncesMatched, 1);
        QCOMPARE(stats->ingestion.repliesPending, 1);
        QVERIFY(progressCalls >= 1);

        QCOMPARE(status(*db, u"offer-1@company.example"_s), u"replied/in_reply_to"_s);
        QCOMPARE(status(*db, u"offer-2@company.example"_s), u"bounced/"_s);
        auto subject = db->exec(u"SELECT subject, subject_normalized, recipients, conversation_id "
                                u"FROM tracked_emails WHERE internet_message_id = "
                                u"'offer-1@company.example'"_s);
        QVERIFY(subject.ok() && subject->next());
        QCOMPARE(subject->value(0).toString(), u"Offer for the new contract"_s);
        QCOMPARE(subject->value(2).toString(),
                 u"client1@customer.example, client2@customer.example"_s);
        QVERIFY(!subject->value(3).toString().isEmpty()); // from Thread-Index
        auto german = db->exec(u"SELECT subject FROM tracked_emails WHERE internet_message_id = "
                               u"'offer-2@company.example'"_s);
        QVERIFY(german.ok() && german->next());
        QCOMPARE(german->value(0).toString(), u"Angebot für Sie"_s);

        // Importing again stores nothing new and changes nothing.
        auto again = importer.importPath(kData + u"/mailbox.mbox"_s);
        QVERIFY(again.ok());
        QCOMPARE(again->ingestion.stored, 0);
        QCOMPARE(again->ingestion.duplicates, 6);
        QCOMPARE(status(*db, u"offer-1@company.example"_s), u"replied/in_reply_to"_s);
    }

    void importsADirectoryRecursively() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        IngestionEngine ingestion(*db, clock, {false, 100, 36500});
        MailImporter importer(ingestion, kAccount);
        auto stats = importer.importPath(kData + u"/maildir"_s);
        QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
        QCOMPARE(stats->files, 4);
        QCOMPARE(stats->messagesRead, 4);
        QCOMPARE(stats->skipped, 1); // the file of random bytes
        QCOMPARE(stats->ingestion.stored, 2);
        QCOMPARE(stats->ingestion.repliesMatched, 1);
        QCOMPARE(status(*db, u"dir-sent-1@company.example"_s), u"replied/references"_s);
        QCOMPARE(status(*db, u"dir-sent-2@company.example"_s), u"active/"_s);
    }

    void truncatedMboxKeepsWhatParses() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QFile source(kData + u"/mailbox.mbox"_s);
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QByteArray all = source.readAll();
        // Cut in the middle of the second message's headers.
        const QByteArray cut = all.left(all.indexOf("Subject: =?iso-8859-1?q?Angebot"));
        QTemporaryDir dir;
        QFile truncated(dir.filePath(u"cut.mbox"_s));
        QVERIFY(truncated.open(QIODevice::WriteOnly));
        truncated.write(cut);
        truncated.close();
        SystemClock clock;
        IngestionEngine ingestion(*db, clock, {true, 100, 36500});
        MailImporter importer(ingestion, kAccount);
        auto stats = importer.importPath(truncated.fileName());
        QVERIFY(stats.ok());
        QCOMPARE(stats->messagesRead, 2);
        QCOMPARE(stats->ingestion.stored + stats->skipped, 2);
        QCOMPARE(status(*db, u"offer-1@company.example"_s), u"active/"_s);
    }

    // Defects: an mbox missing the blank line before "From " was one message, silently; and a
    // message the database refuses stopped the import. Now the mbox is split with a counted
    // warning, and the refused message is skipped and counted like a malformed one; a second
    // import adds nothing.
    void warnsOnMissingBlankLineAndSkipsRefusedMessages_data() { test::addDialectRows(); }
    void warnsOnMissingBlankLineAndSkipsRefusedMessages() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QTemporaryDir dir;
        QFile mbox(dir.filePath(u"run-on.mbox"_s));
        QVERIFY(mbox.open(QIODevice::WriteOnly));
        for (int i = 1; i <= 4; ++i) {
            // No blank line after a body: the next "From " follows the body's last line.
            mbox.write(QStringLiteral("From me@company.example Mon Nov  2 09:0%1:00 2026\n"
                                      "Message-ID: <run-%1@company.example>\n"
                                      "From: me@company.example\nTo: c@customer.example\n"
                                      "Subject: Offer %1\n\nBody %1.\n")
                           .arg(i)
                           .toUtf8());
        }
        mbox.close();
        const QString poisonSql =
            dialect == Dialect::Sqlite
                ? u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails WHEN "
                  u"NEW.internet_message_id = 'run-3@company.example' "
                  u"BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"_s
                : u"CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
                  u"NEW.internet_message_id = 'run-3@company.example' THEN RAISE EXCEPTION "
                  u"'poisoned message'; END IF; RETURN NEW; END $$"_s;
        QVERIFY(db->exec(poisonSql));
        if (dialect == Dialect::PostgreSql) {
            QVERIFY(db->exec(u"CREATE TRIGGER poison BEFORE INSERT ON tracked_emails FOR EACH "
                             u"ROW EXECUTE FUNCTION poison()"_s));
        }
        SystemClock clock;
        IngestionEngine ingestion(*db, clock, {true, 100, 36500});
        for (int run = 0; run < 2; ++run) {
            MailImporter importer(ingestion, kAccount);
            auto stats = importer.importPath(mbox.fileName());
            QVERIFY2(stats.ok(), stats.ok() ? "" : qPrintable(stats.error().message));
            QCOMPARE(stats->messagesRead, 4);
            QCOMPARE(stats->warnings, 3);
            QCOMPARE(stats->warningReasons.size(), 3);
            QVERIFY2(stats->warningReasons.first().contains(u"run-on.mbox"_s),
                     qPrintable(stats->warningReasons.first()));
            QCOMPARE(stats->skipped, 1);
            QCOMPARE(stats->ingestion.skipped, 1);
            QVERIFY2(stats->skipReasons.first().contains(u"run-3@company.example"_s),
                     qPrintable(stats->skipReasons.first()));
            QCOMPARE(stats->ingestion.stored, run == 0 ? 3 : 0);
            QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 3);
        }
        QCOMPARE(status(*db, u"run-4@company.example"_s), u"active/"_s);
    }

    void refusesBadArguments() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        IngestionEngine ingestion(*db, clock);
        auto missing = MailImporter(ingestion, kAccount).importPath(kData + u"/nope.mbox"_s);
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        auto badAccount =
            MailImporter(ingestion, u"not-an-address"_s).importPath(kData + u"/mailbox.mbox"_s);
        QVERIFY(!badAccount.ok());
        QCOMPARE(badAccount.error().code, ErrorCode::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestMailImporter)
#include "tst_mail_importer.moc"
