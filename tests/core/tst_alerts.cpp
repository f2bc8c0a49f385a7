// SPDX-License-Identifier: MIT
// The seed's alert rules: configuration, the state machine on an injected clock, the history
// of transitions, and HighErrorRate's automatic rollback with its audit row.
#include "monitoring/alert_rules.h"

#include "common/config_file.h"
#include "control/control_plane.h"

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
