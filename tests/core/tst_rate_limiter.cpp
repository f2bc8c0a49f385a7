// SPDX-License-Identifier: MIT
#include "control/rollout.h"
#include "ratelimit/guarded_rate_limiter.h"
#include "ratelimit/rate_limit_store.h"
#include "ratelimit/rate_limiter.h"
#include "storage/migrator.h"

#include "../support/test_databases.h"

#include <QRandomGenerator>
#include <QTest>
#include <QThread>

#include <atomic>
#include <latch>

using namespace trackwatch;
using test::scalar;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kMs = 1'000'000; // steady nanoseconds per millisecond
constexpr std::int64_t kSec = 1000 * kMs;
// An arbitrary steady-clock reading: the limiter must not care where its clock starts.
constexpr std::int64_t kSteady0 = 5'000'000 * kSec;
const std::int64_t kWall0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();

RateLimitPolicies only(std::int64_t limit, std::chrono::milliseconds window, int concurrent = 0) {
    return RateLimitPolicies({limit, window, concurrent});
}

// How many of n checks at one instant are allowed.
int allowedOf(RateLimiter& limiter, const QString& account, int n, std::int64_t nowNs) {
    int allowed = 0;
    for (int i = 0; i < n; ++i) {
        allowed += limiter.checkAt(account, u"send"_s, nowNs).allowed;
    }
    return allowed;
}

// One engine of a multi-engine test: its own connection, limiter and steady clock (which
// starts elsewhere than the other engines'); the wall clock is shared.
struct Engine {
    Engine(const test::TestDatabase& tdb, const RateLimitPolicies& policies,
           std::int64_t steadyBase)
        : db(Database::open(tdb.spec()).value())
        , limiter(policies)
        , store(*db, policies)
        , steady0(steadyBase) {}
    RateLimitTime at(std::int64_t offsetMs) const {
        return {steady0 + offsetMs * kMs, kWall0 + offsetMs};
    }
    int allowedOf(int n, std::int64_t offsetMs) {
        return ::allowedOf(limiter, u"mailbox@customer.example"_s, n, at(offsetMs).steadyNs);
    }
    bool sync(std::int64_t offsetMs) {
        auto r = store.synchronize(limiter, at(offsetMs));
        if (!r) {
            qWarning("sync failed: %s", qPrintable(r.error().message));
        }
        return r.ok();
    }
    std::unique_ptr<Database> db;
    RateLimiter limiter;
    RateLimitStore store;
    std::int64_t steady0;
};

} // namespace

class TestRateLimiter : public QObject {
    Q_OBJECT
private slots:
    // --- The optimized (in-memory GCRA) limiter -------------------------------------------

    void allowsExactlyTheLimitThenRefuses() {
        RateLimiter limiter(only(10, 10s));
        for (int i = 0; i < 10; ++i) {
            const Decision d = limiter.checkAt(u"a@x.example"_s, u"send"_s, kSteady0);
            QVERIFY(d.allowed);
            QCOMPARE(d.remaining, 9 - i);
            QCOMPARE(d.retryAfter, 0ms);
            QCOMPARE(d.refusal, Decision::Refusal::None);
        }
        for (int i = 0; i < 3; ++i) { // a refusal uses nothing up
            const Decision d = limiter.checkAt(u"a@x.example"_s, u"send"_s, kSteady0);
            QVERIFY(!d.allowed);
            QCOMPARE(d.remaining, 0);
            QCOMPARE(d.retryAfter, 1000ms); // one emission interval: 10 s / 10
            QCOMPARE(d.refusal, Decision::Refusal::RateLimited);
        }
    }

    void retryAfterRoundsUpAndIsExactAtBoundaries() {
        RateLimiter limiter(only(10, 10s));
        QCOMPARE(allowedOf(limiter, u"a"_s, 10, kSteady0), 10);
        const auto retryAt = [&](std::int64_t offsetNs) {
            const Decision d = limiter.checkAt(u"a"_s, u"send"_s, kSteady0 + offsetNs);
            return d.allowed ? -1ms : d.retryAfter;
        };
        QCOMPARE(retryAt(0), 1000ms);
        QCOMPARE(retryAt(1), 1000ms);          // 999.999999 ms: up, never down
        QCOMPARE(retryAt(1 * kMs), 999ms);     // exact: no rounding
        QCOMPARE(retryAt(999 * kMs), 1ms);     // exact
        QCOMPARE(retryAt(999 * kMs + 1), 1ms); // 0.999999 ms: up
        QCOMPARE(retryAt(kSec - 1), 1ms);      // 1 ns left: still a whole millisecond
        QCOMPARE(retryAt(kSec), -1ms);         // allowed exactly at the boundary
        QCOMPARE(retryAt(kSec), 1000ms);

        // An interval that is not a whole millisecond: 1 s / 3 = 333.333334 ms (rounded up to
        // the nanosecond, so three requests never take less than the window).
        RateLimiter thirds(only(3, 1s));
        QCOMPARE(allowedOf(thirds, u"b"_s, 3, kSteady0), 3);
        const Decision d = thirds.checkAt(u"b"_s, u"send"_s, kSteady0);
        QCOMPARE(d.retryAfter, 334ms);
        QVERIFY(!thirds.checkAt(u"b"_s, u"send"_s, kSteady0 + 333 * kMs).allowed);
        QVERIFY(thirds.checkAt(u"b"_s, u"send"_s, kSteady0 + 334 * kMs).allowed);
    }

    // Whatever the timing, waiting retryAfter is always enough, and 1 ms less never is.
    void retryAfterIsTight_data() {
        QTest::addColumn<qint64>("limit");
        QTest::addColumn<qint64>("windowMs");
        QTest::newRow("graph") << qint64(10'000) << qint64(600'000);
        QTest::newRow("7 per second") << qint64(7) << qint64(1000);
        QTest::newRow("3 per 10 ms") << qint64(3) << qint64(10);
    }
    void retryAfterIsTight() {
        QFETCH(qint64, limit);
        QFETCH(qint64, windowMs);
        RateLimiter limiter(only(limit, std::chrono::milliseconds(windowMs)));
        QRandomGenerator rng(20261102);
        std::int64_t now = kSteady0;
        int refusals = 0;
        for (int i = 0; i < 20'000; ++i) {
            now += static_cast<std::int64_t>(rng.bounded(windowMs * kMs / limit / 2 + 1));
            const Decision d = limiter.checkAt(u"k"_s, u"send"_s, now);
            if (d.allowed) {
                continue;
            }
            ++refusals;
            QVERIFY(d.retryAfter >= 1ms);
            const std::int64_t wait = d.retryAfter.count() * kMs;
            QVERIFY(!limiter.checkAt(u"k"_s, u"send"_s, now + wait - kMs).allowed);
            now += wait;
            QVERIFY(limiter.checkAt(u"k"_s, u"send"_s, now).allowed);
        }
        QVERIFY(refusals > 100); // the schedule does reach the limit
    }

    void remainingCountsDownAndRefillsOverTime() {
        RateLimiter limiter(only(5, 5s)); // one request per second, bursts of 5
        const auto at = [&](std::int64_t ms) {
            return limiter.checkAt(u"a"_s, u"send"_s, kSteady0 + ms * kMs);
        };
        for (int i = 4; i >= 0; --i) {
            QCOMPARE(at(0).remaining, i);
        }
        QVERIFY(!at(999).allowed);
        Decision d = at(1000);
        QVERIFY(d.allowed);
        QCOMPARE(d.remaining, 0);
        // 2.5 s later, two and a half intervals have refilled: two requests, then 500 ms.
        QCOMPARE(at(3500).remaining, 1);
        QCOMPARE(at(3500).remaining, 0);
        d = at(3500);
        QVERIFY(!d.allowed);
        QCOMPARE(d.retryAfter, 500ms);
        // Idle for long: the bucket is full again, and no fuller than the limit.
        QCOMPARE(at(100'000).remaining, 4);
        QCOMPARE(allowedOf(limiter, u"a"_s, 10, kSteady0 + 100'000 * kMs), 4);
    }

    void keysAreIndependent() {
        RateLimiter limiter(RateLimitPolicies({3, 60s, 0}, {{u"sync"_s, {1, 60s, 0}}}));
        QCOMPARE(allowedOf(limiter, u"a@x.example"_s, 5, kSteady0), 3);
        QCOMPARE(allowedOf(limiter, u"b@x.example"_s, 5, kSteady0), 3);
        QCOMPARE(limiter.checkAt(u"a@x.example"_s, u"read"_s, kSteady0).remaining, 2);
        // Another operation with its own policy.
        QVERIFY(limiter.checkAt(u"a@x.example"_s, u"sync"_s, kSteady0).allowed);
        const Decision d = limiter.checkAt(u"a@x.example"_s, u"sync"_s, kSteady0);
        QVERIFY(!d.allowed);
        QCOMPARE(d.retryAfter, 60'000ms);
        // Keys are not confused by where the account ends and the operation begins.
        QCOMPARE(limiter.checkAt(u"a@x.examples"_s, u"end"_s, kSteady0).remaining, 2);
        QCOMPARE(limiter.keyCount(), std::size_t(5));
    }

    void graphMailboxPreset() {
        const RateLimitPolicy graph = RateLimitPolicy::microsoftGraphMailbox();
        QCOMPARE(graph.limit, 10'000);
        QCOMPARE(graph.window, std::chrono::milliseconds(10min));
        QCOMPARE(graph.maxConcurrent, 4);
        RateLimiter limiter{RateLimitPolicies(graph)};
        QCOMPARE(allowedOf(limiter, u"mailbox"_s, 10'001, kSteady0), 10'000);
        const Decision d = limiter.checkAt(u"mailbox"_s, u"send"_s, kSteady0);
        QCOMPARE(d.retryAfter, 60ms); // 10 min / 10,000
    }

    void concurrencyPermitsCapAtFourAndRelease() {
        RateLimiter limiter{RateLimitPolicies(RateLimitPolicy::microsoftGraphMailbox())};
        std::vector<RateLimitPermit> held;
        for (int i = 0; i < 4; ++i) {
            RateLimitPermit p = limiter.tryAcquire(u"mailbox"_s, u"send"_s);
            QVERIFY(p);
            held.push_back(std::move(p));
        }
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 4);
        QVERIFY(!limiter.tryAcquire(u"mailbox"_s, u"send"_s));
        QVERIFY(limiter.tryAcquire(u"other-mailbox"_s, u"send"_s)); // released at once
        QCOMPARE(limiter.inFlight(u"other-mailbox"_s, u"send"_s), 0);

        held.pop_back(); // destroying a permit gives it back
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 3);
        RateLimitPermit again = limiter.tryAcquire(u"mailbox"_s, u"send"_s);
        QVERIFY(again);
        // Moving a permit moves the slot; the moved-from one gives nothing back.
        RateLimitPermit moved = std::move(again);
        QVERIFY(!again); // the moved-from permit is empty
        again.release();
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 4);
        moved.release();
        moved.release();
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 3);

        // admit(): the concurrency cap refuses without using the rate...
        held.push_back(limiter.tryAcquire(u"mailbox"_s, u"send"_s));
        QCOMPARE(limiter.checkAt(u"mailbox"_s, u"send"_s, kSteady0).remaining, 9'999);
        RateLimiter::Admission refused = limiter.admit(u"mailbox"_s, u"send"_s, kSteady0);
        QVERIFY(!refused.decision.allowed);
        QVERIFY(!refused.permit);
        QCOMPARE(refused.decision.refusal, Decision::Refusal::TooManyInFlight);
        QCOMPARE(refused.decision.remaining, 9'999);
        held.clear();
        // ...and an allowed request holds a permit until it is done.
        RateLimiter::Admission ok = limiter.admit(u"mailbox"_s, u"send"_s, kSteady0);
        QVERIFY(ok.decision.allowed);
        QVERIFY(ok.permit);
        QCOMPARE(ok.decision.remaining, 9'998);
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 1);

        // A request refused by the rate takes no permit.
        RateLimiter tight(only(1, 60s, 4));
        QVERIFY(tight.admit(u"m"_s, u"send"_s, kSteady0).decision.allowed);
        RateLimiter::Admission limited = tight.admit(u"m"_s, u"send"_s, kSteady0);
        QCOMPARE(limited.decision.refusal, Decision::Refusal::RateLimited);
        QVERIFY(!limited.permit);
        QCOMPARE(tight.inFlight(u"m"_s, u"send"_s), 0);
    }

    void concurrentChecksNeverExceedTheLimit() {
        RateLimiter limiter(only(5000, 60s), 4);
        std::atomic<int> allowed{0};
        auto worker = [&] {
            for (int i = 0; i < 5000; ++i) {
                allowed += limiter.checkAt(u"shared"_s, u"send"_s, kSteady0).allowed;
            }
        };
        std::unique_ptr<QThread> a(QThread::create(worker));
        std::unique_ptr<QThread> b(QThread::create(worker));
        a->start();
        b->start();
        QVERIFY(a->wait(60000));
        QVERIFY(b->wait(60000));
        QCOMPARE(allowed.load(), 5000);
    }

    // Two threads each try to hold three permits of one mailbox: never more than four at once.
    void concurrentPermitsNeverExceedTheCap() {
        RateLimiter limiter{RateLimitPolicies(RateLimitPolicy::microsoftGraphMailbox())};
        std::atomic<int> holding{0};
        std::atomic<int> most{0};
        auto worker = [&] {
            std::vector<RateLimitPermit> mine;
            for (int i = 0; i < 20'000; ++i) {
                if (mine.size() < 3) {
                    if (RateLimitPermit p = limiter.tryAcquire(u"mailbox"_s, u"send"_s)) {
                        // Counted after the grant and before the release: never above the truth.
                        const int now = ++holding;
                        int seen = most.load();
                        while (now > seen && !most.compare_exchange_weak(seen, now)) {
                        }
                        mine.push_back(std::move(p));
                    }
                } else {
                    --holding;
                    mine.erase(mine.begin());
                }
            }
            holding -= static_cast<int>(mine.size());
        };
        std::unique_ptr<QThread> a(QThread::create(worker));
        std::unique_ptr<QThread> b(QThread::create(worker));
        a->start();
        b->start();
        QVERIFY(a->wait(60000));
        QVERIFY(b->wait(60000));
        QVERIFY(most.load() <= 4);
        QCOMPARE(limiter.inFlight(u"mailbox"_s, u"send"_s), 0);
    }

    void evictIdleForgetsOnlyStatelessKeys() {
        RateLimiter limiter(only(2, 2s, 4));
        QVERIFY(limiter.checkAt(u"debt"_s, u"send"_s, kSteady0).allowed);
        RateLimitPermit permit = limiter.tryAcquire(u"busy"_s, u"send"_s);
        QCOMPARE(limiter.keyCount(), std::size_t(2));
        // "debt" owes a second and has a request to sync; "busy" has a request in flight.
        QCOMPARE(limiter.evictIdle(kSteady0 + 10 * kSec), std::size_t(0));
        QCOMPARE(limiter.drainUsage().size(), std::size_t(1));
        QCOMPARE(limiter.evictIdle(kSteady0 + 500 * kMs), std::size_t(0)); // still in debt
        QCOMPARE(limiter.evictIdle(kSteady0 + kSec), std::size_t(1));
        permit.release();
        QCOMPARE(limiter.evictIdle(kSteady0 + kSec), std::size_t(1));
        QCOMPARE(limiter.keyCount(), std::size_t(0));
    }

    void drainAndRestoreKeepEveryRequest() {
        RateLimiter limiter(only(100, 100s));
        QCOMPARE(allowedOf(limiter, u"a"_s, 7, kSteady0), 7);
        QCOMPARE(allowedOf(limiter, u"b"_s, 2, kSteady0), 2);
        std::vector<RateLimitUsage> usage = limiter.drainUsage();
        QCOMPARE(usage.size(), std::size_t(2));
        std::int64_t total = 0;
        for (const RateLimitUsage& u : usage) {
            total += u.allowed;
            QCOMPARE(u.emissionIntervalNs, kSec);
        }
        QCOMPARE(total, 9);
        QVERIFY(limiter.drainUsage().empty());
        limiter.restoreUsage(usage);
        QCOMPARE(allowedOf(limiter, u"a"_s, 1, kSteady0), 1);
        total = 0;
        for (const RateLimitUsage& u : limiter.drainUsage()) {
            total += u.allowed;
        }
        QCOMPARE(total, 10);
    }

    void invalidInputIsRefused() {
        RateLimiter limiter(only(10, 10s));
        auto empty = limiter.check(QString(), u"send"_s, RateLimitTime::current());
        QVERIFY(!empty.ok());
        QCOMPARE(empty.error().code, ErrorCode::InvalidArgument);
        QVERIFY(limiter.check(u"a"_s, u"send"_s, RateLimitTime::current()).value().allowed);
        QCOMPARE(limiter.name(), u"optimized"_s);

        const RateLimitPolicies bad({0, 10s, 0}, {{u"x"_s, {5, 0ms, 0}}});
        QVERIFY(!bad.validate().ok());
        QVERIFY(!RateLimitPolicies({10, 10s, 0}, {{u"x"_s, {5, 0ms, 0}}}).validate().ok());
        QVERIFY(RateLimitPolicies({10, 10s, 4}).validate().ok());
        // An invalid policy refuses rather than letting everything through.
        RateLimiter broken(bad);
        QVERIFY(!broken.checkAt(u"a"_s, u"send"_s, kSteady0).allowed);
    }

    // --- Migration --------------------------------------------------------------------------

    void migrationCreatesTheSchemaAndRunsTwice_data() { test::addDialectRows(); }
    void migrationCreatesTheSchemaAndRunsTwice() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        Migrator migrator(**db);
        auto first = migrator.migrate();
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QVERIFY(first->contains(5));
        auto second = migrator.migrate();
        QVERIFY(second.ok());
        QVERIFY(second->isEmpty());
        Migrator another(**db);
        QVERIFY(another.migrate().value().isEmpty());

        const bool pg = dialect == Dialect::PostgreSql;
        const QString indexes =
            pg ? u"SELECT count(*) FROM pg_indexes WHERE indexname IN "
                 u"('idx_rate_limit_active_window', 'idx_rate_limit_usage_tat')"_s
               : u"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                 u"('idx_rate_limit_active_window', 'idx_rate_limit_usage_tat')"_s;
        QCOMPARE(scalar(**db, indexes), 2);
        QCOMPARE(scalar(**db, u"SELECT count(*) FROM rate_limit_events"_s), 0);
        QCOMPARE(scalar(**db, u"SELECT count(*) FROM rate_limit_usage"_s), 0);
        if (pg) {
            QCOMPARE(scalar(**db, u"SELECT count(*) FROM pg_proc "
                                  u"WHERE proname = 'check_and_record_rate_limit'"_s),
                     1);
        }
    }

    // --- The legacy (database) limiter ----------------------------------------------------

    void legacyAllowsExactlyMaxInWindow_data() { test::addDialectRows(); }
    void legacyAllowsExactlyMaxInWindow() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        RateLimitStore store(*db, RateLimitPolicies({5, 60s, 0}, {{u"sync"_s, {1, 60s, 0}}}));
        RateLimitPath& path = store; // what an A/B wrapper holds
        QCOMPARE(path.name(), u"legacy"_s);
        const auto at = [&](const QString& account, const QString& operation, std::int64_t ms) {
            auto d = path.check(account, operation, {0, kWall0 + ms});
            if (!d) {
                qWarning("%s", qPrintable(d.error().message));
                return Decision{false, -1, -1ms, Decision::Refusal::None};
            }
            return *d;
        };
        for (int i = 0; i < 5; ++i) { // one a second
            const Decision d = at(u"a@x.example"_s, u"send"_s, i * 1000);
            QVERIFY(d.allowed);
            QCOMPARE(d.remaining, 4 - i);
            QCOMPARE(d.retryAfter, 0ms);
        }
        Decision d = at(u"a@x.example"_s, u"send"_s, 30'000);
        QVERIFY(!d.allowed);
        QCOMPARE(d.remaining, 0);
        QCOMPARE(d.retryAfter, 30'000ms); // when the first row leaves the window
        QCOMPARE(d.refusal, Decision::Refusal::RateLimited);
        QCOMPARE(at(u"a@x.example"_s, u"send"_s, 59'999).retryAfter, 1ms);
        // Exactly one window after the first request, it has left the window.
        d = at(u"a@x.example"_s, u"send"_s, 60'000);
        QVERIFY(d.allowed);
        QCOMPARE(d.remaining, 0);
        QCOMPARE(at(u"a@x.example"_s, u"send"_s, 60'000).retryAfter, 1000ms);
        QVERIFY(at(u"a@x.example"_s, u"send"_s, 61'500).allowed);
        QCOMPARE(at(u"a@x.example"_s, u"send"_s, 61'500).retryAfter, 500ms);

        // Other keys are untouched; an operation can have its own policy.
        QCOMPARE(at(u"b@x.example"_s, u"send"_s, 61'500).remaining, 4);
        QCOMPARE(at(u"a@x.example"_s, u"read"_s, 61'500).remaining, 4);
        QVERIFY(at(u"a@x.example"_s, u"sync"_s, 61'500).allowed);
        QCOMPARE(at(u"a@x.example"_s, u"sync"_s, 61'500).retryAfter, 60'000ms);

        // Expired rows went with the checks: never more than the limit per key.
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_events WHERE account = "
                             u"'a@x.example' AND operation = 'send'"_s),
                 5);
        auto bad = store.checkAndRecord(u"a"_s, u"send"_s, {5, 1500ms, 0}, kWall0);
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
    }

    // The A/B wrapper: flag and caching rollout choose the in-memory limiter; a tripped breaker
    // (or the flag off) sends every check to the database function, which records each one.
    void guardChoosesThePath_data() { test::addDialectRows(); }
    void guardChoosesThePath() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        const RateLimitPolicies policies({100, 60s, 0});
        RateLimiter optimized(policies);
        RateLimitStore legacy(*db, policies);
        ManualClock clock(QDateTime::fromMSecsSinceEpoch(kWall0, Qt::UTC));
        OptimizationGuard guard(u"rateLimiter"_s, u"caching"_s, {}, clock);
        GuardedRateLimiter limiter(optimized, legacy, guard);
        const RateLimitTime now{1'000'000'000, kWall0};
        // The path that allowed the check (nothing when it was refused or failed).
        const auto path = [&](const QString& account) -> std::optional<OptimizationGuard::Path> {
            OptimizationGuard::Path p = OptimizationGuard::Path::Legacy;
            auto d = limiter.check(account, u"mailbox.fetch"_s, now, &p);
            return d && d->allowed ? std::optional(p) : std::nullopt;
        };
        guard.configure(true, 50, u"closed"_s, {});
        int inMemory = 0;
        for (int i = 0; i < 40; ++i) {
            const QString account = u"box%1@x.example"_s.arg(i);
            const bool bucketed = Rollout::includes(u"caching", account, 50);
            QCOMPARE(path(account) == OptimizationGuard::Path::Optimized, bucketed);
            inMemory += bucketed;
        }
        QVERIFY(inMemory > 0 && inMemory < 40);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_events"_s), 40 - inMemory);

        guard.configure(true, 100, u"forced_open"_s, u"limiter drifting"_s);
        QCOMPARE(path(u"box0@x.example"_s), OptimizationGuard::Path::Legacy);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_events"_s), 41 - inMemory);
        guard.configure(false, 100, u"closed"_s, u"fixed"_s);
        QCOMPARE(path(u"box0@x.example"_s), OptimizationGuard::Path::Legacy);
        guard.configure(true, 100, u"closed"_s, u"fixed"_s);
        QCOMPARE(path(u"box0@x.example"_s), OptimizationGuard::Path::Optimized);
    }

    void legacyPostgresFunction() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        // Callable from SQL with the server's clock.
        auto q = db->exec(u"SELECT allowed, remaining, retry_after_ms FROM "
                          u"check_and_record_rate_limit('a', 'send', 2, 60)"_s);
        QVERIFY(q.ok() && q->next());
        QCOMPARE(q->value(0).toBool(), true);
        QCOMPARE(q->value(1).toInt(), 1);
        QCOMPARE(q->value(2).toLongLong(), 0);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_events"_s), 1);
        for (const QString& call : {u"check_and_record_rate_limit('a', 'send', 0, 60)"_s,
                                    u"check_and_record_rate_limit('a', 'send', 2, 0)"_s,
                                    u"check_and_record_rate_limit(NULL, 'send', 2, 60)"_s}) {
            QVERIFY2(!db->exec(u"SELECT * FROM "_s + call).ok(), qPrintable(call));
        }
        // The active-window count is an index range scan.
        QVERIFY(db->exec(u"SET enable_seqscan = off"_s).ok());
        auto plan = db->exec(u"EXPLAIN SELECT count(*) FROM rate_limit_events WHERE account = "
                             u"'a' AND operation = 'send' AND occurred_at > now()"_s);
        QVERIFY(plan.ok());
        QString text;
        while (plan->next()) {
            text += plan->value(0).toString() + u'\n';
        }
        QVERIFY2(text.contains(u"idx_rate_limit_active_window"_s), qPrintable(text));
    }

    // Two connections check the same keys at the same instant, key after key, so every key's
    // last free slot is raced for: the limit is never exceeded (nor undershot). Without the
    // lock both would count the same rows and insert past the limit.
    void legacyConcurrentChecksNeverExceedTheLimit_data() { test::addDialectRows(); }
    void legacyConcurrentChecksNeverExceedTheLimit() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        QVERIFY(tdb.openMigrated());
        constexpr int kMax = 5;
        constexpr int kKeys = 40;
        std::atomic<int> allowed{0};
        std::atomic<int> failures{0};
        std::latch ready(2);
        auto worker = [&] {
            auto db = Database::open(tdb.spec());
            ready.arrive_and_wait();
            if (!db) {
                ++failures;
                return;
            }
            RateLimitStore store(**db, RateLimitPolicies({kMax, 60s, 0}));
            for (int key = 0; key < kKeys; ++key) {
                for (int i = 0; i < kMax + 2; ++i) {
                    auto d = store.check(u"shared-%1@x.example"_s.arg(key), u"send"_s, {0, kWall0});
                    if (!d) {
                        ++failures;
                    } else if (d->allowed) {
                        ++allowed;
                    }
                }
            }
        };
        std::unique_ptr<QThread> a(QThread::create(worker));
        std::unique_ptr<QThread> b(QThread::create(worker));
        a->start();
        b->start();
        QVERIFY(a->wait(120000));
        QVERIFY(b->wait(120000));
        QCOMPARE(failures.load(), 0);
        QCOMPARE(allowed.load(), kMax * kKeys);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        QCOMPARE(scalar(**db, u"SELECT count(*) FROM rate_limit_events"_s), kMax * kKeys);
    }

    // --- Batch sync of the optimized limiter ----------------------------------------------

    // Two engines share one limit of 100 per 100 s through one database, each syncing after
    // every 10 checks (the sync interval S, counted in requests here). Stated tolerance (see
    // RateLimitStore): at most what the other engine allowed in two sync intervals, 2 x 10.
    void batchSyncKeepsEnginesWithinTolerance_data() { test::addDialectRows(); }
    void batchSyncKeepsEnginesWithinTolerance() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        QVERIFY(tdb.openMigrated());
        const RateLimitPolicies policies({100, 100s, 0});
        Engine a(tdb, policies, 1'000 * kSec);
        Engine b(tdb, policies, 7'000'000 * kSec);
        constexpr int kPerInterval = 10;
        constexpr int kTolerance = 2 * kPerInterval * (2 - 1);

        const auto rounds = [&](std::int64_t atMs, bool sync) {
            int allowed = 0;
            for (int r = 0; r < 20; ++r) {
                allowed += a.allowedOf(kPerInterval, atMs);
                allowed += b.allowedOf(kPerInterval, atMs);
                if (sync && !(a.sync(atMs) && b.sync(atMs))) {
                    return -1;
                }
            }
            return allowed;
        };
        int allowed = rounds(0, true);
        QVERIFY(allowed >= 100);
        QVERIFY2(allowed <= 100 + kTolerance, qPrintable(QString::number(allowed)));
        // Here: A decides without B's last interval, so it goes one interval over.
        QCOMPARE(allowed, 100 + kPerInterval);
        // Once synced, both engines carry the whole debt: 110 requests owe 10 s beyond the
        // burst, so one more fits in 11 s.
        QCOMPARE(a.limiter.checkAt(u"mailbox@customer.example"_s, u"send"_s, a.at(0).steadyNs)
                     .retryAfter,
                 11'000ms);
        QCOMPARE(b.limiter.checkAt(u"mailbox@customer.example"_s, u"send"_s, b.at(0).steadyNs)
                     .retryAfter,
                 11'000ms);

        // 50 s later, 50 intervals have refilled, less the 10 over: 40 more (plus tolerance).
        const int later = rounds(50'000, true);
        QVERIFY(later >= 40);
        QVERIFY2(later <= 40 + kTolerance, qPrintable(QString::number(later)));

        // The same schedule without syncing would double the limit: the test can fail.
        Engine c(tdb, policies, 3 * kSec);
        Engine d(tdb, policies, 9 * kSec);
        int unsynced = 0;
        for (int r = 0; r < 20; ++r) {
            unsynced += ::allowedOf(c.limiter, u"other"_s, kPerInterval, c.at(0).steadyNs);
            unsynced += ::allowedOf(d.limiter, u"other"_s, kPerInterval, d.at(0).steadyNs);
        }
        QCOMPARE(unsynced, 200);
        QVERIFY(unsynced > 100 + kTolerance);
    }

    // An engine that starts late learns every key in debt at its first sync.
    void syncFoldsDebtIntoANewEngine_data() { test::addDialectRows(); }
    void syncFoldsDebtIntoANewEngine() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        QVERIFY(tdb.openMigrated());
        const RateLimitPolicies policies({100, 100s, 0});
        Engine a(tdb, policies, 50 * kSec);
        QCOMPARE(a.allowedOf(100, 0), 100);
        auto report = a.store.synchronize(a.limiter, a.at(0));
        QVERIFY(report.ok());
        QCOMPARE(report->keysWritten, 1);
        QCOMPARE(report->requestsWritten, 100);
        QCOMPARE(report->keysFolded, 1);

        Engine late(tdb, policies, 900 * kSec);
        QVERIFY(late.sync(250));
        QCOMPARE(late.limiter.keyCount(), std::size_t(1));
        const Decision d =
            late.limiter.checkAt(u"mailbox@customer.example"_s, u"send"_s, late.at(250).steadyNs);
        QVERIFY(!d.allowed);
        QCOMPARE(d.retryAfter, 750ms);
        QCOMPARE(late.allowedOf(5, 1000), 1);
        // Keys with no debt left are not sent back (nor kept).
        QVERIFY(late.store.prune(late.at(200'000)).ok());
        QCOMPARE(scalar(*late.db, u"SELECT count(*) FROM rate_limit_usage"_s), 0);
    }

    void failedSyncLosesNothing_data() { test::addDialectRows(); }
    void failedSyncLosesNothing() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        QVERIFY(tdb.openMigrated());
        Engine a(tdb, RateLimitPolicies({100, 100s, 0}), 0);
        QCOMPARE(a.allowedOf(7, 0), 7);
        QVERIFY(a.db->exec(u"ALTER TABLE rate_limit_usage RENAME TO rate_limit_usage_away"_s));
        QVERIFY(!a.store.synchronize(a.limiter, a.at(0)).ok());
        QVERIFY(a.db->exec(u"ALTER TABLE rate_limit_usage_away RENAME TO rate_limit_usage"_s));
        auto report = a.store.synchronize(a.limiter, a.at(0));
        QVERIFY(report.ok());
        QCOMPARE(report->requestsWritten, 7);
    }

    void pruneDeletesOnlyExpiredRows_data() { test::addDialectRows(); }
    void pruneDeletesOnlyExpiredRows() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        RateLimitStore store(*db, RateLimitPolicies({10, 60s, 0}));
        for (int i = 0; i < 3; ++i) {
            QVERIFY(store.check(u"old"_s, u"send"_s, {0, kWall0}).value().allowed);
        }
        QVERIFY(store.check(u"new"_s, u"send"_s, {0, kWall0 + 30'000}).value().allowed);
        RateLimiter limiter(RateLimitPolicies({10, 60s, 0}));
        QVERIFY(limiter.checkAt(u"old"_s, u"send"_s, 0).allowed);
        QVERIFY(store.synchronize(limiter, {0, kWall0}).ok()); // owes 6 s
        QCOMPARE(store.prune({0, kWall0 + 5'000}).value(), 0);
        QCOMPARE(store.prune({0, kWall0 + 60'000}).value(), 4); // 3 events and the state
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_events"_s), 1);
        QCOMPARE(scalar(*db, u"SELECT count(*) FROM rate_limit_usage"_s), 0);
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_rate_limiter.moc"
