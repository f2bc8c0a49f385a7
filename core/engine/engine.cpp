// SPDX-License-Identifier: MIT
#include "engine/engine.h"

#include "cache/invalidation_channel.h"
#include "cache/query_cache.h"
#include "common/logging.h"
#include "control/circuit_breaker.h"
#include "control/control_plane.h"
#include "control/optimization_guard.h"
#include "metrics/metrics_registry.h"
#include "monitoring/alert_rules.h"
#include "monitoring/metric_history.h"
#include "monitoring/process_stats.h"
#include "ratelimit/guarded_rate_limiter.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "storage/reconnector.h"
#include "storage/retention.h"
#include "tracking/email_query_service.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_processor.h"
#include "webhooks/webhook_queue.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSet>
#include <QSqlDriver>
#include <QTimer>

#include <atomic>
#include <cmath>
#include <deque>

namespace trackwatch::core {
namespace detail {

using namespace Qt::StringLiterals;

// Fetching a message from a mailbox is limited as Microsoft Graph limits it.
const RateLimitPolicies kRatePolicies(RateLimitPolicy::microsoftGraphMailbox());
// Webhook jobs a tick may take, so a backlog (the backfilled hour) drains over several ticks
// and the engine keeps reporting meanwhile.
constexpr int kPriorityJobsPerTick = 5000;
constexpr int kLegacyJobsPerTick = 500;

// The engine's metrics move with its clock, so windows and alerts follow an injected one.
MetricsRegistry::TimeSource clockTime(std::shared_ptr<const Clock> clock) {
    return [clock = std::move(clock)] { return clock->now().toMSecsSinceEpoch() * 1'000'000; };
}

QString labelOf(const MetricSnapshot& m, QStringView name) {
    for (const auto& [key, value] : m.labels) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

double msOrNoData(const MetricWindowStats& w, qint64 MetricWindowStats::*field) {
    return w.count > 0 ? static_cast<double>(w.*field) / 1e6 : kNoData;
}

// Lives on the engine thread and owns everything that touches the database.
class EngineWorker : public QObject {
    Q_OBJECT
public:
    EngineWorker(EngineConfig config, std::shared_ptr<const Clock> clock)
        : m_config(std::move(config))
        , m_clock(std::move(clock))
        , m_tick(this)
        , m_maintenance(this)
        , m_analytics(this)
        , m_countsDue(this)
        , m_cache(std::make_shared<QueryCache>())
        , m_metrics(std::make_shared<MetricsRegistry>(clockTime(m_clock)))
        , m_rateLimiter(std::make_shared<RateLimiter>(kRatePolicies)) {
        m_countsDue.setSingleShot(true);
        setInjectErrors(m_config.injectErrorsPercent);
        // Each optimization with its flag and rollout (the seed's A/B wrapper around it).
        const std::tuple<QString, Flag, QString> specs[] = {
            {u"batchIngestion"_s, Flag::EnableBatchIngestion, u"batchProcessing"_s},
            {u"optimizedQueries"_s, Flag::UseOptimizedQueries, u"optimizedQueries"_s},
            {u"queryCache"_s, Flag::EnableQueryCaching, u"caching"_s},
            {u"rateLimiter"_s, Flag::EnableRateLimitCaching, u"caching"_s},
            {u"batchWebhooks"_s, Flag::EnableBatchWebhooks, u"batchProcessing"_s},
        };
        for (const auto& [operation, flag, rollout] : specs) {
            m_guards.push_back({flag, rollout,
                                std::make_unique<OptimizationGuard>(operation, rollout,
                                                                    m_config.breaker, *m_clock)});
        }
    }

    void initialize() {
        auto log = logging::get("core.engine");
        auto db = Database::open(m_config.connection);
        if (!db) {
            emit failed(db.error().message);
            return;
        }
        m_db = std::move(db).value();
        m_db->setMetrics(m_metrics);
        m_link = std::make_unique<Reconnector>(*m_db, *m_clock, m_config.reconnect);
        m_link->onRestored([this] { catchUpAfterOutage(); });
        auto alertConfig = AlertConfig::fromSettings(m_config.settings);
        if (!alertConfig) {
            emit failed(u"configuration: "_s + alertConfig.error().message);
            m_db.reset();
            return;
        }
        alertConfig->autoRollback = alertConfig->autoRollback || m_config.autoRollback;
        Migrator migrator(*m_db);
        if (auto applied = migrator.migrate(); !applied) {
            emit failed(applied.error().message);
            m_db.reset();
            return;
        }
        m_ingestion = std::make_unique<IngestionEngine>(*m_db, *m_clock, m_config.ingestion);
        m_control = std::make_unique<ControlPlane>(*m_db, *m_clock);
        m_registry = std::make_unique<EngineRegistry>(*m_db, *m_clock);
        if (const Status s = m_registry->registerSelf(m_config.kind); !s) {
            emit failed(s.error().message);
            m_db.reset();
            return;
        }
        m_snapshot.engineId = m_registry->id();
        m_history = std::make_unique<MetricHistory>(*m_db);
        m_alerts = std::make_unique<AlertMonitor>(*m_db, *m_clock, m_registry->id(), *alertConfig);
        m_snapshot.alerts = m_alerts->evaluator().statuses();
        if (m_config.injectErrorsPercent > 0) {
            log->warn("injecting errors into {}% of ingestion batches and webhook rounds",
                      m_config.injectErrorsPercent);
        }
        if (alertConfig->autoRollback) {
            log->info("HighErrorRate rolls the optimizations back when it fires");
        }
        m_invalidations =
            std::make_unique<CacheInvalidationChannel>(*m_db, *m_clock, m_registry->id());
        if (const Status s = m_invalidations->start(); !s) {
            emit failed(s.error().message);
            m_db.reset();
            return;
        }
        m_rateStore = std::make_unique<RateLimitStore>(*m_db, kRatePolicies);
        m_rateLimits = std::make_unique<GuardedRateLimiter>(*m_rateLimiter, *m_rateStore,
                                                            *guard(u"rateLimiter"_s));
        m_mailSource = std::make_unique<MailSource>(*m_db, *m_clock);
        m_webhookQueue = std::make_unique<WebhookQueue>(*m_db, *m_clock);
        WebhookProcessorConfig webhooks;
        webhooks.ingestion = m_config.ingestion;
        webhooks.workerId = m_registry->id();
        m_legacyWebhooks = std::make_unique<WebhookProcessor>(*m_db, *m_clock, webhooks);
        m_priorityWebhooks = std::make_unique<PriorityWebhookProcessor>(*m_db, *m_clock, webhooks);
        // Fetching a message is what Microsoft Graph rate-limits per mailbox.
        const AdmissionHook admission =
            [this](const QString& account) -> Result<std::optional<std::chrono::milliseconds>> {
            auto d = m_rateLimits->check(account, u"mailbox.fetch"_s, RateLimitTime::current());
            if (!d) {
                return d.error();
            }
            return d->allowed ? std::optional<std::chrono::milliseconds>{}
                              : std::optional(d->retryAfter);
        };
        m_legacyWebhooks->setAdmission(admission);
        m_priorityWebhooks->setAdmission(admission);
        if (m_config.webhookShadow) {
            if (const Status s = startWebhookShadow(webhooks); !s) {
                emit failed(u"webhook shadow: "_s + s.error().message);
                m_db.reset();
                return;
            }
        }
        m_queries = std::make_unique<EmailQueryService>(
            *m_db, m_cache.get(),
            EmailQueryService::Guards{guard(u"optimizedQueries"_s), guard(u"queryCache"_s)});
        applyControl();
        // PostgreSQL pushes control changes (one NOTIFY per change); the per-tick version poll
        // stays as the fallback and is all SQLite has.
        if (m_db->dialect() == Dialect::PostgreSql) {
            // A notification only says "read again" (anyone who can connect may send one);
            // the subscriptions are renewed with each new session (Database::reopen).
            if (m_db->listen(u"trackwatch_control"_s, [this](const QString&) { applyControl(); }) &&
                m_db->listen(u"trackwatch_cache"_s,
                             [this](const QString&) { receiveInvalidations(); })) {
            } else {
                log->warn("cannot LISTEN for control changes; polling them each tick");
            }
        }
        m_snapshot.analyticsScheduler = scheduleAnalytics();
        if (m_config.simulateRate > 0) {
            m_simulatedUntil = m_clock->now().addSecs(-m_config.simulateBackfillSecs);
            m_simulator = std::make_unique<TrafficSimulator>(m_config.simulator, m_simulatedUntil);
        }
        refreshCounts();

        m_tick.setInterval(m_config.tickMs);
        connect(&m_tick, &QTimer::timeout, this, &EngineWorker::tick);
        m_tick.start();
        m_maintenance.setInterval(m_config.expiryIntervalSecs * 1000);
        connect(&m_maintenance, &QTimer::timeout, this, &EngineWorker::expire);
        m_maintenance.start();
        if (m_snapshot.analyticsScheduler == u"engine") {
            m_analytics.setInterval(m_config.analyticsIntervalSecs * 1000);
            connect(&m_analytics, &QTimer::timeout, this, &EngineWorker::refreshAnalytics);
            m_analytics.start();
            refreshAnalytics();
        }
        log->info("engine ready on {} (ingestion: {}, analytics refresh: {})",
                  m_config.connection.redacted(), m_ingestion->options().batch ? "batch" : "legacy",
                  m_snapshot.analyticsScheduler);
        emit ready(m_config.connection.redacted());
        tick();
    }

    // Any thread (the members it hands out are created in the constructor and thread-safe).
    EngineQueryContext queryContext() const {
        return {m_cache, guard(u"optimizedQueries"_s), guard(u"queryCache"_s), m_materialized,
                m_metrics};
    }

    // Any thread: makes a running tick stop at its next step.
    void requestStop() { m_stopping.store(true); }

    // Any thread.
    void setInjectErrors(double percent) { m_injectPercent.store(std::clamp(percent, 0.0, 100.0)); }

    void shutdown() {
        if (m_registry) {
            (void)m_registry->stop();
            m_registry.reset();
        }
        m_tick.stop();
        m_maintenance.stop();
        m_analytics.stop();
        m_alerts.reset();
        m_history.reset();
        m_queries.reset();
        if (m_legacyWebhooks) {
            (void)m_legacyWebhooks->setShadow(nullptr);
        }
        m_shadowWebhooks.reset();
        m_shadowDb.reset();
        m_legacyWebhooks.reset();
        m_priorityWebhooks.reset();
        m_webhookQueue.reset();
        m_mailSource.reset();
        m_rateLimits.reset();
        m_rateStore.reset();
        m_invalidations.reset();
        m_control.reset();
        m_ingestion.reset();
        m_link.reset();
        m_retention.reset();
        m_db.reset();
    }

signals:
    void ready(const QString& database);
    void failed(const QString& message);
    void snapshotReady(const trackwatch::core::EngineSnapshot& snapshot);

private:
    QString scheduleAnalytics() {
        auto who = m_ingestion->repository().scheduleAnalyticsRefresh();
        if (!who) {
            logging::get("core.engine")
                ->warn("pg_cron is installed but scheduling failed, the engine refreshes: {}",
                       who.error().message);
            return u"engine"_s;
        }
        return *who;
    }

    // Rebuilds the workers on the control plane's state when its version moved (a change made
    // by any console or trackwatchctl reaches this engine within one tick, or at once through
    // NOTIFY), then acknowledges the version with the health it has on it.
    void applyControl() {
        auto version = m_control->version();
        if (!version || *version == m_controlVersion) {
            return;
        }
        auto log = logging::get("core.engine");
        auto flags = m_control->flags();
        auto rollouts = m_control->rollouts();
        auto breakers = m_control->breakers();
        auto rollback = m_control->activeRollback();
        if (!flags || !rollouts || !breakers || !rollback) {
            log->error("cannot read the control plane: {}", (!flags      ? flags.error()
                                                             : !rollouts ? rollouts.error()
                                                             : !breakers ? breakers.error()
                                                                         : rollback.error())
                                                                .message);
            return;
        }
        m_breakers = *breakers;
        m_rollback = *rollback;
        const auto flagOn = [&](Flag which) {
            return std::find_if(flags->begin(), flags->end(),
                                [&](const FlagValue& f) { return f.flag == which; })
                ->enabled;
        };
        for (const GuardSlot& slot : m_guards) {
            int percentage = 0;
            for (const RolloutValue& r : *rollouts) {
                percentage = r.name == slot.rollout ? r.percentage : percentage;
            }
            for (const BreakerRecord& b : m_breakers) {
                if (b.operation == slot.guard->operation()) {
                    slot.guard->configure(flagOn(slot.flag), percentage, b.state,
                                          b.reason.isEmpty() ? b.state : b.reason);
                }
            }
        }
        // The seed's "restart": the workers are built anew on the new flags, and the cache
        // starts empty (what it held was computed under the old ones).
        IngestionOptions options = m_config.ingestion;
        options.batch = flagOn(Flag::EnableBatchIngestion);
        m_ingestion = std::make_unique<IngestionEngine>(*m_db, *m_clock, options);
        m_queries->setUseMaterializedViews(flagOn(Flag::UseMaterializedViews));
        // enablePerformanceMonitoring gates every rule, enableSlowQueryAlerts its own.
        const bool monitoring = flagOn(Flag::EnablePerformanceMonitoring);
        for (const AlertRule& rule : m_alerts->evaluator().config().rules) {
            m_alerts->evaluator().setRuleEnabled(
                rule.name, monitoring && (rule.name != u"SlowQueryDetected" ||
                                          flagOn(Flag::EnableSlowQueryAlerts)));
        }
        m_materialized->store(flagOn(Flag::UseMaterializedViews));
        m_cache->invalidateAll();
        QStringList on;
        for (const FlagValue& f : *flags) {
            if (f.enabled) {
                on << f.name;
            }
        }
        log->info("control version {}: on: {}{}", *version, on.join(u", "_s),
                  m_rollback ? u" (optimizations rolled back)"_s : QString());
        m_controlVersion = *version;
        m_snapshot.controlVersion = *version;
        heartbeat();
        // The console and the health check see the change now, not at the next tick.
        m_snapshot.at = m_clock->now();
        emit snapshotReady(m_snapshot);
    }

    OptimizationGuard* guard(const QString& operation) const {
        for (const GuardSlot& slot : m_guards) {
            if (slot.guard->operation() == operation) {
                return slot.guard.get();
            }
        }
        return nullptr;
    }

    // The in-memory limiter's use goes to the database and the other engines' comes back (see
    // RateLimitStore for the tolerance); only while it is the path in use.
    void syncRateLimits() {
        if (!guard(u"rateLimiter"_s)->wantsAny()) {
            return;
        }
        const RateLimitTime now = RateLimitTime::current();
        if (auto r = m_rateStore->synchronize(*m_rateLimiter, now); !r) {
            logging::get("core.engine")->warn("rate limit sync failed: {}", r.error().message);
        }
        m_rateLimiter->evictIdle(now.steadyNs);
    }

    // Accounts whose emails another engine changed: their cached results are stale here too.
    void receiveInvalidations() {
        auto accounts = m_invalidations->receive();
        if (!accounts) {
            logging::get("core.engine")
                ->warn("cannot read cache invalidations: {}", accounts.error().message);
            return;
        }
        for (const QString& account : *accounts) {
            m_cache->invalidateAccount(account);
        }
        m_snapshot.invalidationsReceived += accounts->size();
    }

    // Healthy unless something says otherwise: a failing database makes the engine unhealthy;
    // an optimization bypassed (breaker open or tripped, a rollback in force) degrades it.
    // Firing alerts add to it: a critical one makes the engine unhealthy, a warning degrades it.
    HealthReport health() {
        HealthReport report;
        m_link->notice();
        if (const QString outage = m_link->describe(); !outage.isEmpty()) {
            report.state = u"unhealthy"_s;
            report.reasons << outage;
        }
        if (!m_lastError.isEmpty()) {
            report.state = u"unhealthy"_s;
            report.reasons << m_lastError;
        }
        for (const AlertStatus& a : m_snapshot.alerts) {
            if (a.state == u"firing") {
                report.reasons << u"alert %1 (%2) firing since %3: %4"_s.arg(
                    a.rule, a.severity, a.since.toString(Qt::ISODate), a.summary);
                // Only a failing engine is unhealthy (503 to a load balancer); every other
                // alert, a critical low throughput included, degrades it.
                if (a.rule == u"HighErrorRate") {
                    report.state = u"unhealthy"_s;
                }
            }
        }
        for (const BreakerRecord& b : m_breakers) {
            if (b.state != breakerStateName(BreakerState::Closed)) {
                report.reasons << u"breaker %1 %2 by %3: %4"_s.arg(b.operation, b.state,
                                                                   b.changedBy, b.reason);
            }
        }
        for (const GuardSlot& slot : m_guards) {
            if (const BreakerState s = slot.guard->state();
                s == BreakerState::Open || s == BreakerState::HalfOpen) {
                report.reasons << u"breaker %1 %2 in this engine: %3"_s.arg(
                    slot.guard->operation(), breakerStateName(s), slot.guard->counts().lastFailure);
            }
        }
        if (m_rollback) {
            report.reasons << u"optimizations rolled back since %1 by %2: %3"_s.arg(
                m_rollback->at.toString(Qt::ISODate), m_rollback->by, m_rollback->reason);
        }
        if (report.state == u"healthy" && !report.reasons.isEmpty()) {
            report.state = u"degraded"_s;
        }
        return report;
    }

    // Reports this engine's state: the heartbeat with its health and control version, and the
    // breaker transitions its guards made on their own.
    void heartbeat() {
        m_snapshot.health = health();
        if (const Status s = m_registry->heartbeat(m_controlVersion, m_snapshot.health); !s) {
            logging::get("core.engine")->warn("heartbeat failed: {}", s.error().message);
        }
        m_snapshot.guards.clear();
        for (const GuardSlot& slot : m_guards) {
            OptimizationGuard& g = *slot.guard;
            const CircuitBreaker breaker = g.snapshotBreaker();
            if (const Status s = m_registry->reportTransitions(
                    g.operation(), g.takeTransitions(), breaker.consecutiveFailures(),
                    breaker.windowCalls(), breaker.windowFailures());
                !s) {
                logging::get("core.engine")
                    ->warn("cannot record breaker transitions: {}", s.error().message);
            }
            const OptimizationGuard::Counts counts = g.counts();
            m_snapshot.guards.append({g.operation(), breakerStateName(g.state()), counts.optimized,
                                      counts.legacy, counts.fallbacks, counts.lastFailure});
        }
        const BreakerState batch = guard(u"batchIngestion"_s)->state();
        m_snapshot.batchIngestion = m_ingestion->options().batch && batch != BreakerState::Open &&
                                    batch != BreakerState::ForcedOpen;
        m_snapshot.caches.clear();
        for (CacheNamespace ns : {CacheNamespace::TrackedEmails, CacheNamespace::Analytics,
                                  CacheNamespace::AccountVerification}) {
            const CacheStats stats = m_cache->stats(ns);
            m_snapshot.caches.append({cacheNamespaceName(ns), stats});
            m_metrics
                ->gauge(u"trackwatch_cache_hit_ratio"_s, {{u"namespace"_s, cacheNamespaceName(ns)}},
                        u"Query cache hits / lookups since start"_s)
                .set(stats.hitRate);
            m_metrics
                ->gauge(u"trackwatch_cache_bytes"_s, {{u"namespace"_s, cacheNamespaceName(ns)}},
                        u"Query cache memory charged"_s)
                .set(static_cast<double>(stats.bytes));
        }
        m_metrics->gauge(u"trackwatch_emails_per_hour"_s, {}, u"Tracked emails per hour"_s)
            .set(m_snapshot.emailsPerHour);
    }

    // The simulated provider's side of webhooks: the messages go into the mail source and one
    // change notification per message into webhook_jobs.
    Status notify(const QList<Delivery>& mail) {
        if (mail.isEmpty()) {
            return {};
        }
        QList<WebhookNotification> notifications;
        for (const Delivery& d : mail) {
            WebhookNotification n;
            n.account = d.account;
            n.resourceId = d.message.messageId;
            notifications.append(n);
        }
        if (const Status s = m_mailSource->storeDeliveries(mail); !s) {
            return s;
        }
        return Status::from(m_webhookQueue->enqueueMany(notifications));
    }

    // The shadow lives on a connection of its own (its sandbox hides the real tables there).
    Status startWebhookShadow(const WebhookProcessorConfig& config) {
        auto db = Database::open(m_config.connection);
        if (!db) {
            return db.error();
        }
        m_shadowDb = std::move(db).value();
        m_shadowDb->setMetrics(m_metrics);
        m_shadowWebhooks =
            std::make_unique<PriorityWebhookProcessor>(*m_shadowDb, *m_clock, config);
        if (const Status s = m_shadowWebhooks->enterShadowSandbox(); !s) {
            return s;
        }
        return m_legacyWebhooks->setShadow(m_shadowWebhooks.get());
    }

    // One round of webhook jobs through the seed's A/B wrapper: enableBatchWebhooks (with this
    // engine's batchProcessing bucket) and the batchWebhooks breaker choose the priority
    // processor; a round it fails is drained by the legacy one.
    void drainWebhooks(IngestionStats& done) {
        OptimizationGuard& g = *guard(u"batchWebhooks"_s);
        // An injected failure fails the priority processor's round (the legacy one then drains
        // the jobs) or, on the legacy path, its first try (tried again at once); either way the
        // round's jobs count as failed once.
        const bool inject = m_config.viaWebhooks && nextInjected();
        bool optimizedTried = false;
        bool optimizedFailed = false;
        auto round = g.run<ProcessStats>(
            m_registry->id(),
            [&]() -> Result<ProcessStats> {
                optimizedTried = true;
                if (inject) {
                    optimizedFailed = true;
                    return injectedError(u"webhook round"_s);
                }
                auto r = m_priorityWebhooks->drainOnce(kPriorityJobsPerTick);
                optimizedFailed = !r.ok();
                return r;
            },
            [&] {
                if (inject && !optimizedTried) {
                    logging::get("core.engine")
                        ->warn("webhook round failed: {}; trying again",
                               injectedError(u"webhook round"_s).message);
                }
                return m_legacyWebhooks->drainOnce(kLegacyJobsPerTick);
            });
        if (round && (optimizedFailed || (inject && !optimizedTried))) {
            m_metrics
                ->counter(u"trackwatch_webhook_jobs_redone"_s, {},
                          u"Webhook jobs run again after their round failed"_s)
                .increment(
                    static_cast<quint64>(round->done + round->retried + round->deadLettered));
        }
        if (!round) {
            m_lastError = u"webhook processing failing: "_s + round.error().message;
            logging::get("core.engine")->error("webhook round failed: {}", round.error().message);
            return;
        }
        if (m_lastError.startsWith(u"webhook processing failing"_s)) {
            m_lastError.clear(); // it works again: the engine is healthy again
        }
        done += round->ingestion;
        m_snapshot.webhooks.done += round->done;
        for (const auto& [outcome, n] : {std::pair{u"done"_s, round->done},
                                         {u"retried"_s, round->retried},
                                         {u"dead"_s, round->deadLettered}}) {
            m_metrics
                ->counter(u"trackwatch_webhook_jobs"_s, {{u"outcome"_s, outcome}},
                          u"Webhook jobs by outcome"_s)
                .increment(static_cast<quint64>(n));
        }
        m_snapshot.webhooks.deadLettered += round->deadLettered;
        m_snapshot.webhooks.retried += round->retried;
        if (auto depth = m_webhookQueue->depth()) {
            m_snapshot.webhooks.queueDepth = *depth;
        }
        m_snapshot.webhooks.shadowCompared = m_legacyWebhooks->shadowReport().compared;
        m_snapshot.webhooks.shadowDifferent = m_legacyWebhooks->shadowReport().different;
        m_webhookMeter.record(m_clock->now(), round->done);
        m_snapshot.webhooks.jobsPerMinute = m_webhookMeter.perMinute(m_clock->now());
    }

    // Ingestion through the seed's A/B wrapper: accounts in the batchProcessing rollout go to
    // the batch path (when the flag is on and the breaker allows it) a batch per call, and a
    // batch that fails there is ingested again on the legacy path (it was rolled back whole).
    Status ingestGuarded(const QList<Delivery>& mail, IngestionStats& done) {
        OptimizationGuard& batchGuard = *guard(u"batchIngestion"_s);
        QList<Delivery> optimized;
        QList<Delivery> legacy;
        QSet<QString> accounts;
        for (const Delivery& d : mail) {
            (batchGuard.wantsOptimized(d.account) ? optimized : legacy).append(d);
            accounts.insert(d.account);
        }
        // Whatever happens below, these accounts' cached results may be stale: dropped here at
        // once, and in the other engines through the invalidation channel.
        const auto invalidate = qScopeGuard([&] {
            for (const QString& account : accounts) {
                m_cache->invalidateAccount(account);
            }
            if (const Status s = m_invalidations->publish(accounts); !s) {
                logging::get("core.engine")
                    ->warn("cannot publish cache invalidations: {}", s.error().message);
            }
        });
        const qsizetype size = std::max(1, m_config.ingestion.batchSize);
        for (qsizetype start = 0; start < optimized.size(); start += size) {
            const QList<Delivery> batch = optimized.mid(start, size);
            const bool inject = nextInjected();
            bool optimizedFailed = false;
            auto r = batchGuard.run<IngestionStats>(
                batch.first().account,
                [&]() -> Result<IngestionStats> {
                    if (inject) {
                        optimizedFailed = true;
                        return injectedError(u"ingestion batch"_s);
                    }
                    auto result = m_ingestion->ingestOnPath(true, batch);
                    optimizedFailed = !result.ok();
                    return result;
                },
                [&] {
                    IngestionStats partial;
                    auto legacyResult = m_ingestion->ingestOnPath(false, batch, &partial);
                    if (!legacyResult) {
                        done += partial;
                    }
                    return legacyResult;
                });
            countBatch(optimizedFailed || !r);
            if (!r) {
                return r.error();
            }
            done += *r;
        }
        // The legacy path a batch at a time too, so batches count the same on both paths (an
        // injected failure is logged and the batch tried again at once).
        for (qsizetype start = 0; start < legacy.size(); start += size) {
            const QList<Delivery> batch = legacy.mid(start, size);
            const bool inject = nextInjected();
            if (inject) {
                logging::get("core.engine")
                    ->warn("legacy ingestion failed: {}; trying again",
                           injectedError(u"ingestion batch"_s).message);
            }
            IngestionStats partial;
            auto r = m_ingestion->ingestOnPath(false, batch, &partial);
            countBatch(inject || !r);
            done += r ? *r : partial;
            if (!r) {
                return r.error();
            }
        }
        return {};
    }

    // A tick in an outage: no statement can run, but the console and the health check hear
    // that the engine is alive and why it does nothing.
    void reportOutage() {
        m_snapshot.health = health();
        m_snapshot.at = m_clock->now();
        emit snapshotReady(m_snapshot);
    }

    // Back on a new session: what changed while away is read again rather than trusted to
    // notifications that were lost with the old one.
    void catchUpAfterOutage() {
        m_controlVersion = -1; // rebuild on the control plane as it is now
        m_cache->invalidateAll();
        m_lastError.clear();
        m_countsDirty = true;
    }

    void countBatch(bool failed) {
        m_metrics
            ->counter(u"trackwatch_ingestion_batches"_s,
                      {{u"outcome"_s, failed ? u"failed"_s : u"ok"_s}},
                      u"Ingestion batches; failed: an attempt failed (injected errors included)"_s)
            .increment();
    }

    // Whether the next operation fails with an injected error: exactly the configured share,
    // spread evenly (an accumulator, not a random draw).
    bool nextInjected() {
        const double percent = m_injectPercent.load();
        if (percent <= 0) {
            m_injectCredit = 0;
            return false;
        }
        m_injectCredit += percent / 100.0;
        if (m_injectCredit >= 1.0 - 1e-9) {
            m_injectCredit -= 1.0;
            return true;
        }
        return false;
    }

    static Error injectedError(const QString& what) {
        return Error{ErrorCode::Unavailable,
                     u"injected error in this %1 (--inject-errors)"_s.arg(what)};
    }

    // While the database is unreachable a tick only says so; the Reconnector retries with
    // backoff, and the work of the ticks missed is done once it is back (the simulator's
    // minutes wait in m_pendingMail, webhook jobs in their queue).
    void tick() {
        if (!m_link->ready()) {
            reportOutage();
            return;
        }
        applyControl();
        receiveInvalidations();
        syncRateLimits();
        const QDateTime now = m_clock->now();
        IngestionStats done;
        if (m_simulator) {
            // A simulated minute at a time, so a stop request (the console closing during the
            // first tick's hour of backfill) is honoured between steps.
            // A minute's mail stays pending until it is stored: a failed step (the database
            // gone) is tried again on a later tick, and ingestion is idempotent, so what the
            // failed attempt did store is not stored twice.
            while ((!m_pendingMail.isEmpty() || m_simulatedUntil < now) && !m_stopping.load()) {
                if (m_pendingMail.isEmpty()) {
                    const QDateTime next = std::min(now, m_simulatedUntil.addSecs(60));
                    m_pendingMail = m_simulator->advanceTo(next, m_config.simulateRate);
                    m_simulatedUntil = next;
                }
                const Status s = [&] {
                    LatencyHistogram::ScopedTimer timer(m_metrics->histogram(
                        u"trackwatch_ingestion_step_duration_seconds"_s, {},
                        u"One simulated minute of mail: ingested, or stored and notified"_s));
                    return m_config.viaWebhooks ? notify(m_pendingMail)
                                                : ingestGuarded(m_pendingMail, done);
                }();
                if (!s) {
                    m_lastError = u"ingestion failing: "_s + s.error().message;
                    logging::get("core.engine")->error("ingestion failed: {}", s.error().message);
                    break;
                }
                m_pendingMail.clear();
                m_lastError.clear();
            }
        }
        // Jobs come from the simulator (--via-webhooks) or from the API's notification
        // receiver, in this engine or another one on the same database.
        drainWebhooks(done);
        m_snapshot.total += done;
        m_countsDirty = m_countsDirty || done.read > 0;
        m_metrics->counter(u"trackwatch_emails_tracked"_s, {}, u"New tracked emails"_s)
            .increment(static_cast<quint64>(done.stored));
        m_metrics->counter(u"trackwatch_replies_matched"_s, {}, u"Replies matched"_s)
            .increment(static_cast<quint64>(done.replies()));
        // The simulator's first step carries the backfilled history: not part of the rate.
        m_recent.push_back({now, m_backfilled || !m_simulator ? done.stored : 0});
        m_backfilled = true;
        while (!m_recent.empty() && m_recent.front().first.secsTo(now) > 60) {
            m_recent.pop_front();
        }
        qint64 storedRecently = 0;
        for (const auto& entry : m_recent) {
            storedRecently += entry.second;
        }
        const double span =
            m_recent.size() > 1
                ? std::max<double>(1.0, m_recent.front().first.msecsTo(now) / 1000.0)
                : 0;
        m_snapshot.emailsPerHour = span > 0 ? storedRecently * 3600.0 / span : 0;
        if (m_countsDirty && !m_countsDue.isActive()) {
            refreshCounts();
        }
        monitor(now, span > 0);
        heartbeat();
        m_snapshot.at = now;
        emit snapshotReady(m_snapshot);
    }

    // The dashboards' figures from the metrics' last minute, the alert rules on them, and
    // every historyEveryTicks-th sample stored.
    void monitor(const QDateTime& now, bool throughputKnown) {
        recordCacheLookups();
        const ProcessResources::Reading process = m_process.sample(MetricsRegistry::steadyNanos());
        if (process.cpuPercent) {
            m_metrics
                ->gauge(u"trackwatch_process_cpu_percent"_s, {},
                        u"The engine process's CPU use, % of one core"_s)
                .set(*process.cpuPercent);
        }
        if (process.memoryBytes) {
            m_metrics
                ->gauge(u"trackwatch_process_resident_memory_bytes"_s, {},
                        u"The engine process's resident memory"_s)
                .set(*process.memoryBytes);
        }
        m_metrics->gauge(u"trackwatch_webhook_queue_depth"_s, {}, u"Webhook jobs not done yet"_s)
            .set(static_cast<double>(m_snapshot.webhooks.queueDepth));

        MonitorSample s;
        s.at = now;
        s.engineId = m_snapshot.engineId;
        s.emailsPerHour = throughputKnown ? m_snapshot.emailsPerHour : kNoData;
        s.cpuPercent = process.cpuPercent.value_or(kNoData);
        s.memoryBytes = process.memoryBytes.value_or(kNoData);
        s.queueDepth = static_cast<double>(m_snapshot.webhooks.queueDepth);

        // The registry reads the same clock; the tick's time keeps every figure on one instant.
        const qint64 nanos = now.toMSecsSinceEpoch() * 1'000'000;
        const MetricsSnapshot snap = m_metrics->snapshot(nanos);
        double apiRequests = 0, apiFailed = 0, jobsDone = 0, jobsFailed = 0, jobsRedone = 0;
        double batches = 0, batchesFailed = 0, cacheHits = 0, cacheLookups = 0;
        bool apiSeen = false, jobsSeen = false;
        for (const MetricSnapshot& m : snap.metrics) {
            const auto count = static_cast<double>(m.window(MetricWindow::OneMinute).count);
            if (m.name == u"trackwatch_api_requests") {
                apiSeen = true;
                apiRequests += count;
                apiFailed += labelOf(m, u"status").toInt() >= 500 ? count : 0;
            } else if (m.name == u"trackwatch_webhook_jobs") {
                jobsSeen = true;
                (labelOf(m, u"outcome") == u"done" ? jobsDone : jobsFailed) += count;
            } else if (m.name == u"trackwatch_webhook_jobs_redone") {
                jobsRedone += count;
            } else if (m.name == u"trackwatch_ingestion_batches") {
                batches += count;
                batchesFailed += labelOf(m, u"outcome") == u"failed" ? count : 0;
            } else if (m.name == u"trackwatch_cache_lookups") {
                cacheLookups += count;
                cacheHits += labelOf(m, u"result") == u"hit" ? count : 0;
            }
        }
        const MetricWindowStats jobs = [&] {
            for (const MetricSnapshot& m : snap.metrics) {
                if (m.name == u"trackwatch_webhook_jobs" && labelOf(m, u"outcome") == u"done") {
                    return m.window(MetricWindow::OneMinute);
                }
            }
            return MetricWindowStats{};
        }();
        s.webhookJobsPerMinute =
            m_config.viaWebhooks || jobsSeen ? jobs.ratePerSecond * 60.0 : kNoData;
        s.cacheHitRate = cacheLookups > 0 ? cacheHits / cacheLookups : kNoData;

        const MetricWindowStats queries = m_metrics->mergedWindow(
            u"trackwatch_db_query_duration_seconds", MetricWindow::OneMinute, nanos);
        s.queryP50Ms = msOrNoData(queries, &MetricWindowStats::p50);
        s.queryP95Ms = msOrNoData(queries, &MetricWindowStats::p95);
        s.queryP99Ms = msOrNoData(queries, &MetricWindowStats::p99);
        // Little's law: statement time per second of the window is the mean number of
        // connections busy in a statement.
        s.dbConnectionsInUse = queries.span.count() > 0
                                   ? queries.mean * static_cast<double>(queries.count) /
                                         static_cast<double>(queries.span.count())
                                   : kNoData;
        const MetricWindowStats api = m_metrics->mergedWindow(
            u"trackwatch_api_request_duration_seconds", MetricWindow::OneMinute, nanos);
        s.apiP50Ms = msOrNoData(api, &MetricWindowStats::p50);
        s.apiP95Ms = msOrNoData(api, &MetricWindowStats::p95);
        s.apiP99Ms = msOrNoData(api, &MetricWindowStats::p99);
        s.apiRequestsPerSecond = apiSeen ? api.ratePerSecond : kNoData;

        // Failed operations over all of them: API 5xx, failed webhook job attempts (and jobs
        // whose round failed), failed ingestion batches.
        const double operations = apiRequests + jobsDone + jobsFailed + batches;
        const double failures = apiFailed + jobsFailed + jobsRedone + batchesFailed;
        s.errorRate = operations > 0 ? std::min(1.0, failures / operations) : kNoData;

        const QList<std::pair<QString, double>> figures{
            {u"trackwatch_error_ratio"_s, s.errorRate},
            {u"trackwatch_db_connections_busy_average"_s, s.dbConnectionsInUse},
            {u"trackwatch_cache_hit_ratio_1m"_s, s.cacheHitRate}};
        for (const auto& [name, value] : figures) {
            m_metrics->gauge(name, {}, u"Over the last minute (NaN: no data)"_s).set(value);
        }
        m_snapshot.sample = s;

        // Mail the simulator made that is not stored yet is work waiting, as a queue is.
        m_snapshot.alerts = m_alerts->evaluate(s, m_pendingMail.size());
        for (const AlertStatus& a : m_snapshot.alerts) {
            m_metrics
                ->gauge(u"trackwatch_alert_firing"_s,
                        {{u"rule"_s, a.rule}, {u"severity"_s, a.severity}},
                        u"1 while the alert rule fires"_s)
                .set(a.state == u"firing" ? 1.0 : 0.0);
        }

        if (++m_monitorTicks % std::max(1, m_config.historyEveryTicks) == 0) {
            if (const Status st = m_history->record(s); !st) {
                logging::get("core.engine")
                    ->warn("cannot store the metric sample: {}", st.error().message);
            }
        }
    }

    // The query cache's lifetime counts as counters, so windows give the last minute.
    void recordCacheLookups() {
        for (CacheNamespace ns : {CacheNamespace::TrackedEmails, CacheNamespace::Analytics,
                                  CacheNamespace::AccountVerification}) {
            const CacheStats stats = m_cache->stats(ns);
            const QString name = cacheNamespaceName(ns);
            CacheCounts& last = m_cacheCounts[name];
            const auto delta = [](quint64 now, quint64 before) {
                return now >= before ? now - before : now; // a reset starts again
            };
            const QString help = u"Query cache lookups by result"_s;
            m_metrics
                ->counter(u"trackwatch_cache_lookups"_s,
                          {{u"namespace"_s, name}, {u"result"_s, u"hit"_s}}, help)
                .increment(delta(stats.hits, last.hits));
            m_metrics
                ->counter(u"trackwatch_cache_lookups"_s,
                          {{u"namespace"_s, name}, {u"result"_s, u"miss"_s}}, help)
                .increment(delta(stats.misses, last.misses));
            m_metrics
                ->counter(u"trackwatch_cache_evictions"_s, {{u"namespace"_s, name}},
                          u"Query cache entries evicted to make room"_s)
                .increment(delta(stats.evictions, last.evictions));
            last = {stats.hits, stats.misses, stats.evictions};
        }
    }

    // Samples and alert transitions older than historyKeepDays go, once an hour.
    void pruneHistory() {
        const QDateTime now = m_clock->now();
        if (m_lastPrune.isValid() && m_lastPrune.secsTo(now) < 3600) {
            return;
        }
        m_lastPrune = now;
        const QDateTime limit = now.addDays(-std::max(1, m_config.historyKeepDays));
        if (auto r = m_history->prune(limit); !r) {
            logging::get("core.engine")->warn("metric history prune failed: {}", r.error().message);
        }
        if (auto r = AlertHistory(*m_db).prune(limit); !r) {
            logging::get("core.engine")->warn("alert history prune failed: {}", r.error().message);
        }
    }

    // Counting every status scans an index: on a large database the next count waits ten
    // times as long as this one took, so counting never takes more than a tenth of the thread.
    void refreshCounts() {
        QElapsedTimer timer;
        timer.start();
        auto counts = m_ingestion->repository().statusCounts();
        if (counts) {
            m_snapshot.statusCounts = *counts;
        }
        m_countsDirty = false;
        m_countsDue.start(static_cast<int>(std::min<qint64>(60'000, timer.elapsed() * 10)));
    }

    void expire() {
        if (!m_db->connected()) {
            return; // the next run does it; the tick reconnects
        }
        if (auto r = m_ingestion->resolveStrandedPending(); !r) {
            logging::get("core.engine")->error("pending sweep failed: {}", r.error().message);
        }
        if (auto r = m_ingestion->expireOverdue(); !r) {
            logging::get("core.engine")->error("expiry failed: {}", r.error().message);
        } else if (*r > 0) {
            m_countsDirty = true;
            m_cache->invalidateAll(); // every engine expires, so each one drops its own
        }
        if (auto r = m_rateStore->prune(RateLimitTime::current()); !r) {
            logging::get("core.engine")->warn("rate limit prune failed: {}", r.error().message);
        }
        if (auto r = m_invalidations->prune(); !r) {
            logging::get("core.engine")->warn("invalidation prune failed: {}", r.error().message);
        }
        pruneHistory();
        if (!m_retention) {
            m_retention = std::make_unique<Retention>(
                *m_db, *m_clock,
                RetentionPolicy::orDefaults(m_config.settings, m_config.ingestion.trackingDays));
        }
        if (auto r = m_retention->purgeSome(); !r) {
            logging::get("core.engine")->warn("retention failed: {}", r.error().message);
        }
    }

    void refreshAnalytics() {
        if (!m_db->connected()) {
            return;
        }
        if (const Status s = m_ingestion->repository().refreshAnalytics(m_clock->now()); !s) {
            logging::get("core.engine")->error("analytics refresh failed: {}", s.error().message);
        }
    }

    EngineConfig m_config;
    std::shared_ptr<const Clock> m_clock;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<Reconnector> m_link; // keeps m_db usable across outages
    std::unique_ptr<IngestionEngine> m_ingestion;
    std::unique_ptr<ControlPlane> m_control;
    std::unique_ptr<EngineRegistry> m_registry;
    QList<BreakerRecord> m_breakers;          // as the control plane last said
    std::optional<RollbackRecord> m_rollback; // in force, if any
    QString m_lastError;                      // the last tick's failure, cleared on success
    qint64 m_controlVersion = -1;
    std::unique_ptr<TrafficSimulator> m_simulator;
    QList<Delivery> m_pendingMail; // the simulator's last minute, until it is stored
    QTimer m_tick;
    QTimer m_maintenance;
    QTimer m_analytics;
    EngineSnapshot m_snapshot;
    std::deque<std::pair<QDateTime, qint64>> m_recent;
    bool m_countsDirty = false;
    QDateTime m_simulatedUntil;
    std::atomic<bool> m_stopping{false};
    bool m_backfilled = false;
    QTimer m_countsDue; // single shot: running while the next count must wait
    struct GuardSlot {
        Flag flag;
        QString rollout;
        std::unique_ptr<OptimizationGuard> guard;
    };
    std::vector<GuardSlot> m_guards;
    std::shared_ptr<QueryCache> m_cache;        // shared with the threads that serve queries
    std::shared_ptr<MetricsRegistry> m_metrics; // moves with m_clock
    std::shared_ptr<std::atomic<bool>> m_materialized = std::make_shared<std::atomic<bool>>(true);
    std::unique_ptr<CacheInvalidationChannel> m_invalidations;
    std::unique_ptr<EmailQueryService> m_queries;
    std::shared_ptr<RateLimiter> m_rateLimiter; // thread-safe: shared with request threads
    std::unique_ptr<RateLimitStore> m_rateStore;
    std::unique_ptr<GuardedRateLimiter> m_rateLimits;
    std::unique_ptr<MailSource> m_mailSource;
    std::unique_ptr<WebhookQueue> m_webhookQueue;
    std::unique_ptr<WebhookProcessor> m_legacyWebhooks;
    std::unique_ptr<PriorityWebhookProcessor> m_priorityWebhooks;
    ThroughputMeter m_webhookMeter;
    std::unique_ptr<Database> m_shadowDb;
    std::unique_ptr<PriorityWebhookProcessor> m_shadowWebhooks;
    std::unique_ptr<MetricHistory> m_history;
    std::unique_ptr<AlertMonitor> m_alerts;
    std::unique_ptr<Retention> m_retention; // made by the first expire()
    ProcessResources m_process;
    qint64 m_monitorTicks = 0;
    QDateTime m_lastPrune;
    struct CacheCounts {
        quint64 hits = 0;
        quint64 misses = 0;
        quint64 evictions = 0;
    };
    QHash<QString, CacheCounts> m_cacheCounts;
    std::atomic<double> m_injectPercent{0};
    double m_injectCredit = 0;
};

} // namespace detail

Engine::Engine(EngineConfig config, std::shared_ptr<const Clock> clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_clock(std::move(clock)) {
    qRegisterMetaType<EngineSnapshot>();
    m_thread.setObjectName(QStringLiteral("trackwatch-engine"));
}

Engine::~Engine() {
    if (m_worker) {
        if (m_thread.isRunning()) {
            m_worker->requestStop();
            QMetaObject::invokeMethod(m_worker, &detail::EngineWorker::shutdown,
                                      Qt::BlockingQueuedConnection);
        }
        m_thread.quit();
        m_thread.wait();
        delete m_worker;
    }
}

void Engine::setInjectErrors(double percent) {
    if (m_worker) {
        m_worker->setInjectErrors(percent);
    }
    m_config.injectErrorsPercent = percent;
}

EngineQueryContext Engine::queryContext() const {
    return m_worker ? m_worker->queryContext() : EngineQueryContext{};
}

void Engine::start() {
    if (m_worker) {
        return;
    }
    m_worker = new detail::EngineWorker(m_config, m_clock);
    m_worker->moveToThread(&m_thread);
    connect(m_worker, &detail::EngineWorker::ready, this, &Engine::ready);
    connect(m_worker, &detail::EngineWorker::failed, this, &Engine::failed);
    connect(m_worker, &detail::EngineWorker::snapshotReady, this, &Engine::snapshotReady);
    connect(&m_thread, &QThread::started, m_worker, &detail::EngineWorker::initialize);
    m_thread.start();
}

} // namespace trackwatch::core

#include "engine.moc"
