// SPDX-License-Identifier: MIT
// Circuit breaker: the seed's rule (5 failures in a row, 5-minute cooldown), half-open probes
// and their timeout, the failure-rate window, manual control with reasons, ignored outcomes,
// the transition log and shared state. Time only moves through a ManualClock.
#include "control/circuit_breaker.h"

#include <QTest>

#include <algorithm>
#include <limits>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace trackwatch::core {
// Readable QCOMPARE failures for states (found by argument-dependent lookup).
char* toString(BreakerState state) {
    return QTest::toString(breakerStateName(state));
}
} // namespace trackwatch::core

Q_DECLARE_METATYPE(trackwatch::core::BreakerState)

namespace {

constexpr int kOpenSecs = 300;
constexpr int kHalfOpenTimeoutSecs = 60;

QDateTime startTime() {
    return QDateTime::fromString(u"2024-01-01T00:00:00Z"_s, Qt::ISODate);
}

// Runs calls through the breaker: 'F' a failed call, 'S' a successful one, anything else
// ignored. Each call asks allowRequest() first, like a caller would, and reports its outcome
// whatever the answer (so ignored outcomes are exercised too).
void feed(CircuitBreaker& breaker, const QString& outcomes) {
    for (const QChar c : outcomes) {
        if (c == u'F') {
            breaker.allowRequest();
            breaker.recordFailure();
        } else if (c == u'S') {
            breaker.allowRequest();
            breaker.recordSuccess();
        }
    }
}

BreakerConfig rateConfig(int window, int minimumCalls, double rate) {
    BreakerConfig config;
    config.mode = BreakerMode::FailureRate;
    config.slidingWindowSize = window;
    config.minimumCalls = minimumCalls;
    config.failureRateThreshold = rate;
    return config;
}

} // namespace

class TestCircuitBreaker : public QObject {
    Q_OBJECT
private slots:
    void stateNames_data() {
        QTest::addColumn<BreakerState>("state");
        QTest::addColumn<QString>("name");
        QTest::newRow("closed") << BreakerState::Closed << u"closed"_s;
        QTest::newRow("open") << BreakerState::Open << u"open"_s;
        QTest::newRow("half_open") << BreakerState::HalfOpen << u"half_open"_s;
        QTest::newRow("forced_open") << BreakerState::ForcedOpen << u"forced_open"_s;
        QTest::newRow("disabled") << BreakerState::Disabled << u"disabled"_s;
    }
    void stateNames() {
        QFETCH(BreakerState, state);
        QFETCH(QString, name);
        QCOMPARE(breakerStateName(state), name);
    }

    void defaultsAreTheSeeds() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"optimizedQueries"_s, BreakerConfig{}, clock);
        QCOMPARE(breaker.operation(), u"optimizedQueries"_s);
        QCOMPARE(breaker.config().mode, BreakerMode::ConsecutiveFailures);
        QCOMPARE(breaker.config().failureThreshold, 5);
        QCOMPARE(breaker.config().openDuration, std::chrono::seconds{kOpenSecs});
        QCOMPARE(breaker.config().halfOpenProbes, 3);
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.transitions().empty());
        QVERIFY(!breaker.openedAt().isValid());
    }

    void consecutiveFailures_data() {
        QTest::addColumn<QString>("outcomes");
        QTest::addColumn<BreakerState>("expected");
        QTest::addColumn<int>("consecutive");
        QTest::newRow("5 failures in a row open it") << u"FFFFF"_s << BreakerState::Open << 0;
        QTest::newRow("4 failures stay closed") << u"FFFF"_s << BreakerState::Closed << 4;
        QTest::newRow("4 + success + 4 stay closed") << u"FFFFSFFFF"_s << BreakerState::Closed << 4;
        QTest::newRow("success resets, then 5 open it")
            << u"FFFFSFFFFF"_s << BreakerState::Open << 0;
        QTest::newRow("successes only") << u"SSSSSSSSSS"_s << BreakerState::Closed << 0;
        QTest::newRow("alternating never opens")
            << u"FSFSFSFSFSFSFSFS"_s << BreakerState::Closed << 0;
        QTest::newRow("success after the 5th is ignored") << u"FFFFFS"_s << BreakerState::Open << 0;
    }
    void consecutiveFailures() {
        QFETCH(QString, outcomes);
        QFETCH(BreakerState, expected);
        QFETCH(int, consecutive);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, outcomes);
        QCOMPARE(breaker.state(), expected);
        QCOMPARE(breaker.consecutiveFailures(), consecutive);
        QCOMPARE(breaker.allowRequest(), expected == BreakerState::Closed);
        if (expected == BreakerState::Open) {
            QCOMPARE(breaker.transitions().size(), std::size_t{1});
            const BreakerTransition& t = breaker.transitions().back();
            QCOMPARE(t.from, BreakerState::Closed);
            QCOMPARE(t.to, BreakerState::Open);
            QCOMPARE(t.cause, u"failure threshold"_s);
            QCOMPARE(t.consecutiveFailures, 5);
            QCOMPARE(breaker.openedAt(), startTime());
        } else {
            QVERIFY(breaker.transitions().empty());
        }
    }

    void staysOpenUntilOpenDuration_data() {
        QTest::addColumn<int>("elapsed");
        QTest::addColumn<BreakerState>("expected");
        QTest::newRow("0 s") << 0 << BreakerState::Open;
        QTest::newRow("1 s") << 1 << BreakerState::Open;
        QTest::newRow("299 s") << 299 << BreakerState::Open;
        QTest::newRow("300 s") << 300 << BreakerState::HalfOpen;
        QTest::newRow("301 s") << 301 << BreakerState::HalfOpen;
    }
    void staysOpenUntilOpenDuration() {
        QFETCH(int, elapsed);
        QFETCH(BreakerState, expected);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFFF"_s);
        QCOMPARE(breaker.state(), BreakerState::Open);
        clock.advanceSecs(elapsed);
        QCOMPARE(breaker.allowRequest(), expected == BreakerState::HalfOpen);
        QCOMPARE(breaker.state(), expected);
        if (expected == BreakerState::HalfOpen) {
            const BreakerTransition& t = breaker.transitions().back();
            QCOMPARE(t.from, BreakerState::Open);
            QCOMPARE(t.to, BreakerState::HalfOpen);
            QCOMPARE(t.cause, u"open period over"_s);
            QCOMPARE(t.at, startTime().addSecs(elapsed));
        } else {
            QCOMPARE(breaker.transitions().size(), std::size_t{1});
        }
    }

    void halfOpenAdmitsOnlyTheProbes() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFFF"_s);
        clock.advanceSecs(kOpenSecs);
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(!breaker.allowRequest()); // the 4th is refused while 3 are in flight
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        breaker.recordSuccess();
        QVERIFY(!breaker.allowRequest()); // a decided probe does not free a slot
        breaker.recordSuccess();
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        breaker.recordSuccess();
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(breaker.allowRequest());
        const BreakerTransition& t = breaker.transitions().back();
        QCOMPARE(t.from, BreakerState::HalfOpen);
        QCOMPARE(t.to, BreakerState::Closed);
        QCOMPARE(t.cause, u"probes succeeded"_s);
        QCOMPARE(breaker.consecutiveFailures(), 0);
        QCOMPARE(breaker.windowCalls(), 0);
        // Closed again with a clean count: 4 failures do not reopen it, the 5th does.
        feed(breaker, u"FFFF"_s);
        QCOMPARE(breaker.state(), BreakerState::Closed);
        feed(breaker, u"F"_s);
        QCOMPARE(breaker.state(), BreakerState::Open);
    }

    void probeFailureReopens_data() {
        QTest::addColumn<int>("successesFirst");
        QTest::newRow("first probe fails") << 0;
        QTest::newRow("second probe fails") << 1;
        QTest::newRow("last probe fails") << 2;
    }
    void probeFailureReopens() {
        QFETCH(int, successesFirst);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFFF"_s);
        clock.advanceSecs(kOpenSecs);
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        for (int i = 0; i < successesFirst; ++i) {
            breaker.recordSuccess();
        }
        clock.advanceSecs(10);
        const QDateTime reopenedAt = clock.now();
        breaker.recordFailure();
        QCOMPARE(breaker.state(), BreakerState::Open);
        QCOMPARE(breaker.openedAt(), reopenedAt);
        const BreakerTransition& t = breaker.transitions().back();
        QCOMPARE(t.from, BreakerState::HalfOpen);
        QCOMPARE(t.to, BreakerState::Open);
        QCOMPARE(t.cause, u"probe failed"_s);
        QCOMPARE(t.at, reopenedAt);
        // The remaining probes report after it reopened: ignored.
        breaker.recordSuccess();
        breaker.recordSuccess();
        QCOMPARE(breaker.state(), BreakerState::Open);
        // A fresh cooldown, counted from the reopening.
        clock.advanceSecs(kOpenSecs - 1);
        QVERIFY(!breaker.allowRequest());
        QCOMPARE(breaker.state(), BreakerState::Open);
        clock.advanceSecs(1);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        QVERIFY(breaker.allowRequest()); // fresh probe budget
    }

    void halfOpenTimeoutReopens_data() {
        QTest::addColumn<int>("probesAdmitted");
        QTest::newRow("no probe ever came") << 0;
        QTest::newRow("one probe never reported") << 1;
        QTest::newRow("all probes never reported") << 3;
    }
    void halfOpenTimeoutReopens() {
        QFETCH(int, probesAdmitted);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFFF"_s);
        clock.advanceSecs(kOpenSecs);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        for (int i = 0; i < probesAdmitted; ++i) {
            QVERIFY(breaker.allowRequest());
        }
        clock.advanceSecs(kHalfOpenTimeoutSecs);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen); // exactly the timeout: not longer
        clock.advanceSecs(1);
        QCOMPARE(breaker.state(), BreakerState::Open);
        QVERIFY(!breaker.allowRequest());
        const BreakerTransition& t = breaker.transitions().back();
        QCOMPARE(t.from, BreakerState::HalfOpen);
        QCOMPARE(t.to, BreakerState::Open);
        QCOMPARE(t.cause, u"half-open timeout"_s);
        QCOMPARE(breaker.openedAt(), clock.now());
        // A late probe outcome changes nothing.
        breaker.recordSuccess();
        breaker.recordFailure();
        QCOMPARE(breaker.state(), BreakerState::Open);
        QCOMPARE(breaker.openedAt(), clock.now());
        clock.advanceSecs(kOpenSecs);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
    }

    void failureRate_data() {
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("minimumCalls");
        QTest::addColumn<double>("rate");
        QTest::addColumn<QString>("outcomes");
        QTest::addColumn<BreakerState>("expected");
        QTest::addColumn<int>("openedAtCall"); // 1-based call that opened it, 0 if none
        QTest::addColumn<int>("recordedCalls");
        QTest::addColumn<int>("recordedFailures");
        QTest::newRow("below minimumCalls never opens")
            << 20 << 10 << 0.5 << u"FFFFFFFFF"_s << BreakerState::Closed << 0 << 0 << 0;
        QTest::newRow("all failures open at minimumCalls")
            << 20 << 10 << 0.5 << u"FFFFFFFFFF"_s << BreakerState::Open << 10 << 10 << 10;
        QTest::newRow("exactly at the rate opens")
            << 20 << 10 << 0.5 << u"SSSSSFFFFF"_s << BreakerState::Open << 10 << 10 << 5;
        QTest::newRow("just below the rate stays closed")
            << 20 << 10 << 0.5 << u"SSSSSSFFFF"_s << BreakerState::Closed << 0 << 0 << 0;
        QTest::newRow("rate 0.3 at 3 of 10")
            << 10 << 10 << 0.3 << u"SSSSSSSFFF"_s << BreakerState::Open << 10 << 10 << 3;
        QTest::newRow("rate 0.7 at 7 of 10")
            << 10 << 10 << 0.7 << u"SSSFFFFFFF"_s << BreakerState::Open << 10 << 10 << 7;
        QTest::newRow("a success as the 10th call opens it too")
            << 20 << 10 << 0.5 << u"FFFFFFFFFS"_s << BreakerState::Open << 10 << 10 << 9;
        QTest::newRow("successes only never open")
            << 10 << 1 << 0.01 << u"SSSSSSSSSSSS"_s << BreakerState::Closed << 0 << 0 << 0;
        QTest::newRow("alternating opens once the window reaches the rate")
            << 20 << 10 << 0.5 << u"FSFSFSFSFS"_s << BreakerState::Open << 10 << 10 << 5;
    }
    void failureRate() {
        QFETCH(int, window);
        QFETCH(int, minimumCalls);
        QFETCH(double, rate);
        QFETCH(QString, outcomes);
        QFETCH(BreakerState, expected);
        QFETCH(int, openedAtCall);
        QFETCH(int, recordedCalls);
        QFETCH(int, recordedFailures);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, rateConfig(window, minimumCalls, rate), clock);
        for (int i = 0; i < outcomes.size(); ++i) {
            clock.advanceSecs(1);
            feed(breaker, outcomes.mid(i, 1));
            if (i + 1 < openedAtCall || openedAtCall == 0) {
                QCOMPARE(breaker.state(), BreakerState::Closed);
            }
        }
        QCOMPARE(breaker.state(), expected);
        if (expected == BreakerState::Open) {
            QCOMPARE(breaker.transitions().size(), std::size_t{1});
            const BreakerTransition& t = breaker.transitions().back();
            QCOMPARE(t.cause, u"failure rate"_s);
            QCOMPARE(t.windowCalls, recordedCalls);
            QCOMPARE(t.windowFailures, recordedFailures);
            QCOMPARE(t.at, startTime().addSecs(openedAtCall));
            // Opening clears the window.
            QCOMPARE(breaker.windowCalls(), 0);
            QCOMPARE(breaker.windowFailures(), 0);
        } else {
            QVERIFY(breaker.transitions().empty());
            QCOMPARE(breaker.windowCalls(), std::min(static_cast<int>(outcomes.size()), window));
        }
    }

    void failureRateWindowSlides_data() {
        QTest::addColumn<QString>("outcomes");
        QTest::addColumn<int>("calls");
        QTest::addColumn<int>("failures");
        QTest::addColumn<BreakerState>("expected");
        // window 4, minimumCalls 4, rate 0.75
        QTest::newRow("window fills") << u"FSS"_s << 3 << 1 << BreakerState::Closed;
        QTest::newRow("old failure falls out") << u"FSSSS"_s << 4 << 0 << BreakerState::Closed;
        QTest::newRow("two old failures fall out") << u"FFSSSS"_s << 4 << 0 << BreakerState::Closed;
        // 3 failures in 7 calls overall, but only 1 in the last 4.
        QTest::newRow("counts only the last 4") << u"FFSSSSF"_s << 4 << 1 << BreakerState::Closed;
        // 5 failures in 9 calls overall (0.56), but 3 in the last 4 (0.75).
        QTest::newRow("recent failures open it") << u"FFSSSSFFF"_s << 0 << 0 << BreakerState::Open;
    }
    void failureRateWindowSlides() {
        QFETCH(QString, outcomes);
        QFETCH(int, calls);
        QFETCH(int, failures);
        QFETCH(BreakerState, expected);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, rateConfig(4, 4, 0.75), clock);
        feed(breaker, outcomes);
        QCOMPARE(breaker.state(), expected);
        QCOMPARE(breaker.windowCalls(), calls);
        QCOMPARE(breaker.windowFailures(), failures);
        if (expected == BreakerState::Open) {
            const BreakerTransition& t = breaker.transitions().back();
            QCOMPARE(t.windowCalls, 4);
            QCOMPARE(t.windowFailures, 3);
        }
    }

    void windowIsKeptInConsecutiveMode() {
        ManualClock clock(startTime());
        BreakerConfig config;
        config.slidingWindowSize = 3;
        CircuitBreaker breaker(u"op"_s, config, clock);
        feed(breaker, u"FFSFS"_s);
        QCOMPARE(breaker.windowCalls(), 3);
        QCOMPARE(breaker.windowFailures(), 1);
        QCOMPARE(breaker.state(), BreakerState::Closed);
    }

    void blankReasonsAreRefused_data() {
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty") << QString();
        QTest::newRow("empty string") << u""_s;
        QTest::newRow("spaces") << u"   "_s;
        QTest::newRow("tabs and newline") << u"\t\n "_s;
    }
    void blankReasonsAreRefused() {
        QFETCH(QString, reason);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FF"_s);
        QVERIFY(!breaker.trip(reason));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(!breaker.disable(reason));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(!breaker.reset(reason));
        QCOMPARE(breaker.consecutiveFailures(), 2); // reset refused: counts kept
        QVERIFY(breaker.transitions().empty());

        QVERIFY(breaker.trip(u"incident 42"_s));
        QVERIFY(!breaker.reset(reason));
        QCOMPARE(breaker.state(), BreakerState::ForcedOpen);
        QVERIFY(breaker.disable(u"investigating"_s));
        QVERIFY(!breaker.enable(reason));
        QCOMPARE(breaker.state(), BreakerState::Disabled);
        QCOMPARE(breaker.transitions().size(), std::size_t{2});
    }

    void tripAndReset() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFF"_s);
        QVERIFY(breaker.trip(u"  bad results on prod  "_s));
        QCOMPARE(breaker.state(), BreakerState::ForcedOpen);
        QVERIFY(!breaker.allowRequest());
        const BreakerTransition& tripped = breaker.transitions().back();
        QCOMPARE(tripped.from, BreakerState::Closed);
        QCOMPARE(tripped.to, BreakerState::ForcedOpen);
        QCOMPARE(tripped.cause, u"tripped: bad results on prod"_s);
        QCOMPARE(tripped.consecutiveFailures, 3);
        // No cooldown ends a forced open.
        clock.advanceSecs(10 * 24 * 3600);
        QVERIFY(!breaker.allowRequest());
        QCOMPARE(breaker.state(), BreakerState::ForcedOpen);
        // Tripping again keeps it forced open without a new transition.
        QVERIFY(breaker.trip(u"still bad"_s));
        QCOMPARE(breaker.transitions().size(), std::size_t{1});

        clock.advanceSecs(5);
        QVERIFY(breaker.reset(u"fixed in 1.4.2"_s));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.consecutiveFailures(), 0);
        QCOMPARE(breaker.windowCalls(), 0);
        const BreakerTransition& reset = breaker.transitions().back();
        QCOMPARE(reset.from, BreakerState::ForcedOpen);
        QCOMPARE(reset.to, BreakerState::Closed);
        QCOMPARE(reset.cause, u"reset: fixed in 1.4.2"_s);
        QCOMPARE(reset.at, clock.now());
        QCOMPARE(reset.consecutiveFailures, 3); // as they were, before clearing
        QCOMPARE(reset.windowCalls, 3);
    }

    void resetFromAnyState_data() {
        QTest::addColumn<QString>("setup"); // outcomes, then seconds to wait
        QTest::addColumn<int>("wait");
        QTest::addColumn<BreakerState>("before");
        QTest::newRow("open") << u"FFFFF"_s << 10 << BreakerState::Open;
        QTest::newRow("half-open") << u"FFFFF"_s << kOpenSecs << BreakerState::HalfOpen;
        QTest::newRow("forced open") << u"!trip"_s << 0 << BreakerState::ForcedOpen;
        QTest::newRow("disabled") << u"!disable"_s << 0 << BreakerState::Disabled;
    }
    void resetFromAnyState() {
        QFETCH(QString, setup);
        QFETCH(int, wait);
        QFETCH(BreakerState, before);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        if (setup == u"!trip"_s) {
            QVERIFY(breaker.trip(u"test"_s));
        } else if (setup == u"!disable"_s) {
            QVERIFY(breaker.disable(u"test"_s));
        } else {
            feed(breaker, setup);
        }
        clock.advanceSecs(wait);
        QCOMPARE(breaker.state(), before);
        const std::size_t count = breaker.transitions().size();
        QVERIFY(breaker.reset(u"operator"_s));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.transitions().size(), count + 1);
        QCOMPARE(breaker.transitions().back().from, before);
        QCOMPARE(breaker.transitions().back().cause, u"reset: operator"_s);
        // Counts start over: 4 failures stay closed.
        feed(breaker, u"FFFF"_s);
        QCOMPARE(breaker.state(), BreakerState::Closed);
    }

    void resetWhenClosedClearsCounts() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFF"_s);
        QVERIFY(breaker.reset(u"flaky test data"_s));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QCOMPARE(breaker.consecutiveFailures(), 0);
        QCOMPARE(breaker.windowCalls(), 0);
        QVERIFY(breaker.transitions().empty()); // no state change, no transition
        feed(breaker, u"F"_s);
        QCOMPARE(breaker.state(), BreakerState::Closed);
    }

    void disableAndEnable() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        QVERIFY(!breaker.enable(u"not disabled"_s)); // nothing to enable
        QVERIFY(breaker.transitions().empty());
        feed(breaker, u"FF"_s);
        QVERIFY(breaker.disable(u"benchmark run"_s));
        QCOMPARE(breaker.state(), BreakerState::Disabled);
        QCOMPARE(breaker.transitions().back().cause, u"disabled: benchmark run"_s);
        QCOMPARE(breaker.transitions().back().consecutiveFailures, 2);
        feed(breaker, u"FFFFFFFFFFFFFFFFFFFF"_s);
        QCOMPARE(breaker.state(), BreakerState::Disabled);
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.consecutiveFailures(), 2); // outcomes not counted
        QCOMPARE(breaker.windowCalls(), 2);
        QVERIFY(breaker.disable(u"again"_s));
        QCOMPARE(breaker.transitions().size(), std::size_t{1});

        clock.advanceSecs(60);
        QVERIFY(breaker.enable(u"benchmark done"_s));
        QCOMPARE(breaker.state(), BreakerState::Closed);
        const BreakerTransition& t = breaker.transitions().back();
        QCOMPARE(t.from, BreakerState::Disabled);
        QCOMPARE(t.to, BreakerState::Closed);
        QCOMPARE(t.cause, u"enabled: benchmark done"_s);
        QCOMPARE(t.at, clock.now());
        QCOMPARE(breaker.consecutiveFailures(), 0);
        QVERIFY(!breaker.enable(u"twice"_s));
        QCOMPARE(breaker.transitions().size(), std::size_t{2});
    }

    void disableFromOpen() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FFFFF"_s);
        QVERIFY(!breaker.allowRequest());
        QVERIFY(breaker.disable(u"legacy path broken"_s));
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.transitions().back().from, BreakerState::Open);
        clock.advanceSecs(kOpenSecs * 2);
        QCOMPARE(breaker.state(), BreakerState::Disabled); // no cooldown applies
    }

    void outcomesIgnored_data() {
        QTest::addColumn<QString>("how");
        QTest::addColumn<BreakerState>("expected");
        QTest::newRow("forced open") << u"trip"_s << BreakerState::ForcedOpen;
        QTest::newRow("disabled") << u"disable"_s << BreakerState::Disabled;
        QTest::newRow("open") << u"open"_s << BreakerState::Open;
    }
    void outcomesIgnored() {
        QFETCH(QString, how);
        QFETCH(BreakerState, expected);
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, rateConfig(10, 2, 0.5), clock);
        if (how == u"trip"_s) {
            feed(breaker, u"S"_s);
            QVERIFY(breaker.trip(u"test"_s));
        } else if (how == u"disable"_s) {
            feed(breaker, u"S"_s);
            QVERIFY(breaker.disable(u"test"_s));
        } else {
            feed(breaker, u"FF"_s);
        }
        QCOMPARE(breaker.state(), expected);
        const int calls = breaker.windowCalls();
        const int failures = breaker.windowFailures();
        const int consecutive = breaker.consecutiveFailures();
        const std::size_t transitions = breaker.transitions().size();
        const QDateTime openedAt = breaker.openedAt();
        for (int i = 0; i < 10; ++i) {
            breaker.recordFailure();
            breaker.recordSuccess();
            breaker.recordFailure();
        }
        QCOMPARE(breaker.state(), expected);
        QCOMPARE(breaker.windowCalls(), calls);
        QCOMPARE(breaker.windowFailures(), failures);
        QCOMPARE(breaker.consecutiveFailures(), consecutive);
        QCOMPARE(breaker.transitions().size(), transitions);
        QCOMPARE(breaker.openedAt(), openedAt);
    }

    void inFlightCallReportingAfterOpenIsIgnored() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        QVERIFY(breaker.allowRequest()); // a slow call starts while closed
        feed(breaker, u"FFFFF"_s);       // others fail and open it
        QCOMPARE(breaker.state(), BreakerState::Open);
        breaker.recordSuccess(); // the slow call ends
        QCOMPARE(breaker.state(), BreakerState::Open);
        QCOMPARE(breaker.transitions().size(), std::size_t{1});
        // It ends only once half-open: not a probe, so it decides nothing.
        clock.advanceSecs(kOpenSecs);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        breaker.recordFailure();
        breaker.recordSuccess();
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(!breaker.allowRequest());
    }

    void transitionsRecordTheWholeCycle() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"SSFFFFF"_s); // opens at t0 with 5 failures, 7 calls in the window
        clock.advanceSecs(kOpenSecs);
        QVERIFY(breaker.allowRequest()); // t0+300: half-open
        breaker.recordFailure();         // probe failed: open again
        clock.advanceSecs(kOpenSecs);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen); // t0+600
        clock.advanceSecs(kHalfOpenTimeoutSecs + 1);
        QCOMPARE(breaker.state(), BreakerState::Open); // t0+661: timeout
        clock.advanceSecs(kOpenSecs);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(breaker.allowRequest()); // t0+961: half-open
        }
        breaker.recordSuccess();
        breaker.recordSuccess();
        breaker.recordSuccess(); // closed

        struct Expected {
            qint64 at;
            BreakerState from;
            BreakerState to;
            QString cause;
            int consecutive;
            int calls;
            int failures;
        };
        const QList<Expected> expected = {
            {0, BreakerState::Closed, BreakerState::Open, u"failure threshold"_s, 5, 7, 5},
            {300, BreakerState::Open, BreakerState::HalfOpen, u"open period over"_s, 0, 0, 0},
            {300, BreakerState::HalfOpen, BreakerState::Open, u"probe failed"_s, 0, 0, 0},
            {600, BreakerState::Open, BreakerState::HalfOpen, u"open period over"_s, 0, 0, 0},
            {661, BreakerState::HalfOpen, BreakerState::Open, u"half-open timeout"_s, 0, 0, 0},
            {961, BreakerState::Open, BreakerState::HalfOpen, u"open period over"_s, 0, 0, 0},
            {961, BreakerState::HalfOpen, BreakerState::Closed, u"probes succeeded"_s, 0, 0, 0},
        };
        QCOMPARE(breaker.transitions().size(), static_cast<std::size_t>(expected.size()));
        for (qsizetype i = 0; i < expected.size(); ++i) {
            const BreakerTransition& t = breaker.transitions()[static_cast<std::size_t>(i)];
            const Expected& e = expected[i];
            QCOMPARE(t.at, startTime().addSecs(e.at));
            QCOMPARE(t.from, e.from);
            QCOMPARE(t.to, e.to);
            QCOMPARE(t.cause, e.cause);
            QCOMPARE(t.consecutiveFailures, e.consecutive);
            QCOMPARE(t.windowCalls, e.calls);
            QCOMPARE(t.windowFailures, e.failures);
        }
    }

    void keepsTheLast100Transitions() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        for (int i = 0; i < 75; ++i) {
            clock.advanceSecs(1);
            QVERIFY(breaker.trip(u"trip %1"_s.arg(i)));
            QVERIFY(breaker.reset(u"reset %1"_s.arg(i)));
        }
        // 150 transitions made; the first 50 (trips and resets 0..24) are gone.
        QCOMPARE(breaker.transitions().size(), std::size_t{100});
        QCOMPARE(breaker.transitions().front().cause, u"tripped: trip 25"_s);
        QCOMPARE(breaker.transitions().front().at, startTime().addSecs(26));
        QCOMPARE(breaker.transitions().back().cause, u"reset: reset 74"_s);
    }

    void applyShared() {
        ManualClock clock(startTime());
        CircuitBreaker breaker(u"op"_s, BreakerConfig{}, clock);
        feed(breaker, u"FF"_s);
        clock.advanceSecs(30);
        breaker.applyShared(BreakerState::Open, u"opened by engine-2"_s);
        QCOMPARE(breaker.state(), BreakerState::Open);
        QCOMPARE(breaker.openedAt(), clock.now());
        QVERIFY(!breaker.allowRequest());
        QCOMPARE(breaker.transitions().size(), std::size_t{1});
        QCOMPARE(breaker.transitions().back().from, BreakerState::Closed);
        QCOMPARE(breaker.transitions().back().cause, u"opened by engine-2"_s);
        QCOMPARE(breaker.transitions().back().at, clock.now());

        // The same state again: no transition, the cooldown is not restarted.
        clock.advanceSecs(100);
        breaker.applyShared(BreakerState::Open, u"opened by engine-3"_s);
        QCOMPARE(breaker.transitions().size(), std::size_t{1});
        QCOMPARE(breaker.openedAt(), startTime().addSecs(30));
        clock.advanceSecs(kOpenSecs - 100 - 1);
        QCOMPARE(breaker.state(), BreakerState::Open);
        clock.advanceSecs(1);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);

        // Entering half-open resets the probe budget.
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(!breaker.allowRequest());
        breaker.applyShared(BreakerState::Open, u"engine-2 probe failed"_s);
        breaker.applyShared(BreakerState::HalfOpen, u"engine-2 probing"_s);
        QCOMPARE(breaker.state(), BreakerState::HalfOpen);
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(breaker.allowRequest());
        QVERIFY(!breaker.allowRequest());

        breaker.applyShared(BreakerState::Closed, u"engine-2 closed it"_s);
        QCOMPARE(breaker.state(), BreakerState::Closed);
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.transitions().back().cause, u"engine-2 closed it"_s);

        breaker.applyShared(BreakerState::ForcedOpen, u"tripped on engine-2: incident"_s);
        QCOMPARE(breaker.state(), BreakerState::ForcedOpen);
        QVERIFY(!breaker.allowRequest());
        breaker.applyShared(BreakerState::Disabled, u"disabled on engine-2"_s);
        QVERIFY(breaker.allowRequest());
        QCOMPARE(breaker.transitions().size(), std::size_t{7});
    }

    void configIsClamped_data() {
        QTest::addColumn<int>("threshold");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("minimumCalls");
        QTest::addColumn<int>("probes");
        QTest::addColumn<double>("rate");
        QTest::addColumn<int>("expectedThreshold");
        QTest::addColumn<int>("expectedWindow");
        QTest::addColumn<int>("expectedMinimumCalls");
        QTest::addColumn<int>("expectedProbes");
        QTest::addColumn<double>("expectedRate");
        QTest::newRow("valid kept") << 5 << 20 << 10 << 3 << 0.5 << 5 << 20 << 10 << 3 << 0.5;
        QTest::newRow("zeros") << 0 << 0 << 0 << 0 << 0.0 << 1 << 1 << 1 << 1 << 0.01;
        QTest::newRow("negatives") << -3 << -1 << -7 << -2 << -0.5 << 1 << 1 << 1 << 1 << 0.01;
        QTest::newRow("rate above 1") << 5 << 20 << 10 << 3 << 1.5 << 5 << 20 << 10 << 3 << 1.0;
        QTest::newRow("rate exactly 1") << 5 << 20 << 10 << 3 << 1.0 << 5 << 20 << 10 << 3 << 1.0;
        QTest::newRow("minimumCalls above window")
            << 5 << 4 << 10 << 3 << 0.5 << 5 << 4 << 4 << 3 << 0.5;
        QTest::newRow("rate NaN") << 5 << 20 << 10 << 3 << std::numeric_limits<double>::quiet_NaN()
                                  << 5 << 20 << 10 << 3 << 0.01;
    }
    void configIsClamped() {
        QFETCH(int, threshold);
        QFETCH(int, window);
        QFETCH(int, minimumCalls);
        QFETCH(int, probes);
        QFETCH(double, rate);
        QFETCH(int, expectedThreshold);
        QFETCH(int, expectedWindow);
        QFETCH(int, expectedMinimumCalls);
        QFETCH(int, expectedProbes);
        QFETCH(double, expectedRate);
        ManualClock clock(startTime());
        BreakerConfig config;
        config.failureThreshold = threshold;
        config.slidingWindowSize = window;
        config.minimumCalls = minimumCalls;
        config.halfOpenProbes = probes;
        config.failureRateThreshold = rate;
        config.openDuration = std::chrono::seconds{-5};
        CircuitBreaker breaker(u"op"_s, config, clock);
        QCOMPARE(breaker.config().failureThreshold, expectedThreshold);
        QCOMPARE(breaker.config().slidingWindowSize, expectedWindow);
        QCOMPARE(breaker.config().minimumCalls, expectedMinimumCalls);
        QCOMPARE(breaker.config().halfOpenProbes, expectedProbes);
        QCOMPARE(breaker.config().failureRateThreshold, expectedRate);
        QCOMPARE(breaker.config().openDuration, std::chrono::seconds{0});
    }

    void clampedThresholdStillWorks() {
        ManualClock clock(startTime());
        BreakerConfig config;
        config.failureThreshold = 0;
        config.halfOpenProbes = 0;
        CircuitBreaker breaker(u"op"_s, config, clock);
        feed(breaker, u"F"_s); // a threshold of 0 would mean "open on anything": it is 1
        QCOMPARE(breaker.state(), BreakerState::Open);
        clock.advanceSecs(kOpenSecs);
        QVERIFY(breaker.allowRequest()); // one probe, not zero
        QVERIFY(!breaker.allowRequest());
        breaker.recordSuccess();
        QCOMPARE(breaker.state(), BreakerState::Closed);
    }
};

QTEST_GUILESS_MAIN(TestCircuitBreaker)
#include "tst_circuit_breaker.moc"
