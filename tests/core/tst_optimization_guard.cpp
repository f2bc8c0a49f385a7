// SPDX-License-Identifier: MIT
// The seed's A/B wrapper: flag and rollout choose the path, the breaker guards the optimized
// one, and a failure there is answered by the legacy path. Time is a ManualClock throughout.
#include "control/optimization_guard.h"
#include "control/rollout.h"

#include <QTest>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);

// Calls that count which path answered; the optimized one fails while `failing` is set.
struct Paths {
    bool failing = false;
    int optimizedCalls = 0;
    int legacyCalls = 0;

    Result<QString> call(OptimizationGuard& guard, const QString& account,
                         OptimizationGuard::Path* path = nullptr) {
        return guard.run<QString>(
            account,
            [&]() -> Result<QString> {
                ++optimizedCalls;
                if (failing) {
                    return Error{ErrorCode::DatabaseError, u"function missing"_s};
                }
                return u"optimized"_s;
            },
            [&]() -> Result<QString> {
                ++legacyCalls;
                return u"legacy"_s;
            },
            path);
    }
};

} // namespace

class TestOptimizationGuard : public QObject {
    Q_OBJECT
private slots:
    void flagAndRolloutChooseThePath() {
        ManualClock clock(kT0);
        OptimizationGuard guard(u"queryCache"_s, u"caching"_s, BreakerConfig{}, clock);
        Paths paths;
        QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"legacy"_s); // flag off

        guard.configure(true, 50, u"closed"_s, {});
        int optimized = 0;
        for (int i = 0; i < 200; ++i) {
            const QString account = u"user%1@example.com"_s.arg(i);
            OptimizationGuard::Path path = OptimizationGuard::Path::Legacy;
            QVERIFY(paths.call(guard, account, &path).ok());
            const bool inRollout = Rollout::includes(u"caching", account, 50);
            QCOMPARE(path == OptimizationGuard::Path::Optimized, inRollout);
            QCOMPARE(guard.wantsOptimized(account), inRollout);
            optimized += inRollout;
        }
        QVERIFY(optimized > 0 && optimized < 200);
        QCOMPARE(guard.counts().optimized, optimized);
        QCOMPARE(guard.counts().legacy, 201 - optimized);
        QCOMPARE(guard.counts().fallbacks, 0);

        // Without a rollout name the flag alone decides.
        OptimizationGuard everyone(u"batchIngestion"_s, {}, BreakerConfig{}, clock);
        everyone.configure(true, 0, u"closed"_s, {});
        QVERIFY(everyone.wantsOptimized(u"anyone@example.com"_s));
    }

    // The seed's rule: five failures in a row open the breaker for five minutes; every call
    // is still answered (by legacy); probes after the cooldown close it again.
    void failuresFallBackThenOpenTheBreaker() {
        ManualClock clock(kT0);
        OptimizationGuard guard(u"queryCache"_s, {}, BreakerConfig{}, clock);
        guard.configure(true, 100, u"closed"_s, {});
        Paths paths;
        paths.failing = true;
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"legacy"_s);
        }
        QCOMPARE(paths.optimizedCalls, 5);
        QCOMPARE(guard.counts().fallbacks, 5);
        QCOMPARE(guard.counts().lastFailure, u"function missing"_s);
        QCOMPARE(guard.state(), BreakerState::Open);

        // Open: the optimized path is not even tried.
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"legacy"_s);
        }
        QCOMPARE(paths.optimizedCalls, 5);
        QCOMPARE(paths.legacyCalls, 15);

        clock.advanceSecs(299);
        QVERIFY(paths.call(guard, u"a@example.com"_s).ok());
        QCOMPARE(paths.optimizedCalls, 5);
        clock.advanceSecs(1);
        paths.failing = false;
        for (int i = 0; i < 3; ++i) { // three probes succeed
            QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"optimized"_s);
        }
        QCOMPARE(guard.state(), BreakerState::Closed);

        const QList<BreakerTransition> transitions = guard.takeTransitions();
        QCOMPARE(transitions.size(), 3);
        QCOMPARE(transitions[0].to, BreakerState::Open);
        QCOMPARE(transitions[0].cause, u"failure threshold"_s);
        QCOMPARE(transitions[0].consecutiveFailures, 5);
        QCOMPARE(transitions[0].at, kT0);
        QCOMPARE(transitions[1].to, BreakerState::HalfOpen);
        QCOMPARE(transitions[1].at, kT0.addSecs(300));
        QCOMPARE(transitions[2].to, BreakerState::Closed);
        QCOMPARE(transitions[2].cause, u"probes succeeded"_s);
        QVERIFY(guard.takeTransitions().isEmpty()); // each is reported once
    }

    void failureRateModeOpensOnTheShare() {
        ManualClock clock(kT0);
        BreakerConfig config;
        config.mode = BreakerMode::FailureRate;
        config.failureRateThreshold = 0.5;
        config.slidingWindowSize = 10;
        config.minimumCalls = 10;
        OptimizationGuard guard(u"rateLimiter"_s, {}, config, clock);
        guard.configure(true, 100, u"closed"_s, {});
        Paths paths;
        // Alternating outcomes: never five in a row, but half of the last ten failed.
        for (int i = 0; i < 9; ++i) {
            paths.failing = i % 2 == 0;
            QVERIFY(paths.call(guard, u"a@example.com"_s).ok());
            QCOMPARE(guard.state(), BreakerState::Closed);
        }
        paths.failing = false;
        QVERIFY(paths.call(guard, u"a@example.com"_s).ok()); // 10 calls, 5 failed
        QCOMPARE(guard.state(), BreakerState::Open);
        const QList<BreakerTransition> transitions = guard.takeTransitions();
        QCOMPARE(transitions.size(), 1);
        QCOMPARE(transitions[0].cause, u"failure rate"_s);
        QCOMPARE(transitions[0].windowCalls, 10);
        QCOMPARE(transitions[0].windowFailures, 5);
    }

    // A person's trip, shared through the database, bypasses the optimized path; it is not
    // reported again as this engine's own transition (the control plane recorded it).
    void sharedTripBypassesAndIsNotRepeated() {
        ManualClock clock(kT0);
        OptimizationGuard guard(u"batchIngestion"_s, {}, BreakerConfig{}, clock);
        guard.configure(true, 100, u"forced_open"_s, u"batch path corrupts rows"_s);
        Paths paths;
        QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"legacy"_s);
        QCOMPARE(paths.optimizedCalls, 0);
        QCOMPARE(guard.state(), BreakerState::ForcedOpen);
        clock.advanceSecs(3600); // forced open never cools down by itself
        QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"legacy"_s);
        QVERIFY(guard.takeTransitions().isEmpty());

        guard.configure(true, 100, u"closed"_s, u"fixed"_s);
        QCOMPARE(paths.call(guard, u"a@example.com"_s).value(), u"optimized"_s);
        QCOMPARE(guard.state(), BreakerState::Closed);
        QVERIFY(guard.takeTransitions().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestOptimizationGuard)
#include "tst_optimization_guard.moc"
