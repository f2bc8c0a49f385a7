// SPDX-License-Identifier: MIT
#include "engine/engine.h"

#include "common/logging.h"
#include "control/circuit_breaker.h"
#include "control/control_plane.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QElapsedTimer>
#include <QSqlDriver>
#include <QTimer>

#include <atomic>
#include <deque>

namespace trackwatch::core {
namespace detail {

using namespace Qt::StringLiterals;

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
        , m_countsDue(this) {
        m_countsDue.setSingleShot(true);
    }

    void initialize() {
        auto log = logging::get("core.engine");
        auto db = Database::open(m_config.connection);
        if (!db) {
            emit failed(db.error().message);
            return;
        }
        m_db = std::move(db).value();
        Migrator migrator(*m_db);
        if (auto applied = migrator.migrate(); !applied) {
            emit failed(applied.error().message);
            m_db.reset();
            return;
        }
        m_ingestion = std::make_unique<IngestionEngine>(*m_db, *m_clock, m_config.ingestion);
        m_control = std::make_unique<ControlPlane>(*m_db, *m_clock);
        applyControl();
        // PostgreSQL pushes control changes (one NOTIFY per change); the per-tick version poll
        // stays as the fallback and is all SQLite has.
        if (m_db->dialect() == Dialect::PostgreSql) {
            QSqlDriver* driver = m_db->handle().driver();
            if (driver->subscribeToNotification(u"trackwatch_control"_s)) {
                connect(driver, &QSqlDriver::notification, this, [this] {
                    logging::get("core.engine")->debug("control change notified");
                    applyControl();
                });
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
                  m_config.connection.redacted(), m_config.ingestion.batch ? "batch" : "legacy",
                  m_snapshot.analyticsScheduler);
        emit ready(m_config.connection.redacted());
        tick();
    }

    // Any thread: makes a running tick stop at its next step.
    void requestStop() { m_stopping.store(true); }

    void shutdown() {
        m_tick.stop();
        m_maintenance.stop();
        m_analytics.stop();
        m_control.reset();
        m_ingestion.reset();
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

    // Reads the flags again when the control plane's version moved: a change made by any
    // console or trackwatchctl reaches this engine within one tick.
    void applyControl() {
        auto version = m_control->version();
        if (!version || *version == m_controlVersion) {
            return;
        }
        m_controlVersion = *version;
        auto batch = m_control->flag(Flag::EnableBatchIngestion);
        auto breakers = m_control->breakers();
        if (!batch || !breakers) {
            logging::get("core.engine")
                ->error("cannot read the control plane: {}",
                        (!batch ? batch.error() : breakers.error()).message);
            return;
        }
        // A tripped batchIngestion breaker sends ingestion to its legacy twin whatever the flag.
        bool tripped = false;
        for (const BreakerRecord& b : *breakers) {
            tripped = tripped || (b.operation == u"batchIngestion" &&
                                  b.state == breakerStateName(BreakerState::ForcedOpen));
        }
        const bool useBatch = batch->enabled && !tripped;
        IngestionOptions options = m_ingestion->options();
        if (options.batch != useBatch) {
            logging::get("core.engine")
                ->info("ingestion switches to the {} path ({})", useBatch ? "batch" : "legacy",
                       tripped ? u"breaker tripped"_s : flagSourceName(batch->source));
        }
        options.batch = useBatch;
        m_ingestion->setOptions(options);
        m_snapshot.batchIngestion = options.batch;
    }

    void tick() {
        applyControl();
        const QDateTime now = m_clock->now();
        if (m_simulator) {
            // A simulated minute at a time, so a stop request (the console closing during the
            // first tick's hour of backfill) is honoured between steps.
            IngestionStats done;
            while (m_simulatedUntil < now && !m_stopping.load()) {
                const QDateTime next = std::min(now, m_simulatedUntil.addSecs(60));
                const QList<Delivery> mail = m_simulator->advanceTo(next, m_config.simulateRate);
                m_simulatedUntil = next;
                IngestionStats step;
                auto r = m_ingestion->ingest(mail, &step);
                done += step;
                if (!r) {
                    logging::get("core.engine")->error("ingestion failed: {}", r.error().message);
                    break;
                }
            }
            m_snapshot.total += done;
            m_countsDirty = m_countsDirty || done.read > 0;
            // The first step carries the backfilled history: not part of the current rate.
            m_recent.push_back({now, m_backfilled ? done.stored : 0});
            m_backfilled = true;
        }
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
        m_snapshot.at = now;
        emit snapshotReady(m_snapshot);
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
        if (auto r = m_ingestion->resolveStrandedPending(); !r) {
            logging::get("core.engine")->error("pending sweep failed: {}", r.error().message);
        }
        if (auto r = m_ingestion->expireOverdue(); !r) {
            logging::get("core.engine")->error("expiry failed: {}", r.error().message);
        } else if (*r > 0) {
            m_countsDirty = true;
        }
    }

    void refreshAnalytics() {
        if (const Status s = m_ingestion->repository().refreshAnalytics(m_clock->now()); !s) {
            logging::get("core.engine")->error("analytics refresh failed: {}", s.error().message);
        }
    }

    EngineConfig m_config;
    std::shared_ptr<const Clock> m_clock;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<IngestionEngine> m_ingestion;
    std::unique_ptr<ControlPlane> m_control;
    qint64 m_controlVersion = -1;
    std::unique_ptr<TrafficSimulator> m_simulator;
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
