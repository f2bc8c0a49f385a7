// SPDX-License-Identifier: MIT
#include "tracking/mbox_reader.h"

#include <QRegularExpression>

#include <utility>

namespace trackwatch::core {
namespace {

constexpr QByteArrayView kSeparator = "From ";

bool isEmptyLine(QByteArrayView line) {
    return line == "\n" || line == "\r\n";
}

// mboxrd: a line matching ^>+From  was escaped by the writer; one '>' comes off.
void appendUnescaped(QByteArray* message, const QByteArray& line) {
    if (line.startsWith('>')) {
        qsizetype quotes = 0;
        while (quotes < line.size() && line[quotes] == '>') {
            ++quotes;
        }
        if (QByteArrayView(line).sliced(quotes).startsWith(kSeparator)) {
            message->append(QByteArrayView(line).sliced(1));
            return;
        }
    }
    message->append(line);
}

// Whether a "From " line that follows no blank line is still an envelope line: "From " then a
// sender, and the asctime date that mbox writers put there (a time of day and a year), as in
// "From alice@example.com Mon Jan  1 00:00:00 2024". Body text that merely starts with "From "
// seldom has both.
bool looksLikeEnvelope(QByteArrayView line) {
    static const QRegularExpression envelope(
        QStringLiteral(R"(^From \S+ +.*\b\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\b)"));
    return envelope.match(QString::fromLatin1(line)).hasMatch();
}

} // namespace

MboxReader::MboxReader(QIODevice* device)
    : m_device(device) {}

bool MboxReader::next(QByteArray* message) {
    if (m_device == nullptr || message == nullptr) {
        return false;
    }
    message->clear();

    // The first line of this message: the separator read ahead by the previous call or, on the
    // first call, the first line that is not blank.
    QByteArray line;
    if (!m_pendingLine.isEmpty()) {
        line = std::exchange(m_pendingLine, QByteArray());
    } else if (!m_started) {
        m_started = true;
        for (line = m_device->readLine(); isEmptyLine(line); line = m_device->readLine()) {
            m_position += line.size();
        }
    }
    if (line.isEmpty()) {
        return false; // end of input
    }
    if (line.startsWith(kSeparator)) {
        m_position += line.size(); // the separator is not part of the message
        line = m_device->readLine();
    }

    bool previousEmpty = false;
    qsizetype lastLineSize = 0;
    while (!line.isEmpty()) {
        if (line.startsWith(kSeparator) && (previousEmpty || looksLikeEnvelope(line))) {
            if (!previousEmpty) {
                // A writer that left out the blank line: split here, and say so.
                m_warnings << QStringLiteral("offset %1: a 'From ' line without a blank line "
                                             "before it starts a new message")
                                  .arg(m_position);
            }
            m_pendingLine = line; // next message; counted when that message is read
            break;
        }
        m_position += line.size();
        previousEmpty = isEmptyLine(line);
        lastLineSize = line.size();
        appendUnescaped(message, line);
        line = m_device->readLine();
    }
    // The blank line that separates messages (or ends the file) is not part of the body.
    if (previousEmpty) {
        message->chop(lastLineSize);
    }
    return true;
}

bool MboxReader::looksLikeMbox(QByteArrayView head) {
    return head.startsWith(kSeparator);
}

} // namespace trackwatch::core
