// SPDX-License-Identifier: MIT
#include "tracking/mail_parser.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTest>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace trackwatch::core {

// Readable QCOMPARE failures for the kind.
char* toString(MessageKind kind) {
    switch (kind) {
    case MessageKind::Normal:
        return qstrdup("Normal");
    case MessageKind::AutoReply:
        return qstrdup("AutoReply");
    case MessageKind::Bounce:
        return qstrdup("Bounce");
    }
    return qstrdup("?");
}

} // namespace trackwatch::core

namespace {

const QString kMailData = QStringLiteral(TRACKWATCH_TEST_DATA "/mail/");

QByteArray fixture(const char* name) {
    QFile f(kMailData + QString::fromLatin1(name));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing fixture %s", name);
    }
    return f.readAll();
}

// A minimal valid message with the given extra header lines (each ending in "\n").
QByteArray mail(const QByteArray& headers, const QByteArray& body = "Body.\n") {
    return "Message-ID: <t.1@test.example>\nFrom: sender@test.example\n" + headers + "\n" + body;
}

QDateTime utc(int y, int mo, int d, int h, int mi, int s = 0) {
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), Qt::UTC);
}

QByteArray repeated(const QByteArray& piece, qsizetype totalSize) {
    QByteArray out;
    out.reserve(totalSize + piece.size());
    while (out.size() < totalSize) {
        out += piece;
    }
    return out;
}

} // namespace

class TestMailParser : public QObject {
    Q_OBJECT
private slots:
    // ---- RFC 2047 -----------------------------------------------------------------------------

    void decodeEncodedWords_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain ascii") << QByteArray("Offer for you") << u"Offer for you"_s;
        QTest::newRow("B utf-8") << QByteArray("=?UTF-8?B?SGVsbG8gV8O2cmxk?=") << u"Hello Wörld"_s;
        QTest::newRow("b lower-case marker")
            << QByteArray("=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?=") << u"Grüße aus Köln"_s;
        QTest::newRow("Q iso-8859-1")
            << QByteArray("=?iso-8859-1?q?Angebot_f=FCr_Sie?=") << u"Angebot für Sie"_s;
        QTest::newRow("Q latin1 alias, lower hex")
            << QByteArray("=?latin1?Q?gr=fc=dfe?=") << u"grüße"_s;
        QTest::newRow("Q utf-8 lower-case hex") << QByteArray("=?utf-8?q?caf=c3=a9?=") << u"café"_s;
        QTest::newRow("Q windows-1252")
            << QByteArray("=?windows-1252?Q?=80_5_=96_=93ok=94?=") << u"€ 5 – “ok”"_s;
        QTest::newRow("Q iso-8859-15") << QByteArray("=?ISO-8859-15?Q?=A4?=") << u"€"_s;
        QTest::newRow("B cyrillic") << QByteArray("=?utf-8?B?0J/RgNC40LLQtdGC?=") << u"Привет"_s;
        QTest::newRow("underscore is a space in Q")
            << QByteArray("=?utf-8?Q?a_b=5Fc?=") << u"a b_c"_s;
        QTest::newRow("underscore stays in B") << QByteArray("=?utf-8?B?X18=?=") << u"__"_s;
        QTest::newRow("adjacent words joined")
            << QByteArray("=?utf-8?q?Hello?= =?utf-8?q?World?=") << u"HelloWorld"_s;
        QTest::newRow("adjacent words across a fold")
            << QByteArray("=?utf-8?q?Hello?=\r\n\t  =?utf-8?q?_World?=") << u"Hello World"_s;
        QTest::newRow("adjacent words, different charsets")
            << QByteArray("=?iso-8859-1?q?f=FCr?= =?utf-8?q?_K=C3=B6ln?=") << u"für Köln"_s;
        QTest::newRow("character split across words")
            << QByteArray("=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?=") << u"café"_s;
        QTest::newRow("space before text kept")
            << QByteArray("=?utf-8?q?caf=C3=A9?= au lait") << u"café au lait"_s;
        QTest::newRow("space after text kept")
            << QByteArray("Re: =?utf-8?q?caf=C3=A9?=") << u"Re: café"_s;
        QTest::newRow("text between words kept")
            << QByteArray("=?utf-8?q?a?= and =?utf-8?q?b?=") << u"a and b"_s;
        QTest::newRow("language suffix (RFC 2231)")
            << QByteArray("=?utf-8*de?q?Gr=C3=BC=C3=9Fe?=") << u"Grüße"_s;
        QTest::newRow("empty encoded text") << QByteArray("x =?utf-8?q?"
                                                          "?= y")
                                            << u"x  y"_s;
        QTest::newRow("unknown charset kept raw")
            << QByteArray("=?x-klingon?q?Qapla=27?= ok") << u"=?x-klingon?q?Qapla=27?= ok"_s;
        QTest::newRow("unterminated word kept raw")
            << QByteArray("=?utf-8?q?open end") << u"=?utf-8?q?open end"_s;
        QTest::newRow("bad encoding letter kept raw")
            << QByteArray("=?utf-8?x?abc?=") << u"=?utf-8?x?abc?="_s;
        QTest::newRow("missing charset kept raw") << QByteArray("=?"
                                                                "?q?abc?=")
                                                  << u"=?\u003Fq?abc?="_s;
        QTest::newRow("lone marker") << QByteArray("a =? b ?= c") << u"a =? b ?= c"_s;
        QTest::newRow("broken then good")
            << QByteArray("=?utf-8?q?broken =?utf-8?q?caf=C3=A9?=") << u"=?utf-8?q?broken café"_s;
        QTest::newRow("bad hex in Q kept") << QByteArray("=?utf-8?q?100=ZZ?=") << u"100=ZZ"_s;
        QTest::newRow("raw utf-8 header") << QByteArray("Gr\xC3\xBC\xC3\x9F"
                                                        "e")
                                          << u"Grüße"_s;
        QTest::newRow("raw latin-1 header") << QByteArray("Gr\xFC\xDF"
                                                          "e")
                                            << u"Grüße"_s;
    }
    void decodeEncodedWords() {
        QFETCH(QByteArray, raw);
        QFETCH(QString, expected);
        QCOMPARE(MailParser::decodeEncodedWords(raw), expected);
    }

    // ---- header section -------------------------------------------------------------------------

    void foldedHeaders_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("subject");
        QTest::addColumn<QStringList>("references");
        QTest::newRow("subject folded with a space")
            << mail("Subject: Offer for the\n new contract\n") << u"Offer for the new contract"_s
            << QStringList();
        QTest::newRow("subject folded with a tab")
            << mail("Subject: Offer for the\n\tnew contract\n") << u"Offer for the new contract"_s
            << QStringList();
        QTest::newRow("subject folded twice, CRLF")
            << mail("Subject: a\r\n b\r\n  c\r\n") << u"a b  c"_s << QStringList();
        QTest::newRow("encoded words on folded lines")
            << mail("Subject: =?utf-8?q?Angebot_f=C3=BCr?=\n =?utf-8?q?_Sie?=\n")
            << u"Angebot für Sie"_s << QStringList();
        QTest::newRow("references across lines")
            << mail("References: <a.1@x.example>\n <b.2@x.example>\n\t<c.3@X.Example>\n")
            << QString() << QStringList{u"a.1@x.example"_s, u"b.2@x.example"_s, u"c.3@x.example"_s};
        QTest::newRow("an id folded inside its brackets")
            << mail("References: <long.local.part\n .continued@x.example>\n") << QString()
            << QStringList{u"long.local.part.continued@x.example"_s};
        QTest::newRow("upper-case header names")
            << QByteArray("MESSAGE-ID: <t.1@test.example>\nFROM: sender@test.example\n"
                          "SUBJECT: shouting\nREFERENCES: <r@x.example>\n\nbody\n")
            << u"shouting"_s << QStringList{u"r@x.example"_s};
        QTest::newRow("space before the colon")
            << mail("Subject : obsolete\n") << u"obsolete"_s << QStringList();
        QTest::newRow("header-like line in the body ignored")
            << mail("Subject: real\n", "Subject: fake\nReferences: <fake@x.example>\n") << u"real"_s
            << QStringList();
    }
    void foldedHeaders() {
        QFETCH(QByteArray, raw);
        QFETCH(QString, subject);
        QFETCH(QStringList, references);
        const auto r = MailParser::parse(raw);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->messageId, u"t.1@test.example"_s);
        QCOMPARE(r->subject, subject);
        QCOMPARE(r->references, references);
    }

    void lineEndings_data() {
        QTest::addColumn<QByteArray>("raw");
        const QByteArray lf = "Message-ID: <le.1@Test.Example>\n"
                              "From: \"Le, Test\" <Le@Test.Example>\n"
                              "To: a@test.example,\n b@test.example\n"
                              "Subject: line\n endings\n"
                              "In-Reply-To: <p.1@test.example>\n"
                              "Date: Mon, 2 Nov 2026 09:00:00 +0100\n"
                              "Auto-Submitted: auto-replied\n"
                              "\n"
                              "Body: not a header\n";
        QByteArray crlf = lf;
        crlf.replace("\n", "\r\n");
        QByteArray mixed;
        bool toggle = false;
        for (const char c : lf) {
            mixed += c == '\n' ? ((toggle = !toggle) ? QByteArray("\r\n") : QByteArray("\n"))
                               : QByteArray(1, c);
        }
        QTest::newRow("LF") << lf;
        QTest::newRow("CRLF") << crlf;
        QTest::newRow("mixed") << mixed;
        QTest::newRow("CRLF, no final line break") << crlf.chopped(2);
    }
    void lineEndings() {
        QFETCH(QByteArray, raw);
        const auto r = MailParser::parse(raw);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->messageId, u"le.1@test.example"_s);
        QCOMPARE(r->sender, u"le@test.example"_s);
        QCOMPARE(r->senderName, u"Le, Test"_s);
        QCOMPARE(r->recipients, (QStringList{u"a@test.example"_s, u"b@test.example"_s}));
        QCOMPARE(r->subject, u"line endings"_s);
        QCOMPARE(r->inReplyTo, QStringList{u"p.1@test.example"_s});
        QCOMPARE(r->sentAt, utc(2026, 11, 2, 8, 0));
        QCOMPARE(r->kind, MessageKind::AutoReply);
    }

    void plainMessage() {
        const auto r = MailParser::parse(fixture("plain.eml"));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        const MailMessage& m = *r;
        QCOMPARE(m.messageId, u"CAF=Quote.4711@mail.company.example"_s);
        QCOMPARE(m.sender, u"anna.schmidt@company.example"_s);
        QCOMPARE(m.senderName, u"Schmidt, Anna"_s);
        // To and Cc, lower-cased, first occurrence kept; the group's members count, the empty
        // group yields nothing.
        QCOMPARE(m.recipients,
                 (QStringList{u"client1@customer.example"_s, u"client2@customer.example"_s,
                              u"lead@company.example"_s, u"ops@company.example"_s}));
        // The first of two Subject headers; encoded words and plain text across folds.
        QCOMPARE(m.subject, u"Re: Angebot für Sie und Ihr Team"_s);
        QCOMPARE(m.inReplyTo, QStringList{u"Orig.1@customer.example"_s});
        // In order, without duplicates; a different local-part case is a different id.
        QCOMPARE(m.references,
                 (QStringList{u"Start.0@customer.example"_s, u"Orig.1@customer.example"_s,
                              u"orig.1@customer.example"_s}));
        QCOMPARE(m.sentAt, utc(2026, 11, 3, 7, 15));
        QCOMPARE(m.sentAt.timeSpec(), Qt::UTC);
        QCOMPARE(m.kind, MessageKind::Normal);
        QVERIFY(m.conversationId.isEmpty());
        QVERIFY(m.bouncedMessageId.isEmpty());
        QVERIFY(m.bouncedRecipients.isEmpty());
    }

    void outlookReply() {
        const QByteArray raw = fixture("outlook-reply.eml");
        QVERIFY(raw.contains("\r\n")); // the fixture is a CRLF file
        const auto r = MailParser::parse(raw);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->messageId, u"DB9PR01MB1234ABCD@db9pr01mb1234.eurprd01.prod.outlook.com"_s);
        QCOMPARE(r->sender, u"juergen@kunde.example"_s);
        QCOMPARE(r->senderName, u"Jürgen Müller"_s);
        QCOMPARE(r->subject, u"AW: Offer for the new contract"_s);
        QCOMPARE(r->conversationId, u"0101db471939719d26d10d9be245aad6f421ea2dd3f4"_s);
        QCOMPARE(r->sentAt, utc(2026, 11, 3, 10, 2, 11));
        // X-Auto-Response-Suppress asks others not to auto-reply; this is a human reply.
        QCOMPARE(r->kind, MessageKind::Normal);
    }

    // ---- addresses ------------------------------------------------------------------------------

    void fromAddress_data() {
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QString>("address");
        QTest::addColumn<QString>("name");
        QTest::newRow("name and angle address") << QByteArray("John Doe <John.Doe@Example.COM>")
                                                << u"john.doe@example.com"_s << u"John Doe"_s;
        QTest::newRow("quoted name with comma")
            << QByteArray("\"Doe, John\" <j@example.com>") << u"j@example.com"_s << u"Doe, John"_s;
        QTest::newRow("quoted name with escaped quote")
            << QByteArray("\"John \\\"JD\\\" Doe\" <j@example.com>") << u"j@example.com"_s
            << u"John \"JD\" Doe"_s;
        QTest::newRow("bare address")
            << QByteArray("J@Example.com") << u"j@example.com"_s << QString();
        QTest::newRow("angle address only")
            << QByteArray("<j@example.com>") << u"j@example.com"_s << QString();
        QTest::newRow("comment as name")
            << QByteArray("j@example.com (John Doe)") << u"j@example.com"_s << u"John Doe"_s;
        QTest::newRow("comment next to a name") << QByteArray("John Doe (Sales) <j@example.com>")
                                                << u"j@example.com"_s << u"John Doe"_s;
        QTest::newRow("encoded name") << QByteArray("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@x.de>")
                                      << u"j@x.de"_s << u"Jürgen Müller"_s;
        QTest::newRow("encoded name in quotes")
            << QByteArray("\"=?utf-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\" <k@x.de>") << u"k@x.de"_s
            << u"Grüße aus Köln"_s;
        QTest::newRow("raw utf-8 name")
            << QByteArray("J\xC3\xBCrgen <j@x.de>") << u"j@x.de"_s << u"Jürgen"_s;
        QTest::newRow("source route") << QByteArray("<@relay.example:user@Host.Example>")
                                      << u"user@host.example"_s << QString();
        QTest::newRow("first of several")
            << QByteArray("a@x.example, b@x.example") << u"a@x.example"_s << QString();
        QTest::newRow("group with one member")
            << QByteArray("Team: \"Anna\" <Anna@X.example>;") << u"anna@x.example"_s << u"Anna"_s;
        QTest::newRow("daemon with comment")
            << QByteArray("MAILER-DAEMON@mx.example (Mail Delivery System)")
            << u"mailer-daemon@mx.example"_s << u"Mail Delivery System"_s;
    }
    void fromAddress() {
        QFETCH(QByteArray, from);
        QFETCH(QString, address);
        QFETCH(QString, name);
        const auto r = MailParser::parse("Message-ID: <f@x.example>\nFrom: " + from + "\n\n");
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->sender, address);
        QCOMPARE(r->senderName, name);
    }

    void recipients_data() {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("to and cc in order")
            << QByteArray("To: B@x.example, a@x.example\nCc: C@x.example\n")
            << QStringList{u"b@x.example"_s, u"a@x.example"_s, u"c@x.example"_s};
        QTest::newRow("duplicates across to and cc")
            << QByteArray("To: A <a@x.example>\nCc: \"A again\" <A@X.EXAMPLE>, b@x.example\n")
            << QStringList{u"a@x.example"_s, u"b@x.example"_s};
        QTest::newRow("undisclosed recipients")
            << QByteArray("To: undisclosed-recipients:;\n") << QStringList();
        QTest::newRow("group members")
            << QByteArray("To: Sales: s1@x.example, \"S 2\" <s2@x.example>;, o@x.example\n")
            << QStringList{u"s1@x.example"_s, u"s2@x.example"_s, u"o@x.example"_s};
        QTest::newRow("commas inside quotes and comments")
            << QByteArray("To: \"Doe, J\" <j@x.example>, k@x.example (K, the one)\n")
            << QStringList{u"j@x.example"_s, u"k@x.example"_s};
        QTest::newRow("empty entries and junk skipped")
            << QByteArray("To: , ,not-an-address, <>, z@x.example,\n")
            << QStringList{u"z@x.example"_s};
        QTest::newRow("no recipients") << QByteArray() << QStringList();
    }
    void recipients() {
        QFETCH(QByteArray, headers);
        QFETCH(QStringList, expected);
        const auto r = MailParser::parse(mail(headers));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->recipients, expected);
    }

    // ---- message ids ----------------------------------------------------------------------------

    void normalizeMessageId_data() {
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("expected");
        QTest::newRow("brackets and domain case")
            << u"<Local@Example.COM>"_s << u"Local@example.com"_s;
        QTest::newRow("surrounding space") << u"  <abc@x.example>  "_s << u"abc@x.example"_s;
        QTest::newRow("no brackets") << u"abc@X.example"_s << u"abc@x.example"_s;
        QTest::newRow("inner whitespace from folding")
            << u"<abc.\r\n def@x.example>"_s << u"abc.def@x.example"_s;
        QTest::newRow("last @ splits") << u"<a@b@C.Example>"_s << u"a@b@c.example"_s;
        QTest::newRow("local part case kept")
            << u"<CAF=Mixed+Case@MAIL.gmail.com>"_s << u"CAF=Mixed+Case@mail.gmail.com"_s;
        QTest::newRow("no @ at all") << u"<JustAToken>"_s << u"JustAToken"_s;
        QTest::newRow("empty brackets") << u"<>"_s << QString();
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("blank") << u"   "_s << QString();
        QTest::newRow("NUL removed like space") << (u"<p"_s + QChar(0) + u"q@X>"_s) << u"pq@x"_s;
    }
    void normalizeMessageId() {
        QFETCH(QString, raw);
        QFETCH(QString, expected);
        QCOMPARE(MailParser::normalizeMessageId(raw), expected);
    }

    void idsDifferingInLocalCaseStayDifferent() {
        const QString a = MailParser::normalizeMessageId(u"<Abc.1@Company.Example>");
        const QString b = MailParser::normalizeMessageId(u"<abc.1@company.example>");
        const QString c = MailParser::normalizeMessageId(u"<Abc.1@COMPANY.example>");
        QVERIFY(a != b);
        QCOMPARE(a, c);
        QCOMPARE(MailParser::parseIdList(u"<Abc.1@x.example> <abc.1@x.example>").size(), 2);
        QCOMPARE(MailParser::parseIdList(u"<abc.1@X.example> <abc.1@x.EXAMPLE>").size(), 1);
    }

    void parseIdList_data() {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("one") << u"<a@x.example>"_s << QStringList{u"a@x.example"_s};
        QTest::newRow("several, no separators")
            << u"<a@x.example><b@x.example>"_s << QStringList{u"a@x.example"_s, u"b@x.example"_s};
        QTest::newRow("folded") << u"<a@x.example>\r\n <b@X.example>\r\n\t<c@x.example>"_s
                                << QStringList{u"a@x.example"_s, u"b@x.example"_s,
                                               u"c@x.example"_s};
        QTest::newRow("duplicates dropped, order kept")
            << u"<b@x.example> <a@x.example> <b@X.EXAMPLE>"_s
            << QStringList{u"b@x.example"_s, u"a@x.example"_s};
        QTest::newRow("text around ids ignored")
            << u"Your message of Mon, 2 Nov <a@x.example> (comment) <b@x.example>"_s
            << QStringList{u"a@x.example"_s, u"b@x.example"_s};
        QTest::newRow("no brackets: whitespace split")
            << u"a@x.example  B@Y.example"_s << QStringList{u"a@x.example"_s, u"B@y.example"_s};
        QTest::newRow("empty brackets skipped")
            << u"<> <a@x.example>"_s << QStringList{u"a@x.example"_s};
        QTest::newRow("unterminated last id")
            << u"<a@x.example> <b@x.exa"_s << QStringList{u"a@x.example"_s, u"b@x.exa"_s};
        QTest::newRow("empty") << QString() << QStringList();
        // Defect: the two were distinct here and one once stored (NUL dropped), which broke
        // pending_reply_refs' unique key. Deduplicated after normalising.
        QTest::newRow("equal once NUL is removed")
            << (u"<p"_s + QChar(0) + u"q@x> <pq@x>"_s) << QStringList{u"pq@x"_s};
    }
    void parseIdList() {
        QFETCH(QString, value);
        QFETCH(QStringList, expected);
        QCOMPARE(MailParser::parseIdList(value), expected);
    }

    // ---- subjects -------------------------------------------------------------------------------

    void normalizeSubject_data() {
        QTest::addColumn<QString>("subject");
        QTest::addColumn<QString>("expected");
        QTest::newRow("chain") << u"Re: Re[2]: Fwd: Hello  world"_s << u"Hello world"_s;
        QTest::newRow("nothing to strip") << u"Hello world"_s << u"Hello world"_s;
        QTest::newRow("upper case") << u"RE: FW: Offer"_s << u"Offer"_s;
        QTest::newRow("Fw") << u"Fw: Offer"_s << u"Offer"_s;
        QTest::newRow("german") << u"AW: WG: Angebot"_s << u"Angebot"_s;
        QTest::newRow("nordic") << u"SV: VS: Tilbud"_s << u"Tilbud"_s;
        QTest::newRow("dutch, polish") << u"Antw: Odp: Oferta"_s << u"Oferta"_s;
        QTest::newRow("french, italian") << u"TR: RIF: Offerta"_s << u"Offerta"_s;
        QTest::newRow("french spacing") << u"RE : TR : Offre"_s << u"Offre"_s;
        QTest::newRow("counter in parentheses") << u"Re(3): Offer"_s << u"Offer"_s;
        QTest::newRow("counter with space") << u"RE [12] : Offer"_s << u"Offer"_s;
        QTest::newRow("full-width colon") << u"Re：回复"_s << u"回复"_s;
        QTest::newRow("no space after colon") << u"Re:Re:Offer"_s << u"Offer"_s;
        QTest::newRow("surrounding and inner space")
            << u"  Re:   the \t  offer  \r\n"_s << u"the offer"_s;
        QTest::newRow("Reply is a word") << u"Reply needed"_s << u"Reply needed"_s;
        QTest::newRow("Reply: is not a prefix") << u"Reply: needed"_s << u"Reply: needed"_s;
        QTest::newRow("Rename: is not a prefix") << u"Rename: files"_s << u"Rename: files"_s;
        QTest::newRow("prefix only after the start")
            << u"Offer Re: details"_s << u"Offer Re: details"_s;
        QTest::newRow("bad counter") << u"Re[x]: Offer"_s << u"Re[x]: Offer"_s;
        QTest::newRow("prefix alone") << u"Re:"_s << QString();
        QTest::newRow("empty") << QString() << QString();
        // Found by fuzz_mail_parser: "Fwd\u00A0:" was kept, then written as "Fwd :", which a
        // second normalization strips. Any space may stand before the colon.
        QTest::newRow("no-break space before the colon") << u"Fwd\u00A0: Offer"_s << u"Offer"_s;
    }
    void normalizeSubject() {
        QFETCH(QString, subject);
        QFETCH(QString, expected);
        QCOMPARE(MailParser::normalizeSubject(subject), expected);
        // A normalized subject stays as it is.
        QCOMPARE(MailParser::normalizeSubject(expected), expected);
    }

    // ---- dates ----------------------------------------------------------------------------------

    void dates_data() {
        QTest::addColumn<QByteArray>("date");
        QTest::addColumn<QDateTime>("expected");
        QTest::newRow("rfc 5322") << QByteArray("Mon, 2 Nov 2026 09:00:00 +0000")
                                  << utc(2026, 11, 2, 9, 0);
        QTest::newRow("positive zone and comment")
            << QByteArray("Tue, 3 Nov 2026 08:15:00 +0100 (CET)") << utc(2026, 11, 3, 7, 15);
        QTest::newRow("negative zone, no weekday")
            << QByteArray("3 Nov 2026 08:15:00 -0800") << utc(2026, 11, 3, 16, 15);
        QTest::newRow("half-hour zone")
            << QByteArray("Mon 2 Nov 2026 09:00:00 +0530") << utc(2026, 11, 2, 3, 30);
        QTest::newRow("day rolls back")
            << QByteArray("Mon, 2 Nov 2026 00:30:00 +0100") << utc(2026, 11, 1, 23, 30);
        QTest::newRow("two-digit year, GMT")
            << QByteArray("Tue, 03 Nov 26 11:00:00 GMT") << utc(2026, 11, 3, 11, 0);
        QTest::newRow("two-digit year, last century, EST, no seconds")
            << QByteArray("Thu, 4 Nov 99 23:30 EST") << utc(1999, 11, 5, 4, 30);
        QTest::newRow("PDT") << QByteArray("Thu, 5 Nov 2026 07:00:00 PDT")
                             << utc(2026, 11, 5, 14, 0);
        QTest::newRow("UT") << QByteArray("Thu, 5 Nov 2026 07:00:00 UT") << utc(2026, 11, 5, 7, 0);
        QTest::newRow("military zone counts as UTC")
            << QByteArray("5 Nov 2026 07:00:00 Z") << utc(2026, 11, 5, 7, 0);
        QTest::newRow("trailing (UTC)")
            << QByteArray("Mon,  2 Nov 2026 09:10:05 +0000 (UTC)") << utc(2026, 11, 2, 9, 10, 5);
        QTest::newRow("lower case")
            << QByteArray("mon, 02 nov 2026 09:00:00 est") << utc(2026, 11, 2, 14, 0);
        QTest::newRow("full month name")
            << QByteArray("2 November 2026 09:00:00 +0000") << utc(2026, 11, 2, 9, 0);
        QTest::newRow("zone with colon")
            << QByteArray("2 Nov 2026 09:00:00 +01:00") << utc(2026, 11, 2, 8, 0);
        QTest::newRow("leap second")
            << QByteArray("31 Dec 2026 23:59:60 +0000") << utc(2026, 12, 31, 23, 59, 59);
        QTest::newRow("no zone") << QByteArray("Mon, 2 Nov 2026 09:00:00")
                                 << utc(2026, 11, 2, 9, 0);
        QTest::newRow("asctime") << QByteArray("Mon Nov  2 09:00:00 2026")
                                 << utc(2026, 11, 2, 9, 0);
        QTest::newRow("three-digit year")
            << QByteArray("2 Nov 126 09:00:00 +0000") << utc(2026, 11, 2, 9, 0);
        QTest::newRow("missing") << QByteArray() << QDateTime();
        QTest::newRow("words") << QByteArray("yesterday afternoon") << QDateTime();
        QTest::newRow("day out of range")
            << QByteArray("Mon, 32 Nov 2026 09:00:00 +0000") << QDateTime();
        QTest::newRow("30 February") << QByteArray("30 Feb 2026 09:00:00 +0000") << QDateTime();
        QTest::newRow("unknown month") << QByteArray("2 Foo 2026 09:00:00 +0000") << QDateTime();
        QTest::newRow("hour out of range")
            << QByteArray("2 Nov 2026 25:00:00 +0000") << QDateTime();
        QTest::newRow("bad zone") << QByteArray("2 Nov 2026 09:00:00 +2500") << QDateTime();
        QTest::newRow("truncated") << QByteArray("Mon, 2 Nov") << QDateTime();
    }
    void dates() {
        QFETCH(QByteArray, date);
        QFETCH(QDateTime, expected);
        const auto r = MailParser::parse(date.isNull() ? mail({}) : mail("Date: " + date + "\n"));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->sentAt.isValid(), expected.isValid());
        if (expected.isValid()) {
            QCOMPARE(r->sentAt, expected);
            QCOMPARE(r->sentAt.timeSpec(), Qt::UTC);
        }
    }

    // ---- conversation id ------------------------------------------------------------------------

    void conversationId_data() {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<QString>("expected");
        const QString outlook = u"0101db471939719d26d10d9be245aad6f421ea2dd3f4"_s;
        QTest::newRow("thread-index")
            << QByteArray("Thread-Index: AQHbRxk5cZ0m0Q2b4kWq1vQh6i3T9A==\n") << outlook;
        QTest::newRow("thread-index of a reply: first 22 bytes")
            << QByteArray("Thread-Index: AQHbRxk5cZ0m0Q2b4kWq1vQh6i3T9AECAwQF\n") << outlook;
        QTest::newRow("thread-index folded")
            << QByteArray("thread-index: AQHbRxk5cZ0m0Q2b4kWq\n 1vQh6i3T9A==\n") << outlook;
        QTest::newRow("thread-index wins over x-gm-thrid")
            << QByteArray("X-GM-THRID: 1772543210987654321\n"
                          "Thread-Index: AQHbRxk5cZ0m0Q2b4kWq1vQh6i3T9A==\n")
            << outlook;
        QTest::newRow("x-conversation-id verbatim")
            << QByteArray("X-Conversation-Id: AAQkADAwATM0MDAAMS1iZjYy\n")
            << u"AAQkADAwATM0MDAAMS1iZjYy"_s;
        QTest::newRow("x-gm-thrid verbatim")
            << QByteArray("X-GM-THRID: 1772543210987654321\n") << u"1772543210987654321"_s;
        QTest::newRow("short thread-index ignored")
            << QByteArray("Thread-Index: AQHbRxk5cZ0m0Q==\n") << QString();
        QTest::newRow("garbage thread-index falls through")
            << QByteArray("Thread-Index: not base64 at all!!\nX-GM-THRID: 42\n") << u"42"_s;
        QTest::newRow("none") << QByteArray("Thread-Topic: no index\n") << QString();
    }
    void conversationId() {
        QFETCH(QByteArray, headers);
        QFETCH(QString, expected);
        const auto r = MailParser::parse(mail(headers));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->conversationId, expected);
    }

    // ---- auto-replies ---------------------------------------------------------------------------

    void autoReply_data() {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<MessageKind>("expected");
        const auto subject = [](const char* s) { return "Subject: " + QByteArray(s) + "\n"; };
        QTest::newRow("ordinary") << subject("Re: Offer") << MessageKind::Normal;
        QTest::newRow("auto-submitted auto-replied")
            << QByteArray("Auto-Submitted: auto-replied\n") << MessageKind::AutoReply;
        QTest::newRow("auto-submitted with comment")
            << QByteArray("Auto-Submitted: auto-generated (vacation)\n") << MessageKind::AutoReply;
        QTest::newRow("auto-submitted no")
            << QByteArray("Auto-Submitted: no\n") << MessageKind::Normal;
        QTest::newRow("auto-submitted NO, case")
            << QByteArray("auto-submitted: No\n") << MessageKind::Normal;
        QTest::newRow("x-autoreply") << QByteArray("X-Autoreply: yes\n") << MessageKind::AutoReply;
        QTest::newRow("x-autorespond")
            << QByteArray("X-Autorespond: Vacation\n") << MessageKind::AutoReply;
        QTest::newRow("x-auto-response")
            << QByteArray("X-Auto-Response: yes\n") << MessageKind::AutoReply;
        QTest::newRow("x-auto-response-suppress is a request")
            << QByteArray("X-Auto-Response-Suppress: All\n") << MessageKind::Normal;
        QTest::newRow("x-auto-response-suppress, OOF only")
            << QByteArray("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\n")
            << MessageKind::Normal;
        QTest::newRow("precedence auto_reply")
            << QByteArray("Precedence: auto_reply\n") << MessageKind::AutoReply;
        QTest::newRow("precedence bulk") << QByteArray("Precedence: bulk\n") << MessageKind::Normal;
        QTest::newRow("Automatic reply:")
            << subject("Automatic reply: Offer") << MessageKind::AutoReply;
        QTest::newRow("Auto:") << subject("Auto: Offer") << MessageKind::AutoReply;
        QTest::newRow("AutoReply") << subject("AutoReply: Offer") << MessageKind::AutoReply;
        QTest::newRow("Auto-Reply") << subject("Auto-Reply: away") << MessageKind::AutoReply;
        QTest::newRow("Out of Office") << subject("Out of Office: Offer") << MessageKind::AutoReply;
        QTest::newRow("out of the office, lower case")
            << subject("out of the office until Monday") << MessageKind::AutoReply;
        QTest::newRow("Abwesenheitsnotiz")
            << subject("Abwesenheitsnotiz: Angebot") << MessageKind::AutoReply;
        QTest::newRow("Automatische Antwort")
            << subject("Automatische Antwort: Angebot") << MessageKind::AutoReply;
        QTest::newRow("Réponse automatique, encoded")
            << subject("=?utf-8?q?R=C3=A9ponse_automatique=C2=A0:_Offre?=")
            << MessageKind::AutoReply;
        QTest::newRow("RÉPONSE AUTOMATIQUE, raw utf-8")
            << subject("R\xC3\x89PONSE AUTOMATIQUE: Offre") << MessageKind::AutoReply;
        QTest::newRow("Respuesta automática")
            << subject("=?iso-8859-1?q?Respuesta_autom=E1tica:_Oferta?=") << MessageKind::AutoReply;
        QTest::newRow("phrase not at the start")
            << subject("Re: Out of office plans") << MessageKind::Normal;
        QTest::newRow("Automatic is not Auto:")
            << subject("Automation report") << MessageKind::Normal;
    }
    void autoReply() {
        QFETCH(QByteArray, headers);
        QFETCH(MessageKind, expected);
        const auto r = MailParser::parse(mail(headers));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->kind, expected);
        QVERIFY(r->bouncedMessageId.isEmpty());
    }

    // ---- bounces --------------------------------------------------------------------------------

    void bounces_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<MessageKind>("kind");
        QTest::addColumn<QString>("bouncedId");
        QTest::addColumn<QStringList>("bouncedRecipients");

        // A DSN with the original's headers attached as text/rfc822-headers; CRLF, quoted
        // boundary on a folded line, Auto-Submitted present (bounce is checked first).
        QTest::newRow("postfix, text/rfc822-headers")
            << fixture("bounce-postfix.eml") << MessageKind::Bounce << u"Offer-2@company.example"_s
            << QStringList{u"client2@customer.example"_s};
        // Unquoted boundary, preamble, a near-miss delimiter, nested multipart/alternative,
        // two recipients of which only one failed, message/rfc822 with its own multipart.
        QTest::newRow("exchange, message/rfc822")
            << fixture("bounce-exchange.eml") << MessageKind::Bounce
            << u"Quarterly.2026Q3@company.example"_s
            << QStringList{u"wrong.person@customer.example"_s};
        // No delivery-status part: a daemon's notice with a failure subject, the original's
        // headers base64-encoded, recipients from X-Failed-Recipients.
        QTest::newRow("exim, X-Failed-Recipients")
            << fixture("bounce-exim.eml") << MessageKind::Bounce << u"Invoice.77@company.example"_s
            << QStringList{u"gone@customer.example"_s, u"other@customer.example"_s};
        // Nothing attached: the report's own In-Reply-To names the original.
        QTest::newRow("no attached headers: In-Reply-To")
            << fixture("dsn-without-headers.eml") << MessageKind::Bounce
            << u"Sent.9@company.example"_s << QStringList{u"nobody@customer.example"_s};
        QByteArray referencesOnly = fixture("dsn-without-headers.eml");
        referencesOnly.replace("In-Reply-To: <Sent.9@Company.Example>\n", "");
        QTest::newRow("no attached headers: last of References")
            << referencesOnly << MessageKind::Bounce << u"Sent.9@company.example"_s
            << QStringList{u"nobody@customer.example"_s};

        // A line that merely starts with the boundary does not end the part.
        QTest::newRow("longer boundary inside a part")
            << QByteArray("Message-ID: <p@mx.example>\nFrom: postmaster@mx.example\n"
                          "Content-Type: multipart/report; report-type=delivery-status;"
                          " boundary=abc\n\n"
                          "--abc\nContent-Type: message/delivery-status\n\n"
                          "Final-Recipient: rfc822; one@x.example\nAction: failed\n\n"
                          "--abcd\n\n"
                          "Final-Recipient: rfc822; two@x.example\nAction: failed\n"
                          "--abc--\n")
            << MessageKind::Bounce << QString()
            << QStringList{u"one@x.example"_s, u"two@x.example"_s};

        // Only "delayed": not a bounce, and nothing marks it automatic.
        QTest::newRow("delayed DSN")
            << fixture("dsn-delayed.eml") << MessageKind::Normal << QString() << QStringList();
        QByteArray delayedAuto = fixture("dsn-delayed.eml");
        delayedAuto.replace("MIME-Version:", "Auto-Submitted: auto-replied\nMIME-Version:");
        QTest::newRow("delayed DSN marked auto-submitted")
            << delayedAuto << MessageKind::AutoReply << QString() << QStringList();
        QByteArray relayed = fixture("bounce-postfix.eml");
        relayed.replace("Action: failed", "Action: relayed");
        QTest::newRow("relayed DSN")
            << relayed << MessageKind::AutoReply << QString() << QStringList();
        QByteArray failedUpper = fixture("dsn-delayed.eml");
        failedUpper.replace("Action: delayed", "ACTION: FAILED");
        QTest::newRow("action case-insensitive")
            << failedUpper << MessageKind::Bounce << u"offer-3@company.example"_s
            << QStringList{u"client3@customer.example"_s};
        QByteArray mixedReport = fixture("bounce-postfix.eml");
        mixedReport.replace("report-type=delivery-status", "report-type=disposition-notification");
        QTest::newRow("other report type")
            << mixedReport << MessageKind::Bounce << u"Offer-2@company.example"_s << QStringList();

        // A person's mail with a bounce-like subject and an attached message is not a bounce.
        QByteArray human = fixture("bounce-exim.eml");
        human.replace("From: Mail Delivery System <Mailer-Daemon@mx.company.example>",
                      "From: Someone <someone@company.example>");
        human.replace("Auto-Submitted: auto-replied\n", "");
        QTest::newRow("not from the mail system")
            << human << MessageKind::Normal << QString() << QStringList();
        QByteArray noAttachment = fixture("bounce-exim.eml");
        noAttachment.replace("text/rfc822-headers", "text/plain");
        noAttachment.replace("Auto-Submitted: auto-replied\n", "");
        QTest::newRow("daemon notice without the original")
            << noAttachment << MessageKind::Normal << QString() << QStringList();
        QByteArray otherSubject = fixture("bounce-exim.eml");
        otherSubject.replace("Mail delivery failed: returning message to sender",
                             "Your mailbox is almost full");
        QTest::newRow("daemon notice with another subject")
            << otherSubject << MessageKind::AutoReply << QString() << QStringList();
    }
    void bounces() {
        QFETCH(QByteArray, raw);
        QFETCH(MessageKind, kind);
        QFETCH(QString, bouncedId);
        QFETCH(QStringList, bouncedRecipients);
        const auto r = MailParser::parse(raw);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->kind, kind);
        QCOMPARE(r->bouncedMessageId, bouncedId);
        QCOMPARE(r->bouncedRecipients, bouncedRecipients);
    }

    void bounceKeepsItsOwnFields() {
        const auto r = MailParser::parse(fixture("bounce-postfix.eml"));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->messageId, u"20261102091005.7A1B2C0042@mx.company.example"_s);
        QCOMPARE(r->sender, u"mailer-daemon@mx.company.example"_s);
        QCOMPARE(r->senderName, u"Mail Delivery System"_s);
        QCOMPARE(r->subject, u"Undelivered Mail Returned to Sender"_s);
        QCOMPARE(r->recipients, QStringList{u"me@company.example"_s});
        QCOMPARE(r->sentAt, utc(2026, 11, 2, 9, 10, 5));
        QVERIFY(r->inReplyTo.isEmpty());
    }

    // ---- refusals and garbage -------------------------------------------------------------------

    void refusesMalformed_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty") << QByteArray() << u"empty message"_s;
        QTest::newRow("only line breaks") << QByteArray("\r\n\r\n \n") << u"empty message"_s;
        QTest::newRow("no Message-ID") << QByteArray("From: a@b.example\nSubject: x\n\nbody\n")
                                       << u"missing Message-ID header"_s;
        QTest::newRow("empty Message-ID")
            << QByteArray("Message-ID:\nFrom: a@b.example\n\n") << u"missing Message-ID header"_s;
        QTest::newRow("Message-ID of empty brackets")
            << QByteArray("Message-ID: <>\nFrom: a@b.example\n\n")
            << u"missing Message-ID header"_s;
        QTest::newRow("Message-ID only in the body")
            << QByteArray("From: a@b.example\n\nMessage-ID: <x@y.example>\n")
            << u"missing Message-ID header"_s;
        QTest::newRow("no From") << QByteArray("Message-ID: <x@y.example>\nTo: a@b.example\n\n")
                                 << u"missing From address"_s;
        QTest::newRow("From without an address")
            << QByteArray("Message-ID: <x@y.example>\nFrom: Undisclosed sender\n\n")
            << u"missing From address"_s;
        QTest::newRow("From as an empty group")
            << QByteArray("Message-ID: <x@y.example>\nFrom: undisclosed-recipients:;\n\n")
            << u"missing From address"_s;
        QTest::newRow("From without a domain")
            << QByteArray("Message-ID: <x@y.example>\nFrom: <MAILER-DAEMON>\n\n")
            << u"missing From address"_s;
        QTest::newRow("plain text")
            << QByteArray("hello world\nthis is no mail\n") << u"no header section"_s;
        QTest::newRow("body only") << QByteArray("\nMessage-ID: <x@y.example>\nFrom: a@b.example\n")
                                   << u"no header section"_s;
        QTest::newRow("starts with a continuation")
            << QByteArray(" Message-ID: <x@y.example>\nFrom: a@b.example\n\n")
            << u"no header section"_s;
        QTest::newRow("mbox separator only")
            << QByteArray("From a@b.example Mon Nov  2 2026\n") << u"no header section"_s;
    }
    void refusesMalformed() {
        QFETCH(QByteArray, raw);
        QFETCH(QString, reason);
        const auto r = MailParser::parse(raw);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::ParseError);
        QVERIFY2(r.error().message.contains(reason), qPrintable(r.error().message));
    }

    void envelopeLineIsSkipped() {
        const auto r = MailParser::parse(
            "From a@b.example Mon Nov  2 09:00:00 2026\nMessage-ID: <e@b.example>\n"
            "From: a@b.example\n\nbody\n");
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->messageId, u"e@b.example"_s);
        // "From :" with a space is an obsolete-syntax header field, not an envelope line.
        const auto obsolete =
            MailParser::parse("From : Obs <obs@b.example>\nMessage-ID: <o@b.example>\n\n");
        QVERIFY2(obsolete.ok(), obsolete.ok() ? "" : qPrintable(obsolete.error().message));
        QCOMPARE(obsolete->sender, u"obs@b.example"_s);
    }

    void garbageDoesNotCrash_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("parses");
        QTest::addColumn<MessageKind>("kind");

        QByteArray random(64 * 1024, Qt::Uninitialized);
        QRandomGenerator gen(20261102);
        for (char& c : random) {
            c = static_cast<char>(gen.bounded(256));
        }
        QTest::newRow("random bytes") << random << false << MessageKind::Normal;
        QTest::newRow("random body") << mail({}, random) << true << MessageKind::Normal;
        QTest::newRow("random header values")
            << mail("Subject: " + random.left(4000).replace('\n', ' ') +
                    "\nTo: " + random.mid(4000, 4000).replace('\n', ' ') + "\n")
            << true << MessageKind::Normal;
        static const char kBinary[] = "Subject: a\0b\xff\xfe=?utf-8?B?\xff\x00?=\n"
                                      "To: \x01\x02<\xc3\x28@x.example>\n";
        QTest::newRow("NUL and high bytes in headers")
            << mail(QByteArray(kBinary, sizeof(kBinary) - 1)) << true << MessageKind::Normal;

        const QByteArray mega = repeated("abcdefghij", 1024 * 1024);
        QTest::newRow("1 MB subject line")
            << mail("Subject: " + mega + "\n") << true << MessageKind::Normal;
        QTest::newRow("1 MB last header, no line break")
            << QByteArray("Message-ID: <m@x.example>\nFrom: a@x.example\nX-Long: " + mega) << true
            << MessageKind::Normal;
        QTest::newRow("1 MB line without a colon") << mega << false << MessageKind::Normal;
        QTest::newRow("1 MB of angle brackets")
            << mail("References: " + repeated("<", 1024 * 1024) +
                    "\nIn-Reply-To: " + repeated("<a@b>", 1024 * 1024) + "\n")
            << true << MessageKind::Normal;
        QTest::newRow("1 MB To list")
            << mail("To: " + repeated("\"x, y\" <a@b.example>, ", 1 << 20) + "\n") << true
            << MessageKind::Normal;
        QTest::newRow("unterminated encoded words")
            << mail("Subject: " + repeated("=?utf-8?q?", 512 * 1024) + "\n") << true
            << MessageKind::Normal;
        QTest::newRow("encoded-word fragments")
            << mail("Subject: " + repeated("=?=?b?=?", 512 * 1024) + "\n") << true
            << MessageKind::Normal;
        QTest::newRow("many unknown charsets")
            << mail("Subject: " + repeated("=?x-none?q?a?= ", 512 * 1024) + "\n") << true
            << MessageKind::Normal;
        QTest::newRow("100k header fields")
            << mail(repeated("X-Filler: value\n", 1600 * 1024)) << true << MessageKind::Normal;
        QTest::newRow("lone CRs are not line breaks")
            << QByteArray("Message-ID: <x@y.example>\rFrom: a@y.example\r\rbody") << false
            << MessageKind::Normal;

        const QByteArray report =
            "Message-ID: <u@mx.example>\nFrom: MAILER-DAEMON@mx.example\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n";
        QTest::newRow("unterminated multipart")
            << report + "--b\nContent-Type: message/delivery-status\n\n"
                        "Final-Recipient: rfc822; x@y.example\nAction: failed\n"
            << true << MessageKind::Bounce;
        QTest::newRow("multipart without delimiters")
            << report + random << true << MessageKind::Normal;
        QTest::newRow("multipart without boundary")
            << QByteArray("Message-ID: <u@mx.example>\nFrom: MAILER-DAEMON@mx.example\n"
                          "Content-Type: multipart/report; report-type=delivery-status\n\n"
                          "--\n--\n")
            << true << MessageKind::Normal;
        QTest::newRow("empty parts")
            << report + repeated("--b\n", 200000) << true << MessageKind::Normal;
        QByteArray nested = report;
        for (int i = 0; i < 2000; ++i) {
            nested += "--b" + QByteArray::number(i) +
                      "\nContent-Type: multipart/mixed; boundary=b" + QByteArray::number(i + 1) +
                      "\n\n";
        }
        nested.replace("boundary=\"b\"", "boundary=b0");
        QTest::newRow("deeply nested multiparts") << nested << true << MessageKind::Normal;
        QTest::newRow("base64 garbage in a status part")
            << report +
                   "--b\nContent-Type: message/delivery-status\n"
                   "Content-Transfer-Encoding: base64\n\n" +
                   random.left(2000) + "\n--b--\n"
            << true << MessageKind::Normal;
    }
    void garbageDoesNotCrash() {
        QFETCH(QByteArray, raw);
        QFETCH(bool, parses);
        QFETCH(MessageKind, kind);
        const auto r = MailParser::parse(raw);
        QCOMPARE(r.ok(), parses);
        if (r.ok()) {
            QVERIFY(!r->messageId.isEmpty());
            QVERIFY(!r->sender.isEmpty());
            QCOMPARE(r->kind, kind);
        } else {
            QCOMPARE(r.error().code, ErrorCode::ParseError);
            QVERIFY(!r.error().message.isEmpty());
        }
    }

    // Long ids get one bounded, stable form: the same for the same id, different for ids that
    // differ only past the kept prefix, never splitting a surrogate pair, and idempotent.
    void longIdsAreBounded() {
        const QString base = QString(3000, u'a');
        const QString a = MailParser::storageId(base + u"@x.example"_s);
        const QString b = MailParser::storageId(base + u"b@x.example"_s);
        QVERIFY(a.size() <= MailParser::kMaxIdLength);
        QVERIFY(a != b);
        QCOMPARE(MailParser::storageId(base + u"@x.example"_s), a);
        QCOMPARE(MailParser::storageId(a), a);
        QCOMPARE(MailParser::normalizeMessageId(a), a);
        QVERIFY(a.startsWith(QString(MailParser::kIdPrefixLength, u'a') + u"~sha256:"_s));
        const QString exact(MailParser::kMaxIdLength, u'z');
        QCOMPARE(MailParser::storageId(exact), exact);
        // A surrogate pair across the cut stays whole.
        const QString astral =
            QString(MailParser::kIdPrefixLength - 1, u'a') + u"😀"_s + QString(600, u'b');
        const QString cut = MailParser::storageId(astral);
        QVERIFY(!cut.at(MailParser::kIdPrefixLength - 2).isHighSurrogate());
        QVERIFY(!cut.at(MailParser::kIdPrefixLength - 1).isHighSurrogate());
        QVERIFY(cut.contains(u"~sha256:"_s));
        // And parse() applies it to every id it reads.
        const QByteArray longId = "<" + repeated("x", 3000) + "@company.example>";
        const auto r = MailParser::parse("Message-ID: " + longId +
                                         "\nFrom: a@b.example\nIn-Reply-To: " + longId +
                                         "\nReferences: " + longId + "\n\nBody\n");
        QVERIFY(r.ok());
        QVERIFY(r->messageId.size() <= MailParser::kMaxIdLength);
        QCOMPARE(r->inReplyTo, QStringList{r->messageId});
        QCOMPARE(r->references, QStringList{r->messageId});
    }

    // Defect: NUL in header values reached storage, which dropped it silently (merging distinct
    // values); storage now refuses it, so the parser removes it from every header value.
    void nulInHeadersIsRemoved() {
        QByteArray raw("Message-ID: <t.#1@test.example>\nFrom: \"Sen#der\" <sen#der@test.example>\n"
                       "Subject: Off#er\nTo: Bo#b <b#ob@customer.example>\n"
                       "X-Conversation-ID: co#nv\nReferences: <p#q@x> <pq@x>\n\nBody\n");
        raw.replace('#', '\0');
        const auto r = MailParser::parse(raw);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        for (const QString& text : {r->subject, r->sender, r->senderName, r->conversationId}) {
            QVERIFY2(!text.contains(QChar(0)), qPrintable(text));
        }
        QCOMPARE(r->messageId, u"t.1@test.example"_s);
        QCOMPARE(r->subject, u"Offer"_s);
        QCOMPARE(r->conversationId, u"conv"_s);
        QCOMPARE(r->references, QStringList{u"pq@x"_s});
        for (const QString& to : r->recipients) {
            QVERIFY(!to.contains(QChar(0)));
        }
    }

    void hugeSubjectSurvivesIntact() {
        const QByteArray mega = repeated("abcdefghij", 1024 * 1024);
        const auto r = MailParser::parse(mail("Subject: " + mega + "\n"));
        QVERIFY(r.ok());
        QCOMPARE(r->subject.size(), mega.size());
        QCOMPARE(MailParser::normalizeSubject(r->subject).size(), mega.size());
    }
};

QTEST_GUILESS_MAIN(TestMailParser)
#include "tst_mail_parser.moc"
