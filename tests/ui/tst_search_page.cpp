// SPDX-License-Identifier: MIT
// The Search page as support staff use it: type a filter and press Search, scroll to page in
// more rows, click a row for its timeline, copy rows and export CSV. Real SQLite database,
// real database worker.
#include "search/search_page.h"
#include "search/search_results_model.h"
#include "shell/theme.h"
#include "storage/database_worker.h"
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace trackwatch::ui;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
constexpr int kRows = 700;
constexpr int kShopRows = 350; // even rows go to shop.example
const QString kTrickySubject = u"Re: \"Big, deal\"\nsecond line"_s;

// kRows emails of one account, one a minute; even ones to shop.example; every fourth replied
// by in_reply_to half an hour later. The last one has a subject that CSV must quote.
bool seed(Database& db) {
    const QString now = TrackedEmailRepository::timeValue(kT0);
    if (!db.exec(u"INSERT INTO accounts (id, email_address, created_at) VALUES "
                 u"(1, 'alice@company.example', ?)"_s,
                 {now})) {
        return false;
    }
    return db
        .transaction([&]() -> Status {
            for (int i = 0; i < kRows; ++i) {
                const QDateTime sent = kT0.addSecs(60 * i);
                const bool replied = i % 4 == 1;
                const QString subject = i == kRows - 1 ? kTrickySubject : u"Order %1"_s.arg(i);
                auto r = db.exec(
                    u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                    u"subject, subject_normalized, sender, recipients, sent_at, "
                    u"tracking_status, response_count, reply_message_id, replied_at, "
                    u"reply_sender, match_method, status_changed_at, created_at, updated_at) "
                    u"VALUES (1, ?, ?, ?, 'alice@company.example', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    u"?)"_s,
                    {u"m%1@company.example"_s.arg(i), subject, subject,
                     i % 2 == 0 ? u"buyer%1@shop.example"_s.arg(i)
                                : u"someone%1@other.example"_s.arg(i),
                     TrackedEmailRepository::timeValue(sent), replied ? u"replied"_s : u"active"_s,
                     replied ? 1 : 0, replied ? u"r%1@shop.example"_s.arg(i) : QString(),
                     replied ? TrackedEmailRepository::timeValue(sent.addSecs(1800)) : QString(),
                     replied ? u"buyer%1@shop.example"_s.arg(i) : QString(),
                     replied ? u"in_reply_to"_s : QString(),
                     replied ? TrackedEmailRepository::timeValue(sent.addSecs(1800)) : QString(),
                     now, now});
                if (!r) {
                    return r.error();
                }
            }
            return {};
        })
        .ok();
}

struct Fixture {
    test::TestDatabase tdb{Dialect::Sqlite};
    std::unique_ptr<DatabaseWorker> worker;
    std::unique_ptr<SearchPage> page;

    bool start() {
        auto db = tdb.openMigrated();
        if (!db || !seed(*db)) {
            return false;
        }
        worker = std::make_unique<DatabaseWorker>(tdb.spec());
        page = std::make_unique<SearchPage>(worker.get());
        page->resize(1280, 640);
        page->show();
        return QTest::qWaitForWindowExposed(page.get());
    }
    ~Fixture() {
        page.reset(); // before the worker it uses
        worker.reset();
    }
    template <typename T> T* find(const char* name) const {
        return page->findChild<T*>(QString::fromLatin1(name));
    }
    void type(const char* field, const QString& text) {
        auto* edit = find<QLineEdit>(field);
        QVERIFY(edit);
        edit->clear();
        QTest::keyClicks(edit, text);
    }
    void clickSearch() { QTest::mouseClick(find<QPushButton>("searchButton"), Qt::LeftButton); }
};

} // namespace

class TestSearchPage : public QObject {
    Q_OBJECT
private slots:
    void typingAFilterAndPressingSearchReturnsRows() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        f.type("recipientFilter", u"SHOP.example"_s);
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), 200); // one page, not everything
        QTRY_VERIFY(!model->isLoading());
        QCOMPARE(model->rowCount(), 200);
        QVERIFY(model->hasMore());
        QVERIFY(f.page->statusText().contains(u"200"_s));
        for (int i = 0; i < model->rowCount(); ++i) {
            QVERIFY(model->row(i).recipients.endsWith(u"@shop.example"));
        }
        // Newest first.
        QVERIFY(model->row(0).sentAt > model->row(199).sentAt);
        QCOMPARE(model->index(0, SearchResultsModel::Account).data().toString(),
                 u"alice@company.example"_s);

        // Enter in a field searches too.
        f.type("subjectFilter", u"Order 42"_s);
        QTest::keyClick(f.find<QLineEdit>("subjectFilter"), Qt::Key_Return);
        // Both words, anywhere: the even numbers holding "42" go to shop.example: 42, 142, 242,
        // 342, 420, 422, 424, 426, 428, 442, 542, 642.
        QTRY_COMPARE(model->rowCount(), 12);
        QTRY_VERIFY(!model->isLoading());
        QVERIFY(!model->hasMore());
        QVERIFY(f.page->statusText().contains(u"12"_s));
        for (int i = 0; i < model->rowCount(); ++i) {
            QVERIFY(model->row(i).subject.contains(u"42"_s));
        }
    }

    void modelPassesTheModelTester() {
        // The tester checks the model after every change and asks for more each time, so here
        // every page loads, each once.
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        model->setPageSize(100);
        QAbstractItemModelTester tester(model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        f.type("recipientFilter", u"shop.example"_s);
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), kShopRows);
        QTRY_VERIFY(!model->isLoading());
        QSet<qint64> ids;
        for (int i = 0; i < model->rowCount(); ++i) {
            ids.insert(model->index(i, 0).data(SearchResultsModel::IdRole).toLongLong());
        }
        QCOMPARE(ids.size(), kShopRows);
        f.type("recipientFilter", u"other.example"_s); // a reset, then pages again
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), kRows - kShopRows);
        QTRY_VERIFY(!model->isLoading());
        model->clear();
        QCOMPARE(model->rowCount(), 0);
    }

    void scrollingFetchesMorePages() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        model->setPageSize(100); // 350 rows: four pages
        f.type("recipientFilter", u"shop.example"_s);
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), 100);
        QScrollBar* bar = f.page->table()->verticalScrollBar();
        int loaded = 100;
        for (const int expected : {200, 300, kShopRows}) {
            QTRY_VERIFY(!model->isLoading());
            QCOMPARE(model->rowCount(), loaded); // nothing loads until the person scrolls
            loaded = expected;
            QVERIFY(bar->maximum() > 0);
            bar->setValue(bar->maximum()); // the person scrolls to the end
            QTRY_COMPARE(model->rowCount(), expected);
        }
        QTRY_VERIFY(!model->isLoading());
        QCOMPARE(model->rowCount(), kShopRows);
        QVERIFY(!model->hasMore());
        QVERIFY(!model->canFetchMore({}));
        QSet<qint64> ids;
        for (int i = 0; i < model->rowCount(); ++i) {
            ids.insert(model->row(i).id);
            if (i > 0) {
                QVERIFY(model->row(i - 1).sentAt > model->row(i).sentAt);
            }
        }
        QCOMPARE(ids.size(), kShopRows);
        QVERIFY(f.page->statusText().contains(u"350"_s));
    }

    void aNewSearchIgnoresThePreviousOne() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        QSignalSpy pages(model, &SearchResultsModel::pageLoaded);
        f.type("recipientFilter", u"shop.example"_s);
        f.clickSearch(); // still on its way when the next search starts
        f.type("recipientFilter", u"other.example"_s);
        f.clickSearch();
        QTRY_COMPARE(pages.size(), 1);
        QTRY_VERIFY(!model->isLoading());
        QCOMPARE(model->rowCount(), 200);
        for (int i = 0; i < model->rowCount(); ++i) {
            QVERIFY(model->row(i).recipients.endsWith(u"@other.example"));
        }
        QCOMPARE(model->generation(), quint64(2));
    }

    void clickingARowShowsItsTimeline() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        f.type("subjectFilter", u"Order 421"_s); // replied (421 % 4 == 1)
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), 1);
        QTableView* table = f.page->table();
        const QRect cell = table->visualRect(model->index(0, SearchResultsModel::Subject));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QTreeWidget* timeline = f.page->timeline();
        QTRY_COMPARE(timeline->topLevelItemCount(), 2);
        QCOMPARE(timeline->topLevelItem(0)->text(1), u"Sent"_s);
        QVERIFY(timeline->topLevelItem(0)->text(2).contains(u"buyer420"_s) == false);
        QVERIFY(timeline->topLevelItem(0)->text(2).contains(u"someone421@other.example"_s));
        QCOMPARE(timeline->topLevelItem(1)->text(1), u"Reply matched"_s);
        QVERIFY(timeline->topLevelItem(1)->text(2).contains(u"In-Reply-To"_s));
        QVERIFY(timeline->topLevelItem(1)->text(2).contains(u"buyer421@shop.example"_s));
        const QDateTime sent = kT0.addSecs(60 * 421);
        QCOMPARE(timeline->topLevelItem(1)->text(0),
                 sent.addSecs(1800).toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s));
        auto* title = f.find<QLabel>("detailTitle");
        QCOMPARE(title->text(), u"Order 421"_s);

        // A new search clears the pane.
        f.clickSearch();
        QTRY_COMPARE(timeline->topLevelItemCount(), 0);
    }

    void copiesTheSelectedRows() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        f.type("recipientFilter", u"shop.example"_s);
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), 200);
        QTableView* table = f.page->table();
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(model->index(0, 0)).center());
        QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::ShiftModifier,
                          table->visualRect(model->index(2, 0)).center());
        QApplication::clipboard()->clear();
        QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
        const QMimeData* mime = QApplication::clipboard()->mimeData();
        QVERIFY(mime);
        const QStringList lines = mime->text().split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].contains(model->row(0).messageId));
        QVERIFY(lines[2].contains(model->row(2).messageId));
        QVERIFY(lines[0].contains(u'\t'));
        const QString csv = QString::fromUtf8(mime->data(u"text/csv"_s));
        QCOMPARE(csv.count(u"\r\n"_s), 4); // header and three rows
    }

    void csvField_data() {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("field");
        QTest::newRow("plain") << u"Order 1"_s << u"Order 1"_s;
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("comma") << u"a, b"_s << u"\"a, b\""_s;
        QTest::newRow("quote") << u"say \"hi\""_s << u"\"say \"\"hi\"\"\""_s;
        QTest::newRow("newline") << u"a\nb"_s << u"\"a\nb\""_s;
        QTest::newRow("carriage return") << u"a\rb"_s << u"\"a\rb\""_s;
        // Formulas stay text when the export is opened in a spreadsheet.
        QTest::newRow("formula") << u"=HYPERLINK(1)"_s << u"'=HYPERLINK(1)"_s;
        QTest::newRow("at") << u"@SUM(A1)"_s << u"'@SUM(A1)"_s;
        QTest::newRow("minus, quoted") << u"-1,2"_s << u"\"'-1,2\""_s;
    }
    void csvField() {
        QFETCH(QString, value);
        QFETCH(QString, field);
        QCOMPARE(SearchResultsModel::csvField(value), field);
    }

    void exportsTheLoadedRowsAsCsv() {
        Fixture f;
        QVERIFY(f.start());
        SearchResultsModel* model = f.page->model();
        f.type("subjectFilter", u"big deal"_s);
        f.clickSearch();
        QTRY_COMPARE(model->rowCount(), 1);
        QTRY_VERIFY(!model->isLoading());
        QTemporaryDir dir;
        const QString path = dir.filePath(u"results.csv"_s);
        f.page->setSaveFileNameProvider([path] { return path; });
        QTest::mouseClick(f.find<QPushButton>("exportButton"), Qt::LeftButton);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString csv = QString::fromUtf8(file.readAll());
        const QString sent = kT0.addSecs(60 * (kRows - 1)).toString(Qt::ISODate);
        QCOMPARE(csv, u"sent_at,account,sender,recipients,subject,status,replied_at,"
                      u"match_method,responses,message_id\r\n"_s +
                          sent +
                          u",alice@company.example,alice@company.example,"
                          u"someone699@other.example,\"Re: \"\"Big, deal\"\"\nsecond line\","
                          u"active,,,0,m699@company.example\r\n"_s);
        QVERIFY(f.page->statusText().contains(u"1"_s));
    }

    void screenshots() {
        // Renders the page in both palettes; TRACKWATCH_SCREENSHOT_DIR keeps the PNGs.
        Fixture f;
        QVERIFY(f.start());
        f.clickSearch(); // everything
        QTRY_COMPARE(f.page->model()->rowCount(), 200);
        QTableView* table = f.page->table();
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(f.page->model()->index(2, 3)).center()); // replied
        QTRY_COMPARE(f.page->timeline()->topLevelItemCount(), 2);
        const QString dir = qEnvironmentVariable("TRACKWATCH_SCREENSHOT_DIR");
        for (const Theme theme : {Theme::Light, Theme::Dark}) {
            applyTheme(theme);
            QTRY_COMPARE(f.page->palette().color(QPalette::Window).lightness() < 128,
                         theme == Theme::Dark);
            const QImage image = f.page->grab().toImage();
            QVERIFY(!image.isNull());
            QCOMPARE(image.size(), f.page->size() * image.devicePixelRatio());
            if (!dir.isEmpty()) {
                QVERIFY(image.save(QDir(dir).filePath(u"search-%1.png"_s.arg(themeName(theme)))));
            }
        }
    }
};

QTEST_MAIN(TestSearchPage)
#include "tst_search_page.moc"
