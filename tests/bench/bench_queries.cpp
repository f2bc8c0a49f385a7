// SPDX-License-Identifier: MIT
// getTrackedEmails and analytics on PostgreSQL with a million tracked emails, side by side in
// one run: legacy (the plain query an ORM would issue) vs optimized (get_tracked_emails_optimized)
// vs cached (the optimized answer in the query cache), and raw vs materialized analytics. The
// same request sequence goes to every path; latency per request, p50/p95/p99.
//
//   bench_queries [--rows N] [--requests N] [--smoke]
#include "cache/query_cache.h"
#include "common/logging.h"
#include "tracking/email_query_service.h"

#include "../support/test_databases.h"
#include "bench_seed.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr int kAccounts = bench::kBenchAccounts;

struct Latencies {
    QString path;
    std::vector<double> micros;
    qint64 rows = 0;
    double percentile(double p) const {
        std::vector<double> sorted = micros;
        std::sort(sorted.begin(), sorted.end());
        return sorted.empty() ? 0 : sorted[static_cast<std::size_t>(p * (sorted.size() - 1))];
    }
};

template <typename Answer>
bool measure(Latencies& out, int requests, const std::function<Result<Answer>(int)>& call,
             const std::function<qint64(const Answer&)>& rows) {
    QElapsedTimer timer;
    for (int i = 0; i < requests; ++i) {
        timer.start();
        auto r = call(i);
        out.micros.push_back(static_cast<double>(timer.nsecsElapsed()) / 1000.0);
        if (!r) {
            std::fprintf(stderr, "%s failed: %s\n", qPrintable(out.path),
                         qPrintable(r.error().message));
            return false;
        }
        out.rows += rows(*r);
    }
    return true;
}

void print(const QList<Latencies>& list, const Latencies& base) {
    std::printf("  %-34s %10s %10s %10s %10s %12s\n", "path", "p50 ms", "p95 ms", "p99 ms", "req/s",
                "p50 vs legacy");
    for (const Latencies& l : list) {
        double total = 0;
        for (double v : l.micros) {
            total += v;
        }
        std::printf("  %-34s %10.3f %10.3f %10.3f %10.0f %11.1fx\n", qPrintable(l.path),
                    l.percentile(0.5) / 1000, l.percentile(0.95) / 1000, l.percentile(0.99) / 1000,
                    l.micros.size() / (total / 1e6),
                    base.percentile(0.5) / std::max(l.percentile(0.5), 1e-9));
    }
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption rowsOpt(u"rows"_s, u"Tracked emails (default 1000000)."_s, u"n"_s,
                                     u"1000000"_s);
    const QCommandLineOption requestsOpt(u"requests"_s, u"Requests per path (default 3000)."_s,
                                         u"n"_s, u"3000"_s);
    const QCommandLineOption smoke(u"smoke"_s, u"A tiny run that checks the benchmark works."_s);
    parser.addOptions({rowsOpt, requestsOpt, smoke});
    parser.process(app);
    logging::initialize({}, u"warn"_s);
    const int rows = parser.isSet(smoke) ? 5000 : parser.value(rowsOpt).toInt();
    const int requests = parser.isSet(smoke) ? 60 : parser.value(requestsOpt).toInt();

    test::TestDatabase pg(Dialect::PostgreSql);
    if (!pg.ok()) {
        std::fprintf(stderr, "PostgreSQL unavailable: %s\n", qPrintable(pg.reason()));
        return test::runningInCi() ? 1 : 0;
    }
    auto db = pg.openMigrated();
    QElapsedTimer fillTime;
    fillTime.start();
    if (!db || !bench::fillTrackedEmails(*db, rows)) {
        std::fprintf(stderr, "could not fill the database\n");
        return 1;
    }
    std::printf("getTrackedEmails on PostgreSQL, %d tracked emails over %d accounts (filled in "
                "%.1f s), %d requests per path\n",
                rows, kAccounts, fillTime.elapsed() / 1000.0, requests);

    // One request sequence for every path: an account (Zipf-like: a few busy ones), and one of
    // the dashboard's three shapes, first page of 20.
    std::mt19937_64 rng(7);
    std::vector<TrackedEmailQuery> queries;
    const QDateTime month = QDateTime::currentDateTimeUtc().addDays(-30);
    for (int i = 0; i < requests; ++i) {
        const int account = 1 + static_cast<int>(std::pow(rng() % 1'000'000 / 1e6, 2) * kAccounts);
        const QString address = u"account-%1@company.example"_s.arg(account);
        switch (rng() % 3) {
        case 0:
            queries.push_back({address, u"active"_s, month, 20, {}, 0});
            break;
        case 1:
            queries.push_back({address, u"replied"_s, {}, 20, {}, 0});
            break;
        default:
            queries.push_back({address, {}, {}, 20, {}, 0});
        }
    }
    QueryCache cache;
    EmailQueryService service(*db, &cache, {});
    const auto pageRows = [](const TrackedEmailPage& p) { return qint64(p.rows.size()); };
    QList<Latencies> results = {{u"legacy (ORM query)"_s, {}, 0},
                                {u"optimized (function)"_s, {}, 0},
                                {u"cached (cold start)"_s, {}, 0}};
    const bool ok =
        measure<TrackedEmailPage>(
            results[0], requests, [&](int i) { return service.legacyTrackedEmails(queries[i]); },
            pageRows) &&
        measure<TrackedEmailPage>(
            results[1], requests, [&](int i) { return service.optimizedTrackedEmails(queries[i]); },
            pageRows) &&
        measure<TrackedEmailPage>(
            results[2], requests, [&](int i) { return service.cachedTrackedEmails(queries[i]); },
            pageRows);
    if (!ok || results[0].rows != results[1].rows || results[1].rows != results[2].rows) {
        std::fprintf(stderr, "paths disagree: %lld / %lld / %lld rows\n", results[0].rows,
                     results[1].rows, results[2].rows);
        return 1;
    }
    print(results, results[0]);
    const CacheStats stats = cache.stats(CacheNamespace::TrackedEmails);
    std::printf("  cache: %.1f%% hits over the run (%lld distinct queries), get p99 %lld ns\n\n",
                stats.hitRate * 100, static_cast<long long>(stats.misses),
                static_cast<long long>(stats.p99Get.count()));

    // Analytics for one account's last day: aggregated from the table vs the view.
    std::printf("analytics, one account's last 24 hours\n");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<Latencies> analytics = {{u"raw (aggregate tracked_emails)"_s, {}, 0},
                                  {u"materialized (hourly view)"_s, {}, 0}};
    const auto analyticsRows = [](const AnalyticsResult& r) { return qint64(r.rows.size()); };
    const int analyticsRequests = std::max(10, requests / 10);
    const auto range = [&](int i) {
        return AnalyticsQuery{u"account-%1@company.example"_s.arg(1 + i % kAccounts),
                              now.addDays(-1), now};
    };
    if (!measure<AnalyticsResult>(
            analytics[0], analyticsRequests, [&](int i) { return service.rawAnalytics(range(i)); },
            analyticsRows) ||
        !measure<AnalyticsResult>(
            analytics[1], analyticsRequests,
            [&](int i) { return service.materializedAnalytics(range(i)); }, analyticsRows)) {
        return 1;
    }
    print(analytics, analytics[0]);
    return 0;
}
