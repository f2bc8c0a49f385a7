// SPDX-License-Identifier: MIT
#include "control/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr std::size_t kMaxTransitions = 100;
constexpr double kMinFailureRate = 0.01;

BreakerConfig sanitized(BreakerConfig config) {
    config.failureThreshold = std::max(config.failureThreshold, 1);
    config.slidingWindowSize = std::max(config.slidingWindowSize, 1);
    // resilience4j: a minimum above the window size means the whole window.
    config.minimumCalls = std::clamp(config.minimumCalls, 1, config.slidingWindowSize);
    config.halfOpenProbes = std::max(config.halfOpenProbes, 1);
    if (std::isnan(config.failureRateThreshold) || config.failureRateThreshold <= 0.0) {
        config.failureRateThreshold = kMinFailureRate;
    } else if (config.failureRateThreshold > 1.0) {
        config.failureRateThreshold = 1.0;
    }
    config.openDuration = std::max(config.openDuration, std::chrono::seconds{0});
    config.halfOpenTimeout = std::max(config.halfOpenTimeout, std::chrono::seconds{0});
    return config;
}

// The trimmed reason, or an empty string when there is none worth recording.
QString cleanReason(const QString& reason) {
    return reason.trimmed();
}

// Appends one outcome (true = failure), dropping the oldest beyond the window size.
void pushOutcome(std::deque<bool>& window, bool failed, int windowSize) {
    window.push_back(failed);
    while (static_cast<int>(window.size()) > windowSize) {
        window.pop_front();
    }
}

// FailureRate mode: enough calls in the window and a failure share at or above the threshold.
bool failureRateReached(const std::deque<bool>& window, const BreakerConfig& config) {
    const auto calls = static_cast<int>(window.size());
    if (calls < config.minimumCalls) {
        return false;
    }
    const auto failures = static_cast<int>(std::count(window.begin(), window.end(), true));
    return static_cast<double>(failures) / static_cast<double>(calls) >=
           config.failureRateThreshold;
}

} // namespace

QString breakerStateName(BreakerState state) {
    switch (state) {
    case BreakerState::Closed:
        return u"closed"_s;
    case BreakerState::Open:
        return u"open"_s;
    case BreakerState::HalfOpen:
        return u"half_open"_s;
    case BreakerState::ForcedOpen:
        return u"forced_open"_s;
    case BreakerState::Disabled:
        return u"disabled"_s;
    }
    return u"unknown"_s;
}

CircuitBreaker::CircuitBreaker(QString operation, BreakerConfig config, const Clock& clock)
    : m_operation(std::move(operation))
    , m_config(sanitized(config))
    , m_clock(clock) {}

int CircuitBreaker::windowCalls() const {
    return static_cast<int>(m_window.size());
}

int CircuitBreaker::windowFailures() const {
    return static_cast<int>(std::count(m_window.begin(), m_window.end(), true));
}

bool CircuitBreaker::allowRequest() {
    evaluateTime();
    switch (m_state) {
    case BreakerState::Closed:
    case BreakerState::Disabled:
        return true;
    case BreakerState::Open:
    case BreakerState::ForcedOpen:
        return false;
    case BreakerState::HalfOpen:
        if (m_probesInFlight + m_probeSuccesses >= m_config.halfOpenProbes) {
            return false;
        }
        ++m_probesInFlight;
        return true;
    }
    return false;
}

void CircuitBreaker::recordSuccess() {
    evaluateTime();
    switch (m_state) {
    case BreakerState::Closed:
        m_consecutiveFailures = 0;
        pushOutcome(m_window, false, m_config.slidingWindowSize);
        // A success can still leave the share at the threshold once the window has filled
        // up (resilience4j decides on every recorded call, not only on failures).
        if (m_config.mode == BreakerMode::FailureRate && failureRateReached(m_window, m_config)) {
            transition(BreakerState::Open, u"failure rate"_s);
        }
        return;
    case BreakerState::HalfOpen:
        if (m_probesInFlight <= 0) {
            return; // not a probe: a call let through before the breaker opened
        }
        --m_probesInFlight;
        ++m_probeSuccesses;
        if (m_probeSuccesses >= m_config.halfOpenProbes) {
            transition(BreakerState::Closed, u"probes succeeded"_s);
        }
        return;
    case BreakerState::Open:
    case BreakerState::ForcedOpen:
    case BreakerState::Disabled:
        return;
    }
}

void CircuitBreaker::recordFailure() {
    evaluateTime();
    switch (m_state) {
    case BreakerState::Closed:
        ++m_consecutiveFailures;
        pushOutcome(m_window, true, m_config.slidingWindowSize);
        if (m_config.mode == BreakerMode::ConsecutiveFailures) {
            if (m_consecutiveFailures >= m_config.failureThreshold) {
                transition(BreakerState::Open, u"failure threshold"_s);
            }
        } else {
            if (failureRateReached(m_window, m_config)) {
                transition(BreakerState::Open, u"failure rate"_s);
            }
        }
        return;
    case BreakerState::HalfOpen:
        if (m_probesInFlight <= 0) {
            return; // not a probe: a call let through before the breaker opened
        }
        transition(BreakerState::Open, u"probe failed"_s);
        return;
    case BreakerState::Open:
    case BreakerState::ForcedOpen:
    case BreakerState::Disabled:
        return;
    }
}

bool CircuitBreaker::trip(const QString& reason) {
    const QString why = cleanReason(reason);
    if (why.isEmpty()) {
        return false;
    }
    evaluateTime();
    if (m_state != BreakerState::ForcedOpen) {
        transition(BreakerState::ForcedOpen, u"tripped: "_s + why);
    }
    return true;
}

bool CircuitBreaker::reset(const QString& reason) {
    const QString why = cleanReason(reason);
    if (why.isEmpty()) {
        return false;
    }
    evaluateTime();
    if (m_state != BreakerState::Closed) {
        transition(BreakerState::Closed, u"reset: "_s + why);
    }
    m_consecutiveFailures = 0;
    m_window.clear();
    return true;
}

bool CircuitBreaker::disable(const QString& reason) {
    const QString why = cleanReason(reason);
    if (why.isEmpty()) {
        return false;
    }
    evaluateTime();
    if (m_state != BreakerState::Disabled) {
        transition(BreakerState::Disabled, u"disabled: "_s + why);
    }
    return true;
}

bool CircuitBreaker::enable(const QString& reason) {
    const QString why = cleanReason(reason);
    if (why.isEmpty() || m_state != BreakerState::Disabled) {
        return false;
    }
    transition(BreakerState::Closed, u"enabled: "_s + why);
    return true;
}

void CircuitBreaker::applyShared(BreakerState state, const QString& cause) {
    evaluateTime();
    if (m_state == state) {
        return;
    }
    const QString why = cause.trimmed();
    transition(state, why.isEmpty() ? u"shared"_s : why);
}

BreakerState CircuitBreaker::state() {
    evaluateTime();
    return m_state;
}

void CircuitBreaker::transition(BreakerState to, const QString& cause) {
    const QDateTime now = m_clock.now();
    BreakerTransition record;
    record.at = now;
    record.from = m_state;
    record.to = to;
    record.cause = cause;
    record.consecutiveFailures = m_consecutiveFailures;
    record.windowCalls = windowCalls();
    record.windowFailures = windowFailures();
    m_transitions.push_back(std::move(record));
    ++m_transitionCount;
    while (m_transitions.size() > kMaxTransitions) {
        m_transitions.pop_front();
    }

    m_state = to;
    m_probesInFlight = 0;
    m_probeSuccesses = 0;
    switch (to) {
    case BreakerState::Open:
        // Opening starts a fresh cooldown and a fresh count for after it.
        m_openedAt = now;
        m_consecutiveFailures = 0;
        m_window.clear();
        break;
    case BreakerState::HalfOpen:
        m_halfOpenedAt = now;
        break;
    case BreakerState::Closed:
        m_consecutiveFailures = 0;
        m_window.clear();
        break;
    case BreakerState::ForcedOpen:
    case BreakerState::Disabled:
        break;
    }
}

void CircuitBreaker::evaluateTime() {
    const QDateTime now = m_clock.now();
    if (m_state == BreakerState::Open) {
        const QDateTime until = m_openedAt.addSecs(m_config.openDuration.count());
        if (!m_openedAt.isValid() || now >= until) {
            transition(BreakerState::HalfOpen, u"open period over"_s);
        }
    } else if (m_state == BreakerState::HalfOpen) {
        const QDateTime until = m_halfOpenedAt.addSecs(m_config.halfOpenTimeout.count());
        if (m_halfOpenedAt.isValid() && now > until) {
            transition(BreakerState::Open, u"half-open timeout"_s);
        }
    }
}

} // namespace trackwatch::core
