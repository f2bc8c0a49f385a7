// SPDX-License-Identifier: MIT
#include "api/api_server.h"
#include "api/api_parsing.h"
#include "api/connection_guard.h"
#include "cache/invalidation_channel.h"
#include "common/logging.h"
#include "control/control_plane.h"
#include "engine/command_line.h"
#include "metrics/metrics_registry.h"
#include "storage/database.h"
#include "storage/reconnector.h"
#include "storage/tracked_email_repository.h"
#include "tracking/mail_parser.h"
#include "webhooks/webhook_queue.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlQuery>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace detail {

using Http = QHttpServerResponder::StatusCode;

namespace {

QJsonObject errorBody(Http status, const QString& message) {
    return QJsonObject{{u"error"_s, QJsonObject{{u"status"_s, static_cast<int>(status)},
                                                {u"message"_s, message}}}};
}

QHttpServerResponse error(Http status, const QString& message) {
    return QHttpServerResponse(errorBody(status, message), status);
}

QHttpServerResponse error(const Error& e) {
    switch (e.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::ParseError:
        return error(Http::BadRequest, e.message);
    case ErrorCode::NotFound:
        return error(Http::NotFound, e.message);
    case ErrorCode::Conflict:
        return error(Http::Conflict, e.message);
    case ErrorCode::DatabaseError:
    case ErrorCode::Unavailable:
    case ErrorCode::SchemaTooNew:
        break;
    }
    return error(Http::ServiceUnavailable, e.message);
}

QJsonValue timeJson(const QDateTime& t) {
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

QJsonValue textOrNull(const QString& s) {
    return s.isEmpty() ? QJsonValue() : QJsonValue(s);
}

QJsonValue numberOrNull(const std::optional<double>& v) {
    return v ? QJsonValue(*v) : QJsonValue();
}

QJsonObject emailJson(const TrackedEmailRow& r) {
    return QJsonObject{{u"id"_s, r.id},
                       {u"account"_s, r.account},
                       {u"messageId"_s, r.messageId},
                       {u"conversationId"_s, textOrNull(r.conversationId)},
                       {u"subject"_s, r.subject},
                       {u"sender"_s, r.sender},
                       {u"recipients"_s, r.recipients},
                       {u"sentAt"_s, timeJson(r.sentAt)},
                       {u"status"_s, r.status},
                       {u"responseCount"_s, r.responseCount},
                       {u"repliedAt"_s, timeJson(r.repliedAt)},
                       {u"replySender"_s, textOrNull(r.replySender)},
                       {u"matchMethod"_s, textOrNull(r.matchMethod)},
                       {u"statusChangedAt"_s, timeJson(r.statusChangedAt)}};
}

QByteArray header(const QHttpServerRequest& request, QByteArrayView name) {
    for (const auto& [key, value] : request.headers()) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

QString randomSecret() {
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()),
                           static_cast<qsizetype>(sizeof(words)));
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

// A secret from the "api" section: absent (empty), or a string of at least 16 characters.
Result<QString> configuredSecret(const QJsonObject& api, const QString& key) {
    const QJsonValue v = api.value(key);
    if (v.isUndefined() || v.isNull()) {
        return QString();
    }
    const QString s = v.toString().trimmed();
    if (!v.isString() || s.size() < 16 || s.contains(u' ')) {
        return Error{ErrorCode::InvalidArgument,
                     u"api.%1: a string of at least 16 characters without spaces"_s.arg(key)};
    }
    return s;
}

} // namespace

// Lives on the API thread and owns everything used there.
class ApiWorker : public QObject {
    Q_OBJECT
public:
    ApiWorker(ApiConfig config, ConnectionSpec connection, EngineQueryContext queries)
        : m_config(std::move(config))
        , m_connection(std::move(connection))
        , m_queries(std::move(queries)) {}

    Result<quint16> initialize() {
        auto db = Database::open(m_connection);
        if (!db) {
            return db.error();
        }
        m_db = std::move(db).value();
        if (m_queries.metrics) {
            m_db->setMetrics(m_queries.metrics); // the API's statements join the engine's figures
        }
        if (!m_config.clock) {
            m_config.clock = std::make_shared<SystemClock>();
        }
        m_link = std::make_unique<Reconnector>(*m_db, *m_config.clock);
        m_service = std::make_unique<EmailQueryService>(
            *m_db, m_queries.cache.get(),
            EmailQueryService::Guards{m_queries.queries, m_queries.caching});
        m_ingestion = std::make_unique<IngestionEngine>(*m_db, *m_config.clock, m_config.ingestion);
        m_control = std::make_unique<ControlPlane>(*m_db, *m_config.clock);
        m_queue = std::make_unique<WebhookQueue>(*m_db, *m_config.clock);
        m_invalidations = std::make_unique<CacheInvalidationChannel>(
            *m_db, *m_config.clock, u"api-"_s + randomSecret().left(12));
        m_server = std::make_unique<QHttpServer>();
        route(u"/api/emails/tracked"_s, QHttpServerRequest::Method::Get, Access::Open,
              [this](const QHttpServerRequest& r) { return tracked(r); });
        route(u"/api/emails/analytics"_s, QHttpServerRequest::Method::Get, Access::Open,
              [this](const QHttpServerRequest& r) { return analytics(r); });
        route(u"/api/emails/sync"_s, QHttpServerRequest::Method::Post, Access::Token,
              [this](const QHttpServerRequest& r) { return sync(r); });
        // Graph cannot send a bearer token: the clientState in each notification is its secret.
        route(u"/api/webhooks/mail"_s, QHttpServerRequest::Method::Post, Access::Open,
              [this](const QHttpServerRequest& r) { return mailNotifications(r); });
        route(u"/api/health/performance"_s, QHttpServerRequest::Method::Get, Access::Scrape,
              [this](const QHttpServerRequest&) { return health(); });
        route(u"/api/health/live"_s, QHttpServerRequest::Method::Get, Access::Scrape,
              [](const QHttpServerRequest&) {
                  return QHttpServerResponse(QJsonObject{{u"status"_s, u"live"_s}});
              });
        route(u"/metrics"_s, QHttpServerRequest::Method::Get, Access::Scrape,
              [this](const QHttpServerRequest&) {
                  if (!m_queries.metrics) {
                      return error(Http::NotFound, u"this server has no metrics"_s);
                  }
                  return QHttpServerResponse(QByteArray(MetricsRegistry::kPrometheusContentType),
                                             m_queries.metrics->prometheusText());
              });
        // Unknown paths, and methods QHttpServer does not route at all: the JSON error too.
        m_server->setMissingHandler(
            [this](const QHttpServerRequest& r, QHttpServerResponder&& responder) {
                const QString path = r.url().path();
                const bool known = m_routes.contains(path);
                const Http status = known ? Http::MethodNotAllowed : Http::NotFound;
                count(Counter::Requests, known ? path : u"(no route)"_s, status);
                error(status, known ? u"%1 does not take this method"_s.arg(path)
                                    : u"no such route: %1"_s.arg(path.left(200)))
                    .write(std::move(responder));
            });
        auto* listener = new ConnectionGuard(
            m_config.maxBodyBytes, m_config.idleTimeout,
            [this](int status) { count(Counter::Requests, u"(before routing)"_s, Http(status)); },
            m_server.get());
        quint16 port = 0;
        if (listener->listen(m_config.address, m_config.port)) {
            m_server->bind(listener);
            port = listener->serverPort();
        }
        if (port == 0) {
            return Error{
                ErrorCode::Unavailable,
                u"cannot listen on %1:%2"_s.arg(m_config.address.toString()).arg(m_config.port)};
        }
        logging::get("core.api")->info("HTTP API on {}:{}", m_config.address.toString(), port);
        return port;
    }

    void shutdown() {
        m_server.reset();
        m_invalidations.reset();
        m_queue.reset();
        m_control.reset();
        m_ingestion.reset();
        m_service.reset();
        m_link.reset();
        m_db.reset();
    }

    void setSnapshot(const EngineSnapshot& snapshot) {
        std::lock_guard lock(m_snapshotMutex);
        m_snapshot = snapshot;
    }

private:
    // Open: anyone; Token: the bearer token; Scrape: anyone, and counted apart from the
    // requests (health and metrics pollers must not weigh in the engine's error rate).
    enum class Access { Open, Token, Scrape };

    enum class Counter { Requests, Scrapes };

    // Counts an answer: requests in trackwatch_api_requests (whose 5xx the engine's error rate
    // counts), scrapes in trackwatch_api_scrapes.
    void count(Counter counter, const QString& route, Http status) {
        if (!m_queries.metrics) {
            return;
        }
        const bool scrape = counter == Counter::Scrapes;
        m_queries.metrics
            ->counter(
                scrape ? u"trackwatch_api_scrapes"_s : u"trackwatch_api_requests"_s,
                {{u"route"_s, route}, {u"status"_s, QString::number(static_cast<int>(status))}},
                scrape ? u"HTTP API health and metrics scrapes by route and status (apart from "
                         u"trackwatch_api_requests and the error rate)"_s
                       : u"HTTP API requests by route and status (health and metrics scrapes "
                         u"are in trackwatch_api_scrapes)"_s)
            .increment();
    }

    // Every route is timed and counted by route and status in the engine's metrics. Routes that
    // change anything need the bearer token; every route refuses bodies over the limit.
    template <typename Handler>
    void route(const QString& path, QHttpServerRequest::Method method, Access access,
               Handler handler) {
        m_routes.insert(path);
        m_server->route(path, method, [this, path, access, handler](const QHttpServerRequest& r) {
            const auto started = std::chrono::steady_clock::now();
            QHttpServerResponse response = [&] {
                if (access == Access::Token) {
                    if (auto refused = checkToken(r)) {
                        return std::move(*refused);
                    }
                }
                if (r.body().size() > m_config.maxBodyBytes) {
                    return error(
                        Http::PayloadTooLarge,
                        u"the body has %1 bytes, over the limit of %2"_s.arg(r.body().size())
                            .arg(m_config.maxBodyBytes));
                }
                // Scrapes read no table. Other routes wait out an outage with a 503 that says
                // since when and when the next reconnect is due (Retry-After).
                if (access != Access::Scrape && !m_link->ready()) {
                    return unreachable();
                }
                return handler(r);
            }();
            if (m_queries.metrics && access != Access::Scrape) {
                m_queries.metrics
                    ->histogram(u"trackwatch_api_request_duration_seconds"_s, {{u"route"_s, path}},
                                u"HTTP API request time"_s)
                    .record(std::chrono::steady_clock::now() - started);
            }
            count(access == Access::Scrape ? Counter::Scrapes : Counter::Requests, path,
                  response.statusCode());
            return response;
        });
        // Every other method on a known path: 405 with the JSON error body.
        m_server->route(
            path, QHttpServerRequest::Method::AnyKnown, [this, path](const QHttpServerRequest&) {
                count(Counter::Requests, path, Http::MethodNotAllowed);
                return error(Http::MethodNotAllowed, u"%1 does not take this method"_s.arg(path));
            });
    }

    QHttpServerResponse unreachable() const {
        QHttpServerResponse response = error(Http::ServiceUnavailable, m_link->describe());
        const qint64 wait = m_config.clock->now().msecsTo(m_link->outage()->nextAttempt) / 1000 + 1;
        response.setHeader("Retry-After", QByteArray::number(std::max<qint64>(1, wait)));
        return response;
    }

    // 401 unless the request carries "Authorization: Bearer <the configured token>".
    std::optional<QHttpServerResponse> checkToken(const QHttpServerRequest& request) const {
        const QByteArray value = header(request, "authorization").trimmed();
        QString message;
        if (m_config.token.isEmpty()) {
            message = u"this server has no API token configured and refuses every change"_s;
        } else if (value.isEmpty()) {
            message = u"this route needs a bearer token (Authorization: Bearer <token>)"_s;
        } else if (value.left(7).compare("bearer ", Qt::CaseInsensitive) != 0) {
            message = u"the Authorization header is not a bearer token"_s;
        } else if (!api::sameSecret(value.mid(7).trimmed(), m_config.token.toUtf8())) {
            message = u"wrong bearer token"_s;
        } else {
            return std::nullopt;
        }
        QHttpServerResponse response = error(Http::Unauthorized, message);
        response.setHeader("WWW-Authenticate", "Bearer realm=\"trackwatch\"");
        return response;
    }

    QHttpServerResponse tracked(const QHttpServerRequest& request) {
        auto query = api::parseTrackedQuery(request.url());
        if (!query) {
            return error(query.error());
        }
        auto page = m_service->trackedEmails(*query);
        if (!page) {
            return error(page.error());
        }
        QJsonArray emails;
        for (const TrackedEmailRow& r : page->rows) {
            emails.append(emailJson(r));
        }
        return QHttpServerResponse(QJsonObject{
            {u"emails"_s, emails},
            {u"nextCursor"_s, page->hasMore ? QJsonValue(api::encodeCursor(page->rows.last().sentAt,
                                                                           page->rows.last().id))
                                            : QJsonValue()},
            {u"path"_s, page->path}});
    }

    QHttpServerResponse analytics(const QHttpServerRequest& request) {
        auto parsed = api::parseAnalyticsQuery(request.url(), QDateTime::currentDateTimeUtc());
        if (!parsed) {
            return error(parsed.error());
        }
        const AnalyticsQuery& query = *parsed;
        m_service->setUseMaterializedViews(
            m_queries.materializedViews ? m_queries.materializedViews->load() : true);
        auto result = m_service->analytics(query);
        if (!result) {
            return error(result.error());
        }
        QJsonArray hours;
        for (const AnalyticsRow& r : result->rows) {
            hours.append(QJsonObject{{u"hour"_s, timeJson(r.hour)},
                                     {u"sent"_s, r.sent},
                                     {u"replied"_s, r.replied},
                                     {u"bounced"_s, r.bounced},
                                     {u"expired"_s, r.expired},
                                     {u"replyRate"_s, r.replyRate},
                                     {u"medianReplySeconds"_s, numberOrNull(r.medianReply)},
                                     {u"p90ReplySeconds"_s, numberOrNull(r.p90Reply)}});
        }
        return QHttpServerResponse(QJsonObject{{u"account"_s, textOrNull(query.account)},
                                               {u"since"_s, timeJson(query.since)},
                                               {u"until"_s, timeJson(query.until)},
                                               {u"hours"_s, hours},
                                               {u"path"_s, result->path}});
    }

    // The seed's /health/performance: the engine's health with the reasons, its breakers and
    // its cache, 503 when unhealthy (and before the engine's first snapshot).
    QHttpServerResponse health() {
        std::optional<EngineSnapshot> s;
        {
            std::lock_guard lock(m_snapshotMutex);
            s = m_snapshot;
        }
        if (!s) {
            return error(Http::ServiceUnavailable, u"the engine has not reported yet"_s);
        }
        QJsonArray breakers;
        for (const GuardReport& g : s->guards) {
            breakers.append(QJsonObject{{u"operation"_s, g.operation},
                                        {u"state"_s, g.state},
                                        {u"optimized"_s, g.optimized},
                                        {u"legacy"_s, g.legacy},
                                        {u"fallbacks"_s, g.fallbacks}});
        }
        QJsonObject caches;
        for (const auto& [name, stats] : s->caches) {
            caches.insert(name, QJsonObject{{u"hitRate"_s, stats.hitRate},
                                            {u"hits"_s, static_cast<qint64>(stats.hits)},
                                            {u"misses"_s, static_cast<qint64>(stats.misses)},
                                            {u"entries"_s, stats.entries},
                                            {u"bytes"_s, stats.bytes}});
        }
        const QJsonObject body{{u"status"_s, s->health.state},
                               {u"reasons"_s, QJsonArray::fromStringList(s->health.reasons)},
                               {u"engineId"_s, s->engineId},
                               {u"controlVersion"_s, s->controlVersion},
                               {u"at"_s, timeJson(s->at)},
                               {u"emailsPerHour"_s, s->emailsPerHour},
                               {u"breakers"_s, breakers},
                               {u"caches"_s, caches}};
        return QHttpServerResponse(body, s->health.state == u"unhealthy" ? Http::ServiceUnavailable
                                                                         : Http::Ok);
    }

    // POST /api/emails/sync {"account", "since"?}: the mailbox's messages at the mail source
    // (stored since `since`, else all) that ingestion has not seen yet are ingested the way
    // the engine ingests (IngestionEngine, on the path enableBatchIngestion picks), oldest
    // first. fetched = ingested + duplicates + skipped. A mailbox the source has no message of
    // is an empty one (200, all zero).
    QHttpServerResponse sync(const QHttpServerRequest& request) {
        auto parsed = api::parseSyncRequest(request.url(), request.body());
        if (!parsed) {
            return error(parsed.error());
        }
        const QString account = parsed->account;
        const std::optional<QDateTime> since = parsed->since;

        // The mailbox at the source.
        QString sql = u"SELECT resource_id, raw FROM mail_source_messages WHERE account = ?"_s;
        QVariantList values{account};
        if (since) {
            sql += u" AND stored_at >= ?"_s;
            values << TrackedEmailRepository::timeValue(*since);
        }
        sql += u" ORDER BY stored_at, resource_id"_s;
        auto rows = m_db->exec(sql, values);
        if (!rows) {
            return error(rows.error());
        }
        qint64 fetched = 0;
        QList<Delivery> deliveries;
        QStringList skipped;
        while (rows->next()) {
            ++fetched;
            auto message = MailParser::parse(rows->value(1).toByteArray());
            if (!message) {
                skipped << u"%1: %2"_s.arg(rows->value(0).toString(), message.error().message);
                continue;
            }
            deliveries.append(Delivery{account, std::move(message).value()});
        }
        // What ingestion has seen already is not read again.
        auto seen = alreadyIngested(account, deliveries);
        if (!seen) {
            return error(seen.error());
        }
        QList<Delivery> fresh;
        for (const Delivery& d : deliveries) {
            if (!seen->contains(d.message.messageId)) {
                fresh.append(d);
            }
        }
        std::stable_sort(fresh.begin(), fresh.end(), [](const Delivery& a, const Delivery& b) {
            const qint64 ta = a.message.sentAt.isValid() ? a.message.sentAt.toMSecsSinceEpoch()
                                                         : std::numeric_limits<qint64>::max();
            const qint64 tb = b.message.sentAt.isValid() ? b.message.sentAt.toMSecsSinceEpoch()
                                                         : std::numeric_limits<qint64>::max();
            return ta < tb;
        });
        auto batch = m_control->flag(Flag::EnableBatchIngestion);
        if (!batch) {
            return error(batch.error());
        }
        IngestionStats partial;
        auto stats = m_ingestion->ingestOnPath(batch->enabled, fresh, &partial);
        const IngestionStats& done = stats ? *stats : partial;
        if (done.read > done.duplicates) {
            if (m_queries.cache) {
                m_queries.cache->invalidateAccount(account);
            }
            if (const Status s = m_invalidations->publish({account}); !s) {
                logging::get("core.api")
                    ->warn("cannot publish cache invalidations: {}", s.error().message);
            }
        }
        if (!stats) {
            return error(Http::ServiceUnavailable,
                         u"sync of %1 failed after %2 new messages were ingested: %3"_s.arg(account)
                             .arg(done.read - done.duplicates)
                             .arg(stats.error().message));
        }
        // Parse failures, and messages ingestion refused on their own (see IngestionStats).
        const qint64 skippedCount = skipped.size() + done.skipped;
        skipped += done.skipReasons;
        QJsonArray reasons;
        for (const QString& r : skipped.mid(0, 20)) {
            reasons.append(r);
        }
        return QHttpServerResponse(
            QJsonObject{{u"account"_s, account},
                        {u"since"_s, since ? timeJson(*since) : QJsonValue()},
                        {u"fetched"_s, fetched},
                        {u"ingested"_s, done.read - done.duplicates - done.skipped},
                        {u"duplicates"_s, static_cast<qint64>(seen->size()) + done.duplicates},
                        {u"skipped"_s, skippedCount},
                        {u"stored"_s, done.stored},
                        {u"replies"_s, done.replies()},
                        {u"bounces"_s, done.bounces()},
                        {u"autoReplies"_s, done.autoReplies},
                        {u"waiting"_s, done.repliesPending + done.bouncesPending},
                        {u"unmatched"_s, done.repliesUnmatched},
                        {u"path"_s, batch->enabled ? u"batch"_s : u"legacy"_s},
                        {u"skippedReasons"_s, reasons}});
    }

    // The message ids among `deliveries` that ingestion has seen: tracked sent mail and
    // recorded inbound mail of the account.
    Result<QSet<QString>> alreadyIngested(const QString& account,
                                          const QList<Delivery>& deliveries) {
        QSet<QString> seen;
        if (deliveries.isEmpty()) {
            return seen;
        }
        auto id = m_ingestion->repository().findAccount(account);
        if (!id) {
            return id.error();
        }
        if (!id->has_value()) {
            return seen;
        }
        constexpr qsizetype kIdsPerStatement = 400;
        for (qsizetype start = 0; start < deliveries.size(); start += kIdsPerStatement) {
            const qsizetype end = std::min(deliveries.size(), start + kIdsPerStatement);
            QString in;
            QVariantList ids;
            for (qsizetype i = start; i < end; ++i) {
                in += i > start ? u", ?"_s : u"?"_s;
                ids << deliveries[i].message.messageId;
            }
            QVariantList values{**id};
            values << ids << **id << ids;
            auto q = m_db->exec(u"SELECT internet_message_id FROM tracked_emails WHERE "
                                u"email_account_id = ? AND internet_message_id IN (%1) UNION ALL "
                                u"SELECT message_id FROM inbound_messages WHERE "
                                u"email_account_id = ? AND message_id IN (%1)"_s.arg(in),
                                values);
            if (!q) {
                return q.error();
            }
            while (q->next()) {
                seen.insert(q->value(0).toString());
            }
        }
        return seen;
    }

    // POST /api/webhooks/mail, Microsoft Graph's change-notification contract: the validation
    // handshake, then notifications checked against the clientState and stored as webhook jobs
    // (the shape the simulator's --via-webhooks announces: mailbox, resource id, change type)
    // in one transaction. The engine's webhook processors fetch and ingest them later.
    QHttpServerResponse mailNotifications(const QHttpServerRequest& request) {
        auto parsed = api::parseMailNotificationRequest(request.url(), request.body());
        if (!parsed) {
            return error(parsed.error());
        }
        if (parsed->validationToken) {
            QHttpServerResponse response(QByteArray("text/plain"),
                                         parsed->validationToken->toUtf8());
            response.setHeader("X-Content-Type-Options", "nosniff");
            return response;
        }
        // The secret first: a notification without it says nothing else worth an answer.
        if (!api::clientStatesMatch(parsed->items, m_config.clientState)) {
            return error(Http::Forbidden, u"clientState does not match the subscription's"_s);
        }
        auto read = api::parseMailNotifications(parsed->items);
        if (!read) {
            return error(read.error());
        }
        const QList<WebhookNotification>& notifications = read->notifications;
        const qint64 ignored = read->ignored;
        qint64 created = 0;
        if (!notifications.isEmpty()) {
            const Status s = m_db->transaction([&]() -> Status {
                auto r = m_queue->enqueueMany(notifications);
                if (!r) {
                    return r.error();
                }
                created = *r;
                return {};
            });
            if (!s) {
                return error(Http::ServiceUnavailable,
                             u"cannot store the notifications: "_s + s.error().message);
            }
        }
        return QHttpServerResponse(
            QJsonObject{{u"accepted"_s, static_cast<qint64>(notifications.size())},
                        {u"created"_s, created},
                        {u"ignored"_s, ignored}},
            Http::Accepted);
    }

    ApiConfig m_config;
    ConnectionSpec m_connection;
    EngineQueryContext m_queries;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<Reconnector> m_link; // keeps m_db usable across outages
    std::unique_ptr<EmailQueryService> m_service;
    std::unique_ptr<QHttpServer> m_server;
    std::unique_ptr<IngestionEngine> m_ingestion;
    std::unique_ptr<ControlPlane> m_control;
    std::unique_ptr<WebhookQueue> m_queue;
    std::unique_ptr<CacheInvalidationChannel> m_invalidations;
    QSet<QString> m_routes;
    std::mutex m_snapshotMutex;
    std::optional<EngineSnapshot> m_snapshot;
};

} // namespace detail

ApiServer::ApiServer(ApiConfig config, ConnectionSpec connection, EngineQueryContext queries,
                     QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_connection(std::move(connection))
    , m_queries(std::move(queries)) {
    m_thread.setObjectName(QStringLiteral("trackwatch-api"));
}

ApiServer::~ApiServer() {
    if (m_worker) {
        QMetaObject::invokeMethod(m_worker, &detail::ApiWorker::shutdown,
                                  Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
        delete m_worker;
    }
}

Result<quint16> ApiServer::start() {
    if (m_worker) {
        return Error{ErrorCode::Conflict, QStringLiteral("the API is already running")};
    }
    m_worker = new detail::ApiWorker(m_config, m_connection, m_queries);
    m_worker->moveToThread(&m_thread);
    m_thread.start();
    Result<quint16> port = Error{};
    QMetaObject::invokeMethod(
        m_worker, [&] { port = m_worker->initialize(); }, Qt::BlockingQueuedConnection);
    return port;
}

QString ApiServer::defaultTokenPath() {
    return QDir(EngineCommandLine::dataDirectory()).filePath(u"api-token"_s);
}

QString ApiServer::defaultClientStatePath() {
    return QDir(EngineCommandLine::dataDirectory()).filePath(u"api-client-state"_s);
}

Result<QString> ApiServer::readSecretFile(const QString& path) {
    QFile file(path);
    if (!file.exists()) {
        return Error{ErrorCode::NotFound, u"%1 does not exist"_s.arg(path)};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{ErrorCode::Unavailable, u"cannot read %1: %2"_s.arg(path, file.errorString())};
    }
    const QString secret = QString::fromUtf8(file.readLine(4096)).trimmed();
    if (secret.isEmpty()) {
        return Error{ErrorCode::ParseError, u"%1 is empty"_s.arg(path)};
    }
    return secret;
}

Result<QString> ApiServer::readOrCreateSecretFile(const QString& path) {
    if (auto existing = readSecretFile(path);
        existing || existing.error().code != ErrorCode::NotFound) {
        return existing;
    }
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        return Error{ErrorCode::Unavailable, u"cannot create %1"_s.arg(info.absolutePath())};
    }
    // Written whole to a private temporary file, then linked to its name: link() fails when the
    // name exists, so of several processes starting at once one wins and the others read its
    // secret.
    const QString secret = detail::randomSecret();
    const QByteArray target = QFile::encodeName(info.absoluteFilePath());
    const QByteArray temporary = target + ".tmp-" +
                                 QByteArray::number(QCoreApplication::applicationPid()) + '-' +
                                 QByteArray::number(QRandomGenerator::system()->generate());
    const int fd = ::open(temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error{ErrorCode::Unavailable,
                     u"cannot create %1: %2"_s.arg(QFile::decodeName(temporary),
                                                   QString::fromLocal8Bit(std::strerror(errno)))};
    }
    const QByteArray line = secret.toLatin1() + '\n';
    const bool written = ::write(fd, line.constData(), static_cast<size_t>(line.size())) ==
                             static_cast<ssize_t>(line.size()) &&
                         ::fsync(fd) == 0;
    ::close(fd);
    const int linked = written ? ::link(temporary.constData(), target.constData()) : -1;
    const int linkError = errno;
    ::unlink(temporary.constData());
    if (!written) {
        return Error{ErrorCode::Unavailable, u"cannot write %1"_s.arg(path)};
    }
    if (linked != 0) {
        if (linkError == EEXIST) {
            return readSecretFile(path); // another process made it first
        }
        return Error{
            ErrorCode::Unavailable,
            u"cannot create %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(linkError)))};
    }
    return secret;
}

Result<QString> ApiServer::configure(ApiConfig& config, const QJsonObject& settings,
                                     const QProcessEnvironment& env, const QString& tokenPath,
                                     const QString& clientStatePath) {
    const QJsonValue section = settings.value(u"api"_s);
    if (!section.isUndefined() && !section.isObject()) {
        return Error{ErrorCode::InvalidArgument, u"api: an object"_s};
    }
    const QJsonObject api = section.toObject();
    if (api.contains(u"maxBodyBytes"_s)) {
        const double v = api.value(u"maxBodyBytes"_s).toDouble(-1);
        if (v < 1 || v > double(1 << 30) || v != std::floor(v)) {
            return Error{ErrorCode::InvalidArgument,
                         u"api.maxBodyBytes: a whole number of bytes from 1 to 1073741824"_s};
        }
        config.maxBodyBytes = static_cast<qint64>(v);
    }
    QStringList sources;
    const struct {
        QString key;
        const char* variable;
        const QString& path;
        QString* out;
        QString what;
    } secrets[] = {{u"token"_s, "TRACKWATCH_API_TOKEN", tokenPath, &config.token, u"token"_s},
                   {u"clientState"_s, "TRACKWATCH_CLIENT_STATE", clientStatePath,
                    &config.clientState, u"webhook clientState"_s}};
    for (const auto& s : secrets) {
        auto configured = detail::configuredSecret(api, s.key);
        if (!configured) {
            return configured.error();
        }
        const QString fromEnv = env.value(QString::fromLatin1(s.variable)).trimmed();
        if (!configured->isEmpty()) {
            *s.out = *configured;
            sources << u"%1 from the configuration (api.%2)"_s.arg(s.what, s.key);
        } else if (!fromEnv.isEmpty()) {
            *s.out = fromEnv;
            sources << u"%1 from %2"_s.arg(s.what, QString::fromLatin1(s.variable));
        } else {
            auto stored = readOrCreateSecretFile(s.path);
            if (!stored) {
                return Error{stored.error().code,
                             u"api.%1: "_s.arg(s.key) + stored.error().message};
            }
            *s.out = *stored;
            sources << u"%1 in %2"_s.arg(s.what, s.path);
        }
    }
    return sources.join(u"; "_s);
}

void ApiServer::setSnapshot(const EngineSnapshot& snapshot) {
    if (m_worker) {
        m_worker->setSnapshot(snapshot);
    }
}

} // namespace trackwatch::core

#include "api_server.moc"
