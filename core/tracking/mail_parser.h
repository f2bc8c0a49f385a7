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
    // a reason naming the missing header. Header text comes out storable: NUL removed, unpaired
    // surrogates replaced by U+FFFD, id lists without duplicates after that.
    static Result<MailMessage> parse(QByteArrayView raw);

    // "<Local@Example.COM>" -> "Local@example.com". Empty when there is no id. Space and NUL
    // inside are removed; the result is bounded by storageId().
    static QString normalizeMessageId(QStringView id);

    // An id (message or conversation) as Trackwatch stores and matches it. Ids of up to
    // kMaxIdLength UTF-16 units are kept as they are; a longer one becomes its first
    // kIdPrefixLength units, "~sha256:" and the SHA-256 (hex) of the whole id in UTF-8: short
    // enough for every index on both databases (PostgreSQL's B-tree refuses entries over 2,704
    // bytes), the same on both, and stable, so a reply to a long-id message still matches.
    // Idempotent.
    static constexpr qsizetype kMaxIdLength = 512;
    static constexpr qsizetype kIdPrefixLength = 400;
    static QString storageId(QString id);

    // All ids in a header value such as In-Reply-To or References, normalized, in order.
    static QStringList parseIdList(QStringView value);

    // Subject without reply/forward prefixes (Re:, RE[2]:, Fwd:, FW:, AW:, WG:, SV:, ...)
    // and surrounding space, with inner runs of space collapsed.
    static QString normalizeSubject(QStringView subject);

    // Decodes RFC 2047 encoded words (B and Q, any charset Qt knows) in a header value.
    static QString decodeEncodedWords(QByteArrayView value);
};

} // namespace trackwatch::core
