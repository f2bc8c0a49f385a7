// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QStringList>

namespace trackwatch::core {

// Reads messages one at a time from an mbox stream (mboxrd and mboxo: a line starting with
// "From " after an empty line or at the start begins a message; ">From " lines lose one '>').
// A "From " line with no blank line before it begins a message too when it looks like an
// envelope line (a sender, a time of day and a year); each such split adds a warning.
// Works on LF and CRLF files. Does not own the device. Not thread-safe.
class MboxReader {
public:
    explicit MboxReader(QIODevice* device);

    // Next message's raw bytes (without the "From " separator line). False at end of input.
    bool next(QByteArray* message);

    // Bytes consumed so far, for progress reporting.
    qint64 position() const { return m_position; }

    // What was odd in the input so far, one line each ("offset N: ..."), in order.
    const QStringList& warnings() const { return m_warnings; }

    // Whether data looks like an mbox (starts with "From ").
    static bool looksLikeMbox(QByteArrayView head);

private:
    QIODevice* m_device;
    QByteArray m_pendingLine;
    qint64 m_position = 0;
    bool m_started = false;
    QStringList m_warnings;
};

} // namespace trackwatch::core
