// SPDX-License-Identifier: MIT
#include "../support/test_databases.h"
#include "control/control_page.h"
#include "dashboard/dashboard_page.h"
#include "dashboard/metric_plot.h"
#include "main_window.h"
#include "search/search_page.h"
#include "shell/connection_dialog.h"
#include "shell/theme.h"

#include <QApplication>
#include <QEventLoop>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

EngineConfig sqliteConsole(const QTemporaryDir& dir) {
    EngineConfig config;
    config.connection.dialect = Dialect::Sqlite;
    config.connection.path = dir.filePath(u"console.db"_s);
    config.simulateRate = 360'000; // 100 a second, so a few ticks bring mail
    config.tickMs = 100;
    config.kind = u"console"_s;
    return config;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"trackwatch-test"_s);
        QSettings().clear();
    }

    // The console opens on its database with the engine running and the dashboard filling.
    void liveEngineFillsTheDashboard() {
        QTemporaryDir dir;
        ui::MainWindow window(sqliteConsole(dir), std::make_shared<SystemClock>(), {});
        window.show();
        QSignalSpy shown(&window, &ui::MainWindow::snapshotShown);
        window.start();
        QVERIFY(window.windowTitle().contains(u"console.db"_s));
        QVERIFY(shown.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboardPage()->liveCount() >= 2, 20000);
        QVERIFY(window.outageMessage().isEmpty());
        QVERIFY(window.controlPage() != nullptr);
        QVERIFY(!window.controlPage()->isReadOnly());
    }

    // The console can serve the engine's HTTP API too, on loopback.
    void consoleServesTheApiWhenAsked() {
        QTemporaryDir dir;
        EngineConfig config = sqliteConsole(dir);
        config.simulateRate = 0;
        ui::ConsoleOptions options;
        ApiConfig api;
        api.port = 0;
        api.token = u"console-test-token-0123456789"_s;
        api.clientState = u"console-test-client-state-0123"_s;
        options.api = api;
        ui::MainWindow window(config, std::make_shared<SystemClock>(), options);
        QSignalSpy shown(&window, &ui::MainWindow::snapshotShown);
        window.start();
        QVERIFY(shown.wait(20000));
        QVERIFY(window.apiPort() != 0);
        QNetworkAccessManager http;
        const QUrl url(u"http://127.0.0.1:%1/api/health/performance"_s.arg(window.apiPort()));
        QNetworkReply* reply = http.get(QNetworkRequest(url));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->readAll().contains("healthy"));
        reply->deleteLater();
    }

    // Ctrl+1..4 switch pages, as the View menu says.
    void shortcutsSwitchPages() {
        QTemporaryDir dir;
        EngineConfig config = sqliteConsole(dir);
        config.simulateRate = 0;
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {});
        window.show();
        window.start();
        QVERIFY(QTest::qWaitForWindowActive(&window) || true);
        QTest::keyClick(&window, Qt::Key_3, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), ui::MainWindow::Page::Search);
        QTest::keyClick(&window, Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), ui::MainWindow::Page::Control);
        QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), ui::MainWindow::Page::Analytics);
        QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), ui::MainWindow::Page::Dashboard);
        QCOMPARE(ui::MainWindow::pageByName(u"search"_s), ui::MainWindow::Page::Search);
        QVERIFY(!ui::MainWindow::pageByName(u"nope"_s).has_value());
    }

    // Support staff: no engine runs, and no control action exists anywhere in the window.
    void readOnlyHasNoEngineAndNoControls() {
        QTemporaryDir dir;
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated() != nullptr);
        EngineConfig config = sqliteConsole(dir);
        config.connection = tdb.spec();
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {true, std::nullopt});
        window.show();
        window.start();
        QVERIFY(window.engine() == nullptr);
        QVERIFY(window.isReadOnly());
        QVERIFY(window.controlPage()->isReadOnly());
        QVERIFY(window.controlPage()->rollbackButton() == nullptr);
        QVERIFY(window.findChild<QWidget*>(u"readOnlyBadge"_s) != nullptr);
    }

    // The database goes away: the banner says so and offers Retry, the dashboard keeps what it
    // has drawn, and Retry clears the banner once the database answers again.
    void anOutageShowsABannerAndKeepsTheHistory() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        QVERIFY(tdb.openMigrated() != nullptr);
        EngineConfig config;
        config.connection = tdb.spec();
        config.simulateRate = 36'000;
        config.tickMs = 200;
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {});
        window.show();
        window.start();
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboardPage()->liveCount() >= 3, 20000);
        // Every connection to the test database is ended by the server.
        auto admin = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(admin.ok());
        auto adminDb = Database::open(*admin);
        QVERIFY(adminDb.ok());
        const QString kill = u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             u"WHERE datname = ? AND pid <> pg_backend_pid()"_s;
        QVERIFY((*adminDb)->exec(kill, {tdb.spec().database}).ok());
        window.dashboardPage()->refresh(); // a page reads through the dropped connection
        QTRY_VERIFY_WITH_TIMEOUT(!window.outageMessage().isEmpty(), 20000);
        const int kept = window.dashboardPage()->liveCount();
        QVERIFY(kept >= 3);
        auto* retry = window.findChild<QPushButton*>(u"retry"_s);
        QVERIFY(retry != nullptr);
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(window.outageMessage().isEmpty(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboardPage()->liveCount() > kept, 20000);
    }

    // The connection dialog gives the typed connection; recent connections never hold the
    // password.
    void connectionDialogKeepsNoPassword() {
        ConnectionSpec current;
        current.dialect = Dialect::Sqlite;
        current.path = u"/tmp/x.db"_s;
        ui::ConnectionDialog dialog(current, {});
        auto* pg = dialog.findChild<QWidget*>(u"postgresql"_s);
        QVERIFY(pg != nullptr);
        QTest::mouseClick(pg, Qt::LeftButton);
        auto field = [&](const char* name) {
            return dialog.findChild<QLineEdit*>(QString::fromLatin1(name));
        };
        field("host")->setText(u"127.0.0.1"_s);
        field("database")->clear();
        field("user")->setText(u"trackwatch"_s);
        field("password")->setText(u"s3cret"_s);
        dialog.accept();
        QVERIFY(dialog.result() != QDialog::Accepted); // the database name is missing
        QVERIFY(!dialog.findChild<QLabel*>(u"error"_s)->text().isEmpty());
        QTest::keyClicks(field("database"), u"trackwatch"_s);
        auto spec = dialog.spec();
        QVERIFY(spec.ok());
        QCOMPARE(spec->dialect, Dialect::PostgreSql);
        QCOMPARE(spec->password, u"s3cret"_s);
        QVERIFY(!spec->redacted().contains(u"s3cret"_s));

        QTemporaryDir dir;
        EngineConfig config = sqliteConsole(dir);
        config.simulateRate = 0;
        config.connection = *spec;
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {true, std::nullopt});
        window.start();
        const QStringList recent = QSettings().value(u"connections/recent"_s).toStringList();
        QVERIFY(!recent.isEmpty());
        QVERIFY(recent.first().startsWith(u"postgresql://trackwatch@127.0.0.1"_s));
        QSettings settings;
        for (const QString& key : settings.allKeys()) {
            QVERIFY2(!settings.value(key).toString().contains(u"s3cret"_s), qPrintable(key));
        }
    }

    void themesChangeThePalette() {
        ui::applyTheme(ui::Theme::Dark);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 60);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 200);
        ui::applyTheme(ui::Theme::Light);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 200);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() < 60);
        ui::Theme t = ui::Theme::System;
        QVERIFY(ui::themeByName(u"dark"_s, &t));
        QCOMPARE(t, ui::Theme::Dark);
        QVERIFY(!ui::themeByName(u"purple"_s, &t));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
