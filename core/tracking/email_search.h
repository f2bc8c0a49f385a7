// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace trackwatch::core {

class Database;

// What support staff search tracked emails by. Every field is optional; the fields given must
// all match. Text matches ignore case (SQLite: ASCII letters only).
struct EmailSearchFilter {
    QString account;   // the mailbox address, whole (accounts.email_address); empty: every account
    QString recipient; // part of the recipients list ("bob@", "customer.example")
    QString sender;    // part of the sender's address
    QString subject;   // words that must all appear in the subject, in any order
    QString status;    // "active", "replied", "bounced", "expired", "stopped"; empty: any
    QDateTime from;    // sent at or after; invalid: no lower bound
    QDateTime until;   // sent before; invalid: no upper bound

    bool operator==(const EmailSearchFilter&) const = default;
};

// Where the next page starts: after this row in the search's order (newest first, then the
// higher id first). sentAt is the row's time as the database holds it, to the last digit
// (PostgreSQL keeps microseconds), so no row of the same millisecond is skipped.
struct EmailSearchCursor {
    QString sentAt;
    qint64 id = 0;

    bool operator==(const EmailSearchCursor&) const = default;
};

struct EmailSearchRow {
    qint64 id = 0;
    QString account;
    QString messageId;
    QString subject;
    QString sender;
    QString recipients;
    QDateTime sentAt;
    QString status;
    int responseCount = 0;
    QDateTime repliedAt;
    QString matchMethod; // "in_reply_to", "references", "conversation" or empty
    QDateTime statusChangedAt;

    bool operator==(const EmailSearchRow&) const = default;
};

struct EmailSearchPage {
    QList<EmailSearchRow> rows;
    std::optional<EmailSearchCursor> next; // set when more rows follow: ask again with it
};

// One step in a tracked email's life.
enum class TimelineEventKind { Sent, Replied, Bounced, Expired, Stopped };

struct TimelineEvent {
    TimelineEventKind kind = TimelineEventKind::Sent;
    QDateTime at;
    QString party;       // Sent: the sender; Replied: who replied
    QString messageId;   // Sent: the email's id; Replied: the reply's id
    QString matchMethod; // Replied: how the reply was matched

    bool operator==(const TimelineEvent&) const = default;
};

struct EmailDetail {
    EmailSearchRow email;
    QString conversationId;
    QStringList inReplyTo;
    QStringList references;
    QString replyMessageId;
    QString replySender;
    QList<TimelineEvent> timeline; // in time order, Sent first
};

// Tracked-email search for the console's support staff, in both dialects: filters, keyset
// pages in a stable order (sent_at DESC, id DESC), and one email's detail with its timeline.
// Only reads. On PostgreSQL the first page of a million-row database is answered from the
// indexes of migration 009 (time, account and status order; trigram for text parts).
// Lives on its Database's thread; not thread-safe.
class EmailSearch {
public:
    static constexpr int kPageSize = 200;
    static constexpr int kMaxPageSize = 1000;

    explicit EmailSearch(Database& db);

    static const QStringList& statuses();
    // InvalidArgument for an unknown status, a reversed date range or a bad page size.
    static Status validate(const EmailSearchFilter& filter, int limit = kPageSize);

    // The page after `after` (the first page when nullopt).
    Result<EmailSearchPage> page(const EmailSearchFilter& filter,
                                 const std::optional<EmailSearchCursor>& after = std::nullopt,
                                 int limit = kPageSize);

    // The email with this id, with its timeline; NotFound when there is none.
    Result<EmailDetail> detail(qint64 id);

    // Every account's address, sorted (for the filter's choices); at most `limit`.
    Result<QStringList> accounts(int limit = 5000);

private:
    Database& m_db;
};

} // namespace trackwatch::core
