// SPDX-License-Identifier: MIT
#include "engine/engine.h"
#include "main_window.h"
#include "pages/overview_page.h"
#include "widgets/stat_tile.h"
#include "widgets/throughput_plot.h"

#include <QLocale>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void overviewShowsASnapshot() {
        ui::OverviewPage page;
        EngineSnapshot s;
        s.at = QDateTime::currentDateTimeUtc();
        s.statusCounts = {{u"active"_s, 600}, {u"replied"_s, 300}, {u"bounced"_s, 100}};
        s.total.stored = 1000;
        s.total.repliesMatched = 250;
        s.total.lateReplies = 50;
        s.emailsPerHour = 12345.4;
        page.showSnapshot(s);
        const QLocale locale;
        QCOMPARE(page.tile(u"total"_s)->value(), locale.toString(1000));
        QCOMPARE(page.tile(u"active"_s)->value(), locale.toString(600));
        QCOMPARE(page.tile(u"expired"_s)->value(), locale.toString(0));
        QCOMPARE(page.tile(u"matched"_s)->value(), locale.toString(300));
        QCOMPARE(page.tile(u"rate"_s)->value(), locale.toString(12345));
        QCOMPARE(page.findChild<ui::ThroughputPlot*>()->pointCount(), 1);
    }

    // Health and breaker tiles read against their targets: a tripped breaker and a rollback
    // are amber, a failing engine red, and the reason is shown.
    void engineTilesAreColouredByState() {
        ui::OverviewPage page;
        EngineSnapshot s;
        s.at = QDateTime::currentDateTimeUtc();
        s.guards = {{u"batchIngestion"_s, u"forced_open"_s, 0, 10, 0, {}},
                    {u"queryCache"_s, u"closed"_s, 5, 0, 2, {}}};
        s.health = {u"degraded"_s, {u"breaker batchIngestion forced_open"_s}};
        page.showSnapshot(s);
        using Level = ui::StatTile::Level;
        QCOMPARE(page.tile(u"health"_s)->level(), Level::Warning);
        QCOMPARE(page.tile(u"breakers"_s)->value(), u"1 of 2 closed"_s);
        QCOMPARE(page.tile(u"breakers"_s)->level(), Level::Warning);
        QCOMPARE(page.tile(u"fallbacks"_s)->value(), QLocale().toString(2));
        s.health = {u"unhealthy"_s, {u"ingestion failing: disk full"_s}};
        s.guards = {{u"queryCache"_s, u"closed"_s, 5, 0, 0, {}}};
        page.showSnapshot(s);
        QCOMPARE(page.tile(u"health"_s)->level(), Level::Bad);
        QCOMPARE(page.tile(u"breakers"_s)->level(), Level::Good);
        QCOMPARE(page.tile(u"fallbacks"_s)->level(), Level::Good);
    }

    void liveEngineFillsTheWindow() {
        QTemporaryDir dir;
        EngineConfig config;
        config.connection.dialect = Dialect::Sqlite;
        config.connection.path = dir.filePath(u"console.db"_s);
        config.simulateRate = 360'000; // 100 a second, so a few ticks bring mail
        config.tickMs = 100;
        Engine engine(config, std::make_shared<SystemClock>());
        ui::MainWindow window(&engine);
        window.show();
        QSignalSpy ready(&engine, &Engine::ready);
        QSignalSpy snapshots(&engine, &Engine::snapshotReady);
        engine.start();
        QVERIFY(ready.wait(10000));
        QVERIFY(window.windowTitle().contains(u"console.db"_s));
        qint64 stored = 0;
        for (int i = 0; i < 100 && stored == 0 && snapshots.wait(10000); ++i) {
            stored = snapshots.last().first().value<EngineSnapshot>().total.stored;
        }
        QVERIFY(stored > 0);
        QCOMPARE(window.overviewPage()->tile(u"stored"_s)->value(), QLocale().toString(stored));
        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
        QCOMPARE(shot.width(), window.width());
    }

    void unreachableDatabaseIsShown() {
        EngineConfig config;
        config.connection.dialect = Dialect::PostgreSql;
        config.connection.host = u"127.0.0.1"_s;
        config.connection.port = 1; // nothing listens on loopback port 1
        config.connection.database = u"x"_s;
        config.connection.user = u"u"_s;
        config.connection.password = u"hunter2"_s;
        Engine engine(config, std::make_shared<SystemClock>());
        ui::MainWindow window(&engine);
        QSignalSpy failed(&engine, &Engine::failed);
        engine.start();
        QVERIFY(failed.wait(10000));
        const QString message = window.statusBar()->currentMessage();
        QVERIFY2(message.contains(u"127.0.0.1:1"_s), qPrintable(message));
        QVERIFY(!message.contains(u"hunter2"_s));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
