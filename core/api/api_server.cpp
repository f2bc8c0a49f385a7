// SPDX-License-Identifier: MIT
#include "api/api_server.h"

#include "common/logging.h"
#include "metrics/metrics_registry.h"
#include "storage/database.h"

#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace trackwatch::core {
namespace detail {

using namespace Qt::StringLiterals;
using Http = QHttpServerResponder::StatusCode;

namespace {

QHttpServerResponse error(Http status, const QString& message) {
    return QHttpServerResponse(
        QJsonObject{{u"error"_s, QJsonObject{{u"status"_s, static_cast<int>(status)},
                                             {u"message"_s, message}}}},
        status);
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

// The query's parameters; anything not in `allowed`, or given twice, is refused.
Result<QHash<QString, QString>> parameters(const QHttpServerRequest& request,
                                           const QStringList& allowed) {
    QHash<QString, QString> values;
    for (const auto& [name, value] : request.query().queryItems(QUrl::FullyDecoded)) {
        if (!allowed.contains(name)) {
            return Error{
                ErrorCode::InvalidArgument,
                u"unknown parameter '%1' (parameters: %2)"_s.arg(name, allowed.join(u", "_s))};
        }
        if (values.contains(name)) {
            return Error{ErrorCode::InvalidArgument, u"parameter '%1' given twice"_s.arg(name)};
        }
        values.insert(name, value);
    }
    return values;
}

// An ISO 8601 time; without a zone it is UTC.
Result<QDateTime> parseTime(const QString& name, const QString& text) {
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid()) {
        return Error{ErrorCode::InvalidArgument,
                     u"%1: '%2' is not an ISO 8601 time (2026-11-29T08:00:00Z)"_s.arg(name, text)};
    }
    if (t.timeSpec() == Qt::LocalTime) {
        t.setTimeSpec(Qt::UTC);
    }
    return t.toUTC();
}

// Keyset cursor: the last row's sent time (ms since the epoch) and id, base64url.
QString encodeCursor(const TrackedEmailRow& last) {
    const QByteArray raw =
        QByteArray::number(last.sentAt.toMSecsSinceEpoch()) + ':' + QByteArray::number(last.id);
    return QString::fromLatin1(
        raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

Status decodeCursor(const QString& text, TrackedEmailQuery& query) {
    const auto decoded = QByteArray::fromBase64Encoding(
        text.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const QList<QByteArray> parts = decoded ? decoded.decoded.split(':') : QList<QByteArray>{};
    bool msOk = false;
    bool idOk = false;
    const qint64 ms = parts.value(0).toLongLong(&msOk);
    const qint64 id = parts.value(1).toLongLong(&idOk);
    if (parts.size() != 2 || !msOk || !idOk || id <= 0) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"cursor: '%1' is not a cursor this API gave out"_s.arg(text));
    }
    query.beforeSentAt = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    query.beforeId = id;
    return {};
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
        m_service = std::make_unique<EmailQueryService>(
            *m_db, m_queries.cache.get(),
            EmailQueryService::Guards{m_queries.queries, m_queries.caching});
        m_server = std::make_unique<QHttpServer>();
        route(u"/api/emails/tracked"_s, QHttpServerRequest::Method::Get,
              [this](const QHttpServerRequest& r) { return tracked(r); });
        route(u"/api/emails/analytics"_s, QHttpServerRequest::Method::Get,
              [this](const QHttpServerRequest& r) { return analytics(r); });
        route(u"/api/health/performance"_s, QHttpServerRequest::Method::Get,
              [this](const QHttpServerRequest&) { return health(); });
        route(u"/metrics"_s, QHttpServerRequest::Method::Get, [this](const QHttpServerRequest&) {
            if (!m_queries.metrics) {
                return error(Http::NotFound, u"this server has no metrics"_s);
            }
            return QHttpServerResponse(QByteArray(MetricsRegistry::kPrometheusContentType),
                                       m_queries.metrics->prometheusText());
        });
        const quint16 port = m_server->listen(m_config.address, m_config.port);
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
        m_service.reset();
        m_db.reset();
    }

    void setSnapshot(const EngineSnapshot& snapshot) {
        std::lock_guard lock(m_snapshotMutex);
        m_snapshot = snapshot;
    }

private:
    // Every route is timed and counted by route and status in the engine's metrics.
    template <typename Handler>
    void route(const QString& path, QHttpServerRequest::Method method, Handler handler) {
        m_server->route(path, method, [this, path, handler](const QHttpServerRequest& r) {
            const auto started = std::chrono::steady_clock::now();
            QHttpServerResponse response = handler(r);
            if (m_queries.metrics) {
                m_queries.metrics
                    ->histogram(u"trackwatch_api_request_duration_seconds"_s, {{u"route"_s, path}},
                                u"HTTP API request time"_s)
                    .record(std::chrono::steady_clock::now() - started);
                m_queries.metrics
                    ->counter(
                        u"trackwatch_api_requests"_s,
                        {{u"route"_s, path},
                         {u"status"_s, QString::number(static_cast<int>(response.statusCode()))}},
                        u"HTTP API requests by route and status"_s)
                    .increment();
            }
            return response;
        });
        // Every other method on a known path: 405 with the JSON error body.
        m_server->route(
            path, QHttpServerRequest::Method::AnyKnown, [path](const QHttpServerRequest&) {
                return error(Http::MethodNotAllowed, u"%1 does not take this method"_s.arg(path));
            });
    }

    QHttpServerResponse tracked(const QHttpServerRequest& request) {
        auto p =
            parameters(request, {u"account"_s, u"status"_s, u"since"_s, u"limit"_s, u"cursor"_s});
        if (!p) {
            return error(p.error());
        }
        TrackedEmailQuery query;
        query.account = p->value(u"account"_s).trimmed();
        query.status = p->value(u"status"_s);
        if (p->contains(u"since"_s)) {
            auto since = parseTime(u"since"_s, p->value(u"since"_s));
            if (!since) {
                return error(since.error());
            }
            query.since = *since;
        }
        if (p->contains(u"limit"_s)) {
            bool ok = false;
            query.limit = p->value(u"limit"_s).toInt(&ok);
            if (!ok) {
                return error(Http::BadRequest,
                             u"limit: '%1' is not a number"_s.arg(p->value(u"limit"_s)));
            }
        }
        if (p->contains(u"cursor"_s)) {
            if (const Status s = decodeCursor(p->value(u"cursor"_s), query); !s) {
                return error(s.error());
            }
        }
        auto page = m_service->trackedEmails(query);
        if (!page) {
            return error(page.error());
        }
        QJsonArray emails;
        for (const TrackedEmailRow& r : page->rows) {
            emails.append(emailJson(r));
        }
        return QHttpServerResponse(QJsonObject{
            {u"emails"_s, emails},
            {u"nextCursor"_s,
             page->hasMore ? QJsonValue(encodeCursor(page->rows.last())) : QJsonValue()},
            {u"path"_s, page->path}});
    }

    QHttpServerResponse analytics(const QHttpServerRequest& request) {
        auto p = parameters(request, {u"account"_s, u"since"_s, u"until"_s});
        if (!p) {
            return error(p.error());
        }
        AnalyticsQuery query;
        query.account = p->value(u"account"_s).trimmed();
        const QDateTime now = QDateTime::currentDateTimeUtc();
        query.until = now;
        query.since = now.addDays(-1);
        for (const QString& name : {u"since"_s, u"until"_s}) {
            if (p->contains(name)) {
                auto t = parseTime(name, p->value(name));
                if (!t) {
                    return error(t.error());
                }
                (name == u"since" ? query.since : query.until) = *t;
            }
        }
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

    ApiConfig m_config;
    ConnectionSpec m_connection;
    EngineQueryContext m_queries;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<EmailQueryService> m_service;
    std::unique_ptr<QHttpServer> m_server;
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

void ApiServer::setSnapshot(const EngineSnapshot& snapshot) {
    if (m_worker) {
        m_worker->setSnapshot(snapshot);
    }
}

} // namespace trackwatch::core

#include "api_server.moc"
