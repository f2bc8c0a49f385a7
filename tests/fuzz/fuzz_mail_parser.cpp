// SPDX-License-Identifier: MIT
// libFuzzer harness: one message for MailParser::parse, and the same bytes for the header-value
// helpers (encoded words, id lists, subjects), which also run on every header the parser sees.

#include "fuzz_input.h"
#include "tracking/mail_parser.h"

using trackwatch::core::MailParser;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArrayView raw = trackwatch::fuzz::bytes(data, size);

    const auto parsed = MailParser::parse(raw);
    if (parsed) {
        // A parsed message has what the parser promises to refuse it without.
        TRACKWATCH_FUZZ_ASSERT(!parsed->messageId.isEmpty());
        TRACKWATCH_FUZZ_ASSERT(!parsed->sender.isEmpty());
        for (const QString& id : parsed->inReplyTo + parsed->references) {
            TRACKWATCH_FUZZ_ASSERT(!id.isEmpty());
        }
    } else {
        TRACKWATCH_FUZZ_ASSERT(!parsed.error().message.isEmpty());
    }

    const QString value = MailParser::decodeEncodedWords(raw);
    const QString subject = MailParser::normalizeSubject(value);
    // Normalizing a normalized subject changes nothing.
    TRACKWATCH_FUZZ_ASSERT(MailParser::normalizeSubject(subject) == subject);
    for (const QString& id : MailParser::parseIdList(value)) {
        TRACKWATCH_FUZZ_ASSERT(!id.isEmpty());
    }
    MailParser::normalizeMessageId(value);
    return 0;
}
