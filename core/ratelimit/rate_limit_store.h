// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "ratelimit/rate_limiter.h"

#include <QString>
#include <QStringView>

#include <cstdint>

namespace trackwatch::core {

class Database;

// What one synchronize() call did.
struct RateLimitSyncReport {
    int keysWritten = 0;              // keys whose local consumption was added to the shared state
    std::int64_t requestsWritten = 0; // requests those keys allowed since the previous sync
    int keysFolded = 0;               // shared keys in debt folded into the local limiter
};

// The rate limiter's database side (schema: migration 5, rate_limit_events and
// rate_limit_usage), on one Database, so it lives on that Database's thread. Not thread-safe.
//
// 1. The legacy path (RateLimitPath "legacy"): a sliding log. Every allowed request is a row of
//    rate_limit_events; a check counts the key's rows in the last window and records one when
//    under the limit, so no rolling window ever holds more than `limit`. PostgreSQL runs
//    check_and_record_rate_limit() (one round trip, checks of one key serialized by an advisory
//    lock); SQLite runs the same steps here inside one BEGIN IMMEDIATE transaction. Expired
//    rows of the key are deleted by the check itself; prune() clears keys no longer used.
//    Retry-after is exact to the millisecond (when the oldest row leaves the window).
//
// 2. The optimized path's sync: synchronize() writes what a RateLimiter allowed since the last
//    call into the key's shared GCRA state (rate_limit_usage.tat: when the key will have no
//    debt left, summed over every engine) and reads back every key still in debt, which the
//    limiter folds into its memory. Counts, not clocks, travel between engines: each engine
//    converts the shared time to its own steady clock at the moment of the sync.
//
//    Cross-engine tolerance. With E engines each calling synchronize() every S (e.g. 1 s), a
//    request stays unseen by another engine for at most 2 S (until its engine writes it, then
//    until the other reads). For any key, the engines together allow at most what one limiter
//    would allow, plus the largest number of other engines' requests that a deciding engine
//    had not seen: at most what the other E - 1 engines allowed for that key in the last 2 S,
//    and never more than (E - 1) x limit. Add d / (window / limit) requests for a wall-clock
//    skew d between engines. Example: Graph mailboxes (10,000 per 10 min), 3 engines, S = 1 s,
//    each engine doing 20 requests/s to a mailbox: at most 80 over (0.8 %). Folding is
//    conservative the other way: requests are charged when written, not when made, so near
//    the limit an engine may refuse up to one sync interval early, never allow more (the shared
//    state keeps milliseconds, and each sync rounds a key's charge up to the next one).
//    Call synchronize() every S from the Database's thread (a timer on the engine's worker).
class RateLimitStore final : public RateLimitPath {
public:
    // Policies must be valid, with whole-second windows (the database function counts seconds).
    RateLimitStore(Database& db, RateLimitPolicies policies);
    RateLimitStore(const RateLimitStore&) = delete;
    RateLimitStore& operator=(const RateLimitStore&) = delete;

    // The legacy path at now.wallMs (now.steadyNs is not used).
    Result<Decision> check(QStringView account, QStringView operation,
                           const RateLimitTime& now) override;
    QString name() const override;

    // The legacy check with an explicit policy, at a wall-clock time in ms since the epoch.
    Result<Decision> checkAndRecord(QStringView account, QStringView operation,
                                    const RateLimitPolicy& policy, std::int64_t nowWallMs);

    // One sync of `limiter` with every other engine (see above): one statement on PostgreSQL,
    // one transaction on SQLite. On failure nothing is lost: the drained counts are given back
    // to the limiter for the next call.
    Result<RateLimitSyncReport> synchronize(RateLimiter& limiter, const RateLimitTime& now);

    // Deletes events older than the longest window and shared states with no debt left.
    // Returns the rows deleted.
    Result<std::int64_t> prune(const RateLimitTime& now);

private:
    Database& m_db;
    RateLimitPolicies m_policies;
};

} // namespace trackwatch::core
