// SPDX-License-Identifier: MIT
// libFuzzer harness for what the HTTP API reads from a request (core/api/api_parsing.h): the
// query parameters of /api/emails/tracked and /api/emails/analytics, the JSON body of
// /api/emails/sync, Graph change notifications on /api/webhooks/mail, and request heads as the
// connection guard frames them. The first byte picks the parser; the rest is split at the first
// newline into the request target (as QHttpServer decodes it) and the body. Besides "no crash",
// it checks properties: a cursor this API gives out decodes to the same position, a refused
// input gets a message, and a head's length stays inside its input.
#include "api/api_parsing.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <cstdlib>

using namespace trackwatch::core;

namespace {

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

template <typename T> void expectMessage(const Result<T>& r) {
    if (!r) {
        check(!r.error().message.isEmpty());
    }
}

void trackedQuery(const QUrl& url) {
    auto query = api::parseTrackedQuery(url);
    expectMessage(query);
    if (query && query->beforeId > 0) {
        // A cursor it accepted round-trips through the one this API would give out.
        TrackedEmailQuery again;
        const QString cursor = api::encodeCursor(query->beforeSentAt, query->beforeId);
        check(api::decodeCursor(cursor, again).ok());
        check(again.beforeId == query->beforeId);
        check(again.beforeSentAt == query->beforeSentAt);
    }
}

void mailNotifications(const QUrl& url, const QByteArray& body) {
    auto request = api::parseMailNotificationRequest(url, body);
    expectMessage(request);
    if (!request || request->validationToken) {
        check(!request || !request->validationToken->isEmpty());
        return;
    }
    (void)api::clientStatesMatch(request->items, QStringLiteral("client-state-0123456789"));
    auto read = api::parseMailNotifications(request->items);
    expectMessage(read);
    if (read) {
        check(read->notifications.size() + read->ignored <= request->items.size());
        for (const WebhookNotification& n : read->notifications) {
            check(api::isMailboxAddress(n.account));
            check(!n.resourceId.isEmpty() && n.resourceId.size() <= 1024);
        }
    }
}

void requestHead(const QByteArray& bytes) {
    const qsizetype length = api::requestHeadLength(bytes);
    check(length >= -1 && length <= bytes.size());
    auto head = api::parseRequestHead(length < 0 ? QByteArrayView(bytes)
                                                 : QByteArrayView(bytes).first(length));
    expectMessage(head);
    if (head && head->contentLength) {
        check(*head->contentLength >= 0);
        check(!head->chunked);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const QByteArray input(reinterpret_cast<const char*>(data + 1),
                           static_cast<qsizetype>(size - 1));
    const qsizetype newline = input.indexOf('\n');
    const QByteArray target = newline < 0 ? input : input.left(newline);
    const QByteArray body = newline < 0 ? QByteArray() : input.mid(newline + 1);
    const QUrl url = QUrl::fromEncoded(target);
    switch (data[0] % 6) {
    case 0:
        trackedQuery(url);
        break;
    case 1:
        expectMessage(api::parseAnalyticsQuery(url, QDateTime::fromMSecsSinceEpoch(0, Qt::UTC)));
        break;
    case 2:
        expectMessage(api::parseSyncRequest(url, body));
        break;
    case 3:
        mailNotifications(url, body);
        break;
    case 4:
        requestHead(input);
        break;
    default:
        (void)api::isMailboxAddress(QString::fromUtf8(input));
        expectMessage(api::parseTime(QStringLiteral("since"), QString::fromUtf8(input)));
        break;
    }
    return 0;
}
