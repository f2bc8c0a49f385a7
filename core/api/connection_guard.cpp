// SPDX-License-Identifier: MIT
#include "api/connection_guard.h"

#include "api/api_parsing.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <memory>

namespace trackwatch::core::detail {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kMaxHead = 64 * 1024;
constexpr qint64 kMaxDiscard = 64 << 20;

QByteArray reason(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Error";
    }
}

} // namespace

// One connection as the listener follows it. Offsets count from the start of the current
// request (the first byte after the previous answer's request).
struct ConnectionGuard::Connection {
    QByteArray head;            // the request's first bytes, copied until its head is read
    qint64 consumed = 0;        // bytes of the request the server has read
    qint64 availableBefore = 0; // bytesAvailable() as the server's handler started
    qint64 toWriteBefore = 0;   // bytesToWrite() then: more afterwards means it answered
    bool headRead = false;      // the head was checked
    bool chunked = false;       // its length is unknown: the limit counts what arrives
    bool closeAfter = false;    // the connection closes after its answer
    bool refused = false;       // answered here or closing: what comes is discarded
    qint64 discardLeft = 0;     // refused: bytes still expected before closing
    QTimer* idle = nullptr;     // owned by the socket
};

ConnectionGuard::ConnectionGuard(qint64 maxBody, std::chrono::milliseconds idleTimeout,
                                 std::function<void(int)> onRefused, QObject* parent)
    : QTcpServer(parent)
    , m_maxBody(maxBody)
    , m_idleTimeout(idleTimeout)
    , m_onRefused(std::move(onRefused)) {}

ConnectionGuard::~ConnectionGuard() = default;

void ConnectionGuard::incomingConnection(qintptr descriptor) {
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    auto state = std::make_shared<Connection>();
    if (m_idleTimeout.count() > 0) {
        state->idle = new QTimer(socket);
        state->idle->setSingleShot(true);
        state->idle->setInterval(m_idleTimeout);
        connect(state->idle, &QTimer::timeout, socket, [socket] {
            // Nothing read or written for the whole timeout: a reader that stopped reading
            // loses what is left to write.
            if (socket->bytesToWrite() > 0) {
                socket->abort();
            } else {
                socket->disconnectFromHost();
            }
        });
        connect(socket, &QTcpSocket::bytesWritten, state->idle,
                [timer = state->idle](qint64) { timer->start(); });
        state->idle->start();
    }
    // Connected before the server's own handler, so it runs first on every read...
    connect(socket, &QTcpSocket::readyRead, socket,
            [this, socket, state] { before(*socket, *state); });
    // ... which QHttpServer connects as it takes the connection (pendingConnectionAvailable)...
    addPendingConnection(socket);
    // ... and this one runs after it.
    connect(socket, &QTcpSocket::readyRead, socket,
            [this, socket, state] { after(*socket, *state); });
}

void ConnectionGuard::before(QTcpSocket& socket, Connection& c) {
    if (c.idle) {
        c.idle->start();
    }
    const qint64 available = socket.bytesAvailable();
    if (c.refused) {
        c.discardLeft -= socket.skip(available);
        if (c.discardLeft <= 0) {
            socket.disconnectFromHost();
        }
        return;
    }
    if (!c.headRead) {
        checkHead(socket, c, available);
    } else if (c.chunked && c.consumed + available > m_maxBody + kMaxHead) {
        refuse(socket, c, 413,
               u"the chunked body has over %1 bytes, over the limit of %2"_s
                   .arg(c.consumed + available - kMaxHead)
                   .arg(m_maxBody),
               0);
    }
    c.availableBefore = socket.bytesAvailable();
    c.toWriteBefore = socket.bytesToWrite();
}

void ConnectionGuard::checkHead(QTcpSocket& socket, Connection& c, qint64 available) {
    // The server reads only what arrived, and this copies all that arrived before it reads:
    // the copy always covers what the server has taken from the buffer.
    const qint64 arrived = c.consumed + available;
    if (c.head.size() < c.consumed) {
        c.headRead = true; // never happens; then only the running total is checked
        c.chunked = true;
        return;
    }
    // Copied in growing steps: with many requests pipelined, the buffer holds far more than
    // this request's head.
    const qint64 wanted = std::min(arrived, kMaxHead);
    qsizetype length = api::requestHeadLength(c.head);
    while (length < 0 && c.head.size() < wanted) {
        const qint64 upTo = std::min(wanted, std::max<qint64>(c.head.size() * 2, 1024));
        const QByteArray more = socket.peek(upTo - c.consumed).mid(c.head.size() - c.consumed);
        if (more.isEmpty()) {
            break;
        }
        c.head += more;
        length = api::requestHeadLength(c.head);
    }
    if (length < 0) {
        if (c.head.size() >= kMaxHead) {
            refuse(socket, c, 431, u"the request's head is over %1 bytes"_s.arg(kMaxHead), 0);
        }
        return;
    }
    auto head = api::parseRequestHead(QByteArrayView(c.head).first(length));
    if (!head) {
        refuse(socket, c, 400, head.error().message, 0);
        return;
    }
    const qint64 body = head->contentLength.value_or(0);
    if (body > m_maxBody) {
        refuse(socket, c, 413,
               u"the body has %1 bytes, over the limit of %2"_s.arg(body).arg(m_maxBody),
               body - (arrived - length));
        return;
    }
    c.headRead = true;
    c.chunked = head->chunked;
    c.closeAfter = head->closeAfter;
    c.head.clear();
}

void ConnectionGuard::after(QTcpSocket& socket, Connection& c) {
    if (c.refused) {
        return;
    }
    const qint64 available = socket.bytesAvailable();
    c.consumed += std::max<qint64>(0, c.availableBefore - available);
    c.availableBefore = available;
    if (socket.bytesToWrite() <= c.toWriteBefore) {
        return; // no answer yet: the request is still arriving
    }
    // The server answered the request (it answers one per read, once it has it whole): the
    // next one starts with what it has not read.
    const bool close = c.closeAfter;
    QTimer* idle = c.idle;
    c = Connection{};
    c.idle = idle;
    if (close) {
        c.refused = true;
        (void)socket.skip(available);
        socket.disconnectFromHost(); // after what is written has gone
        return;
    }
    socket.flush(); // before a half-closed client's end of stream is read and closes the socket
}

void ConnectionGuard::refuse(QTcpSocket& socket, Connection& c, int status, const QString& message,
                             qint64 discard) {
    c.refused = true;
    c.discardLeft = discard <= kMaxDiscard ? discard : 0;
    (void)socket.skip(socket.bytesAvailable()); // the server never sees this request
    const QByteArray body =
        QJsonDocument(
            QJsonObject{{u"error"_s, QJsonObject{{u"status"_s, status}, {u"message"_s, message}}}})
            .toJson(QJsonDocument::Compact);
    socket.write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason(status) +
                 "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    if (c.discardLeft <= 0) {
        socket.disconnectFromHost();
    } else {
        socket.flush();
    }
    if (m_onRefused) {
        m_onRefused(status);
    }
}

} // namespace trackwatch::core::detail
