// SPDX-License-Identifier: MIT
#include "webhooks/mail_source.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"
#include "tracking/mail_parser.h"

#include <array>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// Rows per multi-row statement: big enough that round trips do not dominate, small enough
// that one statement stays a few hundred kilobytes.
constexpr qsizetype kRowsPerStatement = 250;

// Bytes as a literal of the dialect's binary type, composed into the statement (Database::exec
// inlines only text, numbers and times). Hex digits cannot break out of the quotes.
QString blobLiteral(Dialect dialect, const QByteArray& bytes) {
    const QString hex = QString::fromLatin1(bytes.toHex());
    return dialect == Dialect::Sqlite ? u"X'"_s + hex + u'\'' : u"'\\x"_s + hex + u"'::bytea"_s;
}

bool isPlainAscii(const QString& text) {
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e) {
            return false;
        }
    }
    return true;
}

// An RFC 2047 encoded word when the text is not plain ASCII.
QByteArray headerText(const QString& text) {
    if (isPlainAscii(text)) {
        return text.toLatin1();
    }
    return "=?UTF-8?B?" + text.toUtf8().toBase64() + "?=";
}

QByteArray displayName(const QString& name) {
    if (name.isEmpty()) {
        return {};
    }
    if (!isPlainAscii(name)) {
        return headerText(name) + ' ';
    }
    QByteArray quoted = name.toLatin1();
    quoted.replace('\\', "\\\\").replace('"', "\\\"");
    return '"' + quoted + "\" ";
}

QByteArray idList(const QStringList& ids) {
    QByteArrayList out;
    for (const QString& id : ids) {
        out << '<' + id.toUtf8() + '>';
    }
    return out.join(' ');
}

// RFC 5322 date-time in UTC, with English names whatever the locale.
QByteArray rfc5322Date(const QDateTime& when) {
    static constexpr std::array<const char*, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const QDateTime t = when.toUTC();
    const QDate d = t.date();
    const QTime time = t.time();
    return QByteArray(kDays[static_cast<std::size_t>(d.dayOfWeek() - 1)]) + ", " +
           QByteArray::number(d.day()).rightJustified(2, '0') + ' ' +
           kMonths[static_cast<std::size_t>(d.month() - 1)] + ' ' + QByteArray::number(d.year()) +
           ' ' + QByteArray::number(time.hour()).rightJustified(2, '0') + ':' +
           QByteArray::number(time.minute()).rightJustified(2, '0') + ':' +
           QByteArray::number(time.second()).rightJustified(2, '0') + " +0000";
}

SourceKind kindOf(const Delivery& d) {
    return d.message.kind == MessageKind::Normal &&
                   d.message.sender.compare(d.account, Qt::CaseInsensitive) == 0
               ? SourceKind::Sent
               : SourceKind::Inbound;
}

} // namespace

QString sourceKindName(SourceKind kind) {
    return kind == SourceKind::Sent ? u"sent"_s : u"inbound"_s;
}

MailSource::MailSource(Database& db, const Clock& clock)
    : m_db(db)
    , m_clock(clock) {}

Status MailSource::store(const SourceMessage& message) {
    return storeMany({message});
}

Status MailSource::storeMany(const QList<SourceMessage>& messages) {
    if (messages.isEmpty()) {
        return {};
    }
    for (const SourceMessage& m : messages) {
        if (m.account.isEmpty() || m.resourceId.isEmpty()) {
            return Status::failure(ErrorCode::InvalidArgument,
                                   u"a stored message needs an account and a resource id"_s);
        }
    }
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    const auto write = [&]() -> Status {
        for (qsizetype start = 0; start < messages.size(); start += kRowsPerStatement) {
            const qsizetype end = std::min(messages.size(), start + kRowsPerStatement);
            QString sql = u"INSERT INTO mail_source_messages (account, resource_id, kind, raw, "
                          u"stored_at) VALUES "_s;
            QVariantList values;
            values.reserve((end - start) * 4);
            for (qsizetype i = start; i < end; ++i) {
                const SourceMessage& m = messages[i];
                if (i > start) {
                    sql += u", "_s;
                }
                sql += u"(?, ?, ?, "_s + blobLiteral(m_db.dialect(), m.raw) + u", ?)"_s;
                values << m.account.toLower() << m.resourceId << sourceKindName(m.kind) << now;
            }
            sql += u" ON CONFLICT (account, resource_id) DO UPDATE SET kind = excluded.kind, "
                   u"raw = excluded.raw, stored_at = excluded.stored_at"_s;
            if (auto r = m_db.exec(sql, values); !r) {
                return r.error();
            }
        }
        return {};
    };
    // One message needs no transaction of its own (and may then be part of the caller's).
    return messages.size() == 1 ? write() : m_db.transaction(write);
}

Result<QString> MailSource::storeDelivery(const Delivery& delivery, const QString& resourceId) {
    const QString id = resourceId.isEmpty() ? delivery.message.messageId : resourceId;
    if (const Status s = store({delivery.account, id, render(delivery.message), kindOf(delivery)});
        !s) {
        return s.error();
    }
    return id;
}

Status MailSource::storeDeliveries(const QList<Delivery>& deliveries) {
    QList<SourceMessage> messages;
    messages.reserve(deliveries.size());
    for (const Delivery& d : deliveries) {
        messages.append({d.account, d.message.messageId, render(d.message), kindOf(d)});
    }
    return storeMany(messages);
}

Result<MailMessage> MailSource::fetch(const QString& account, const QString& resourceId) {
    auto raw = fetchRaw({{account.toLower(), resourceId}});
    if (!raw) {
        return raw.error();
    }
    if (raw->isEmpty()) {
        return Error{ErrorCode::NotFound,
                     u"no message %1 in mailbox %2 at the source"_s.arg(resourceId, account)};
    }
    return MailParser::parse(raw->cbegin().value());
}

Result<QHash<SourceKey, QByteArray>> MailSource::fetchRaw(const QList<SourceKey>& keys) {
    QHash<SourceKey, QByteArray> found;
    if (keys.isEmpty()) {
        return found;
    }
    for (qsizetype start = 0; start < keys.size(); start += 2 * kRowsPerStatement) {
        const qsizetype end = std::min(keys.size(), start + 2 * kRowsPerStatement);
        QString sql = u"SELECT account, resource_id, raw FROM mail_source_messages WHERE "
                      u"(account, resource_id) IN (VALUES "_s;
        QVariantList values;
        values.reserve((end - start) * 2);
        for (qsizetype i = start; i < end; ++i) {
            sql += i > start ? u", (?, ?)"_s : u"(?, ?)"_s;
            values << keys[i].first.toLower() << keys[i].second;
        }
        sql += u')';
        auto q = m_db.exec(sql, values);
        if (!q) {
            return q.error();
        }
        while (q->next()) {
            found.insert({q->value(0).toString(), q->value(1).toString()},
                         q->value(2).toByteArray());
        }
    }
    return found;
}

Result<bool> MailSource::remove(const QString& account, const QString& resourceId) {
    auto q = m_db.exec(u"DELETE FROM mail_source_messages WHERE account = ? AND resource_id = ? "
                       u"RETURNING resource_id"_s,
                       {account.toLower(), resourceId});
    if (!q) {
        return q.error();
    }
    return q->next();
}

QByteArray MailSource::render(const MailMessage& m) {
    QByteArray out;
    out.reserve(1024);
    const auto header = [&out](const char* name, const QByteArray& value) {
        if (!value.isEmpty()) {
            out += name;
            out += ": ";
            out += value;
            out += "\r\n";
        }
    };
    header("Message-ID", '<' + m.messageId.toUtf8() + '>');
    if (m.sentAt.isValid()) {
        header("Date", rfc5322Date(m.sentAt));
    }
    header("From", displayName(m.senderName) + '<' + m.sender.toUtf8() + '>');
    QByteArrayList to;
    for (const QString& r : m.recipients) {
        to << r.toUtf8();
    }
    header("To", to.join(", "));
    header("Subject", headerText(m.subject));
    header("In-Reply-To", idList(m.inReplyTo));
    header("References", idList(m.references));
    if (!m.conversationId.isEmpty()) {
        header("X-Conversation-Id", headerText(m.conversationId));
    }
    header("MIME-Version", "1.0");
    if (m.kind == MessageKind::Bounce) {
        // RFC 3464: a delivery-status report with the original's headers attached.
        const QByteArray boundary = "=_trackwatch-dsn";
        header("Content-Type",
               "multipart/report; report-type=delivery-status; boundary=\"" + boundary + '"');
        out += "\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
        out += "This message could not be delivered.\r\n";
        out += "--" + boundary + "\r\nContent-Type: message/delivery-status\r\n\r\n";
        out += "Reporting-MTA: dns; trackwatch.example\r\n";
        for (const QString& r : m.bouncedRecipients) {
            out += "\r\nFinal-Recipient: rfc822; " + r.toUtf8() +
                   "\r\nAction: failed\r\nStatus: 5.1.1\r\n";
        }
        if (m.bouncedRecipients.isEmpty()) {
            out += "\r\nAction: failed\r\nStatus: 5.0.0\r\n"; // a failure, recipient unnamed
        }
        out += "\r\n--" + boundary + "\r\nContent-Type: text/rfc822-headers\r\n\r\n";
        if (!m.bouncedMessageId.isEmpty()) {
            out += "Message-ID: <" + m.bouncedMessageId.toUtf8() + ">\r\n";
        }
        out += "\r\n--" + boundary + "--\r\n";
        return out;
    }
    if (m.kind == MessageKind::AutoReply) {
        header("Auto-Submitted", "auto-replied");
    }
    header("Content-Type", "text/plain; charset=utf-8");
    out += "\r\n";
    out += "(message body)\r\n";
    return out;
}

} // namespace trackwatch::core
