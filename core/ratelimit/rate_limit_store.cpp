// SPDX-License-Identifier: MIT
#include "ratelimit/rate_limit_store.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QDateTime>
#include <QHash>
#include <QSqlQuery>
#include <QStringList>

#include <algorithm>
#include <limits>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

// A key of the shared state still in debt: its theoretical arrival time as milliseconds ahead
// of the sync's wall-clock time.
struct SharedState {
    QString account;
    QString operation;
    std::int64_t aheadMs = 0;
};

// Times are stored as the rest of the schema stores them: timestamptz on PostgreSQL, ISO-8601
// UTC text with milliseconds on SQLite (which sorts in time order, so it compares as text).
QString timeText(std::int64_t wallMs) {
    return TrackedEmailRepository::timeValue(QDateTime::fromMSecsSinceEpoch(wallMs, Qt::UTC));
}

std::int64_t readMs(const QVariant& v) {
    return TrackedEmailRepository::readTime(v).toMSecsSinceEpoch();
}

// What a key's requests add to its shared arrival time, rounded up to the millisecond the
// schema keeps (so a sync never undercharges).
std::int64_t chargeMs(const RateLimitUsage& u) {
    std::int64_t ns = 0;
    if (__builtin_mul_overflow(u.allowed, u.emissionIntervalNs, &ns)) {
        ns = std::numeric_limits<std::int64_t>::max() / 2; // years of debt: refuses all the same
    }
    return ns <= 0 ? 0 : (ns - 1) / kNsPerMs + 1;
}

Status validLegacyPolicy(const RateLimitPolicy& policy) {
    if (!policy.valid() || policy.window.count() % 1000 != 0 ||
        policy.limit > std::numeric_limits<int>::max() ||
        policy.window.count() / 1000 > std::numeric_limits<int>::max()) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"the legacy rate limiter needs a positive limit and a whole "
                               u"number of seconds as window (got %1 per %2 ms)"_s.arg(policy.limit)
                                   .arg(policy.window.count()));
    }
    return {};
}

Result<Decision> legacyPostgres(Database& db, const QString& account, const QString& operation,
                                const RateLimitPolicy& policy, std::int64_t nowMs) {
    auto q = db.exec(u"SELECT allowed, remaining, retry_after_ms "
                     u"FROM check_and_record_rate_limit(?, ?, ?, ?, ?::timestamptz)"_s,
                     {account, operation, static_cast<int>(policy.limit),
                      static_cast<int>(policy.window.count() / 1000), timeText(nowMs)});
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return Error{ErrorCode::DatabaseError, u"check_and_record_rate_limit returned no row"_s};
    }
    const bool allowed = q->value(0).toBool();
    return Decision{allowed, q->value(1).toLongLong(),
                    std::chrono::milliseconds(q->value(2).toLongLong()),
                    allowed ? Decision::Refusal::None : Decision::Refusal::RateLimited};
}

// check_and_record_rate_limit() step by step. BEGIN IMMEDIATE takes SQLite's write lock first,
// so two engines checking the same key run one after the other, as the advisory lock makes
// them on PostgreSQL.
Result<Decision> legacySqlite(Database& db, const QString& account, const QString& operation,
                              const RateLimitPolicy& policy, std::int64_t nowMs) {
    const std::int64_t limit = policy.limit;
    const std::int64_t windowMs = policy.window.count();
    const QString cutoff = timeText(nowMs - windowMs);
    Decision decision;
    const Status s = db.transaction([&]() -> Status {
        // A row exactly one window old has left the window, as in the PostgreSQL function.
        if (auto r = db.exec(u"DELETE FROM rate_limit_events WHERE account = ? AND operation = ? "
                             u"AND occurred_at <= ?"_s,
                             {account, operation, cutoff});
            !r) {
            return r.error();
        }
        auto count = db.exec(u"SELECT count(*) FROM rate_limit_events WHERE account = ? "
                             u"AND operation = ? AND occurred_at > ?"_s,
                             {account, operation, cutoff});
        if (!count) {
            return count.error();
        }
        const std::int64_t used = count->next() ? count->value(0).toLongLong() : 0;
        if (used < limit) {
            if (auto r = db.exec(u"INSERT INTO rate_limit_events (account, operation, "
                                 u"occurred_at) VALUES (?, ?, ?)"_s,
                                 {account, operation, timeText(nowMs)});
                !r) {
                return r.error();
            }
            decision = {true, limit - used - 1, std::chrono::milliseconds(0),
                        Decision::Refusal::None};
            return {};
        }
        // One more request fits when the (used - limit + 1)-th oldest row leaves the window.
        auto oldest =
            db.exec(u"SELECT occurred_at FROM rate_limit_events WHERE account = ? "
                    u"AND operation = ? AND occurred_at > ? ORDER BY occurred_at "
                    u"LIMIT 1 OFFSET ?"_s,
                    {account, operation, cutoff, QVariant::fromValue<qint64>(used - limit)});
        if (!oldest) {
            return oldest.error();
        }
        if (!oldest->next()) {
            return Status::failure(ErrorCode::DatabaseError,
                                   u"rate_limit_events changed during a locked check"_s);
        }
        const std::int64_t freeAt = readMs(oldest->value(0)) + windowMs;
        decision = {false, 0, std::chrono::milliseconds(std::max<std::int64_t>(1, freeAt - nowMs)),
                    Decision::Refusal::RateLimited};
        return {};
    });
    if (!s) {
        return s.error();
    }
    return decision;
}

// PostgreSQL: adds every charge and reads back every key in debt in one statement. Rows are
// written in key order so two engines syncing overlapping keys cannot deadlock. The shared
// time is the later of its stored value and now, plus the charge: a key with no debt left
// starts again from now.
Result<QList<SharedState>>
writeAndReadPostgres(Database& db, const std::vector<RateLimitUsage>& usage, std::int64_t nowMs) {
    const QString now = timeText(nowMs);
    QVariantList values;
    QString sql;
    if (!usage.empty()) {
        QStringList rows;
        rows.reserve(static_cast<qsizetype>(usage.size()));
        for (const RateLimitUsage& u : usage) {
            rows << u"(?, ?, ?)"_s;
            values << u.account << u.operation << QVariant::fromValue<qint64>(chargeMs(u));
        }
        sql = u"WITH delta (account, operation, charge_ms) AS (VALUES "_s + rows.join(u", "_s) +
              u"), written AS ("
              u"INSERT INTO rate_limit_usage AS u (account, operation, tat, updated_at) "
              u"SELECT d.account, d.operation, "
              u"?::timestamptz + d.charge_ms * interval '1 millisecond', ?::timestamptz "
              u"FROM delta d ORDER BY d.account, d.operation "
              u"ON CONFLICT (account, operation) DO UPDATE "
              u"SET tat = GREATEST(u.tat, excluded.updated_at) + "
              u"(excluded.tat - excluded.updated_at), updated_at = excluded.updated_at "
              u"RETURNING u.account, u.operation, u.tat), "
              u"shared AS (SELECT account, operation, tat FROM written UNION ALL "
              u"SELECT s.account, s.operation, s.tat FROM rate_limit_usage s "
              u"WHERE s.tat > ?::timestamptz AND NOT EXISTS (SELECT 1 FROM delta d "
              u"WHERE d.account = s.account AND d.operation = s.operation)) "_s;
        values << now << now << now;
    } else {
        sql = u"WITH shared AS (SELECT account, operation, tat FROM rate_limit_usage "
              u"WHERE tat > ?::timestamptz) "_s;
        values << now;
    }
    sql += u"SELECT account, operation, "
           u"ceil(extract(epoch FROM tat - ?::timestamptz) * 1000)::bigint FROM shared"_s;
    values << now;
    auto q = db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    QList<SharedState> shared;
    while (q->next()) {
        shared.append({q->value(0).toString(), q->value(1).toString(), q->value(2).toLongLong()});
    }
    return shared;
}

// SQLite has no timestamp arithmetic worth trusting to the millisecond, so the same update runs
// here, inside one BEGIN IMMEDIATE transaction (no other writer can interleave).
Result<QList<SharedState>>
writeAndReadSqlite(Database& db, const std::vector<RateLimitUsage>& usage, std::int64_t nowMs) {
    QList<SharedState> shared;
    const Status s = db.transaction([&]() -> Status {
        if (!usage.empty()) {
            QStringList keys;
            QVariantList keyValues;
            for (const RateLimitUsage& u : usage) {
                keys << u"(?, ?)"_s;
                keyValues << u.account << u.operation;
            }
            auto current =
                db.exec(u"WITH d (account, operation) AS (VALUES "_s + keys.join(u", "_s) +
                            u") SELECT u.account, u.operation, u.tat "
                            u"FROM rate_limit_usage u JOIN d ON u.account = d.account "
                            u"AND u.operation = d.operation"_s,
                        keyValues);
            if (!current) {
                return current.error();
            }
            QHash<QPair<QString, QString>, std::int64_t> stored;
            while (current->next()) {
                stored.insert({current->value(0).toString(), current->value(1).toString()},
                              readMs(current->value(2)));
            }
            QStringList rows;
            QVariantList values;
            const QString now = timeText(nowMs);
            for (const RateLimitUsage& u : usage) {
                const std::int64_t from =
                    std::max(stored.value({u.account, u.operation}, nowMs), nowMs);
                rows << u"(?, ?, ?, ?)"_s;
                values << u.account << u.operation << timeText(from + chargeMs(u)) << now;
            }
            if (auto r = db.exec(u"INSERT INTO rate_limit_usage (account, operation, tat, "
                                 u"updated_at) VALUES "_s +
                                     rows.join(u", "_s) +
                                     u" ON CONFLICT (account, operation) DO UPDATE SET "
                                     u"tat = excluded.tat, updated_at = excluded.updated_at"_s,
                                 values);
                !r) {
                return r.error();
            }
        }
        auto q = db.exec(u"SELECT account, operation, tat FROM rate_limit_usage WHERE tat > ?"_s,
                         {timeText(nowMs)});
        if (!q) {
            return q.error();
        }
        while (q->next()) {
            shared.append(
                {q->value(0).toString(), q->value(1).toString(), readMs(q->value(2)) - nowMs});
        }
        return {};
    });
    if (!s) {
        return s.error();
    }
    return shared;
}

} // namespace

RateLimitStore::RateLimitStore(Database& db, RateLimitPolicies policies)
    : m_db(db)
    , m_policies(std::move(policies)) {}

QString RateLimitStore::name() const {
    return u"legacy"_s;
}

Result<Decision> RateLimitStore::check(QStringView account, QStringView operation,
                                       const RateLimitTime& now) {
    return checkAndRecord(account, operation, m_policies.forOperation(operation), now.wallMs);
}

Result<Decision> RateLimitStore::checkAndRecord(QStringView account, QStringView operation,
                                                const RateLimitPolicy& policy,
                                                std::int64_t nowWallMs) {
    if (account.isEmpty() || operation.isEmpty()) {
        return Error{ErrorCode::InvalidArgument,
                     u"a rate limit key needs an account and an operation"_s};
    }
    if (const Status s = validLegacyPolicy(policy); !s) {
        return s.error();
    }
    return m_db.dialect() == Dialect::PostgreSql
               ? legacyPostgres(m_db, account.toString(), operation.toString(), policy, nowWallMs)
               : legacySqlite(m_db, account.toString(), operation.toString(), policy, nowWallMs);
}

Result<RateLimitSyncReport> RateLimitStore::synchronize(RateLimiter& limiter,
                                                        const RateLimitTime& now) {
    const std::vector<RateLimitUsage> usage = limiter.drainUsage();
    auto shared = m_db.dialect() == Dialect::PostgreSql
                      ? writeAndReadPostgres(m_db, usage, now.wallMs)
                      : writeAndReadSqlite(m_db, usage, now.wallMs);
    if (!shared) {
        limiter.restoreUsage(usage);
        return shared.error();
    }
    RateLimitSyncReport report;
    report.keysWritten = static_cast<int>(usage.size());
    for (const RateLimitUsage& u : usage) {
        report.requestsWritten += u.allowed;
    }
    for (const SharedState& s : *shared) {
        limiter.applySharedState(s.account, s.operation, now.steadyNs + s.aheadMs * kNsPerMs,
                                 now.steadyNs);
    }
    report.keysFolded = static_cast<int>(shared->size());
    return report;
}

Result<std::int64_t> RateLimitStore::prune(const RateLimitTime& now) {
    std::int64_t longestMs = 0;
    for (const RateLimitPolicy& p : m_policies.all()) {
        longestMs = std::max<std::int64_t>(longestMs, p.window.count());
    }
    std::int64_t deleted = 0;
    const Status s = m_db.transaction([&]() -> Status {
        auto events = m_db.exec(u"DELETE FROM rate_limit_events WHERE occurred_at <= ?"_s,
                                {timeText(now.wallMs - longestMs)});
        if (!events) {
            return events.error();
        }
        deleted += std::max(0, events->numRowsAffected());
        // A state with no debt left is the same as no state.
        auto usage =
            m_db.exec(u"DELETE FROM rate_limit_usage WHERE tat <= ?"_s, {timeText(now.wallMs)});
        if (!usage) {
            return usage.error();
        }
        deleted += std::max(0, usage->numRowsAffected());
        return {};
    });
    if (!s) {
        return s.error();
    }
    return deleted;
}

} // namespace trackwatch::core
