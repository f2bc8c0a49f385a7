// SPDX-License-Identifier: MIT
#include "webhooks/webhook_queue.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QRandomGenerator>
#include <QSqlQuery>

#include <algorithm>
#include <array>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr qsizetype kRowsPerStatement = 500;

constexpr std::array<JobState, 5> kStates = {JobState::Queued, JobState::Retry, JobState::Running,
                                             JobState::Done, JobState::Dead};

// The columns readJob() reads, in its order; `prefix` qualifies them ("j.").
QString jobColumns(const QString& prefix = {}) {
    static const QStringList columns = {
        u"id"_s,           u"notification_id"_s, u"account"_s,          u"resource_id"_s,
        u"change_type"_s,  u"client_state"_s,    u"subscription_id"_s,  u"priority"_s,
        u"state"_s,        u"attempts"_s,        u"processed_count"_s,  u"created_at"_s,
        u"available_at"_s, u"claimed_at"_s,      u"lease_expires_at"_s, u"claimed_by"_s,
        u"claim_token"_s,  u"finished_at"_s,     u"last_error"_s,       u"dead_reason"_s};
    QStringList out;
    for (const QString& c : columns) {
        out << prefix + c;
    }
    return out.join(u", "_s);
}

WebhookJob readJob(const QSqlQuery& q) {
    WebhookJob j;
    j.id = q.value(0).toLongLong();
    j.notification.notificationId = q.value(1).toString();
    j.notification.account = q.value(2).toString();
    j.notification.resourceId = q.value(3).toString();
    j.notification.changeType = q.value(4).toString();
    j.notification.clientState = q.value(5).toString();
    j.notification.subscriptionId = q.value(6).toString();
    j.notification.priority = q.value(7).toInt();
    j.state = jobStateFromName(q.value(8).toString()).value_or(JobState::Queued);
    j.attempts = q.value(9).toInt();
    j.processedCount = q.value(10).toInt();
    j.createdAt = TrackedEmailRepository::readTime(q.value(11));
    j.availableAt = TrackedEmailRepository::readTime(q.value(12));
    j.claimedAt = TrackedEmailRepository::readTime(q.value(13));
    j.leaseExpiresAt = TrackedEmailRepository::readTime(q.value(14));
    j.claimedBy = q.value(15).toString();
    j.claimToken = q.value(16).toLongLong();
    j.finishedAt = TrackedEmailRepository::readTime(q.value(17));
    j.lastError = q.value(18).toString();
    j.deadReason = q.value(19).toString();
    return j;
}

// Ids are numbers, composed into the statement: a list of hundreds costs nothing to quote.
QString idList(const QList<qint64>& ids) {
    QString out;
    out.reserve(ids.size() * 8);
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i > 0) {
            out += u',';
        }
        out += QString::number(ids[i]);
    }
    return out;
}

// An optional text as SQL NULL when empty (so empty notification ids never collide).
QVariant optionalText(const QString& s) {
    return s.isEmpty() ? QVariant(QString()) : QVariant(s);
}

// What a claim returns: the columns a processor needs, without the times it knows itself.
// created_at comes as epoch milliseconds on PostgreSQL, which is cheaper to read than a
// timestamp.
QString claimColumns(Dialect dialect, const QString& prefix) {
    QStringList out;
    for (const char* c :
         {"id", "notification_id", "account", "resource_id", "change_type", "client_state",
          "subscription_id", "priority", "attempts", "processed_count", "last_error"}) {
        out << prefix + QLatin1String(c);
    }
    out << (dialect == Dialect::PostgreSql
                ? u"(extract(epoch FROM %1created_at) * 1000)::bigint"_s.arg(prefix)
                : prefix + u"created_at"_s);
    return out.join(u", "_s);
}

WebhookJob readClaimed(const QSqlQuery& q, Dialect dialect) {
    WebhookJob j;
    j.id = q.value(0).toLongLong();
    j.notification.notificationId = q.value(1).toString();
    j.notification.account = q.value(2).toString();
    j.notification.resourceId = q.value(3).toString();
    j.notification.changeType = q.value(4).toString();
    j.notification.clientState = q.value(5).toString();
    j.notification.subscriptionId = q.value(6).toString();
    j.notification.priority = q.value(7).toInt();
    j.attempts = q.value(8).toInt();
    j.processedCount = q.value(9).toInt();
    j.lastError = q.value(10).toString();
    j.createdAt = dialect == Dialect::PostgreSql
                      ? QDateTime::fromMSecsSinceEpoch(q.value(11).toLongLong(), Qt::UTC)
                      : TrackedEmailRepository::readTime(q.value(11));
    return j;
}

Result<QList<WebhookJob>> readJobs(Result<QSqlQuery> q) {
    if (!q) {
        return q.error();
    }
    QList<WebhookJob> jobs;
    while (q->next()) {
        jobs.append(readJob(*q));
    }
    return jobs;
}

} // namespace

QString jobStateName(JobState state) {
    switch (state) {
    case JobState::Queued:
        return u"queued"_s;
    case JobState::Retry:
        return u"retry"_s;
    case JobState::Running:
        return u"running"_s;
    case JobState::Done:
        return u"done"_s;
    case JobState::Dead:
        return u"dead"_s;
    }
    return u"queued"_s;
}

std::optional<JobState> jobStateFromName(QStringView name) {
    for (JobState s : kStates) {
        if (name == jobStateName(s)) {
            return s;
        }
    }
    return std::nullopt;
}

WebhookQueue::WebhookQueue(Database& db, const Clock& clock)
    : m_db(db)
    , m_clock(clock) {}

QString WebhookQueue::channel() {
    return u"trackwatch_webhooks"_s;
}

void WebhookQueue::setOnEnqueued(std::function<void(qint64)> callback) {
    m_onEnqueued = std::move(callback);
}

Result<qint64> WebhookQueue::insertChunk(const QList<WebhookNotification>& chunk,
                                         QList<qint64>* ids) {
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    QString sql = u"INSERT INTO webhook_jobs (notification_id, account, resource_id, change_type, "
                  u"client_state, subscription_id, priority, created_at, available_at) VALUES "_s;
    QVariantList values;
    values.reserve(chunk.size() * 9);
    for (qsizetype i = 0; i < chunk.size(); ++i) {
        const WebhookNotification& n = chunk[i];
        if (n.account.isEmpty() || n.resourceId.isEmpty()) {
            return Error{ErrorCode::InvalidArgument,
                         u"a webhook notification needs an account and a resource id"_s};
        }
        sql += i > 0 ? u", (?, ?, ?, ?, ?, ?, ?, ?, ?)"_s : u"(?, ?, ?, ?, ?, ?, ?, ?, ?)"_s;
        values << optionalText(n.notificationId) << n.account.toLower() << n.resourceId
               << (n.changeType.isEmpty() ? u"created"_s : n.changeType)
               << optionalText(n.clientState) << optionalText(n.subscriptionId) << n.priority << now
               << now;
    }
    sql += u" ON CONFLICT (notification_id) DO NOTHING RETURNING id"_s;
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    qint64 created = 0;
    while (q->next()) {
        ++created;
        if (ids) {
            ids->append(q->value(0).toLongLong());
        }
    }
    return created;
}

Status WebhookQueue::notify(qint64 created) {
    if (created <= 0) {
        return {};
    }
    // Delivered when the enqueueing transaction commits (at once in autocommit), after the
    // rows are visible; PostgreSQL folds repeats within one transaction into one.
    if (m_db.dialect() == Dialect::PostgreSql) {
        if (auto r = m_db.exec(u"NOTIFY "_s + channel()); !r) {
            return r.error();
        }
    }
    if (m_onEnqueued) {
        m_onEnqueued(created);
    }
    return {};
}

Result<EnqueueResult> WebhookQueue::enqueue(const WebhookNotification& notification) {
    QList<qint64> ids;
    auto created = insertChunk({notification}, &ids);
    if (!created) {
        return created.error();
    }
    if (*created == 1) {
        if (const Status s = notify(1); !s) {
            return s.error();
        }
        return EnqueueResult{ids.first(), true};
    }
    auto existing = jobByNotification(notification.notificationId);
    if (!existing) {
        return existing.error();
    }
    if (!*existing) {
        return Error{ErrorCode::DatabaseError,
                     u"enqueue inserted nothing and found no job for notification %1"_s.arg(
                         notification.notificationId)};
    }
    return EnqueueResult{(*existing)->id, false};
}

Result<qint64> WebhookQueue::enqueueMany(const QList<WebhookNotification>& notifications) {
    qint64 created = 0;
    for (qsizetype start = 0; start < notifications.size(); start += kRowsPerStatement) {
        auto r = insertChunk(notifications.mid(start, kRowsPerStatement), nullptr);
        if (!r) {
            // What was inserted is there: wake the processors for it before reporting.
            (void)notify(created);
            return r.error();
        }
        created += *r;
    }
    if (const Status s = notify(created); !s) {
        return s.error();
    }
    return created;
}

Result<QueueCounts> WebhookQueue::counts() {
    auto q = m_db.exec(u"SELECT state, count(*) FROM webhook_jobs GROUP BY state"_s);
    if (!q) {
        return q.error();
    }
    QueueCounts c;
    while (q->next()) {
        const qint64 n = q->value(1).toLongLong();
        switch (jobStateFromName(q->value(0).toString()).value_or(JobState::Queued)) {
        case JobState::Queued:
            c.queued += n;
            break;
        case JobState::Retry:
            c.retryWait += n;
            break;
        case JobState::Running:
            c.running += n;
            break;
        case JobState::Done:
            c.done += n;
            break;
        case JobState::Dead:
            c.dead += n;
            break;
        }
    }
    return c;
}

Result<qint64> WebhookQueue::depth() {
    auto q = m_db.exec(u"SELECT count(*) FROM webhook_jobs "
                       u"WHERE state IN ('queued', 'retry', 'running')"_s);
    if (!q) {
        return q.error();
    }
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<std::optional<WebhookJob>> WebhookQueue::job(qint64 id) {
    auto jobs = readJobs(
        m_db.exec(u"SELECT "_s + jobColumns() + u" FROM webhook_jobs WHERE id = ?"_s, {id}));
    if (!jobs) {
        return jobs.error();
    }
    return jobs->isEmpty() ? std::nullopt : std::optional<WebhookJob>(jobs->first());
}

Result<std::optional<WebhookJob>> WebhookQueue::jobByNotification(const QString& notificationId) {
    auto jobs = readJobs(
        m_db.exec(u"SELECT "_s + jobColumns() + u" FROM webhook_jobs WHERE notification_id = ?"_s,
                  {notificationId}));
    if (!jobs) {
        return jobs.error();
    }
    return jobs->isEmpty() ? std::nullopt : std::optional<WebhookJob>(jobs->first());
}

Result<std::optional<QDateTime>> WebhookQueue::nextDueAt() {
    auto q =
        m_db.exec(u"SELECT (SELECT MIN(available_at) FROM webhook_jobs "
                  u"WHERE state IN ('queued', 'retry')), "
                  u"(SELECT MIN(lease_expires_at) FROM webhook_jobs WHERE state = 'running')"_s);
    if (!q) {
        return q.error();
    }
    std::optional<QDateTime> due;
    if (q->next()) {
        for (int c = 0; c < 2; ++c) {
            const QDateTime t = TrackedEmailRepository::readTime(q->value(c));
            if (t.isValid() && (!due || t < *due)) {
                due = t;
            }
        }
    }
    return due;
}

Result<QList<WebhookJob>> WebhookQueue::deadLetters(int limit, qint64 afterId) {
    return readJobs(m_db.exec(u"SELECT "_s + jobColumns() +
                                  u" FROM webhook_jobs WHERE state = 'dead' AND id > ? "
                                  u"ORDER BY id LIMIT ?"_s,
                              {afterId, std::max(1, limit)}));
}

Result<qint64> WebhookQueue::requeueDead(const QList<qint64>& ids) {
    if (ids.isEmpty()) {
        return qint64{0};
    }
    auto q = m_db.exec(u"UPDATE webhook_jobs SET state = 'queued', attempts = 0, available_at = ?, "
                       u"claimed_at = NULL, lease_expires_at = NULL, claimed_by = NULL, "
                       u"claim_token = NULL, finished_at = NULL, dead_reason = NULL "
                       u"WHERE state = 'dead' AND id IN ("_s +
                           idList(ids) + u')',
                       {TrackedEmailRepository::timeValue(m_clock.now())});
    if (!q) {
        return q.error();
    }
    const qint64 n = q->numRowsAffected();
    if (const Status s = notify(n); !s) {
        return s.error();
    }
    return n;
}

Result<qint64> WebhookQueue::requeueAllDead() {
    QList<qint64> ids;
    qint64 after = 0;
    while (true) {
        auto page = deadLetters(1000, after);
        if (!page) {
            return page.error();
        }
        if (page->isEmpty()) {
            break;
        }
        for (const WebhookJob& j : *page) {
            ids << j.id;
        }
        after = page->last().id;
    }
    return requeueDead(ids);
}

Result<QList<WebhookJob>> WebhookQueue::claim(const ClaimRequest& request) {
    const QDateTime now = m_clock.now();
    const QDateTime leaseEnd = now.addMSecs(request.lease.count());
    const QString nowText = TrackedEmailRepository::timeValue(now);
    // Positive and never 0, in both dialects' signed 64-bit integers.
    const qint64 token =
        static_cast<qint64>(QRandomGenerator::global()->generate64() >> 1) | qint64{1};
    const QString order = request.order == ClaimOrder::Priority ? u"priority DESC, created_at, id"_s
                                                                : u"created_at, id"_s;
    const Dialect dialect = m_db.dialect();
    QList<WebhookJob> jobs;
    const auto readAll = [&](Result<QSqlQuery> q) -> Status {
        if (!q) {
            return q.error();
        }
        while (q->next()) {
            WebhookJob j = readClaimed(*q, dialect);
            j.state = JobState::Running;
            j.claimedAt = now;
            j.leaseExpiresAt = leaseEnd;
            j.claimedBy = request.worker;
            j.claimToken = token;
            jobs.append(std::move(j));
        }
        return {};
    };
    const QVariantList set = {nowText, TrackedEmailRepository::timeValue(leaseEnd), request.worker,
                              token};
    const QVariantList pick = {nowText, std::max(1, request.limit)};
    if (dialect == Dialect::PostgreSql) {
        // SKIP LOCKED: concurrent claimers take disjoint rows without waiting on each other;
        // a row another claimer just committed as running fails the re-checked state test.
        const QString sql =
            u"WITH picked AS (SELECT id FROM webhook_jobs "
            u"WHERE state IN ('queued', 'retry') AND available_at <= ? ORDER BY "_s +
            order +
            u" LIMIT ? FOR UPDATE SKIP LOCKED) "
            u"UPDATE webhook_jobs j SET state = 'running', attempts = j.attempts + "
            u"1, claimed_at = ?, lease_expires_at = ?, claimed_by = ?, "
            u"claim_token = ? FROM picked WHERE j.id = picked.id RETURNING "_s +
            claimColumns(dialect, u"j."_s);
        // SET LOCAL needs a transaction of its own; otherwise the statement is one.
        const auto claimRows = [&]() -> Status {
            if (request.asyncCommit) {
                if (auto r = m_db.exec(u"SET LOCAL synchronous_commit = off"_s); !r) {
                    return r.error();
                }
            }
            return readAll(m_db.exec(sql, pick + set));
        };
        const Status s = request.asyncCommit ? m_db.transaction(claimRows) : claimRows();
        if (!s) {
            return s.error();
        }
    } else {
        // One writer at a time: BEGIN IMMEDIATE holds the write lock from the first read.
        const Status s = m_db.transaction([&]() -> Status {
            return readAll(
                m_db.exec(u"UPDATE webhook_jobs SET state = 'running', attempts = attempts + 1, "
                          u"claimed_at = ?, lease_expires_at = ?, claimed_by = ?, claim_token = ? "
                          u"WHERE id IN (SELECT id FROM webhook_jobs "
                          u"WHERE state IN ('queued', 'retry') AND available_at <= ? ORDER BY "_s +
                              order + u" LIMIT ?) RETURNING "_s + claimColumns(dialect, QString()),
                          set + pick));
        });
        if (!s) {
            return s.error();
        }
    }
    // RETURNING gives no order: restore the claim order.
    std::sort(jobs.begin(), jobs.end(), [&](const WebhookJob& a, const WebhookJob& b) {
        if (request.order == ClaimOrder::Priority &&
            a.notification.priority != b.notification.priority) {
            return a.notification.priority > b.notification.priority;
        }
        if (a.createdAt != b.createdAt) {
            return a.createdAt < b.createdAt;
        }
        return a.id < b.id;
    });
    return jobs;
}

Result<qint64> WebhookQueue::complete(const QList<qint64>& ids, qint64 token) {
    if (ids.isEmpty()) {
        return qint64{0};
    }
    auto q = m_db.exec(u"UPDATE webhook_jobs SET state = 'done', processed_count = "
                       u"processed_count + 1, finished_at = ?, lease_expires_at = NULL "
                       u"WHERE claim_token = ? AND state = 'running' AND id IN ("_s +
                           idList(ids) + u')',
                       {TrackedEmailRepository::timeValue(m_clock.now()), token});
    if (!q) {
        return q.error();
    }
    return q->numRowsAffected();
}

Result<qint64> WebhookQueue::fail(const QList<JobFailure>& failures, qint64 token) {
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    qint64 settled = 0;
    for (const JobFailure& f : failures) {
        auto q =
            f.dead
                ? m_db.exec(u"UPDATE webhook_jobs SET state = 'dead', last_error = ?, "
                            u"dead_reason = ?, finished_at = ?, lease_expires_at = NULL "
                            u"WHERE id = ? AND claim_token = ? AND state = 'running'"_s,
                            {f.error, f.error, now, f.id, token})
                : m_db.exec(u"UPDATE webhook_jobs SET state = 'retry', last_error = ?, "
                            u"available_at = ?, lease_expires_at = NULL "
                            u"WHERE id = ? AND claim_token = ? AND state = 'running'"_s,
                            {f.error, TrackedEmailRepository::timeValue(f.retryAt), f.id, token});
        if (!q) {
            return q.error();
        }
        settled += q->numRowsAffected();
    }
    return settled;
}

Result<qint64> WebhookQueue::defer(const QList<QPair<qint64, QDateTime>>& jobs, qint64 token) {
    qint64 settled = 0;
    for (const auto& [id, at] : jobs) {
        auto q = m_db.exec(u"UPDATE webhook_jobs SET state = 'queued', attempts = attempts - 1, "
                           u"available_at = ?, lease_expires_at = NULL "
                           u"WHERE id = ? AND claim_token = ? AND state = 'running'"_s,
                           {TrackedEmailRepository::timeValue(at), id, token});
        if (!q) {
            return q.error();
        }
        settled += q->numRowsAffected();
    }
    return settled;
}

Result<ReclaimResult> WebhookQueue::reclaimExpired(int maxAttempts) {
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    ReclaimResult result;
    // Each statement is safe against a concurrent reclaimer: a row the other one changed no
    // longer matches state = 'running' when PostgreSQL re-checks it.
    auto dead =
        m_db.exec(u"UPDATE webhook_jobs SET state = 'dead', "
                  u"last_error = 'lease expired (claimed by ' || COALESCE(claimed_by, '') || ')', "
                  u"dead_reason = 'lease expired on the last allowed attempt (claimed by ' || "
                  u"COALESCE(claimed_by, '') || ')', finished_at = ?, lease_expires_at = NULL "
                  u"WHERE state = 'running' AND lease_expires_at <= ? AND attempts >= ?"_s,
                  {now, now, std::max(1, maxAttempts)});
    if (!dead) {
        return dead.error();
    }
    result.deadLettered = dead->numRowsAffected();
    auto retry =
        m_db.exec(u"UPDATE webhook_jobs SET state = 'retry', "
                  u"last_error = 'lease expired (claimed by ' || COALESCE(claimed_by, '') || ')', "
                  u"available_at = ?, lease_expires_at = NULL "
                  u"WHERE state = 'running' AND lease_expires_at <= ?"_s,
                  {now, now});
    if (!retry) {
        return retry.error();
    }
    result.requeued = retry->numRowsAffected();
    if (const Status s = notify(result.requeued); !s) {
        return s.error();
    }
    return result;
}

} // namespace trackwatch::core
