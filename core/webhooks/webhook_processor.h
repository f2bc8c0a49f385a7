// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "storage/connection_spec.h"
#include "tracking/ingestion_engine.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_queue.h"

#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

class QThread;

namespace trackwatch::core {

class Database;

// Exponential backoff with jitter, then a dead letter. Plain value type.
struct RetryPolicy {
    std::chrono::milliseconds base{std::chrono::seconds(1)};
    std::chrono::milliseconds cap{std::chrono::minutes(10)};
    double jitter = 0.2; // each wait is scaled by a factor in [1 - jitter, 1 + jitter)
    int maxAttempts = 5; // a job that fails its attempt number maxAttempts becomes a dead letter

    // The wait after the attempt number `attempts` (1 for the first) failed:
    // base * 2^(attempts - 1) * (1 + jitter * (2u - 1)), u in [0, 1), at most cap.
    std::chrono::milliseconds delay(int attempts, double u) const;
};

// Asked once per claimed job before it runs (the rate limiter plugs in here): nullopt admits
// the job; a duration refuses it, and the job is rescheduled that far ahead without counting
// an attempt. An error counts as a refusal for RetryPolicy::base.
using AdmissionHook =
    std::function<Result<std::optional<std::chrono::milliseconds>>(const QString& account)>;
// Uniform numbers in [0, 1) for the retry jitter; tests inject a fixed one.
using JitterSource = std::function<double()>;

struct WebhookProcessorConfig {
    int batchSize = 100; // jobs per claim on the priority processor; the legacy one claims one
    std::chrono::milliseconds lease{std::chrono::minutes(5)}; // a claim's hold on its jobs
    // Clock time between looks for expired leases (one cheap indexed statement).
    std::chrono::milliseconds reclaimEvery{std::chrono::seconds(5)};
    RetryPolicy retry;
    // trackingDays and the like; the ingestion path and batch size are the processor's.
    IngestionOptions ingestion;
    QString workerId; // stored as claimed_by; empty: "<host>:<pid>:<n>"
    // Priority processor on PostgreSQL: claims and settles commit without waiting for their
    // WAL flush (synchronous_commit off for those transactions only; ingestion stays
    // synchronous). Safe because the WAL is replayed in order: a crash can only lose the
    // newest claims and completions, never a completion without the ingestion before it, and
    // a job whose completion was lost is run again, which ingestion turns into duplicates.
    bool asyncBookkeeping = true;
};

// What became of one job in one attempt.
enum class JobOutcome { Done, Retry, Dead, Deferred };
QString jobOutcomeName(JobOutcome outcome); // "done", "retry", "dead", "deferred"

// Counters of one drain call, or totals. Plain value type.
struct ProcessStats {
    qint64 claimed = 0;         // jobs claimed
    qint64 done = 0;            // jobs completed
    qint64 failed = 0;          // failed attempts: retried + deadLettered
    qint64 retried = 0;         // failed, scheduled for another attempt
    qint64 deadLettered = 0;    // failed on their last attempt (or could never succeed)
    qint64 deferred = 0;        // refused by admission, rescheduled without an attempt
    qint64 reclaimed = 0;       // expired leases of others put back (or dead-lettered)
    qint64 lostLeases = 0;      // jobs run whose claim had expired and been taken over
    qint64 batches = 0;         // claims that returned jobs
    qint64 isolatedBatches = 0; // batches whose ingestion failed whole and ran job by job
    qint64 claimCalls = 0;      // claim statements, empty ones included
    qint64 claimNanos = 0;      // time spent in claim statements
    qint64 maxClaimNanos = 0;
    qint64 queueWaitMs = 0; // summed over claimed jobs: claim time - enqueue time
    IngestionStats ingestion;

    double meanClaimMs() const {
        return claimCalls > 0 ? static_cast<double>(claimNanos) / 1e6 / claimCalls : 0.0;
    }
    double meanQueueWaitMs() const {
        return claimed > 0 ? static_cast<double>(queueWaitMs) / claimed : 0.0;
    }
    ProcessStats& operator+=(const ProcessStats& o);
};

// Jobs per minute: over a sliding window of clock time (record() what was done when), or of
// a count over an elapsed time. Not thread-safe.
class ThroughputMeter {
public:
    explicit ThroughputMeter(std::chrono::seconds window = std::chrono::seconds(60));
    void record(const QDateTime& at, qint64 jobs);
    // Jobs recorded in the window ending at `now`, per minute of window.
    double perMinute(const QDateTime& now);
    static double perMinute(qint64 jobs, std::chrono::nanoseconds elapsed);

private:
    std::chrono::seconds m_window;
    std::deque<QPair<QDateTime, qint64>> m_events;
};

// One job on which a shadow processor would not have done what the primary did.
struct ShadowDifference {
    qint64 jobId = 0;
    QString resource; // "account/resource id"
    QString primary;  // outcome and the tracked emails the job touched, as the primary left them
    QString shadow;   // the same in the shadow's sandbox
};

struct ShadowReport {
    qint64 compared = 0;
    qint64 same = 0;
    qint64 different = 0;
    QList<ShadowDifference> examples; // the first few differences
};

// The seed's plain WebhookProcessor (legacy): claims one job at a time, oldest first whatever
// its priority, fetches its message from the MailSource, ingests it on the legacy ingestion
// path and marks it done, each step its own statement. Failures retry with exponential
// backoff and jitter and become dead letters after RetryPolicy::maxAttempts; a message the
// source does not have is a failure, one that cannot be parsed a dead letter at once.
//
// Exactly once: a claim takes jobs in one statement (FOR UPDATE SKIP LOCKED on PostgreSQL,
// BEGIN IMMEDIATE on SQLite) under a lease and a fresh claim token; every later change of the
// job is conditional on that token, so a processor whose lease expired and was taken over
// changes nothing. Ingestion commits before the job is marked done; a processor dying in
// between leaves the job to be reclaimed when its lease expires and run again, which
// ingestion's idempotency turns into duplicates, not double effects.
//
// Times (backoff, leases, admission) come from the clock. Owns its MailSource, WebhookQueue
// and IngestionEngine on the given Database; lives on that Database's thread. Not
// thread-safe. Not copyable.
class WebhookProcessor {
public:
    WebhookProcessor(Database& db, const Clock& clock, WebhookProcessorConfig config = {});
    virtual ~WebhookProcessor();
    WebhookProcessor(const WebhookProcessor&) = delete;
    WebhookProcessor& operator=(const WebhookProcessor&) = delete;

    virtual QString name() const; // "legacy", "priority"

    // One round: puts back expired leases when due, then claims and runs up to maxJobs jobs
    // that are available now, returning what it did. Errors are the database's; a job that
    // fails is an outcome, not an error.
    Result<ProcessStats> drainOnce(int maxJobs);
    // drainOnce() until a round finds nothing available now (jobs in backoff wait).
    Result<ProcessStats> processAvailable();

    const ProcessStats& totals() const { return m_totals; }
    const WebhookProcessorConfig& config() const { return m_config; }
    QString workerId() const { return m_config.workerId; }

    void setAdmission(AdmissionHook hook) { m_admission = std::move(hook); }
    void setJitterSource(JitterSource source) { m_jitter = std::move(source); }

    // Shadow mode (the seed's duplicate streams): after each batch the primary commits, the
    // shadow runs the same claimed jobs its own way (path, retry policy, admission) against a
    // private copy of the tracking tables, and the two results are compared: the job's
    // outcome and the tracked emails it touched. Only the primary changes the database.
    //
    // Turns this processor into a shadow: on its Database, which must be a connection of its
    // own, TEMP copies of accounts, tracked_emails, pending_replies, pending_reply_refs and
    // inbound_messages hide the real tables from every later statement (temporary tables come
    // first in name lookup in both dialects) and vanish with the connection. The copies are
    // taken now, whole: writes that reach the real tables other than through the primary's
    // batches (another engine, expiry) show up as differences. Call it before the processor's
    // first use; a shadow never claims or settles jobs.
    Status enterShadowSandbox();
    bool isShadow() const { return m_sandboxed; }
    // Compares `shadow` (sandboxed, on the same thread, not owned) with this processor from
    // now on; nullptr stops comparing.
    Status setShadow(WebhookProcessor* shadow);
    const ShadowReport& shadowReport() const { return m_shadowReport; }

    Database& database() { return m_db; }
    const Clock& clock() const { return m_clock; }
    WebhookQueue& queue() { return m_queue; }
    MailSource& source() { return m_source; }
    IngestionEngine& ingestion() { return *m_ingestion; }

protected:
    // One claimed job on its way through a round.
    struct Work {
        WebhookJob job;
        std::optional<MailMessage> message;
        std::optional<JobOutcome> outcome; // set once decided
        QString error;
        QDateTime at; // retry or deferred: when it may run again
    };

    virtual ClaimOrder claimOrder() const { return ClaimOrder::Fifo; }
    virtual int claimSize(int remaining) const;
    // Whether claims and settles skip waiting for their WAL flush (the legacy one never does).
    virtual bool asyncBookkeeping() const { return false; }
    // Loads the messages of the works still undecided and ingests them; sets each work's
    // outcome (Done, or a failure to be decided by failWork()).
    virtual void fetchAndIngest(QList<Work>& works, ProcessStats& stats);
    // Writes the round's outcomes to the queue. The legacy processor: statement by statement.
    virtual Status settle(const QList<Work>& works, qint64 token, ProcessStats& stats);

    void fetchOne(Work& w);
    Status settleStatements(const QList<Work>& works, qint64 token, ProcessStats& stats);
    // A failed attempt: retry after the backoff, or a dead letter on the last attempt (or at
    // once when `permanent`).
    void failWork(Work& w, const QString& error, bool permanent = false);
    static Delivery deliveryOf(const Work& w);

    Database& m_db;
    const Clock& m_clock;
    WebhookProcessorConfig m_config;
    MailSource m_source;
    WebhookQueue m_queue;
    std::unique_ptr<IngestionEngine> m_ingestion;

private:
    // Runs claimed jobs up to their outcomes (admission, fetch, ingestion) without settling.
    QList<Work> run(const QList<WebhookJob>& jobs, ProcessStats& stats);
    Status reclaimIfDue(ProcessStats& stats);
    void compareWithShadow(const QList<Work>& works);

    AdmissionHook m_admission;
    JitterSource m_jitter;
    ProcessStats m_totals;
    std::optional<QDateTime> m_lastReclaim;
    bool m_sandboxed = false;
    WebhookProcessor* m_shadow = nullptr;
    ShadowReport m_shadowReport;
};

// The seed's PriorityWebhookProcessor: claims batches of config().batchSize, highest priority
// first and then oldest (index idx_webhook_queue_priority), fetches the batch's messages in
// one round trip, ingests them on the batch path in one transaction (mailbox by mailbox, so
// concurrent batches lock accounts in one order) and settles the batch's jobs set-based in one
// more. When the batch's ingestion fails (after one more try when it lost a deadlock), it
// runs the batch again job by job so that one bad job fails alone. Legacy and priority
// processors can share one queue. Same thread rules and guarantees as WebhookProcessor.
class PriorityWebhookProcessor final : public WebhookProcessor {
public:
    PriorityWebhookProcessor(Database& db, const Clock& clock, WebhookProcessorConfig config = {});
    QString name() const override;

protected:
    ClaimOrder claimOrder() const override { return ClaimOrder::Priority; }
    int claimSize(int remaining) const override;
    bool asyncBookkeeping() const override;
    void fetchAndIngest(QList<Work>& works, ProcessStats& stats) override;
    Status settle(const QList<Work>& works, qint64 token, ProcessStats& stats) override;
};

// Which processor a runner drives.
enum class ProcessorKind { Legacy, Priority };

struct RunnerOptions {
    ProcessorKind kind = ProcessorKind::Priority;
    WebhookProcessorConfig processor;
    int maxJobsPerRound = 1000; // jobs per drainOnce() before the event loop gets a turn
    // Looks for work this often even without a wake: the safety net under LISTEN/NOTIFY on
    // PostgreSQL and under wake() on SQLite.
    std::chrono::milliseconds fallbackPoll{std::chrono::seconds(30)};
    bool listen = true; // PostgreSQL: LISTEN on WebhookQueue::channel()
};

// Why a runner last looked for work, counted.
struct RunnerWakeups {
    qint64 notifications = 0; // PostgreSQL NOTIFY
    qint64 wakeCalls = 0;     // wake()
    qint64 fallbackPolls = 0; // the fallback timer
    qint64 dueTimers = 0;     // a backoff or lease that came due
};

// Drives a processor on its thread's event loop: drains while there is work, then sleeps
// until a NOTIFY on WebhookQueue::channel() (PostgreSQL), a wake() (same process, any
// dialect), the moment the next waiting job or lease comes due, or the fallback poll. Lives
// on the thread of the processor's Database, which needs a running event loop; create, start
// and stop it there. wake(), totals() and wakeups() are safe from any thread.
class WebhookRunner : public QObject {
    Q_OBJECT
public:
    // The runner drives `processor` (not owned; must outlive it).
    WebhookRunner(WebhookProcessor& processor, RunnerOptions options = {},
                  QObject* parent = nullptr);
    ~WebhookRunner() override;

    void start();
    void stop();
    bool running() const { return m_running; }
    // Whether PostgreSQL LISTEN is in effect (false on SQLite or when it failed).
    bool listening() const { return m_listening; }

    // Any thread: look for work now.
    void wake();
    ProcessStats totals() const;
    RunnerWakeups wakeups() const;

signals:
    // After each round that claimed jobs, with that round's counters.
    void roundFinished(const trackwatch::core::ProcessStats& round);
    // Nothing left that is available now.
    void idle();
    void failed(const QString& message);

private:
    void scheduleDrain();
    void drain();
    void armDueTimer();

    WebhookProcessor& m_processor;
    RunnerOptions m_options;
    QTimer m_fallback;
    QTimer m_due;
    bool m_running = false;
    bool m_listening = false;
    bool m_drainScheduled = false;
    mutable QMutex m_mutex;
    ProcessStats m_totals;
    RunnerWakeups m_wakeups;
};

// A runner on a thread of its own: opens its own connection (migrated) on that thread, builds
// the processor and a WebhookRunner there and runs its event loop. Create, start and destroy
// it on one thread (normally the engine's or the main thread); the destructor stops the
// thread and waits for it.
class WebhookRunnerThread : public QObject {
    Q_OBJECT
public:
    WebhookRunnerThread(ConnectionSpec connection, std::shared_ptr<const Clock> clock,
                        RunnerOptions options = {}, QObject* parent = nullptr);
    ~WebhookRunnerThread() override;

    // Starts the thread; ready() or failed() follows.
    void start();
    // Stops the runner and the thread and waits for it.
    void stop();

    // Any thread. After stop(), totals() and wakeups() keep the last run's.
    void wake();
    ProcessStats totals() const;
    RunnerWakeups wakeups() const;
    bool isReady() const { return m_ready.load(); }

signals:
    void ready();
    void failed(const QString& message);
    void idle();

private:
    struct State; // the connection, processor and runner, made and destroyed on m_thread
    ConnectionSpec m_connection;
    std::shared_ptr<const Clock> m_clock;
    RunnerOptions m_options;
    std::unique_ptr<QThread> m_thread;
    QObject* m_host = nullptr;      // lives on m_thread: the context the state is used in
    std::unique_ptr<State> m_state; // touched only on m_thread
    std::atomic<bool> m_ready{false};
    mutable QMutex m_mutex;
    WebhookRunner* m_runner = nullptr; // guarded by m_mutex; part of m_state
    ProcessStats m_finalTotals;        // guarded by m_mutex: the runner's, once stopped
    RunnerWakeups m_finalWakeups;
};

} // namespace trackwatch::core

Q_DECLARE_METATYPE(trackwatch::core::ProcessStats)
