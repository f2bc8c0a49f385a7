// SPDX-License-Identifier: MIT
#include "api/api_parsing.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonValue>
#include <QRegularExpression>
#include <QUrlQuery>

#include <algorithm>
#include <cctype>
#include <utility>

namespace trackwatch::core::api {

using namespace Qt::StringLiterals;

namespace {

Error invalid(const QString& message) {
    return Error{ErrorCode::InvalidArgument, message};
}

// The body as a JSON object whose fields are all in `allowed`.
Result<QJsonObject> jsonObject(const QByteArray& body, const QStringList& allowed) {
    if (body.trimmed().isEmpty()) {
        return invalid(u"the body is empty: a JSON object is expected"_s);
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return Error{ErrorCode::ParseError,
                     u"malformed JSON body: %1 at offset %2"_s.arg(parseError.errorString())
                         .arg(parseError.offset)};
    }
    if (!document.isObject()) {
        return Error{ErrorCode::ParseError, u"the body is not a JSON object"_s};
    }
    const QJsonObject object = document.object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!allowed.contains(it.key())) {
            return invalid(
                u"unknown field '%1' (fields: %2)"_s.arg(it.key(), allowed.join(u", "_s)));
        }
    }
    return object;
}

// A query parameter decoded as a form would encode it ('+' is a space), as Microsoft Graph's
// validationToken is; nullopt when absent. The names of the other parameters go to `others`.
std::optional<QString> formParameter(const QUrl& url, QStringView name, QStringList& others) {
    std::optional<QString> found;
    const QString query = url.query(QUrl::FullyEncoded);
    const auto decode = [](QString text) {
        text.replace(u'+', u' ');
        return QUrl::fromPercentEncoding(text.toLatin1());
    };
    for (const QString& item : query.split(u'&', Qt::SkipEmptyParts)) {
        const qsizetype eq = item.indexOf(u'=');
        const QString key = decode(eq < 0 ? item : item.left(eq));
        if (key == name) {
            found = eq < 0 ? QString() : decode(item.mid(eq + 1));
        } else {
            others.append(key);
        }
    }
    return found;
}

// The mailbox a Graph resource path names: "Users/{address}/Messages/{id}",
// "users/{address}/mailFolders/{folder}/messages/{id}" or "Users('{address}')/Messages('{id}')".
QString resourceMailbox(const QString& resource) {
    static const QRegularExpression pattern(u"^/?users(?:/([^/(]+)|\\('([^']+)'\\))(?:/|$)"_s,
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = pattern.match(resource);
    if (!m.hasMatch()) {
        return {};
    }
    const QString user = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
    return QUrl::fromPercentEncoding(user.toUtf8()).trimmed().toLower();
}

// The message a Graph resource path names (its last "messages" segment), for notifications
// without resourceData.id.
QString resourceMessage(const QString& resource) {
    static const QRegularExpression pattern(u"/messages(?:/([^/(]+)|\\('([^']+)'\\))/?$"_s,
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = pattern.match(resource);
    if (!m.hasMatch()) {
        return {};
    }
    return QUrl::fromPercentEncoding(
        (m.captured(1).isEmpty() ? m.captured(2) : m.captured(1)).toUtf8());
}

bool isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

qsizetype skipBlankLines(QByteArrayView bytes) {
    qsizetype i = 0;
    while (i < bytes.size() && isBlank(bytes[i])) {
        ++i;
    }
    return i;
}

// The comma-separated tokens of a header field, trimmed and lower-cased.
QList<QByteArray> tokens(const QByteArray& value) {
    QList<QByteArray> out;
    for (const QByteArray& t : value.split(',')) {
        out.append(t.trimmed().toLower());
    }
    return out;
}

// The header fields after the request line, read as the server reads them (names lower-cased,
// values trimmed, continuation lines joined with a space). Where the server would drop every
// field (a name that is not a token, a line without a colon, over 100 fields), this refuses,
// so that the two never disagree on Content-Length.
Result<QList<std::pair<QByteArray, QByteArray>>> headerFields(QByteArrayView block) {
    constexpr qsizetype kMaxFields = 100;
    static constexpr QByteArrayView kTokenPunctuation("!#$%&'*+-.^_`|~");
    QList<std::pair<QByteArray, QByteArray>> fields;
    const QList<QByteArray> lines = block.toByteArray().split('\n');
    for (const QByteArray& raw : lines) {
        const QByteArray line = raw.endsWith('\r') ? raw.chopped(1) : raw;
        if (line.isEmpty()) {
            break; // the blank line that ends the head
        }
        if (line.startsWith(' ') || line.startsWith('\t')) {
            if (fields.isEmpty()) {
                return invalid(u"a header field starts with white space"_s);
            }
            const QByteArray more = line.trimmed();
            QByteArray& value = fields.last().second;
            value += value.isEmpty() || more.isEmpty() ? more : ' ' + more;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = line.left(colon);
        const bool token = colon > 0 && std::all_of(name.begin(), name.end(), [](char c) {
                               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                                      (c >= 'A' && c <= 'Z') || kTokenPunctuation.contains(c);
                           });
        if (!token) {
            return invalid(
                u"malformed header field '%1'"_s.arg(QString::fromLatin1(line.left(40))));
        }
        if (fields.size() >= kMaxFields) {
            return invalid(u"more than %1 header fields"_s.arg(kMaxFields));
        }
        fields.append({name.toLower(), line.mid(colon + 1).trimmed()});
    }
    return fields;
}

} // namespace

Result<QHash<QString, QString>> queryParameters(const QUrl& url, const QStringList& allowed) {
    QHash<QString, QString> values;
    for (const auto& [name, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded)) {
        if (!allowed.contains(name)) {
            return invalid(
                u"unknown parameter '%1' (parameters: %2)"_s.arg(name, allowed.join(u", "_s)));
        }
        if (values.contains(name)) {
            return invalid(u"parameter '%1' given twice"_s.arg(name));
        }
        values.insert(name, value);
    }
    return values;
}

Result<QDateTime> parseTime(const QString& name, const QString& text) {
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid()) {
        return invalid(
            u"%1: '%2' is not an ISO 8601 time (2026-11-29T08:00:00Z)"_s.arg(name, text.left(100)));
    }
    if (t.timeSpec() == Qt::LocalTime) {
        t.setTimeSpec(Qt::UTC);
    }
    return t.toUTC();
}

QString encodeCursor(const QDateTime& sentAt, qint64 id) {
    const QByteArray raw =
        QByteArray::number(sentAt.toMSecsSinceEpoch()) + ':' + QByteArray::number(id);
    return QString::fromLatin1(
        raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

Status decodeCursor(const QString& text, TrackedEmailQuery& query) {
    const auto decoded = QByteArray::fromBase64Encoding(
        text.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const QList<QByteArray> parts = decoded ? decoded.decoded.split(':') : QList<QByteArray>{};
    bool msOk = false;
    bool idOk = false;
    const qint64 ms = parts.value(0).toLongLong(&msOk);
    const qint64 id = parts.value(1).toLongLong(&idOk);
    const QDateTime at = msOk ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC) : QDateTime();
    if (parts.size() != 2 || !msOk || !idOk || id <= 0 || !at.isValid()) {
        return Status::failure(
            ErrorCode::InvalidArgument,
            u"cursor: '%1' is not a cursor this API gave out"_s.arg(text.left(100)));
    }
    query.beforeSentAt = at;
    query.beforeId = id;
    return {};
}

Result<TrackedEmailQuery> parseTrackedQuery(const QUrl& url) {
    auto p = queryParameters(url, {u"account"_s, u"status"_s, u"since"_s, u"limit"_s, u"cursor"_s});
    if (!p) {
        return p.error();
    }
    TrackedEmailQuery query;
    query.account = p->value(u"account"_s).trimmed();
    query.status = p->value(u"status"_s);
    if (p->contains(u"since"_s)) {
        auto since = parseTime(u"since"_s, p->value(u"since"_s));
        if (!since) {
            return since.error();
        }
        query.since = *since;
    }
    if (p->contains(u"limit"_s)) {
        bool ok = false;
        query.limit = p->value(u"limit"_s).toInt(&ok);
        if (!ok) {
            return invalid(u"limit: '%1' is not a number"_s.arg(p->value(u"limit"_s).left(100)));
        }
    }
    if (p->contains(u"cursor"_s)) {
        if (const Status s = decodeCursor(p->value(u"cursor"_s), query); !s) {
            return s.error();
        }
    }
    return query;
}

Result<AnalyticsQuery> parseAnalyticsQuery(const QUrl& url, const QDateTime& now) {
    auto p = queryParameters(url, {u"account"_s, u"since"_s, u"until"_s});
    if (!p) {
        return p.error();
    }
    AnalyticsQuery query;
    query.account = p->value(u"account"_s).trimmed();
    query.until = now;
    query.since = now.addDays(-1);
    for (const QString& name : {u"since"_s, u"until"_s}) {
        if (p->contains(name)) {
            auto t = parseTime(name, p->value(name));
            if (!t) {
                return t.error();
            }
            (name == u"since" ? query.since : query.until) = *t;
        }
    }
    return query;
}

Result<SyncRequest> parseSyncRequest(const QUrl& url, const QByteArray& body) {
    if (auto p = queryParameters(url, {}); !p) {
        return p.error();
    }
    auto object = jsonObject(body, {u"account"_s, u"since"_s});
    if (!object) {
        return object.error();
    }
    const QJsonValue accountValue = object->value(u"account"_s);
    if (!accountValue.isString()) {
        return invalid(u"account: required, the mailbox's address as a string"_s);
    }
    SyncRequest request;
    request.account = accountValue.toString().trimmed().toLower();
    if (!isMailboxAddress(request.account)) {
        return invalid(
            u"account: '%1' is not a mailbox address"_s.arg(accountValue.toString().left(300)));
    }
    if (object->contains(u"since"_s)) {
        const QJsonValue v = object->value(u"since"_s);
        auto t = parseTime(u"since"_s, v.isString() ? v.toString() : QString());
        if (!t) {
            return t.error();
        }
        request.since = *t;
    }
    return request;
}

Result<MailNotificationRequest> parseMailNotificationRequest(const QUrl& url,
                                                             const QByteArray& body) {
    QStringList others;
    MailNotificationRequest request;
    request.validationToken = formParameter(url, u"validationToken", others);
    if (!others.isEmpty()) {
        return invalid(u"unknown parameter '%1' (parameters: validationToken)"_s.arg(
            others.first().left(100)));
    }
    if (request.validationToken) {
        if (request.validationToken->isEmpty()) {
            return invalid(u"validationToken: empty"_s);
        }
        return request;
    }
    auto object = jsonObject(body, {u"value"_s, u"validationTokens"_s});
    if (!object) {
        return object.error();
    }
    const QJsonValue value = object->value(u"value"_s);
    if (!value.isArray() || value.toArray().isEmpty()) {
        return invalid(u"value: required, a non-empty array of notifications"_s);
    }
    request.items = value.toArray();
    return request;
}

bool clientStatesMatch(const QJsonArray& items, const QString& clientState) {
    const QByteArray expected = clientState.toUtf8();
    for (const QJsonValue& item : items) {
        const QJsonValue state = item.toObject().value(u"clientState"_s);
        if (!state.isString() || !sameSecret(state.toString().toUtf8(), expected)) {
            return false;
        }
    }
    return !items.isEmpty();
}

Result<MailNotifications> parseMailNotifications(const QJsonArray& items) {
    MailNotifications out;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QJsonObject item = items[i].toObject();
        const auto bad = [i](const QString& what) {
            return invalid(u"value[%1]: %2"_s.arg(i).arg(what));
        };
        if (!items[i].isObject()) {
            return bad(u"a notification object"_s);
        }
        if (item.contains(u"lifecycleEvent"_s)) {
            ++out.ignored; // subscription lifecycle, not mail
            continue;
        }
        const QString changeType = item.value(u"changeType"_s).toString();
        if (changeType != u"created" && changeType != u"updated" && changeType != u"deleted") {
            return bad(u"changeType: one of created, updated, deleted"_s);
        }
        const QString resource = item.value(u"resource"_s).toString();
        const QString account = resourceMailbox(resource);
        if (!isMailboxAddress(account)) {
            return bad(u"resource: '%1' does not name a mailbox address "
                       u"(Users/{address}/Messages/{id})"_s.arg(resource.left(300)));
        }
        const QJsonValue data = item.value(u"resourceData"_s);
        if (!data.isUndefined() && !data.isObject()) {
            return bad(u"resourceData: an object"_s);
        }
        QString resourceId = data.toObject().value(u"id"_s).toString();
        if (resourceId.isEmpty()) {
            resourceId = resourceMessage(resource);
        }
        if (resourceId.isEmpty() || resourceId.size() > 1024) {
            return bad(u"resourceData.id: the message's id is missing"_s);
        }
        if (changeType == u"deleted") {
            ++out.ignored; // nothing to ingest; tracking keeps what it saw
            continue;
        }
        WebhookNotification n;
        n.account = account;
        n.resourceId = resourceId;
        n.changeType = changeType;
        n.notificationId = item.value(u"id"_s).toString().left(256);
        n.subscriptionId = item.value(u"subscriptionId"_s).toString().left(256);
        out.notifications.append(n);
    }
    return out;
}

bool isMailboxAddress(const QString& address) {
    static const QRegularExpression pattern(
        u"^[^\\s@<>()\\[\\],;:\"\\\\]{1,64}@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
        u"(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$"_s);
    return address.size() <= 254 && pattern.match(address).hasMatch();
}

bool sameSecret(const QByteArray& given, const QByteArray& expected) {
    const QByteArray a = QCryptographicHash::hash(given, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0 && !expected.isEmpty();
}

qsizetype requestHeadLength(QByteArrayView bytes) {
    const qsizetype start = skipBlankLines(bytes);
    const qsizetype lineEnd = bytes.indexOf('\n', start);
    if (start >= bytes.size() || lineEnd < 0) {
        return -1;
    }
    // The fields end at an empty line: "\n\r\n" or "\n\n" from the request line's end on.
    for (qsizetype i = lineEnd; i < bytes.size(); i = bytes.indexOf('\n', i + 1)) {
        if (i < 0) {
            return -1;
        }
        if (i + 1 < bytes.size() && bytes[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
            return i + 3;
        }
    }
    return -1;
}

Result<RequestHead> parseRequestHead(QByteArrayView bytes) {
    const QByteArrayView text = bytes.sliced(skipBlankLines(bytes));
    const qsizetype lineEnd = text.indexOf('\n');
    const QList<QByteArray> requestLine =
        text.first(lineEnd < 0 ? text.size() : lineEnd).toByteArray().simplified().split(' ');
    const QByteArray protocol = requestLine.value(2);
    if (requestLine.size() != 3 || protocol.size() != 8 || !protocol.startsWith("HTTP/") ||
        protocol[6] != '.' || !std::isdigit(static_cast<unsigned char>(protocol[5])) ||
        !std::isdigit(static_cast<unsigned char>(protocol[7]))) {
        return Error{ErrorCode::ParseError, u"malformed request line"_s};
    }
    RequestHead head;
    head.method = requestLine[0];
    head.majorVersion = protocol[5] - '0';
    head.minorVersion = protocol[7] - '0';
    auto fields = headerFields(lineEnd < 0 ? QByteArrayView() : text.sliced(lineEnd + 1));
    if (!fields) {
        return fields.error();
    }
    bool close = false;
    bool keepAlive = false;
    bool transferEncoding = false;
    for (const auto& [name, value] : *fields) {
        if (name == "content-length") {
            bool ok = !value.isEmpty() && value.size() <= 18;
            for (char c : value) {
                ok = ok && c >= '0' && c <= '9';
            }
            const qint64 length = ok ? value.toLongLong(&ok) : -1;
            if (!ok) {
                return invalid(u"Content-Length: '%1' is not a number of bytes"_s.arg(
                    QString::fromLatin1(value.left(40))));
            }
            if (head.contentLength && *head.contentLength != length) {
                return invalid(u"Content-Length given twice with different values (%1, %2)"_s
                                   .arg(*head.contentLength)
                                   .arg(length));
            }
            head.contentLength = length;
        } else if (name == "transfer-encoding") {
            transferEncoding = true;
            head.chunked = head.chunked || tokens(value).contains("chunked");
        } else if (name == "connection") {
            const QList<QByteArray> options = tokens(value);
            close = close || options.contains("close");
            keepAlive = keepAlive || options.contains("keep-alive");
        }
    }
    if (transferEncoding && (head.contentLength || !head.chunked)) {
        return invalid(head.contentLength ? u"Content-Length and Transfer-Encoding together"_s
                                          : u"Transfer-Encoding other than chunked"_s);
    }
    const bool http11 = head.majorVersion > 1 || (head.majorVersion == 1 && head.minorVersion >= 1);
    head.closeAfter = close || (!http11 && !keepAlive);
    return head;
}

} // namespace trackwatch::core::api
