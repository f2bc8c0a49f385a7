// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <array>
#include <functional>
#include <optional>

namespace trackwatch::core {

// The seed's LOAD_TEST_CONFIG streams.
enum class LoadStream {
    Ingestion, // sent mail: stored at the mail source, then one change notification each
    Tracked,   // GET /api/emails/tracked
    Analytics, // GET /api/emails/analytics
    Sync,      // POST /api/emails/sync
    Webhooks,  // inbound mail: stored at the mail source, then one change notification each
};
inline constexpr int kLoadStreamCount = 5;
QString loadStreamName(LoadStream stream); // "ingestion", "tracked", "analytics", "sync", ...
bool isApiStream(LoadStream stream);       // tracked, analytics, sync

struct LoadStreamConfig {
    double rps = 0;          // requests per second; 0 leaves the stream out
    double durationSecs = 0; // before LoadTestConfig::durationScale
};

// What to run and against what. seed() is the seed's LOAD_TEST_CONFIG.
struct LoadTestConfig {
    QUrl url = QUrl(QStringLiteral("http://127.0.0.1:8470"));
    // The engine's database: the mail source the ingestion and webhook streams store into, and
    // where throughput, queue depth and the engine's own figures are read. Without one those
    // streams are left out and their criteria are not measured.
    std::optional<ConnectionSpec> database;
    QString token;       // bearer token for POST /api/emails/sync
    QString clientState; // the webhook subscription's secret
    int accounts = 10;   // mailboxes the ingestion, webhook and sync streams spread over
    std::array<LoadStreamConfig, kLoadStreamCount> streams{};
    int queueDepth = 200;         // webhook backlog posted at the start, as the seed's queueDepth
    double durationScale = 1.0;   // multiplies every stream's duration
    int requestTimeoutMs = 30000; // a request not answered by then counts as an error
    // Accounts the query streams ask about; empty: the database's first 50, else the run's.
    QStringList queryAccounts;
    // After the streams end, how long ingestion and webhook jobs may take to catch up before
    // throughput is read (the last second's growth stopping ends the wait earlier).
    double drainSecs = 10;
    // Test seam: called on a stream's thread just before request `index` is sent.
    std::function<void(LoadStream, qint64 index)> beforeSend;

    LoadStreamConfig& stream(LoadStream s) { return streams[static_cast<std::size_t>(s)]; }
    const LoadStreamConfig& stream(LoadStream s) const {
        return streams[static_cast<std::size_t>(s)];
    }
    static LoadTestConfig seed();
};

// Whether a URL is one the load tester may talk to: http on 127.0.0.1, ::1 or localhost.
Status checkLoopbackUrl(const QUrl& url);

// One stream's outcome. Latency runs from each request's scheduled send time to its answer,
// so time a request spent waiting to be sent (queueing anywhere) is in it.
struct LoadStreamResult {
    LoadStream stream = LoadStream::Tracked;
    double targetRps = 0;
    double durationSecs = 0; // as run (scaled)
    qint64 scheduled = 0;
    qint64 sent = 0;
    qint64 ok = 0;            // 2xx
    qint64 errors = 0;        // everything else: 4xx, 5xx, timeouts, connection failures
    qint64 serverErrors = 0;  // the part of errors that is 5xx, timeouts or connection failures
    qint64 cached = 0;        // tracked: answers served from the query cache
    qint64 storeFailures = 0; // messages the tester could not store at the mail source
    double achievedRps = 0;   // sent / the time sending took
    double p50Ms = 0, p95Ms = 0, p99Ms = 0, maxMs = 0, meanMs = 0;
    double maxSendLagMs = 0;    // how late the latest send was against its schedule
    QMap<int, qint64> statuses; // HTTP status (0: no answer) -> count
    QString firstError;         // what the first failed request said
};

enum class Verdict { Pass, Fail, NotMeasured };
QString verdictName(Verdict verdict); // "pass", "fail", "not measured"

// Everything the criteria are judged on; a figure the run could not get is empty.
struct LoadTestMeasurements {
    std::optional<double> emailsPerHour;        // tracked emails the run created, per hour
    std::optional<double> webhookJobsPerMinute; // the run's webhook jobs done, per minute
    std::optional<double> maxQueueDepth;        // webhook jobs waiting or running, peak
    std::optional<double> apiP95Ms;             // tracked, analytics and sync together
    std::optional<double> apiP99Ms;
    std::optional<double> worstEndpointP95Ms;  // the slowest API endpoint's own P95
    std::optional<double> dashboardP95Ms;      // tracked and analytics together
    std::optional<double> dbQueryP95Ms;        // the engine's peak over the run
    std::optional<double> availability;        // 0..1: requests answered without 5xx/failure
    std::optional<double> databaseErrors;      // 5xx answers plus the tester's own DB failures
    std::optional<double> criticalIndexes;     // of the seed's four
    std::optional<double> cachedShare;         // 0..1 of tracked answers from the query cache
    std::optional<double> monitoringSamples;   // API requests /metrics counted during the run
    std::optional<double> cpuPercentPeak;      // the engine process, % of the machine's CPU
    std::optional<double> memoryGrowthPercent; // engine memory, last vs first sample
};

// One line of the verdict table.
struct LoadCriterion {
    QString group;    // "Target metrics", "Week 1", "Week 2", "Week 3"
    QString name;     // the seed's words
    QString target;   // e.g. "< 200 ms"
    QString measured; // the value with its unit, or why it was not measured
    std::optional<double> value;
    Verdict verdict = Verdict::NotMeasured;
};

// The seed's Target Metrics and Week 1/2/3 success criteria judged on m. A criterion whose
// figure is missing, or that a load test cannot measure, is NotMeasured, never Pass.
QList<LoadCriterion> evaluateLoadCriteria(const LoadTestMeasurements& m);

struct LoadTestReport {
    QString url;
    QDateTime startedAt;
    QDateTime finishedAt;
    double durationScale = 1;
    QList<LoadStreamResult> streams;
    LoadTestMeasurements measurements;
    QList<LoadCriterion> criteria;
    QStringList notes; // what was left out and why

    bool passed() const; // no measured criterion failed
    int exitCode() const { return passed() ? 0 : 1; }
    QString text() const; // the streams and the verdict table, for a terminal
    QJsonObject toJson() const;
    static Result<LoadTestReport> fromJson(const QJsonObject& json);
};

// Once a second while a run goes on.
struct LoadProgress {
    double elapsedSecs = 0;
    struct Stream {
        LoadStream stream = LoadStream::Tracked;
        qint64 sent = 0;
        qint64 ok = 0;
        qint64 errors = 0;
        double p95Ms = 0;
        bool done = false;
    };
    QList<Stream> streams;
    std::optional<qint64> emailsIngested;
    std::optional<qint64> jobsDone;
    std::optional<qint64> queueDepth;
    QString line() const; // one line for a terminal
};

// The open-loop load generator. Every stream runs on a thread of its own with its own
// QNetworkAccessManagers and sends on a fixed schedule (request i at start + i / rps) whether
// or not earlier requests were answered; latency is measured from the schedule, so a slow
// server's queueing shows instead of slowing the sender down. Ingestion and webhook requests
// store their message at the mail source (the engine's database) before they notify, as a
// provider does. The calling thread samples the database once a second for throughput and
// queue depth. run() blocks (it runs its own event loop) and needs a QCoreApplication; one
// run per object. Not thread-safe.
class LoadTester {
public:
    explicit LoadTester(LoadTestConfig config);
    ~LoadTester();
    LoadTester(const LoadTester&) = delete;
    LoadTester& operator=(const LoadTester&) = delete;

    // InvalidArgument for a URL that is not loopback or a configuration that sends nothing;
    // Unavailable when the database cannot be opened.
    Result<LoadTestReport> run(const std::function<void(const LoadProgress&)>& progress = {});

private:
    LoadTestConfig m_config;
};

} // namespace trackwatch::core
