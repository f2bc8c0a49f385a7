// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "tracking/mail_message.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

namespace trackwatch::core {

class Database;

// Which side of the mailbox a stored message is on.
enum class SourceKind { Sent, Inbound };
QString sourceKindName(SourceKind kind); // "sent", "inbound"

// A message as a mail provider addresses it: the mailbox and the provider's resource id.
using SourceKey = QPair<QString, QString>; // account (lower-cased), resource id

// One raw message to store.
struct SourceMessage {
    QString account;    // the mailbox's address (stored lower-cased)
    QString resourceId; // the provider's id for it; what a change notification names
    QByteArray raw;     // RFC 5322 bytes, as the provider would return them
    SourceKind kind = SourceKind::Inbound;
};

// What a change notification points at: the mail provider's copy of each mailbox, kept in
// the table mail_source_messages (raw RFC 5322 bytes per account and resource id). The webhook
// receiver and the simulator store() what a provider would hold; processors fetch() the
// message a notification names and get it parsed by MailParser, as they would from the
// provider's API. Lives on its Database's thread. Not thread-safe.
class MailSource {
public:
    MailSource(Database& db, const Clock& clock);
    MailSource(const MailSource&) = delete;
    MailSource& operator=(const MailSource&) = delete;

    // Stores (or replaces: a provider's copy can change) one message.
    Status store(const SourceMessage& message);
    // The same for many, a few hundred rows per statement, in one transaction per call. Must
    // not be called inside another transaction of the same Database.
    Status storeMany(const QList<SourceMessage>& messages);

    // Renders a delivery as RFC 5322 (render()) and stores it under `resourceId`, or under its
    // message id when none is given; sent mail is mail whose sender is the account. Returns the
    // resource id. Used to stand in for a provider in the simulator, tests and benchmarks.
    Result<QString> storeDelivery(const Delivery& delivery, const QString& resourceId = {});
    Status storeDeliveries(const QList<Delivery>& deliveries);

    // The message a notification names, parsed. NotFound when the provider has no such
    // message, ParseError (MailParser's reason) when its bytes are not a usable message.
    Result<MailMessage> fetch(const QString& account, const QString& resourceId);
    // The raw bytes of the keys that exist, in one round trip; missing keys are absent.
    Result<QHash<SourceKey, QByteArray>> fetchRaw(const QList<SourceKey>& keys);

    // Removes a message, as when it is deleted at the provider. Returns whether it existed.
    Result<bool> remove(const QString& account, const QString& resourceId);

    // A delivery as RFC 5322 text that MailParser reads back to the same fields: message id,
    // sender and name, recipients, subject, In-Reply-To, References, conversation id
    // (X-Conversation-Id), kind (Auto-Submitted for auto-replies; a multipart/report with
    // the original's headers for bounces) and the date, to the second (the Date header has
    // no milliseconds).
    static QByteArray render(const MailMessage& message);

private:
    Database& m_db;
    const Clock& m_clock;
};

} // namespace trackwatch::core
