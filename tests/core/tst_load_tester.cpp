// SPDX-License-Identifier: MIT
// The load tester: open-loop sending with latency from the schedule (against a server made
// slow on purpose and a sender stalled on purpose), the seed's criteria judged from given
// figures, the JSON report read back, and a short run of every stream against the real API
// and engine on PostgreSQL.
#include "loadtest/load_tester.h"

#include "api/api_server.h"
#include "engine/engine.h"

#include "../support/test_databases.h"

#include <QFile>
#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cmath>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

// An HTTP server on a thread of its own that answers GET /api/emails/tracked after an injected
// delay, one request at a time (as a server that does the work on one thread would).
class SlowServer {
public:
    explicit SlowServer(int delayMs)
        : m_delayMs(delayMs) {
        m_thread.start();
        m_context.moveToThread(&m_thread);
        QMetaObject::invokeMethod(
            &m_context,
            [this] {
                m_server = new QHttpServer(&m_context);
                m_server->route(u"/api/emails/tracked"_s, QHttpServerRequest::Method::Get,
                                [this](const QHttpServerRequest&) {
                                    QThread::msleep(static_cast<unsigned long>(m_delayMs));
                                    ++m_served;
                                    return QHttpServerResponse(QJsonObject{
                                        {u"emails"_s, QJsonArray{}}, {u"path"_s, u"optimized"_s}});
                                });
                m_port = m_server->listen(QHostAddress::LocalHost, 0);
            },
            Qt::BlockingQueuedConnection);
    }
    ~SlowServer() {
        QMetaObject::invokeMethod(
            &m_context, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }
    int served() const { return m_served; }

private:
    QThread m_thread;
    QObject m_context;
    QHttpServer* m_server = nullptr;
    quint16 m_port = 0;
    int m_delayMs;
    std::atomic<int> m_served{0};
};

LoadTestConfig onlyTracked(quint16 port, double rps, double secs) {
    LoadTestConfig c;
    c.url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
    c.stream(LoadStream::Tracked) = {rps, secs};
    c.queryAccounts = {u"someone@company.example"_s};
    c.queueDepth = 0;
    return c;
}

const LoadStreamResult* streamOf(const LoadTestReport& r, LoadStream s) {
    for (const LoadStreamResult& x : r.streams) {
        if (x.stream == s) {
            return &x;
        }
    }
    return nullptr;
}

const LoadCriterion* criterion(const QList<LoadCriterion>& list, const QString& group,
                               const QString& name) {
    for (const LoadCriterion& c : list) {
        if (c.group == group && c.name.startsWith(name)) {
            return &c;
        }
    }
    return nullptr;
}

LoadTestMeasurements allGood() {
    LoadTestMeasurements m;
    m.emailsPerHour = 10800;
    m.webhookJobsPerMinute = 900;
    m.maxQueueDepth = 180;
    m.apiP95Ms = 12;
    m.apiP99Ms = 30;
    m.worstEndpointP95Ms = 18;
    m.dashboardP95Ms = 10;
    m.dbQueryP95Ms = 4;
    m.availability = 1.0;
    m.databaseErrors = 0;
    m.criticalIndexes = 4;
    m.cachedShare = 0.7;
    m.monitoringSamples = 1234;
    m.cpuPercentPeak = 20;
    m.memoryGrowthPercent = 1.5;
    return m;
}

} // namespace

using Field = std::optional<double> LoadTestMeasurements::*;

static Field field(const QString& name) {
    using M = LoadTestMeasurements;
    static const QHash<QString, Field> fields{{u"emailsPerHour"_s, &M::emailsPerHour},
                                              {u"webhookJobsPerMinute"_s, &M::webhookJobsPerMinute},
                                              {u"apiP95Ms"_s, &M::apiP95Ms},
                                              {u"apiP99Ms"_s, &M::apiP99Ms},
                                              {u"worstEndpointP95Ms"_s, &M::worstEndpointP95Ms},
                                              {u"dashboardP95Ms"_s, &M::dashboardP95Ms},
                                              {u"dbQueryP95Ms"_s, &M::dbQueryP95Ms},
                                              {u"availability"_s, &M::availability},
                                              {u"databaseErrors"_s, &M::databaseErrors},
                                              {u"criticalIndexes"_s, &M::criticalIndexes},
                                              {u"cachedShare"_s, &M::cachedShare},
                                              {u"monitoringSamples"_s, &M::monitoringSamples},
                                              {u"cpuPercentPeak"_s, &M::cpuPercentPeak},
                                              {u"memoryGrowthPercent"_s, &M::memoryGrowthPercent}};
    return fields.value(name);
}

class TestLoadTester : public QObject {
    Q_OBJECT
private slots:
    void refusesAnythingButLoopback_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("127.0.0.1") << u"http://127.0.0.1:8470"_s << true;
        QTest::newRow("localhost") << u"http://localhost:8470"_s << true;
        QTest::newRow("other host") << u"http://10.0.0.8:8470"_s << false;
        QTest::newRow("name") << u"http://api.trackwatch.example"_s << false;
        QTest::newRow("https") << u"https://127.0.0.1:8470"_s << false;
    }
    void refusesAnythingButLoopback() {
        QFETCH(QString, url);
        QFETCH(bool, allowed);
        QCOMPARE(checkLoopbackUrl(QUrl(url)).ok(), allowed);
        if (!allowed) {
            LoadTestConfig c = onlyTracked(1, 1, 1);
            c.url = QUrl(url);
            auto r = LoadTester(c).run();
            QVERIFY(!r);
            QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        }
    }

    void seedConfigIsTheSeeds() {
        const LoadTestConfig c = LoadTestConfig::seed();
        QCOMPARE(c.stream(LoadStream::Ingestion).rps, 3.0);
        QCOMPARE(c.stream(LoadStream::Ingestion).durationSecs, 600.0);
        QCOMPARE(c.stream(LoadStream::Tracked).rps, 30.0);
        QCOMPARE(c.stream(LoadStream::Analytics).rps, 10.0);
        QCOMPARE(c.stream(LoadStream::Sync).rps, 5.0);
        QCOMPARE(c.stream(LoadStream::Sync).durationSecs, 300.0);
        QCOMPARE(c.stream(LoadStream::Webhooks).rps, 15.0);
        QCOMPARE(c.accounts, 10);
        QCOMPARE(c.queueDepth, 200);
    }

    // A server that takes 100 ms per request and serves one at a time can do 10 a second. Sent
    // 20 a second for a second, request i (scheduled at 50 i ms) is answered near 100 (i + 1)
    // ms: the latency from the schedule grows to about a second. A closed-loop tester would
    // have sent 10 requests and reported 100 ms each.
    void latencyShowsTheServersQueue() {
        SlowServer server(100);
        QVERIFY(server.port() != 0);
        auto r = LoadTester(onlyTracked(server.port(), 20, 1)).run();
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        const LoadStreamResult* s = streamOf(*r, LoadStream::Tracked);
        QVERIFY(s);
        QCOMPARE(s->scheduled, 20);
        QCOMPARE(s->sent, 20);
        QCOMPARE(s->ok, 20);
        QCOMPARE(server.served(), 20);
        // Sent on schedule, not after answers: the last one left within its 950 ms slot.
        QVERIFY2(s->maxSendLagMs < 200, qPrintable(QString::number(s->maxSendLagMs)));
        QVERIFY2(s->achievedRps > 15, qPrintable(QString::number(s->achievedRps)));
        // The queue is in the latency: the last answer came after 20 x 100 ms, 950 ms after
        // its slot; the median request waited for about ten others.
        QVERIFY2(s->maxMs >= 1000, qPrintable(QString::number(s->maxMs)));
        QVERIFY2(s->p50Ms >= 400, qPrintable(QString::number(s->p50Ms)));
        QVERIFY(s->p99Ms >= s->p95Ms && s->p95Ms >= s->p50Ms);
    }

    // A sender that stalls (here: held for 300 ms before its first request) sends the requests
    // that fell due meanwhile late; their latency counts from when they were due.
    void latencyCountsFromTheSchedule() {
        SlowServer server(0);
        LoadTestConfig c = onlyTracked(server.port(), 50, 1);
        c.beforeSend = [](LoadStream, qint64 index) {
            if (index == 0) {
                QThread::msleep(300); // the injected stall
            }
        };
        auto r = LoadTester(c).run();
        QVERIFY(r);
        const LoadStreamResult* s = streamOf(*r, LoadStream::Tracked);
        QCOMPARE(s->sent, 50);
        QCOMPARE(s->ok, 50);
        QVERIFY2(s->maxSendLagMs >= 250, qPrintable(QString::number(s->maxSendLagMs)));
        // Request 0 was due at 0 and sent at 300 ms: its latency is at least that, though the
        // server answered at once; about 15 requests fell due in the stall.
        QVERIFY2(s->maxMs >= 300, qPrintable(QString::number(s->maxMs)));
        QVERIFY2(s->p95Ms >= 150, qPrintable(QString::number(s->p95Ms)));
        QVERIFY2(s->p50Ms < 100, qPrintable(QString::number(s->p50Ms)));
    }

    void unansweredRequestsAreErrors() {
        // Nothing listens on port 1: every request fails and counts against availability.
        auto r = LoadTester(onlyTracked(1, 20, 0.5)).run();
        QVERIFY(r);
        const LoadStreamResult* s = streamOf(*r, LoadStream::Tracked);
        QCOMPARE(s->sent, 10);
        QCOMPARE(s->errors, 10);
        QCOMPARE(s->serverErrors, 10);
        QVERIFY(!s->firstError.isEmpty());
        QCOMPARE(*r->measurements.availability, 0.0);
        QCOMPARE(criterion(r->criteria, u"Target metrics"_s, u"System availability"_s)->verdict,
                 Verdict::Fail);
        QCOMPARE(r->exitCode(), 1);
    }

    void everyFigureGoodPassesAndTheRestIsNotMeasured() {
        const QList<LoadCriterion> c = evaluateLoadCriteria(allGood());
        int notMeasured = 0;
        for (const LoadCriterion& x : c) {
            QVERIFY2(x.verdict != Verdict::Fail, qPrintable(x.name));
            if (x.verdict == Verdict::NotMeasured) {
                ++notMeasured;
                QVERIFY(!x.value);
                QVERIFY(!x.measured.isEmpty()); // says why
            }
        }
        // Query time reduction, rate limiter cache, cache errors, API improvement, rollback.
        QCOMPARE(notMeasured, 5);
        QCOMPARE(c.size(), 22);
        LoadTestReport report;
        report.criteria = c;
        QCOMPARE(report.exitCode(), 0);
    }

    void nothingMeasuredIsNeverAPass() {
        for (const LoadCriterion& x : evaluateLoadCriteria({})) {
            QCOMPARE(x.verdict, Verdict::NotMeasured);
        }
    }

    void criteriaBoundaries_data() {
        QTest::addColumn<QString>("fieldName");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("verdict");
        const int pass = static_cast<int>(Verdict::Pass);
        const int fail = static_cast<int>(Verdict::Fail);
        const int none = static_cast<int>(Verdict::NotMeasured);
        const QString t = u"Target metrics"_s;
        QTest::newRow("10,000 emails/h")
            << u"emailsPerHour"_s << 10000.0 << t << u"Email processing"_s << pass;
        QTest::newRow("9,999 emails/h")
            << u"emailsPerHour"_s << 9999.0 << t << u"Email processing"_s << fail;
        QTest::newRow("week 3 emails") << u"emailsPerHour"_s << 9999.0 << u"Week 3"_s
                                       << u"Email processing throughput"_s << fail;
        QTest::newRow("P95 199.9")
            << u"apiP95Ms"_s << 199.9 << t << u"API response time P95"_s << pass;
        QTest::newRow("P95 200") << u"apiP95Ms"_s << 200.0 << t << u"API response time P95"_s
                                 << fail;
        QTest::newRow("P95 250 week 1")
            << u"apiP95Ms"_s << 250.0 << u"Week 1"_s << u"API P95 response time"_s << pass;
        QTest::newRow("P95 300 week 1")
            << u"apiP95Ms"_s << 300.0 << u"Week 1"_s << u"API P95 response time"_s << fail;
        QTest::newRow("P99 500") << u"apiP99Ms"_s << 500.0 << t << u"API response time P99"_s
                                 << fail;
        QTest::newRow("availability 99.9")
            << u"availability"_s << 0.999 << t << u"System availability"_s << pass;
        QTest::newRow("availability 99.89")
            << u"availability"_s << 0.9989 << t << u"System availability"_s << fail;
        QTest::newRow("3 indexes")
            << u"criticalIndexes"_s << 3.0 << u"Week 1"_s << u"All critical indexes"_s << fail;
        QTest::newRow("one db error")
            << u"databaseErrors"_s << 1.0 << u"Week 1"_s << u"No database errors"_s << fail;
        QTest::newRow("dashboard 500")
            << u"dashboardP95Ms"_s << 500.0 << u"Week 1"_s << u"Dashboard loading time"_s << fail;
        QTest::newRow("no cache hits")
            << u"cachedShare"_s << 0.0 << u"Week 2"_s << u"Query result caching"_s << fail;
        QTest::newRow("no monitoring")
            << u"monitoringSamples"_s << 0.0 << u"Week 2"_s << u"Performance monitoring"_s << fail;
        QTest::newRow("800 jobs/min")
            << u"webhookJobsPerMinute"_s << 800.0 << u"Week 3"_s << u"Webhook processing"_s << pass;
        QTest::newRow("799 jobs/min")
            << u"webhookJobsPerMinute"_s << 799.0 << u"Week 3"_s << u"Webhook processing"_s << fail;
        QTest::newRow("slowest endpoint")
            << u"worstEndpointP95Ms"_s << 210.0 << u"Week 3"_s << u"API endpoints P95"_s << fail;
        QTest::newRow("cpu 50") << u"cpuPercentPeak"_s << 50.0 << u"Week 3"_s
                                << u"System resource utilization"_s << fail;
        QTest::newRow("memory grows")
            << u"memoryGrowthPercent"_s << 25.0 << t << u"Memory stable"_s << fail;
        QTest::newRow("db query NaN")
            << u"dbQueryP95Ms"_s << std::nan("") << t << u"Database query time"_s << none;
    }
    void criteriaBoundaries() {
        QFETCH(QString, fieldName);
        const Field field = ::field(fieldName);
        QVERIFY(field);
        QFETCH(double, value);
        QFETCH(QString, group);
        QFETCH(QString, name);
        QFETCH(int, verdict);
        LoadTestMeasurements m = allGood();
        m.*field = value;
        const QList<LoadCriterion> c = evaluateLoadCriteria(m);
        const LoadCriterion* x = criterion(c, group, name);
        QVERIFY2(x, qPrintable(name));
        QCOMPARE(static_cast<int>(x->verdict), verdict);
        LoadTestReport report;
        report.criteria = c;
        if (verdict == static_cast<int>(Verdict::Fail)) {
            QCOMPARE(report.exitCode(), 1);
        }
        // Without the figure the same criterion is not measured, and does not fail the run.
        m.*field = std::nullopt;
        // Kept in a variable: criterion() points into the list (ASan caught a dangling pointer
        // into the temporary here).
        const QList<LoadCriterion> withoutFigure = evaluateLoadCriteria(m);
        const LoadCriterion* missing = criterion(withoutFigure, group, name);
        QVERIFY(missing);
        QCOMPARE(missing->verdict, Verdict::NotMeasured);
    }

    void jsonReadsBackTheSame() {
        LoadTestReport r;
        r.url = u"http://127.0.0.1:8470"_s;
        r.startedAt = QDateTime(QDate(2026, 11, 29), QTime(9, 0), Qt::UTC);
        r.finishedAt = r.startedAt.addSecs(600);
        r.durationScale = 0.5;
        LoadStreamResult s;
        s.stream = LoadStream::Webhooks;
        s.targetRps = 15;
        s.durationSecs = 300;
        s.scheduled = 4504;
        s.sent = 4504;
        s.ok = 4500;
        s.errors = 4;
        s.serverErrors = 3;
        s.p50Ms = 2.5;
        s.p95Ms = 8.25;
        s.p99Ms = 20;
        s.maxMs = 90;
        s.statuses = {{202, 4500}, {503, 3}, {403, 1}};
        s.firstError = u"HTTP 503: busy"_s;
        r.streams << s;
        r.measurements = allGood();
        r.measurements.dbQueryP95Ms.reset();
        r.measurements.apiP95Ms = 250;
        r.criteria = evaluateLoadCriteria(r.measurements);
        r.notes << u"a note"_s;

        QTemporaryDir dir;
        const QString path = dir.filePath(u"report.json"_s);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QJsonDocument(r.toJson()).toJson());
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(json.value(u"passed"_s).toBool(), false);
        QCOMPARE(json.value(u"exitCode"_s).toInt(), 1);
        auto back = LoadTestReport::fromJson(json);
        QVERIFY2(back, back ? "" : qPrintable(back.error().message));
        QCOMPARE(back->url, r.url);
        QCOMPARE(back->startedAt, r.startedAt);
        QCOMPARE(back->finishedAt, r.finishedAt);
        QCOMPARE(back->durationScale, 0.5);
        QCOMPARE(back->streams.size(), 1);
        QCOMPARE(back->streams[0].stream, LoadStream::Webhooks);
        QCOMPARE(back->streams[0].sent, 4504);
        QCOMPARE(back->streams[0].p95Ms, 8.25);
        QCOMPARE(back->streams[0].statuses, s.statuses);
        QCOMPARE(back->streams[0].firstError, s.firstError);
        QVERIFY(!back->measurements.dbQueryP95Ms);
        QCOMPARE(*back->measurements.apiP95Ms, 250.0);
        QCOMPARE(*back->measurements.emailsPerHour, 10800.0);
        QCOMPARE(back->criteria.size(), r.criteria.size());
        for (qsizetype i = 0; i < r.criteria.size(); ++i) {
            QCOMPARE(back->criteria[i].name, r.criteria[i].name);
            QCOMPARE(back->criteria[i].verdict, r.criteria[i].verdict);
            QCOMPARE(back->criteria[i].measured, r.criteria[i].measured);
            QCOMPARE(back->criteria[i].value, r.criteria[i].value);
        }
        QCOMPARE(back->notes, r.notes);
        QCOMPARE(back->exitCode(), 1);
        QVERIFY(!LoadTestReport::fromJson(QJsonObject{{u"streams"_s, 3}}));
    }

    // Every stream against the real API and engine: notifications become webhook jobs that the
    // engine finishes, sent mail becomes tracked emails, and the figures come from the database.
    void shortRunAgainstTheEngine() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        QVERIFY(tdb.openMigrated());
        EngineConfig config;
        config.connection = tdb.spec();
        config.tickMs = 200;
        config.simulateRate = 1; // the engine drains webhook jobs in its simulator's step
        config.viaWebhooks = true;
        Engine engine(config, std::make_shared<SystemClock>());
        QSignalSpy ready(&engine, &Engine::ready);
        engine.start();
        QVERIFY(ready.wait(15000));
        ApiConfig api;
        api.token = u"load-test-token-0123456789"_s;
        api.clientState = u"load-test-client-state-0123"_s;
        ApiServer server(api, tdb.spec(), engine.queryContext());
        auto port = server.start();
        QVERIFY2(port, port ? "" : qPrintable(port.error().message));
        connect(&engine, &Engine::snapshotReady, &server, &ApiServer::setSnapshot);

        LoadTestConfig c;
        c.url = QUrl(u"http://127.0.0.1:%1"_s.arg(*port));
        c.database = tdb.spec();
        c.token = api.token;
        c.clientState = api.clientState;
        c.accounts = 3;
        c.queueDepth = 60;
        c.stream(LoadStream::Ingestion) = {10, 1.5};
        c.stream(LoadStream::Tracked) = {30, 1.5};
        c.stream(LoadStream::Analytics) = {10, 1.5};
        c.stream(LoadStream::Sync) = {4, 1.5};
        c.stream(LoadStream::Webhooks) = {20, 1.5};
        c.drainSecs = 20;
        QList<LoadProgress> progress;
        auto r = LoadTester(c).run([&](const LoadProgress& p) { progress << p; });
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QVERIFY2(!progress.isEmpty(), "no progress line");
        QCOMPARE(progress.last().streams.size(), 5);

        for (const LoadStreamResult& s : r->streams) {
            QVERIFY2(s.errors == 0, qPrintable(loadStreamName(s.stream) + u": "_s + s.firstError));
            QCOMPARE(s.sent, s.scheduled);
        }
        QCOMPARE(streamOf(*r, LoadStream::Ingestion)->sent, 15);
        QCOMPARE(streamOf(*r, LoadStream::Ingestion)->statuses.value(202), 15);
        QCOMPARE(streamOf(*r, LoadStream::Webhooks)->sent, 30 + 2); // two backlog posts
        QCOMPARE(streamOf(*r, LoadStream::Tracked)->sent, 45);

        // What the database says the run did.
        auto db = tdb.openMigrated();
        const qint64 jobs = test::scalar(*db, u"SELECT count(*) FROM webhook_jobs"_s);
        QCOMPARE(jobs, 15 + 30 + 60);
        const qint64 tracked =
            test::scalar(*db, u"SELECT count(*) FROM tracked_emails t JOIN accounts a ON a.id = "
                              u"t.email_account_id WHERE a.email_address LIKE 'lt-%'"_s);
        QCOMPARE(tracked, 15);
        const LoadTestMeasurements& m = r->measurements;
        QVERIFY(m.emailsPerHour);
        QCOMPARE(*m.emailsPerHour, 15 / 1.5 * 3600);
        QVERIFY(m.webhookJobsPerMinute);
        // The engine finished every job within the drain time.
        QCOMPARE(test::scalar(*db, u"SELECT count(*) FROM webhook_jobs WHERE state = 'done'"_s),
                 jobs);
        QCOMPARE(*m.webhookJobsPerMinute, static_cast<double>(jobs) / 1.5 * 60);
        QCOMPARE(criterion(r->criteria, u"Week 3"_s, u"Webhook processing"_s)->verdict,
                 Verdict::Pass);
        QVERIFY(m.maxQueueDepth && *m.maxQueueDepth >= 0);
        QCOMPARE(*m.criticalIndexes, 4.0);
        QCOMPARE(*m.availability, 1.0);
        QCOMPARE(*m.databaseErrors, 0.0);
        QVERIFY(m.monitoringSamples && *m.monitoringSamples >= 45 + 15);
        QVERIFY(m.apiP95Ms && m.apiP99Ms && *m.apiP99Ms >= *m.apiP95Ms);
        QCOMPARE(criterion(r->criteria, u"Week 1"_s, u"All critical indexes"_s)->verdict,
                 Verdict::Pass);
        QVERIFY(r->text().contains(u"Email processing"_s));
    }
};

QTEST_GUILESS_MAIN(TestLoadTester)
#include "tst_load_tester.moc"
