// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace trackwatch::core {

// How a parsed message presents itself, decided from its headers and structure.
enum class MessageKind {
    Normal,    // an ordinary message (sent mail, or a human reply)
    AutoReply, // out-of-office and other automatic answers: never counts as a reply
    Bounce,    // a delivery-failure report: marks the original bounced
};

// One mail message reduced to the fields tracking needs. Plain value type.
//
// Message ids are normalized by normalizeMessageId(): angle brackets and surrounding space
// removed, the part after the last '@' lower-cased (a domain), the part before it kept as it
// is (RFC 5322 id-left is case-sensitive). Two ids that differ only in the case of the local
// part are different messages.
struct MailMessage {
    QString messageId;
    QString conversationId; // optional: Graph conversationId / Outlook Thread-Index
    QStringList inReplyTo;  // normalized ids, in header order
    QStringList references; // normalized ids, oldest first
    QString subject;        // decoded (RFC 2047), unfolded
    QString sender;         // address only, lower-cased
    QString senderName;     // display name, decoded
    QStringList recipients; // To and Cc addresses, lower-cased, in order, no duplicates
    QDateTime sentAt;       // UTC; invalid when the message had no usable Date
    MessageKind kind = MessageKind::Normal;
    QString bouncedMessageId;      // Bounce only: the original's id, from the attached headers
    QStringList bouncedRecipients; // Bounce only: the failed recipients, when named
};

// A message as it lands in one account's mailbox. Mail whose sender is the account is sent
// mail (tracked); anything else is inbound (a possible reply, auto-reply or bounce).
struct Delivery {
    QString account; // the mailbox's address, lower-cased
    MailMessage message;
};

} // namespace trackwatch::core
