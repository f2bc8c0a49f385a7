// SPDX-License-Identifier: MIT
#include "tracking/mbox_reader.h"

#include "tracking/mail_parser.h"

#include <QBuffer>
#include <QFile>
#include <QTest>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QString kMailData = QStringLiteral(TRACKWATCH_TEST_DATA "/mail/");

QByteArray fixture(const char* name) {
    QFile f(kMailData + QString::fromLatin1(name));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing fixture %s", name);
    }
    return f.readAll();
}

// Every message of an mbox held in memory.
QList<QByteArray> readAll(const QByteArray& data) {
    QBuffer buffer;
    buffer.setData(data);
    buffer.open(QIODevice::ReadOnly);
    MboxReader reader(&buffer);
    QList<QByteArray> messages;
    QByteArray message;
    while (reader.next(&message)) {
        messages.append(message);
    }
    return messages;
}

} // namespace

class TestMboxReader : public QObject {
    Q_OBJECT
private slots:
    void readsMultipleMessages() {
        QFile file(kMailData + u"multi.mbox"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        MboxReader reader(&file);
        QByteArray message;

        QVERIFY(reader.next(&message));
        QCOMPARE(message,
                 QByteArray("Message-ID: <m1@company.example>\n"
                            "From: me@company.example\n"
                            "Subject: first\n"
                            "\n"
                            "Hello,\n"
                            "From the numbers we discussed, here is our offer.\n"
                            ">From is escaped twice here.\n"
                            "> From with a space is not escaped.\n"
                            "From here on the line is plain body text, not a separator.\n"));
        QVERIFY(reader.next(&message));
        // Two blank lines before the next separator: exactly one belongs to the separator.
        QCOMPARE(message, QByteArray("Message-ID: <m2@customer.example>\n"
                                     "From: client1@customer.example\n"
                                     "Subject: second\n"
                                     "\n"
                                     "Body of two.\n"
                                     "\n"));
        QVERIFY(reader.next(&message));
        QCOMPARE(message, QByteArray("Message-ID: <m3@company.example>\n"
                                     "From: me@company.example\n"
                                     "Subject: third\n"
                                     "\n"
                                     "Last one.\n"));
        QVERIFY(!reader.next(&message));
        QVERIFY(message.isEmpty());
        QVERIFY(!reader.next(&message)); // stays at the end
        QCOMPARE(reader.position(), file.size());
    }

    void messagesParse() {
        const QList<QByteArray> messages = readAll(fixture("multi.mbox"));
        QCOMPARE(messages.size(), 3);
        QStringList ids;
        for (const QByteArray& raw : messages) {
            const auto parsed = MailParser::parse(raw);
            QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
            ids << parsed->messageId;
        }
        QCOMPARE(ids, (QStringList{u"m1@company.example"_s, u"m2@customer.example"_s,
                                   u"m3@company.example"_s}));
    }

    void crlfFile() {
        const QByteArray data = fixture("crlf.mbox");
        QVERIFY(data.contains("\r\n")); // guards against end-of-line conversion of the fixture
        QVERIFY(!data.contains("\n\n"));
        const QList<QByteArray> messages = readAll(data);
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0], QByteArray("Message-ID: <c1@company.example>\r\n"
                                         "From: me@company.example\r\n"
                                         "Subject: crlf one\r\n"
                                         "\r\n"
                                         "From here.\r\n"));
        QCOMPARE(messages[1], QByteArray("Message-ID: <c2@company.example>\r\n"
                                         "From: me@company.example\r\n"
                                         "Subject: crlf two\r\n"
                                         "\r\n"
                                         "Two.\r\n"));
        const auto parsed = MailParser::parse(messages[1]);
        QVERIFY(parsed.ok());
        QCOMPARE(parsed->subject, u"crlf two"_s);
    }

    void emptyFile() {
        QFile file(kMailData + u"empty.mbox"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.size(), 0);
        MboxReader reader(&file);
        QByteArray message("stale");
        QVERIFY(!reader.next(&message));
        QVERIFY(message.isEmpty());
        QCOMPARE(reader.position(), 0);
    }

    void blankOnlyInput() {
        QBuffer buffer;
        buffer.setData("\n\r\n\n");
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        MboxReader reader(&buffer);
        QByteArray message;
        QVERIFY(!reader.next(&message));
        QCOMPARE(reader.position(), 4);
    }

    void noTrailingNewline() {
        const QByteArray data = fixture("no-trailing-newline.mbox");
        QVERIFY(!data.endsWith('\n'));
        const QList<QByteArray> messages = readAll(data);
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0], QByteArray("Message-ID: <n1@example.com>\n"
                                         "From: a@example.com\n"
                                         "\n"
                                         "One.\n"));
        QCOMPARE(messages[1], QByteArray("Message-ID: <n2@example.com>\n"
                                         "From: b@example.com\n"
                                         "\n"
                                         "Two, without a final newline"));
    }

    void separators_data() {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QList<QByteArray>>("expected");
        QTest::newRow("From after a text line is body")
            << QByteArray("From a\nH: 1\n\ntext\nFrom here on\n")
            << QList<QByteArray>{"H: 1\n\ntext\nFrom here on\n"};
        QTest::newRow("From after a blank line separates")
            << QByteArray("From a\nH: 1\n\nFrom b\nH: 2\n")
            << QList<QByteArray>{"H: 1\n", "H: 2\n"};
        QTest::newRow("From right after the separator line is a header-ish line")
            << QByteArray("From a\nFrom b\nH: 1\n") << QList<QByteArray>{"From b\nH: 1\n"};
        QTest::newRow("From without the space is no separator")
            << QByteArray("From a\nH: 1\n\nFrom:x\n") << QList<QByteArray>{"H: 1\n\nFrom:x\n"};
        QTest::newRow("escaped From after a blank line")
            << QByteArray("From a\nH: 1\n\n>From b\n") << QList<QByteArray>{"H: 1\n\nFrom b\n"};
        QTest::newRow("leading blank lines")
            << QByteArray("\n\r\n\nFrom a\nH: 1\n") << QList<QByteArray>{"H: 1\n"};
        QTest::newRow("no separator at the start") << QByteArray("H: 0\n\nbody\n\nFrom b\nH: 1\n")
                                                   << QList<QByteArray>{"H: 0\n\nbody\n", "H: 1\n"};
        QTest::newRow("empty message between separators")
            << QByteArray("From a\n\nFrom b\nH: 1\n") << QList<QByteArray>{"", "H: 1\n"};
        QTest::newRow("one trailing blank line removed at the end")
            << QByteArray("From a\nH: 1\n\nbody\n\n\n") << QList<QByteArray>{"H: 1\n\nbody\n\n"};
        QTest::newRow("CRLF separator after a CRLF blank line")
            << QByteArray("From a\r\nH: 1\r\n\r\nFrom b\r\nH: 2\r\n")
            << QList<QByteArray>{"H: 1\r\n", "H: 2\r\n"};
        QTest::newRow("separator only") << QByteArray("From a\n") << QList<QByteArray>{""};
    }
    void separators() {
        QFETCH(QByteArray, data);
        QFETCH(QList<QByteArray>, expected);
        QCOMPARE(readAll(data), expected);
    }

    void unescaping_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow(">From") << QByteArray(">From x\n") << QByteArray("From x\n");
        QTest::newRow(">>From") << QByteArray(">>From x\n") << QByteArray(">From x\n");
        QTest::newRow(">>>From, CRLF") << QByteArray(">>>From x\r\n") << QByteArray(">>From x\r\n");
        QTest::newRow("> From") << QByteArray("> From x\n") << QByteArray("> From x\n");
        QTest::newRow(">From:") << QByteArray(">From: x\n") << QByteArray(">From: x\n");
        QTest::newRow(">from") << QByteArray(">from x\n") << QByteArray(">from x\n");
        QTest::newRow("quote") << QByteArray("> quoted\n") << QByteArray("> quoted\n");
        QTest::newRow("> alone") << QByteArray(">\n") << QByteArray(">\n");
    }
    void unescaping() {
        QFETCH(QByteArray, line);
        QFETCH(QByteArray, expected);
        const QList<QByteArray> messages = readAll("From a\nH: 1\n\ntext\n" + line);
        QCOMPARE(messages.size(), 1);
        QCOMPARE(messages.first(), "H: 1\n\ntext\n" + expected);
    }

    void positionCountsBytes() {
        const QByteArray data = fixture("multi.mbox");
        QBuffer buffer;
        buffer.setData(data);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        MboxReader reader(&buffer);
        QCOMPARE(reader.position(), 0);
        QByteArray message;
        // After each message: the offset where the next message's separator starts.
        const qsizetype second = data.indexOf("\nFrom client1") + 1;
        const qsizetype third = data.indexOf("\nFrom me@company.example Mon Nov  2 12") + 1;
        QVERIFY(second > 0 && third > second);
        QVERIFY(reader.next(&message));
        QCOMPARE(reader.position(), second);
        QVERIFY(reader.next(&message));
        QCOMPARE(reader.position(), third);
        QVERIFY(reader.next(&message));
        QCOMPARE(reader.position(), data.size());
        QVERIFY(!reader.next(&message));
        QCOMPARE(reader.position(), data.size());
    }

    void streamsManyMessages() {
        constexpr int kCount = 20000;
        QByteArray data;
        for (int i = 0; i < kCount; ++i) {
            data += "From x@example.com Mon Nov  2 09:00:00 2026\nMessage-ID: <" +
                    QByteArray::number(i) + "@example.com>\nFrom: x@example.com\n\n>From body " +
                    QByteArray::number(i) + "\n\n";
        }
        QBuffer buffer;
        buffer.setData(data);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        MboxReader reader(&buffer);
        QByteArray message;
        int count = 0;
        qint64 lastPosition = 0;
        while (reader.next(&message)) {
            QVERIFY(reader.position() > lastPosition);
            lastPosition = reader.position();
            if (count == kCount - 1) {
                QCOMPARE(message, "Message-ID: <" + QByteArray::number(count) +
                                      "@example.com>\nFrom: x@example.com\n\nFrom body " +
                                      QByteArray::number(count) + "\n");
            }
            ++count;
        }
        QCOMPARE(count, kCount);
        QCOMPARE(reader.position(), data.size());
    }

    void looksLikeMbox_data() {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<bool>("expected");
        QTest::newRow("separator") << QByteArray("From x@y Mon Nov  2") << true;
        QTest::newRow("just the prefix") << QByteArray("From ") << true;
        QTest::newRow("header") << QByteArray("From: x@y") << false;
        QTest::newRow("message") << QByteArray("Message-ID: <x@y>") << false;
        QTest::newRow("lower case") << QByteArray("from x@y") << false;
        QTest::newRow("short") << QByteArray("From") << false;
        QTest::newRow("empty") << QByteArray() << false;
    }
    void looksLikeMbox() {
        QFETCH(QByteArray, head);
        QFETCH(bool, expected);
        QCOMPARE(MboxReader::looksLikeMbox(head), expected);
    }

    // Defect: an mbox whose writer left out the blank line before "From " was read as one
    // message, silently. It is split there, with a warning; body text that merely starts
    // with "From " (no envelope date) is not.
    void missingBlankLineSplitsWithAWarning() {
        QBuffer buffer;
        buffer.setData("From a@company.example Mon Nov  2 09:00:00 2026\n"
                       "Message-ID: <s1@company.example>\nFrom: a@company.example\n\nHello.\n"
                       "From here on, body text.\nLast line of one.\n"
                       "From b@customer.example Mon Nov  2 10:00:00 2026\n"
                       "Message-ID: <s2@customer.example>\nFrom: b@customer.example\n\nTwo.\n");
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        MboxReader reader(&buffer);
        QByteArray message;
        QVERIFY(reader.next(&message));
        QVERIFY(message.endsWith("From here on, body text.\nLast line of one.\n"));
        QVERIFY(reader.next(&message));
        QVERIFY(message.startsWith("Message-ID: <s2@customer.example>"));
        QVERIFY(!reader.next(&message));
        QCOMPARE(reader.warnings().size(), 1);
        QVERIFY2(reader.warnings().first().contains(u"blank line"_s),
                 qPrintable(reader.warnings().first()));
        QVERIFY(reader.warnings().first().contains(u"offset 156"_s));
    }

    void wellFormedMboxHasNoWarnings() {
        QBuffer buffer;
        buffer.setData(fixture("multi.mbox"));
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        MboxReader reader(&buffer);
        QByteArray message;
        int count = 0;
        while (reader.next(&message)) {
            ++count;
        }
        QCOMPARE(count, 3);
        QVERIFY(reader.warnings().isEmpty());
    }

    void withoutDevice() {
        MboxReader reader(nullptr);
        QByteArray message;
        QVERIFY(!reader.next(&message));
        QCOMPARE(reader.position(), 0);
    }
};

QTEST_GUILESS_MAIN(TestMboxReader)
#include "tst_mbox_reader.moc"
