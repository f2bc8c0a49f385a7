// SPDX-License-Identifier: MIT
// The dashboard page, offscreen: live snapshots become points, ranges move the x axes, stored
// history (a real SQLite database through the DatabaseWorker) fills the plots, audit rows
// become markers, tiles colour against the targets, firing alerts show their age, and the
// engine selector lists the engines on the database. Screenshots in a light and a dark palette
// go to $TRACKWATCH_SCREENSHOT_DIR when it is set.
#include "common/clock.h"
#include "control/control_plane.h"
#include "dashboard/dashboard_page.h"
#include "dashboard/dashboard_point.h"
#include "dashboard/live_ring.h"
#include "dashboard/metric_plot.h"
#include "engine/engine_registry.h"
#include "monitoring/metric_history.h"
#include "storage/database_worker.h"
#include "widgets/stat_tile.h"

#include "../support/test_databases.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <memory>

using namespace trackwatch;
using namespace trackwatch::ui;
using namespace Qt::StringLiterals;
using Level = StatTile::Level;

namespace {

const QDateTime kStart(QDate(2026, 11, 29), QTime(10, 0), Qt::UTC);

core::MonitorSample sampleAt(const QString& engine, const QDateTime& at, double emailsPerHour) {
    core::MonitorSample s;
    s.at = at;
    s.engineId = engine;
    s.emailsPerHour = emailsPerHour;
    s.webhookJobsPerMinute = 120;
    s.cacheHitRate = 0.9;
    s.queryP50Ms = 4;
    s.queryP95Ms = 30;
    s.queryP99Ms = 60;
    s.apiP50Ms = 20;
    s.apiP95Ms = 90;
    s.apiP99Ms = 180;
    s.errorRate = 0.001;
    s.queueDepth = 12;
    s.cpuPercent = 22;
    s.memoryBytes = 180.0 * 1024 * 1024;
    return s;
}

// A synthetic engine snapshot: what Engine::snapshotReady() carries, at the clock's time.
core::EngineSnapshot snapshotAt(const QString& engine, const QDateTime& at,
                                double emailsPerHour = 11000) {
    core::EngineSnapshot s;
    s.at = at;
    s.engineId = engine;
    s.sample = sampleAt(engine, at, emailsPerHour);
    s.emailsPerHour = emailsPerHour;
    return s;
}

std::unique_ptr<DashboardPage> makePage(core::DatabaseWorker* worker,
                                        std::shared_ptr<core::ManualClock> clock) {
    auto page = std::make_unique<DashboardPage>(worker, clock);
    page->resize(1500, 1250);
    return page;
}

} // namespace

class TstDashboardPage : public QObject {
    Q_OBJECT
private slots:
    // Settings (the remembered range) in a test location, so every run starts on the default.
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    void liveRingKeepsTheNewest() {
        LiveRing ring(3);
        for (int i = 1; i <= 5; ++i) {
            DashboardPoint p;
            p.key = i;
            QVERIFY(ring.push(p));
        }
        QCOMPARE(ring.size(), 3);
        QCOMPARE(ring.first().key, 3.0);
        QCOMPARE(ring.last().key, 5.0);
        DashboardPoint old;
        old.key = 4;
        QVERIFY(!ring.push(old)); // not after the last one
        QCOMPARE(ring.size(), 3);
    }

    void fleetAddsThroughputAndTakesTheWorstLatency() {
        const QDateTime at = kStart.addSecs(5);
        core::MonitorSample a = sampleAt(u"a"_s, at, 6000);
        core::MonitorSample b = sampleAt(u"b"_s, at.addSecs(2), 5000);
        a.apiP95Ms = 120;
        b.apiP95Ms = 340;
        a.cacheHitRate = 0.8;
        b.cacheHitRate = 0.6;
        b.errorRate = core::kNoData; // no data from b: a's figure alone
        const QList<DashboardPoint> points = aggregateSamples({a, b}, 10);
        QCOMPARE(points.size(), 1);
        const DashboardPoint& p = points.first();
        QCOMPARE(p.value(Metric::EmailsPerHour), 11000.0);
        QCOMPARE(p.value(Metric::ApiP95Ms), 340.0);
        QVERIFY(std::abs(p.value(Metric::CacheHitRate) - 0.7) < 1e-9);
        QCOMPARE(p.value(Metric::ErrorRate), 0.001);
        QCOMPARE(p.key, keyOf(kStart) + 5.0); // the 10 s bucket's mid-point
    }

    void feedingSnapshotsAddsPoints() {
        auto clock = std::make_shared<core::ManualClock>(kStart);
        auto page = makePage(nullptr, clock);
        for (int i = 0; i < 5; ++i) {
            clock->advanceSecs(1);
            page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        }
        QCOMPARE(page->liveCount(), 5);
        QCOMPARE(page->plots().size(), 8);
        for (MetricPlot* p : page->plots()) {
            for (int s = 0; s < p->seriesCount(); ++s) {
                QCOMPARE(p->pointCount(s), 5);
            }
        }
        MetricPlot* throughput = page->plot(u"throughput"_s);
        QCOMPARE(throughput->lastKey(), keyOf(clock->now()));
        QCOMPARE(throughput->valueAt(0, keyOf(clock->now())), 11000.0);
        QCOMPARE(page->plot(u"cacheHitRate"_s)->valueAt(0, keyOf(clock->now())), 90.0);
        // The same moment twice is one point.
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        QCOMPARE(throughput->pointCount(), 5);
    }

    void rangesMoveTheXAxes() {
        auto clock = std::make_shared<core::ManualClock>(kStart);
        auto page = makePage(nullptr, clock);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        MetricPlot* cpu = page->plot(u"cpu"_s);
        page->setRange(DashboardPage::Range::FiveMinutes);
        QCOMPARE(cpu->xUpper() - cpu->xLower(), 300.0);
        QCOMPARE(cpu->xUpper(), keyOf(clock->now()));
        page->setRange(DashboardPage::Range::Day);
        QCOMPARE(cpu->xUpper() - cpu->xLower(), 86400.0);

        // Following live: the window moves with each snapshot.
        clock->advanceSecs(7);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        QCOMPARE(cpu->xUpper(), keyOf(clock->now()));

        // Paused: it stays.
        page->setPaused(true);
        const double upper = cpu->xUpper();
        clock->advanceSecs(5);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        QCOMPARE(cpu->xUpper(), upper);
        QCOMPARE(cpu->pointCount(), 3); // data still arrives
        page->setPaused(false);
        QCOMPARE(cpu->xUpper(), keyOf(clock->now()));

        const QDateTime from = kStart.addSecs(-7200);
        const QDateTime to = kStart.addSecs(-3600);
        page->setCustomRange(from, to);
        QVERIFY(page->isPaused());
        QCOMPARE(page->range(), DashboardPage::Range::Custom);
        for (MetricPlot* p : page->plots()) {
            QCOMPARE(p->xLower(), keyOf(from));
            QCOMPARE(p->xUpper(), keyOf(to));
        }
    }

    void zoomingOnePlotMovesAllAndPauses() {
        auto clock = std::make_shared<core::ManualClock>(kStart);
        auto page = makePage(nullptr, clock);
        page->show();
        QVERIFY(QTest::qWaitForWindowExposed(page.get()));
        for (int i = 0; i < 60; ++i) {
            clock->advanceSecs(1);
            page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        }
        MetricPlot* errors = page->plot(u"errorRate"_s);
        page->setRange(DashboardPage::Range::FiveMinutes);
        QVERIFY(!page->isPaused());
        errors->replotNow(); // lays the plot out, as the first paint would
        auto* canvas = errors->findChild<QWidget*>();
        QVERIFY(canvas != nullptr);
        const QPointF centre(canvas->width() / 2.0, canvas->height() / 2.0);
        QWheelEvent wheel(centre, canvas->mapToGlobal(centre), QPoint(), QPoint(0, 120),
                          Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(canvas, &wheel);
        const double span = errors->xUpper() - errors->xLower();
        QVERIFY2(span < 299.0, qPrintable(QString::number(span)));
        QVERIFY(page->isPaused());
        for (MetricPlot* p : page->plots()) {
            QCOMPARE(p->xLower(), errors->xLower());
            QCOMPARE(p->xUpper(), errors->xUpper());
        }
        // Hovering reads the value under the cursor.
        const QString text = errors->hoverText(keyOf(clock->now()), 0.5);
        QVERIFY2(text.contains(u"0.10"_s) || text.contains(u"0,10"_s), qPrintable(text));
    }

    void tilesColourByTarget_data() {
        QTest::addColumn<QString>("tile");
        QTest::addColumn<double>("emailsPerHour");
        QTest::addColumn<double>("hitRate");
        QTest::addColumn<double>("apiP95");
        QTest::addColumn<double>("errorRate");
        QTest::addColumn<int>("level");
        QTest::newRow("throughput met")
            << u"emailsPerHour"_s << 12000.0 << 0.9 << 90.0 << 0.0 << int(Level::Good);
        QTest::newRow("throughput short")
            << u"emailsPerHour"_s << 9000.0 << 0.9 << 90.0 << 0.0 << int(Level::Warning);
        QTest::newRow("throughput alert")
            << u"emailsPerHour"_s << 5000.0 << 0.9 << 90.0 << 0.0 << int(Level::Bad);
        QTest::newRow("hit rate degraded")
            << u"cacheHitRate"_s << 12000.0 << 0.5 << 90.0 << 0.0 << int(Level::Bad);
        QTest::newRow("hit rate low")
            << u"cacheHitRate"_s << 12000.0 << 0.7 << 90.0 << 0.0 << int(Level::Warning);
        QTest::newRow("api fast") << u"apiP95"_s << 12000.0 << 0.9 << 150.0 << 0.0
                                  << int(Level::Good);
        QTest::newRow("api slow") << u"apiP95"_s << 12000.0 << 0.9 << 900.0 << 0.0
                                  << int(Level::Bad);
        QTest::newRow("errors 2%")
            << u"errorRate"_s << 12000.0 << 0.9 << 90.0 << 0.02 << int(Level::Warning);
        QTest::newRow("errors 7%")
            << u"errorRate"_s << 12000.0 << 0.9 << 90.0 << 0.07 << int(Level::Bad);
        QTest::newRow("no data") << u"apiP95"_s << 12000.0 << 0.9 << core::kNoData << 0.0
                                 << int(Level::Neutral);
    }
    void tilesColourByTarget() {
        QFETCH(QString, tile);
        QFETCH(double, emailsPerHour);
        QFETCH(double, hitRate);
        QFETCH(double, apiP95);
        QFETCH(double, errorRate);
        QFETCH(int, level);
        auto clock = std::make_shared<core::ManualClock>(kStart);
        auto page = makePage(nullptr, clock);
        core::EngineSnapshot s = snapshotAt(u"engine-a"_s, clock->now(), emailsPerHour);
        s.sample.cacheHitRate = hitRate;
        s.sample.apiP95Ms = apiP95;
        s.sample.errorRate = errorRate;
        page->showSnapshot(s);
        QCOMPARE(int(page->tile(tile)->level()), level);
        QVERIFY(!page->tile(tile)->value().isEmpty());
    }

    void firingAlertsAreListedWithTheirAge() {
        auto clock = std::make_shared<core::ManualClock>(kStart);
        auto page = makePage(nullptr, clock);
        core::EngineSnapshot s = snapshotAt(u"engine-a"_s, clock->now());
        core::AlertStatus firing;
        firing.rule = u"HighErrorRate"_s;
        firing.severity = u"critical"_s;
        firing.state = u"firing"_s;
        firing.since = clock->now().addSecs(-185);
        firing.summary = u"error rate 7.0% > 5%"_s;
        core::AlertStatus normal = firing;
        normal.rule = u"SlowQueryDetected"_s;
        normal.state = u"normal"_s;
        s.alerts = {normal, firing};
        s.health.state = u"unhealthy"_s;
        s.health.reasons = {u"HighErrorRate firing"_s};
        page->showSnapshot(s);
        QStringList lines = page->alertLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().contains(u"HighErrorRate"_s), qPrintable(lines.first()));
        QVERIFY2(lines.first().contains(u"3 min"_s), qPrintable(lines.first()));
        QCOMPARE(page->tile(u"health"_s)->level(), Level::Bad);

        // An hour later, still firing: the age grows.
        clock->advanceSecs(3600);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));
        QVERIFY(page->alertLines().isEmpty()); // that snapshot has no alerts
        s.at = clock->now().addSecs(1);
        s.sample.at = s.at;
        clock->advanceSecs(1);
        page->showSnapshot(s);
        lines = page->alertLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().contains(u"1 h 3 min"_s), qPrintable(lines.first()));
    }

    void storedHistoryAppearsAndTheFleetAddsUp() {
        TW_TEST_DATABASE(tdb, core::Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto clock = std::make_shared<core::ManualClock>(kStart);
        // An hour of history for two engines, every 10 s.
        core::MetricHistory history(*db);
        for (int t = -3600; t < 0; t += 10) {
            const QDateTime at = kStart.addSecs(t);
            QVERIFY(history.record(sampleAt(u"engine-a"_s, at, 6000)).ok());
            QVERIFY(history.record(sampleAt(u"engine-b"_s, at.addSecs(3), 5000)).ok());
        }
        core::EngineRegistry registry(*db, *clock);
        QVERIFY(registry.registerSelf(u"daemon"_s).ok());

        core::DatabaseWorker worker(tdb.spec());
        auto page = makePage(&worker, clock);
        QSignalSpy loaded(page.get(), &DashboardPage::historyLoaded);
        page->setRange(DashboardPage::Range::OneHour);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now(), 6000));
        MetricPlot* throughput = page->plot(u"throughput"_s);
        // This engine: its stored hour before the live point.
        QTRY_VERIFY(throughput->pointCount() > 300);
        QVERIFY(throughput->firstKey() < keyOf(kStart) - 3000);
        QCOMPARE(throughput->lastKey(), keyOf(kStart));
        QCOMPARE(throughput->valueAt(0, keyOf(kStart) - 1800), 6000.0);

        // The fleet: both engines' throughput added up.
        QComboBox* selector = page->engineSelector();
        const int fleet = selector->findData(u"@fleet"_s);
        QVERIFY(fleet >= 0);
        loaded.clear();
        selector->setCurrentIndex(fleet);
        QTRY_VERIFY(loaded.count() > 0);
        QVERIFY(throughput->pointCount() > 300);
        QCOMPARE(throughput->valueAt(0, keyOf(kStart) - 1800), 11000.0);
        QCOMPARE(page->tile(u"emailsPerHour"_s)->level(), Level::Good);

        // Back to this engine: the live ring and its own history again.
        loaded.clear();
        selector->setCurrentIndex(selector->findData(u"@this"_s));
        QTRY_VERIFY(loaded.count() > 0);
        QCOMPARE(throughput->valueAt(0, keyOf(kStart) - 1800), 6000.0);
        QCOMPARE(throughput->lastKey(), keyOf(kStart));
    }

    void auditRowsBecomeMarkers() {
        TW_TEST_DATABASE(tdb, core::Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto clock = std::make_shared<core::ManualClock>(QDateTime::currentDateTimeUtc());
        core::DatabaseWorker worker(tdb.spec());
        auto page = makePage(&worker, clock);
        QSignalSpy annotations(page.get(), &DashboardPage::annotationsLoaded);
        page->showSnapshot(snapshotAt(u"engine-a"_s, clock->now()));

        core::ControlPlane control(*db, *clock);
        QVERIFY(control.setFlag(core::Flag::UseOptimizedQueries, false, u"p95 regression"_s).ok());
        QVERIFY(control.tripBreaker(u"batchIngestion"_s, u"duplicates seen"_s).ok());
        page->refresh();
        QTRY_VERIFY(page->plot(u"queueDepth"_s)->annotationCount() == 2);
        for (MetricPlot* p : page->plots()) {
            QCOMPARE(p->annotationCount(), 2);
        }
        auto audit = control.audit();
        QVERIFY(audit.ok());
        QVERIFY(!audit->isEmpty());
        const double key = keyOf(audit->last().at);
        const QString text = page->plot(u"apiLatency"_s)->hoverText(key, 0.5);
        QVERIFY2(text.contains(u"useOptimizedQueries"_s), qPrintable(text));
        QVERIFY2(text.contains(u"p95 regression"_s), qPrintable(text));
    }

    void engineSelectorListsTheEngines() {
        TW_TEST_DATABASE(tdb, core::Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto clock = std::make_shared<core::ManualClock>(QDateTime::currentDateTimeUtc());
        core::EngineRegistry one(*db, *clock);
        core::EngineRegistry two(*db, *clock);
        QVERIFY(one.registerSelf(u"daemon"_s).ok());
        QVERIFY(two.registerSelf(u"console"_s).ok());
        core::DatabaseWorker worker(tdb.spec());
        auto page = makePage(&worker, clock);
        page->refresh();
        QComboBox* selector = page->engineSelector();
        QTRY_COMPARE(selector->count(), 4); // this engine, fleet, two engines
        QVERIFY(selector->findData(one.id()) >= 0);
        QVERIFY(selector->findData(two.id()) >= 0);
        QVERIFY(selector->itemText(selector->findData(one.id())).contains(u"daemon"_s));

        // The engine this console runs is "this engine", not listed twice.
        page->showSnapshot(snapshotAt(two.id(), clock->now()));
        page->refresh();
        QTRY_COMPARE(selector->count(), 3);
        QCOMPARE(selector->findData(two.id()), -1);
    }

    void screenshotsInBothPalettes() {
        auto clock = std::make_shared<core::ManualClock>(kStart.addSecs(-3600));
        auto page = makePage(nullptr, clock);
        for (int i = 0; i < 3600; ++i) {
            clock->advanceSecs(1);
            const double wave = std::sin(i / 300.0);
            core::EngineSnapshot s = snapshotAt(u"engine-a"_s, clock->now(), 10500 + 1500 * wave);
            s.sample.apiP95Ms = 150 + 60 * wave;
            s.sample.apiP99Ms = 320 + 120 * wave;
            s.sample.queryP95Ms = 40 + 25 * wave;
            s.sample.cacheHitRate = 0.84 + 0.05 * wave;
            s.sample.errorRate = 0.004 + 0.003 * wave;
            s.sample.queueDepth = 40 + 30 * wave;
            s.sample.cpuPercent = 25 + 10 * wave;
            page->showSnapshot(s);
        }
        QList<PlotAnnotation> marks{
            {keyOf(clock->now()) - 2400, PlotAnnotation::Kind::Flag, u"flag"_s},
            {keyOf(clock->now()) - 1200, PlotAnnotation::Kind::Rollback, u"rollback"_s}};
        for (MetricPlot* p : page->plots()) {
            p->setAnnotations(marks);
        }
        page->show();
        QVERIFY(QTest::qWaitForWindowExposed(page.get()));
        const QString dir = qEnvironmentVariable("TRACKWATCH_SCREENSHOT_DIR");
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
        dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Base, QColor(0x1f, 0x21, 0x24));
        dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Button, QColor(0x3a, 0x3c, 0x41));
        dark.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::PlaceholderText, QColor(0xa0, 0xa4, 0xab));
        dark.setColor(QPalette::Mid, QColor(0x55, 0x58, 0x5e));
        const QList<std::pair<QString, QPalette>> palettes{{u"light"_s, QPalette()},
                                                           {u"dark"_s, dark}};
        for (const auto& [name, palette] : palettes) {
            page->setPalette(palette);
            for (MetricPlot* p : page->plots()) {
                p->replotNow();
            }
            const QImage image = page->grab().toImage();
            QVERIFY(!image.isNull());
            // The plots' background follows the palette.
            const QColor base = palette.color(QPalette::Base);
            MetricPlot* memory = page->plot(u"memory"_s);
            const QPoint corner = memory->mapTo(page.get(), QPoint(3, 3));
            QCOMPARE(image.pixelColor(corner).rgb(), base.rgb());
            if (!dir.isEmpty()) {
                QVERIFY(image.save(QDir(dir).filePath(u"dashboard-%1.png"_s.arg(name))));
            }
        }
    }
};

QTEST_MAIN(TstDashboardPage)
#include "tst_dashboard_page.moc"
