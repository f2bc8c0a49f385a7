// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "engine/engine.h"
#include "storage/connection_spec.h"
#include "tracking/email_query_service.h"

#include <QHostAddress>
#include <QObject>
#include <QThread>

#include <memory>
#include <mutex>

namespace trackwatch::core {

struct ApiConfig {
    QHostAddress address = QHostAddress(QHostAddress::LocalHost); // loopback unless told
    quint16 port = 0; // 0: any free port (start() says which)
    QString token;    // bearer token for routes that change anything; empty: refused
    qint64 maxBodyBytes = 1 << 20;
};

namespace detail {
class ApiWorker;
}

// The engine's HTTP API (the seed's endpoints), on a thread of its own with its own database
// connection, so a slow request never holds up ingestion and a long tick never holds up a
// request. Queries go through the engine's guards and query cache (EmailQueryService); the
// health comes from the engine's latest snapshot.
//   GET /api/emails/tracked    account, status, since, limit, cursor (keyset paging)
//   GET /api/emails/analytics  account (optional), since, until
//   GET /api/health/performance  200 healthy or degraded, 503 unhealthy, the same JSON
//   GET /metrics               the engine's metrics in the Prometheus text format
// Every error is a JSON body {"error": {"status", "message"}} with a 4xx or 5xx status; unknown
// parameters are refused. Create, start and destroy it on one thread; setSnapshot() from any.
class ApiServer : public QObject {
    Q_OBJECT
public:
    ApiServer(ApiConfig config, ConnectionSpec connection, EngineQueryContext queries,
              QObject* parent = nullptr);
    ~ApiServer() override;

    // Starts the thread, opens the database and listens. Returns the port.
    Result<quint16> start();

public slots:
    void setSnapshot(const trackwatch::core::EngineSnapshot& snapshot);

private:
    ApiConfig m_config;
    ConnectionSpec m_connection;
    EngineQueryContext m_queries;
    QThread m_thread;
    detail::ApiWorker* m_worker = nullptr;
};

} // namespace trackwatch::core
