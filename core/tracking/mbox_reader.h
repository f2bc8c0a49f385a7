// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QIODevice>

namespace trackwatch::core {

// Reads messages one at a time from an mbox stream (mboxrd and mboxo: a line starting with
// "From " after an empty line or at the start begins a message; ">From " lines lose one '>').
// Works on LF and CRLF files. Does not own the device. Not thread-safe.
class MboxReader {
public:
    explicit MboxReader(QIODevice* device);

    // Next message's raw bytes (without the "From " separator line). False at end of input.
    bool next(QByteArray* message);

    // Bytes consumed so far, for progress reporting.
    qint64 position() const { return m_position; }

    // Whether data looks like an mbox (starts with "From ").
    static bool looksLikeMbox(QByteArrayView head);

private:
    QIODevice* m_device;
    QByteArray m_pendingLine;
    qint64 m_position = 0;
    bool m_started = false;
};

} // namespace trackwatch::core
