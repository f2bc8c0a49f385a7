// SPDX-License-Identifier: MIT
#pragma once

#include "cache/query_cache.h"
#include "common/clock.h"
#include "control/circuit_breaker.h"
#include "engine/engine_registry.h"
#include "monitoring/monitor_sample.h"
#include "storage/connection_spec.h"
#include "storage/reconnector.h"
#include "tracking/ingestion_engine.h"
#include "tracking/traffic_simulator.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace trackwatch::core {

struct EngineConfig {
    ConnectionSpec connection;
    double simulateRate = 0;      // simulated sent messages per hour; 0 runs no simulator
    int simulateBackfillSecs = 0; // the simulator starts this far in the past (history at once)
    SimulatorConfig simulator;
    IngestionOptions ingestion;
    int tickMs = 1000;                       // simulator step and snapshot period
    int expiryIntervalSecs = 60;             // how often overdue emails are expired
    int analyticsIntervalSecs = 600;         // rollup refresh when pg_cron does not schedule it
    QString kind = QStringLiteral("daemon"); // as engine_instances shows it: "console", "daemon"
    // The simulator's mail arrives as a provider would deliver it: stored in the mail source,
    // announced by a change notification per message, ingested by the webhook processors.
    bool viaWebhooks = false;
    // Shadow mode: a priority processor runs the legacy processor's jobs again in a sandbox
    // and the differences are counted (the seed's validation before switching).
    bool webhookShadow = false;
    BreakerConfig breaker; // every optimized path's automatic breaker
    // The configuration file's sections (readConfigFile(); empty: every default). "alerts" is
    // read by AlertConfig::fromSettings(): an invalid one makes start() fail.
    QJsonObject settings;
    // HighErrorRate's action runs the control plane's rollback (also settings alerts.
    // autoRollback; off unless either says so).
    bool autoRollback = false;
    // This share (0..100) of ingestion batches and webhook rounds fails with an injected error,
    // counted as a real one (the optimized path's failure falls back to legacy, which then
    // does the work): for checking the alerts. Engine::setInjectErrors() changes it live.
    double injectErrorsPercent = 0;
    int historyEveryTicks = 10; // every tenth sample goes to metric_snapshots
    int historyKeepDays = 8;    // samples and alert transitions older than this are pruned
    // How soon, by the engine's clock, a lost database is tried again, and again.
    BackoffPolicy reconnect;
};

// One optimized path's guard as the engine last saw it.
struct GuardReport {
    QString operation;
    QString state; // breakerStateName()
    qint64 optimized = 0;
    qint64 legacy = 0;
    qint64 fallbacks = 0;
    QString lastFailure;
};

// What the engine reports once per tick.
struct EngineSnapshot {
    QDateTime at;
    IngestionStats total;                // since the engine started
    QHash<QString, qint64> statusCounts; // tracked emails per status, whole database
    double emailsPerHour = 0;            // new tracked emails over the last minute, per hour
    bool batchIngestion = false;
    QString analyticsScheduler; // "pg_cron" or "engine"
    QString engineId;           // this engine's row in engine_instances
    qint64 controlVersion = 0;  // the control plane version it runs on
    HealthReport health;
    QList<GuardReport> guards;
    QList<std::pair<QString, CacheStats>> caches; // per namespace: "trackedEmails", ...
    qint64 invalidationsReceived = 0;             // accounts other engines said they changed
    struct Webhooks {
        qint64 queueDepth = 0; // queued, waiting to retry or running
        qint64 done = 0;       // jobs this engine completed
        qint64 retried = 0;
        qint64 deadLettered = 0;
        double jobsPerMinute = 0;  // over the last minute
        qint64 shadowCompared = 0; // jobs the shadow processor ran again
        qint64 shadowDifferent = 0;
    } webhooks;
    MonitorSample sample;      // the dashboards' figures
    QList<AlertStatus> alerts; // every rule, as evaluated this tick
};

class OptimizationGuard;
class MetricsRegistry;

// What another thread needs to answer queries the way this engine does: its query cache and
// the guards of the optimized query paths (both thread-safe; valid while the engine lives).
struct EngineQueryContext {
    std::shared_ptr<QueryCache> cache;
    OptimizationGuard* queries = nullptr;
    OptimizationGuard* caching = nullptr;
    std::shared_ptr<std::atomic<bool>> materializedViews; // useMaterializedViews, as applied
    std::shared_ptr<MetricsRegistry> metrics;             // the engine's, for /metrics
};

namespace detail {
class EngineWorker;
}

// The tracking engine on its own thread: opens the database (migrating it), runs the traffic
// simulator when asked, expires overdue emails and keeps the analytics rollup fresh, and emits
// a snapshot every tick through a queued signal. Create, connect and destroy it on one thread
// (normally the UI or main thread); all database work happens on the engine's thread. The
// destructor stops the thread and waits for it.
class Engine : public QObject {
    Q_OBJECT
public:
    Engine(EngineConfig config, std::shared_ptr<const Clock> clock, QObject* parent = nullptr);
    ~Engine() override;

    // Starts the engine thread; ready() or failed() follows.
    void start();

    const EngineConfig& config() const { return m_config; }
    // After start(): the cache and guards for threads that serve queries (the HTTP API).
    EngineQueryContext queryContext() const;

    // Any thread: the share of operations that fail with an injected error (see
    // EngineConfig::injectErrorsPercent), from the next tick on.
    void setInjectErrors(double percent);

signals:
    void ready(const QString& database);
    void failed(const QString& message);
    void snapshotReady(const trackwatch::core::EngineSnapshot& snapshot);

private:
    EngineConfig m_config;
    std::shared_ptr<const Clock> m_clock;
    QThread m_thread;
    detail::EngineWorker* m_worker = nullptr;
};

} // namespace trackwatch::core

Q_DECLARE_METATYPE(trackwatch::core::EngineSnapshot)
