// SPDX-License-Identifier: MIT
#pragma once

#include <QTcpServer>

#include <chrono>
#include <functional>

class QTcpSocket;

namespace trackwatch::core::detail {

// The HTTP API's listener. QHttpServer 6.4 holds a request's whole body in memory before any
// handler sees it, answers every request on a connection it keeps open for ever, and reads one
// request per readyRead. This listener follows each connection's requests ahead of it, from
// their heads (api::parseRequestHead), and:
//   - refuses at once, with a JSON error and the connection closed, a head that announces a
//     body over maxBody (413), a head with conflicting or malformed framing (400, so that no
//     proxy and this server disagree on where a request ends), a head over 64 KiB (431), and a
//     chunked request that sends more than maxBody without being answered (413);
//   - judges each pipelined request alone: the limits count a request's own bytes;
//   - closes the connection after the answer to "Connection: close" or to HTTP/1.0 without
//     keep-alive, and after idleTimeout with nothing read or written;
//   - writes each answer out at once, so a client that half-closed after its request still
//     gets it.
// It must be bound to the QHttpServer (bind()) before the first connection arrives: its
// handlers run on each socket just before and just after the server's own. Lives on one thread.
class ConnectionGuard final : public QTcpServer {
public:
    // onRefused(status) runs for each request this listener answers itself.
    ConnectionGuard(qint64 maxBody, std::chrono::milliseconds idleTimeout,
                    std::function<void(int status)> onRefused, QObject* parent = nullptr);
    ~ConnectionGuard() override;

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    struct Connection;
    void before(QTcpSocket& socket, Connection& c);
    void after(QTcpSocket& socket, Connection& c);
    void checkHead(QTcpSocket& socket, Connection& c, qint64 available);
    void refuse(QTcpSocket& socket, Connection& c, int status, const QString& message,
                qint64 discard);

    qint64 m_maxBody;
    std::chrono::milliseconds m_idleTimeout;
    std::function<void(int)> m_onRefused;
};

} // namespace trackwatch::core::detail
