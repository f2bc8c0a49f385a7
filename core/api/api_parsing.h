// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "tracking/email_query_service.h"
#include "webhooks/webhook_queue.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

// What the HTTP API reads from a request, as pure functions of the request's bytes: no server,
// no database, so each can be tested and fuzzed alone. Every function is reentrant and
// thread-safe. Malformed input is an Error (InvalidArgument or ParseError, answered 400), never
// a crash; messages quote the offending value.
namespace trackwatch::core::api {

// The query's parameters (fully decoded); a name not in `allowed`, or given twice, is refused.
Result<QHash<QString, QString>> queryParameters(const QUrl& url, const QStringList& allowed);

// An ISO 8601 time; without a zone it is UTC. `name` is the parameter, for the message.
Result<QDateTime> parseTime(const QString& name, const QString& text);

// Keyset cursor of /api/emails/tracked: a row's sent time (ms since the epoch) and id, base64url.
QString encodeCursor(const QDateTime& sentAt, qint64 id);
Status decodeCursor(const QString& text, TrackedEmailQuery& query);

// GET /api/emails/tracked: account, status, since, limit, cursor. The limit's range is the
// query service's to judge; here it must be a whole number.
Result<TrackedEmailQuery> parseTrackedQuery(const QUrl& url);

// GET /api/emails/analytics: account (optional), since and until (default: the day up to now).
Result<AnalyticsQuery> parseAnalyticsQuery(const QUrl& url, const QDateTime& now);

// POST /api/emails/sync: no query parameters; the body {"account": address, "since"?: time}.
struct SyncRequest {
    QString account; // lower-cased
    std::optional<QDateTime> since;
};
Result<SyncRequest> parseSyncRequest(const QUrl& url, const QByteArray& body);

// POST /api/webhooks/mail, Microsoft Graph's change-notification contract. Either the
// subscription handshake (?validationToken=T, decoded as a form decodes it: '+' is a space),
// or a body {"value": [notification, ...], "validationTokens"?} with a non-empty array.
struct MailNotificationRequest {
    std::optional<QString> validationToken; // set: the handshake, to echo as text/plain
    QJsonArray items;                       // else the notifications, not checked yet
};
Result<MailNotificationRequest> parseMailNotificationRequest(const QUrl& url,
                                                             const QByteArray& body);
// Whether every notification carries `clientState` (compared in constant time). An empty
// clientState matches nothing.
bool clientStatesMatch(const QJsonArray& items, const QString& clientState);
// The notifications to store: created and updated messages of a mailbox named by the
// resource path; lifecycle events and deletions are counted as ignored.
struct MailNotifications {
    QList<WebhookNotification> notifications;
    qint64 ignored = 0;
};
Result<MailNotifications> parseMailNotifications(const QJsonArray& items);

// A mailbox address as accounts are stored: lower-cased, one '@', no spaces or brackets.
bool isMailboxAddress(const QString& address);
// Compares two secrets in a time that depends on neither; false when `expected` is empty.
bool sameSecret(const QByteArray& given, const QByteArray& expected);

// What the connection guard needs from a request's head (request line and header fields, up
// to the blank line; leading blank lines are skipped as the server skips them).
struct RequestHead {
    QByteArray method;
    int majorVersion = 1;
    int minorVersion = 1;
    std::optional<qint64> contentLength; // absent: no body unless chunked
    bool chunked = false;                // Transfer-Encoding: chunked
    bool closeAfter = false;             // Connection: close, or HTTP/1.0 without keep-alive
};
// Refuses (InvalidArgument) what would let the server and a proxy disagree on where the request
// ends: a Content-Length that is not a whole number, Content-Length fields that differ, and
// Content-Length with Transfer-Encoding. A malformed request line is a ParseError.
Result<RequestHead> parseRequestHead(QByteArrayView head);
// The length of the head at the start of `bytes` (up to and with its blank line), or -1 while
// it is incomplete.
qsizetype requestHeadLength(QByteArrayView bytes);

} // namespace trackwatch::core::api
