// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "tracking/mail_message.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QSet>
#include <QSqlQuery>
#include <QString>
#include <QStringList>

#include <optional>

namespace trackwatch::core {

class Database;

enum class MatchMethod { InReplyTo, References, Conversation };
QString matchMethodName(MatchMethod method);

// A message id within one account's mailbox.
using MailboxKey = QPair<qint64, QString>;

// A tracked email that an inbound message may answer.
struct TrackedRef {
    qint64 id = 0;
    qint64 accountId = 0;
    QString messageId;
    QString conversationId;
    QDateTime sentAt;
};

// One id that a pending (early) reply or bounce points at.
struct PendingRef {
    qint64 pendingId = 0;
    qint64 accountId = 0;
    QString kind; // "reply" or "bounce"
    QString messageId;
    QString sender;
    QDateTime receivedAt;
    QString refId;
    MatchMethod method = MatchMethod::InReplyTo;
    int rank = 0;
};

// The SQL for accounts, tracked emails, inbound and pending messages and rollups, in both
// dialects. Holds prepared statements of its Database, so it lives on that Database's thread
// and must not outlive it. Not thread-safe.
class TrackedEmailRepository {
public:
    explicit TrackedEmailRepository(Database& db);
    TrackedEmailRepository(const TrackedEmailRepository&) = delete;
    TrackedEmailRepository& operator=(const TrackedEmailRepository&) = delete;

    Database& database() { return m_db; }

    // A time as the dialect stores it (ISO-8601 UTC text with milliseconds) and back.
    static QString timeValue(const QDateTime& t);
    static QDateTime readTime(const QVariant& v);

    Result<std::optional<qint64>> findAccount(const QString& address);
    // Finds or creates the account (concurrent creators agree on one row).
    Result<qint64> ensureAccount(const QString& address, const QString& displayName = {});

    Result<bool> trackedExists(qint64 accountId, const QString& messageId);

    // Inserts the messages (account id, message) as active tracked emails in one statement,
    // skipping those their account already tracks. Returns (account, message id) -> row id of
    // the rows inserted. When `awaited` is given, it receives the inserted messages that a
    // pending reply or bounce points at (on PostgreSQL found by the same statement), or
    // nullopt when it was not looked up.
    Result<QHash<MailboxKey, qint64>>
    insertSent(const QList<QPair<qint64, const MailMessage*>>& messages, const QDateTime& now,
               std::optional<QSet<MailboxKey>>* awaited = nullptr);

    // Tracked emails with these message ids in these accounts' mailboxes.
    Result<QHash<MailboxKey, TrackedRef>> findByMessageIds(const QList<qint64>& accounts,
                                                           const QStringList& ids);

    // Tracked emails in these conversations in these accounts' mailboxes, newest first.
    Result<QList<TrackedRef>> findByConversations(const QList<qint64>& accounts,
                                                  const QStringList& ids);

    // Records inbound (account, message id) pairs; returns those not seen before.
    Result<QSet<MailboxKey>> recordInbound(const QList<MailboxKey>& messages);

    // An inbound reply reached tracked email `id`: the first one turns an active email into
    // replied with the reply's fields; every one adds to response_count. False when the id
    // does not exist.
    Result<bool> applyReply(qint64 id, const MailMessage& reply, MatchMethod method,
                            const QDateTime& now);
    // A delivery failure for tracked email `id`: active becomes bounced.
    Result<bool> applyBounce(qint64 id, const QDateTime& now);

    // Keeps a reply or bounce whose parent has not landed yet, with the ids it points at.
    Status addPending(qint64 accountId, const QString& kind, const MailMessage& message,
                      const QList<QPair<QString, QPair<MatchMethod, int>>>& refs,
                      const QDateTime& now);
    // Tracked emails that a pending reply or bounce points at: normally resolved when they
    // land, but two engines committing parent and reply at the same moment each miss the
    // other's row.
    Result<QList<QPair<qint64, MailMessage>>> awaitedTracked();
    Result<QList<PendingRef>> pendingFor(const QList<qint64>& accounts, const QStringList& refIds);
    Status deletePending(const QList<qint64>& pendingIds);

    // Active emails sent before cutoff become expired; pending messages received before it are
    // dropped. Returns the number of emails expired.
    Result<qint64> expire(const QDateTime& cutoff, const QDateTime& now);

    // Brings tracked_emails_hourly_metrics up to date: REFRESH MATERIALIZED VIEW CONCURRENTLY
    // through refresh_analytics_views() on PostgreSQL; on SQLite, recomputes the hours whose
    // rows changed since the last refresh.
    Status refreshAnalytics(const QDateTime& now);

    // Who keeps the rollup fresh: "pg_cron" when the extension is installed in this database
    // (the job 'refresh-analytics-views' is created or updated to run every 10 minutes), else
    // "engine" (the caller refreshes on its own timer).
    Result<QString> scheduleAnalyticsRefresh();

    // Number of tracked emails per status (all accounts).
    Result<QHash<QString, qint64>> statusCounts();

private:
    Status refreshSqliteRollup(const QDateTime& now);
    Result<QSqlQuery*> prepared(std::optional<QSqlQuery>& slot, const QString& sql);

    Database& m_db;
    std::optional<QSqlQuery> m_applyReply;
    std::optional<QSqlQuery> m_applyBounce;
    std::optional<QSqlQuery> m_findAccount;
    int m_preparedIn = 0; // the Database::session() the statements above were prepared in
};

} // namespace trackwatch::core
