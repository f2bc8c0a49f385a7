// SPDX-License-Identifier: MIT
// The Analytics page draws the hourly rollup: known emails in, known points out, for every
// account together and for one account chosen as a person would.
#include "analytics/analytics_page.h"
#include "shell/theme.h"
#include "storage/database_worker.h"
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace trackwatch::ui;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);

struct Email {
    int account;      // 1 alice, 2 bob
    int hour;         // after kT0
    int minute;       // into the hour
    QString status;   // tracking status
    int replyMinutes; // minutes from sent to reply, for replied
};

// Hour 0: alice 4 (replies after 10 and 30 min, a bounce, one waiting), bob 2 (one reply after
// 20 min); hour 1: alice 1 waiting; hour 2: nothing; hour 3: bob 3, replied after 5, 15, 25 min.
const QList<Email> kEmails = {
    {1, 0, 1, u"replied"_s, 10},  {1, 0, 2, u"replied"_s, 30}, {1, 0, 3, u"bounced"_s, 0},
    {1, 0, 4, u"active"_s, 0},    {2, 0, 5, u"replied"_s, 20}, {2, 0, 6, u"active"_s, 0},
    {1, 1, 7, u"active"_s, 0},    {2, 3, 8, u"replied"_s, 5},  {2, 3, 9, u"replied"_s, 15},
    {2, 3, 10, u"replied"_s, 25},
};

bool seed(Database& db) {
    const QString now = TrackedEmailRepository::timeValue(kT0.addDays(1));
    for (const QString& address : {u"alice@company.example"_s, u"bob@company.example"_s}) {
        if (!db.exec(u"INSERT INTO accounts (email_address, created_at) VALUES (?, ?)"_s,
                     {address, now})) {
            return false;
        }
    }
    int n = 0;
    for (const Email& e : kEmails) {
        const QDateTime sent = kT0.addSecs(3600 * e.hour + 60 * e.minute);
        const bool replied = e.status == u"replied";
        const QString repliedAt =
            replied ? TrackedEmailRepository::timeValue(sent.addSecs(60 * e.replyMinutes))
                    : QString();
        if (!db.exec(u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                     u"sender, sent_at, tracking_status, replied_at, created_at, updated_at) "
                     u"VALUES (?, ?, 'someone@company.example', ?, ?, ?, ?, ?)"_s,
                     {e.account, u"m%1@company.example"_s.arg(++n),
                      TrackedEmailRepository::timeValue(sent), e.status, repliedAt, now, now})) {
            return false;
        }
    }
    return TrackedEmailRepository(db).refreshAnalytics(kT0.addDays(1)).ok();
}

QList<QPointF> points(double h0, const QList<QPair<int, double>>& values) {
    QList<QPointF> out;
    for (const auto& [hour, value] : values) {
        out << QPointF(h0 + 3600000.0 * hour, value);
    }
    return out;
}

} // namespace

class TestAnalyticsPage : public QObject {
    Q_OBJECT
private slots:
    void seriesShowTheRollup_data() { test::addDialectRows(); }
    void seriesShowTheRollup() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        {
            auto db = tdb.openMigrated();
            QVERIFY(db);
            QVERIFY(seed(*db));
        }
        DatabaseWorker worker(tdb.spec());
        auto page = std::make_unique<AnalyticsPage>(&worker);
        QSignalSpy loaded(page.get(), &AnalyticsPage::loaded);
        page->resize(1200, 760);
        page->show();
        QVERIFY(QTest::qWaitForWindowExposed(page.get()));
        loaded.clear();
        page->setRange(kT0, kT0.addSecs(4 * 3600));
        QTRY_VERIFY(!loaded.isEmpty());
        QTRY_VERIFY(page->summaryText().startsWith(u"Sent 10"_s));

        const double h0 = static_cast<double>(kT0.toMSecsSinceEpoch());
        QCOMPARE(page->series(u"sentSeries"_s)->points(),
                 points(h0, {{0, 6}, {1, 1}, {2, 0}, {3, 3}}));
        QCOMPARE(page->series(u"repliedSeries"_s)->points(),
                 points(h0, {{0, 3}, {1, 0}, {2, 0}, {3, 3}}));
        QCOMPARE(page->series(u"bouncedSeries"_s)->points(),
                 points(h0, {{0, 1}, {1, 0}, {2, 0}, {3, 0}}));
        QCOMPARE(page->series(u"replyRateSeries"_s)->points(),
                 points(h0, {{0, 50}, {1, 0}, {3, 100}})); // no point where nothing was sent
        // Replies after 10, 20 and 30 minutes (hour 0), 5, 15 and 25 (hour 3):
        // percentile_cont gives the median and the P90 interpolated between ranks.
        QCOMPARE(page->series(u"medianReplySeries"_s)->points(), points(h0, {{0, 20}, {3, 15}}));
        QCOMPARE(page->series(u"p90ReplySeries"_s)->points(), points(h0, {{0, 28}, {3, 23}}));
        QVERIFY(page->summaryText().contains(u"(60.0%)"_s));

        // One account, typed as a person would.
        auto* account = page->findChild<QComboBox*>(u"analyticsAccount"_s);
        QVERIFY(account);
        loaded.clear();
        account->lineEdit()->clear();
        QTest::keyClicks(account->lineEdit(), u"alice@company.example"_s);
        QTest::keyClick(account->lineEdit(), Qt::Key_Return);
        QTRY_VERIFY(!loaded.isEmpty());
        QTRY_VERIFY(page->summaryText().startsWith(u"Sent 5"_s));
        QCOMPARE(page->series(u"sentSeries"_s)->points(),
                 points(h0, {{0, 4}, {1, 1}, {2, 0}, {3, 0}}));
        QCOMPARE(page->series(u"repliedSeries"_s)->points(),
                 points(h0, {{0, 2}, {1, 0}, {2, 0}, {3, 0}}));
        QCOMPARE(page->series(u"replyRateSeries"_s)->points(), points(h0, {{0, 50}, {1, 0}}));
        QCOMPARE(page->series(u"medianReplySeries"_s)->points(), points(h0, {{0, 20}}));
        QCOMPARE(page->series(u"p90ReplySeries"_s)->points(), points(h0, {{0, 28}}));

        // An account without mail: zeros, and it says so.
        loaded.clear();
        page->setAccount(u"nobody@company.example"_s);
        QTRY_VERIFY(!loaded.isEmpty());
        QCOMPARE(page->series(u"sentSeries"_s)->points(),
                 points(h0, {{0, 0}, {1, 0}, {2, 0}, {3, 0}}));
        QVERIFY(page->series(u"medianReplySeries"_s)->points().isEmpty());
        QCOMPARE(page->summaryText(), u"No email was sent in this range."_s);

        if (dialect == Dialect::Sqlite) {
            // Both palettes render; TRACKWATCH_SCREENSHOT_DIR keeps the PNGs.
            page->setAccount(QString());
            QTRY_VERIFY(page->summaryText().startsWith(u"Sent 10"_s));
            const QString dir = qEnvironmentVariable("TRACKWATCH_SCREENSHOT_DIR");
            for (const Theme theme : {Theme::Light, Theme::Dark}) {
                applyTheme(theme);
                QTRY_COMPARE(page->palette().color(QPalette::Window).lightness() < 128,
                             theme == Theme::Dark);
                const QImage image = page->grab().toImage();
                QVERIFY(!image.isNull());
                if (!dir.isEmpty()) {
                    QVERIFY(image.save(
                        QDir(dir).filePath(u"analytics-%1.png"_s.arg(themeName(theme)))));
                }
            }
        }
        page.reset();
    }
};

QTEST_MAIN(TestAnalyticsPage)
#include "tst_analytics_page.moc"
