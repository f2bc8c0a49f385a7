// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>

namespace trackwatch::core {

class Database;

// Where a job is in its life. Queued: waiting for its first attempt (or requeued, or refused
// by admission and rescheduled). Retry: an attempt failed; waiting for its backoff. Running:
// claimed by a processor under a lease. Done. Dead: a dead letter, with its reason.
enum class JobState { Queued, Retry, Running, Done, Dead };
QString jobStateName(JobState state); // "queued", "retry", "running", "done", "dead"
std::optional<JobState> jobStateFromName(QStringView name);

// One change notification as a mail provider sends it (Graph-style): a resource in a mailbox
// was created or changed.
struct WebhookNotification {
    QString account;    // the mailbox's address (stored lower-cased)
    QString resourceId; // the message the notification points at, in MailSource
    QString changeType = QStringLiteral("created");
    int priority = 0; // higher first (priority processor)
    // Optional. The provider's id of the notification: enqueueing the same id again adds
    // nothing (providers deliver at least once).
    QString notificationId;
    QString clientState;    // optional: the secret the subscription was made with
    QString subscriptionId; // optional
};

// A row of webhook_jobs.
struct WebhookJob {
    qint64 id = 0;
    WebhookNotification notification;
    JobState state = JobState::Queued;
    int attempts = 0;       // claims that ran it (admission refusals not counted)
    int processedCount = 0; // completions: 1 for a done job that ran exactly once
    QDateTime createdAt;
    QDateTime availableAt; // not claimed before this (backoff, admission retry-after)
    QDateTime claimedAt;
    QDateTime leaseExpiresAt; // running jobs: reclaimable after this
    QString claimedBy;
    qint64 claimToken = 0; // identifies the claim that holds it (fencing)
    QDateTime finishedAt;
    QString lastError;
    QString deadReason;
};

struct EnqueueResult {
    qint64 id = 0;
    bool created = false; // false: a job with this notification id already existed
};

// Jobs per state. The depth is everything not finished.
struct QueueCounts {
    qint64 queued = 0;
    qint64 retryWait = 0;
    qint64 running = 0;
    qint64 done = 0;
    qint64 dead = 0;
    qint64 depth() const { return queued + retryWait + running; }
};

// The order in which processors claim: the priority processor's (priority DESC, then oldest,
// index idx_webhook_queue_priority) or the legacy processor's (oldest first).
enum class ClaimOrder { Priority, Fifo };

struct ClaimRequest {
    ClaimOrder order = ClaimOrder::Priority;
    int limit = 1;
    QString worker; // stored as claimed_by
    std::chrono::milliseconds lease{std::chrono::minutes(5)};
    // PostgreSQL: commit the claim without waiting for its WAL flush (see
    // WebhookProcessorConfig::asyncBookkeeping for why that is safe).
    bool asyncCommit = false;
};

// A failed attempt as the processor decided it: another attempt at retryAt, or a dead letter.
struct JobFailure {
    qint64 id = 0;
    QString error;
    bool dead = false;
    QDateTime retryAt; // when not dead
};

// Expired leases put back by reclaimExpired().
struct ReclaimResult {
    qint64 requeued = 0;     // back to retry, their attempt counted
    qint64 deadLettered = 0; // expired on their last allowed attempt
};

// The webhook_jobs table: enqueueing notifications, counts, dead letters, and the claim and
// settle steps processors build on. On PostgreSQL every enqueue call that adds jobs sends one
// NOTIFY on channel() (not one per row), so processors LISTENing wake at once. Claims are
// safe between processes: FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite.
// Times come from the clock. Lives on its Database's thread. Not thread-safe.
class WebhookQueue {
public:
    WebhookQueue(Database& db, const Clock& clock);
    WebhookQueue(const WebhookQueue&) = delete;
    WebhookQueue& operator=(const WebhookQueue&) = delete;

    // The PostgreSQL notification channel: "trackwatch_webhooks".
    static QString channel();

    // Adds a job available now. Idempotent on the notification id when one is given.
    Result<EnqueueResult> enqueue(const WebhookNotification& notification);
    // Adds many, a few hundred per statement, with one NOTIFY at the end. Opens no transaction
    // (wrap it in one to make it all or nothing); enqueueing again after a failure is safe for
    // notifications with ids. Returns how many jobs were created.
    Result<qint64> enqueueMany(const QList<WebhookNotification>& notifications);
    // Called after each enqueue call that created jobs, with their number: how a processor in
    // the same process is woken on SQLite (WebhookRunner::wake()).
    void setOnEnqueued(std::function<void(qint64 created)> callback);

    Result<QueueCounts> counts();
    Result<qint64> depth();
    Result<std::optional<WebhookJob>> job(qint64 id);
    Result<std::optional<WebhookJob>> jobByNotification(const QString& notificationId);
    // The earliest time a waiting job becomes claimable or a running job's lease expires;
    // nullopt when nothing is waiting or running.
    Result<std::optional<QDateTime>> nextDueAt();

    // Dead letters, oldest id first, after `afterId` (paging).
    Result<QList<WebhookJob>> deadLetters(int limit = 100, qint64 afterId = 0);
    // Puts dead letters back as new (attempts 0, available now; the last error is kept).
    // Ids that are not dead letters are ignored. Returns how many were requeued.
    Result<qint64> requeueDead(const QList<qint64>& ids);
    Result<qint64> requeueAllDead();

    // ---- The processors' side ----

    // Claims up to request.limit available jobs in the request's order: they become running,
    // attempts + 1, leased until now + lease, under a fresh claim token. Returned in claim
    // order, as claimed (availableAt and finishedAt are not read back). Must not be called
    // inside another transaction of the same Database (SQLite claims inside its own BEGIN
    // IMMEDIATE).
    Result<QList<WebhookJob>> claim(const ClaimRequest& request);
    // Done, if still held by `token`. Returns how many were (fewer: a lease was lost).
    Result<qint64> complete(const QList<qint64>& ids, qint64 token);
    // Retry or dead letter each failure, if still held by `token`. Returns how many.
    Result<qint64> fail(const QList<JobFailure>& failures, qint64 token);
    // Refused by admission: back to queued at the given time, the claim's attempt given back.
    Result<qint64> defer(const QList<QPair<qint64, QDateTime>>& jobs, qint64 token);
    // Running jobs whose lease expired (their processor died or stalled) go back to retry,
    // available now, or to the dead letters when they had no attempt left.
    Result<ReclaimResult> reclaimExpired(int maxAttempts);

    Database& database() { return m_db; }

private:
    Result<qint64> insertChunk(const QList<WebhookNotification>& chunk, QList<qint64>* ids);
    Status notify(qint64 created);

    Database& m_db;
    const Clock& m_clock;
    std::function<void(qint64)> m_onEnqueued;
};

} // namespace trackwatch::core
