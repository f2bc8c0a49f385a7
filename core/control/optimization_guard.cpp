// SPDX-License-Identifier: MIT
#include "control/optimization_guard.h"

#include "common/logging.h"
#include "control/rollout.h"

namespace trackwatch::core {

using namespace Qt::StringLiterals;

OptimizationGuard::OptimizationGuard(QString operation, QString rollout, BreakerConfig config,
                                     const Clock& clock)
    : m_operation(operation)
    , m_rollout(std::move(rollout))
    , m_breaker(std::move(operation), config, clock) {}

void OptimizationGuard::configure(bool flagOn, int rolloutPercentage, const QString& sharedState,
                                  const QString& sharedCause) {
    m_flagOn.store(flagOn);
    m_percentage.store(rolloutPercentage);
    std::lock_guard lock(m_mutex);
    collect(); // what the breaker did on its own before this is still to be reported
    if (sharedState == m_sharedState) {
        return;
    }
    m_sharedState = sharedState;
    BreakerState to = BreakerState::Closed;
    if (sharedState == breakerStateName(BreakerState::ForcedOpen)) {
        to = BreakerState::ForcedOpen;
    } else if (sharedState == breakerStateName(BreakerState::Disabled)) {
        to = BreakerState::Disabled;
    }
    m_breaker.applyShared(to, sharedCause);
    m_seenTransitions = m_breaker.transitionCount(); // recorded by whoever changed it
}

bool OptimizationGuard::wantsOptimized(const QString& account) const {
    return m_flagOn.load() &&
           (m_rollout.isEmpty() || Rollout::includes(m_rollout, account, m_percentage.load()));
}

bool OptimizationGuard::admit(const QString& account) {
    const bool wanted = wantsOptimized(account);
    std::lock_guard lock(m_mutex);
    const bool allowed = wanted && m_breaker.allowRequest();
    collect();
    if (!allowed) {
        ++m_counts.legacy;
    }
    return allowed;
}

void OptimizationGuard::settle(bool ok, const QString& error) {
    std::lock_guard lock(m_mutex);
    if (ok) {
        m_breaker.recordSuccess();
        ++m_counts.optimized;
    } else {
        m_breaker.recordFailure();
        ++m_counts.fallbacks;
        ++m_counts.legacy;
        m_counts.lastFailure = error;
        logging::get("core.guard")
            ->warn("{}: optimized path failed, answered by legacy: {}", m_operation, error);
    }
    collect();
}

void OptimizationGuard::collect() {
    const quint64 total = m_breaker.transitionCount();
    const auto& all = m_breaker.transitions();
    const quint64 fresh = std::min<quint64>(total - m_seenTransitions, all.size());
    for (auto it = all.end() - static_cast<std::ptrdiff_t>(fresh); it != all.end(); ++it) {
        m_pending.append(*it);
    }
    m_seenTransitions = total;
}

OptimizationGuard::Counts OptimizationGuard::counts() const {
    std::lock_guard lock(m_mutex);
    return m_counts;
}

BreakerState OptimizationGuard::state() {
    std::lock_guard lock(m_mutex);
    const BreakerState s = m_breaker.state();
    collect();
    return s;
}

CircuitBreaker OptimizationGuard::snapshotBreaker() const {
    std::lock_guard lock(m_mutex);
    return m_breaker;
}

QList<BreakerTransition> OptimizationGuard::takeTransitions() {
    std::lock_guard lock(m_mutex);
    m_breaker.state(); // a cooldown that ran out is a transition too
    collect();
    return std::exchange(m_pending, {});
}

} // namespace trackwatch::core
