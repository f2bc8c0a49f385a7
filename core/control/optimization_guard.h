// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "control/circuit_breaker.h"

#include <QList>
#include <QString>

#include <atomic>
#include <mutex>

namespace trackwatch::core {

// The seed's A/B wrapper around one optimization: the flag and the account's rollout bucket
// choose the optimized path or its legacy twin; the circuit breaker guards the optimized path,
// and when it fails the same call is answered by the legacy path, so a request never fails
// because of an optimization. The engine feeds it the control plane's state (configure()) and
// persists the breaker's own transitions (takeTransitions()). Thread-safe.
class OptimizationGuard {
public:
    enum class Path { Optimized, Legacy };

    // rollout: a Rollout::definitions() name, or empty when the flag alone decides.
    OptimizationGuard(QString operation, QString rollout, BreakerConfig config, const Clock& clock);

    const QString& operation() const { return m_operation; }

    // The control plane's view: the flag's value, the rollout's percentage, and the breaker
    // state people set in the database ("closed", "forced_open" or "disabled"; sharedCause is
    // recorded when it changes).
    void configure(bool flagOn, int rolloutPercentage, const QString& sharedState,
                   const QString& sharedCause);

    // Whether the flag and the rollout want the optimized path for this account (the breaker
    // not consulted).
    bool wantsOptimized(const QString& account) const;
    // Whether any account may take the optimized path (flag on, rollout above 0).
    bool wantsAny() const { return m_flagOn.load() && (m_rollout.isEmpty() || m_percentage > 0); }

    // Runs the call: optimized (when wanted and the breaker allows), else or on its failure
    // legacy. An optimized failure counts toward the breaker; legacy's result is returned
    // as is. `path` (optional) receives the path that answered.
    template <typename T, typename Optimized, typename Legacy>
    Result<T> run(const QString& account, Optimized&& optimized, Legacy&& legacy,
                  Path* path = nullptr) {
        if (admit(account)) {
            Result<T> r = optimized();
            settle(r.ok(), r.ok() ? QString() : r.error().message);
            if (r.ok()) {
                if (path) {
                    *path = Path::Optimized;
                }
                return r;
            }
        }
        if (path) {
            *path = Path::Legacy;
        }
        return legacy();
    }

    struct Counts {
        qint64 optimized = 0; // answered by the optimized path
        qint64 legacy = 0;    // answered by the legacy path (not wanted, breaker, fallback)
        qint64 fallbacks = 0; // optimized failed, legacy answered
        QString lastFailure;  // the optimized path's last error
    };
    Counts counts() const;
    BreakerState state();
    CircuitBreaker snapshotBreaker() const; // a copy, for reporting

    // Transitions the breaker made on its own (failures, cooldowns, probes) since the last
    // call, oldest first; those applied from the shared state are not repeated.
    QList<BreakerTransition> takeTransitions();

private:
    bool admit(const QString& account); // counts the call that will follow on the chosen path
    void settle(bool ok, const QString& error);
    void collect(); // with m_mutex held: queues transitions not yet taken

    const QString m_operation;
    const QString m_rollout;
    std::atomic<bool> m_flagOn{false};
    std::atomic<int> m_percentage{0};
    mutable std::mutex m_mutex;
    CircuitBreaker m_breaker;
    QString m_sharedState = QStringLiteral("closed");
    quint64 m_seenTransitions = 0;
    QList<BreakerTransition> m_pending;
    Counts m_counts;
};

} // namespace trackwatch::core
