// SPDX-License-Identifier: MIT
// The HTTP API over real HTTP on loopback, against a real database: paging, analytics, health,
// and a JSON 4xx for every kind of bad request.
#include "api/api_server.h"
#include "cache/query_cache.h"
#include "control/optimization_guard.h"
#include "metrics/metrics_registry.h"
#include "tracking/ingestion_engine.h"
#include "tracking/traffic_simulator.h"

#include "../support/test_databases.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

struct Reply {
    int status = 0;
    QJsonObject json;
    QByteArray contentType;
    QByteArray body;
};

} // namespace

class TestApi : public QObject {
    Q_OBJECT
private:
    QNetworkAccessManager m_http;

    Reply call(const QByteArray& verb, quint16 port, const QString& path,
               const QUrlQuery& query = {}, const QByteArray& body = {}) {
        QUrl url(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path));
        url.setQuery(query);
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
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
};

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
