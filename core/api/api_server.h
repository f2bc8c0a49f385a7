// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "engine/engine.h"
#include "storage/connection_spec.h"
#include "tracking/email_query_service.h"
#include "tracking/ingestion_engine.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QProcessEnvironment>
#include <QThread>

#include <chrono>
#include <memory>
#include <mutex>

namespace trackwatch::core {

struct ApiConfig {
    QHostAddress address = QHostAddress(QHostAddress::LocalHost); // loopback unless told
    quint16 port = 0; // 0: any free port (start() says which)
    QString token;    // bearer token for routes that change anything; empty: refused (401)
    qint64 maxBodyBytes = 1 << 20; // larger request bodies are refused (413)
    // A connection with nothing read or written for this long is closed (0: never).
    std::chrono::milliseconds idleTimeout{30'000};
    // The secret of the mail provider's change-notification subscriptions: every notification
    // must carry it as its clientState. Empty: every notification is refused (403).
    QString clientState;
    // POST /api/emails/sync ingests with these (batch size, tracking days); the path (batch or
    // legacy) is the control plane's enableBatchIngestion at the time of the request.
    IngestionOptions ingestion;
    std::shared_ptr<const Clock> clock; // null: the system clock
};

namespace detail {
class ApiWorker;
}

// The engine's HTTP API (the seed's endpoints), on a thread of its own with its own database
// connection, so a slow request never holds up ingestion and a long tick never holds up a
// request. Queries go through the engine's guards and query cache (EmailQueryService); the
// health comes from the engine's latest snapshot.
//   GET  /api/emails/tracked      account, status, since, limit, cursor (keyset paging)
//   GET  /api/emails/analytics    account (optional), since, until
//   GET  /api/health/performance  200 healthy or degraded, 503 unhealthy, the same JSON
//   GET  /api/health/live         200 {"status": "live"} while the process answers (no database)
//   GET  /metrics                 the engine's metrics in the Prometheus text format
//   POST /api/emails/sync         bearer token; {"account", "since"?}: ingests the messages of
//                                 that mailbox at the mail source not ingested yet; 200 counts
//   POST /api/webhooks/mail       Microsoft Graph's change-notification contract: with
//                                 ?validationToken=T answers 200 text/plain T; otherwise
//                                 {"value": [notification, ...]}, each with the configured
//                                 clientState (else 403, nothing stored), stored as webhook
//                                 jobs in one transaction and answered 202; no ingestion here
// Every error is a JSON body {"error": {"status", "message"}} with a 4xx or 5xx status, unknown
// routes (404) and methods (405) included; unknown parameters and body fields are refused
// (400), bodies over maxBodyBytes too (413), a missing or wrong bearer token on a route that
// changes anything gets 401. Connections follow HTTP/1.1 (detail::ConnectionGuard): pipelined
// requests are each judged alone, "Connection: close" and HTTP/1.0 close after the answer, idle
// connections close after idleTimeout. Every route is counted by route and status in the
// engine's metrics: requests in trackwatch_api_requests (timed), health and metrics scrapes in
// trackwatch_api_scrapes, so pollers never weigh in the error rate. Create, start and destroy
// it on one thread; setSnapshot() from any.
class ApiServer : public QObject {
    Q_OBJECT
public:
    ApiServer(ApiConfig config, ConnectionSpec connection, EngineQueryContext queries,
              QObject* parent = nullptr);
    ~ApiServer() override;

    // Starts the thread, opens the database and listens. Returns the port.
    Result<quint16> start();

    // <data directory>/api-token: the bearer token trackwatchd generates when neither the
    // configuration (api.token) nor TRACKWATCH_API_TOKEN gives one. Clients on the same host
    // (trackwatchctl loadtest) read it from here.
    static QString defaultTokenPath();
    // <data directory>/api-client-state: the same for the webhook clientState.
    static QString defaultClientStatePath();
    // The secret stored in a file (its first line, trimmed). NotFound when the file is missing,
    // ParseError when it is empty.
    static Result<QString> readSecretFile(const QString& path);
    // The secret in the file, or a new random one (43 characters, base64url) written there with
    // mode 0600 when there is none. Safe when several processes start at once: the file is
    // created whole by a link, so they all end with the same secret.
    static Result<QString> readOrCreateSecretFile(const QString& path);

    // Fills config.token, config.clientState and config.maxBodyBytes from the configuration
    // file's "api" section (api.token, api.clientState: strings of at least 16 characters;
    // api.maxBodyBytes: 1 to 1 GiB), else the environment (TRACKWATCH_API_TOKEN,
    // TRACKWATCH_CLIENT_STATE), else readOrCreateSecretFile(tokenPath / clientStatePath).
    // Returns where the token and clientState came from, for a log line.
    static Result<QString> configure(ApiConfig& config, const QJsonObject& settings,
                                     const QProcessEnvironment& env,
                                     const QString& tokenPath = defaultTokenPath(),
                                     const QString& clientStatePath = defaultClientStatePath());

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
