// SPDX-License-Identifier: MIT
#pragma once

#include "control/optimization_guard.h"
#include "ratelimit/rate_limit_store.h"
#include "ratelimit/rate_limiter.h"

namespace trackwatch::core {

// The seed's A/B wrapper around the rate limiter: enableRateLimitCaching and the account's
// caching rollout bucket choose the in-memory limiter, its breaker guards it, and a check it
// fails is decided by the legacy database function instead. Use it on the store's Database
// thread (the legacy path needs it); the in-memory limiter and the guard are thread-safe.
class GuardedRateLimiter {
public:
    GuardedRateLimiter(RateLimiter& optimized, RateLimitStore& legacy, OptimizationGuard& guard)
        : m_optimized(optimized)
        , m_legacy(legacy)
        , m_guard(guard) {}

    Result<Decision> check(const QString& account, const QString& operation,
                           const RateLimitTime& now, OptimizationGuard::Path* path = nullptr) {
        return m_guard.run<Decision>(
            account, [&] { return m_optimized.check(account, operation, now); },
            [&] { return m_legacy.check(account, operation, now); }, path);
    }

private:
    RateLimiter& m_optimized;
    RateLimitStore& m_legacy;
    OptimizationGuard& m_guard;
};

} // namespace trackwatch::core
