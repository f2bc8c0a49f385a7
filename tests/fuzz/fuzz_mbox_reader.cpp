// SPDX-License-Identifier: MIT
// libFuzzer harness: an mbox stream for MboxReader, read to the end.

#include "fuzz_input.h"
#include "tracking/mbox_reader.h"

#include <QBuffer>

using trackwatch::core::MboxReader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    QByteArray input = trackwatch::fuzz::bytes(data, size).toByteArray();
    QBuffer device(&input);
    if (!device.open(QIODevice::ReadOnly)) {
        return 0;
    }
    MboxReader::looksLikeMbox(input);
    MboxReader reader(&device);
    QByteArray message;
    qint64 lastPosition = 0;
    qsizetype messages = 0;
    while (reader.next(&message)) {
        // Every message holds at least one line: the reader never loops without consuming.
        TRACKWATCH_FUZZ_ASSERT(reader.position() > lastPosition);
        TRACKWATCH_FUZZ_ASSERT(reader.position() <= input.size());
        TRACKWATCH_FUZZ_ASSERT(message.size() <= input.size());
        lastPosition = reader.position();
        TRACKWATCH_FUZZ_ASSERT(++messages <= input.size());
    }
    return 0;
}
