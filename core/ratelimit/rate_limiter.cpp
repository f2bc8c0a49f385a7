// SPDX-License-Identifier: MIT
#include "ratelimit/rate_limiter.h"

#include <QHashFunctions>

#include <algorithm>
#include <bit>
#include <limits>
#include <mutex>
#include <unordered_map>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
// "Never used": any real time is later, so max(tat, now) picks now.
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

// Ceiling of a / b for b > 0; 0 for a <= 0.
constexpr std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
    return a <= 0 ? 0 : (a - 1) / b + 1;
}

struct Key {
    QString account;
    QString operation;
    std::size_t hash = 0;
};

// What a check looks up with: views of the caller's strings, so a known key costs no copy.
struct KeyView {
    QStringView account;
    QStringView operation;
    std::size_t hash = 0;
};

// The hash is computed once per check and carried in the key, for the shard and the map alike.
struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(const Key& k) const noexcept { return k.hash; }
    std::size_t operator()(const KeyView& k) const noexcept { return k.hash; }
};

struct KeyEqual {
    using is_transparent = void;
    template <typename A, typename B> bool operator()(const A& a, const B& b) const noexcept {
        return a.hash == b.hash && QStringView(a.account) == QStringView(b.account) &&
               QStringView(a.operation) == QStringView(b.operation);
    }
};

std::size_t hashKey(QStringView account, QStringView operation) {
    return qHashMulti(QHashSeed::globalSeed(), account, operation);
}

detail::RateLimitParams paramsFor(const RateLimitPolicy& policy) {
    detail::RateLimitParams p;
    const std::int64_t windowNs = policy.window.count() * kNsPerMs;
    if (!policy.valid() || policy.limit > windowNs) {
        return p; // limit 0: refuses everything rather than guessing
    }
    p.limit = policy.limit;
    // Rounded up: a request never costs less than its share of the window.
    p.emissionNs = ceilDiv(windowNs, policy.limit);
    p.tauNs = p.emissionNs * (policy.limit - 1);
    p.maxConcurrent = policy.maxConcurrent;
    return p;
}

} // namespace

namespace detail {

struct RateLimitKeyState {
    explicit RateLimitKeyState(const RateLimitParams* p)
        : params(p) {}
    const RateLimitParams* params;
    // GCRA's theoretical arrival time: when the key will have no debt left.
    std::int64_t tatNs = kNever;
    // Requests allowed since the last drainUsage(), still to be written to the database.
    std::int64_t unsynced = 0;
    // Changed under the shard lock when acquired, without it when a permit is released.
    std::atomic<int> inFlight{0};
};

// Aligned to a cache line so two shards' mutexes never share one.
struct alignas(64) RateLimitShard {
    mutable std::mutex mutex;
    std::unordered_map<Key, RateLimitKeyState, KeyHash, KeyEqual> keys;
};

} // namespace detail

namespace {

std::int64_t remainingAt(const detail::RateLimitKeyState& state, std::int64_t nowNs) {
    const detail::RateLimitParams& p = *state.params;
    if (p.limit == 0) {
        return 0;
    }
    const std::int64_t ahead = state.tatNs == kNever ? 0 : state.tatNs - nowNs;
    return std::max<std::int64_t>(0, p.limit - ceilDiv(ahead, p.emissionNs));
}

// GCRA: a request conforms when the key's theoretical arrival time is at most tau ahead of
// now; allowing it moves that time one emission interval on.
Decision consume(detail::RateLimitKeyState& state, std::int64_t nowNs) {
    const detail::RateLimitParams& p = *state.params;
    if (p.limit == 0) {
        return {false, 0, std::chrono::milliseconds(0), Decision::Refusal::RateLimited};
    }
    const std::int64_t tat = std::max(state.tatNs, nowNs);
    const std::int64_t allowAt = tat - p.tauNs;
    if (nowNs < allowAt) {
        return {false, 0, std::chrono::milliseconds(ceilDiv(allowAt - nowNs, kNsPerMs)),
                Decision::Refusal::RateLimited};
    }
    state.tatNs = tat + p.emissionNs;
    ++state.unsynced;
    return {true, std::max<std::int64_t>(0, p.limit - ceilDiv(state.tatNs - nowNs, p.emissionNs)),
            std::chrono::milliseconds(0), Decision::Refusal::None};
}

} // namespace

RateLimitPolicy RateLimitPolicy::microsoftGraphMailbox() {
    return {10'000, std::chrono::minutes(10), 4};
}

RateLimitPolicies::RateLimitPolicies(RateLimitPolicy fallback,
                                     QList<QPair<QString, RateLimitPolicy>> byOperation)
    : m_fallback(fallback)
    , m_byOperation(std::move(byOperation)) {}

qsizetype RateLimitPolicies::indexFor(QStringView operation) const {
    for (qsizetype i = 0; i < m_byOperation.size(); ++i) {
        if (m_byOperation[i].first == operation) {
            return i + 1;
        }
    }
    return 0;
}

const RateLimitPolicy& RateLimitPolicies::forOperation(QStringView operation) const {
    const qsizetype i = indexFor(operation);
    return i == 0 ? m_fallback : m_byOperation[i - 1].second;
}

QList<RateLimitPolicy> RateLimitPolicies::all() const {
    QList<RateLimitPolicy> list{m_fallback};
    for (const auto& [operation, policy] : m_byOperation) {
        list.append(policy);
    }
    return list;
}

Status RateLimitPolicies::validate() const {
    const auto check = [](const RateLimitPolicy& p, const QString& what) -> Status {
        if (!p.valid() || p.limit > p.window.count() * kNsPerMs) {
            return Status::failure(
                ErrorCode::InvalidArgument,
                u"rate limit policy %1: limit %2 per %3 ms, %4 concurrent is not a valid policy"_s
                    .arg(what)
                    .arg(p.limit)
                    .arg(p.window.count())
                    .arg(p.maxConcurrent));
        }
        return {};
    };
    if (Status s = check(m_fallback, u"(default)"_s); !s) {
        return s;
    }
    for (const auto& [operation, policy] : m_byOperation) {
        if (Status s = check(policy, operation); !s) {
            return s;
        }
    }
    return {};
}

RateLimitTime RateLimitTime::current() {
    using namespace std::chrono;
    return {duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count(),
            duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

RateLimitPermit::RateLimitPermit(RateLimitPermit&& other) noexcept
    : m_inFlight(std::exchange(other.m_inFlight, nullptr)) {}

RateLimitPermit& RateLimitPermit::operator=(RateLimitPermit&& other) noexcept {
    if (this != &other) {
        release();
        m_inFlight = std::exchange(other.m_inFlight, nullptr);
    }
    return *this;
}

void RateLimitPermit::release() {
    if (m_inFlight) {
        // The last touch of the key's state: once it reads zero, evictIdle() may free it.
        m_inFlight->fetch_sub(1, std::memory_order_release);
        m_inFlight = nullptr;
    }
}

RateLimiter::RateLimiter(RateLimitPolicies policies, int shardCount)
    : m_policies(std::move(policies)) {
    for (const RateLimitPolicy& p : m_policies.all()) {
        m_params.push_back(paramsFor(p));
    }
    const std::size_t shards = std::bit_ceil(static_cast<std::size_t>(std::max(shardCount, 1)));
    m_shards = std::make_unique<detail::RateLimitShard[]>(shards);
    m_shardMask = shards - 1;
}

RateLimiter::~RateLimiter() = default;

QString RateLimiter::name() const {
    return u"optimized"_s;
}

detail::RateLimitShard& RateLimiter::shardFor(std::size_t hash) const {
    // The map buckets by the low bits; the shard takes mixed high bits so the two stay
    // independent.
    return m_shards[((hash * 0x9E3779B97F4A7C15ull) >> 40) & m_shardMask];
}

detail::RateLimitKeyState& RateLimiter::stateFor(detail::RateLimitShard& shard, QStringView account,
                                                 QStringView operation, std::size_t hash) {
    const auto it = shard.keys.find(KeyView{account, operation, hash});
    if (it != shard.keys.end()) {
        return it->second;
    }
    const detail::RateLimitParams* params =
        &m_params[static_cast<std::size_t>(m_policies.indexFor(operation))];
    return shard.keys.try_emplace(Key{account.toString(), operation.toString(), hash}, params)
        .first->second;
}

Decision RateLimiter::checkAt(QStringView account, QStringView operation, std::int64_t nowNs) {
    const std::size_t hash = hashKey(account, operation);
    detail::RateLimitShard& shard = shardFor(hash);
    std::lock_guard lock(shard.mutex);
    return consume(stateFor(shard, account, operation, hash), nowNs);
}

Result<Decision> RateLimiter::check(QStringView account, QStringView operation,
                                    const RateLimitTime& now) {
    if (account.isEmpty() || operation.isEmpty()) {
        return Error{ErrorCode::InvalidArgument, u"a rate limit key needs an account and an "
                                                 u"operation"_s};
    }
    return checkAt(account, operation, now.steadyNs);
}

RateLimitPermit RateLimiter::tryAcquire(QStringView account, QStringView operation) {
    const std::size_t hash = hashKey(account, operation);
    detail::RateLimitShard& shard = shardFor(hash);
    std::lock_guard lock(shard.mutex);
    detail::RateLimitKeyState& state = stateFor(shard, account, operation, hash);
    // Only acquirers raise the count and they hold the lock, so check-then-add cannot overshoot;
    // releases running meanwhile only make room.
    const int cap = state.params->maxConcurrent;
    if (cap > 0 && state.inFlight.load(std::memory_order_relaxed) >= cap) {
        return {};
    }
    state.inFlight.fetch_add(1, std::memory_order_relaxed);
    return RateLimitPermit(&state.inFlight);
}

RateLimiter::Admission RateLimiter::admit(QStringView account, QStringView operation,
                                          std::int64_t nowNs) {
    const std::size_t hash = hashKey(account, operation);
    detail::RateLimitShard& shard = shardFor(hash);
    std::lock_guard lock(shard.mutex);
    detail::RateLimitKeyState& state = stateFor(shard, account, operation, hash);
    const int cap = state.params->maxConcurrent;
    if (cap > 0 && state.inFlight.load(std::memory_order_relaxed) >= cap) {
        return {{false, remainingAt(state, nowNs), std::chrono::milliseconds(0),
                 Decision::Refusal::TooManyInFlight},
                {}};
    }
    Admission admission{consume(state, nowNs), {}};
    if (admission.decision.allowed) {
        state.inFlight.fetch_add(1, std::memory_order_relaxed);
        admission.permit = RateLimitPermit(&state.inFlight);
    }
    return admission;
}

int RateLimiter::inFlight(QStringView account, QStringView operation) const {
    const std::size_t hash = hashKey(account, operation);
    detail::RateLimitShard& shard = shardFor(hash);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.keys.find(KeyView{account, operation, hash});
    return it == shard.keys.end() ? 0 : it->second.inFlight.load(std::memory_order_acquire);
}

std::vector<RateLimitUsage> RateLimiter::drainUsage() {
    std::vector<RateLimitUsage> usage;
    for (std::size_t i = 0; i <= m_shardMask; ++i) {
        detail::RateLimitShard& shard = m_shards[i];
        std::lock_guard lock(shard.mutex);
        for (auto& [key, state] : shard.keys) {
            if (state.unsynced > 0) {
                usage.push_back(
                    {key.account, key.operation, state.unsynced, state.params->emissionNs});
                state.unsynced = 0;
            }
        }
    }
    return usage;
}

void RateLimiter::restoreUsage(const std::vector<RateLimitUsage>& usage) {
    for (const RateLimitUsage& u : usage) {
        const std::size_t hash = hashKey(u.account, u.operation);
        detail::RateLimitShard& shard = shardFor(hash);
        std::lock_guard lock(shard.mutex);
        stateFor(shard, u.account, u.operation, hash).unsynced += u.allowed;
    }
}

void RateLimiter::applySharedState(QStringView account, QStringView operation,
                                   std::int64_t sharedTatNs, std::int64_t nowNs) {
    const std::size_t hash = hashKey(account, operation);
    detail::RateLimitShard& shard = shardFor(hash);
    std::lock_guard lock(shard.mutex);
    detail::RateLimitKeyState& state = stateFor(shard, account, operation, hash);
    if (state.params->limit == 0) {
        return;
    }
    // The shared time holds every engine's written requests (ours included); what we allowed
    // since the drain is not in it yet, so it goes on top. Taking the maximum never forgets
    // local requests, and counts none twice.
    const std::int64_t combined =
        std::max(sharedTatNs, nowNs) + state.unsynced * state.params->emissionNs;
    state.tatNs = std::max(state.tatNs, combined);
}

std::size_t RateLimiter::evictIdle(std::int64_t nowNs) {
    std::size_t removed = 0;
    for (std::size_t i = 0; i <= m_shardMask; ++i) {
        detail::RateLimitShard& shard = m_shards[i];
        std::lock_guard lock(shard.mutex);
        removed += std::erase_if(shard.keys, [nowNs](const auto& entry) {
            const detail::RateLimitKeyState& s = entry.second;
            return s.tatNs <= nowNs && s.unsynced == 0 &&
                   s.inFlight.load(std::memory_order_acquire) == 0;
        });
    }
    return removed;
}

std::size_t RateLimiter::keyCount() const {
    std::size_t count = 0;
    for (std::size_t i = 0; i <= m_shardMask; ++i) {
        std::lock_guard lock(m_shards[i].mutex);
        count += m_shards[i].keys.size();
    }
    return count;
}

} // namespace trackwatch::core
