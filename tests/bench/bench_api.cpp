// SPDX-License-Identifier: MIT
// The HTTP API under open-loop load (the load tester's streams) on PostgreSQL with a million
// tracked emails: P50/P95/P99 per endpoint at the seed's rates (tracked 30/s, analytics 10/s,
// sync 5/s, together), with the query cache on and off; then each endpoint alone, its rate
// doubled step by step, to find the highest rate it sustains with P99 under 50 ms. Latency
// runs from each request's scheduled time, so queueing counts.
//
//   bench_api [--pg DSN] [--rows N] [--secs S] [--step-secs S] [--max-rps R] [--smoke]
#include "api/api_server.h"
#include "cache/query_cache.h"
#include "common/logging.h"
#include "control/optimization_guard.h"
#include "loadtest/load_tester.h"
#include "metrics/metrics_registry.h"
#include "storage/migrator.h"

#include "bench_seed.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr double kP99GoalMs = 50;
constexpr std::array<LoadStream, 3> kEndpoints{LoadStream::Tracked, LoadStream::Analytics,
                                               LoadStream::Sync};

QString routeOf(LoadStream s) {
    switch (s) {
    case LoadStream::Tracked:
        return u"GET /api/emails/tracked"_s;
    case LoadStream::Analytics:
        return u"GET /api/emails/analytics"_s;
    case LoadStream::Sync:
        return u"POST /api/emails/sync"_s;
    default:
        break;
    }
    return loadStreamName(s);
}

struct Bench {
    quint16 port = 0;
    QString token;
    QStringList accounts;

    LoadTestConfig config() const {
        LoadTestConfig c;
        c.url = QUrl(u"http://127.0.0.1:%1"_s.arg(port));
        c.token = token;
        c.queryAccounts = accounts;
        c.accounts = 10;
        c.queueDepth = 0;
        c.requestTimeoutMs = 10000;
        return c;
    }

    // One open-loop run; nullopt (after saying why) when it could not run.
    std::optional<LoadTestReport> run(const LoadTestConfig& c) const {
        auto r = LoadTester(c).run();
        if (!r) {
            std::fprintf(stderr, "load test failed: %s\n", qPrintable(r.error().message));
            return std::nullopt;
        }
        return std::move(r).value();
    }
};

void printHeader() {
    std::printf("  %-28s %8s %8s %8s %8s %9s %9s %9s %9s\n", "endpoint", "rps", "sent", "errors",
                "cached", "p50 ms", "p95 ms", "p99 ms", "max ms");
}

void printRow(const QString& label, const LoadStreamResult& s) {
    std::printf("  %-28s %8.0f %8lld %8lld %8lld %9.2f %9.2f %9.2f %9.2f\n", qPrintable(label),
                s.targetRps, static_cast<long long>(s.sent), static_cast<long long>(s.errors),
                static_cast<long long>(s.cached), s.p50Ms, s.p95Ms, s.p99Ms, s.maxMs);
    if (!s.firstError.isEmpty()) {
        std::printf("      first error: %s\n", qPrintable(s.firstError.left(160)));
    }
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption rowsOpt(u"rows"_s, u"Tracked emails (default 1000000)."_s, u"n"_s,
                                     u"1000000"_s);
    const QCommandLineOption secsOpt(u"secs"_s,
                                     u"Seconds of the run at the seed's rates "
                                     u"(default 60)."_s,
                                     u"s"_s, u"60"_s);
    const QCommandLineOption stepOpt(u"step-secs"_s,
                                     u"Seconds per step of the rate search "
                                     u"(default 10)."_s,
                                     u"s"_s, u"10"_s);
    const QCommandLineOption maxRpsOpt(u"max-rps"_s, u"Stop the search here (default 4000)."_s,
                                       u"rps"_s, u"4000"_s);
    const QCommandLineOption smoke(u"smoke"_s, u"A tiny run that checks the benchmark works."_s);
    const QCommandLineOption pgOpt(
        u"pg"_s, u"PostgreSQL to create a scratch database in (default: env TRACKWATCH_TEST_PG)."_s,
        u"dsn"_s,
        qEnvironmentVariable("TRACKWATCH_TEST_PG",
                             u"postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch"_s));
    parser.addOptions({rowsOpt, secsOpt, stepOpt, maxRpsOpt, smoke, pgOpt});
    parser.process(app);
    logging::initialize({}, u"warn"_s);
    const bool isSmoke = parser.isSet(smoke);
    const int rows = isSmoke ? 3000 : parser.value(rowsOpt).toInt();
    const double secs = isSmoke ? 1 : parser.value(secsOpt).toDouble();
    const double stepSecs = isSmoke ? 1 : parser.value(stepOpt).toDouble();
    const double maxRps = isSmoke ? 60 : parser.value(maxRpsOpt).toDouble();
    if (rows < 1 || secs <= 0 || stepSecs <= 0 || maxRps <= 0) {
        std::fprintf(stderr, "bench_api: --rows, --secs, --step-secs and --max-rps must be "
                             "above 0\n");
        return 2;
    }

    // A scratch database, dropped however the run ends.
    const bool ci = qEnvironmentVariable("CI") == u"true"_s;
    const auto unavailable = [&](const QString& why) {
        std::fprintf(ci ? stderr : stdout, "PostgreSQL unavailable%s: %s\n",
                     ci ? " under CI=true" : ", benchmark skipped", qPrintable(why));
        return ci ? 1 : 0;
    };
    auto admin = ConnectionSpec::parse(parser.value(pgOpt));
    if (!admin) {
        std::fprintf(stderr, "--pg: %s\n", qPrintable(admin.error().message));
        return 2;
    }
    if (admin->dialect != Dialect::PostgreSql) {
        std::fprintf(stderr, "--pg: not a PostgreSQL DSN\n");
        return 2;
    }
    auto adminDb = Database::open(*admin);
    if (!adminDb) {
        return unavailable(adminDb.error().message);
    }
    const QString scratch = u"tw_bench_api_%1"_s.arg(QCoreApplication::applicationPid());
    (void)(*adminDb)->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(scratch));
    if (auto r = (*adminDb)->exec(u"CREATE DATABASE %1"_s.arg(scratch)); !r) {
        return unavailable(r.error().message);
    }
    struct DropScratch {
        Database& admin;
        QString name;
        ~DropScratch() { (void)admin.exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(name)); }
    } dropScratch{**adminDb, scratch};
    ConnectionSpec spec = *admin;
    spec.database = scratch;
    {
        auto db = Database::open(spec);
        if (!db) {
            std::fprintf(stderr, "%s\n", qPrintable(db.error().message));
            return 1;
        }
        if (auto m = Migrator(**db).migrate(); !m) {
            std::fprintf(stderr, "%s\n", qPrintable(m.error().message));
            return 1;
        }
        QElapsedTimer fillTime;
        fillTime.start();
        if (!bench::fillTrackedEmails(**db, rows)) {
            std::fprintf(stderr, "could not fill the database\n");
            return 1;
        }
        // Set hint bits and the visibility map now, so the first measured requests do not pay
        // for writing them.
        if (auto v = (*db)->exec(u"VACUUM ANALYZE tracked_emails"_s); !v) {
            std::fprintf(stderr, "%s\n", qPrintable(v.error().message));
            return 1;
        }
        std::printf("HTTP API on PostgreSQL, %d tracked emails over %d accounts (filled in %.1f "
                    "s); open-loop, latency from the schedule\n\n",
                    rows, bench::kBenchAccounts, static_cast<double>(fillTime.elapsed()) / 1000.0);
    }

    // The API as trackwatchd serves it: optimized queries and the query cache on for every
    // account, the materialized view for analytics, the engine's metrics registry.
    SystemClock clock;
    OptimizationGuard queries(u"optimizedQueries"_s, {}, {}, clock);
    OptimizationGuard caching(u"queryCache"_s, {}, {}, clock);
    queries.configure(true, 100, u"closed"_s, {});
    caching.configure(true, 100, u"closed"_s, {});
    auto cache = std::make_shared<QueryCache>();
    auto metrics = std::make_shared<MetricsRegistry>();
    ApiConfig apiConfig;
    apiConfig.token = u"bench-api-token-0123456789abcdef"_s;
    apiConfig.clientState = u"bench-api-client-state-0123456789"_s;
    ApiServer api(apiConfig, spec, {cache, &queries, &caching, nullptr, metrics});
    auto port = api.start();
    if (!port) {
        std::fprintf(stderr, "API: %s\n", qPrintable(port.error().message));
        return 1;
    }
    Bench bench{*port, apiConfig.token, {}};
    for (int i = 1; i <= bench::kBenchAccounts; ++i) {
        bench.accounts << bench::benchAccount(i);
    }

    // A warm-up at the seed's rates, not reported: connections, plans and caches settle.
    {
        LoadTestConfig c = bench.config();
        c.stream(LoadStream::Tracked) = {30, std::min(secs, 5.0)};
        c.stream(LoadStream::Analytics) = {10, std::min(secs, 5.0)};
        c.stream(LoadStream::Sync) = {5, std::min(secs, 5.0)};
        if (!bench.run(c)) {
            return 1;
        }
    }

    // 1. The seed's rates, all three endpoints at once, cache on and off.
    bool failed = false;
    for (const bool cached : {true, false}) {
        caching.configure(cached, 100, u"closed"_s, {});
        cache->invalidateAll();
        LoadTestConfig c = bench.config();
        c.stream(LoadStream::Tracked) = {30, secs};
        c.stream(LoadStream::Analytics) = {10, secs};
        c.stream(LoadStream::Sync) = {5, secs};
        auto r = bench.run(c);
        if (!r) {
            return 1;
        }
        std::fflush(stdout);
        std::printf("The seed's rates together for %.0f s, query cache %s\n", secs,
                    cached ? "on" : "off");
        printHeader();
        for (const LoadStreamResult& s : r->streams) {
            printRow(routeOf(s.stream), s);
            failed = failed || s.ok == 0;
        }
        std::printf("  all three: p95 %.2f ms, p99 %.2f ms (goal: p95 under 20 ms; the seed: "
                    "200 ms)\n\n",
                    r->measurements.apiP95Ms.value_or(0), r->measurements.apiP99Ms.value_or(0));
    }
    caching.configure(true, 100, u"closed"_s, {});

    // 2. Each endpoint alone, its rate doubled until P99 reaches 50 ms, errors appear or the
    //    sender falls behind its schedule.
    std::printf("Highest rate with P99 under %.0f ms, each endpoint alone, %.0f s per step "
                "(query cache on)\n",
                kP99GoalMs, stepSecs);
    printHeader();
    QList<QStringList> summary;
    for (LoadStream endpoint : kEndpoints) {
        const double seedRps = LoadTestConfig::seed().stream(endpoint).rps;
        std::optional<LoadStreamResult> best;
        QString stopped = u"--max-rps reached"_s;
        for (double rps = seedRps; rps <= maxRps; rps *= 2) {
            LoadTestConfig c = bench.config();
            c.stream(endpoint) = {rps, stepSecs};
            auto r = bench.run(c);
            if (!r || r->streams.isEmpty()) {
                return 1;
            }
            const LoadStreamResult& s = r->streams.first();
            printRow(routeOf(endpoint), s);
            std::fflush(stdout);
            const bool keptUp = s.achievedRps >= rps * 0.9 && s.maxSendLagMs < 100;
            if (s.errors > 0 || s.p99Ms >= kP99GoalMs || !keptUp) {
                stopped = s.errors > 0            ? u"errors at %1/s"_s.arg(rps)
                          : s.p99Ms >= kP99GoalMs ? u"p99 >= 50 ms at %1/s"_s.arg(rps)
                                                  : u"the sender fell behind at %1/s"_s.arg(rps);
                break;
            }
            best = s;
        }
        summary << QStringList{routeOf(endpoint),
                               best ? QString::number(best->targetRps, 'f', 0) : u"-"_s,
                               best ? QString::number(best->p99Ms, 'f', 2) : u"-"_s, stopped};
        failed = failed || (isSmoke && !best);
    }
    std::printf("\n  %-28s %12s %12s  %s\n", "endpoint", "highest rps", "p99 there",
                "search stopped by");
    for (const QStringList& row : summary) {
        std::printf("  %-28s %12s %12s  %s\n", qPrintable(row[0]), qPrintable(row[1]),
                    qPrintable(row[2]), qPrintable(row[3]));
    }
    if (failed) {
        std::fprintf(stderr, "bench_api: an endpoint answered nothing, or not one step held\n");
        return 1;
    }
    return 0;
}
