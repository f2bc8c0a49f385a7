// SPDX-License-Identifier: MIT
#include "../support/test_databases.h"
#include "control/control_page.h"
#include "dashboard/dashboard_page.h"
#include "dashboard/metric_plot.h"
#include "engine/command_line.h"
#include "main_window.h"
#include "search/search_page.h"
#include "shell/connection_dialog.h"
#include "shell/database_choice.h"
#include "shell/theme.h"

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
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

// The console's start as main() makes it: EngineCommandLine's options, then DatabaseChoice.
Result<EngineConfig> consoleStart(const QStringList& args, const QString& environment,
                                  const QString& dataDirectory) {
    EngineCommandLine engineOptions(0, 0);
    QCommandLineParser parser;
    engineOptions.addTo(parser);
    // Warnings only: read() sets up logging, and the engines of later tests log through it.
    if (!parser.parse(QStringList{u"trackwatch"_s, u"--log-level"_s, u"warn"_s} + args)) {
        return Result<EngineConfig>::failure(ErrorCode::InvalidArgument, parser.errorText());
    }
    auto config = engineOptions.read(parser);
    if (!config) {
        return config;
    }
    auto choice = ui::DatabaseChoice::atStart(
        ui::DatabaseChoice::startFrom(parser, config->simulateRate, environment, dataDirectory));
    if (!choice) {
        return choice.error();
    }
    choice->applyTo(config.value());
    config->kind = u"console"_s;
    return config;
}

// Simulated mail in a SQLite file: tracked emails, and accounts on the simulator's domain.
qint64 simulatedRows(const QString& path) {
    ConnectionSpec spec;
    spec.path = path;
    auto db = Database::open(spec);
    if (!db) {
        return -1;
    }
    const qint64 emails = test::scalar(**db, u"SELECT COUNT(*) FROM tracked_emails"_s);
    const qint64 accounts = test::scalar(
        **db, u"SELECT COUNT(*) FROM accounts WHERE email_address LIKE '%@trackwatch.example'"_s);
    return emails < 0 || accounts < 0 ? -1 : emails + accounts;
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

    // Which database the console opens and whether it simulates, from its command line and
    // TRACKWATCH_DB: only the demo gets simulated mail unless --simulate asks for it.
    void startChoosesTheDatabaseAndTheSimulator_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("environment");
        QTest::addColumn<QString>("file"); // in the test's folder
        QTest::addColumn<bool>("demo");
        QTest::addColumn<double>("rate");
        const double demo = ui::DatabaseChoice::kDemoRate;
        QTest::newRow("nothing: the demo, simulating")
            << QStringList{} << QString() << u"data/trackwatch-demo.db"_s << true << demo;
        QTest::newRow("--db: no simulator")
            << QStringList{u"--db"_s, u"@/real.db"_s} << QString() << u"real.db"_s << false << 0.0;
        QTest::newRow("TRACKWATCH_DB: no simulator")
            << QStringList{} << u"@/env.db"_s << u"env.db"_s << false << 0.0;
        QTest::newRow("--db wins over TRACKWATCH_DB")
            << QStringList{u"--db"_s, u"@/real.db"_s} << u"@/env.db"_s << u"real.db"_s << false
            << 0.0;
        QTest::newRow("--db --simulate 500: as asked")
            << QStringList{u"--db"_s, u"@/real.db"_s, u"--simulate"_s, u"500"_s} << QString()
            << u"real.db"_s << false << 500.0;
        QTest::newRow("TRACKWATCH_DB --simulate 500: as asked")
            << QStringList{u"--simulate"_s, u"500"_s} << u"@/env.db"_s << u"env.db"_s << false
            << 500.0;
        QTest::newRow("--simulate 500 alone: the demo at 500")
            << QStringList{u"--simulate"_s, u"500"_s} << QString() << u"data/trackwatch-demo.db"_s
            << true << 500.0;
        QTest::newRow("--simulate 0: the demo, quiet")
            << QStringList{u"--simulate"_s, u"0"_s} << QString() << u"data/trackwatch-demo.db"_s
            << true << 0.0;
        QTest::newRow("--db naming the demo: the demo")
            << QStringList{u"--db"_s, u"@/data/trackwatch-demo.db"_s} << QString()
            << u"data/trackwatch-demo.db"_s << true << demo;
        QTest::newRow("--db naming the default: no simulator")
            << QStringList{u"--db"_s, u"@/data/trackwatch.db"_s} << QString()
            << u"data/trackwatch.db"_s << false << 0.0;
    }
    void startChoosesTheDatabaseAndTheSimulator() {
        QFETCH(QStringList, args);
        QFETCH(QString, environment);
        QFETCH(QString, file);
        QFETCH(bool, demo);
        QFETCH(double, rate);
        QTemporaryDir dir;
        const QString data = dir.filePath(u"data"_s);
        for (QString& arg : args) {
            arg.replace(u"@"_s, dir.path());
        }
        environment.replace(u"@"_s, dir.path());
        auto config = consoleStart(args, environment, data);
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
        QCOMPARE(config->connection.dialect, Dialect::Sqlite);
        QCOMPARE(config->connection.path, QDir::cleanPath(dir.filePath(file)));
        QCOMPARE(ui::DatabaseChoice::isDemo(config->connection, data), demo);
        QCOMPARE(config->simulateRate, rate);
        QCOMPARE(config->simulateBackfillSecs, rate > 0 ? ui::DatabaseChoice::kBackfillSecs : 0);
    }

    // The regression: a console pointed at a real database ran the simulator on it (12,051
    // rows in one start). Now a few engine ticks leave it without a single simulated row, and
    // the same start with --simulate does write some (so the count can see them).
    void aRealDatabaseGetsNoSimulatedMail_data() {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<bool>("simulated");
        QTest::newRow("--db") << QStringList{} << false;
        QTest::newRow("--db --simulate") << QStringList{u"--simulate"_s, u"360000"_s} << true;
    }
    void aRealDatabaseGetsNoSimulatedMail() {
        QFETCH(QStringList, extra);
        QFETCH(bool, simulated);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"real.db"_s);
        auto config =
            consoleStart(QStringList{u"--db"_s, path} + extra, {}, dir.filePath(u"data"_s));
        QVERIFY(config.ok());
        config->tickMs = 100;
        config->simulateBackfillSecs = 0; // the live simulator only, so the count stays small
        ui::ConsoleOptions options;
        options.dataDirectory = dir.filePath(u"data"_s);
        {
            ui::MainWindow window(*config, std::make_shared<SystemClock>(), options);
            window.start();
            QVERIFY(!window.isDemo());
            QVERIFY(window.engine() != nullptr);
            QSignalSpy ticks(window.engine(), &Engine::snapshotReady);
            QTRY_VERIFY_WITH_TIMEOUT(ticks.count() >= 5, 60000);
        }
        const qint64 rows = simulatedRows(path);
        QVERIFY(rows >= 0);
        QCOMPARE(rows > 0, simulated);
    }

    // The demo says so in the title and the status bar, and nothing else does; File → Open
    // recent always lists the default database and the demo.
    void onlyTheDemoSaysDemo() {
        QTemporaryDir dir;
        const QString data = dir.filePath(u"data"_s);
        QVERIFY(QDir().mkpath(data));
        auto config = consoleStart({}, {}, data);
        QVERIFY(config.ok());
        ui::ConsoleOptions options;
        options.readOnly = true; // the title alone: no engine, no simulated backfill
        options.dataDirectory = data;
        ui::MainWindow window(*config, std::make_shared<SystemClock>(), options);
        window.start();
        auto* status = window.findChild<QLabel*>(u"databaseLabel"_s);
        QVERIFY(status != nullptr);
        QVERIFY(window.isDemo());
        QCOMPARE(window.windowTitle(), u"Trackwatch — demo database"_s);
        QCOMPARE(status->text(), u"Database: demo (simulated mail)"_s);
        auto* toDefault = window.findChild<QAction*>(u"recent-default"_s);
        auto* toDemo = window.findChild<QAction*>(u"recent-demo"_s);
        QVERIFY(toDefault != nullptr && toDemo != nullptr);
        QVERIFY(toDefault->text().endsWith(ui::DatabaseChoice::defaultPath(data)));
        QVERIFY(toDemo->isChecked());
        QVERIFY(!toDefault->isChecked());

        toDefault->trigger();
        const QString real = ui::DatabaseChoice::defaultPath(data);
        QTRY_COMPARE_WITH_TIMEOUT(window.windowTitle(), u"Trackwatch — "_s + real, 20000);
        QVERIFY(!window.isDemo());
        QCOMPARE(status->text(), u"Database: "_s + real);
        QVERIFY(window.findChild<QAction*>(u"recent-default"_s)->isChecked());
    }

    // File → Connect (and Open recent) to another database runs no simulator there, even when
    // the console was started with one; going back to the demo turns it on again.
    void connectingElsewhereRunsNoSimulator() {
        QTemporaryDir dir;
        const QString data = dir.filePath(u"data"_s);
        auto config = consoleStart(
            {u"--db"_s, dir.filePath(u"first.db"_s), u"--simulate"_s, u"360000"_s}, {}, data);
        QVERIFY(config.ok());
        config->tickMs = 100;
        config->simulateBackfillSecs = 0;
        ui::ConsoleOptions options;
        options.dataDirectory = data;
        ui::MainWindow window(*config, std::make_shared<SystemClock>(), options);
        window.start();
        QCOMPARE(window.engine()->config().simulateRate, 360'000.0);
        QCOMPARE(window.findChild<QLabel*>(u"databaseLabel"_s)->text(),
                 u"Database: %1 (with simulated mail)"_s.arg(dir.filePath(u"first.db"_s)));

        auto other = ConnectionSpec::parse(dir.filePath(u"other.db"_s));
        QVERIFY(other.ok());
        window.connectTo(*other);
        QVERIFY(!window.isDemo());
        QCOMPARE(window.engine()->config().connection.path, other->path);
        QCOMPARE(window.engine()->config().simulateRate, 0.0);
        {
            QSignalSpy ticks(window.engine(), &Engine::snapshotReady);
            QTRY_VERIFY_WITH_TIMEOUT(ticks.count() >= 5, 60000);
        }
        QCOMPARE(simulatedRows(other->path), qint64(0));

        auto* toDemo = window.findChild<QAction*>(u"recent-demo"_s);
        QVERIFY(toDemo != nullptr);
        toDemo->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.isDemo(), 20000);
        QCOMPARE(window.engine()->config().simulateRate, ui::DatabaseChoice::kDemoRate);
        QCOMPARE(window.engine()->config().connection.path, ui::DatabaseChoice::demoPath(data));
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
        // The API starts on the engine's ready(), which can come after its first snapshot (the
        // engine sends one as soon as it has read the control plane).
        const auto* apiLabel = window.findChild<QLabel*>(u"apiLabel"_s);
        QTRY_VERIFY2_WITH_TIMEOUT(window.apiPort() != 0 || apiLabel->text() == u"API stopped"_s,
                                  "the engine never became ready", 20000);
        QVERIFY2(window.apiPort() != 0, qPrintable(apiLabel->toolTip()));
        // Health is 503 until the API has a snapshot: it gets the next one with the window.
        shown.clear();
        QVERIFY(shown.wait(20000));
        QNetworkAccessManager http;
        const QUrl url(u"http://127.0.0.1:%1/api/health/performance"_s.arg(window.apiPort()));
        QNetworkReply* reply = http.get(QNetworkRequest(url));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        const QByteArray body = reply->readAll();
        QVERIFY2(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200,
                 body.constData());
        QVERIFY(body.contains("healthy"));
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
        QVERIFY(QTest::qWaitForWindowActive(&window)); // window shortcuts need the active window
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
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {true, std::nullopt, {}});
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
    //
    // The outage is real and lasts until the test ends it: the test database refuses new
    // connections (ALLOW_CONNECTIONS false) before the server ends the open ones. Ending the
    // connections alone was not an outage: the server still answered, so the pages' worker
    // reconnected at the next page's poll (the control page polls every second) and the banner
    // could come and go between two looks of the test (it failed that way under load).
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
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboardPage()->liveCount() >= 3, 60000);
        QVERIFY(window.outageMessage().isEmpty());

        auto admin = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(admin.ok());
        auto adminDb = Database::open(*admin);
        QVERIFY(adminDb.ok());
        const QString database = tdb.spec().database;
        auto allowConnections = [&](bool allow) {
            return (*adminDb)
                ->exec(u"ALTER DATABASE %1 ALLOW_CONNECTIONS %2"_s.arg(
                    database, allow ? u"true"_s : u"false"_s))
                .ok();
        };
        QVERIFY(allowConnections(false));
        const QString kill = u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             u"WHERE datname = ? AND pid <> pg_backend_pid()"_s;
        QVERIFY((*adminDb)->exec(kill, {database}).ok());
        window.dashboardPage()->refresh(); // a page reads through the dropped connection
        QTRY_VERIFY_WITH_TIMEOUT(!window.outageMessage().isEmpty(), 60000);
        QVERIFY2(window.outageMessage().contains(u"cannot be reached"_s),
                 qPrintable(window.outageMessage()));
        const int kept = window.dashboardPage()->liveCount();
        QVERIFY(kept >= 3);
        auto* retry = window.findChild<QPushButton*>(u"retry"_s);
        QVERIFY(retry != nullptr);
        QVERIFY(retry->isVisible());

        QVERIFY(allowConnections(true));
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(window.outageMessage().isEmpty(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(window.dashboardPage()->liveCount() > kept, 60000);
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
        ui::MainWindow window(config, std::make_shared<SystemClock>(), {true, std::nullopt, {}});
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
