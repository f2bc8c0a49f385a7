// SPDX-License-Identifier: MIT
// Tracked-email search on both dialects: every filter against a model of the seeded rows,
// paging that returns every row exactly once in a stable order, and one email's timeline.
#include "tracking/email_search.h"

#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QSet>
#include <QTest>

#include <algorithm>
#include <functional>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
constexpr int kRows = 450;

// What the seed inserts, kept here to compute what each search must return.
struct Seeded {
    qint64 id = 0;
    QString account;
    QString recipients;
    QString subject;
    QDateTime sentAt;
    QString status;
};

QString accountOf(int i) {
    return i % 3 == 0 ? u"bob@company.example"_s : u"alice@company.example"_s;
}

QString statusOf(int i) {
    static const QStringList statuses = {u"active"_s, u"replied"_s, u"bounced"_s, u"expired"_s,
                                         u"active"_s};
    return statuses[i % 5];
}

QString subjectOf(int i) {
    switch (i % 3) {
    case 0:
        return u"Quarterly invoice %1"_s.arg(i);
    case 1:
        return u"Meeting notes %1"_s.arg(i);
    default:
        return u"Offer 50%_off %1"_s.arg(i);
    }
}

QString recipientsOf(int i) {
    return i % 10 == 0 ? u"Carol.Customer@client.example, dave@client.example"_s
                       : u"user%1@shop.example"_s.arg(i);
}

QString methodOf(int i) {
    static const QStringList methods = {u"in_reply_to"_s, u"references"_s, u"conversation"_s};
    return methods[(i / 5) % 3];
}

// kRows emails: two share each minute (ties broken by id), statuses in turn, replies half an
// hour after sending, other endings a day after. Returns the rows newest first.
QList<Seeded> seed(Database& db) {
    QList<Seeded> rows;
    const QString now = TrackedEmailRepository::timeValue(kT0);
    for (const QString& account : {u"alice@company.example"_s, u"bob@company.example"_s}) {
        if (!db.exec(u"INSERT INTO accounts (email_address, display_name, created_at) "
                     u"VALUES (?, '', ?)"_s,
                     {account, now})) {
            return {};
        }
    }
    for (int i = 0; i < kRows; ++i) {
        const QDateTime sent = kT0.addSecs(60 * (i / 2));
        const QString status = statusOf(i);
        const bool replied = status == u"replied";
        const QString sentText = TrackedEmailRepository::timeValue(sent);
        const QString changed =
            status == u"active"
                ? QString()
                : TrackedEmailRepository::timeValue(replied ? sent.addSecs(1800) : sent.addDays(1));
        auto q = db.exec(
            u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
            u"conversation_id, in_reply_to, references_ids, subject, subject_normalized, sender, "
            u"recipients, sent_at, tracking_status, response_count, reply_message_id, "
            u"replied_at, reply_sender, match_method, status_changed_at, created_at, updated_at) "
            u"SELECT id, ?, ?, ?, ?, ?, ?, email_address, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            u"FROM accounts WHERE email_address = ? RETURNING id"_s,
            {u"m%1@company.example"_s.arg(i), u"conv-%1"_s.arg(i / 4),
             i > 0 ? u"<m%1@company.example>"_s.arg(i - 1) : QString(),
             i > 1 ? u"<m%1@company.example> <m%2@company.example>"_s.arg(i - 2).arg(i - 1)
                   : QString(),
             subjectOf(i), subjectOf(i), recipientsOf(i), sentText, status, replied ? 2 : 0,
             replied ? u"r%1@client.example"_s.arg(i) : QString(), replied ? changed : QString(),
             replied ? u"dave@client.example"_s : QString(), replied ? methodOf(i) : QString(),
             changed, now, now, accountOf(i)});
        if (!q || !q->next()) {
            qWarning("seed failed: %s", q ? "no id" : qPrintable(q.error().message));
            return {};
        }
        rows.append(
            {q->value(0).toLongLong(), accountOf(i), recipientsOf(i), subjectOf(i), sent, status});
    }
    std::sort(rows.begin(), rows.end(), [](const Seeded& a, const Seeded& b) {
        return a.sentAt != b.sentAt ? a.sentAt > b.sentAt : a.id > b.id;
    });
    return rows;
}

// Every page of a search, checking each page's order and cursor on the way.
QList<qint64> allPages(EmailSearch& search, const EmailSearchFilter& filter, int limit,
                       int* pages = nullptr) {
    QList<qint64> ids;
    std::optional<EmailSearchCursor> cursor;
    for (int n = 1; n < 10000; ++n) {
        auto page = search.page(filter, cursor, limit);
        if (!page) {
            qWarning("search failed: %s", qPrintable(page.error().message));
            return {-1};
        }
        if (page->rows.size() > limit || (page->next && page->rows.size() != limit)) {
            qWarning("page %d has %lld rows", n, static_cast<long long>(page->rows.size()));
            return {-1};
        }
        for (const EmailSearchRow& r : page->rows) {
            ids << r.id;
        }
        if (!page->next) {
            if (pages) {
                *pages = n;
            }
            return ids;
        }
        if (page->next->id != page->rows.constLast().id) {
            qWarning("the cursor is not the page's last row");
            return {-1};
        }
        cursor = page->next;
    }
    return {-1};
}

QList<qint64> expected(const QList<Seeded>& rows, const std::function<bool(const Seeded&)>& keep) {
    QList<qint64> ids;
    for (const Seeded& r : rows) {
        if (keep(r)) {
            ids << r.id;
        }
    }
    return ids;
}

EmailSearchFilter with(const std::function<void(EmailSearchFilter&)>& set) {
    EmailSearchFilter filter;
    set(filter);
    return filter;
}

} // namespace

class TestEmailSearch : public QObject {
    Q_OBJECT
private slots:
    void pagingReturnsEveryRowOnce_data() { test::addDialectRows(); }
    void pagingReturnsEveryRowOnce() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        const QList<Seeded> rows = seed(*db);
        QCOMPARE(rows.size(), kRows);
        EmailSearch search(*db);
        // The default page size, and a small odd one that splits pairs of equal times.
        for (const int limit : {EmailSearch::kPageSize, 7}) {
            int pages = 0;
            const QList<qint64> ids = allPages(search, {}, limit, &pages);
            QCOMPARE(ids, expected(rows, [](const Seeded&) { return true; }));
            QCOMPARE(QSet<qint64>(ids.cbegin(), ids.cend()).size(), kRows);
            QCOMPARE(pages, (kRows + limit - 1) / limit);
        }
        // Exactly a page of rows: no empty page after it.
        auto exact = search.page({}, std::nullopt, kRows);
        QVERIFY(exact);
        QCOMPARE(exact->rows.size(), kRows);
        QVERIFY(!exact->next);
    }

    void postgresCursorKeepsMicroseconds() {
        // PostgreSQL keeps microseconds: rows a few microseconds apart must not be skipped
        // between pages.
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY(db->exec(u"INSERT INTO accounts (email_address) VALUES ('a@company.example')"_s));
        QVERIFY(db->exec(u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                         u"sender, sent_at) SELECT 1, 'm' || g, 'a@company.example', "
                         u"TIMESTAMPTZ '2026-11-02 09:00:00.000+00' + g * INTERVAL '1 "
                         u"microsecond' FROM generate_series(1, 9) g"_s));
        EmailSearch search(*db);
        const QList<qint64> ids = allPages(search, {}, 2);
        QCOMPARE(ids, (QList<qint64>{9, 8, 7, 6, 5, 4, 3, 2, 1}));
    }

    void filters_data() { test::addDialectRows(); }
    void filters() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        const QList<Seeded> rows = seed(*db);
        QCOMPARE(rows.size(), kRows);
        EmailSearch search(*db);
        const QDateTime from = kT0.addSecs(60 * 30);
        const QDateTime until = kT0.addSecs(60 * 90);
        struct Case {
            const char* name;
            EmailSearchFilter filter;
            std::function<bool(const Seeded&)> keep;
        };
        const QList<Case> cases = {
            {"account, any case",
             with([&](EmailSearchFilter& f) { f.account = u" BOB@Company.example "_s; }),
             [](const Seeded& r) { return r.account == u"bob@company.example"; }},
            {"unknown account",
             with([&](EmailSearchFilter& f) { f.account = u"nobody@company.example"_s; }),
             [](auto&) { return false; }},
            {"recipient part, any case",
             with([&](EmailSearchFilter& f) { f.recipient = u"carol.CUSTOMER@"_s; }),
             [](const Seeded& r) { return r.recipients.contains(u"Carol.Customer@"); }},
            {"recipient, one address",
             with([&](EmailSearchFilter& f) { f.recipient = u"user17@shop.example"_s; }),
             [](const Seeded& r) { return r.recipients == u"user17@shop.example"; }},
            {"sender part", with([&](EmailSearchFilter& f) { f.sender = u"alice@"_s; }),
             [](const Seeded& r) { return r.account == u"alice@company.example"; }},
            {"subject words in any order",
             with([&](EmailSearchFilter& f) { f.subject = u"  INVOICE   quarterly "_s; }),
             [](const Seeded& r) { return r.subject.startsWith(u"Quarterly invoice"); }},
            {"subject wildcards are literal",
             with([&](EmailSearchFilter& f) { f.subject = u"50%_off"_s; }),
             [](const Seeded& r) { return r.subject.contains(u"50%_off"); }},
            {"subject wildcard alone", with([&](EmailSearchFilter& f) { f.subject = u"_"_s; }),
             [](const Seeded& r) { return r.subject.contains(u'_'); }},
            {"subject without a match",
             with([&](EmailSearchFilter& f) { f.subject = u"invoice meeting"_s; }),
             [](auto&) { return false; }},
            {"status", with([&](EmailSearchFilter& f) { f.status = u"bounced"_s; }),
             [](const Seeded& r) { return r.status == u"bounced"; }},
            {"date range", with([&](EmailSearchFilter& f) {
                 f.from = from;
                 f.until = until;
             }),
             [&](const Seeded& r) { return r.sentAt >= from && r.sentAt < until; }},
            {"everything together", with([&](EmailSearchFilter& f) {
                 f.account = u"alice@company.example"_s;
                 f.recipient = u"shop.example"_s;
                 f.sender = u"company"_s;
                 f.subject = u"offer"_s;
                 f.status = u"replied"_s;
                 f.from = from;
                 f.until = until.addDays(10);
             }),
             [&](const Seeded& r) {
                 return r.account == u"alice@company.example" &&
                        r.recipients.contains(u"shop.example") && r.subject.startsWith(u"Offer") &&
                        r.status == u"replied" && r.sentAt >= from;
             }},
        };
        for (const Case& c : cases) {
            const QList<qint64> want = expected(rows, c.keep);
            QCOMPARE_NE(want.size(), kRows); // every filter leaves something out
            const QList<qint64> got = allPages(search, c.filter, 50);
            QVERIFY2(got == want, qPrintable(u"%1: %2 rows, want %3"_s.arg(QLatin1String(c.name))
                                                 .arg(got.size())
                                                 .arg(want.size())));
        }
        // A row carries what the table shows.
        auto first = search.page(with([&](EmailSearchFilter& f) { f.status = u"replied"_s; }),
                                 std::nullopt, 1);
        QVERIFY(first);
        QCOMPARE(first->rows.size(), 1);
        const EmailSearchRow& r = first->rows.first();
        QCOMPARE(r.status, u"replied"_s);
        QCOMPARE(r.responseCount, 2);
        QCOMPARE(r.repliedAt, r.sentAt.addSecs(1800));
        QVERIFY(!r.matchMethod.isEmpty());
        QVERIFY(r.messageId.endsWith(u"@company.example"));
        QCOMPARE(r.sender, r.account);
    }

    void refusesBadFilters() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        EmailSearch search(*db);
        auto status = search.page(with([&](EmailSearchFilter& f) { f.status = u"lost"_s; }));
        QVERIFY(!status);
        QCOMPARE(status.error().code, ErrorCode::InvalidArgument);
        auto range = search.page(with([&](EmailSearchFilter& f) {
            f.from = kT0;
            f.until = kT0;
        }));
        QVERIFY(!range);
        QCOMPARE(range.error().code, ErrorCode::InvalidArgument);
        auto size = search.page({}, std::nullopt, 0);
        QVERIFY(!size);
        QCOMPARE(size.error().code, ErrorCode::InvalidArgument);
        auto missing = search.detail(12345);
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
    }

    void timeline_data() { test::addDialectRows(); }
    void timeline() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        const QList<Seeded> rows = seed(*db);
        QCOMPARE(rows.size(), kRows);
        EmailSearch search(*db);
        QHash<QString, qint64> byStatus; // the newest email of each status
        for (const Seeded& r : rows) {
            if (!byStatus.contains(r.status)) {
                byStatus.insert(r.status, r.id);
            }
        }

        auto replied = search.detail(byStatus.value(u"replied"_s));
        QVERIFY2(replied, qPrintable(replied ? QString() : replied.error().message));
        const EmailDetail& d = *replied;
        QCOMPARE(d.timeline.size(), 2);
        QCOMPARE(d.timeline[0].kind, TimelineEventKind::Sent);
        QCOMPARE(d.timeline[0].at, d.email.sentAt);
        QCOMPARE(d.timeline[0].party, d.email.sender);
        QCOMPARE(d.timeline[0].messageId, d.email.messageId);
        QCOMPARE(d.timeline[1].kind, TimelineEventKind::Replied);
        QCOMPARE(d.timeline[1].at, d.email.sentAt.addSecs(1800));
        QCOMPARE(d.timeline[1].party, u"dave@client.example"_s);
        QVERIFY(EmailSearch::statuses().contains(d.email.status));
        QVERIFY(QStringList({u"in_reply_to"_s, u"references"_s, u"conversation"_s})
                    .contains(d.timeline[1].matchMethod));
        const int i = d.email.messageId.mid(1, d.email.messageId.indexOf(u'@') - 1).toInt();
        QCOMPARE(d.timeline[1].matchMethod, methodOf(i));
        QCOMPARE(d.timeline[1].messageId, u"r%1@client.example"_s.arg(i));
        QCOMPARE(d.replySender, u"dave@client.example"_s);
        QCOMPARE(d.conversationId, u"conv-%1"_s.arg(i / 4));
        QCOMPARE(d.inReplyTo, QStringList{u"<m%1@company.example>"_s.arg(i - 1)});
        QCOMPARE(d.references.size(), 2);

        for (const auto& [status, kind] : {std::pair{u"bounced"_s, TimelineEventKind::Bounced},
                                           std::pair{u"expired"_s, TimelineEventKind::Expired}}) {
            auto ended = search.detail(byStatus.value(status));
            QVERIFY(ended);
            QCOMPARE(ended->timeline.size(), 2);
            QCOMPARE(ended->timeline[0].kind, TimelineEventKind::Sent);
            QCOMPARE(ended->timeline[1].kind, kind);
            QCOMPARE(ended->timeline[1].at, ended->email.sentAt.addDays(1));
        }
        auto active = search.detail(byStatus.value(u"active"_s));
        QVERIFY(active);
        QCOMPARE(active->timeline.size(), 1);
        QCOMPARE(active->timeline[0].kind, TimelineEventKind::Sent);

        auto accounts = search.accounts();
        QVERIFY(accounts);
        QCOMPARE(*accounts, (QStringList{u"alice@company.example"_s, u"bob@company.example"_s}));
    }
};

QTEST_GUILESS_MAIN(TestEmailSearch)
#include "tst_email_search.moc"
