// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringView>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace trackwatch::core {

// The answer to one rate limit check.
struct Decision {
    enum class Refusal { None, RateLimited, TooManyInFlight };

    bool allowed = false;
    // Requests the key could still make right now after this one (0 when refused).
    std::int64_t remaining = 0;
    // How long to wait before the next request can be allowed: 0 when allowed, otherwise whole
    // milliseconds rounded UP, so waiting exactly this long is always enough. For
    // TooManyInFlight it is 0: a permit frees when a request finishes, not at a known time.
    std::chrono::milliseconds retryAfter{0};
    Refusal refusal = Refusal::None;
};

// How much one (account, operation) key may do: `limit` requests per `window`, and at most
// `maxConcurrent` requests in flight at once (0: no cap). Plain value type.
struct RateLimitPolicy {
    std::int64_t limit = 0;
    std::chrono::milliseconds window{0};
    int maxConcurrent = 0;

    bool valid() const { return limit > 0 && window.count() > 0 && maxConcurrent >= 0; }

    // Microsoft Graph's mailbox limits: 10,000 requests per 10 minutes and at most 4 concurrent
    // requests per mailbox (per app). The concurrency cap is enforced per process: engines that
    // share mailboxes must split it between them.
    static RateLimitPolicy microsoftGraphMailbox();
};

// The policy of each operation, with a default for the rest. Immutable after construction, so
// safe to read from any thread.
class RateLimitPolicies {
public:
    explicit RateLimitPolicies(RateLimitPolicy fallback,
                               QList<QPair<QString, RateLimitPolicy>> byOperation = {});

    const RateLimitPolicy& forOperation(QStringView operation) const;
    // Every policy, the default first; indexFor() is an operation's position in that list.
    QList<RateLimitPolicy> all() const;
    qsizetype indexFor(QStringView operation) const;
    // The first invalid policy as an error, or ok.
    Status validate() const;

private:
    RateLimitPolicy m_fallback;
    QList<QPair<QString, RateLimitPolicy>> m_byOperation;
};

// The moment of a check as both clocks see it, read once by the caller and passed in, so tests
// set time instead of sleeping. The in-memory limiter runs on the steady clock (immune to
// wall-clock steps); the database stores and compares wall-clock time.
struct RateLimitTime {
    std::int64_t steadyNs = 0; // std::chrono::steady_clock, nanoseconds
    std::int64_t wallMs = 0;   // milliseconds since the Unix epoch, UTC
    static RateLimitTime current();
};

// One way of deciding a rate limit check, so an A/B wrapper can choose between the legacy
// (database) path and the optimized (in-memory) one per account. Each implementation states
// its own thread rules.
class RateLimitPath {
public:
    virtual ~RateLimitPath() = default;
    // Checks the key and, when allowed, records the request. Errors are infrastructure
    // failures (database) or invalid arguments, never a refusal.
    virtual Result<Decision> check(QStringView account, QStringView operation,
                                   const RateLimitTime& now) = 0;
    // "legacy" or "optimized", for logs and metrics.
    virtual QString name() const = 0;
};

// One request in flight for a key, given back when destroyed (or by release()). Move-only.
// Must not outlive the RateLimiter that granted it. An empty permit (refused) converts to false.
class RateLimitPermit {
public:
    RateLimitPermit() = default;
    ~RateLimitPermit() { release(); }
    RateLimitPermit(RateLimitPermit&& other) noexcept;
    RateLimitPermit& operator=(RateLimitPermit&& other) noexcept;
    RateLimitPermit(const RateLimitPermit&) = delete;
    RateLimitPermit& operator=(const RateLimitPermit&) = delete;

    explicit operator bool() const { return m_inFlight != nullptr; }
    void release();

private:
    friend class RateLimiter;
    explicit RateLimitPermit(std::atomic<int>* inFlight)
        : m_inFlight(inFlight) {}
    std::atomic<int>* m_inFlight = nullptr;
};

namespace detail {
struct RateLimitShard;
struct RateLimitKeyState;
// A policy in the units of the hot path.
struct RateLimitParams {
    std::int64_t limit = 0;      // 0: the policy was invalid, every request is refused
    std::int64_t emissionNs = 0; // window / limit, rounded up
    std::int64_t tauNs = 0;      // (limit - 1) x emissionNs: how far ahead the key may run
    int maxConcurrent = 0;
};
} // namespace detail

// What a RateLimiter allowed for one key since the last drain, for the database sync.
struct RateLimitUsage {
    QString account;
    QString operation;
    std::int64_t allowed = 0;
    std::int64_t emissionIntervalNs = 0; // window / limit: what one request costs the key
};

// The optimized limiter: per (account, operation) key, in memory, GCRA (generic cell rate
// algorithm, the token bucket as one timestamp per key). A key's policy allows `limit`
// requests at once and then one more every window / limit: the long-run rate never exceeds
// limit per window. Unlike the legacy sliding log, a rolling window right after an idle period
// can hold up to 2 x limit - 1 requests (a full burst, then the refill).
//
// Keys live in hash maps split over shards with one mutex each; a check takes one uncontended
// lock, hashes the key once and allocates nothing for a key it has seen. Time comes from the
// caller (steady nanoseconds) and must not go backwards by much per key (a step back only
// delays refills). Safe for concurrent use from any thread. Not copyable.
//
// Several engines share one limit through RateLimitStore::synchronize() (see there for the
// tolerance): drainUsage() hands over what this engine allowed, applySharedState() folds in the
// combined state of every engine.
class RateLimiter final : public RateLimitPath {
public:
    // shardCount is rounded up to a power of two. Policies must be valid (see validate()).
    explicit RateLimiter(RateLimitPolicies policies, int shardCount = 64);
    ~RateLimiter() override;
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    const RateLimitPolicies& policies() const { return m_policies; }

    // The hot path: decides and, when allowed, records one request at steady time nowNs.
    Decision checkAt(QStringView account, QStringView operation, std::int64_t nowNs);

    // RateLimitPath: checkAt() at now.steadyNs; refuses empty keys as InvalidArgument.
    Result<Decision> check(QStringView account, QStringView operation,
                           const RateLimitTime& now) override;
    QString name() const override;

    // A concurrency permit for the key, or an empty permit when its policy's maxConcurrent
    // requests are in flight. Uses no rate.
    RateLimitPermit tryAcquire(QStringView account, QStringView operation);

    // A permit and a rate check together, under one lock: the permit is granted only when the
    // request is allowed, and no rate is used when the concurrency cap refuses.
    struct Admission {
        Decision decision;
        RateLimitPermit permit; // empty unless decision.allowed
    };
    Admission admit(QStringView account, QStringView operation, std::int64_t nowNs);

    // Requests currently in flight for the key.
    int inFlight(QStringView account, QStringView operation) const;

    // Takes every key's allowed-since-last-drain count (and sets it to zero).
    std::vector<RateLimitUsage> drainUsage();
    // Gives back counts that could not be written (a failed sync), so they are not lost.
    void restoreUsage(const std::vector<RateLimitUsage>& usage);
    // Folds in a key's combined theoretical arrival time, converted to this limiter's steady
    // clock: the key is then at least that far in debt, plus what it allowed since the drain.
    // Creates the key when new.
    void applySharedState(QStringView account, QStringView operation, std::int64_t sharedTatNs,
                          std::int64_t nowNs);

    // Forgets keys that carry no state: no debt at nowNs, nothing to sync, nothing in flight.
    // Returns how many were removed. Call now and then (a forgotten key behaves as a new one).
    std::size_t evictIdle(std::int64_t nowNs);
    std::size_t keyCount() const;

private:
    detail::RateLimitShard& shardFor(std::size_t hash) const;
    // The key's state, created with its operation's policy when new. Shard lock held.
    detail::RateLimitKeyState& stateFor(detail::RateLimitShard& shard, QStringView account,
                                        QStringView operation, std::size_t hash);

    RateLimitPolicies m_policies;
    std::vector<detail::RateLimitParams> m_params; // in RateLimitPolicies::all() order
    std::unique_ptr<detail::RateLimitShard[]> m_shards;
    std::size_t m_shardMask = 0;
};

} // namespace trackwatch::core
