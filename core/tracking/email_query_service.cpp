// SPDX-License-Identifier: MIT
#include "tracking/email_query_service.h"

#include "cache/query_cache.h"
#include "control/optimization_guard.h"
#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QDataStream>
#include <QIODevice>

#include <algorithm>
#include <cmath>
#include <map>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// The same columns in the same order on every path, so their rows compare equal.
const QString kColumns =
    u"id, internet_message_id, conversation_id, subject, sender, recipients, sent_at, "
    u"tracking_status, response_count, replied_at, reply_sender, match_method, "
    u"status_changed_at"_s;

QString nullable(const QDateTime& t) {
    return t.isValid() ? TrackedEmailRepository::timeValue(t) : QString();
}

QDataStream& operator<<(QDataStream& out, const TrackedEmailRow& r) {
    return out << r.id << r.account << r.messageId << r.conversationId << r.subject << r.sender
               << r.recipients << r.sentAt << r.status << r.responseCount << r.repliedAt
               << r.replySender << r.matchMethod << r.statusChangedAt;
}

QDataStream& operator>>(QDataStream& in, TrackedEmailRow& r) {
    return in >> r.id >> r.account >> r.messageId >> r.conversationId >> r.subject >> r.sender >>
           r.recipients >> r.sentAt >> r.status >> r.responseCount >> r.repliedAt >>
           r.replySender >> r.matchMethod >> r.statusChangedAt;
}

QDataStream& operator<<(QDataStream& out, const AnalyticsRow& r) {
    return out << r.hour << r.sent << r.replied << r.bounced << r.expired << r.replyRate
               << r.medianReply.has_value() << r.medianReply.value_or(0) << r.p90Reply.has_value()
               << r.p90Reply.value_or(0);
}

QDataStream& operator>>(QDataStream& in, AnalyticsRow& r) {
    bool hasMedian = false;
    bool hasP90 = false;
    double median = 0;
    double p90 = 0;
    in >> r.hour >> r.sent >> r.replied >> r.bounced >> r.expired >> r.replyRate >> hasMedian >>
        median >> hasP90 >> p90;
    r.medianReply = hasMedian ? std::optional<double>(median) : std::nullopt;
    r.p90Reply = hasP90 ? std::optional<double>(p90) : std::nullopt;
    return in;
}

template <typename T> QByteArray serialize(const QList<T>& rows, bool hasMore) {
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out.setVersion(QDataStream::Qt_6_4);
    out << hasMore << static_cast<qint32>(rows.size());
    for (const T& row : rows) {
        out << row;
    }
    return bytes;
}

template <typename T> std::optional<QList<T>> deserialize(const QByteArray& bytes, bool* hasMore) {
    QDataStream in(bytes);
    in.setVersion(QDataStream::Qt_6_4);
    qint32 n = 0;
    in >> *hasMore >> n;
    QList<T> rows;
    rows.reserve(std::max(0, n));
    for (qint32 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
        T row;
        in >> row;
        rows.append(row);
    }
    if (in.status() != QDataStream::Ok) {
        return std::nullopt;
    }
    return rows;
}

QString hourText(const QDateTime& t) {
    return t.toUTC().toString(u"yyyy-MM-ddTHH"_s);
}

// percentile_cont: linear interpolation between the closest ranks, as PostgreSQL computes it.
std::optional<double> percentileCont(std::vector<double>& values, double fraction) {
    if (values.empty()) {
        return std::nullopt;
    }
    std::sort(values.begin(), values.end());
    const double rank = fraction * static_cast<double>(values.size() - 1);
    const auto low = static_cast<std::size_t>(std::floor(rank));
    const auto high = static_cast<std::size_t>(std::ceil(rank));
    return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

std::optional<double> optionalDouble(const QVariant& v) {
    return v.isNull() ? std::nullopt : std::optional<double>(v.toDouble());
}

} // namespace

EmailQueryService::EmailQueryService(Database& db, QueryCache* cache, Guards guards)
    : m_db(db)
    , m_cache(cache)
    , m_guards(guards) {}

Status EmailQueryService::validate(const TrackedEmailQuery& query) {
    if (query.account.trimmed().isEmpty()) {
        return Status::failure(ErrorCode::InvalidArgument, u"account is required"_s);
    }
    if (query.limit < 1 || query.limit > 1000) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"limit must be from 1 to 1000, not %1"_s.arg(query.limit));
    }
    static const QStringList statuses = {u"active"_s, u"replied"_s, u"bounced"_s, u"expired"_s,
                                         u"stopped"_s};
    if (!query.status.isEmpty() && !statuses.contains(query.status)) {
        return Status::failure(
            ErrorCode::InvalidArgument,
            u"status '%1' is not one of %2"_s.arg(query.status, statuses.join(u", "_s)));
    }
    if (query.beforeSentAt.isValid() != (query.beforeId > 0)) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"a cursor needs both the sent time and the id"_s);
    }
    return {};
}

Result<std::optional<qint64>> EmailQueryService::accountId(const QString& address, bool cached) {
    const QString key = u"account:"_s + address;
    if (cached && m_cache) {
        if (auto hit = m_cache->get(CacheNamespace::AccountVerification, key)) {
            return std::optional<qint64>(hit->toLongLong());
        }
    }
    auto q = m_db.exec(u"SELECT id FROM accounts WHERE email_address = ?"_s, {address});
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return std::optional<qint64>{};
    }
    const qint64 id = q->value(0).toLongLong();
    if (cached && m_cache) {
        m_cache->put(CacheNamespace::AccountVerification, key, address, QByteArray::number(id));
    }
    return std::optional<qint64>(id);
}

Result<TrackedEmailPage> EmailQueryService::readPage(QSqlQuery& q, const TrackedEmailQuery& query,
                                                     const QString& path) {
    TrackedEmailPage page;
    page.path = path;
    while (q.next()) {
        TrackedEmailRow r;
        r.id = q.value(0).toLongLong();
        r.account = query.account;
        r.messageId = q.value(1).toString();
        r.conversationId = q.value(2).toString();
        r.subject = q.value(3).toString();
        r.sender = q.value(4).toString();
        r.recipients = q.value(5).toString();
        r.sentAt = TrackedEmailRepository::readTime(q.value(6));
        r.status = q.value(7).toString();
        r.responseCount = q.value(8).toInt();
        r.repliedAt = TrackedEmailRepository::readTime(q.value(9));
        r.replySender = q.value(10).toString();
        r.matchMethod = q.value(11).toString();
        r.statusChangedAt = TrackedEmailRepository::readTime(q.value(12));
        page.rows.append(r);
    }
    page.hasMore = page.rows.size() == query.limit;
    return page;
}

Result<QSqlQuery> EmailQueryService::pageQuery(qint64 accountId, const TrackedEmailQuery& query,
                                               bool rowValueCursor) {
    QString sql = u"SELECT "_s + kColumns + u" FROM tracked_emails WHERE email_account_id = ?"_s;
    QVariantList values{accountId};
    if (!query.status.isEmpty()) {
        sql += u" AND tracking_status = ?"_s;
        values << query.status;
    }
    if (query.since.isValid()) {
        sql += u" AND sent_at >= ?"_s;
        values << TrackedEmailRepository::timeValue(query.since);
    }
    if (query.beforeSentAt.isValid()) {
        // An ORM spells the cursor out; a row-value comparison is one index range.
        const QString before = TrackedEmailRepository::timeValue(query.beforeSentAt);
        sql += rowValueCursor ? u" AND (sent_at, id) < (?, ?)"_s
                              : u" AND (sent_at < ? OR (sent_at = ? AND id < ?))"_s;
        values << before;
        if (!rowValueCursor) {
            values << before;
        }
        values << query.beforeId;
    }
    sql += u" ORDER BY sent_at DESC, id DESC LIMIT ?"_s;
    values << query.limit;
    return m_db.exec(sql, values);
}

Result<TrackedEmailPage> EmailQueryService::legacyTrackedEmails(const TrackedEmailQuery& query) {
    if (const Status s = validate(query); !s) {
        return s.error();
    }
    // As an ORM would: load the account, then the emails with every filter in one statement.
    auto id = accountId(query.account, false);
    if (!id) {
        return id.error();
    }
    if (!*id) {
        return TrackedEmailPage{{}, false, u"legacy"_s};
    }
    auto q = pageQuery(**id, query, false);
    if (!q) {
        return q.error();
    }
    return readPage(q.value(), query, u"legacy"_s);
}

Result<TrackedEmailPage> EmailQueryService::optimizedTrackedEmails(const TrackedEmailQuery& query) {
    if (const Status s = validate(query); !s) {
        return s.error();
    }
    auto id = accountId(query.account, true);
    if (!id) {
        return id.error();
    }
    if (!*id) {
        return TrackedEmailPage{{}, false, u"optimized"_s};
    }
    const QString before = nullable(query.beforeSentAt);
    Result<QSqlQuery> q = Error{};
    if (m_db.dialect() == Dialect::PostgreSql) {
        q = m_db.exec(u"SELECT "_s + kColumns +
                          u" FROM get_tracked_emails_optimized(?, ?, ?, ?, ?, ?)"_s,
                      {**id, query.status.isEmpty() ? QString() : query.status,
                       nullable(query.since), query.limit, before,
                       query.beforeId > 0 ? QVariant(query.beforeId) : QVariant(QString())});
    } else {
        // SQLite has no functions: the keyset query with only the predicates given.
        q = pageQuery(**id, query, true);
    }
    if (!q) {
        return q.error();
    }
    return readPage(q.value(), query, u"optimized"_s);
}

Result<TrackedEmailPage> EmailQueryService::cachedTrackedEmails(const TrackedEmailQuery& query) {
    if (!m_cache) {
        return optimizedTrackedEmails(query);
    }
    if (const Status s = validate(query); !s) {
        return s.error();
    }
    const QString key = cacheKey(
        u"emails"_s, query.account,
        {{u"status"_s, query.status},
         {u"since"_s, nullable(query.since)},
         {u"limit"_s, QString::number(query.limit)},
         {u"before"_s, nullable(query.beforeSentAt)},
         {u"beforeId"_s, query.beforeId > 0 ? QString::number(query.beforeId) : QString()}});
    if (auto hit = m_cache->get(CacheNamespace::TrackedEmails, key)) {
        bool hasMore = false;
        if (auto rows = deserialize<TrackedEmailRow>(*hit, &hasMore)) {
            return TrackedEmailPage{*rows, hasMore, u"cached"_s};
        }
    }
    const auto ticket = m_cache->ticket(query.account);
    auto page = optimizedTrackedEmails(query);
    if (page) {
        m_cache->put(CacheNamespace::TrackedEmails, key, query.account,
                     serialize(page->rows, page->hasMore), ticket);
    }
    return page;
}

Result<TrackedEmailPage> EmailQueryService::trackedEmails(const TrackedEmailQuery& query) {
    if (const Status s = validate(query); !s) {
        return s.error();
    }
    if (!m_guards.queries) {
        return legacyTrackedEmails(query);
    }
    return m_guards.queries->run<TrackedEmailPage>(
        query.account,
        [&]() -> Result<TrackedEmailPage> {
            if (m_cache && m_guards.caching) {
                // The cache is an optimization of its own, with its own breaker: a broken cache
                // falls back to the optimized query.
                return m_guards.caching->run<TrackedEmailPage>(
                    query.account, [&] { return cachedTrackedEmails(query); },
                    [&] { return optimizedTrackedEmails(query); });
            }
            return optimizedTrackedEmails(query);
        },
        [&] { return legacyTrackedEmails(query); });
}

Result<AnalyticsResult> EmailQueryService::rawAnalytics(const AnalyticsQuery& query) {
    std::optional<qint64> account;
    if (!query.account.isEmpty()) {
        auto id = accountId(query.account, false);
        if (!id) {
            return id.error();
        }
        if (!*id) {
            return AnalyticsResult{{}, u"raw"_s};
        }
        account = *id;
    }
    // The rows of the range, aggregated here per hour the way the view does it.
    QString sql = m_db.dialect() == Dialect::PostgreSql
                      ? u"SELECT to_char(date_trunc('hour', sent_at, 'UTC') AT TIME ZONE 'UTC', "
                        u"'YYYY-MM-DD\"T\"HH24'), tracking_status, extract(epoch FROM replied_at "
                        u"- sent_at) FROM tracked_emails WHERE sent_at >= ? AND sent_at < ?"_s
                      : u"SELECT substr(sent_at, 1, 13), tracking_status, CASE WHEN replied_at "
                        u"IS NULL THEN NULL ELSE (julianday(replied_at) - julianday(sent_at)) * "
                        u"86400.0 END FROM tracked_emails WHERE sent_at >= ? AND sent_at < ?"_s;
    QDateTime fromHour = query.since.toUTC(); // whole hours, as the view has them
    fromHour.setTime(QTime(fromHour.time().hour(), 0));
    QVariantList values{TrackedEmailRepository::timeValue(fromHour),
                        TrackedEmailRepository::timeValue(query.until)};
    if (account) {
        sql += u" AND email_account_id = ?"_s;
        values << *account;
    }
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    struct Bucket {
        AnalyticsRow row;
        std::vector<double> replySeconds;
    };
    std::map<QString, Bucket> hours;
    while (q->next()) {
        Bucket& b = hours[q->value(0).toString()];
        ++b.row.sent;
        const QString status = q->value(1).toString();
        b.row.replied += status == u"replied";
        b.row.bounced += status == u"bounced";
        b.row.expired += status == u"expired";
        if (!q->value(2).isNull()) {
            b.replySeconds.push_back(q->value(2).toDouble());
        }
    }
    AnalyticsResult result{{}, u"raw"_s};
    for (auto& [hour, b] : hours) {
        b.row.hour = QDateTime::fromString(hour + u":00:00Z"_s, Qt::ISODate).toUTC();
        b.row.replyRate = static_cast<double>(b.row.replied) / static_cast<double>(b.row.sent);
        b.row.medianReply = percentileCont(b.replySeconds, 0.5);
        b.row.p90Reply = percentileCont(b.replySeconds, 0.9);
        result.rows.append(b.row);
    }
    return result;
}

Result<AnalyticsResult> EmailQueryService::materializedAnalytics(const AnalyticsQuery& query) {
    qint64 account = 0; // the view's all-accounts rows
    if (!query.account.isEmpty()) {
        auto id = accountId(query.account, true);
        if (!id) {
            return id.error();
        }
        if (!*id) {
            return AnalyticsResult{{}, u"materialized"_s};
        }
        account = **id;
    }
    const bool postgres = m_db.dialect() == Dialect::PostgreSql;
    auto q = postgres
                 ? m_db.exec(u"SELECT hour, emails_sent, emails_replied, emails_bounced, "
                             u"emails_expired, reply_rate, median_reply_seconds, "
                             u"p90_reply_seconds FROM get_tracking_analytics(?, ?, ?)"_s,
                             {account == 0 ? QVariant(QString()) : QVariant(account),
                              TrackedEmailRepository::timeValue(query.since),
                              TrackedEmailRepository::timeValue(query.until)})
                 : m_db.exec(u"SELECT hour, emails_sent, emails_replied, emails_bounced, "
                             u"emails_expired, CASE WHEN emails_sent > 0 THEN emails_replied * "
                             u"1.0 / emails_sent END, median_reply_seconds, p90_reply_seconds "
                             u"FROM tracked_emails_hourly_metrics WHERE email_account_id = ? AND "
                             u"hour >= ? AND hour < ? ORDER BY hour"_s,
                             {account, hourText(query.since) + u":00:00.000Z"_s,
                              TrackedEmailRepository::timeValue(query.until)});
    if (!q) {
        return q.error();
    }
    AnalyticsResult result{{}, u"materialized"_s};
    while (q->next()) {
        AnalyticsRow r;
        r.hour = TrackedEmailRepository::readTime(q->value(0));
        r.sent = q->value(1).toLongLong();
        r.replied = q->value(2).toLongLong();
        r.bounced = q->value(3).toLongLong();
        r.expired = q->value(4).toLongLong();
        r.replyRate = q->value(5).toDouble();
        r.medianReply = optionalDouble(q->value(6));
        r.p90Reply = optionalDouble(q->value(7));
        result.rows.append(r);
    }
    return result;
}

Result<AnalyticsResult> EmailQueryService::analytics(const AnalyticsQuery& query) {
    if (!query.since.isValid() || !query.until.isValid() || query.since >= query.until) {
        return Error{ErrorCode::InvalidArgument, u"analytics need a time range (since < until)"_s};
    }
    if (!m_materialized) {
        return rawAnalytics(query);
    }
    const bool cached =
        m_cache && m_guards.caching && m_guards.caching->wantsOptimized(query.account);
    const QString key =
        cacheKey(u"analytics"_s, query.account,
                 {{u"since"_s, nullable(query.since)}, {u"until"_s, nullable(query.until)}});
    if (cached) {
        if (auto hit = m_cache->get(CacheNamespace::Analytics, key)) {
            bool hasMore = false;
            if (auto rows = deserialize<AnalyticsRow>(*hit, &hasMore)) {
                return AnalyticsResult{*rows, u"cached"_s};
            }
        }
    }
    auto result = materializedAnalytics(query);
    if (!result) {
        return rawAnalytics(query); // the view is an optimization: its failure is not the user's
    }
    if (cached) {
        m_cache->put(CacheNamespace::Analytics, key, query.account, serialize(result->rows, false));
    }
    return result;
}

} // namespace trackwatch::core
