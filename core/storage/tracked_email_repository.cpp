// SPDX-License-Identifier: MIT
#include "storage/tracked_email_repository.h"

#include "storage/database.h"
#include "tracking/mail_parser.h"

#include <QMap>
#include <QSet>

#include <algorithm>
#include <array>
#include <cmath>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

QString placeholders(qsizetype n) {
    QString s;
    s.reserve(n * 3);
    for (qsizetype i = 0; i < n; ++i) {
        s += i == 0 ? u"?"_s : u", ?"_s;
    }
    return s;
}

MatchMethod methodFromName(const QString& name) {
    if (name == u"references") {
        return MatchMethod::References;
    }
    if (name == u"conversation") {
        return MatchMethod::Conversation;
    }
    return MatchMethod::InReplyTo;
}

// percentile_cont over sorted values.
double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const double pos = p * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const auto hi = static_cast<size_t>(std::ceil(pos));
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// A PostgreSQL array literal ("{...}") of text values; empty ones become NULL when asked.
QString arrayLiteral(const QStringList& items, bool emptyIsNull) {
    QString out = u"{"_s;
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += u',';
        }
        const QString& v = items[i];
        if (emptyIsNull && v.isEmpty()) {
            out += u"NULL"_s;
            continue;
        }
        out += u'"';
        for (const QChar c : v) {
            if (c == u'"' || c == u'\\') {
                out += u'\\';
            }
            out += c;
        }
        out += u'"';
    }
    out += u'}';
    return out;
}

// The values of "email_account_id IN (...) AND <id column> IN (...)", in that order.
QVariantList accountsThenIds(const QList<qint64>& accounts, const QStringList& ids) {
    QVariantList values;
    values.reserve(accounts.size() + ids.size());
    for (qint64 a : accounts) {
        values << a;
    }
    for (const QString& id : ids) {
        values << id;
    }
    return values;
}

} // namespace

QString matchMethodName(MatchMethod method) {
    switch (method) {
    case MatchMethod::InReplyTo:
        return u"in_reply_to"_s;
    case MatchMethod::References:
        return u"references"_s;
    case MatchMethod::Conversation:
        return u"conversation"_s;
    }
    return {};
}

TrackedEmailRepository::TrackedEmailRepository(Database& db)
    : m_db(db) {}

QString TrackedEmailRepository::timeValue(const QDateTime& t) {
    return t.toUTC().toString(u"yyyy-MM-ddTHH:mm:ss.zzz'Z'"_s);
}

QDateTime TrackedEmailRepository::readTime(const QVariant& v) {
    if (v.isNull()) {
        return {};
    }
    if (v.typeId() == QMetaType::QDateTime) {
        return v.toDateTime().toUTC();
    }
    // Stored times are UTC; one written without a zone is read as UTC, not local time.
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    if (t.timeSpec() == Qt::LocalTime) {
        t.setTimeSpec(Qt::UTC);
    }
    return t.toUTC();
}

Result<QSqlQuery*> TrackedEmailRepository::prepared(std::optional<QSqlQuery>& slot,
                                                    const QString& sql) {
    if (m_preparedIn != m_db.session()) { // prepared in a session that is gone
        m_applyReply.reset();
        m_applyBounce.reset();
        m_findAccount.reset();
        m_preparedIn = m_db.session();
    }
    if (!slot) {
        QSqlQuery q(m_db.handle());
        if (!q.prepare(sql)) {
            return sqlError(q, sql.left(60));
        }
        slot = std::move(q);
    }
    return &*slot;
}

Result<std::optional<qint64>> TrackedEmailRepository::findAccount(const QString& address) {
    auto q = prepared(m_findAccount, u"SELECT id FROM accounts WHERE email_address = ?"_s);
    if (!q) {
        return q.error();
    }
    QSqlQuery& query = **q;
    query.bindValue(0, address);
    if (!query.exec()) {
        return sqlError(query, u"find account"_s);
    }
    std::optional<qint64> id;
    if (query.next()) {
        id = query.value(0).toLongLong();
    }
    query.finish();
    return id;
}

Result<qint64> TrackedEmailRepository::ensureAccount(const QString& address,
                                                     const QString& displayName) {
    auto found = findAccount(address);
    if (!found) {
        return found.error();
    }
    if (found->has_value()) {
        return found->value();
    }
    const QString sql =
        m_db.dialect() == Dialect::Sqlite
            ? u"INSERT INTO accounts (email_address, display_name, created_at) "
              u"VALUES (?, COALESCE(?, ''), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
              u"ON CONFLICT (email_address) DO NOTHING"_s
            : u"INSERT INTO accounts (email_address, display_name) VALUES (?, COALESCE(?, '')) "
              u"ON CONFLICT (email_address) DO NOTHING"_s;
    if (auto r = m_db.exec(sql, {address, displayName}); !r) {
        return r.error();
    }
    found = findAccount(address);
    if (!found) {
        return found.error();
    }
    if (!found->has_value()) {
        return Error{ErrorCode::DatabaseError, u"account %1 vanished after insert"_s.arg(address)};
    }
    return found->value();
}

Result<bool> TrackedEmailRepository::trackedExists(qint64 accountId, const QString& messageId) {
    auto q = m_db.exec(u"SELECT 1 FROM tracked_emails WHERE email_account_id = ? AND "
                       u"internet_message_id = ?"_s,
                       {accountId, messageId});
    if (!q) {
        return q.error();
    }
    return q->next();
}

Result<QHash<MailboxKey, qint64>>
TrackedEmailRepository::insertSent(const QList<QPair<qint64, const MailMessage*>>& messages,
                                   const QDateTime& now, std::optional<QSet<MailboxKey>>* awaited) {
    if (awaited) {
        awaited->reset();
    }
    QHash<MailboxKey, qint64> inserted;
    if (messages.isEmpty()) {
        return inserted;
    }
    // One column of values per table column; the same message id twice in one statement would
    // make ON CONFLICT raise, so later copies are left out.
    constexpr int kColumns = 10;
    std::array<QStringList, kColumns> columns;
    QSet<MailboxKey> seen;
    for (const auto& [accountId, m] : messages) {
        if (const MailboxKey key{accountId, m->messageId}; !seen.contains(key)) {
            seen.insert(key);
        } else {
            continue;
        }
        const QString fields[kColumns] = {
            QString::number(accountId),
            m->messageId,
            m->conversationId,
            m->inReplyTo.join(u' '),
            m->references.join(u' '),
            m->subject.isNull() ? u""_s : m->subject,
            MailParser::normalizeSubject(m->subject),
            m->sender.isNull() ? u""_s : m->sender,
            m->recipients.join(u", "),
            timeValue(m->sentAt.isValid() ? m->sentAt : now),
        };
        for (int c = 0; c < kColumns; ++c) {
            columns[c] << fields[c];
        }
    }
    const QString nowText = timeValue(now);
    QString sql;
    QVariantList values;
    if (m_db.dialect() == Dialect::PostgreSql) {
        // Twelve array parameters instead of twelve values per row: PostgreSQL parses and
        // plans one small statement whatever the batch size.
        const char* types[kColumns] = {"bigint", "text", "text", "text", "text",
                                       "text",   "text", "text", "text", "timestamptz"};
        QStringList unnest;
        values << nowText << nowText; // the two scalars come first in the statement
        for (int c = 0; c < kColumns; ++c) {
            unnest << u"?::%1[]"_s.arg(QLatin1String(types[c]));
            values << arrayLiteral(columns[c], c == 2 || c == 3 || c == 4);
        }
        // The same round trip says which new rows a pending reply or bounce waits for.
        sql = u"WITH ins AS (INSERT INTO tracked_emails (email_account_id, internet_message_id, "
              u"conversation_id, in_reply_to, references_ids, subject, subject_normalized, "
              u"sender, recipients, sent_at, created_at, updated_at) "
              u"SELECT u.*, ?::timestamptz, ?::timestamptz FROM unnest("_s +
              unnest.join(u", "_s) +
              u") AS u ON CONFLICT (email_account_id, internet_message_id) DO NOTHING "
              u"RETURNING id, email_account_id, internet_message_id, conversation_id) "
              u"SELECT ins.id, ins.email_account_id, ins.internet_message_id, EXISTS (SELECT 1 "
              u"FROM pending_reply_refs r WHERE r.email_account_id = ins.email_account_id AND "
              u"r.ref_id IN (ins.internet_message_id, 'conv:' || ins.conversation_id)) FROM ins"_s;
    } else {
        QStringList rows;
        for (qsizetype r = 0; r < columns[0].size(); ++r) {
            // A null QString is NULL: the NOT NULL text columns fall back to ''.
            rows << u"(?, ?, ?, ?, ?, COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), "
                    u"COALESCE(?, ''), ?, ?, ?)"_s;
            for (int c = 0; c < kColumns; ++c) {
                const QString& v = columns[c][r];
                // Empty optional ids are stored as NULL.
                values << ((c >= 2 && c <= 4 && v.isEmpty()) ? QVariant() : QVariant(v));
            }
            values << nowText << nowText;
        }
        sql = u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
              u"conversation_id, in_reply_to, references_ids, subject, subject_normalized, "
              u"sender, recipients, sent_at, created_at, updated_at) VALUES "_s +
              rows.join(u", "_s) +
              u" ON CONFLICT (email_account_id, internet_message_id) DO NOTHING "
              u"RETURNING id, email_account_id, internet_message_id"_s;
    }
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    const bool postgres = m_db.dialect() == Dialect::PostgreSql;
    if (awaited && postgres) {
        awaited->emplace();
    }
    while (q->next()) {
        const MailboxKey key{q->value(1).toLongLong(), q->value(2).toString()};
        inserted.insert(key, q->value(0).toLongLong());
        if (awaited && postgres && q->value(3).toBool()) {
            (*awaited)->insert(key);
        }
    }
    return inserted;
}

Result<QHash<MailboxKey, TrackedRef>>
TrackedEmailRepository::findByMessageIds(const QList<qint64>& accounts, const QStringList& ids) {
    QHash<MailboxKey, TrackedRef> found;
    if (ids.isEmpty() || accounts.isEmpty()) {
        return found;
    }
    const QVariantList values = accountsThenIds(accounts, ids);
    auto q = m_db.exec(u"SELECT id, email_account_id, internet_message_id, conversation_id, "
                       u"sent_at FROM tracked_emails WHERE email_account_id IN ("_s +
                           placeholders(accounts.size()) + u") AND internet_message_id IN ("_s +
                           placeholders(ids.size()) + u")"_s,
                       values);
    if (!q) {
        return q.error();
    }
    while (q->next()) {
        TrackedRef ref{q->value(0).toLongLong(), q->value(1).toLongLong(), q->value(2).toString(),
                       q->value(3).toString(), readTime(q->value(4))};
        found.insert({ref.accountId, ref.messageId}, ref);
    }
    return found;
}

Result<QList<TrackedRef>> TrackedEmailRepository::findByConversations(const QList<qint64>& accounts,
                                                                      const QStringList& ids) {
    QList<TrackedRef> found;
    if (ids.isEmpty() || accounts.isEmpty()) {
        return found;
    }
    const QVariantList values = accountsThenIds(accounts, ids);
    auto q = m_db.exec(u"SELECT id, email_account_id, internet_message_id, conversation_id, "
                       u"sent_at FROM tracked_emails WHERE email_account_id IN ("_s +
                           placeholders(accounts.size()) + u") AND conversation_id IN ("_s +
                           placeholders(ids.size()) + u") ORDER BY sent_at DESC, id DESC"_s,
                       values);
    if (!q) {
        return q.error();
    }
    while (q->next()) {
        found.append({q->value(0).toLongLong(), q->value(1).toLongLong(), q->value(2).toString(),
                      q->value(3).toString(), readTime(q->value(4))});
    }
    return found;
}

Result<QSet<MailboxKey>> TrackedEmailRepository::recordInbound(const QList<MailboxKey>& messages) {
    QSet<MailboxKey> fresh;
    if (messages.isEmpty()) {
        return fresh;
    }
    QVariantList values;
    QStringList rows;
    QSet<MailboxKey> seen;
    for (const MailboxKey& key : messages) {
        if (seen.contains(key)) {
            continue;
        }
        seen.insert(key);
        rows << u"(?, ?)"_s;
        values << key.first << key.second;
    }
    auto q = m_db.exec(u"INSERT INTO inbound_messages (email_account_id, message_id) VALUES "_s +
                           rows.join(u", "_s) +
                           u" ON CONFLICT (email_account_id, message_id) DO NOTHING "
                           u"RETURNING email_account_id, message_id"_s,
                       values);
    if (!q) {
        return q.error();
    }
    while (q->next()) {
        fresh.insert({q->value(0).toLongLong(), q->value(1).toString()});
    }
    return fresh;
}

Result<bool> TrackedEmailRepository::applyReply(qint64 id, const MailMessage& reply,
                                                MatchMethod method, const QDateTime& now) {
    auto q = prepared(
        m_applyReply,
        u"UPDATE tracked_emails SET "
        u"reply_message_id = CASE WHEN tracking_status = 'active' THEN ? ELSE reply_message_id "
        u"END, "
        u"replied_at = CASE WHEN tracking_status = 'active' THEN ? ELSE replied_at END, "
        u"reply_sender = CASE WHEN tracking_status = 'active' THEN ? ELSE reply_sender END, "
        u"match_method = CASE WHEN tracking_status = 'active' THEN ? ELSE match_method END, "
        u"status_changed_at = CASE WHEN tracking_status = 'active' THEN ? "
        u"ELSE status_changed_at END, "
        u"tracking_status = CASE WHEN tracking_status = 'active' THEN 'replied' "
        u"ELSE tracking_status END, "
        u"response_count = response_count + 1, updated_at = ? WHERE id = ?"_s);
    if (!q) {
        return q.error();
    }
    QSqlQuery& query = **q;
    const QString nowText = timeValue(now);
    query.bindValue(0, reply.messageId);
    query.bindValue(1, timeValue(reply.sentAt.isValid() ? reply.sentAt : now));
    query.bindValue(2, reply.sender);
    query.bindValue(3, matchMethodName(method));
    query.bindValue(4, nowText);
    query.bindValue(5, nowText);
    query.bindValue(6, id);
    if (!query.exec()) {
        return sqlError(query, u"apply reply"_s);
    }
    const bool changed = query.numRowsAffected() > 0;
    query.finish();
    return changed;
}

Result<bool> TrackedEmailRepository::applyBounce(qint64 id, const QDateTime& now) {
    auto q = prepared(m_applyBounce, u"UPDATE tracked_emails SET tracking_status = 'bounced', "
                                     u"status_changed_at = ?, updated_at = ? "
                                     u"WHERE id = ? AND tracking_status = 'active'"_s);
    if (!q) {
        return q.error();
    }
    QSqlQuery& query = **q;
    const QString nowText = timeValue(now);
    query.bindValue(0, nowText);
    query.bindValue(1, nowText);
    query.bindValue(2, id);
    if (!query.exec()) {
        return sqlError(query, u"apply bounce"_s);
    }
    const bool changed = query.numRowsAffected() > 0;
    query.finish();
    return changed;
}

Status TrackedEmailRepository::addPending(
    qint64 accountId, const QString& kind, const MailMessage& message,
    const QList<QPair<QString, QPair<MatchMethod, int>>>& refs, const QDateTime& now) {
    auto q =
        m_db.exec(u"INSERT INTO pending_replies (email_account_id, message_id, kind, sender, "
                  u"received_at, created_at) VALUES (?, ?, ?, COALESCE(?, ''), ?, ?) "
                  u"ON CONFLICT (email_account_id, message_id, kind) DO NOTHING RETURNING id"_s,
                  {accountId, message.messageId, kind, message.sender,
                   timeValue(message.sentAt.isValid() ? message.sentAt : now), timeValue(now)});
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return {}; // already pending
    }
    const qint64 pendingId = q->value(0).toLongLong();
    if (refs.isEmpty()) {
        return {};
    }
    QStringList rows;
    QVariantList values;
    QSet<QPair<QString, int>> seen;
    for (const auto& [refId, how] : refs) {
        const auto key = qMakePair(refId, static_cast<int>(how.first));
        if (seen.contains(key)) {
            continue;
        }
        seen.insert(key);
        rows << u"(?, ?, ?, ?, ?)"_s;
        values << pendingId << accountId << refId << matchMethodName(how.first) << how.second;
    }
    return Status::from(
        m_db.exec(u"INSERT INTO pending_reply_refs (pending_id, email_account_id, ref_id, method, "
                  u"rank) VALUES "_s +
                      rows.join(u", "_s),
                  values));
}

Result<QList<PendingRef>> TrackedEmailRepository::pendingFor(const QList<qint64>& accounts,
                                                             const QStringList& refIds) {
    QList<PendingRef> found;
    if (refIds.isEmpty() || accounts.isEmpty()) {
        return found;
    }
    const QVariantList values = accountsThenIds(accounts, refIds);
    auto q = m_db.exec(u"SELECT p.id, p.email_account_id, p.kind, p.message_id, p.sender, "
                       u"p.received_at, r.ref_id, r.method, r.rank "
                       u"FROM pending_reply_refs r JOIN pending_replies p ON p.id = r.pending_id "
                       u"WHERE r.email_account_id IN ("_s +
                           placeholders(accounts.size()) + u") AND r.ref_id IN ("_s +
                           placeholders(refIds.size()) + u") ORDER BY p.id, r.rank"_s,
                       values);
    if (!q) {
        return q.error();
    }
    while (q->next()) {
        found.append({q->value(0).toLongLong(), q->value(1).toLongLong(), q->value(2).toString(),
                      q->value(3).toString(), q->value(4).toString(), readTime(q->value(5)),
                      q->value(6).toString(), methodFromName(q->value(7).toString()),
                      q->value(8).toInt()});
    }
    return found;
}

Result<QList<QPair<qint64, MailMessage>>> TrackedEmailRepository::awaitedTracked() {
    auto q = m_db.exec(
        u"SELECT DISTINCT t.email_account_id, t.internet_message_id, t.conversation_id, t.sent_at "
        u"FROM pending_reply_refs r JOIN tracked_emails t "
        u"ON t.email_account_id = r.email_account_id AND t.internet_message_id = r.ref_id "
        u"UNION SELECT DISTINCT t.email_account_id, t.internet_message_id, t.conversation_id, "
        u"t.sent_at FROM pending_reply_refs r JOIN tracked_emails t "
        u"ON t.email_account_id = r.email_account_id AND r.method = 'conversation' AND "
        u"r.ref_id = 'conv:' || t.conversation_id"_s);
    if (!q) {
        return q.error();
    }
    QList<QPair<qint64, MailMessage>> found;
    while (q->next()) {
        MailMessage m;
        m.messageId = q->value(1).toString();
        m.conversationId = q->value(2).toString();
        m.sentAt = readTime(q->value(3));
        found.append({q->value(0).toLongLong(), m});
    }
    return found;
}

Status TrackedEmailRepository::deletePending(const QList<qint64>& pendingIds) {
    if (pendingIds.isEmpty()) {
        return {};
    }
    QVariantList values;
    for (qint64 id : pendingIds) {
        values << id;
    }
    // Their pending_reply_refs rows go with them (ON DELETE CASCADE).
    return Status::from(m_db.exec(u"DELETE FROM pending_replies WHERE id IN ("_s +
                                      placeholders(pendingIds.size()) + u")"_s,
                                  values));
}

Result<qint64> TrackedEmailRepository::expire(const QDateTime& cutoff, const QDateTime& now) {
    qint64 expired = 0;
    const Status s = m_db.transaction([&]() -> Status {
        const QString nowText = timeValue(now);
        auto q = m_db.exec(u"UPDATE tracked_emails SET tracking_status = 'expired', "
                           u"status_changed_at = ?, updated_at = ? "
                           u"WHERE tracking_status = 'active' AND sent_at < ?"_s,
                           {nowText, nowText, timeValue(cutoff)});
        if (!q) {
            return q.error();
        }
        expired = q->numRowsAffected();
        // Their pending_reply_refs rows go with them (ON DELETE CASCADE).
        return Status::from(
            m_db.exec(u"DELETE FROM pending_replies WHERE received_at < ?"_s, {timeValue(cutoff)}));
    });
    if (!s) {
        return s.error();
    }
    return expired;
}

Status TrackedEmailRepository::refreshAnalytics(const QDateTime& now) {
    if (m_db.dialect() == Dialect::PostgreSql) {
        return Status::from(m_db.exec(u"SELECT refresh_analytics_views()"_s));
    }
    return refreshSqliteRollup(now);
}

Status TrackedEmailRepository::refreshSqliteRollup(const QDateTime& now) {
    return m_db.transaction([&]() -> Status {
        auto mark =
            m_db.exec(u"SELECT value FROM engine_state WHERE key = 'analytics_refreshed_at'"_s);
        if (!mark) {
            return mark.error();
        }
        const QString since = mark->next() ? mark->value(0).toString() : QString();
        mark->finish();
        auto hours =
            since.isEmpty()
                ? m_db.exec(u"SELECT DISTINCT substr(sent_at, 1, 13) FROM tracked_emails"_s)
                // Writers stamp updated_at before they commit: look five minutes further
                // back, so a row committed just after the last refresh is not missed.
                : m_db.exec(u"SELECT DISTINCT substr(sent_at, 1, 13) FROM tracked_emails "
                            u"WHERE updated_at >= ?"_s,
                            {timeValue(readTime(since).addSecs(-300))});
        if (!hours) {
            return hours.error();
        }
        QStringList changed;
        while (hours->next()) {
            changed << hours->value(0).toString();
        }
        hours->finish();
        for (const QString& hour : changed) {
            const QString start = hour + u":00:00.000Z"_s;
            const QString end =
                timeValue(QDateTime::fromString(start, Qt::ISODateWithMs).addSecs(3600));
            auto rows = m_db.exec(u"SELECT email_account_id, tracking_status, sent_at, replied_at "
                                  u"FROM tracked_emails WHERE sent_at >= ? AND sent_at < ?"_s,
                                  {start, end});
            if (!rows) {
                return rows.error();
            }
            struct Bucket {
                qint64 sent = 0, replied = 0, bounced = 0, expired = 0;
                std::vector<double> replySeconds;
            };
            QMap<qint64, Bucket> buckets;
            while (rows->next()) {
                const qint64 account = rows->value(0).toLongLong();
                const QString status = rows->value(1).toString();
                const QDateTime sent = readTime(rows->value(2));
                const QDateTime replied = readTime(rows->value(3));
                for (qint64 key : {account, qint64(0)}) {
                    Bucket& b = buckets[key];
                    ++b.sent;
                    b.replied += status == u"replied";
                    b.bounced += status == u"bounced";
                    b.expired += status == u"expired";
                    if (replied.isValid()) {
                        b.replySeconds.push_back(static_cast<double>(sent.msecsTo(replied)) /
                                                 1000.0);
                    }
                }
            }
            rows->finish();
            if (auto r = m_db.exec(u"DELETE FROM tracked_emails_hourly_metrics WHERE hour = ?"_s,
                                   {start});
                !r) {
                return r.error();
            }
            for (auto it = buckets.begin(); it != buckets.end(); ++it) {
                Bucket& b = it.value();
                std::sort(b.replySeconds.begin(), b.replySeconds.end());
                const bool any = !b.replySeconds.empty();
                const QVariant none{QMetaType(QMetaType::Double)};
                if (auto r = m_db.exec(
                        u"INSERT INTO tracked_emails_hourly_metrics (email_account_id, hour, "
                        u"emails_sent, emails_replied, emails_bounced, emails_expired, "
                        u"median_reply_seconds, p90_reply_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s,
                        {it.key(), start, b.sent, b.replied, b.bounced, b.expired,
                         any ? QVariant(percentile(b.replySeconds, 0.5)) : none,
                         any ? QVariant(percentile(b.replySeconds, 0.9)) : none});
                    !r) {
                    return r.error();
                }
            }
        }
        return Status::from(m_db.exec(u"INSERT INTO engine_state (key, value) VALUES "
                                      u"('analytics_refreshed_at', ?) ON CONFLICT (key) DO UPDATE "
                                      u"SET value = excluded.value"_s,
                                      {timeValue(now)}));
    });
}

Result<QString> TrackedEmailRepository::scheduleAnalyticsRefresh() {
    if (m_db.dialect() != Dialect::PostgreSql) {
        return u"engine"_s;
    }
    auto has = m_db.exec(u"SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'"_s);
    if (!has) {
        return has.error();
    }
    if (!has->next()) {
        return u"engine"_s;
    }
    auto scheduled = m_db.exec(u"SELECT cron.schedule('refresh-analytics-views', '*/10 * * * *', "
                               u"'SELECT refresh_analytics_views();')"_s);
    if (!scheduled) {
        return scheduled.error();
    }
    return u"pg_cron"_s;
}

Result<QHash<QString, qint64>> TrackedEmailRepository::statusCounts() {
    auto q = m_db.exec(
        u"SELECT tracking_status, count(*) FROM tracked_emails GROUP BY tracking_status"_s);
    if (!q) {
        return q.error();
    }
    QHash<QString, qint64> counts;
    while (q->next()) {
        counts.insert(q->value(0).toString(), q->value(1).toLongLong());
    }
    return counts;
}

} // namespace trackwatch::core
