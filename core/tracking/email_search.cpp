// SPDX-License-Identifier: MIT
#include "tracking/email_search.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QRegularExpression>

#include <algorithm>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// A LIKE pattern matching `text` anywhere, with the wildcards in it taken literally
// (backslash escapes: PostgreSQL's default escape, SQLite's by ESCAPE).
QString containsPattern(const QString& text) {
    QString escaped;
    escaped.reserve(text.size() + 4);
    for (const QChar c : text) {
        if (c == u'\\' || c == u'%' || c == u'_') {
            escaped += u'\\';
        }
        escaped += c;
    }
    return u'%' + escaped + u'%';
}

QString likeClause(Dialect dialect, const QString& column) {
    // ILIKE is what the trigram index answers; SQLite's LIKE ignores ASCII case already.
    return dialect == Dialect::PostgreSql ? u" AND %1 ILIKE ?"_s.arg(column)
                                          : u" AND %1 LIKE ? ESCAPE '\\'"_s.arg(column);
}

QStringList words(const QString& text) {
    static const QRegularExpression space(u"\\s+"_s);
    return text.split(space, Qt::SkipEmptyParts);
}

QStringList idList(const QString& text) {
    return words(text);
}

} // namespace

EmailSearch::EmailSearch(Database& db)
    : m_db(db) {}

const QStringList& EmailSearch::statuses() {
    static const QStringList list = {u"active"_s, u"replied"_s, u"bounced"_s, u"expired"_s,
                                     u"stopped"_s};
    return list;
}

Status EmailSearch::validate(const EmailSearchFilter& filter, int limit) {
    if (limit < 1 || limit > kMaxPageSize) {
        return Status::failure(
            ErrorCode::InvalidArgument,
            u"page size must be from 1 to %1, not %2"_s.arg(kMaxPageSize).arg(limit));
    }
    if (!filter.status.isEmpty() && !statuses().contains(filter.status)) {
        return Status::failure(
            ErrorCode::InvalidArgument,
            u"status '%1' is not one of %2"_s.arg(filter.status, statuses().join(u", "_s)));
    }
    if (filter.from.isValid() && filter.until.isValid() && filter.from >= filter.until) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"the date range is empty: from must be before until"_s);
    }
    return {};
}

Result<EmailSearchPage> EmailSearch::page(const EmailSearchFilter& filter,
                                          const std::optional<EmailSearchCursor>& after,
                                          int limit) {
    if (const Status s = validate(filter, limit); !s) {
        return s.error();
    }
    const Dialect dialect = m_db.dialect();
    const bool postgres = dialect == Dialect::PostgreSql;
    QString where = u"WHERE TRUE"_s;
    QVariantList values;

    const QString account = filter.account.trimmed();
    if (!account.isEmpty()) {
        // Looked up first, so the page query plans against one account id (a constant).
        auto q = m_db.exec(
            u"SELECT id FROM accounts WHERE lower(email_address) = lower(?) ORDER BY id"_s,
            {account});
        if (!q) {
            return q.error();
        }
        QStringList ids;
        while (q->next()) {
            ids << QString::number(q->value(0).toLongLong());
        }
        if (ids.isEmpty()) {
            return EmailSearchPage{};
        }
        where += ids.size() == 1 ? u" AND t.email_account_id = "_s + ids.first()
                                 : u" AND t.email_account_id IN ("_s + ids.join(u',') + u')';
    }
    if (const QString recipient = filter.recipient.trimmed(); !recipient.isEmpty()) {
        where += likeClause(dialect, u"t.recipients"_s);
        values << containsPattern(recipient);
    }
    if (const QString sender = filter.sender.trimmed(); !sender.isEmpty()) {
        where += likeClause(dialect, u"t.sender"_s);
        values << containsPattern(sender);
    }
    for (const QString& word : words(filter.subject)) {
        where += likeClause(dialect, u"t.subject"_s);
        values << containsPattern(word);
    }
    if (!filter.status.isEmpty()) {
        where += u" AND t.tracking_status = ?"_s;
        values << filter.status;
    }
    if (filter.from.isValid()) {
        where += u" AND t.sent_at >= ?"_s;
        values << TrackedEmailRepository::timeValue(filter.from);
    }
    if (filter.until.isValid()) {
        where += u" AND t.sent_at < ?"_s;
        values << TrackedEmailRepository::timeValue(filter.until);
    }
    if (after) {
        // One range of the (…, sent_at DESC, id DESC) indexes.
        where += u" AND (t.sent_at, t.id) < (?, ?)"_s;
        values << after->sentAt << after->id;
    }
    // The exact stored time for the cursor: PostgreSQL's text form keeps the microseconds.
    const QString sentKey = postgres ? u"CAST(t.sent_at AS text)"_s : u"t.sent_at"_s;
    const QString sql =
        u"SELECT t.id, a.email_address, t.internet_message_id, t.subject, t.sender, "
        u"t.recipients, t.sent_at, t.tracking_status, t.response_count, t.replied_at, "
        u"t.match_method, t.status_changed_at, "_s +
        sentKey + u" FROM tracked_emails t JOIN accounts a ON a.id = t.email_account_id "_s +
        where + u" ORDER BY t.sent_at DESC, t.id DESC LIMIT ?"_s;
    values << limit + 1; // one more than asked: whether a next page exists
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    EmailSearchPage result;
    QString lastKey;
    while (q->next()) {
        if (result.rows.size() == limit) {
            const EmailSearchRow& last = result.rows.constLast();
            result.next = EmailSearchCursor{lastKey, last.id};
            break;
        }
        EmailSearchRow r;
        r.id = q->value(0).toLongLong();
        r.account = q->value(1).toString();
        r.messageId = q->value(2).toString();
        r.subject = q->value(3).toString();
        r.sender = q->value(4).toString();
        r.recipients = q->value(5).toString();
        r.sentAt = TrackedEmailRepository::readTime(q->value(6));
        r.status = q->value(7).toString();
        r.responseCount = q->value(8).toInt();
        r.repliedAt = TrackedEmailRepository::readTime(q->value(9));
        r.matchMethod = q->value(10).toString();
        r.statusChangedAt = TrackedEmailRepository::readTime(q->value(11));
        lastKey = q->value(12).toString();
        result.rows.append(r);
    }
    return result;
}

Result<EmailDetail> EmailSearch::detail(qint64 id) {
    auto q = m_db.exec(
        u"SELECT t.id, a.email_address, t.internet_message_id, t.subject, t.sender, "
        u"t.recipients, t.sent_at, t.tracking_status, t.response_count, t.replied_at, "
        u"t.match_method, t.status_changed_at, t.conversation_id, t.in_reply_to, "
        u"t.references_ids, t.reply_message_id, t.reply_sender "
        u"FROM tracked_emails t JOIN accounts a ON a.id = t.email_account_id WHERE t.id = ?"_s,
        {id});
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return Error{ErrorCode::NotFound, u"no tracked email with id %1"_s.arg(id)};
    }
    EmailDetail d;
    EmailSearchRow& r = d.email;
    r.id = q->value(0).toLongLong();
    r.account = q->value(1).toString();
    r.messageId = q->value(2).toString();
    r.subject = q->value(3).toString();
    r.sender = q->value(4).toString();
    r.recipients = q->value(5).toString();
    r.sentAt = TrackedEmailRepository::readTime(q->value(6));
    r.status = q->value(7).toString();
    r.responseCount = q->value(8).toInt();
    r.repliedAt = TrackedEmailRepository::readTime(q->value(9));
    r.matchMethod = q->value(10).toString();
    r.statusChangedAt = TrackedEmailRepository::readTime(q->value(11));
    d.conversationId = q->value(12).toString();
    d.inReplyTo = idList(q->value(13).toString());
    d.references = idList(q->value(14).toString());
    d.replyMessageId = q->value(15).toString();
    d.replySender = q->value(16).toString();

    d.timeline.append({TimelineEventKind::Sent, r.sentAt, r.sender, r.messageId, {}});
    if (r.repliedAt.isValid()) {
        d.timeline.append({TimelineEventKind::Replied, r.repliedAt, d.replySender, d.replyMessageId,
                           r.matchMethod});
    }
    // The end of tracking other than a reply, at the time the status changed.
    const QDateTime ended = r.statusChangedAt.isValid() ? r.statusChangedAt : r.sentAt;
    if (r.status == u"bounced") {
        d.timeline.append({TimelineEventKind::Bounced, ended, {}, {}, {}});
    } else if (r.status == u"expired") {
        d.timeline.append({TimelineEventKind::Expired, ended, {}, {}, {}});
    } else if (r.status == u"stopped") {
        d.timeline.append({TimelineEventKind::Stopped, ended, {}, {}, {}});
    }
    std::stable_sort(d.timeline.begin() + 1, d.timeline.end(),
                     [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; });
    return d;
}

Result<QStringList> EmailSearch::accounts(int limit) {
    auto q = m_db.exec(u"SELECT email_address FROM accounts ORDER BY email_address LIMIT ?"_s,
                       {std::max(1, limit)});
    if (!q) {
        return q.error();
    }
    QStringList list;
    while (q->next()) {
        list << q->value(0).toString();
    }
    return list;
}

} // namespace trackwatch::core
