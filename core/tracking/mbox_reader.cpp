// SPDX-License-Identifier: MIT
#include "tracking/mbox_reader.h"

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
        if (previousEmpty && line.startsWith(kSeparator)) {
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
