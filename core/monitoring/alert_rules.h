// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "monitoring/monitor_sample.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace trackwatch::core {

class Database;

// An alert rule's states (AlertStatus::state holds their names).
enum class AlertState { Normal, Pending, Firing, Resolved, NoData };
QString alertStateName(AlertState state); // "normal", "pending", "firing", "resolved", "no_data"

// One of the seed's rules with its settings. The threshold is in the rule's unit: SlowQuery-
// Detected milliseconds of database query P95, HighErrorRate and CacheHitRateDegrad percent,
// ThroughputBelowTarget tracked emails per hour (of the whole fleet, see FleetThroughput).
struct AlertRule {
    enum class Comparison { Above, Below }; // fires when the value is above / below threshold

    QString name;     // "SlowQueryDetected", ...
    QString severity; // "warning", "critical"
    QString action;   // the seed's action: "investigate_query_performance", ...
    QString figure;   // what it compares, for summaries: "database query P95"
    QString unit;     // "ms", "%", "emails/hour"
    Comparison comparison = Comparison::Above;
    double threshold = 0;
    int pendingSecs = 60; // the condition must hold this long before the rule fires
    bool enabled = true;

    // The value the rule compares, in its unit, from a sample (NaN: no data).
    double valueOf(const MonitorSample& sample) const;
    bool breached(double value) const;
};

// The "alerts" section of the configuration file, validated. Every key is optional:
//   {"autoRollback": bool,                   // HighErrorRate rolls back (default false)
//    "resolvedHoldSecs": int 0..86400,       // a resolved rule shows so this long (300)
//    "rules": {"<rule name>": {"enabled": bool, "threshold": number, "pendingSecs": int}}}
// Thresholds: SlowQueryDetected ms > 0 (1000), HighErrorRate percent 0..100 (5),
// CacheHitRateDegrad percent 0..100 (60), ThroughputBelowTarget emails/hour >= 0 (8000);
// pendingSecs 0..86400 (60, 60, 300, 300).
struct AlertConfig {
    QList<AlertRule> rules; // the seed's four, in its order
    bool autoRollback = false;
    int resolvedHoldSecs = 300;

    static AlertConfig defaults();
    // Unknown keys, wrong types and values out of range are refused; the error names the key
    // ("alerts.rules.HighErrorRate.threshold: ...").
    static Result<AlertConfig> fromJson(const QJsonObject& section);
    // The "alerts" section of the whole configuration (defaults when it has none).
    static Result<AlertConfig> fromSettings(const QJsonObject& settings);
    const AlertRule* rule(const QString& name) const;
};

// What ThroughputBelowTarget judges: the fleet's throughput, and only while work is waiting
// (an idle fleet is not an outage). kNoData where unknown.
struct FleetThroughput {
    double emailsPerHour = kNoData; // live engines' latest figures, summed
    double waiting = kNoData;       // webhook jobs not done yet plus mail waiting to be ingested
    int engines = 0;                // engines whose figure is in emailsPerHour

    // One engine alone: its own figure and queue depth.
    static FleetThroughput ofSample(const MonitorSample& sample);
};

// The rules' state machine, evaluated on each MonitorSample: normal -> pending when the
// condition holds, -> firing once it has held for pendingSecs (at once when 0), -> resolved
// when it stops holding, -> normal after resolvedHoldSecs (or pending again if it comes
// back); no_data whenever the figure is missing; a pending rule whose condition clears goes
// back to normal. ThroughputBelowTarget's condition holds only while work is waiting; with
// nothing waiting it is normal ("no work waiting"). Times come from the clock. Not thread-safe.
class AlertEvaluator {
public:
    AlertEvaluator(AlertConfig config, const Clock& clock, QString engineId);

    // Evaluates every rule on the sample and returns the changes of state (the first
    // evaluation's entry into normal or no_data is not a change). ThroughputBelowTarget judges
    // `fleet`, or the sample's engine alone (FleetThroughput::ofSample) when it is not given.
    QList<AlertTransition> evaluate(const MonitorSample& sample,
                                    const std::optional<FleetThroughput>& fleet = std::nullopt);
    // Every rule's status after the last evaluate() (before it: no_data, "not evaluated yet").
    const QList<AlertStatus>& statuses() const { return m_statuses; }
    const AlertConfig& config() const { return m_config; }
    const QString& engineId() const { return m_engineId; }
    // Whether the rule is on, in the configuration and at run time.
    bool isActive(const QString& name) const;
    // Rules switched off at run time (enableSlowQueryAlerts) report normal, "disabled".
    void setRuleEnabled(const QString& name, bool enabled);

private:
    AlertConfig m_config;
    const Clock& m_clock;
    QString m_engineId;
    QList<AlertStatus> m_statuses;
    QList<QDateTime> m_breachedSince; // per rule: when the condition started to hold
    QList<bool> m_runtimeEnabled;
    bool m_evaluated = false;
};

// The alert_transitions table. Lives on its Database's thread. Not thread-safe.
class AlertHistory {
public:
    explicit AlertHistory(Database& db);

    Status record(const AlertTransition& transition);
    // The transitions at or after `since`, newest first, at most `limit`: one engine's, or
    // every engine's when engineId is empty; optionally one rule's.
    Result<QList<AlertTransition>> recent(const QString& engineId, const QDateTime& since,
                                          int limit = 100, const QString& rule = {});
    Result<qint64> prune(const QDateTime& olderThan);

private:
    Database& m_db;
};

// An engine's alerting: evaluates the rules on each sample, records the transitions and runs
// the actions. ThroughputBelowTarget is judged on the fleet: while work is waiting (the
// sample's webhook queue depth, which counts the shared queue, plus the ingestion backlog the
// engine passes), this engine's throughput plus the latest stored figure (metric_snapshots) of
// every other live engine (engine_instances: not stopped, heartbeat within kLiveEngineSecs).
// HighErrorRate's initiate_rollback_procedure runs the control plane's rollback
// when autoRollback is on, once per firing (not when a rollback is already in force), audited
// with the actor "alert:HighErrorRate" and a reason naming the measured error rate. Lives on
// its Database's thread. Not thread-safe.
class AlertMonitor {
public:
    AlertMonitor(Database& db, const Clock& clock, QString engineId, AlertConfig config);

    // Evaluates, records transitions and runs actions; returns every rule's status. Failures
    // to record or to act are logged and kept in lastActionError(). `ingestionBacklog`: mail
    // this engine has read and not ingested yet (0 when it does not know).
    QList<AlertStatus> evaluate(const MonitorSample& sample, qint64 ingestionBacklog = 0);
    // The fleet's throughput as evaluate() judges it (reads engine_instances and
    // metric_snapshots).
    Result<FleetThroughput> fleetThroughput(const MonitorSample& sample, qint64 ingestionBacklog);

    AlertEvaluator& evaluator() { return m_evaluator; }
    // The rollback the alert ran last (audit reason and control version), if any.
    const std::optional<qint64>& lastRollbackVersion() const { return m_lastRollbackVersion; }
    const QString& lastActionError() const { return m_lastActionError; }

    static constexpr char kRollbackActor[] = "alert:HighErrorRate";
    // An engine is live while its heartbeat is this recent (EngineRegistry::kStaleAfter).
    static constexpr int kLiveEngineSecs = 5;

private:
    void act(const AlertTransition& t, const AlertStatus& status);

    Database& m_db;
    const Clock& m_clock;
    AlertEvaluator m_evaluator;
    AlertHistory m_history;
    std::optional<qint64> m_lastRollbackVersion;
    QString m_lastActionError;
    QString m_lastFleetError; // logged once until it changes
};

} // namespace trackwatch::core
