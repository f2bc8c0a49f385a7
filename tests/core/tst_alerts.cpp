// SPDX-License-Identifier: MIT
// The seed's alert rules: configuration, the state machine on an injected clock, the history
// of transitions, HighErrorRate's automatic rollback with its audit row, and
// ThroughputBelowTarget judged on the fleet's throughput while work is waiting.
#include "monitoring/alert_rules.h"

#include "common/config_file.h"
#include "control/control_plane.h"
#include "engine/engine_registry.h"
#include "monitoring/metric_history.h"

#include "../support/test_databases.h"

#include <QJsonDocument>
#include <QTest>

#include <cmath>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kStart = QDateTime(QDate(2026, 11, 29), QTime(9, 0), Qt::UTC);

// A sample where every rule has data and none is breached.
MonitorSample healthy() {
    MonitorSample s;
    s.queryP95Ms = 12;
    s.errorRate = 0.001;
    s.cacheHitRate = 0.9;
    s.emailsPerHour = 12000;
    return s;
}

// An engine's sample that judges only throughput: every other figure is missing.
MonitorSample throughput(double emailsPerHour, double queueDepth) {
    MonitorSample s;
    s.emailsPerHour = emailsPerHour;
    s.queueDepth = queueDepth;
    return s;
}

QJsonObject json(const char* text) {
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

const AlertStatus& statusOf(const QList<AlertStatus>& list, const QString& rule) {
    static const AlertStatus none;
    for (const AlertStatus& s : list) {
        if (s.rule == rule) {
            return s;
        }
    }
    return none;
}

} // namespace

class TstAlerts : public QObject {
    Q_OBJECT
private slots:
    // The seed's four rules with its thresholds, severities and actions.
    void defaultsAreTheSeeds() {
        const AlertConfig c = AlertConfig::defaults();
        QCOMPARE(c.rules.size(), 4);
        const auto check = [&](const QString& name, const QString& severity, const QString& action,
                               double threshold) {
            const AlertRule* r = c.rule(name);
            QVERIFY2(r, qPrintable(name));
            QCOMPARE(r->severity, severity);
            QCOMPARE(r->action, action);
            QCOMPARE(r->threshold, threshold);
        };
        check(u"SlowQueryDetected"_s, u"warning"_s, u"investigate_query_performance"_s, 1000);
        check(u"HighErrorRate"_s, u"critical"_s, u"initiate_rollback_procedure"_s, 5);
        check(u"CacheHitRateDegrad"_s, u"warning"_s, u"review_cache_configuration"_s, 60);
        check(u"ThroughputBelowTarget"_s, u"critical"_s, u"scale_resources_investigate"_s, 8000);
        QVERIFY(!c.autoRollback);
        // Above/below as the seed writes them: p95 > 1000 ms, error > 5%, hit < 60%, < 8000/h.
        MonitorSample s = healthy();
        s.queryP95Ms = 1000;
        QVERIFY(
            !c.rule(u"SlowQueryDetected"_s)->breached(c.rule(u"SlowQueryDetected"_s)->valueOf(s)));
        s.queryP95Ms = 1001;
        QVERIFY(
            c.rule(u"SlowQueryDetected"_s)->breached(c.rule(u"SlowQueryDetected"_s)->valueOf(s)));
        s.cacheHitRate = 0.59;
        QVERIFY(
            c.rule(u"CacheHitRateDegrad"_s)->breached(c.rule(u"CacheHitRateDegrad"_s)->valueOf(s)));
        s.errorRate = 0.05;
        QVERIFY(!c.rule(u"HighErrorRate"_s)->breached(c.rule(u"HighErrorRate"_s)->valueOf(s)));
        s.emailsPerHour = 7999;
        QVERIFY(c.rule(u"ThroughputBelowTarget"_s)
                    ->breached(c.rule(u"ThroughputBelowTarget"_s)->valueOf(s)));
    }

    void readsTheConfiguration() {
        auto c = AlertConfig::fromSettings(
            json("{\"alerts\": {\"autoRollback\": true, \"resolvedHoldSecs\": 30, \"rules\": "
                 "{\"HighErrorRate\": {\"threshold\": 2.5, \"pendingSecs\": 0}, "
                 "\"SlowQueryDetected\": {\"enabled\": false, \"threshold\": 250}}}}"));
        QVERIFY(c.ok());
        QVERIFY(c->autoRollback);
        QCOMPARE(c->resolvedHoldSecs, 30);
        QCOMPARE(c->rule(u"HighErrorRate"_s)->threshold, 2.5);
        QCOMPARE(c->rule(u"HighErrorRate"_s)->pendingSecs, 0);
        QCOMPARE(c->rule(u"SlowQueryDetected"_s)->enabled, false);
        QCOMPARE(c->rule(u"SlowQueryDetected"_s)->threshold, 250.0);
        QCOMPARE(c->rule(u"CacheHitRateDegrad"_s)->threshold, 60.0); // untouched
        auto none = AlertConfig::fromSettings({});
        QVERIFY(none.ok());
        QCOMPARE(none->rules.size(), 4);
    }

    // The example configuration that packaging ships is valid and says the defaults.
    void exampleConfigurationIsValid() {
        auto settings = readConfigFile(
            QStringLiteral(TRACKWATCH_TEST_DATA "/../../packaging/trackwatch.example.json"));
        QVERIFY2(settings.ok(), settings.ok() ? "" : qPrintable(settings.error().message));
        auto c = AlertConfig::fromSettings(*settings);
        QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().message));
        const AlertConfig d = AlertConfig::defaults();
        for (qsizetype i = 0; i < d.rules.size(); ++i) {
            QCOMPARE(c->rules[i].threshold, d.rules[i].threshold);
            QCOMPARE(c->rules[i].pendingSecs, d.rules[i].pendingSecs);
        }
        QCOMPARE(c->autoRollback, false);
    }

    void refusesBadConfiguration_data() {
        QTest::addColumn<QString>("settings");
        QTest::addColumn<QString>("key");
        QTest::newRow("not an object") << u"{\"alerts\": 5}"_s << u"alerts:"_s;
        QTest::newRow("unknown key")
            << u"{\"alerts\": {\"autoRolback\": true}}"_s << u"alerts.autoRolback"_s;
        QTest::newRow("rollback not bool")
            << u"{\"alerts\": {\"autoRollback\": \"yes\"}}"_s << u"alerts.autoRollback"_s;
        QTest::newRow("unknown rule")
            << u"{\"alerts\": {\"rules\": {\"HighErrors\": {}}}}"_s << u"alerts.rules.HighErrors"_s;
        QTest::newRow("percent above 100")
            << u"{\"alerts\": {\"rules\": {\"HighErrorRate\": {\"threshold\": 150}}}}"_s
            << u"alerts.rules.HighErrorRate.threshold"_s;
        QTest::newRow("negative throughput")
            << u"{\"alerts\": {\"rules\": {\"ThroughputBelowTarget\": {\"threshold\": -1}}}}"_s
            << u"alerts.rules.ThroughputBelowTarget.threshold"_s;
        QTest::newRow("zero ms")
            << u"{\"alerts\": {\"rules\": {\"SlowQueryDetected\": {\"threshold\": 0}}}}"_s
            << u"alerts.rules.SlowQueryDetected.threshold"_s;
        QTest::newRow("threshold as text")
            << u"{\"alerts\": {\"rules\": {\"CacheHitRateDegrad\": {\"threshold\": \"60\"}}}}"_s
            << u"alerts.rules.CacheHitRateDegrad.threshold"_s;
        QTest::newRow("fractional pending")
            << u"{\"alerts\": {\"rules\": {\"HighErrorRate\": {\"pendingSecs\": 1.5}}}}"_s
            << u"alerts.rules.HighErrorRate.pendingSecs"_s;
        QTest::newRow("pending too long")
            << u"{\"alerts\": {\"rules\": {\"HighErrorRate\": {\"pendingSecs\": 90000}}}}"_s
            << u"alerts.rules.HighErrorRate.pendingSecs"_s;
        QTest::newRow("unknown setting")
            << u"{\"alerts\": {\"rules\": {\"HighErrorRate\": {\"severity\": \"warning\"}}}}"_s
            << u"alerts.rules.HighErrorRate.severity"_s;
        QTest::newRow("hold negative")
            << u"{\"alerts\": {\"resolvedHoldSecs\": -5}}"_s << u"alerts.resolvedHoldSecs"_s;
    }
    void refusesBadConfiguration() {
        QFETCH(QString, settings);
        QFETCH(QString, key);
        auto c = AlertConfig::fromSettings(json(settings.toUtf8().constData()));
        QVERIFY(!c.ok());
        QCOMPARE(c.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(c.error().message.startsWith(key), qPrintable(c.error().message));
    }

    // normal -> pending -> firing (after pendingSecs) -> resolved -> normal (after the hold);
    // a pending rule whose condition clears goes back to normal; missing data is no_data.
    void stateMachine() {
        ManualClock clock(kStart);
        AlertConfig config = AlertConfig::defaults();
        config.resolvedHoldSecs = 120;
        AlertEvaluator e(config, clock, u"engine-1"_s);
        const auto state = [&](const QString& rule) { return statusOf(e.statuses(), rule).state; };
        QCOMPARE(state(u"HighErrorRate"_s), u"no_data"_s); // before the first evaluation

        QVERIFY(e.evaluate(healthy()).isEmpty()); // entering normal at start is no change
        QCOMPARE(state(u"HighErrorRate"_s), u"normal"_s);

        MonitorSample bad = healthy();
        bad.errorRate = 0.2;
        clock.advanceSecs(1);
        auto t = e.evaluate(bad);
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].rule, u"HighErrorRate"_s);
        QCOMPARE(t[0].fromState, u"normal"_s);
        QCOMPARE(t[0].toState, u"pending"_s);
        QCOMPARE(t[0].value, 20.0);
        QCOMPARE(t[0].severity, u"critical"_s);
        QCOMPARE(t[0].engineId, u"engine-1"_s);
        clock.advanceSecs(59);
        QVERIFY(e.evaluate(bad).isEmpty()); // 59 s of 60: still pending
        QCOMPARE(state(u"HighErrorRate"_s), u"pending"_s);
        clock.advanceSecs(1);
        t = e.evaluate(bad);
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].toState, u"firing"_s);
        QCOMPARE(statusOf(e.statuses(), u"HighErrorRate"_s).since, clock.now());
        QVERIFY2(t[0].summary.contains(u"error rate 20% above 5%"_s), qPrintable(t[0].summary));
        clock.advanceSecs(10);
        QVERIFY(e.evaluate(bad).isEmpty()); // stays firing

        clock.advanceSecs(1);
        t = e.evaluate(healthy());
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].fromState, u"firing"_s);
        QCOMPARE(t[0].toState, u"resolved"_s);
        clock.advanceSecs(119);
        QVERIFY(e.evaluate(healthy()).isEmpty()); // resolved for the hold
        clock.advanceSecs(1);
        t = e.evaluate(healthy());
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].toState, u"normal"_s);

        // Pending that clears goes back to normal without firing.
        clock.advanceSecs(1);
        QCOMPARE(e.evaluate(bad).value(0).toState, u"pending"_s);
        clock.advanceSecs(30);
        QCOMPARE(e.evaluate(healthy()).value(0).toState, u"normal"_s);

        // A missing figure says so.
        MonitorSample noCache = healthy();
        noCache.cacheHitRate = kNoData;
        clock.advanceSecs(1);
        t = e.evaluate(noCache);
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].rule, u"CacheHitRateDegrad"_s);
        QCOMPARE(t[0].toState, u"no_data"_s);
        QVERIFY(std::isnan(statusOf(e.statuses(), u"CacheHitRateDegrad"_s).value));

        // A rule switched off by its flag reports normal, disabled; pendingSecs 0 fires at once.
        e.setRuleEnabled(u"SlowQueryDetected"_s, false);
        MonitorSample slow = healthy();
        slow.queryP95Ms = 5000;
        clock.advanceSecs(1);
        e.evaluate(slow);
        QCOMPARE(state(u"SlowQueryDetected"_s), u"normal"_s);
        QVERIFY(statusOf(e.statuses(), u"SlowQueryDetected"_s).summary.contains(u"disabled"_s));
        config.rules[0].pendingSecs = 0;
        AlertEvaluator immediate(config, clock, u"engine-1"_s);
        t = immediate.evaluate(slow);
        QCOMPARE(t.size(), 1);
        QCOMPARE(t[0].fromState, u"no_data"_s);
        QCOMPARE(t[0].toState, u"firing"_s);
    }

    // The monitor records each transition; with autoRollback, HighErrorRate's firing rolls
    // the optimizations back once, audited as the alert with the measured rate.
    void highErrorRateRollsBackOnce_data() { test::addDialectRows(); }
    void highErrorRateRollsBackOnce() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kStart);
        AlertConfig config = AlertConfig::defaults();
        config.autoRollback = true;
        AlertMonitor monitor(*db, clock, u"engine-1"_s, config);
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        const auto rollbacks = [&] {
            AuditFilter f;
            f.actor = QString::fromLatin1(AlertMonitor::kRollbackActor);
            auto entries = control.audit(f);
            return entries.ok() ? entries->size() : -1;
        };

        monitor.evaluate(healthy());
        MonitorSample bad = healthy();
        bad.errorRate = 0.125;
        clock.advanceSecs(1);
        QCOMPARE(statusOf(monitor.evaluate(bad), u"HighErrorRate"_s).state, u"pending"_s);
        QCOMPARE(rollbacks(), 0); // pending does not act
        clock.advanceSecs(60);
        QCOMPARE(statusOf(monitor.evaluate(bad), u"HighErrorRate"_s).state, u"firing"_s);
        QVERIFY2(monitor.lastActionError().isEmpty(), qPrintable(monitor.lastActionError()));
        QVERIFY(monitor.lastRollbackVersion().has_value());
        const qsizetype written = rollbacks();
        QVERIFY(written > 0); // one audit row per optimization flag
        AuditFilter f;
        f.actor = QString::fromLatin1(AlertMonitor::kRollbackActor);
        const AuditEntry entry = control.audit(f).value().first();
        QCOMPARE(entry.actorOsUser, u"alert:HighErrorRate"_s);
        QVERIFY2(entry.reason.contains(u"HighErrorRate"_s) && entry.reason.contains(u"12.5%"_s),
                 qPrintable(entry.reason));
        auto active = control.activeRollback();
        QVERIFY(active.ok() && active->has_value());
        QCOMPARE((*active)->by, u"alert:HighErrorRate"_s);

        // Still firing: no second rollback.
        clock.advanceSecs(5);
        monitor.evaluate(bad);
        QCOMPARE(rollbacks(), written);
        // Resolved, and firing again while the rollback is still in force: none either.
        clock.advanceSecs(5);
        QCOMPARE(statusOf(monitor.evaluate(healthy()), u"HighErrorRate"_s).state, u"resolved"_s);
        clock.advanceSecs(1);
        monitor.evaluate(bad);
        clock.advanceSecs(61);
        QCOMPARE(statusOf(monitor.evaluate(bad), u"HighErrorRate"_s).state, u"firing"_s);
        QCOMPARE(rollbacks(), written);

        // The history, newest first, filtered by engine and rule.
        AlertHistory history(*db);
        auto recent = history.recent(u"engine-1"_s, kStart, 10, u"HighErrorRate"_s);
        QVERIFY(recent.ok());
        QStringList path;
        for (const AlertTransition& t : *recent) {
            path.prepend(t.fromState + u">"_s + t.toState);
        }
        QCOMPARE(path, (QStringList{u"normal>pending"_s, u"pending>firing"_s, u"firing>resolved"_s,
                                    u"resolved>pending"_s, u"pending>firing"_s}));
        QCOMPARE(recent->first().value, 12.5);
        QCOMPARE(recent->first().at, clock.now());
        QVERIFY(recent->first().id > 0);
        QCOMPARE(history.recent(u"engine-1"_s, kStart, 2).value().size(), 2);
        QVERIFY(history.recent(u"engine-2"_s, kStart).value().isEmpty());
        QCOMPARE(history.prune(clock.now()).value(), 4); // all but the newest
    }

    // An idle engine is not an outage: with nothing waiting, a throughput of zero keeps
    // ThroughputBelowTarget normal, however long it lasts (it used to fire after 300 s, critical,
    // and make a quiet engine unhealthy).
    void quietEngineIsNotAnOutage() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kStart);
        AlertMonitor monitor(*db, clock, u"engine-1"_s, AlertConfig::defaults());
        for (int second = 0; second <= 900; second += 30) {
            const AlertStatus s =
                statusOf(monitor.evaluate(throughput(0, 0)), u"ThroughputBelowTarget"_s);
            QVERIFY2(s.state == u"normal"_s, qPrintable(s.state + u": "_s + s.summary));
            QVERIFY2(s.summary.contains(u"no work waiting"_s), qPrintable(s.summary));
            clock.advanceSecs(30);
        }
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM alert_transitions"_s), 0);
        // The rule keeps the seed's name, threshold and severity.
        const AlertRule* rule = monitor.evaluator().config().rule(u"ThroughputBelowTarget"_s);
        QCOMPARE(rule->severity, u"critical"_s);
        QCOMPARE(rule->threshold, 8000.0);
        // Without the database, judged on the sample alone: still normal while idle, pending
        // once work waits.
        AlertEvaluator alone(AlertConfig::defaults(), clock, u"engine-1"_s);
        alone.evaluate(throughput(100, 0));
        QCOMPARE(statusOf(alone.statuses(), u"ThroughputBelowTarget"_s).state, u"normal"_s);
        clock.advanceSecs(1);
        alone.evaluate(throughput(100, 3));
        QCOMPARE(statusOf(alone.statuses(), u"ThroughputBelowTarget"_s).state, u"pending"_s);
        clock.advanceSecs(1);
        alone.evaluate(throughput(100, kNoData));
        QCOMPARE(statusOf(alone.statuses(), u"ThroughputBelowTarget"_s).state, u"no_data"_s);
    }

    // While work waits, the figure judged is the fleet's: this engine's throughput plus the
    // latest stored figure of every other live engine; a stale engine's figure and older
    // figures do not count. Two engines each under 8,000 an hour but 9,000 together are fine.
    void throughputIsJudgedOnTheFleet_data() { test::addDialectRows(); }
    void throughputIsJudgedOnTheFleet() {
        static_assert(AlertMonitor::kLiveEngineSecs == EngineRegistry::kStaleAfter.count());
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kStart);
        EngineRegistry self(*db, clock);
        EngineRegistry other(*db, clock);
        EngineRegistry stale(*db, clock);
        for (EngineRegistry* r : {&self, &other, &stale}) {
            QVERIFY(r->registerSelf(u"daemon"_s).ok());
        }
        MetricHistory history(*db);
        const auto store = [&](const EngineRegistry& engine, double emailsPerHour) {
            MonitorSample s = throughput(emailsPerHour, 7);
            s.at = clock.now();
            s.engineId = engine.id();
            return history.record(s).ok();
        };
        QVERIFY(store(other, 100000)); // an older figure: superseded below
        QVERIFY(store(stale, 100000)); // its engine stops heartbeating
        QVERIFY(store(self, 1));       // this engine's stored figure: the sample's counts instead
        clock.advanceSecs(60);
        QVERIFY(store(other, 5000));
        const auto beat = [&] { return self.heartbeat(1, {}).ok() && other.heartbeat(1, {}).ok(); };
        QVERIFY(beat());

        AlertMonitor monitor(*db, clock, self.id(), AlertConfig::defaults());
        const auto rule = [&](const MonitorSample& s) {
            return statusOf(monitor.evaluate(s), u"ThroughputBelowTarget"_s);
        };
        // 4,000 here + 5,000 there, jobs waiting: normal (this engine alone is under target).
        AlertStatus s = rule(throughput(4000, 12));
        QVERIFY2(s.state == u"normal"_s, qPrintable(s.state + u": "_s + s.summary));
        QCOMPARE(s.value, 9000.0);
        auto fleet = monitor.fleetThroughput(throughput(4000, 12), 0);
        QVERIFY(fleet.ok());
        QCOMPARE(fleet->engines, 2);
        QCOMPARE(fleet->waiting, 12.0);
        // Mail waiting to be ingested counts as work waiting as much as queued jobs do.
        QCOMPARE(monitor.fleetThroughput(throughput(4000, 0), 30).value().waiting, 30.0);

        // The other engine slows down: 4,000 + 3,000 is under target, pending then firing.
        clock.advanceSecs(10);
        QVERIFY(store(other, 3000));
        QVERIFY(beat());
        s = rule(throughput(4000, 12));
        QCOMPARE(s.state, u"pending"_s);
        QCOMPARE(s.value, 7000.0);
        QVERIFY2(s.summary.contains(u"2 engine(s), 12 waiting"_s), qPrintable(s.summary));
        for (int i = 0; i < 30; ++i) {
            clock.advanceSecs(10);
            QVERIFY(beat());
            s = rule(throughput(4000, 12));
        }
        QCOMPARE(s.state, u"firing"_s);
        QCOMPARE(s.severity, u"critical"_s);

        // The queue drains: nothing waits, so the rule is no longer breached.
        clock.advanceSecs(1);
        QVERIFY(beat());
        s = rule(throughput(4000, 0));
        QCOMPARE(s.state, u"resolved"_s);
        QVERIFY2(s.summary.contains(u"no work waiting"_s), qPrintable(s.summary));

        // The other engine stops heartbeating: only this engine counts once it is stale.
        clock.advanceSecs(AlertMonitor::kLiveEngineSecs + 1);
        QVERIFY(self.heartbeat(1, {}).ok());
        fleet = monitor.fleetThroughput(throughput(4000, 12), 0);
        QVERIFY(fleet.ok());
        QCOMPARE(fleet->engines, 1);
        QCOMPARE(fleet->emailsPerHour, 4000.0);
        // A stopped engine does not count either, even with a fresh heartbeat.
        QVERIFY(other.heartbeat(1, {}).ok());
        QCOMPARE(monitor.fleetThroughput(throughput(4000, 12), 0).value().engines, 2);
        QVERIFY(other.stop().ok());
        QCOMPARE(monitor.fleetThroughput(throughput(4000, 12), 0).value().engines, 1);
    }

    // Without autoRollback the alert fires and nothing is rolled back.
    void noRollbackUnlessEnabled() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ManualClock clock(kStart);
        AlertConfig config = AlertConfig::defaults();
        config.rules[1].pendingSecs = 0;
        AlertMonitor monitor(*db, clock, u"engine-1"_s, config);
        MonitorSample bad = healthy();
        bad.errorRate = 0.5;
        QCOMPARE(statusOf(monitor.evaluate(bad), u"HighErrorRate"_s).state, u"firing"_s);
        QVERIFY(!monitor.lastRollbackVersion().has_value());
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        QVERIFY(!control.activeRollback().value().has_value());
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM alert_transitions"_s), 1);
    }
};

QTEST_GUILESS_MAIN(TstAlerts)
#include "tst_alerts.moc"
