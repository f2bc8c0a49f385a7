// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <QDateTime>
#include <QList>
#include <QSqlQuery>
#include <QString>

#include <optional>

namespace trackwatch::core {

class Database;
class OptimizationGuard;
class QueryCache;

// What getTrackedEmails is asked (the seed's API parameters).
struct TrackedEmailQuery {
    QString account; // the mailbox address
    QString status;  // empty: any
    QDateTime since; // invalid: no lower bound on sent_at
    int limit = 20;  // 1..1000
    // Keyset cursor: the page after (beforeSentAt, beforeId), newest first.
    QDateTime beforeSentAt;
    qint64 beforeId = 0;
};

struct TrackedEmailRow {
    qint64 id = 0;
    QString account;
    QString messageId;
    QString conversationId;
    QString subject;
    QString sender;
    QString recipients;
    QDateTime sentAt;
    QString status;
    int responseCount = 0;
    QDateTime repliedAt;
    QString replySender;
    QString matchMethod; // "in_reply_to", "references", "conversation" or empty
    QDateTime statusChangedAt;

    bool operator==(const TrackedEmailRow&) const = default;
};

struct TrackedEmailPage {
    QList<TrackedEmailRow> rows;
    bool hasMore = false; // a next page exists: ask again with the last row as the cursor
    QString path;         // which path answered: "legacy", "optimized" or "cached"
};

struct AnalyticsQuery {
    QString account; // empty: every account together
    QDateTime since;
    QDateTime until;
};

struct AnalyticsRow {
    QDateTime hour; // UTC, on the hour
    qint64 sent = 0;
    qint64 replied = 0;
    qint64 bounced = 0;
    qint64 expired = 0;
    double replyRate = 0;              // replied / sent
    std::optional<double> medianReply; // seconds from sent to reply
    std::optional<double> p90Reply;

    bool operator==(const AnalyticsRow&) const = default;
};

struct AnalyticsResult {
    QList<AnalyticsRow> rows;
    QString path; // "raw", "materialized" or "cached"
};

// The seed's getTrackedEmails and analytics, each with its legacy and optimized twin:
// - legacy: the plain queries an ORM would issue (look the account up, then
//   SELECT * ... ORDER BY sent_at DESC LIMIT/OFFSET-free keyset; analytics aggregated from
//   tracked_emails at request time);
// - optimized: get_tracked_emails_optimized (PostgreSQL; the same keyset query with the
//   account id remembered on SQLite) and tracked_emails_hourly_metrics;
// - cached: the optimized answer kept in the QueryCache (CachedEmailTrackingService: the key
//   is the account and the filters; a miss falls through to the database).
// trackedEmails()/analytics() choose through the guards: useOptimizedQueries with the
// optimizedQueries rollout, enableQueryCaching with the caching rollout; an optimized failure
// is answered by legacy. The materialized path is taken when useMaterializedViews is set.
// Lives on its Database's thread; the cache and guards may be shared between threads.
class EmailQueryService {
public:
    struct Guards {
        OptimizationGuard* queries = nullptr; // null: always legacy
        OptimizationGuard* caching = nullptr; // null or no cache: never cached
    };
    EmailQueryService(Database& db, QueryCache* cache, Guards guards);

    void setUseMaterializedViews(bool on) { m_materialized = on; }

    Result<TrackedEmailPage> trackedEmails(const TrackedEmailQuery& query);
    Result<AnalyticsResult> analytics(const AnalyticsQuery& query);

    // The paths themselves, for benchmarks and side-by-side comparison.
    Result<TrackedEmailPage> legacyTrackedEmails(const TrackedEmailQuery& query);
    Result<TrackedEmailPage> optimizedTrackedEmails(const TrackedEmailQuery& query);
    Result<TrackedEmailPage> cachedTrackedEmails(const TrackedEmailQuery& query);
    Result<AnalyticsResult> rawAnalytics(const AnalyticsQuery& query);
    Result<AnalyticsResult> materializedAnalytics(const AnalyticsQuery& query);

    static Status validate(const TrackedEmailQuery& query);

private:
    Result<std::optional<qint64>> accountId(const QString& address, bool cached);
    // The page as one SELECT on tracked_emails (the legacy query, and SQLite's optimized one).
    Result<QSqlQuery> pageQuery(qint64 accountId, const TrackedEmailQuery& query,
                                bool rowValueCursor);
    Result<TrackedEmailPage> readPage(QSqlQuery& q, const TrackedEmailQuery& query,
                                      const QString& path);

    Database& m_db;
    QueryCache* m_cache;
    Guards m_guards;
    bool m_materialized = true;
};

} // namespace trackwatch::core
