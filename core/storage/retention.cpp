// SPDX-License-Identifier: MIT
#include "storage/retention.h"

#include "common/logging.h"
#include "storage/database.h"

#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace {

struct Key {
    const char* name;
    int RetentionPolicy::*field;
    int low;
    int high;
};

constexpr Key kKeys[] = {
    {"trackedEmailsDays", &RetentionPolicy::trackedEmailsDays, 0, 36500},
    {"inboundMessagesDays", &RetentionPolicy::inboundMessagesDays, 0, 36500},
    {"webhookJobsDoneDays", &RetentionPolicy::webhookJobsDoneDays, 0, 36500},
    {"webhookJobsDeadDays", &RetentionPolicy::webhookJobsDeadDays, 0, 36500},
    {"pendingRepliesDays", &RetentionPolicy::pendingRepliesDays, 0, 36500},
    {"mailSourceRawDays", &RetentionPolicy::mailSourceRawDays, 0, 36500},
    {"batchRows", &RetentionPolicy::batchRows, 1, 100000},
    {"batchesPerRun", &RetentionPolicy::batchesPerRun, 1, 10000},
};

// Enough rounds to empty any table purgeAll() meets, and still an end if rows keep coming.
constexpr int kMaxRoundsPerRule = 1'000'000;

} // namespace

Result<RetentionPolicy> RetentionPolicy::fromSettings(const QJsonObject& settings,
                                                      int trackingDays) {
    RetentionPolicy policy;
    const QJsonValue section = settings.value(u"retention"_s);
    if (!section.isUndefined() && !section.isObject()) {
        return Error{ErrorCode::InvalidArgument, u"retention: not a JSON object"_s};
    }
    const QJsonObject object = section.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        const Key* key = std::find_if(std::begin(kKeys), std::end(kKeys), [&](const Key& k) {
            return it.key() == QLatin1String(k.name);
        });
        if (key == std::end(kKeys)) {
            return Error{ErrorCode::InvalidArgument,
                         u"retention: unknown key '%1'"_s.arg(it.key().left(64))};
        }
        const double value = it.value().toDouble(std::nan(""));
        if (!it.value().isDouble() || !(value >= key->low && value <= key->high) ||
            value != std::floor(value)) {
            return Error{
                ErrorCode::InvalidArgument,
                u"retention.%1: not a whole number from %2 to %3"_s.arg(it.key()).arg(key->low).arg(
                    key->high)};
        }
        policy.*(key->field) = static_cast<int>(value);
    }
    // A reply whose sent mail has not arrived yet waits as long as that mail could still be
    // tracked, and a day more; never less, whatever the file says.
    if (policy.pendingRepliesDays != 0) {
        policy.pendingRepliesDays = std::max(policy.pendingRepliesDays, trackingDays + 1);
    }
    return policy;
}

RetentionPolicy RetentionPolicy::orDefaults(const QJsonObject& settings, int trackingDays) {
    auto policy = fromSettings(settings, trackingDays);
    return policy ? *policy : fromSettings({}, trackingDays).value();
}

Retention::Retention(Database& db, const Clock& clock, RetentionPolicy policy)
    : m_db(db)
    , m_clock(clock)
    , m_policy(policy) {}

QList<Retention::Rule> Retention::rules() const {
    const RetentionPolicy& p = m_policy;
    return {
        // Still tracked (active) is never purged: the partial index says the same.
        {u"trackedEmails"_s, u"tracked_emails"_s, p.trackedEmailsDays,
         u"tracked_emails.tracking_status <> 'active' AND "
         u"COALESCE(tracked_emails.status_changed_at, tracked_emails.updated_at) < ?"_s,
         1},
        {u"inboundMessages"_s, u"inbound_messages"_s, p.inboundMessagesDays,
         u"inbound_messages.seen_at < ?"_s, 1},
        {u"webhookJobsDone"_s, u"webhook_jobs"_s, p.webhookJobsDoneDays,
         u"webhook_jobs.state = 'done' AND webhook_jobs.finished_at < ?"_s, 1},
        {u"webhookJobsDead"_s, u"webhook_jobs"_s, p.webhookJobsDeadDays,
         u"webhook_jobs.state = 'dead' AND webhook_jobs.finished_at < ?"_s, 1},
        // Old by when it was received and by when it was stored: an import of old mail keeps
        // its replies waiting as long as a live one would.
        {u"pendingReplies"_s, u"pending_replies"_s, p.pendingRepliesDays,
         u"pending_replies.received_at < ? AND pending_replies.created_at < ?"_s, 2},
        {u"mailSourceRaw"_s, u"mail_source_messages"_s, p.mailSourceRawDays,
         u"mail_source_messages.stored_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_jobs w "
         u"WHERE w.account = mail_source_messages.account AND w.resource_id = "
         u"mail_source_messages.resource_id AND w.state IN ('queued', 'retry', 'running'))"_s,
         1},
    };
}

Result<QList<RetentionCount>> Retention::due() {
    const QDateTime now = m_clock.now();
    QList<RetentionCount> counts;
    for (const Rule& rule : rules()) {
        RetentionCount count{rule.name, rule.table, rule.days, {}, 0};
        if (rule.days > 0) {
            count.cutoff = now.addDays(-rule.days);
            QVariantList values;
            for (int i = 0; i < rule.cutoffs; ++i) {
                values << count.cutoff;
            }
            auto q = m_db.exec(
                u"SELECT count(*) FROM %1 WHERE %2"_s.arg(rule.table, rule.predicate), values);
            if (!q) {
                return q.error();
            }
            count.rows = q->next() ? q->value(0).toLongLong() : 0;
        }
        counts.append(count);
    }
    return counts;
}

Result<qint64> Retention::deleteBatch(const Rule& rule, const QDateTime& cutoff) {
    // The predicate again outside the chosen rows: a row changed since it was chosen (a job
    // requeued) stays.
    const QString sql =
        m_db.dialect() == Dialect::Sqlite
            ? u"DELETE FROM %1 WHERE rowid IN (SELECT rowid FROM %1 WHERE %2 LIMIT %3) AND %2"_s
            : u"DELETE FROM %1 WHERE ctid = ANY (ARRAY(SELECT ctid FROM %1 WHERE %2 LIMIT %3)) "
              u"AND %2"_s;
    QVariantList values;
    for (int i = 0; i < 2 * rule.cutoffs; ++i) {
        values << cutoff;
    }
    auto q = m_db.exec(sql.arg(rule.table, rule.predicate).arg(m_policy.batchRows), values);
    if (!q) {
        return q.error();
    }
    return q->numRowsAffected();
}

Result<QList<RetentionCount>> Retention::purge(int batchesPerRule) {
    const QDateTime now = m_clock.now();
    QList<RetentionCount> counts;
    for (const Rule& rule : rules()) {
        RetentionCount count{rule.name, rule.table, rule.days, {}, 0};
        if (rule.days > 0) {
            count.cutoff = now.addDays(-rule.days);
            for (int batch = 0; batch < batchesPerRule; ++batch) {
                auto removed = deleteBatch(rule, count.cutoff);
                if (!removed) {
                    return Error{removed.error().code,
                                 u"retention %1: %2"_s.arg(rule.name, removed.error().message)};
                }
                count.rows += *removed;
                if (*removed < m_policy.batchRows) {
                    break;
                }
            }
        }
        if (count.rows > 0) {
            logging::get("core.storage")
                ->info("retention {}: removed {} rows of {} older than {} days", rule.name,
                       count.rows, rule.table, rule.days);
        }
        counts.append(count);
    }
    return counts;
}

Result<QList<RetentionCount>> Retention::purgeSome() {
    return purge(m_policy.batchesPerRun);
}

Result<QList<RetentionCount>> Retention::purgeAll() {
    return purge(kMaxRoundsPerRule);
}

} // namespace trackwatch::core
