// SPDX-License-Identifier: MIT
// The HTTP API over real HTTP on loopback, against a real database: paging, analytics, health,
// a JSON 4xx for every kind of bad request, the bearer token, the body limit, mailbox sync,
// the Graph-style change-notification receiver, and HTTP/1.1 connection handling (pipelining,
// Connection: close, HTTP/1.0, idle timeout, half-closed clients, request framing) over raw
// sockets.
#include "api/api_parsing.h"
#include "api/api_server.h"
#include "cache/query_cache.h"
#include "control/optimization_guard.h"
#include "metrics/metrics_registry.h"
#include "tracking/ingestion_engine.h"
#include "tracking/traffic_simulator.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_processor.h"
#include "webhooks/webhook_queue.h"

#include "../support/test_databases.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <sys/socket.h>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

struct Reply {
    int status = 0;
    QJsonObject json;
    QByteArray contentType;
    QByteArray body;
    QByteArray header(const QByteArray& name) const { return headers.value(name.toLower()); }
    QHash<QByteArray, QByteArray> headers; // names lower-cased
};

using Headers = QList<QPair<QByteArray, QByteArray>>;

const QString kToken = u"test-token-0123456789abcdef"_s;
const QString kClientState = u"client-state-0123456789"_s;
const QString kAccount = u"owner@company.example"_s;
const QDateTime kT0 = QDateTime(QDate(2026, 11, 29), QTime(8, 0), Qt::UTC);

Headers bearer(const QString& token = kToken) {
    return {{"Authorization", "Bearer " + token.toUtf8()}};
}

QByteArray json(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

MailMessage sentMail(const QString& id, const QString& from, int minute) {
    MailMessage m;
    m.messageId = id;
    m.sender = from;
    m.recipients = {u"customer@client.example"_s};
    m.subject = u"Proposal "_s + id;
    m.sentAt = kT0.addSecs(minute * 60);
    return m;
}

MailMessage replyTo(const QString& id, const QString& parent, int minute) {
    MailMessage m;
    m.messageId = id;
    m.sender = u"customer@client.example"_s;
    m.recipients = {kAccount};
    m.subject = u"Re: Proposal"_s;
    m.sentAt = kT0.addSecs(minute * 60);
    m.inReplyTo = {parent};
    m.references = {parent};
    return m;
}

// One Graph change notification for a message of `account`.
QJsonObject notification(const QString& account, const QString& resourceId,
                         const QString& clientState, const QString& id = {}) {
    QJsonObject n{{u"subscriptionId"_s, u"sub-1"_s},
                  {u"clientState"_s, clientState},
                  {u"changeType"_s, u"created"_s},
                  {u"resource"_s, u"Users/%1/Messages/%2"_s.arg(account, resourceId)},
                  {u"subscriptionExpirationDateTime"_s, u"2026-12-01T00:00:00Z"_s},
                  {u"tenantId"_s, u"tenant"_s},
                  {u"resourceData"_s, QJsonObject{{u"@odata.type"_s, u"#Microsoft.Graph.Message"_s},
                                                  {u"id"_s, resourceId}}}};
    if (!id.isEmpty()) {
        n.insert(u"id"_s, id);
    }
    return n;
}

ApiConfig writableConfig(std::shared_ptr<const Clock> clock = {}) {
    ApiConfig c;
    c.token = kToken;
    c.clientState = kClientState;
    c.clock = std::move(clock);
    return c;
}

EngineQueryContext plainContext(std::shared_ptr<MetricsRegistry> metrics = {}) {
    return {std::make_shared<QueryCache>(), nullptr, nullptr, nullptr, std::move(metrics)};
}

// One HTTP request as bytes, for RawConnection.
QByteArray rawRequest(const QByteArray& line, const QList<QByteArray>& fields = {},
                      const QByteArray& body = {}) {
    QByteArray r = line + "\r\nHost: 127.0.0.1\r\n";
    for (const QByteArray& f : fields) {
        r += f + "\r\n";
    }
    return r + "\r\n" + body;
}

// A raw connection to the API, for what QNetworkAccessManager never sends: pipelined requests,
// HTTP/1.0, half-closes, malformed heads. Answers are read whole (by their Content-Length).
class RawConnection {
public:
    struct Answer {
        int status = 0;
        QJsonObject json;
    };

    explicit RawConnection(quint16 port) { m_socket.connectToHost(u"127.0.0.1"_s, port); }
    bool connected() { return m_socket.waitForConnected(10000); }
    QTcpSocket& socket() { return m_socket; }
    void send(const QByteArray& bytes) {
        m_socket.write(bytes);
        m_socket.waitForBytesWritten(10000);
    }
    // The answers that have arrived, waiting up to `timeoutMs` for `count` of them (fewer when
    // the connection closes first or the time runs out).
    QList<Answer> answers(int count, int timeoutMs = 60000) {
        QElapsedTimer timer;
        timer.start();
        while (m_answers.size() < count && timer.elapsed() < timeoutMs) {
            m_buffer += m_socket.readAll();
            parse();
            if (m_answers.size() >= count) {
                break;
            }
            if (!m_socket.waitForReadyRead(100) &&
                m_socket.state() == QAbstractSocket::UnconnectedState) {
                m_buffer += m_socket.readAll();
                parse();
                break;
            }
        }
        return m_answers;
    }
    // Waits on the disconnected signal.
    bool closedWithin(int timeoutMs) {
        if (m_socket.state() == QAbstractSocket::UnconnectedState) {
            return true;
        }
        QSignalSpy closed(&m_socket, &QTcpSocket::disconnected);
        return closed.wait(timeoutMs) || m_socket.state() == QAbstractSocket::UnconnectedState;
    }

private:
    void parse() {
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            qint64 length = 0;
            for (const QByteArray& line : m_buffer.left(end).split('\n')) {
                if (line.toLower().startsWith("content-length:")) {
                    length = line.mid(15).trimmed().toLongLong();
                }
            }
            if (m_buffer.size() < end + 4 + length) {
                return;
            }
            Answer a;
            a.status = m_buffer.mid(9, 3).toInt();
            a.json = QJsonDocument::fromJson(m_buffer.mid(end + 4, length)).object();
            m_answers.append(a);
            m_buffer.remove(0, end + 4 + length);
        }
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QList<Answer> m_answers;
};

} // namespace

class TestApi : public QObject {
    Q_OBJECT
private:
    QNetworkAccessManager m_http;

    Reply call(const QByteArray& verb, quint16 port, const QString& path,
               const QUrlQuery& query = {}, const QByteArray& body = {},
               const Headers& headers = {}) {
        QUrl url(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path));
        url.setQuery(query);
        return send(verb, url, body, headers);
    }

    // A query string exactly as given (already encoded).
    Reply callRaw(const QByteArray& verb, quint16 port, const QString& pathAndQuery,
                  const QByteArray& body = {}, const Headers& headers = {}) {
        return send(verb, QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(pathAndQuery)), body,
                    headers);
    }

    Reply send(const QByteArray& verb, const QUrl& url, const QByteArray& body,
               const Headers& headers) {
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        for (const auto& [name, value] : headers) {
            request.setRawHeader(name, value);
        }
        QNetworkReply* reply = m_http.sendCustomRequest(request, verb, body);
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        loop.exec();
        Reply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        r.body = reply->readAll();
        r.json = QJsonDocument::fromJson(r.body).object();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            r.headers.insert(name.toLower(), value);
        }
        reply->deleteLater();
        return r;
    }

    // A migrated database with four hours of simulated mail for four accounts.
    static QStringList seed(const test::TestDatabase& tdb) {
        auto db = tdb.openMigrated();
        if (!db) {
            return {};
        }
        const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-4 * 3600);
        ManualClock clock(start);
        SimulatorConfig config;
        config.accounts = 4;
        TrafficSimulator simulator(config, start);
        IngestionEngine ingestion(*db, clock, {true, 200, 30});
        for (int minute = 10; minute <= 240; minute += 10) {
            clock.set(start.addSecs(minute * 60));
            if (!ingestion.ingest(simulator.advanceTo(clock.now(), 300)).ok()) {
                return {};
            }
        }
        if (!ingestion.repository().refreshAnalytics(clock.now()).ok()) {
            return {};
        }
        return simulator.accounts();
    }

private slots:
    void trackedEmailsPageThroughEverything_data() { test::addDialectRows(); }
    void trackedEmailsPageThroughEverything() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        const QStringList accounts = seed(tdb);
        QVERIFY(!accounts.isEmpty());
        ManualClock clock(QDateTime::currentDateTimeUtc());
        auto cache = std::make_shared<QueryCache>();
        OptimizationGuard queries(u"optimizedQueries"_s, {}, {}, clock);
        OptimizationGuard caching(u"queryCache"_s, {}, {}, clock);
        queries.configure(true, 100, u"closed"_s, {});
        caching.configure(true, 100, u"closed"_s, {});
        ApiServer api({}, tdb.spec(), {cache, &queries, &caching, nullptr, nullptr});
        auto port = api.start();
        QVERIFY2(port, port ? "" : qPrintable(port.error().message));

        QSet<qint64> ids;
        QString cursor;
        int pages = 0;
        do {
            QUrlQuery q{{u"account"_s, accounts.first()}, {u"limit"_s, u"50"_s}};
            if (!cursor.isEmpty()) {
                q.addQueryItem(u"cursor"_s, cursor);
            }
            const Reply r = call("GET", *port, u"/api/emails/tracked"_s, q);
            QCOMPARE(r.status, 200);
            QVERIFY(r.contentType.startsWith("application/json"));
            for (const QJsonValue& v : r.json.value(u"emails"_s).toArray()) {
                QCOMPARE(v.toObject().value(u"account"_s).toString(), accounts.first());
                QVERIFY(!ids.contains(v.toObject().value(u"id"_s).toInteger()));
                ids.insert(v.toObject().value(u"id"_s).toInteger());
            }
            cursor = r.json.value(u"nextCursor"_s).toString();
            ++pages;
        } while (!cursor.isEmpty() && pages < 1000);
        auto db = tdb.openMigrated();
        auto count = db->exec(u"SELECT count(*) FROM tracked_emails t JOIN accounts a ON a.id = "
                              u"t.email_account_id WHERE a.email_address = ?"_s,
                              {accounts.first()});
        QVERIFY(count && count->next());
        QCOMPARE(ids.size(), count->value(0).toLongLong());
        QVERIFY(pages > 1);

        // The second time the first page comes from the cache.
        QUrlQuery first{{u"account"_s, accounts.first()}, {u"limit"_s, u"50"_s}};
        QCOMPARE(
            call("GET", *port, u"/api/emails/tracked"_s, first).json.value(u"path"_s).toString(),
            u"cached"_s);

        // Filters.
        const Reply replied =
            call("GET", *port, u"/api/emails/tracked"_s,
                 QUrlQuery{{u"account"_s, accounts.first()}, {u"status"_s, u"replied"_s}});
        QCOMPARE(replied.status, 200);
        for (const QJsonValue& v : replied.json.value(u"emails"_s).toArray()) {
            QCOMPARE(v.toObject().value(u"status"_s).toString(), u"replied"_s);
            QVERIFY(!v.toObject().value(u"repliedAt"_s).isNull());
        }
    }

    void badRequestsGetAJsonError_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no account") << u"/api/emails/tracked"_s << u""_s << 400 << u"account"_s;
        QTest::newRow("unknown parameter")
            << u"/api/emails/tracked"_s << u"account=a&sort=x"_s << 400 << u"sort"_s;
        QTest::newRow("twice") << u"/api/emails/tracked"_s << u"account=a&account=b"_s << 400
                               << u"twice"_s;
        QTest::newRow("limit not a number")
            << u"/api/emails/tracked"_s << u"account=a&limit=ten"_s << 400 << u"limit"_s;
        QTest::newRow("limit too large")
            << u"/api/emails/tracked"_s << u"account=a&limit=5000"_s << 400 << u"limit"_s;
        QTest::newRow("bad status")
            << u"/api/emails/tracked"_s << u"account=a&status=lost"_s << 400 << u"status"_s;
        QTest::newRow("bad since")
            << u"/api/emails/tracked"_s << u"account=a&since=yesterday"_s << 400 << u"since"_s;
        QTest::newRow("forged cursor")
            << u"/api/emails/tracked"_s << u"account=a&cursor=AAAA"_s << 400 << u"cursor"_s;
        QTest::newRow("empty range")
            << u"/api/emails/analytics"_s
            << u"since=2026-11-29T10:00:00Z&until=2026-11-29T09:00:00Z"_s << 400 << u"range"_s;
    }
    void badRequestsGetAJsonError() {
        QFETCH(QString, path);
        QFETCH(QString, query);
        QFETCH(int, status);
        QFETCH(QString, mentions);
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api({}, tdb.spec(),
                      {std::make_shared<QueryCache>(), nullptr, nullptr, nullptr, nullptr});
        auto port = api.start();
        QVERIFY(port);
        const Reply r = call("GET", *port, path, QUrlQuery(query));
        QCOMPARE(r.status, status);
        const QJsonObject e = r.json.value(u"error"_s).toObject();
        QCOMPARE(e.value(u"status"_s).toInt(), status);
        QVERIFY2(e.value(u"message"_s).toString().contains(mentions),
                 qPrintable(e.value(u"message"_s).toString()));
        // The wrong method on a known route.
        const Reply wrong = call("DELETE", *port, path, QUrlQuery(query));
        QCOMPARE(wrong.status, 405);
        QCOMPARE(wrong.json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 405);
    }

    void analyticsByHour() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        const QStringList accounts = seed(tdb);
        QVERIFY(!accounts.isEmpty());
        ApiServer api({}, tdb.spec(),
                      {std::make_shared<QueryCache>(), nullptr, nullptr, nullptr, nullptr});
        auto port = api.start();
        QVERIFY(port);
        const QString since =
            QDateTime::currentDateTimeUtc().addSecs(-5 * 3600).toString(Qt::ISODate);
        for (const QString& account : {QString(), accounts.first()}) {
            QUrlQuery q{{u"since"_s, since}};
            if (!account.isEmpty()) {
                q.addQueryItem(u"account"_s, account);
            }
            const Reply r = call("GET", *port, u"/api/emails/analytics"_s, q);
            QCOMPARE(r.status, 200);
            const QJsonArray hours = r.json.value(u"hours"_s).toArray();
            QVERIFY(hours.size() >= 4);
            qint64 sent = 0;
            for (const QJsonValue& h : hours) {
                sent += h.toObject().value(u"sent"_s).toInteger();
                QVERIFY(h.toObject().value(u"replyRate"_s).toDouble() <= 1.0);
            }
            QVERIFY(sent > 0);
            QCOMPARE(r.json.value(u"path"_s).toString(), u"materialized"_s);
        }
    }

    // /metrics: every route timed and counted, in a text promtool accepts.
    void metricsInPrometheusFormat() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        auto metrics = std::make_shared<MetricsRegistry>();
        ApiServer api({}, tdb.spec(),
                      {std::make_shared<QueryCache>(), nullptr, nullptr, nullptr, metrics});
        auto port = api.start();
        QVERIFY(port);
        QCOMPARE(
            call("GET", *port, u"/api/emails/tracked"_s, QUrlQuery{{u"account"_s, u"a"_s}}).status,
            200);
        QCOMPARE(
            call("GET", *port, u"/api/emails/tracked"_s, QUrlQuery{{u"limit"_s, u"0"_s}}).status,
            400);
        const Reply r = call("GET", *port, u"/metrics"_s);
        QCOMPARE(r.status, 200);
        QVERIFY2(r.contentType.startsWith("text/plain; version=0.0.4"), r.contentType.constData());
        QVERIFY2(r.body.contains("trackwatch_api_requests_total{route=\"/api/emails/tracked\","
                                 "status=\"200\"} 1"),
                 r.body.constData());
        QVERIFY(r.body.contains("trackwatch_api_requests_total{route=\"/api/emails/tracked\","
                                "status=\"400\"} 1"));
        QVERIFY(r.body.contains("trackwatch_api_request_duration_seconds_count{route=\"/api/"
                                "emails/tracked\"} 2"));
        const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
        if (promtool.isEmpty()) {
            if (test::runningInCi()) {
                QFAIL("promtool is not installed (Debian package prometheus)");
            }
            QSKIP("promtool is not installed (Debian package prometheus)");
        }
        QProcess check;
        check.start(promtool, {u"check"_s, u"metrics"_s});
        QVERIFY(check.waitForStarted());
        check.write(r.body);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(30000));
        QVERIFY2(check.exitCode() == 0, check.readAllStandardError().constData());
    }

    // 200 when healthy or degraded, 503 with the same JSON when unhealthy or before the first
    // snapshot.
    void healthFollowsTheEngine() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api({}, tdb.spec(),
                      {std::make_shared<QueryCache>(), nullptr, nullptr, nullptr, nullptr});
        auto port = api.start();
        QVERIFY(port);
        QCOMPARE(call("GET", *port, u"/api/health/performance"_s).status, 503);
        EngineSnapshot s;
        s.at = QDateTime::currentDateTimeUtc();
        s.engineId = u"e-1"_s;
        s.guards = {{u"batchIngestion"_s, u"forced_open"_s, 0, 7, 0, {}}};
        for (const auto& [state, status] :
             {std::pair{u"healthy"_s, 200}, {u"degraded"_s, 200}, {u"unhealthy"_s, 503}}) {
            s.health = {state, state == u"healthy" ? QStringList{} : QStringList{u"why"_s}};
            api.setSnapshot(s);
            const Reply r = call("GET", *port, u"/api/health/performance"_s);
            QCOMPARE(r.status, status);
            QCOMPARE(r.json.value(u"status"_s).toString(), state);
            QCOMPARE(r.json.value(u"engineId"_s).toString(), u"e-1"_s);
            QCOMPARE(r.json.value(u"breakers"_s).toArray().first().toObject().value(u"state"_s),
                     QJsonValue(u"forced_open"_s));
        }
    }

    // Routes that change anything need "Authorization: Bearer <token>": 401 JSON without it,
    // with another token or another scheme; a server without a token refuses every change.
    void changesNeedTheBearerToken() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        auto metrics = std::make_shared<MetricsRegistry>();
        ApiServer api(writableConfig(), tdb.spec(), plainContext(metrics));
        auto port = api.start();
        QVERIFY(port);
        const QByteArray body = json({{u"account"_s, kAccount}});
        const QList<std::pair<const char*, Headers>> refused = {
            {"no header", {}},
            {"wrong token", bearer(u"test-token-0123456789abcdeX"_s)},
            {"empty token", {{"Authorization", "Bearer "}}},
            {"prefix of the token", bearer(kToken.left(10))},
            {"basic scheme", {{"Authorization", "Basic " + kToken.toUtf8().toBase64()}}},
        };
        for (const auto& [what, headers] : refused) {
            const Reply r = call("POST", *port, u"/api/emails/sync"_s, {}, body, headers);
            QVERIFY2(r.status == 401, what);
            QCOMPARE(r.json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 401);
            QVERIFY(r.header("WWW-Authenticate").startsWith("Bearer"));
        }
        // The right token passes (an empty mailbox: nothing to ingest).
        const Reply right = call("POST", *port, u"/api/emails/sync"_s, {}, body, bearer());
        QCOMPARE(right.status, 200);
        QCOMPARE(right.json.value(u"account"_s).toString(), kAccount);
        QCOMPARE(right.json.value(u"fetched"_s).toInt(-1), 0);
        // Reading needs no token.
        QCOMPARE(call("GET", *port, u"/api/emails/tracked"_s, QUrlQuery{{u"account"_s, kAccount}})
                     .status,
                 200);
        // The refusals are counted like every other answer.
        const QByteArray text = call("GET", *port, u"/metrics"_s).body;
        QVERIFY2(text.contains("trackwatch_api_requests_total{route=\"/api/emails/sync\","
                               "status=\"401\"} 5"),
                 text.constData());

        ApiConfig noToken = writableConfig();
        noToken.token.clear();
        ApiServer closed(noToken, tdb.spec(), plainContext());
        auto closedPort = closed.start();
        QVERIFY(closedPort);
        QCOMPARE(call("POST", *closedPort, u"/api/emails/sync"_s, {}, body, bearer()).status, 401);
        QCOMPARE(call("POST", *closedPort, u"/api/emails/sync"_s, {}, body,
                      {{"Authorization", "Bearer "}})
                     .status,
                 401);
    }

    // Bodies over the limit get 413 JSON on every route, refused from the request's head
    // before the body is held in memory; a body at the limit is read.
    void oversizedBodiesAreRefused() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiConfig config = writableConfig();
        config.maxBodyBytes = 1024;
        auto metrics = std::make_shared<MetricsRegistry>();
        ApiServer api(config, tdb.spec(), plainContext(metrics));
        auto port = api.start();
        QVERIFY(port);
        QByteArray atLimit = json({{u"account"_s, kAccount}});
        atLimit.append(QByteArray(1024 - atLimit.size(), ' '));
        QCOMPARE(atLimit.size(), 1024);
        QCOMPARE(call("POST", *port, u"/api/emails/sync"_s, {}, atLimit, bearer()).status, 200);
        const QByteArray over = atLimit + ' ';
        for (const QString& path : {u"/api/emails/sync"_s, u"/api/webhooks/mail"_s}) {
            const Reply r = call("POST", *port, path, {}, over, bearer());
            QCOMPARE(r.status, 413);
            QVERIFY(r.contentType.startsWith("application/json"));
            QCOMPARE(r.json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 413);
            QVERIFY(r.json.value(u"error"_s)
                        .toObject()
                        .value(u"message"_s)
                        .toString()
                        .contains(u"1024"_s));
        }
        // A much larger body: refused the same way, and the server goes on answering.
        const Reply big =
            call("POST", *port, u"/api/webhooks/mail"_s, {}, QByteArray(8 << 20, 'x'));
        QCOMPARE(big.status, 413);
        QCOMPARE(call("GET", *port, u"/api/emails/tracked"_s, QUrlQuery{{u"account"_s, kAccount}})
                     .status,
                 200);
        const QByteArray text = call("GET", *port, u"/metrics"_s).body;
        QVERIFY2(text.contains("trackwatch_api_requests_total{route=\"(before routing)\","
                               "status=\"413\"} 3"),
                 text.constData());
        // Many requests on one connection add up to more than the limit: each is judged alone.
        for (int i = 0; i < 80; ++i) { // 80 KiB: over 1 KiB and a head
            QCOMPARE(call("POST", *port, u"/api/emails/sync"_s, {}, atLimit, bearer()).status, 200);
        }
    }

    void badBodiesGetAJsonError_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("mentions");
        const QString sync = u"/api/emails/sync"_s;
        const QString mail = u"/api/webhooks/mail"_s;
        QTest::newRow("sync: empty") << sync << QString() << QByteArray() << u"empty"_s;
        QTest::newRow("sync: malformed")
            << sync << QString() << QByteArray("{\"account\": ") << u"malformed"_s;
        QTest::newRow("sync: not an object")
            << sync << QString() << QByteArray("[1, 2]") << u"object"_s;
        QTest::newRow("sync: unknown field")
            << sync << QString() << QByteArray("{\"account\": \"a@b.example\", \"full\": true}")
            << u"full"_s;
        QTest::newRow("sync: no account") << sync << QString() << QByteArray("{}") << u"account"_s;
        QTest::newRow("sync: account not a string")
            << sync << QString() << QByteArray("{\"account\": 7}") << u"account"_s;
        QTest::newRow("sync: account not an address")
            << sync << QString() << QByteArray("{\"account\": \"owner at company\"}")
            << u"account"_s;
        QTest::newRow("sync: bad since")
            << sync << QString()
            << QByteArray("{\"account\": \"a@b.example\", \"since\": \"yesterday\"}") << u"since"_s;
        QTest::newRow("sync: unknown parameter")
            << sync << u"force=1"_s << QByteArray("{\"account\": \"a@b.example\"}") << u"force"_s;
        QTest::newRow("mail: malformed")
            << mail << QString() << QByteArray("{\"value\": [") << u"malformed"_s;
        QTest::newRow("mail: unknown field")
            << mail << QString() << QByteArray("{\"value\": [], \"extra\": 1}") << u"extra"_s;
        QTest::newRow("mail: no value") << mail << QString() << QByteArray("{}") << u"value"_s;
        QTest::newRow("mail: deep nesting")
            << mail << QString() << QByteArray(5000, '[') << u"malformed"_s;
        QTest::newRow("mail: unknown parameter")
            << mail << u"token=x"_s << QByteArray("{\"value\": []}") << u"token"_s;
        QTest::newRow("mail: empty validationToken")
            << mail << u"validationToken="_s << QByteArray() << u"validationToken"_s;
    }
    void badBodiesGetAJsonError() {
        QFETCH(QString, path);
        QFETCH(QString, query);
        QFETCH(QByteArray, body);
        QFETCH(QString, mentions);
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        const Reply r = call("POST", *port, path, QUrlQuery(query), body, bearer());
        QCOMPARE(r.status, 400);
        QVERIFY(r.contentType.startsWith("application/json"));
        const QJsonObject e = r.json.value(u"error"_s).toObject();
        QCOMPARE(e.value(u"status"_s).toInt(), 400);
        QVERIFY2(e.value(u"message"_s).toString().contains(mentions),
                 qPrintable(e.value(u"message"_s).toString()));
        QCOMPARE(call("GET", *port, path).status, 405);
    }

    // Sync ingests exactly the mailbox's messages at the source that ingestion has not seen;
    // a second sync ingests none.
    void syncIngestsTheUntrackedMessages_data() { test::addDialectRows(); }
    void syncIngestsTheUntrackedMessages() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto clock = std::make_shared<ManualClock>(kT0.addSecs(3600));
        MailSource source(*db, *clock);
        const QString other = u"other@company.example"_s;
        const QList<Delivery> mailbox = {
            {kAccount, sentMail(u"s1@company.example"_s, kAccount, 1)},
            {kAccount, sentMail(u"s2@company.example"_s, kAccount, 2)},
            {kAccount, sentMail(u"s3@company.example"_s, kAccount, 3)},
            {kAccount, replyTo(u"r2@client.example"_s, u"s2@company.example"_s, 30)},
            {other, sentMail(u"o1@company.example"_s, other, 4)},
        };
        // The reply is stored first: sync must still match it (oldest first).
        QVERIFY(source.storeDelivery(mailbox[3]).ok());
        for (const Delivery& d : mailbox) {
            QVERIFY(source.storeDelivery(d).ok());
        }
        QVERIFY(source.store({kAccount, u"broken"_s, "not a message", SourceKind::Inbound}).ok());
        // The engine already ingested s1.
        IngestionEngine engine(*db, *clock);
        QCOMPARE(engine.ingest({mailbox[0]})->stored, 1);

        ApiServer api(writableConfig(clock), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        const Reply first = call("POST", *port, u"/api/emails/sync"_s, {},
                                 json({{u"account"_s, u"Owner@Company.example"_s}}), bearer());
        QCOMPARE(first.status, 200);
        QCOMPARE(first.json.value(u"account"_s).toString(), kAccount);
        QCOMPARE(first.json.value(u"fetched"_s).toInt(), 5);
        QCOMPARE(first.json.value(u"ingested"_s).toInt(), 3); // s2, s3, r2
        QCOMPARE(first.json.value(u"stored"_s).toInt(), 2);
        QCOMPARE(first.json.value(u"replies"_s).toInt(), 1);
        QCOMPARE(first.json.value(u"duplicates"_s).toInt(), 1); // s1
        QCOMPARE(first.json.value(u"skipped"_s).toInt(), 1);    // "broken"
        QVERIFY(first.json.value(u"skippedReasons"_s)
                    .toArray()
                    .first()
                    .toString()
                    .startsWith(u"broken: "_s));
        QCOMPARE(test::trackedState(*db),
                 QStringList({u"owner@company.example|s1@company.example|active|0||"_s,
                              u"owner@company.example|s2@company.example|replied|1|"
                              u"r2@client.example|in_reply_to"_s,
                              u"owner@company.example|s3@company.example|active|0||"_s}));

        const Reply second = call("POST", *port, u"/api/emails/sync"_s, {},
                                  json({{u"account"_s, kAccount}}), bearer());
        QCOMPARE(second.status, 200);
        QCOMPARE(second.json.value(u"ingested"_s).toInt(), 0);
        QCOMPARE(second.json.value(u"duplicates"_s).toInt(), 4);
        QCOMPARE(test::trackedState(*db).size(), 3);

        // "since" narrows the mailbox to what was stored from then on.
        clock->advanceSecs(600);
        QVERIFY(
            source.storeDelivery({kAccount, sentMail(u"s4@company.example"_s, kAccount, 50)}).ok());
        const Reply since = call("POST", *port, u"/api/emails/sync"_s, {},
                                 json({{u"account"_s, kAccount},
                                       {u"since"_s, clock->now().toString(Qt::ISODateWithMs)}}),
                                 bearer());
        QCOMPARE(since.status, 200);
        QCOMPARE(since.json.value(u"fetched"_s).toInt(), 1);
        QCOMPARE(since.json.value(u"ingested"_s).toInt(), 1);
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 4);

        // Another mailbox is synced on its own; one the source has nothing of is empty.
        const Reply otherSync =
            call("POST", *port, u"/api/emails/sync"_s, {}, json({{u"account"_s, other}}), bearer());
        QCOMPARE(otherSync.json.value(u"stored"_s).toInt(), 1);
        const Reply empty = call("POST", *port, u"/api/emails/sync"_s, {},
                                 json({{u"account"_s, u"nobody@company.example"_s}}), bearer());
        QCOMPARE(empty.status, 200);
        QCOMPARE(empty.json.value(u"fetched"_s).toInt(-1), 0);
        QCOMPARE(empty.json.value(u"ingested"_s).toInt(-1), 0);
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 5);
    }

    // Graph's validation handshake: the token, decoded, as text/plain.
    void validationTokenIsEchoed() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        QElapsedTimer timer;
        timer.start();
        const Reply r = callRaw("POST", *port,
                                u"/api/webhooks/mail?validationToken=Validation%3A+Testing%3A+"
                                u"client+reachability+%26+100%25"_s);
        QVERIFY(timer.elapsed() < 3000);
        QCOMPARE(r.status, 200);
        QVERIFY2(r.contentType.startsWith("text/plain"), r.contentType.constData());
        QCOMPARE(r.body, QByteArray("Validation: Testing: client reachability & 100%"));
    }

    // A wrong or missing clientState anywhere in the batch: 403 and nothing stored.
    void wrongClientStateIsRefused_data() { test::addDialectRows(); }
    void wrongClientStateIsRefused() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        QJsonObject missing = notification(kAccount, u"m2"_s, kClientState);
        missing.remove(u"clientState"_s);
        const QList<QJsonArray> batches = {
            {notification(kAccount, u"m1"_s, u"client-state-0123456788"_s)},
            {notification(kAccount, u"m1"_s, kClientState),
             notification(kAccount, u"m2"_s, kClientState.left(10))},
            {notification(kAccount, u"m1"_s, kClientState), missing},
        };
        for (const QJsonArray& value : batches) {
            const Reply r =
                call("POST", *port, u"/api/webhooks/mail"_s, {}, json({{u"value"_s, value}}));
            QCOMPARE(r.status, 403);
            QCOMPARE(r.json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 403);
        }
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM webhook_jobs"_s), 0);

        // A server without a configured clientState accepts none.
        ApiConfig unset = writableConfig();
        unset.clientState.clear();
        ApiServer closed(unset, tdb.spec(), plainContext());
        auto closedPort = closed.start();
        QVERIFY(closedPort);
        QJsonObject empty = notification(kAccount, u"m1"_s, QString());
        QCOMPARE(call("POST", *closedPort, u"/api/webhooks/mail"_s, {},
                      json({{u"value"_s, QJsonArray{empty}}}))
                     .status,
                 403);
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM webhook_jobs"_s), 0);
    }

    // Valid notifications become webhook jobs of the simulator's shape, answered 202 well
    // within Graph's 3 seconds; the engine's processor then ingests them.
    void notificationsBecomeJobs_data() { test::addDialectRows(); }
    void notificationsBecomeJobs() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        auto clock = std::make_shared<ManualClock>(kT0.addSecs(3600));
        MailSource source(*db, *clock);
        const Delivery sent{kAccount, sentMail(u"n1@company.example"_s, kAccount, 1)};
        const Delivery reply{kAccount,
                             replyTo(u"n2@client.example"_s, u"n1@company.example"_s, 20)};
        QVERIFY(source.storeDelivery(sent, u"AAMk-1"_s).ok());
        QVERIFY(source.storeDelivery(reply, u"AAMk-2"_s).ok());

        ApiServer api(writableConfig(clock), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        QJsonObject deleted = notification(kAccount, u"AAMk-0"_s, kClientState);
        deleted.insert(u"changeType"_s, u"deleted"_s);
        const QJsonArray value{
            notification(u"OWNER@company.example"_s, u"AAMk-1"_s, kClientState, u"n-1"_s),
            notification(kAccount, u"AAMk-2"_s, kClientState, u"n-2"_s), deleted};
        QElapsedTimer timer;
        timer.start();
        const Reply r =
            call("POST", *port, u"/api/webhooks/mail"_s, {}, json({{u"value"_s, value}}));
        const qint64 elapsed = timer.elapsed();
        QCOMPARE(r.status, 202);
        QVERIFY2(elapsed < 1000, qPrintable(u"answered in %1 ms"_s.arg(elapsed)));
        QCOMPARE(r.json.value(u"accepted"_s).toInt(), 2);
        QCOMPARE(r.json.value(u"created"_s).toInt(), 2);
        QCOMPARE(r.json.value(u"ignored"_s).toInt(), 1);
        // Nothing was ingested on the request path.
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM tracked_emails"_s), 0);

        WebhookQueue queue(*db, *clock);
        auto job = queue.jobByNotification(u"n-1"_s);
        QVERIFY(job && job->has_value());
        const WebhookJob& j = **job;
        QCOMPARE(j.notification.account, kAccount);
        QCOMPARE(j.notification.resourceId, u"AAMk-1"_s);
        QCOMPARE(j.notification.changeType, u"created"_s);
        QCOMPARE(j.notification.priority, 0);
        QCOMPARE(j.notification.subscriptionId, u"sub-1"_s);
        QCOMPARE(j.state, JobState::Queued);
        QCOMPARE(j.createdAt, clock->now());

        // Graph delivers at least once: the same notification again adds no job.
        const Reply again = call("POST", *port, u"/api/webhooks/mail"_s, {},
                                 json({{u"value"_s, QJsonArray{value[0]}}}));
        QCOMPARE(again.status, 202);
        QCOMPARE(again.json.value(u"created"_s).toInt(), 0);
        QCOMPARE(queue.counts()->queued, 2);

        // A malformed notification in the batch: 400 and nothing stored.
        QJsonObject noMailbox = notification(kAccount, u"AAMk-3"_s, kClientState, u"n-3"_s);
        noMailbox.insert(u"resource"_s, u"Users/0b1c-guid/Messages/AAMk-3"_s);
        QCOMPARE(call("POST", *port, u"/api/webhooks/mail"_s, {},
                      json({{u"value"_s, QJsonArray{value[1], noMailbox}}}))
                     .status,
                 400);
        QCOMPARE(queue.counts()->queued, 2);

        // The engine's processor takes the jobs like the simulator's: the email is tracked
        // and the reply matched.
        WebhookProcessor processor(*db, *clock);
        auto processed = processor.processAvailable();
        QVERIFY(processed);
        QCOMPARE(processed->done, 2);
        QCOMPARE(test::trackedState(*db),
                 QStringList{u"owner@company.example|n1@company.example|replied|1|"
                             u"n2@client.example|in_reply_to"_s});
    }

    // 500 keep-alive GETs pipelined on one connection are all answered, in order, each judged
    // alone: together they are over the body limit and a head (each carries a 2 KiB field),
    // which the limit used to count as one request's bytes until an answer went out, refusing
    // the rest with 413.
    void pipelinedRequestsAreAllAnswered() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        RawConnection c(*port);
        QVERIFY(c.connected());
        QByteArray requests;
        for (int i = 0; i < 500; ++i) {
            requests +=
                rawRequest("GET /api/emails/tracked?account=nobody%40company.example&limit=" +
                               QByteArray::number(1 + i % 50) + " HTTP/1.1",
                           {"X-Trace: " + QByteArray(2200, 'a' + i % 26)});
        }
        QVERIFY(requests.size() > (1 << 20) + 64 * 1024);
        c.send(requests);
        const auto answers = c.answers(500);
        QCOMPARE(answers.size(), 500);
        for (const auto& a : answers) {
            QCOMPARE(a.status, 200);
            QVERIFY(a.json.value(u"emails"_s).isArray());
        }
        QCOMPARE(c.socket().state(), QAbstractSocket::ConnectedState);
        // Pipelined bodies too, each at the limit, 80 of them far over it together.
        ApiConfig small = writableConfig();
        small.maxBodyBytes = 1024;
        ApiServer limited(small, tdb.spec(), plainContext());
        auto limitedPort = limited.start();
        QVERIFY(limitedPort);
        QByteArray atLimit = json({{u"value"_s, QJsonArray{}}});
        atLimit.append(QByteArray(1024 - atLimit.size(), ' '));
        RawConnection posts(*limitedPort);
        QVERIFY(posts.connected());
        QByteArray many;
        for (int i = 0; i < 80; ++i) {
            many += rawRequest("POST /api/webhooks/mail HTTP/1.1",
                               {"Content-Type: application/json", "Content-Length: 1024"}, atLimit);
        }
        posts.send(many);
        const auto judged = posts.answers(80);
        QCOMPARE(judged.size(), 80);
        for (const auto& a : judged) {
            QCOMPARE(a.status, 400); // read and judged: an empty array is refused
            QVERIFY2(a.json.value(u"error"_s)
                         .toObject()
                         .value(u"message"_s)
                         .toString()
                         .contains(u"value"_s),
                     QJsonDocument(a.json).toJson().constData());
        }
    }

    // "Connection: close" and HTTP/1.0 without keep-alive get the connection closed after the
    // answer; HTTP/1.1 and HTTP/1.0 with keep-alive keep it for the next request.
    void connectionCloseIsHonoured_data() {
        QTest::addColumn<QByteArray>("version");
        QTest::addColumn<QByteArray>("connection");
        QTest::addColumn<bool>("closes");
        QTest::newRow("1.1") << QByteArray("HTTP/1.1") << QByteArray() << false;
        QTest::newRow("1.1 close") << QByteArray("HTTP/1.1") << QByteArray("close") << true;
        QTest::newRow("1.1 Close, upper case")
            << QByteArray("HTTP/1.1") << QByteArray("Keep-Alive, Close") << true;
        QTest::newRow("1.0") << QByteArray("HTTP/1.0") << QByteArray() << true;
        QTest::newRow("1.0 keep-alive")
            << QByteArray("HTTP/1.0") << QByteArray("keep-alive") << false;
    }
    void connectionCloseIsHonoured() {
        QFETCH(QByteArray, version);
        QFETCH(QByteArray, connection);
        QFETCH(bool, closes);
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        RawConnection c(*port);
        QVERIFY(c.connected());
        const QList<QByteArray> fields = connection.isEmpty()
                                             ? QList<QByteArray>{}
                                             : QList<QByteArray>{"Connection: " + connection};
        const QByteArray get = rawRequest(
            "GET /api/emails/tracked?account=nobody%40company.example " + version, fields);
        c.send(get);
        QCOMPARE(c.answers(1).value(0).status, 200);
        if (closes) {
            QVERIFY2(c.closedWithin(10000), "the connection stayed open after the answer");
        } else {
            c.send(get); // still open: the second request is answered on it
            QCOMPARE(c.answers(2).value(1).status, 200);
            QCOMPARE(c.socket().state(), QAbstractSocket::ConnectedState);
        }
    }

    // A connection with nothing read or written for the idle timeout is closed: one that sent
    // nothing, and one whose answer went out.
    void idleConnectionsAreClosed() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiConfig config = writableConfig();
        config.idleTimeout = std::chrono::milliseconds(300);
        ApiServer api(config, tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        RawConnection silent(*port);
        QVERIFY(silent.connected());
        RawConnection answered(*port);
        QVERIFY(answered.connected());
        answered.send(
            rawRequest("GET /api/emails/tracked?account=nobody%40company.example HTTP/1.1"));
        QCOMPARE(answered.answers(1).value(0).status, 200);
        QVERIFY2(silent.closedWithin(15000), "a silent connection stayed open");
        QVERIFY2(answered.closedWithin(15000), "an idle keep-alive connection stayed open");
        QCOMPARE(ApiConfig().idleTimeout, std::chrono::milliseconds(30000));
    }

    // A client that shuts its sending side down right after a whole request still gets the
    // answer (it used to be lost when the server read the end of the stream first).
    void halfClosedClientGetsItsAnswer() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        for (int i = 0; i < 20; ++i) {
            RawConnection c(*port);
            QVERIFY(c.connected());
            c.send(rawRequest("GET /api/emails/tracked?account=nobody%40company.example HTTP/1.1"));
            QCOMPARE(::shutdown(static_cast<int>(c.socket().socketDescriptor()), SHUT_WR), 0);
            const auto answers = c.answers(1, 15000);
            QVERIFY2(answers.size() == 1, qPrintable(u"round %1: no answer"_s.arg(i)));
            QCOMPARE(answers[0].status, 200);
        }
    }

    // Framing the server and a proxy could read differently is refused with 400 and the
    // connection closed: conflicting or malformed Content-Length, Content-Length with
    // Transfer-Encoding, a field name with a space before its colon. Identical repeated
    // Content-Length fields are one length. The body here holds a second request that a reader
    // of the other length would answer.
    void ambiguousFramingIsRefused_data() {
        QTest::addColumn<QList<QByteArray>>("fields");
        QTest::addColumn<QString>("mentions");
        QTest::addColumn<bool>("refused");
        QTest::newRow("conflicting lengths")
            << QList<QByteArray>{"Content-Length: 2", "Content-Length: 27"} << u"Content-Length"_s
            << true;
        QTest::newRow("not a number")
            << QList<QByteArray>{"Content-Length: 27x"} << u"Content-Length"_s << true;
        QTest::newRow("a list") << QList<QByteArray>{"Content-Length: 27, 27"}
                                << u"Content-Length"_s << true;
        QTest::newRow("negative") << QList<QByteArray>{"Content-Length: -27"} << u"Content-Length"_s
                                  << true;
        QTest::newRow("with chunked")
            << QList<QByteArray>{"Content-Length: 27", "Transfer-Encoding: chunked"}
            << u"Transfer-Encoding"_s << true;
        QTest::newRow("space before colon")
            << QList<QByteArray>{"Content-Length : 27"} << u"header field"_s << true;
        QTest::newRow("same length twice")
            << QList<QByteArray>{"Content-Length: 27", "Content-Length: 27"} << u"JSON"_s << false;
    }
    void ambiguousFramingIsRefused() {
        QFETCH(QList<QByteArray>, fields);
        QFETCH(QString, mentions);
        QFETCH(bool, refused);
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        RawConnection c(*port);
        QVERIFY(c.connected());
        const QByteArray body = "{}GET /metrics HTTP/1.1\r\n\r\n";
        QCOMPARE(body.size(), 27);
        c.send(rawRequest("POST /api/webhooks/mail HTTP/1.1", fields, body));
        const auto answers = c.answers(2, 3000);
        QVERIFY(!answers.isEmpty());
        QCOMPARE(answers[0].status, 400);
        const QJsonObject e = answers[0].json.value(u"error"_s).toObject();
        QCOMPARE(e.value(u"status"_s).toInt(), 400);
        QVERIFY2(e.value(u"message"_s).toString().contains(mentions),
                 qPrintable(e.value(u"message"_s).toString()));
        if (refused) {
            QCOMPARE(answers.size(), 1); // the request in the body is never answered
            QVERIFY(c.closedWithin(10000));
        } else {
            QCOMPARE(c.socket().state(), QAbstractSocket::ConnectedState);
        }
    }

    // Request heads as the connection guard frames them (a pure function, fuzzed in
    // tests/fuzz/fuzz_api.cpp): where a head ends, its length, and whether the connection
    // closes after it.
    void requestHeadsAreFramed_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("headLength");       // -1: incomplete
        QTest::addColumn<qint64>("contentLength"); // -1: none; -2: refused
        QTest::addColumn<bool>("closeAfter");
        QTest::newRow("incomplete")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << -1 << qint64(-1) << false;
        QTest::newRow("no fields")
            << QByteArray("GET / HTTP/1.1\r\n\r\nrest") << 18 << qint64(-1) << false;
        QTest::newRow("bare newlines, leading blank lines")
            << QByteArray("\r\n\nPOST /x HTTP/1.0\nContent-Length: 4\n\nbody") << 39 << qint64(4)
            << true;
        QTest::newRow("1.0 keep-alive")
            << QByteArray("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") << 42 << qint64(-1)
            << false;
        QTest::newRow("folded field")
            << QByteArray("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\nConnection: close\r\n\r\n") << 49
            << qint64(-1) << true;
        QTest::newRow("bad request line")
            << QByteArray("GET /\r\n\r\n") << 9 << qint64(-2) << false;
        QTest::newRow("huge length")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") << 57
            << qint64(-2) << false;
    }
    void requestHeadsAreFramed() {
        QFETCH(QByteArray, bytes);
        QFETCH(int, headLength);
        QFETCH(qint64, contentLength);
        QFETCH(bool, closeAfter);
        QCOMPARE(api::requestHeadLength(bytes), headLength);
        if (headLength < 0) {
            return;
        }
        auto head = api::parseRequestHead(QByteArrayView(bytes).first(headLength));
        QCOMPARE(head.ok(), contentLength != -2);
        if (head) {
            QCOMPARE(head->contentLength.value_or(-1), contentLength);
            QCOMPARE(head->closeAfter, closeAfter);
        }
    }

    // Unknown routes and methods get the JSON error body the README promises.
    void unknownRoutesGetAJsonError() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api(writableConfig(), tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        for (const QByteArray& verb : {QByteArray("GET"), QByteArray("POST")}) {
            const Reply r = call(verb, *port, u"/api/nothing/here"_s);
            QCOMPARE(r.status, 404);
            QVERIFY(r.contentType.startsWith("application/json"));
            const QJsonObject e = r.json.value(u"error"_s).toObject();
            QCOMPARE(e.value(u"status"_s).toInt(), 404);
            QVERIFY2(e.value(u"message"_s).toString().contains(u"/api/nothing/here"_s),
                     r.body.constData());
        }
        // Methods QHttpServer does not know: 405 on a route, 404 elsewhere, JSON both.
        RawConnection c(*port);
        QVERIFY(c.connected());
        c.send(rawRequest("BREW /api/emails/tracked HTTP/1.1") + rawRequest("BREW /pot HTTP/1.1"));
        const auto answers = c.answers(2, 10000);
        QCOMPARE(answers.size(), 2);
        QCOMPARE(answers[0].status, 405);
        QCOMPARE(answers[0].json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 405);
        QCOMPARE(answers[1].status, 404);
        QCOMPARE(answers[1].json.value(u"error"_s).toObject().value(u"status"_s).toInt(), 404);
    }

    // Health and metrics scrapes are counted apart (trackwatch_api_scrapes), never in
    // trackwatch_api_requests, whose 5xx the engine's error rate counts: a monitor polling a
    // 503 health once a second used to drive HighErrorRate to firing.
    void scrapesNeverCountAsErrors() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        auto metrics = std::make_shared<MetricsRegistry>();
        ApiServer api(writableConfig(), tdb.spec(), plainContext(metrics));
        auto port = api.start();
        QVERIFY(port);
        for (int i = 0; i < 5; ++i) { // no engine snapshot yet: 503
            QCOMPARE(call("GET", *port, u"/api/health/performance"_s).status, 503);
        }
        QCOMPARE(call("GET", *port, u"/metrics"_s).status, 200);
        QCOMPARE(
            call("GET", *port, u"/api/emails/tracked"_s, QUrlQuery{{u"account"_s, u"a"_s}}).status,
            200);
        const QByteArray text = call("GET", *port, u"/metrics"_s).body;
        for (const QByteArray& line : text.split('\n')) {
            if (line.startsWith("trackwatch_api_requests_total{") ||
                line.startsWith("trackwatch_api_request_duration_seconds_count{")) {
                QVERIFY2(!line.contains("/api/health") && !line.contains("/metrics"),
                         line.constData());
                QVERIFY2(!line.contains("status=\"5"), line.constData());
            }
        }
        QVERIFY2(text.contains("trackwatch_api_scrapes_total{route=\"/api/health/performance\","
                               "status=\"503\"} 5"),
                 text.constData());
        QVERIFY(text.contains("trackwatch_api_scrapes_total{route=\"/metrics\",status=\"200\"} 1"));
        QVERIFY(text.contains("trackwatch_api_requests_total{route=\"/api/emails/tracked\","
                              "status=\"200\"} 1"));
    }

    // /api/health/live answers 200 whenever the process answers, before the engine's first
    // snapshot and while it is unhealthy.
    void liveAnswersWhileTheProcessRuns() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        QVERIFY(tdb.openMigrated());
        ApiServer api({}, tdb.spec(), plainContext());
        auto port = api.start();
        QVERIFY(port);
        Reply r = call("GET", *port, u"/api/health/live"_s);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json, (QJsonObject{{u"status"_s, u"live"_s}}));
        EngineSnapshot s;
        s.at = QDateTime::currentDateTimeUtc();
        s.health = {u"unhealthy"_s, {u"database unreachable"_s}};
        api.setSnapshot(s);
        QCOMPARE(call("GET", *port, u"/api/health/performance"_s).status, 503);
        r = call("GET", *port, u"/api/health/live"_s);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(u"status"_s).toString(), u"live"_s);
        QCOMPARE(call("POST", *port, u"/api/health/live"_s).status, 405);
    }

    // Where the token, clientState and limit come from: the configuration, else the
    // environment, else a file made once with mode 0600 and read back after.
    void secretsComeFromConfigurationEnvironmentOrFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString tokenPath = dir.filePath(u"data/api-token"_s);
        const QString statePath = dir.filePath(u"data/api-client-state"_s);
        ApiConfig generated;
        auto where =
            ApiServer::configure(generated, {}, QProcessEnvironment(), tokenPath, statePath);
        QVERIFY2(where, where ? "" : qPrintable(where.error().message));
        QVERIFY(where->contains(tokenPath));
        QCOMPARE(generated.token.size(), 43);
        QCOMPARE(generated.clientState.size(), 43);
        QVERIFY(generated.token != generated.clientState);
        QCOMPARE(generated.maxBodyBytes, qint64(1) << 20);
        QCOMPARE(QFileInfo(tokenPath).permissions() &
                     ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser),
                 QFile::Permissions());
        QCOMPARE(ApiServer::readSecretFile(tokenPath).value(), generated.token);
        ApiConfig again;
        QVERIFY(ApiServer::configure(again, {}, QProcessEnvironment(), tokenPath, statePath));
        QCOMPARE(again.token, generated.token);
        QCOMPARE(again.clientState, generated.clientState);

        QProcessEnvironment env;
        env.insert(u"TRACKWATCH_API_TOKEN"_s, u"from-the-environment-1"_s);
        ApiConfig fromEnv;
        where = ApiServer::configure(fromEnv, {}, env, tokenPath, statePath);
        QVERIFY(where && where->contains(u"TRACKWATCH_API_TOKEN"_s));
        QCOMPARE(fromEnv.token, u"from-the-environment-1"_s);
        QCOMPARE(fromEnv.clientState, generated.clientState);

        const QJsonObject settings{
            {u"api"_s, QJsonObject{{u"token"_s, u"from-the-configuration"_s},
                                   {u"clientState"_s, u"state-from-the-configuration"_s},
                                   {u"maxBodyBytes"_s, 4096}}}};
        ApiConfig fromFile;
        QVERIFY(ApiServer::configure(fromFile, settings, env, tokenPath, statePath));
        QCOMPARE(fromFile.token, u"from-the-configuration"_s);
        QCOMPARE(fromFile.clientState, u"state-from-the-configuration"_s);
        QCOMPARE(fromFile.maxBodyBytes, qint64(4096));

        for (const QJsonObject& bad :
             {QJsonObject{{u"token"_s, u"short"_s}}, QJsonObject{{u"token"_s, 12345}},
              QJsonObject{{u"maxBodyBytes"_s, 0}}, QJsonObject{{u"maxBodyBytes"_s, u"1MB"_s}}}) {
            ApiConfig refused;
            auto r = ApiServer::configure(refused, {{u"api"_s, bad}}, env, tokenPath, statePath);
            QVERIFY(!r);
            QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        }
        QVERIFY(!ApiServer::readSecretFile(dir.filePath(u"missing"_s)));
    }
};

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
