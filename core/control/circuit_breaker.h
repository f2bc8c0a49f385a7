// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <chrono>
#include <deque>

namespace trackwatch::core {

enum class BreakerState {
    Closed,     // calls go to the optimized path; failures are counted
    Open,       // calls go to the legacy path until the open period has passed
    HalfOpen,   // a few probe calls go to the optimized path; their outcome decides
    ForcedOpen, // tripped by a person: stays open until a person resets it
    Disabled,   // the breaker never opens (calls always go to the optimized path)
};
QString breakerStateName(BreakerState state); // "closed", "open", "half_open", ...

enum class BreakerMode {
    ConsecutiveFailures, // the seed's rule: N failures in a row open it
    FailureRate,         // resilience4j style: failure share over the last N calls
};

struct BreakerConfig {
    BreakerMode mode = BreakerMode::ConsecutiveFailures;
    int failureThreshold = 5;                 // ConsecutiveFailures: failures in a row
    double failureRateThreshold = 0.5;        // FailureRate: share of failed calls (0..1]
    int slidingWindowSize = 20;               // FailureRate: calls considered
    int minimumCalls = 10;                    // FailureRate: no decision below this many
    std::chrono::seconds openDuration{300};   // the seed's 5-minute cooldown
    int halfOpenProbes = 3;                   // probe calls allowed while half-open
    std::chrono::seconds halfOpenTimeout{60}; // half-open longer than this reopens
};

// One state change, with what caused it and the counts behind it.
struct BreakerTransition {
    QDateTime at;
    BreakerState from = BreakerState::Closed;
    BreakerState to = BreakerState::Closed;
    QString cause; // "failure threshold", "failure rate", "open period over",
                   // "probes succeeded", "probe failed", "half-open timeout",
                   // "tripped: <reason>", "reset: <reason>", "disabled: <reason>",
                   // "enabled: <reason>", or the cause given to applyShared()
    int consecutiveFailures = 0;
    int windowCalls = 0;
    int windowFailures = 0;
};

// A circuit breaker around one optimized operation. Time comes from the injected Clock only
// (no sleeping, no timers): every question re-evaluates the state against clock.now().
// Not thread-safe: guard it with a mutex or keep it on one thread. Keeps the last 100
// transitions.
class CircuitBreaker {
public:
    CircuitBreaker(QString operation, BreakerConfig config, const Clock& clock);

    const QString& operation() const { return m_operation; }
    const BreakerConfig& config() const { return m_config; }

    // Whether the next call may use the optimized path. In HalfOpen, true for at most
    // halfOpenProbes calls (each counted as a probe in flight) and false after that.
    // Open moves to HalfOpen here once openDuration has passed.
    bool allowRequest();

    // Outcome of a call that allowRequest() let through.
    void recordSuccess();
    void recordFailure();

    // Manual control, each with a required reason (an empty reason is refused: returns false
    // and changes nothing).
    bool trip(const QString& reason);    // -> ForcedOpen
    bool reset(const QString& reason);   // any state -> Closed, counts cleared
    bool disable(const QString& reason); // -> Disabled
    bool enable(const QString& reason);  // Disabled -> Closed

    // Applies a state decided elsewhere (another engine, through the database) without
    // recording counts; records a transition with the given cause if the state changes.
    void applyShared(BreakerState state, const QString& cause);

    BreakerState state(); // re-evaluated against the clock (Open may become HalfOpen,
                          // a stuck HalfOpen becomes Open)
    int consecutiveFailures() const { return m_consecutiveFailures; }
    int windowCalls() const;
    int windowFailures() const;
    QDateTime openedAt() const { return m_openedAt; }
    const std::deque<BreakerTransition>& transitions() const { return m_transitions; }
    quint64 transitionCount() const { return m_transitionCount; } // ever recorded

private:
    void transition(BreakerState to, const QString& cause);
    void evaluateTime();

    QString m_operation;
    BreakerConfig m_config;
    const Clock& m_clock;
    BreakerState m_state = BreakerState::Closed;
    int m_consecutiveFailures = 0;
    std::deque<bool> m_window; // true = failure, newest at the back
    QDateTime m_openedAt;
    QDateTime m_halfOpenedAt;
    int m_probesInFlight = 0;
    int m_probeSuccesses = 0;
    std::deque<BreakerTransition> m_transitions;
    quint64 m_transitionCount = 0;
};

} // namespace trackwatch::core
