// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "tracking/mail_message.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace trackwatch::core {

// Parses one RFC 5322 message (headers with folding, RFC 2047 encoded words, CRLF or LF line
// endings, MIME multipart for delivery-status reports) into a MailMessage and classifies it as
// normal, auto-reply or bounce. Stateless and thread-safe.
class MailParser {
public:
    // A message without a Message-ID or without a From address is refused with ParseError and
    // a reason naming the missing header.
    static Result<MailMessage> parse(QByteArrayView raw);

    // "<Local@Example.COM>" -> "Local@example.com". Empty when there is no id.
    static QString normalizeMessageId(QStringView id);

    // All ids in a header value such as In-Reply-To or References, normalized, in order.
    static QStringList parseIdList(QStringView value);

    // Subject without reply/forward prefixes (Re:, RE[2]:, Fwd:, FW:, AW:, WG:, SV:, ...)
    // and surrounding space, with inner runs of space collapsed.
    static QString normalizeSubject(QStringView subject);

    // Decodes RFC 2047 encoded words (B and Q, any charset Qt knows) in a header value.
    static QString decodeEncodedWords(QByteArrayView value);
};

} // namespace trackwatch::core
