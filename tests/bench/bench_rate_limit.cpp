// SPDX-License-Identifier: MIT
// Rate limit checks, side by side in one run: the legacy sliding log in the database
// (PostgreSQL's check_and_record_rate_limit() over one connection; the same steps on SQLite in
// one BEGIN IMMEDIATE transaction) against the optimized in-memory GCRA limiter, all with the
// Microsoft Graph mailbox policy. Prints median and p99 per check, checks per second and the
// optimized path's speed-up, then the cost of one batch sync. Absolute numbers drift on shared
// machines; the ratios are the result.
//
//   bench_rate_limit [--smoke] [--legacy-checks N] [--checks N] [--mailboxes N] [--pg DSN]
//                    [--sqlite-only]
//
// PostgreSQL comes from --pg, else TRACKWATCH_TEST_PG, else the test suites' default; a scratch
// database is created on it and dropped afterwards. When it cannot be reached the PostgreSQL
// row is skipped with the reason, except under CI=true, where the run fails. Exits nonzero when
// any path could not run.
#include "common/logging.h"
#include "ratelimit/rate_limit_store.h"
#include "ratelimit/rate_limiter.h"
#include "storage/connection_spec.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLocale>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t steadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

struct Row {
    QString path;
    std::int64_t checks = 0;
    double medianUs = 0;
    double p99Us = 0;
    double perSecond = 0;
};

// Median and p99 (nearest rank) of per-check times, in microseconds.
void summarize(std::vector<std::int64_t>& ns, Row& row) {
    std::sort(ns.begin(), ns.end());
    const auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1) + 0.5);
        return static_cast<double>(ns[i]) / 1000.0;
    };
    row.checks = static_cast<std::int64_t>(ns.size());
    row.medianUs = at(0.5);
    row.p99Us = at(0.99);
}

QStringList mailboxes(int n) {
    QStringList list;
    for (int i = 0; i < n; ++i) {
        list << u"mailbox-%1@customer-%2.example"_s.arg(i).arg(i % 37);
    }
    return list;
}

const RateLimitPolicies& graphPolicies() {
    static const RateLimitPolicies policies(RateLimitPolicy::microsoftGraphMailbox());
    return policies;
}

// The legacy path: one check at a time over one connection, as the engine would call it.
std::optional<Row> legacy(const QString& name, Database& db, int checks, int accounts) {
    RateLimitStore store(db, graphPolicies());
    const QStringList boxes = mailboxes(accounts);
    std::vector<std::int64_t> ns;
    ns.reserve(static_cast<std::size_t>(checks));
    const std::int64_t start = steadyNs();
    for (int i = 0; i < checks; ++i) {
        const RateLimitTime now = RateLimitTime::current();
        auto d = store.check(boxes[i % accounts], u"send"_s, now);
        ns.push_back(steadyNs() - now.steadyNs);
        if (!d || !d->allowed) {
            std::fprintf(stderr, "%s: check %d failed: %s\n", qPrintable(name), i,
                         d ? "refused below the limit" : qPrintable(d.error().message));
            return std::nullopt;
        }
    }
    Row row{name};
    row.perSecond = checks / (static_cast<double>(steadyNs() - start) / 1e9);
    summarize(ns, row);
    return row;
}

// The optimized path on `threads` threads sharing one limiter: every key is known (a running
// engine's steady state), each check is timed on its own, and the time read for the timing is
// the time the check is given.
std::optional<Row> optimized(RateLimiter& limiter, int checks, int accounts, int threads) {
    const QStringList boxes = mailboxes(accounts);
    const QString send = u"send"_s;
    for (const QString& box : boxes) {
        (void)limiter.checkAt(box, send, steadyNs());
    }
    std::vector<std::vector<std::int64_t>> perThread(static_cast<std::size_t>(threads));
    // Counted so the decisions are used; with the defaults every check is under the limit.
    std::vector<std::int64_t> allowed(static_cast<std::size_t>(threads), 0);
    const int each = checks / threads;
    auto work = [&](int t) {
        std::vector<std::int64_t>& ns = perThread[static_cast<std::size_t>(t)];
        ns.reserve(static_cast<std::size_t>(each));
        for (int i = 0; i < each; ++i) {
            const std::int64_t now = steadyNs();
            const Decision d = limiter.checkAt(boxes[(i * threads + t) % accounts], send, now);
            ns.push_back(steadyNs() - now);
            allowed[static_cast<std::size_t>(t)] += d.allowed;
        }
    };
    // Throughput apart from the per-check timing: one clock read per check, as a caller has.
    auto untimed = [&](int t) {
        for (int i = 0; i < each; ++i) {
            allowed[static_cast<std::size_t>(t)] +=
                limiter.checkAt(boxes[(i * threads + t) % accounts], send, steadyNs()).allowed;
        }
    };
    const auto run = [&](const std::function<void(int)>& body) {
        std::vector<std::unique_ptr<QThread>> pool;
        for (int t = 1; t < threads; ++t) {
            pool.emplace_back(QThread::create(body, t));
            pool.back()->start();
        }
        body(0);
        for (auto& thread : pool) {
            thread->wait();
        }
    };
    run(work);
    const std::int64_t start = steadyNs();
    run(untimed);
    const double seconds = static_cast<double>(steadyNs() - start) / 1e9;

    std::vector<std::int64_t> all;
    for (auto& ns : perThread) {
        all.insert(all.end(), ns.begin(), ns.end());
    }
    std::int64_t allowedTotal = 0;
    for (std::int64_t a : allowed) {
        allowedTotal += a;
    }
    if (allowedTotal == 0) {
        std::fprintf(stderr, "optimized: no check was allowed\n");
        return std::nullopt;
    }
    Row row{u"optimized: in-memory GCRA, %1 thread%2"_s.arg(threads).arg(threads == 1 ? QString()
                                                                                      : u"s"_s)};
    row.perSecond = static_cast<double>(each) * threads / seconds;
    summarize(all, row);
    return row;
}

// One batch sync of `accounts` keys that each allowed a few requests, in milliseconds.
std::optional<double> syncCost(Database& db, int accounts) {
    RateLimiter limiter(graphPolicies());
    RateLimitStore store(db, graphPolicies());
    const QStringList boxes = mailboxes(accounts);
    for (int round = 0; round < 3; ++round) {
        for (const QString& box : boxes) {
            (void)limiter.checkAt(box, u"send"_s, steadyNs());
        }
    }
    const std::int64_t start = steadyNs();
    auto report = store.synchronize(limiter, RateLimitTime::current());
    const double ms = static_cast<double>(steadyNs() - start) / 1e6;
    if (!report || report->keysWritten != accounts) {
        std::fprintf(stderr, "sync failed: %s\n",
                     report ? "not every key written" : qPrintable(report.error().message));
        return std::nullopt;
    }
    return ms;
}

std::unique_ptr<Database> openMigrated(const ConnectionSpec& spec, QString* error) {
    auto db = Database::open(spec);
    if (!db) {
        *error = db.error().message;
        return nullptr;
    }
    Migrator migrator(**db);
    if (auto r = migrator.migrate(); !r) {
        *error = r.error().message;
        return nullptr;
    }
    return std::move(db).value();
}

// A database created on the PostgreSQL server for this run and dropped with this object.
class ScratchPostgres {
public:
    explicit ScratchPostgres(const QString& dsn) {
        auto admin = ConnectionSpec::parse(dsn);
        if (!admin) {
            m_error = admin.error().message;
            return;
        }
        auto db = Database::open(*admin);
        if (!db) {
            m_error = db.error().message;
            return;
        }
        m_admin = std::move(db).value();
        m_name = u"tw_bench_rate_limit_%1"_s.arg(QCoreApplication::applicationPid());
        (void)m_admin->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(m_name));
        if (auto r = m_admin->exec(u"CREATE DATABASE %1"_s.arg(m_name)); !r) {
            m_error = r.error().message;
            m_admin.reset();
            return;
        }
        m_spec = *admin;
        m_spec.database = m_name;
    }
    ~ScratchPostgres() {
        if (m_admin) {
            (void)m_admin->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(m_name));
        }
    }
    ScratchPostgres(const ScratchPostgres&) = delete;
    ScratchPostgres& operator=(const ScratchPostgres&) = delete;

    bool ok() const { return m_admin != nullptr; }
    QString error() const { return m_error; }
    const ConnectionSpec& spec() const { return m_spec; }

private:
    std::unique_ptr<Database> m_admin;
    ConnectionSpec m_spec;
    QString m_name;
    QString m_error;
};

QString grouped(double v) {
    return QLocale(QLocale::English).toString(static_cast<qint64>(v + 0.5));
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Legacy vs optimized rate limit checks."_s);
    parser.addHelpOption();
    const QCommandLineOption smokeOpt(u"smoke"_s, u"A tiny run that only proves it works."_s);
    const QCommandLineOption legacyOpt(u"legacy-checks"_s, u"Checks per legacy path."_s, u"n"_s,
                                       u"3000"_s);
    const QCommandLineOption checksOpt(u"checks"_s, u"Checks per optimized row."_s, u"n"_s,
                                       u"2000000"_s);
    const QCommandLineOption boxesOpt(u"mailboxes"_s, u"Mailboxes (keys) checked in turn."_s,
                                      u"n"_s, u"1000"_s);
    const QCommandLineOption pgOpt(
        u"pg"_s, u"PostgreSQL server (a scratch database is created on it)."_s, u"dsn"_s,
        qEnvironmentVariable("TRACKWATCH_TEST_PG",
                             u"postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch"_s));
    const QCommandLineOption sqliteOnly(u"sqlite-only"_s, u"Skip PostgreSQL."_s);
    parser.addOptions({smokeOpt, legacyOpt, checksOpt, boxesOpt, pgOpt, sqliteOnly});
    parser.process(app);
    logging::initialize({}, u"warn"_s);

    const bool smoke = parser.isSet(smokeOpt);
    const int legacyChecks = smoke ? 100 : parser.value(legacyOpt).toInt();
    const int checks = smoke ? 100'000 : parser.value(checksOpt).toInt();
    const int boxes = smoke ? 100 : parser.value(boxesOpt).toInt();
    if (legacyChecks < 1 || checks < 2 || boxes < 1) {
        std::fprintf(stderr, "--legacy-checks, --checks and --mailboxes must be positive\n");
        return 2;
    }
    const bool ci = qEnvironmentVariable("CI") == u"true"_s;

    std::vector<Row> rows;
    bool failed = false;
    std::optional<double> pgSync;
    std::optional<double> sqliteSync;
    QString pgSkipped;

    if (!parser.isSet(sqliteOnly)) {
        ScratchPostgres scratch(parser.value(pgOpt));
        QString error = scratch.error();
        auto db = scratch.ok() ? openMigrated(scratch.spec(), &error) : nullptr;
        if (!db) {
            pgSkipped = error;
        } else {
            if (auto row = legacy(u"legacy: PostgreSQL check_and_record_rate_limit()"_s, *db,
                                  legacyChecks, std::min(boxes, 20))) {
                rows.push_back(*row);
            } else {
                failed = true;
            }
            pgSync = syncCost(*db, boxes);
            failed = failed || !pgSync;
        }
    }
    QTemporaryDir dir;
    ConnectionSpec sqliteSpec;
    sqliteSpec.path = dir.filePath(u"bench.db"_s);
    QString error;
    if (auto db = openMigrated(sqliteSpec, &error)) {
        if (auto row = legacy(u"legacy: SQLite, same steps in BEGIN IMMEDIATE"_s, *db, legacyChecks,
                              std::min(boxes, 20))) {
            rows.push_back(*row);
        } else {
            failed = true;
        }
        sqliteSync = syncCost(*db, boxes);
        failed = failed || !sqliteSync;
    } else {
        std::fprintf(stderr, "SQLite: %s\n", qPrintable(error));
        failed = true;
    }
    for (int threads : {1, 2}) {
        RateLimiter limiter(graphPolicies());
        if (auto row = optimized(limiter, checks, boxes, threads)) {
            rows.push_back(*row);
        } else {
            failed = true;
        }
    }

    // What the per-check timing itself costs (two clock reads), included in every row.
    std::vector<std::int64_t> timer;
    for (int i = 0; i < 10'000; ++i) {
        const std::int64_t a = steadyNs();
        timer.push_back(steadyNs() - a);
    }
    Row timerRow;
    summarize(timer, timerRow);

    const Row* reference = nullptr;
    for (const Row& r : rows) {
        if (r.path.startsWith(u"legacy"_s) && !reference) {
            reference = &r; // PostgreSQL when it ran, else SQLite
        }
    }
    std::printf("\nRate limit check, Microsoft Graph mailbox policy (10,000 per 10 min, "
                "4 concurrent), %d mailboxes%s\n",
                boxes, smoke ? " (smoke run)" : "");
    std::printf("  %-50s %10s %11s %11s %13s %11s\n", "path", "checks", "median us", "p99 us",
                "checks/s", "vs legacy");
    for (const Row& r : rows) {
        const QString ratio =
            reference ? grouped(reference->medianUs / r.medianUs) + u"x"_s : u"-"_s;
        std::printf("  %-50s %10s %11.3f %11.3f %13s %11s\n", qPrintable(r.path),
                    qPrintable(grouped(static_cast<double>(r.checks))), r.medianUs, r.p99Us,
                    qPrintable(grouped(r.perSecond)), qPrintable(ratio));
    }
    std::printf("  per-check times include the timer itself: median %.3f us\n", timerRow.medianUs);
    if (!pgSkipped.isEmpty()) {
        std::printf("  PostgreSQL skipped: %s\n", qPrintable(pgSkipped));
    }
    std::printf("\n  batch sync of the optimized limiter, %d keys in one call:", boxes);
    if (pgSync) {
        std::printf(" PostgreSQL %.1f ms (one statement);", *pgSync);
    }
    if (sqliteSync) {
        std::printf(" SQLite %.1f ms (one transaction)", *sqliteSync);
    }
    std::printf("\n");

    const Row* fast = nullptr;
    for (const Row& r : rows) {
        if (r.path.startsWith(u"optimized"_s) && !fast) {
            fast = &r;
        }
    }
    if (fast && reference) {
        const double ratio = reference->medianUs / fast->medianUs;
        std::printf("  goals: optimized median < 1 us: %s (%.3f us); > 1,000x faster than %s "
                    "by median: %s (%sx)\n",
                    fast->medianUs < 1.0 ? "met" : "MISSED", fast->medianUs,
                    reference->path.contains(u"PostgreSQL"_s) ? "legacy PostgreSQL"
                                                              : "legacy SQLite",
                    ratio > 1000 ? "met" : "MISSED", qPrintable(grouped(ratio)));
    }
    if (!pgSkipped.isEmpty() && ci) {
        std::fprintf(stderr, "PostgreSQL unavailable under CI=true: %s\n", qPrintable(pgSkipped));
        return 1;
    }
    return failed ? 1 : 0;
}
