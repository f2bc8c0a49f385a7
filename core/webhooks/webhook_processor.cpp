// SPDX-License-Identifier: MIT
#include "webhooks/webhook_processor.h"

#include "common/logging.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "tracking/mail_parser.h"

#include <QAtomicInt>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QSysInfo>
#include <QThread>

#include <algorithm>
#include <cmath>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr qsizetype kShadowExamples = 20;
// A runner whose next due time has already passed (a job locked by another claimer, a lease
// not yet reclaimable) looks again after this, rather than spinning.
constexpr qint64 kMinDueDelayMs = 250;

// The tables ingestion writes, parents first: a shadow gets private copies of these.
const QStringList& trackingTables() {
    static const QStringList tables = {u"accounts"_s, u"tracked_emails"_s, u"pending_replies"_s,
                                       u"pending_reply_refs"_s, u"inbound_messages"_s};
    return tables;
}

QString defaultWorkerId() {
    static QAtomicInt counter;
    return u"%1:%2:%3"_s.arg(QSysInfo::machineHostName())
        .arg(QCoreApplication::applicationPid())
        .arg(counter.fetchAndAddRelaxed(1) + 1);
}

// A tracked email as a shadow comparison sees it.
struct TrackedRow {
    QString account;
    QString messageId;
    QString replyMessageId;
    QString text; // status, responses, reply id and match method
};

// The tracked emails with these (account, message id) keys, or whose first reply is one of
// `replies` (account, reply message id), as the connection sees them (a shadow's sandbox).
Result<QList<TrackedRow>> trackedRows(Database& db, const QList<QPair<QString, QString>>& keys,
                                      const QList<QPair<QString, QString>>& replies) {
    QList<TrackedRow> rows;
    if (keys.isEmpty() && replies.isEmpty()) {
        return rows;
    }
    QString sql = u"SELECT a.email_address, t.internet_message_id, t.tracking_status, "
                  u"t.response_count, t.reply_message_id, t.match_method "
                  u"FROM tracked_emails t JOIN accounts a ON a.id = t.email_account_id WHERE "_s;
    QVariantList values;
    const auto tupleList = [&](const QList<QPair<QString, QString>>& pairs) {
        QString out;
        for (qsizetype i = 0; i < pairs.size(); ++i) {
            out += i > 0 ? u", (?, ?)"_s : u"(?, ?)"_s;
            values << pairs[i].first << pairs[i].second;
        }
        return out;
    };
    QStringList conditions;
    if (!keys.isEmpty()) {
        conditions << u"(a.email_address, t.internet_message_id) IN (VALUES "_s + tupleList(keys) +
                          u')';
    }
    if (!replies.isEmpty()) {
        conditions << u"(a.email_address, t.reply_message_id) IN (VALUES "_s + tupleList(replies) +
                          u')';
    }
    auto q = db.exec(sql + conditions.join(u" OR "_s), values);
    if (!q) {
        return q.error();
    }
    while (q->next()) {
        TrackedRow r;
        r.account = q->value(0).toString();
        r.messageId = q->value(1).toString();
        r.replyMessageId = q->value(4).toString();
        r.text = u"%1=%2/%3/%4/%5"_s.arg(r.messageId, q->value(2).toString())
                     .arg(q->value(3).toLongLong())
                     .arg(r.replyMessageId, q->value(5).toString());
        rows.append(r);
    }
    return rows;
}

// PostgreSQL's deadlock and serialization failures (SQLSTATE 40P01, 40001): the statement lost
// a race and running it again is expected to succeed.
bool isTransient(const Error& e) {
    return e.message.contains(u"(40P01)"_s) || e.message.contains(u"(40001)"_s) ||
           e.message.contains(u"deadlock detected"_s);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Values

std::chrono::milliseconds RetryPolicy::delay(int attempts, double u) const {
    const int n = std::clamp(attempts, 1, 62);
    const double spread = std::clamp(jitter, 0.0, 1.0);
    const double unit = std::clamp(u, 0.0, 1.0);
    double ms = std::ldexp(static_cast<double>(base.count()), n - 1);
    ms *= 1.0 + spread * (2.0 * unit - 1.0);
    ms = std::clamp(ms, 0.0, static_cast<double>(cap.count()));
    return std::chrono::milliseconds(std::llround(ms));
}

QString jobOutcomeName(JobOutcome outcome) {
    switch (outcome) {
    case JobOutcome::Done:
        return u"done"_s;
    case JobOutcome::Retry:
        return u"retry"_s;
    case JobOutcome::Dead:
        return u"dead"_s;
    case JobOutcome::Deferred:
        return u"deferred"_s;
    }
    return u"done"_s;
}

ProcessStats& ProcessStats::operator+=(const ProcessStats& o) {
    claimed += o.claimed;
    done += o.done;
    failed += o.failed;
    retried += o.retried;
    deadLettered += o.deadLettered;
    deferred += o.deferred;
    reclaimed += o.reclaimed;
    lostLeases += o.lostLeases;
    batches += o.batches;
    isolatedBatches += o.isolatedBatches;
    claimCalls += o.claimCalls;
    claimNanos += o.claimNanos;
    maxClaimNanos = std::max(maxClaimNanos, o.maxClaimNanos);
    queueWaitMs += o.queueWaitMs;
    ingestion += o.ingestion;
    return *this;
}

ThroughputMeter::ThroughputMeter(std::chrono::seconds window)
    : m_window(std::max(window, std::chrono::seconds(1))) {}

void ThroughputMeter::record(const QDateTime& at, qint64 jobs) {
    m_events.push_back({at, jobs});
}

double ThroughputMeter::perMinute(const QDateTime& now) {
    const QDateTime from = now.addSecs(-m_window.count());
    while (!m_events.empty() && m_events.front().first <= from) {
        m_events.pop_front();
    }
    qint64 jobs = 0;
    for (const auto& [at, n] : m_events) {
        if (at <= now) {
            jobs += n;
        }
    }
    return static_cast<double>(jobs) * 60.0 / static_cast<double>(m_window.count());
}

double ThroughputMeter::perMinute(qint64 jobs, std::chrono::nanoseconds elapsed) {
    return elapsed.count() > 0 ? static_cast<double>(jobs) * 60e9 / elapsed.count() : 0.0;
}

// ---------------------------------------------------------------------------------------------
// WebhookProcessor (legacy)

WebhookProcessor::WebhookProcessor(Database& db, const Clock& clock, WebhookProcessorConfig config)
    : m_db(db)
    , m_clock(clock)
    , m_config(std::move(config))
    , m_source(db, clock)
    , m_queue(db, clock)
    , m_ingestion(std::make_unique<IngestionEngine>(db, clock, m_config.ingestion)) {
    // A job whose message cannot be stored is retried, then dead-lettered, job by job: ingestion
    // must report it rather than skip it.
    m_config.ingestion.skipBadMessages = false;
    m_ingestion->setOptions(m_config.ingestion);
    if (m_config.workerId.isEmpty()) {
        m_config.workerId = defaultWorkerId();
    }
    m_config.batchSize = std::max(1, m_config.batchSize);
    m_config.retry.maxAttempts = std::max(1, m_config.retry.maxAttempts);
}

WebhookProcessor::~WebhookProcessor() = default;

QString WebhookProcessor::name() const {
    return u"legacy"_s;
}

int WebhookProcessor::claimSize(int /*remaining*/) const {
    return 1;
}

Result<ProcessStats> WebhookProcessor::processAvailable() {
    ProcessStats total;
    while (true) {
        auto round = drainOnce(std::max(1000, m_config.batchSize));
        if (!round) {
            return round.error();
        }
        total += *round;
        if (round->claimed == 0) {
            return total;
        }
    }
}

Result<ProcessStats> WebhookProcessor::drainOnce(int maxJobs) {
    if (m_sandboxed) {
        return Error{ErrorCode::Conflict, u"a shadow processor never claims jobs"_s};
    }
    ProcessStats stats;
    const auto finish = [&](Result<ProcessStats> r) {
        m_totals += stats;
        return r;
    };
    if (const Status s = reclaimIfDue(stats); !s) {
        return finish(s.error());
    }
    int remaining = maxJobs;
    while (remaining > 0) {
        const ClaimRequest request{claimOrder(), claimSize(remaining), m_config.workerId,
                                   m_config.lease, asyncBookkeeping()};
        QElapsedTimer timer;
        timer.start();
        auto jobs = m_queue.claim(request);
        const qint64 nanos = timer.nsecsElapsed();
        ++stats.claimCalls;
        stats.claimNanos += nanos;
        stats.maxClaimNanos = std::max(stats.maxClaimNanos, nanos);
        if (!jobs) {
            return finish(jobs.error());
        }
        if (jobs->isEmpty()) {
            break;
        }
        ++stats.batches;
        stats.claimed += jobs->size();
        remaining -= static_cast<int>(jobs->size());
        for (const WebhookJob& j : std::as_const(*jobs)) {
            stats.queueWaitMs += std::max<qint64>(0, j.createdAt.msecsTo(j.claimedAt));
        }
        const QList<Work> works = run(*jobs, stats);
        // A failed settle leaves the jobs running under this claim: their lease expires and
        // another round (or processor) reclaims them, so none is lost.
        if (const Status s = settle(works, jobs->first().claimToken, stats); !s) {
            return finish(s.error());
        }
        if (m_shadow) {
            compareWithShadow(works);
        }
    }
    return finish(stats);
}

Status WebhookProcessor::reclaimIfDue(ProcessStats& stats) {
    const QDateTime now = m_clock.now();
    if (m_lastReclaim && now >= *m_lastReclaim &&
        m_lastReclaim->msecsTo(now) < m_config.reclaimEvery.count()) {
        return {};
    }
    auto r = m_queue.reclaimExpired(m_config.retry.maxAttempts);
    if (!r) {
        return r.error();
    }
    m_lastReclaim = now;
    stats.reclaimed += r->requeued + r->deadLettered;
    if (r->requeued + r->deadLettered > 0) {
        logging::get("core.webhooks")
            ->warn("{}: reclaimed {} jobs whose lease expired ({} dead-lettered)",
                   m_config.workerId, r->requeued + r->deadLettered, r->deadLettered);
    }
    return {};
}

QList<WebhookProcessor::Work> WebhookProcessor::run(const QList<WebhookJob>& jobs,
                                                    ProcessStats& stats) {
    QList<Work> works;
    works.reserve(jobs.size());
    for (const WebhookJob& j : jobs) {
        works.append(Work{j, std::nullopt, std::nullopt, {}, {}});
    }
    if (m_admission) {
        const QDateTime now = m_clock.now();
        for (Work& w : works) {
            auto verdict = m_admission(w.job.notification.account);
            if (!verdict) {
                w.outcome = JobOutcome::Deferred;
                w.at = now.addMSecs(m_config.retry.base.count());
                w.error = u"admission failed: "_s + verdict.error().message;
            } else if (verdict->has_value()) {
                w.outcome = JobOutcome::Deferred;
                w.at = now.addMSecs(std::max<qint64>(0, (*verdict)->count()));
                w.error = u"refused by admission"_s;
            }
        }
    }
    fetchAndIngest(works, stats);
    for (Work& w : works) {
        if (!w.outcome) {
            failWork(w, u"the job ended without an outcome"_s); // never silently done
        }
    }
    return works;
}

void WebhookProcessor::failWork(Work& w, const QString& error, bool permanent) {
    w.error = error;
    if (permanent || w.job.attempts >= m_config.retry.maxAttempts) {
        w.outcome = JobOutcome::Dead;
        return;
    }
    const double u = m_jitter ? m_jitter() : QRandomGenerator::global()->generateDouble();
    w.outcome = JobOutcome::Retry;
    w.at = m_clock.now().addMSecs(m_config.retry.delay(w.job.attempts, u).count());
}

Delivery WebhookProcessor::deliveryOf(const Work& w) {
    return Delivery{w.job.notification.account.toLower(), *w.message};
}

void WebhookProcessor::fetchOne(Work& w) {
    auto message = m_source.fetch(w.job.notification.account, w.job.notification.resourceId);
    if (message) {
        w.message = std::move(message).value();
        return;
    }
    // Bytes that do not parse will not parse next time either.
    failWork(w, message.error().message, message.error().code == ErrorCode::ParseError);
}

void WebhookProcessor::fetchAndIngest(QList<Work>& works, ProcessStats& stats) {
    for (Work& w : works) {
        if (w.outcome) {
            continue;
        }
        fetchOne(w);
        if (w.outcome) {
            continue;
        }
        auto r = m_ingestion->ingestOnPath(false, {deliveryOf(w)});
        if (!r) {
            failWork(w, u"ingestion: "_s + r.error().message);
            continue;
        }
        stats.ingestion += *r;
        w.outcome = JobOutcome::Done;
    }
}

Status WebhookProcessor::settle(const QList<Work>& works, qint64 token, ProcessStats& stats) {
    return settleStatements(works, token, stats);
}

Status WebhookProcessor::settleStatements(const QList<Work>& works, qint64 token,
                                          ProcessStats& stats) {
    QList<qint64> done;
    QList<JobFailure> failures;
    QList<QPair<qint64, QDateTime>> deferred;
    qint64 retried = 0;
    qint64 dead = 0;
    for (const Work& w : works) {
        switch (w.outcome.value_or(JobOutcome::Retry)) {
        case JobOutcome::Done:
            done << w.job.id;
            break;
        case JobOutcome::Retry:
            failures.append({w.job.id, w.error, false, w.at});
            ++retried;
            break;
        case JobOutcome::Dead:
            failures.append({w.job.id, w.error, true, {}});
            ++dead;
            break;
        case JobOutcome::Deferred:
            deferred.append({w.job.id, w.at});
            break;
        }
    }
    auto completed = m_queue.complete(done, token);
    if (!completed) {
        return completed.error();
    }
    auto failed = m_queue.fail(failures, token);
    if (!failed) {
        return failed.error();
    }
    auto put = m_queue.defer(deferred, token);
    if (!put) {
        return put.error();
    }
    stats.done += *completed;
    stats.retried += retried;
    stats.deadLettered += dead;
    stats.failed += retried + dead;
    stats.deferred += *put;
    const qint64 lost =
        (done.size() - *completed) + (failures.size() - *failed) + (deferred.size() - *put);
    if (lost > 0) {
        stats.lostLeases += lost;
        logging::get("core.webhooks")
            ->warn("{}: {} jobs were taken over after their lease expired; their outcome here "
                   "was not recorded",
                   m_config.workerId, lost);
    }
    for (const Work& w : works) {
        if (w.outcome == JobOutcome::Dead) {
            logging::get("core.webhooks")
                ->warn("job {} ({}/{}) dead-lettered after {} attempts: {}", w.job.id,
                       w.job.notification.account, w.job.notification.resourceId, w.job.attempts,
                       w.error);
        }
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Shadow mode

Status WebhookProcessor::enterShadowSandbox() {
    if (m_sandboxed) {
        return {};
    }
    const Status s = m_db.transaction([&]() -> Status {
        if (m_db.dialect() == Dialect::PostgreSql) {
            // One snapshot for all the copies.
            if (auto r = m_db.exec(u"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"_s); !r) {
                return r.error();
            }
            auto schema = m_db.exec(u"SELECT current_schema()"_s);
            if (!schema) {
                return schema.error();
            }
            const QString real = schema->next() ? schema->value(0).toString() : u"public"_s;
            for (const QString& table : trackingTables()) {
                // Temporary tables come first in name lookup: from here on every unqualified
                // statement of this connection sees the copy. Defaults come along, so the id
                // columns get sequences of their own instead of drawing on the real ones.
                const QStringList statements = {
                    u"CREATE TEMP TABLE %1 (LIKE \"%2\".%1 INCLUDING DEFAULTS INCLUDING "
                    u"CONSTRAINTS INCLUDING INDEXES)"_s.arg(table, real),
                    u"INSERT INTO pg_temp.%1 SELECT * FROM \"%2\".%1"_s.arg(table, real)};
                for (const QString& sql : statements) {
                    if (auto r = m_db.exec(sql); !r) {
                        return r.error();
                    }
                }
                if (table == u"pending_reply_refs" || table == u"inbound_messages") {
                    continue;
                }
                const QStringList sequence = {
                    u"CREATE TEMP SEQUENCE shadow_%1_id_seq"_s.arg(table),
                    u"SELECT setval('pg_temp.shadow_%1_id_seq', COALESCE((SELECT max(id) FROM "
                    u"pg_temp.%1), 0) + 1, false)"_s.arg(table),
                    u"ALTER TABLE pg_temp.%1 ALTER COLUMN id SET DEFAULT "
                    u"nextval('pg_temp.shadow_%1_id_seq')"_s.arg(table)};
                for (const QString& sql : sequence) {
                    if (auto r = m_db.exec(sql); !r) {
                        return r.error();
                    }
                }
            }
            // LIKE leaves foreign keys out; deleting a pending reply relies on this cascade.
            return Status::from(
                m_db.exec(u"ALTER TABLE pg_temp.pending_reply_refs ADD FOREIGN KEY (pending_id) "
                          u"REFERENCES pg_temp.pending_replies (id) ON DELETE CASCADE"_s));
        }
        // SQLite: the same through the schema's own statements; temp objects shadow main's.
        QStringList names;
        for (const QString& t : trackingTables()) {
            names << u'\'' + t + u'\'';
        }
        auto tables = m_db.exec(u"SELECT name, sql FROM main.sqlite_master WHERE type = 'table' "
                                u"AND name IN ("_s +
                                names.join(u", "_s) + u')');
        if (!tables) {
            return tables.error();
        }
        QHash<QString, QString> create;
        while (tables->next()) {
            create.insert(tables->value(0).toString(), tables->value(1).toString());
        }
        auto indexes = m_db.exec(u"SELECT sql FROM main.sqlite_master WHERE type = 'index' AND "
                                 u"sql IS NOT NULL AND tbl_name IN ("_s +
                                 names.join(u", "_s) + u')');
        if (!indexes) {
            return indexes.error();
        }
        QStringList indexSql;
        while (indexes->next()) {
            indexSql << indexes->value(0).toString();
        }
        for (const QString& table : trackingTables()) {
            QString sql = create.value(table);
            if (!sql.startsWith(u"CREATE TABLE "_s)) {
                return Status::failure(ErrorCode::Unavailable,
                                       u"cannot copy table %1 for the shadow"_s.arg(table));
            }
            sql.replace(0, 13, u"CREATE TEMP TABLE "_s);
            if (auto r = m_db.exec(sql); !r) {
                return r.error();
            }
            if (auto r = m_db.exec(u"INSERT INTO temp.%1 SELECT * FROM main.%1"_s.arg(table)); !r) {
                return r.error();
            }
        }
        // Unqualified, an index on a temp table is created in the temp schema.
        for (const QString& sql : std::as_const(indexSql)) {
            if (auto r = m_db.exec(sql); !r) {
                return r.error();
            }
        }
        return {};
    });
    if (!s) {
        return s;
    }
    // A fresh engine: nothing prepared against the real tables survives.
    m_ingestion = std::make_unique<IngestionEngine>(m_db, m_clock, m_config.ingestion);
    m_sandboxed = true;
    return {};
}

Status WebhookProcessor::setShadow(WebhookProcessor* shadow) {
    if (shadow && (!shadow->isShadow() || &shadow->database() == &m_db || shadow == this)) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"a shadow runs sandboxed on a connection of its own"_s);
    }
    m_shadow = shadow;
    return {};
}

void WebhookProcessor::compareWithShadow(const QList<Work>& works) {
    QList<WebhookJob> jobs;
    for (const Work& w : works) {
        jobs.append(w.job);
    }
    ProcessStats ignored;
    const QList<Work> shadowWorks = m_shadow->run(jobs, ignored);

    // What each job may have touched: its own message and the ones it answers or bounces.
    QList<QStringList> idsOf;
    QList<QPair<QString, QString>> keys;
    QList<QPair<QString, QString>> replies;
    for (qsizetype i = 0; i < works.size(); ++i) {
        const std::optional<MailMessage>& m =
            works[i].message ? works[i].message : shadowWorks[i].message;
        QStringList ids;
        if (m) {
            ids << m->messageId << m->inReplyTo << m->references;
            if (!m->bouncedMessageId.isEmpty()) {
                ids << m->bouncedMessageId;
            }
            ids.removeDuplicates();
            const QString account = works[i].job.notification.account.toLower();
            for (const QString& id : std::as_const(ids)) {
                keys.append({account, id});
            }
            replies.append({account, m->messageId});
        }
        idsOf.append(ids);
    }
    auto primaryRows = trackedRows(m_db, keys, replies);
    auto shadowRows = trackedRows(m_shadow->m_db, keys, replies);
    const auto describe = [&](const Work& w, const QStringList& ids,
                              const Result<QList<TrackedRow>>& rows) {
        QString text = jobOutcomeName(w.outcome.value_or(JobOutcome::Retry));
        if (!rows) {
            return text + u" (cannot read: "_s + rows.error().message + u')';
        }
        const QString account = w.job.notification.account.toLower();
        const QString own = ids.isEmpty() ? QString() : ids.first();
        QStringList touched;
        for (const TrackedRow& r : *rows) {
            if (r.account == account &&
                (ids.contains(r.messageId) || (!own.isEmpty() && r.replyMessageId == own))) {
                touched << r.text;
            }
        }
        touched.sort();
        touched.removeDuplicates();
        return touched.isEmpty() ? text : text + u' ' + touched.join(u' ');
    };
    for (qsizetype i = 0; i < works.size(); ++i) {
        const QString primary = describe(works[i], idsOf[i], primaryRows);
        const QString shadow = describe(shadowWorks[i], idsOf[i], shadowRows);
        ++m_shadowReport.compared;
        if (primary == shadow && primaryRows && shadowRows) {
            ++m_shadowReport.same;
            continue;
        }
        ++m_shadowReport.different;
        if (m_shadowReport.examples.size() < kShadowExamples) {
            m_shadowReport.examples.append(
                {works[i].job.id,
                 works[i].job.notification.account + u'/' + works[i].job.notification.resourceId,
                 primary, shadow});
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PriorityWebhookProcessor

PriorityWebhookProcessor::PriorityWebhookProcessor(Database& db, const Clock& clock,
                                                   WebhookProcessorConfig config)
    : WebhookProcessor(db, clock, std::move(config)) {}

QString PriorityWebhookProcessor::name() const {
    return u"priority"_s;
}

bool PriorityWebhookProcessor::asyncBookkeeping() const {
    return m_config.asyncBookkeeping && m_db.dialect() == Dialect::PostgreSql;
}

int PriorityWebhookProcessor::claimSize(int remaining) const {
    return std::max(1, std::min(remaining, m_config.batchSize));
}

void PriorityWebhookProcessor::fetchAndIngest(QList<Work>& works, ProcessStats& stats) {
    QList<SourceKey> keys;
    for (const Work& w : works) {
        if (!w.outcome) {
            keys.append({w.job.notification.account.toLower(), w.job.notification.resourceId});
        }
    }
    if (keys.isEmpty()) {
        return;
    }
    auto raw = m_source.fetchRaw(keys);
    QList<Work*> ready;
    for (Work& w : works) {
        if (w.outcome) {
            continue;
        }
        if (!raw) {
            failWork(w, u"source: "_s + raw.error().message);
            continue;
        }
        const auto it =
            raw->constFind({w.job.notification.account.toLower(), w.job.notification.resourceId});
        if (it == raw->cend()) {
            failWork(w, u"no message %1 in mailbox %2 at the source"_s.arg(
                            w.job.notification.resourceId, w.job.notification.account));
            continue;
        }
        auto message = MailParser::parse(*it);
        if (!message) {
            failWork(w, message.error().message, true);
            continue;
        }
        w.message = std::move(message).value();
        ready.append(&w);
    }
    if (ready.isEmpty()) {
        return;
    }
    // Mailbox by mailbox (each mailbox's mail keeps its order): concurrent batches then create
    // missing accounts in one global order and cannot deadlock on them.
    std::stable_sort(ready.begin(), ready.end(), [](const Work* a, const Work* b) {
        return a->job.notification.account.toLower() < b->job.notification.account.toLower();
    });
    QList<Delivery> deliveries;
    deliveries.reserve(ready.size());
    for (const Work* w : std::as_const(ready)) {
        deliveries.append(deliveryOf(*w));
    }
    // The whole batch in one ingestion transaction.
    IngestionOptions options = m_ingestion->options();
    options.batchSize = static_cast<int>(std::max<qsizetype>(1, deliveries.size()));
    m_ingestion->setOptions(options);
    auto all = m_ingestion->ingestOnPath(true, deliveries);
    if (!all && isTransient(all.error())) {
        // Lost a deadlock or serialization race with another processor: nothing was
        // committed, and the same batch usually goes through at once.
        all = m_ingestion->ingestOnPath(true, deliveries);
    }
    if (all) {
        stats.ingestion += *all;
        for (Work* w : ready) {
            w->outcome = JobOutcome::Done;
        }
        return;
    }
    // The batch rolled back whole: run it job by job, so that only the bad job fails.
    ++stats.isolatedBatches;
    logging::get("core.webhooks")
        ->warn("{}: a batch of {} failed ({}); isolating the failure job by job", m_config.workerId,
               ready.size(), all.error().message);
    for (qsizetype i = 0; i < ready.size(); ++i) {
        auto one = m_ingestion->ingestOnPath(true, {deliveries[i]});
        if (!one) {
            failWork(*ready[i], u"ingestion: "_s + one.error().message);
            continue;
        }
        stats.ingestion += *one;
        ready[i]->outcome = JobOutcome::Done;
    }
}

Status PriorityWebhookProcessor::settle(const QList<Work>& works, qint64 token,
                                        ProcessStats& stats) {
    // The batch's bookkeeping is one transaction: a handful of statements, one commit.
    ProcessStats settled;
    const Status s = m_db.transaction([&]() -> Status {
        if (asyncBookkeeping()) {
            if (auto r = m_db.exec(u"SET LOCAL synchronous_commit = off"_s); !r) {
                return r.error();
            }
        }
        return settleStatements(works, token, settled);
    });
    if (s) {
        stats += settled;
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// WebhookRunner

WebhookRunner::WebhookRunner(WebhookProcessor& processor, RunnerOptions options, QObject* parent)
    : QObject(parent)
    , m_processor(processor)
    , m_options(std::move(options))
    , m_fallback(this)
    , m_due(this) {
    qRegisterMetaType<trackwatch::core::ProcessStats>();
    m_due.setSingleShot(true);
    connect(&m_fallback, &QTimer::timeout, this, [this] {
        {
            QMutexLocker lock(&m_mutex);
            ++m_wakeups.fallbackPolls;
        }
        scheduleDrain();
    });
    connect(&m_due, &QTimer::timeout, this, [this] {
        {
            QMutexLocker lock(&m_mutex);
            ++m_wakeups.dueTimers;
        }
        scheduleDrain();
    });
}

WebhookRunner::~WebhookRunner() {
    stop();
}

void WebhookRunner::start() {
    if (m_running) {
        return;
    }
    m_running = true;
    Database& db = m_processor.database();
    if (m_options.listen && db.dialect() == Dialect::PostgreSql && !m_listening) {
        QSqlDriver* driver = db.handle().driver();
        if (driver->subscribeToNotification(WebhookQueue::channel())) {
            m_listening = true;
            connect(driver, &QSqlDriver::notification, this, [this](const QString& name) {
                if (name != WebhookQueue::channel()) {
                    return;
                }
                {
                    QMutexLocker lock(&m_mutex);
                    ++m_wakeups.notifications;
                }
                scheduleDrain();
            });
        } else {
            logging::get("core.webhooks")
                ->warn("cannot LISTEN on {}; looking for webhook jobs every {} ms",
                       WebhookQueue::channel(), m_options.fallbackPoll.count());
        }
    }
    m_fallback.start(static_cast<int>(std::max<qint64>(1, m_options.fallbackPoll.count())));
    scheduleDrain();
}

void WebhookRunner::stop() {
    if (!m_running) {
        return;
    }
    m_running = false;
    m_fallback.stop();
    m_due.stop();
    if (m_listening) {
        QSqlDriver* driver = m_processor.database().handle().driver();
        disconnect(driver, &QSqlDriver::notification, this, nullptr);
        driver->unsubscribeFromNotification(WebhookQueue::channel());
        m_listening = false;
    }
}

void WebhookRunner::wake() {
    QMetaObject::invokeMethod(
        this,
        [this] {
            {
                QMutexLocker lock(&m_mutex);
                ++m_wakeups.wakeCalls;
            }
            scheduleDrain();
        },
        Qt::QueuedConnection);
}

ProcessStats WebhookRunner::totals() const {
    QMutexLocker lock(&m_mutex);
    return m_totals;
}

RunnerWakeups WebhookRunner::wakeups() const {
    QMutexLocker lock(&m_mutex);
    return m_wakeups;
}

void WebhookRunner::scheduleDrain() {
    // Wakes that arrive while a drain is pending fold into it.
    if (!m_running || m_drainScheduled) {
        return;
    }
    m_drainScheduled = true;
    QMetaObject::invokeMethod(this, &WebhookRunner::drain, Qt::QueuedConnection);
}

void WebhookRunner::drain() {
    m_drainScheduled = false;
    if (!m_running) {
        return;
    }
    auto round = m_processor.drainOnce(std::max(1, m_options.maxJobsPerRound));
    if (!round) {
        logging::get("core.webhooks")->error("webhook round failed: {}", round.error().message);
        emit failed(round.error().message);
        armDueTimer();
        return;
    }
    {
        QMutexLocker lock(&m_mutex);
        m_totals += *round;
    }
    if (round->claimed > 0) {
        emit roundFinished(*round);
        scheduleDrain(); // more may be waiting; the event loop gets a turn first
        return;
    }
    armDueTimer();
    emit idle();
}

void WebhookRunner::armDueTimer() {
    auto due = m_processor.queue().nextDueAt();
    if (!due || !*due) {
        m_due.stop();
        return;
    }
    const qint64 ms = m_processor.clock().now().msecsTo(**due);
    const qint64 delay = std::clamp<qint64>(ms <= 0 ? kMinDueDelayMs : ms + 1, 1,
                                            std::max<qint64>(1, m_options.fallbackPoll.count()));
    m_due.start(static_cast<int>(delay));
}

// ---------------------------------------------------------------------------------------------
// WebhookRunnerThread

struct WebhookRunnerThread::State {
    std::unique_ptr<Database> db;
    std::unique_ptr<WebhookProcessor> processor;
    std::unique_ptr<WebhookRunner> runner;
};

WebhookRunnerThread::WebhookRunnerThread(ConnectionSpec connection,
                                         std::shared_ptr<const Clock> clock, RunnerOptions options,
                                         QObject* parent)
    : QObject(parent)
    , m_connection(std::move(connection))
    , m_clock(std::move(clock))
    , m_options(std::move(options)) {}

WebhookRunnerThread::~WebhookRunnerThread() {
    stop();
}

void WebhookRunnerThread::start() {
    if (m_thread) {
        return;
    }
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(u"webhooks"_s);
    m_host = new QObject;
    m_host->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_host, &QObject::deleteLater);
    connect(m_thread.get(), &QThread::started, m_host, [this] {
        auto db = Database::open(m_connection);
        if (!db) {
            emit failed(db.error().message);
            return;
        }
        Migrator migrator(**db);
        if (auto applied = migrator.migrate(); !applied) {
            emit failed(applied.error().message);
            return;
        }
        auto state = std::make_unique<State>();
        state->db = std::move(db).value();
        if (m_options.kind == ProcessorKind::Priority) {
            state->processor = std::make_unique<PriorityWebhookProcessor>(*state->db, *m_clock,
                                                                          m_options.processor);
        } else {
            state->processor =
                std::make_unique<WebhookProcessor>(*state->db, *m_clock, m_options.processor);
        }
        state->runner = std::make_unique<WebhookRunner>(*state->processor, m_options);
        connect(state->runner.get(), &WebhookRunner::idle, this, &WebhookRunnerThread::idle);
        connect(state->runner.get(), &WebhookRunner::failed, this, &WebhookRunnerThread::failed);
        {
            QMutexLocker lock(&m_mutex);
            m_runner = state->runner.get();
        }
        m_state = std::move(state);
        m_runner->start();
        m_ready.store(true);
        emit ready();
    });
    m_thread->start();
}

void WebhookRunnerThread::stop() {
    if (!m_thread) {
        return;
    }
    if (m_thread->isRunning()) {
        // Everything made on the thread is taken apart there (a connection belongs to it).
        QMetaObject::invokeMethod(
            m_host,
            [this] {
                {
                    QMutexLocker lock(&m_mutex);
                    if (m_runner) {
                        m_finalTotals = m_runner->totals();
                        m_finalWakeups = m_runner->wakeups();
                    }
                    m_runner = nullptr;
                }
                if (m_state) {
                    m_state->runner.reset();
                    m_state->processor.reset();
                    m_state->db.reset();
                    m_state.reset();
                }
            },
            Qt::BlockingQueuedConnection);
        m_thread->quit();
        m_thread->wait();
    }
    m_thread.reset();
    m_host = nullptr;
    m_ready.store(false);
}

void WebhookRunnerThread::wake() {
    QMutexLocker lock(&m_mutex);
    if (m_runner) {
        m_runner->wake();
    }
}

ProcessStats WebhookRunnerThread::totals() const {
    QMutexLocker lock(&m_mutex);
    return m_runner ? m_runner->totals() : m_finalTotals;
}

RunnerWakeups WebhookRunnerThread::wakeups() const {
    QMutexLocker lock(&m_mutex);
    return m_runner ? m_runner->wakeups() : m_finalWakeups;
}

} // namespace trackwatch::core
