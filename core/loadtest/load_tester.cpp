// SPDX-License-Identifier: MIT
#include "loadtest/load_tester.h"

#include "common/clock.h"
#include "metrics/histogram.h"
#include "monitoring/metric_history.h"
#include "storage/database.h"
#include "webhooks/mail_source.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

namespace trackwatch::core {

using namespace Qt::StringLiterals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::array<LoadStream, kLoadStreamCount> kAllStreams{
    LoadStream::Ingestion, LoadStream::Tracked, LoadStream::Analytics, LoadStream::Sync,
    LoadStream::Webhooks};
constexpr int kNotificationsPerBacklogPost = 50;
constexpr int kManagersPerStream = 6; // Qt opens at most 6 connections per host and manager
constexpr auto kEmailDomain = "loadtest.trackwatch.example";

std::optional<LoadStream> streamFromName(const QString& name) {
    for (LoadStream s : kAllStreams) {
        if (loadStreamName(s) == name) {
            return s;
        }
    }
    return std::nullopt;
}

double nsToMs(qint64 ns) {
    return static_cast<double>(ns) / 1e6;
}

QString formatNumber(double v, int decimals) {
    return QLocale::c().toString(v, 'f', decimals);
}

} // namespace

QString loadStreamName(LoadStream stream) {
    switch (stream) {
    case LoadStream::Ingestion:
        return u"ingestion"_s;
    case LoadStream::Tracked:
        return u"tracked"_s;
    case LoadStream::Analytics:
        return u"analytics"_s;
    case LoadStream::Sync:
        return u"sync"_s;
    case LoadStream::Webhooks:
        return u"webhooks"_s;
    }
    return {};
}

bool isApiStream(LoadStream stream) {
    return stream == LoadStream::Tracked || stream == LoadStream::Analytics ||
           stream == LoadStream::Sync;
}

QString verdictName(Verdict verdict) {
    switch (verdict) {
    case Verdict::Pass:
        return u"pass"_s;
    case Verdict::Fail:
        return u"fail"_s;
    case Verdict::NotMeasured:
        break;
    }
    return u"not measured"_s;
}

LoadTestConfig LoadTestConfig::seed() {
    LoadTestConfig c;
    c.stream(LoadStream::Ingestion) = {3, 600};
    c.stream(LoadStream::Tracked) = {30, 300};
    c.stream(LoadStream::Analytics) = {10, 300};
    c.stream(LoadStream::Sync) = {5, 300};
    c.stream(LoadStream::Webhooks) = {15, 600};
    c.accounts = 10;
    c.queueDepth = 200;
    return c;
}

Status checkLoopbackUrl(const QUrl& url) {
    const QString host = url.host().toLower();
    if (!url.isValid() || url.scheme() != u"http" ||
        (host != u"127.0.0.1" && host != u"localhost" && host != u"::1")) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"'%1': the load tester only talks to http://127.0.0.1 (or "
                               u"localhost) and a port"_s.arg(url.toDisplayString()));
    }
    return {};
}

// ---- Criteria ----

namespace {

enum class Compare { Below, Above, AtLeast, Equal };

LoadCriterion judge(const QString& group, const QString& name, const std::optional<double>& value,
                    Compare compare, double limit, const QString& target,
                    const std::function<QString(double)>& format, const QString& missing) {
    LoadCriterion c{group, name, target, {}, value, Verdict::NotMeasured};
    if (!value || !std::isfinite(*value)) {
        c.value.reset();
        c.measured = missing;
        return c;
    }
    c.measured = format(*value);
    bool ok = false;
    switch (compare) {
    case Compare::Below:
        ok = *value < limit;
        break;
    case Compare::Above:
        ok = *value > limit;
        break;
    case Compare::AtLeast:
        ok = *value >= limit;
        break;
    case Compare::Equal:
        ok = *value == limit;
        break;
    }
    c.verdict = ok ? Verdict::Pass : Verdict::Fail;
    return c;
}

LoadCriterion notMeasured(const QString& group, const QString& name, const QString& target,
                          const QString& why) {
    return LoadCriterion{group, name, target, why, std::nullopt, Verdict::NotMeasured};
}

} // namespace

QList<LoadCriterion> evaluateLoadCriteria(const LoadTestMeasurements& m) {
    const auto ms = [](double v) { return formatNumber(v, 1) + u" ms"_s; };
    const auto perHour = [](double v) { return formatNumber(v, 0) + u" /hour"_s; };
    const auto perMinute = [](double v) { return formatNumber(v, 0) + u" /minute"_s; };
    const auto percent = [](double v) { return formatNumber(v, 2) + u" %"_s; };
    const auto count = [](double v) { return formatNumber(v, 0); };
    const QString noIngestion = u"no ingestion measured (needs --db and the ingestion stream)"_s;
    const QString noWebhooks = u"no webhook jobs measured (needs --db and the webhook stream)"_s;
    const QString noApi = u"no API request answered"_s;
    const QString noSnapshot =
        u"no engine snapshot in the run (the engine stores one every 10 s)"_s;
    const QString noDb = u"needs --db"_s;
    const std::optional<double> availabilityPercent =
        m.availability ? std::optional<double>(*m.availability * 100) : std::nullopt;
    const std::optional<double> cachedPercent =
        m.cachedShare ? std::optional<double>(*m.cachedShare * 100) : std::nullopt;

    const QString t = u"Target metrics"_s;
    const QString w1 = u"Week 1"_s;
    const QString w2 = u"Week 2"_s;
    const QString w3 = u"Week 3"_s;
    QList<LoadCriterion> c;
    c << judge(t, u"Email processing"_s, m.emailsPerHour, Compare::AtLeast, 10000,
               u">= 10,000 /hour"_s, perHour, noIngestion)
      << judge(t, u"API response time P95"_s, m.apiP95Ms, Compare::Below, 200, u"< 200 ms"_s, ms,
               noApi)
      << judge(t, u"API response time P99"_s, m.apiP99Ms, Compare::Below, 500, u"< 500 ms"_s, ms,
               noApi)
      << judge(t, u"Database query time P95"_s, m.dbQueryP95Ms, Compare::Below, 100, u"< 100 ms"_s,
               ms, noSnapshot)
      << judge(t, u"System availability"_s, availabilityPercent, Compare::AtLeast, 99.9,
               u">= 99.9 % of requests answered"_s, percent, u"no request sent"_s)
      << judge(t, u"CPU utilization (engine, peak)"_s, m.cpuPercentPeak, Compare::Below, 50,
               u"< 50 %"_s, percent, noSnapshot)
      << judge(t, u"Memory stable (engine)"_s, m.memoryGrowthPercent, Compare::Below, 10,
               u"grows < 10 % over the run"_s, percent,
               u"fewer than two engine snapshots in the run"_s);

    c << judge(
             w1, u"All critical indexes created"_s, m.criticalIndexes, Compare::Equal, 4,
             u"4 of 4"_s, [](double v) { return u"%1 of 4"_s.arg(v, 0, 'f', 0); }, noDb)
      << notMeasured(w1, u"Query execution times reduced by > 60%"_s, u"> 60 % faster"_s,
                     u"needs a legacy baseline (bench_queries compares the paths)"_s)
      << judge(w1, u"No database errors or connection issues"_s, m.databaseErrors, Compare::Equal,
               0, u"0"_s, count, u"no request sent"_s)
      << judge(w1, u"Dashboard loading time (tracked + analytics P95)"_s, m.dashboardP95Ms,
               Compare::Below, 500, u"< 500 ms"_s, ms, noApi)
      << judge(w1, u"API P95 response time"_s, m.apiP95Ms, Compare::Below, 300, u"< 300 ms"_s, ms,
               noApi);

    c << notMeasured(w2, u"Rate limiting cache hit rate"_s, u"> 80 %"_s,
                     u"the engine does not publish it over HTTP"_s)
      << judge(w2, u"Query result caching operational (tracked answers from cache)"_s,
               cachedPercent, Compare::Above, 0, u"> 0 %"_s, percent, u"no tracked-emails answer"_s)
      << judge(w2, u"Performance monitoring collecting data (/metrics API requests)"_s,
               m.monitoringSamples, Compare::Above, 0, u"> 0"_s, count,
               u"/metrics could not be read"_s)
      << notMeasured(w2, u"No cache-related errors or memory leaks"_s, u"none"_s,
                     u"cache errors are not published (memory: see Target metrics)"_s)
      << notMeasured(w2, u"Overall API performance improved by > 50%"_s, u"> 50 % faster"_s,
                     u"needs a baseline run"_s);

    c << judge(w3, u"Email processing throughput"_s, m.emailsPerHour, Compare::AtLeast, 10000,
               u">= 10,000 /hour"_s, perHour, noIngestion)
      << judge(w3, u"Webhook processing throughput"_s, m.webhookJobsPerMinute, Compare::AtLeast,
               800, u">= 800 /minute"_s, perMinute, noWebhooks)
      << judge(w3, u"API endpoints P95 (slowest endpoint)"_s, m.worstEndpointP95Ms, Compare::Below,
               200, u"< 200 ms"_s, ms, noApi)
      << judge(w3, u"System resource utilization during peak (engine CPU)"_s, m.cpuPercentPeak,
               Compare::Below, 50, u"< 50 %"_s, percent, noSnapshot)
      << notMeasured(w3, u"All rollback procedures tested and functional"_s, u"tested"_s,
                     u"not part of a load test (trackwatchctl rollback tests)"_s);
    return c;
}

// ---- Report ----

bool LoadTestReport::passed() const {
    return std::none_of(criteria.begin(), criteria.end(),
                        [](const LoadCriterion& c) { return c.verdict == Verdict::Fail; });
}

namespace {

QString table(const QStringList& header, const QList<QStringList>& rows) {
    QList<qsizetype> widths;
    for (const QString& h : header) {
        widths << h.size();
    }
    for (const QStringList& row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    QString out;
    const auto line = [&](const QStringList& cells) {
        for (qsizetype i = 0; i < cells.size(); ++i) {
            out += i + 1 < cells.size() ? cells[i].leftJustified(widths[i] + 2) : cells[i];
        }
        out += u'\n';
    };
    line(header);
    for (const QStringList& row : rows) {
        line(row);
    }
    return out;
}

} // namespace

QString LoadTestReport::text() const {
    QString out = u"Load test against %1, %2 to %3 (durations x %4)\n\n"_s.arg(
        url, startedAt.toString(Qt::ISODate), finishedAt.toString(Qt::ISODate),
        formatNumber(durationScale, 3));
    QList<QStringList> rows;
    for (const LoadStreamResult& s : streams) {
        rows << QStringList{loadStreamName(s.stream),       formatNumber(s.targetRps, 1),
                            formatNumber(s.achievedRps, 1), formatNumber(s.durationSecs, 1),
                            QString::number(s.sent),        QString::number(s.ok),
                            QString::number(s.errors),      formatNumber(s.p50Ms, 1),
                            formatNumber(s.p95Ms, 1),       formatNumber(s.p99Ms, 1),
                            formatNumber(s.maxMs, 1)};
    }
    out += table({u"STREAM"_s, u"TARGET RPS"_s, u"SENT RPS"_s, u"SECS"_s, u"SENT"_s, u"OK"_s,
                  u"ERRORS"_s, u"P50 MS"_s, u"P95 MS"_s, u"P99 MS"_s, u"MAX MS"_s},
                 rows);
    for (const LoadStreamResult& s : streams) {
        if (!s.firstError.isEmpty()) {
            out += u"  %1: first error: %2\n"_s.arg(loadStreamName(s.stream), s.firstError);
        }
    }
    if (measurements.maxQueueDepth) {
        out += u"webhook queue depth (all jobs waiting or running), peak: %1\n"_s.arg(
            formatNumber(*measurements.maxQueueDepth, 0));
    }
    out += u"\n"_s;
    rows.clear();
    for (const LoadCriterion& c : criteria) {
        rows << QStringList{c.group, c.name, c.target, c.measured,
                            c.verdict == Verdict::Pass   ? u"PASS"_s
                            : c.verdict == Verdict::Fail ? u"FAIL"_s
                                                         : u"not measured"_s};
    }
    out += table({u"GROUP"_s, u"CRITERION"_s, u"TARGET"_s, u"MEASURED"_s, u"RESULT"_s}, rows);
    for (const QString& n : notes) {
        out += u"note: %1\n"_s.arg(n);
    }
    const auto failed = std::count_if(criteria.begin(), criteria.end(), [](const LoadCriterion& c) {
        return c.verdict == Verdict::Fail;
    });
    const auto measured =
        std::count_if(criteria.begin(), criteria.end(),
                      [](const LoadCriterion& c) { return c.verdict != Verdict::NotMeasured; });
    out += u"\n%1: %2 of %3 measured criteria passed, %4 not measured\n"_s.arg(
        passed() ? u"PASSED"_s : u"FAILED"_s, QString::number(measured - failed),
        QString::number(measured), QString::number(criteria.size() - measured));
    return out;
}

namespace {

QJsonValue optionalJson(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? QJsonValue(*v) : QJsonValue();
}

std::optional<double> optionalFrom(const QJsonValue& v) {
    return v.isDouble() ? std::optional<double>(v.toDouble()) : std::nullopt;
}

// The measurements by JSON name, for writing and reading them the same way.
std::vector<std::pair<QString, std::optional<double> LoadTestMeasurements::*>> measurementFields() {
    using M = LoadTestMeasurements;
    return {{u"emailsPerHour"_s, &M::emailsPerHour},
            {u"webhookJobsPerMinute"_s, &M::webhookJobsPerMinute},
            {u"maxQueueDepth"_s, &M::maxQueueDepth},
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
}

std::optional<Verdict> verdictFromName(const QString& name) {
    for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::NotMeasured}) {
        if (verdictName(v) == name) {
            return v;
        }
    }
    return std::nullopt;
}

} // namespace

QJsonObject LoadTestReport::toJson() const {
    QJsonArray streamArray;
    for (const LoadStreamResult& s : streams) {
        QJsonObject statusCounts;
        for (auto it = s.statuses.begin(); it != s.statuses.end(); ++it) {
            statusCounts.insert(QString::number(it.key()), it.value());
        }
        streamArray.append(QJsonObject{{u"stream"_s, loadStreamName(s.stream)},
                                       {u"targetRps"_s, s.targetRps},
                                       {u"durationSecs"_s, s.durationSecs},
                                       {u"scheduled"_s, s.scheduled},
                                       {u"sent"_s, s.sent},
                                       {u"ok"_s, s.ok},
                                       {u"errors"_s, s.errors},
                                       {u"serverErrors"_s, s.serverErrors},
                                       {u"cached"_s, s.cached},
                                       {u"storeFailures"_s, s.storeFailures},
                                       {u"achievedRps"_s, s.achievedRps},
                                       {u"p50Ms"_s, s.p50Ms},
                                       {u"p95Ms"_s, s.p95Ms},
                                       {u"p99Ms"_s, s.p99Ms},
                                       {u"maxMs"_s, s.maxMs},
                                       {u"meanMs"_s, s.meanMs},
                                       {u"maxSendLagMs"_s, s.maxSendLagMs},
                                       {u"statuses"_s, statusCounts},
                                       {u"firstError"_s, s.firstError}});
    }
    QJsonObject measured;
    for (const auto& [name, field] : measurementFields()) {
        measured.insert(name, optionalJson(measurements.*field));
    }
    QJsonArray criteriaArray;
    for (const LoadCriterion& c : criteria) {
        criteriaArray.append(QJsonObject{{u"group"_s, c.group},
                                         {u"name"_s, c.name},
                                         {u"target"_s, c.target},
                                         {u"measured"_s, c.measured},
                                         {u"value"_s, optionalJson(c.value)},
                                         {u"result"_s, verdictName(c.verdict)}});
    }
    return QJsonObject{{u"url"_s, url},
                       {u"startedAt"_s, startedAt.toUTC().toString(Qt::ISODateWithMs)},
                       {u"finishedAt"_s, finishedAt.toUTC().toString(Qt::ISODateWithMs)},
                       {u"durationScale"_s, durationScale},
                       {u"streams"_s, streamArray},
                       {u"measurements"_s, measured},
                       {u"criteria"_s, criteriaArray},
                       {u"notes"_s, QJsonArray::fromStringList(notes)},
                       {u"passed"_s, passed()},
                       {u"exitCode"_s, exitCode()}};
}

Result<LoadTestReport> LoadTestReport::fromJson(const QJsonObject& json) {
    const auto bad = [](const QString& what) {
        return Error{ErrorCode::ParseError, u"load test report: %1"_s.arg(what)};
    };
    LoadTestReport r;
    r.url = json.value(u"url"_s).toString();
    r.startedAt = QDateTime::fromString(json.value(u"startedAt"_s).toString(), Qt::ISODateWithMs);
    r.finishedAt = QDateTime::fromString(json.value(u"finishedAt"_s).toString(), Qt::ISODateWithMs);
    r.durationScale = json.value(u"durationScale"_s).toDouble(1);
    if (!json.value(u"streams"_s).isArray() || !json.value(u"criteria"_s).isArray()) {
        return bad(u"no streams or criteria"_s);
    }
    for (const QJsonValue& v : json.value(u"streams"_s).toArray()) {
        const QJsonObject o = v.toObject();
        const auto stream = streamFromName(o.value(u"stream"_s).toString());
        if (!stream) {
            return bad(u"unknown stream '%1'"_s.arg(o.value(u"stream"_s).toString()));
        }
        LoadStreamResult s;
        s.stream = *stream;
        s.targetRps = o.value(u"targetRps"_s).toDouble();
        s.durationSecs = o.value(u"durationSecs"_s).toDouble();
        s.scheduled = o.value(u"scheduled"_s).toInteger();
        s.sent = o.value(u"sent"_s).toInteger();
        s.ok = o.value(u"ok"_s).toInteger();
        s.errors = o.value(u"errors"_s).toInteger();
        s.serverErrors = o.value(u"serverErrors"_s).toInteger();
        s.cached = o.value(u"cached"_s).toInteger();
        s.storeFailures = o.value(u"storeFailures"_s).toInteger();
        s.achievedRps = o.value(u"achievedRps"_s).toDouble();
        s.p50Ms = o.value(u"p50Ms"_s).toDouble();
        s.p95Ms = o.value(u"p95Ms"_s).toDouble();
        s.p99Ms = o.value(u"p99Ms"_s).toDouble();
        s.maxMs = o.value(u"maxMs"_s).toDouble();
        s.meanMs = o.value(u"meanMs"_s).toDouble();
        s.maxSendLagMs = o.value(u"maxSendLagMs"_s).toDouble();
        const QJsonObject statusCounts = o.value(u"statuses"_s).toObject();
        for (auto it = statusCounts.begin(); it != statusCounts.end(); ++it) {
            s.statuses.insert(it.key().toInt(), it.value().toInteger());
        }
        s.firstError = o.value(u"firstError"_s).toString();
        r.streams << s;
    }
    const QJsonObject measured = json.value(u"measurements"_s).toObject();
    for (const auto& [name, field] : measurementFields()) {
        r.measurements.*field = optionalFrom(measured.value(name));
    }
    for (const QJsonValue& v : json.value(u"criteria"_s).toArray()) {
        const QJsonObject o = v.toObject();
        const auto verdict = verdictFromName(o.value(u"result"_s).toString());
        if (!verdict) {
            return bad(u"unknown result '%1'"_s.arg(o.value(u"result"_s).toString()));
        }
        r.criteria << LoadCriterion{
            o.value(u"group"_s).toString(),    o.value(u"name"_s).toString(),
            o.value(u"target"_s).toString(),   o.value(u"measured"_s).toString(),
            optionalFrom(o.value(u"value"_s)), *verdict};
    }
    for (const QJsonValue& v : json.value(u"notes"_s).toArray()) {
        r.notes << v.toString();
    }
    return r;
}

QString LoadProgress::line() const {
    QStringList parts{u"%1s"_s.arg(formatNumber(elapsedSecs, 0))};
    for (const Stream& s : streams) {
        parts << u"%1 %2 sent %3 ok %4 err p95 %5ms%6"_s.arg(loadStreamName(s.stream))
                     .arg(s.sent)
                     .arg(s.ok)
                     .arg(s.errors)
                     .arg(formatNumber(s.p95Ms, 1), s.done ? u" (done)"_s : QString());
    }
    if (emailsIngested) {
        parts << u"emails %1"_s.arg(*emailsIngested);
    }
    if (jobsDone) {
        parts << u"jobs done %1"_s.arg(*jobsDone);
    }
    if (queueDepth) {
        parts << u"queue %1"_s.arg(*queueDepth);
    }
    return parts.join(u" | "_s);
}

// ---- The streams ----

namespace detail {

// One stream's counters and latencies, written by its thread and read once a second by the
// thread that runs the test.
struct StreamState {
    std::mutex mutex;
    Histogram latency;
    qint64 sent = 0;
    qint64 ok = 0;
    qint64 errors = 0;
    qint64 serverErrors = 0;
    qint64 cached = 0;
    qint64 storeFailures = 0;
    qint64 inFlight = 0;
    qint64 maxInFlight = 0;
    double maxSendLagMs = 0;
    QMap<int, qint64> statuses;
    QString firstError;
    SteadyClock::time_point firstSend{};
    SteadyClock::time_point lastSend{};
    bool done = false;
};

// What one stream sends, decided before it starts.
struct StreamPlan {
    LoadStream stream = LoadStream::Tracked;
    double rps = 0;
    double durationSecs = 0;
    qint64 count = 0;   // requests on the rate schedule
    qint64 backlog = 0; // webhooks: notifications posted at the start, in batches
    QUrl base;
    QString token;
    QString clientState;
    QString tag; // this run's: in every account, message and resource id
    QStringList runAccounts;
    QStringList queryAccounts;
    QString since; // tracked: the "active" filter's since
    double ingestionRps = 0;
    std::optional<ConnectionSpec> database;
    int timeoutMs = 30000;
    std::function<void(LoadStream, qint64)> beforeSend;
    SteadyClock::time_point start;

    qint64 backlogPosts() const {
        return (backlog + kNotificationsPerBacklogPost - 1) / kNotificationsPerBacklogPost;
    }
    qint64 total() const { return backlogPosts() + count; }
    SteadyClock::time_point scheduledAt(qint64 index) const {
        const qint64 i = std::max<qint64>(index - backlogPosts(), 0);
        return start + std::chrono::nanoseconds(
                           static_cast<qint64>(std::llround(static_cast<double>(i) * 1e9 / rps)));
    }
};

class StreamWorker : public QObject {
    Q_OBJECT
public:
    StreamWorker(StreamPlan plan, std::shared_ptr<StreamState> state)
        : m_plan(std::move(plan))
        , m_state(std::move(state)) {}

    // On the stream's thread: opens what it needs and starts the schedule.
    void begin() {
        for (int i = 0; i < kManagersPerStream; ++i) {
            auto* manager = new QNetworkAccessManager(this);
            manager->setProxy(QNetworkProxy::NoProxy);
            manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
            m_managers << manager;
        }
        if (needsMailSource()) {
            auto db = Database::open(*m_plan.database);
            if (!db) {
                fail(u"mail source: "_s + db.error().message);
                return;
            }
            m_db = std::move(db).value();
            m_source = std::make_unique<MailSource>(*m_db, m_clock);
            if (m_plan.backlog > 0) {
                QList<SourceMessage> messages;
                for (qint64 b = 0; b < m_plan.backlog; ++b) {
                    messages << inbound(u"b%1"_s.arg(b), b);
                }
                if (const Status s = m_source->storeMany(messages); !s) {
                    fail(u"mail source: "_s + s.error().message);
                    return;
                }
            }
        }
        m_timer = new QTimer(this);
        m_timer->setTimerType(Qt::PreciseTimer);
        m_timer->setSingleShot(true);
        connect(m_timer, &QTimer::timeout, this, &StreamWorker::tick);
        tick();
    }

    // On the stream's thread, before it stops: releases the connections.
    void shutdown() {
        if (m_timer) {
            m_timer->stop();
        }
        for (QNetworkAccessManager* m : m_managers) {
            delete m;
        }
        m_managers.clear();
        m_source.reset();
        m_db.reset();
    }

signals:
    void finished();

private:
    bool needsMailSource() const {
        return m_plan.stream == LoadStream::Ingestion || m_plan.stream == LoadStream::Webhooks;
    }

    void fail(const QString& message) {
        {
            std::lock_guard lock(m_state->mutex);
            m_state->firstError = message;
            m_state->done = true;
        }
        emit finished();
    }

    void tick() {
        const auto now = SteadyClock::now();
        while (m_next < m_plan.total() && m_plan.scheduledAt(m_next) <= now) {
            send(m_next, m_plan.scheduledAt(m_next));
            ++m_next;
        }
        if (m_next < m_plan.total()) {
            const auto wait = m_plan.scheduledAt(m_next) - SteadyClock::now();
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
            m_timer->start(static_cast<int>(std::max<qint64>(ms, 0)));
            return;
        }
        finishIfIdle();
    }

    void finishIfIdle() {
        bool finishedNow = false;
        {
            std::lock_guard lock(m_state->mutex);
            if (m_next >= m_plan.total() && m_state->inFlight == 0 && !m_state->done) {
                m_state->done = true;
                finishedNow = true;
            }
        }
        if (finishedNow) {
            emit finished();
        }
    }

    QString account(qint64 i) const {
        return m_plan.runAccounts[static_cast<qsizetype>(i % m_plan.runAccounts.size())];
    }
    QString queryAccount(qint64 i) const {
        return m_plan.queryAccounts[static_cast<qsizetype>(i % m_plan.queryAccounts.size())];
    }
    QString messageId(const QString& local) const {
        return u"%1.%2@%3"_s.arg(m_plan.tag, local, QLatin1String(kEmailDomain));
    }

    // Sent mail number k of the ingestion stream.
    SourceMessage sent(qint64 k) const {
        MailMessage m;
        m.messageId = messageId(u"s%1"_s.arg(k));
        m.sender = account(k);
        m.senderName = u"Load test"_s;
        m.recipients = {u"client-%1@customer.example"_s.arg(k % 89)};
        m.subject = u"Proposal %1"_s.arg(k);
        m.sentAt = QDateTime::currentDateTimeUtc();
        return SourceMessage{m.sender, u"%1-s%2"_s.arg(m_plan.tag).arg(k), MailSource::render(m),
                             SourceKind::Sent};
    }

    // Inbound mail number i: every third a reply to sent mail the ingestion stream has sent
    // (or is about to), the rest messages that answer nothing.
    SourceMessage inbound(const QString& local, qint64 i) const {
        MailMessage m;
        m.messageId = messageId(local);
        m.sender = u"contact-%1@customer.example"_s.arg(i % 97);
        m.senderName = u"Contact %1"_s.arg(i % 97);
        m.sentAt = QDateTime::currentDateTimeUtc();
        QString to = account(i);
        const auto k = static_cast<qint64>(
                           std::floor(static_cast<double>(i) * m_plan.ingestionRps / m_plan.rps)) -
                       1;
        if (i % 3 == 0 && m_plan.ingestionRps > 0 && k >= 0) {
            to = account(k);
            m.inReplyTo = {messageId(u"s%1"_s.arg(k))};
            m.references = m.inReplyTo;
            m.subject = u"Re: Proposal %1"_s.arg(k);
        } else {
            m.subject = u"Question %1"_s.arg(i);
        }
        m.recipients = {to};
        return SourceMessage{to, u"%1-%2"_s.arg(m_plan.tag, local), MailSource::render(m),
                             SourceKind::Inbound};
    }

    QJsonObject notification(const SourceMessage& message) const {
        return QJsonObject{
            {u"subscriptionId"_s, u"loadtest-%1"_s.arg(m_plan.tag)},
            {u"clientState"_s, m_plan.clientState},
            {u"changeType"_s, u"created"_s},
            {u"resource"_s, u"users/%1/messages/%2"_s.arg(message.account, message.resourceId)},
            {u"resourceData"_s, QJsonObject{{u"@odata.type"_s, u"#Microsoft.Graph.Message"_s},
                                            {u"id"_s, message.resourceId}}}};
    }

    // Stores the messages at the source; false (counted) when that failed.
    bool store(const QList<SourceMessage>& messages) {
        if (const Status s = m_source->storeMany(messages); !s) {
            std::lock_guard lock(m_state->mutex);
            ++m_state->storeFailures;
            ++m_state->errors;
            if (m_state->firstError.isEmpty()) {
                m_state->firstError = u"mail source: "_s + s.error().message;
            }
            return false;
        }
        return true;
    }

    void send(qint64 index, SteadyClock::time_point scheduled) {
        if (m_plan.beforeSend) {
            m_plan.beforeSend(m_plan.stream, index);
        }
        QUrl url = m_plan.base;
        QByteArray verb = "GET";
        QByteArray body;
        const qint64 i = index - m_plan.backlogPosts(); // position on the rate schedule
        switch (m_plan.stream) {
        case LoadStream::Tracked: {
            url.setPath(u"/api/emails/tracked"_s);
            QUrlQuery q{{u"account"_s, queryAccount(i)}, {u"limit"_s, u"20"_s}};
            const qint64 shape = (i / std::max<qsizetype>(m_plan.queryAccounts.size(), 1)) % 3;
            if (shape == 1) {
                q.addQueryItem(u"status"_s, u"active"_s);
                q.addQueryItem(u"since"_s, m_plan.since);
            } else if (shape == 2) {
                q.addQueryItem(u"status"_s, u"replied"_s);
            }
            url.setQuery(q);
            break;
        }
        case LoadStream::Analytics:
            url.setPath(u"/api/emails/analytics"_s);
            url.setQuery(QUrlQuery{{u"account"_s, queryAccount(i)}});
            break;
        case LoadStream::Sync:
            url.setPath(u"/api/emails/sync"_s);
            verb = "POST";
            body = QJsonDocument(QJsonObject{{u"account"_s, account(i)}})
                       .toJson(QJsonDocument::Compact);
            break;
        case LoadStream::Ingestion:
        case LoadStream::Webhooks: {
            url.setPath(u"/api/webhooks/mail"_s);
            verb = "POST";
            QList<SourceMessage> messages;
            QJsonArray value;
            if (index < m_plan.backlogPosts()) { // stored in begin()
                for (qint64 b = index * kNotificationsPerBacklogPost;
                     b < std::min(m_plan.backlog, (index + 1) * kNotificationsPerBacklogPost);
                     ++b) {
                    value.append(notification(inbound(u"b%1"_s.arg(b), b)));
                }
            } else {
                messages << (m_plan.stream == LoadStream::Ingestion ? sent(i)
                                                                    : inbound(u"i%1"_s.arg(i), i));
                if (!store(messages)) {
                    noteSent(scheduled);
                    return;
                }
                value.append(notification(messages.first()));
            }
            body = QJsonDocument(QJsonObject{{u"value"_s, value}}).toJson(QJsonDocument::Compact);
            break;
        }
        }
        QNetworkRequest request(url);
        request.setTransferTimeout(m_plan.timeoutMs);
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        if (verb == "POST") {
            request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        }
        if (m_plan.stream == LoadStream::Sync && !m_plan.token.isEmpty()) {
            request.setRawHeader("Authorization", "Bearer " + m_plan.token.toUtf8());
        }
        QNetworkAccessManager* manager =
            m_managers[static_cast<qsizetype>(index % m_managers.size())];
        QNetworkReply* reply = verb == "GET" ? manager->get(request) : manager->post(request, body);
        noteSent(scheduled);
        {
            std::lock_guard lock(m_state->mutex);
            ++m_state->inFlight;
            m_state->maxInFlight = std::max(m_state->maxInFlight, m_state->inFlight);
        }
        connect(reply, &QNetworkReply::finished, this,
                [this, reply, scheduled] { answered(reply, scheduled); });
    }

    void noteSent(SteadyClock::time_point scheduled) {
        const auto now = SteadyClock::now();
        std::lock_guard lock(m_state->mutex);
        if (m_state->sent == 0) {
            m_state->firstSend = now;
        }
        m_state->lastSend = now;
        ++m_state->sent;
        m_state->maxSendLagMs =
            std::max(m_state->maxSendLagMs,
                     std::chrono::duration<double, std::milli>(now - scheduled).count());
    }

    void answered(QNetworkReply* reply, SteadyClock::time_point scheduled) {
        const auto latency = SteadyClock::now() - scheduled;
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        const bool ok = status >= 200 && status < 300;
        bool cached = false;
        if (ok && m_plan.stream == LoadStream::Tracked) {
            cached =
                QJsonDocument::fromJson(body).object().value(u"path"_s).toString() == u"cached";
        }
        {
            std::lock_guard lock(m_state->mutex);
            m_state->latency.record(std::chrono::duration_cast<std::chrono::nanoseconds>(latency));
            --m_state->inFlight;
            ++m_state->statuses[status];
            if (ok) {
                ++m_state->ok;
                m_state->cached += cached ? 1 : 0;
            } else {
                ++m_state->errors;
                if (status == 0 || status >= 500) {
                    ++m_state->serverErrors;
                }
                if (m_state->firstError.isEmpty()) {
                    m_state->firstError = status == 0
                                              ? reply->errorString()
                                              : u"HTTP %1: %2"_s.arg(status).arg(
                                                    QString::fromUtf8(body.left(300)).simplified());
                }
            }
        }
        finishIfIdle();
    }

    StreamPlan m_plan;
    std::shared_ptr<StreamState> m_state;
    QList<QNetworkAccessManager*> m_managers;
    QTimer* m_timer = nullptr; // a child, so it moves to the stream's thread
    qint64 m_next = 0;
    SystemClock m_clock;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<MailSource> m_source;
};

} // namespace detail

// ---- The run ----

namespace {

// One GET on the calling thread, for the few requests made around the run.
struct Fetched {
    int status = 0;
    QByteArray body;
};

Fetched fetch(const QUrl& url, int timeoutMs) {
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    QNetworkReply* reply = manager.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Fetched f{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    delete reply;
    return f;
}

// The sum of a Prometheus counter over all its series, or nullopt when /metrics is not there.
std::optional<double> scrapeCounter(const QUrl& base, const QByteArray& name, int timeoutMs) {
    QUrl url = base;
    url.setPath(u"/metrics"_s);
    url.setQuery(QString());
    const Fetched f = fetch(url, timeoutMs);
    if (f.status != 200) {
        return std::nullopt;
    }
    double sum = 0;
    for (const QByteArray& line : f.body.split('\n')) {
        if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
            sum += line.mid(line.lastIndexOf(' ') + 1).toDouble();
        }
    }
    return sum;
}

// The engine's database as the tester reads it, on the calling thread.
class DatabaseProbe {
public:
    DatabaseProbe(std::unique_ptr<Database> db, QString accountPattern)
        : m_db(std::move(db))
        , m_pattern(std::move(accountPattern)) {}

    Status begin() {
        auto tracked = scalar(u"SELECT COALESCE(MAX(id), 0) FROM tracked_emails"_s, {});
        auto jobs = scalar(u"SELECT COALESCE(MAX(id), 0) FROM webhook_jobs"_s, {});
        if (!tracked || !jobs) {
            return Status(!tracked ? tracked.error() : jobs.error());
        }
        m_trackedFrom = *tracked;
        m_jobsFrom = *jobs;
        return {};
    }

    Result<qint64> emailsIngested() {
        return scalar(u"SELECT count(*) FROM tracked_emails t JOIN accounts a ON a.id = "
                      u"t.email_account_id WHERE t.id > ? AND a.email_address LIKE ?"_s,
                      {m_trackedFrom, m_pattern});
    }
    Result<qint64> jobsDone() {
        return scalar(u"SELECT count(*) FROM webhook_jobs WHERE id > ? AND state = 'done' AND "
                      u"account LIKE ?"_s,
                      {m_jobsFrom, m_pattern});
    }
    Result<qint64> jobsPending() {
        return scalar(u"SELECT count(*) FROM webhook_jobs WHERE id > ? AND state IN ('queued', "
                      u"'retry', 'running') AND account LIKE ?"_s,
                      {m_jobsFrom, m_pattern});
    }
    Result<qint64> queueDepth() {
        return scalar(u"SELECT count(*) FROM webhook_jobs WHERE state IN ('queued', 'retry', "
                      u"'running')"_s,
                      {});
    }

    // How many of the seed's four critical indexes exist.
    Result<qint64> criticalIndexes() {
        const QString names = u"'idx_tracked_emails_account_status_response', "
                              u"'idx_tracked_emails_active_tracking', "
                              u"'idx_rate_limit_active_window', 'idx_webhook_queue_priority'"_s;
        return scalar(m_db->dialect() == Dialect::PostgreSql
                          ? u"SELECT count(*) FROM pg_indexes WHERE indexname IN (%1)"_s.arg(names)
                          : u"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name "
                            u"IN (%1)"_s.arg(names),
                      {});
    }

    Result<QStringList> firstAccounts(int n) {
        auto q = m_db->exec(u"SELECT email_address FROM accounts ORDER BY id LIMIT %1"_s.arg(n));
        if (!q) {
            return q.error();
        }
        QStringList out;
        while (q->next()) {
            out << q->value(0).toString();
        }
        return out;
    }

    Result<QList<MonitorSample>> samples(const QString& engineId, const QDateTime& from,
                                         const QDateTime& to) {
        MetricHistory history(*m_db);
        return history.samples(engineId, from, to);
    }

private:
    Result<qint64> scalar(const QString& sql, const QVariantList& values) {
        auto q = m_db->exec(sql, values);
        if (!q) {
            return q.error();
        }
        if (!q->next()) {
            return Error{ErrorCode::DatabaseError, u"no row from: "_s + sql.left(60)};
        }
        return q->value(0).toLongLong();
    }

    std::unique_ptr<Database> m_db;
    QString m_pattern;
    qint64 m_trackedFrom = 0;
    qint64 m_jobsFrom = 0;
};

struct RunningStream {
    detail::StreamPlan plan;
    std::shared_ptr<detail::StreamState> state;
    std::unique_ptr<QThread> thread;
    detail::StreamWorker* worker = nullptr;
};

double percentileMs(const Histogram& h, double p) {
    return nsToMs(h.percentile(p));
}

} // namespace

LoadTester::LoadTester(LoadTestConfig config)
    : m_config(std::move(config)) {}

LoadTester::~LoadTester() = default;

Result<LoadTestReport> LoadTester::run(const std::function<void(const LoadProgress&)>& progress) {
    const LoadTestConfig& cfg = m_config;
    if (const Status s = checkLoopbackUrl(cfg.url); !s) {
        return s.error();
    }
    if (cfg.accounts < 1 || cfg.durationScale <= 0 || cfg.queueDepth < 0) {
        return Error{ErrorCode::InvalidArgument,
                     u"accounts must be at least 1, the duration scale above 0 and the queue "
                     u"depth not negative"_s};
    }
    LoadTestReport report;
    report.url = cfg.url.toString();
    report.durationScale = cfg.durationScale;

    const QString tag =
        u"lt-%1"_s.arg(QRandomGenerator::global()->generate() & 0xffffff, 6, 16, QLatin1Char('0'));
    QStringList runAccounts;
    for (int i = 1; i <= cfg.accounts; ++i) {
        runAccounts << u"%1-%2@%3"_s.arg(tag)
                           .arg(i, 2, 10, QLatin1Char('0'))
                           .arg(QLatin1String(kEmailDomain));
    }

    // The database: what the streams store into and what the tester reads.
    std::unique_ptr<DatabaseProbe> probe;
    QStringList queryAccounts = cfg.queryAccounts;
    if (cfg.database) {
        auto db = Database::open(*cfg.database);
        if (!db) {
            return db.error();
        }
        probe = std::make_unique<DatabaseProbe>(std::move(db).value(), tag + u"-%"_s);
        if (const Status s = probe->begin(); !s) {
            return s.error();
        }
        if (auto indexes = probe->criticalIndexes()) {
            report.measurements.criticalIndexes = static_cast<double>(*indexes);
        }
        if (queryAccounts.isEmpty()) {
            if (auto first = probe->firstAccounts(50)) {
                queryAccounts = *first;
            }
        }
    }
    if (queryAccounts.isEmpty()) {
        queryAccounts = runAccounts;
    }

    // The engine's id, so its own figures can be read from metric_snapshots afterwards.
    QString engineId;
    {
        QUrl health = cfg.url;
        health.setPath(u"/api/health/performance"_s);
        const Fetched f = fetch(health, cfg.requestTimeoutMs);
        engineId = QJsonDocument::fromJson(f.body).object().value(u"engineId"_s).toString();
    }
    const QByteArray apiCounter = "trackwatch_api_requests_total";
    const std::optional<double> metricsBefore =
        scrapeCounter(cfg.url, apiCounter, cfg.requestTimeoutMs);

    // The plans.
    std::vector<RunningStream> streams;
    const auto start = SteadyClock::now() + std::chrono::milliseconds(200);
    for (LoadStream s : kAllStreams) {
        const LoadStreamConfig& sc = cfg.stream(s);
        if (sc.rps <= 0 || sc.durationSecs <= 0) {
            continue;
        }
        if ((s == LoadStream::Ingestion || s == LoadStream::Webhooks) && !cfg.database) {
            report.notes << u"%1 left out: it stores mail at the source, which needs the "
                            u"database"_s.arg(loadStreamName(s));
            continue;
        }
        detail::StreamPlan p;
        p.stream = s;
        p.rps = sc.rps;
        p.durationSecs = sc.durationSecs * cfg.durationScale;
        p.count = std::max<qint64>(1, std::llround(p.rps * p.durationSecs));
        p.backlog = s == LoadStream::Webhooks ? cfg.queueDepth : 0;
        p.base = cfg.url;
        p.token = cfg.token;
        p.clientState = cfg.clientState;
        p.tag = tag;
        p.runAccounts = runAccounts;
        p.queryAccounts = queryAccounts;
        p.since = QDateTime::currentDateTimeUtc().addDays(-30).date().startOfDay(Qt::UTC).toString(
            Qt::ISODate);
        p.ingestionRps = cfg.database ? cfg.stream(LoadStream::Ingestion).rps : 0;
        p.database = cfg.database;
        p.timeoutMs = cfg.requestTimeoutMs;
        p.beforeSend = cfg.beforeSend;
        p.start = start;
        streams.push_back(
            RunningStream{p, std::make_shared<detail::StreamState>(), nullptr, nullptr});
    }
    if (streams.empty()) {
        return Error{ErrorCode::InvalidArgument, u"no stream to run"_s};
    }
    const bool throughputStreams =
        probe && std::any_of(streams.begin(), streams.end(), [](const RunningStream& r) {
            return r.plan.stream == LoadStream::Ingestion || r.plan.stream == LoadStream::Webhooks;
        });

    report.startedAt = QDateTime::currentDateTimeUtc();
    QEventLoop loop;
    int running = 0;
    for (RunningStream& r : streams) {
        r.thread = std::make_unique<QThread>();
        r.thread->setObjectName(u"loadtest-"_s + loadStreamName(r.plan.stream));
        r.worker = new detail::StreamWorker(r.plan, r.state);
        r.worker->moveToThread(r.thread.get());
        QObject::connect(r.worker, &detail::StreamWorker::finished, &loop, [&] {
            if (--running == 0) {
                loop.quit();
            }
        });
        QObject::connect(r.thread.get(), &QThread::started, r.worker, &detail::StreamWorker::begin);
        ++running;
    }
    for (RunningStream& r : streams) {
        r.thread->start();
    }

    // Once a second: progress, throughput and queue depth.
    const auto runStart = SteadyClock::now();
    qint64 maxDepth = -1;
    std::optional<qint64> emails;
    std::optional<qint64> jobs;
    qint64 dbFailures = 0;
    const auto sample = [&]() -> LoadProgress {
        LoadProgress p;
        p.elapsedSecs = std::chrono::duration<double>(SteadyClock::now() - runStart).count();
        for (const RunningStream& r : streams) {
            std::lock_guard lock(r.state->mutex);
            p.streams << LoadProgress::Stream{r.plan.stream,
                                              r.state->sent,
                                              r.state->ok,
                                              r.state->errors,
                                              percentileMs(r.state->latency, 95),
                                              r.state->done};
        }
        if (throughputStreams) {
            auto e = probe->emailsIngested();
            auto j = probe->jobsDone();
            auto d = probe->queueDepth();
            dbFailures += (e ? 0 : 1) + (j ? 0 : 1) + (d ? 0 : 1);
            if (e) {
                emails = *e;
                p.emailsIngested = *e;
            }
            if (j) {
                jobs = *j;
                p.jobsDone = *j;
            }
            if (d) {
                maxDepth = std::max(maxDepth, *d);
                p.queueDepth = *d;
            }
        }
        return p;
    };
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, &loop, [&] {
        const LoadProgress p = sample();
        if (progress) {
            progress(p);
        }
    });
    ticker.start(1000);
    loop.exec();
    ticker.stop();

    // Ingestion and webhook jobs catch up for at most drainSecs.
    if (throughputStreams) {
        const auto drainEnd =
            SteadyClock::now() + std::chrono::milliseconds(std::llround(cfg.drainSecs * 1000));
        QTimer drain;
        QObject::connect(&drain, &QTimer::timeout, &loop, [&] {
            const LoadProgress p = sample();
            if (progress) {
                progress(p);
            }
            auto pending = probe->jobsPending();
            if (!pending || *pending == 0 || SteadyClock::now() >= drainEnd) {
                loop.quit();
            }
        });
        drain.start(1000);
        loop.exec();
        drain.stop();
        (void)sample();
    }
    report.finishedAt = QDateTime::currentDateTimeUtc();

    for (RunningStream& r : streams) {
        QMetaObject::invokeMethod(r.worker, &detail::StreamWorker::shutdown,
                                  Qt::BlockingQueuedConnection);
        r.thread->quit();
        r.thread->wait();
        delete r.worker;
        r.worker = nullptr;
    }

    // The streams' figures.
    LoadTestMeasurements& m = report.measurements;
    Histogram api;
    Histogram dashboard;
    qint64 sentTotal = 0;
    qint64 unavailable = 0;
    qint64 serverAndStore = 0;
    double worstP95 = -1;
    std::optional<qint64> trackedOk;
    qint64 trackedCached = 0;
    for (const RunningStream& r : streams) {
        const detail::StreamState& st = *r.state;
        LoadStreamResult s;
        s.stream = r.plan.stream;
        s.targetRps = r.plan.rps;
        s.durationSecs = r.plan.durationSecs;
        s.scheduled = r.plan.total();
        s.sent = st.sent;
        s.ok = st.ok;
        s.errors = st.errors;
        s.serverErrors = st.serverErrors;
        s.cached = st.cached;
        s.storeFailures = st.storeFailures;
        const double sendSecs = std::chrono::duration<double>(st.lastSend - r.plan.start).count();
        const qint64 onSchedule = std::max<qint64>(st.sent - r.plan.backlogPosts(), 0);
        s.achievedRps = onSchedule > 1 && sendSecs > 0
                            ? static_cast<double>(onSchedule - 1) / sendSecs
                            : static_cast<double>(onSchedule) / std::max(r.plan.durationSecs, 1e-9);
        s.p50Ms = percentileMs(st.latency, 50);
        s.p95Ms = percentileMs(st.latency, 95);
        s.p99Ms = percentileMs(st.latency, 99);
        s.maxMs = nsToMs(st.latency.max());
        s.meanMs = st.latency.mean() / 1e6;
        s.maxSendLagMs = st.maxSendLagMs;
        s.statuses = st.statuses;
        s.firstError = st.firstError;
        report.streams << s;

        sentTotal += st.sent;
        unavailable += st.serverErrors;
        for (auto it = st.statuses.begin(); it != st.statuses.end(); ++it) {
            serverAndStore += it.key() >= 500 ? it.value() : 0;
        }
        serverAndStore += st.storeFailures;
        if (isApiStream(s.stream) && st.latency.count() > 0) {
            api.merge(st.latency);
            worstP95 = std::max(worstP95, s.p95Ms);
            if (s.stream != LoadStream::Sync) {
                dashboard.merge(st.latency);
            }
        }
        if (s.stream == LoadStream::Tracked) {
            trackedOk = st.ok;
            trackedCached = st.cached;
        }
    }
    if (api.count() > 0) {
        m.apiP95Ms = percentileMs(api, 95);
        m.apiP99Ms = percentileMs(api, 99);
        m.worstEndpointP95Ms = worstP95;
    }
    if (dashboard.count() > 0) {
        m.dashboardP95Ms = percentileMs(dashboard, 95);
    }
    if (sentTotal > 0) {
        m.availability =
            static_cast<double>(sentTotal - unavailable) / static_cast<double>(sentTotal);
        m.databaseErrors = static_cast<double>(serverAndStore + dbFailures);
    }
    if (trackedOk && *trackedOk > 0) {
        m.cachedShare = static_cast<double>(trackedCached) / static_cast<double>(*trackedOk);
    }

    // Throughput, from the database.
    if (throughputStreams) {
        double ingestionSecs = 0;
        double jobSecs = 0;
        for (const RunningStream& r : streams) {
            if (r.plan.stream == LoadStream::Ingestion) {
                ingestionSecs = r.plan.durationSecs;
            }
            if (r.plan.stream == LoadStream::Ingestion || r.plan.stream == LoadStream::Webhooks) {
                jobSecs = std::max(jobSecs, r.plan.durationSecs);
            }
        }
        if (emails && ingestionSecs > 0) {
            m.emailsPerHour = static_cast<double>(*emails) / ingestionSecs * 3600;
        }
        if (jobs && jobSecs > 0) {
            m.webhookJobsPerMinute = static_cast<double>(*jobs) / jobSecs * 60;
        }
        if (maxDepth >= 0) {
            m.maxQueueDepth = static_cast<double>(maxDepth);
        }
        report.notes << u"throughput counts what the engine finished within %1 s of the last "
                        u"request, over the streams' duration"_s.arg(cfg.drainSecs);
    }

    // The engine's own figures over the run.
    if (probe) {
        if (engineId.isEmpty()) {
            report.notes << u"the engine did not name itself on /api/health/performance: its "
                            u"figures are every engine's on this database"_s;
        }
        auto samples = probe->samples(engineId, report.startedAt, report.finishedAt);
        if (samples && !samples->isEmpty()) {
            const int cores = std::max(QThread::idealThreadCount(), 1);
            double queryP95 = -1;
            double cpu = -1;
            QList<double> memory;
            for (const MonitorSample& s : *samples) {
                if (std::isfinite(s.queryP95Ms)) {
                    queryP95 = std::max(queryP95, s.queryP95Ms);
                }
                if (std::isfinite(s.cpuPercent)) {
                    cpu = std::max(cpu, s.cpuPercent / cores);
                }
                if (std::isfinite(s.memoryBytes) && s.memoryBytes > 0) {
                    memory << s.memoryBytes;
                }
            }
            if (queryP95 >= 0) {
                m.dbQueryP95Ms = queryP95;
            }
            if (cpu >= 0) {
                m.cpuPercentPeak = cpu;
            }
            if (memory.size() >= 2) {
                m.memoryGrowthPercent = (memory.last() - memory.first()) / memory.first() * 100;
            }
        }
    }
    const std::optional<double> metricsAfter =
        scrapeCounter(cfg.url, apiCounter, cfg.requestTimeoutMs);
    if (metricsAfter) {
        m.monitoringSamples = *metricsAfter - metricsBefore.value_or(0);
    } else {
        m.monitoringSamples = 0;
        report.notes << u"GET /metrics did not answer 200"_s;
    }

    report.criteria = evaluateLoadCriteria(m);
    return report;
}

} // namespace trackwatch::core

#include "load_tester.moc"
