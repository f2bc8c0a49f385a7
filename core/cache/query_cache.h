// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace trackwatch::core {

// The seed's three cached query families, each with its own policy and its own metrics.
enum class CacheNamespace {
    TrackedEmails,       // "trackedEmails": 5-minute TTL, bounded by entry count
    Analytics,           // "analytics": 10-minute TTL, bounded by a byte budget
    AccountVerification, // "accountVerification": 5-minute TTL, bounded by entry count
};
inline constexpr int kCacheNamespaceCount = 3;
QString cacheNamespaceName(CacheNamespace ns); // "trackedEmails", "analytics", ...
std::optional<CacheNamespace> cacheNamespaceFromName(QStringView name);

enum class EvictionPolicy {
    // One recency list per shard: a hit moves the entry to the front, the back is evicted.
    Lru,
    // W-TinyLFU (Caffeine's policy): new entries enter a small LRU window (1% of the shard);
    // leaving it, an entry is admitted to the main segmented LRU only if a frequency sketch
    // says it is used more often than the entry it would push out. Resists one-off scans.
    // Needs maxEntries; without it the namespace falls back to Lru.
    WTinyLfu,
};
// Under either policy, when room is needed an expired entry goes before a live one.
QString evictionPolicyName(EvictionPolicy policy); // "lru", "w-tinylfu"

struct CacheNamespaceConfig {
    // An entry put at time t is served while now < t + ttl (TTL counts from the write; reads
    // do not extend it). Zero or negative: entries never expire.
    std::chrono::nanoseconds ttl{std::chrono::minutes{5}};
    qint64 maxEntries = 10'000; // 0 = no entry limit
    qint64 maxBytes = 0;        // 0 = no byte limit; else a budget of entryCost() bytes
    int shards = 16;            // clamped to 1..256 and to at most maxEntries
    EvictionPolicy policy = EvictionPolicy::Lru;
};

// The seed's policies. trackedEmails asked for LRU; it defaults to W-TinyLFU, whose segments
// are LRU lists with a frequency gate in front: on a Zipf(0.99) query mix it keeps 89-93% of
// the offline optimum's hit rate where plain LRU keeps 75-86% (bench_cache). When popularity
// changes wholesale it adapts more slowly than LRU (at 5-10% capacity, 82-83% against 85-88%
// in bench_cache's reshuffled trace); the 5-minute TTL bounds how long stale favourites stay.
// Where recency matters more than frequency, set policy = EvictionPolicy::Lru.
struct QueryCacheConfig {
    CacheNamespaceConfig trackedEmails{std::chrono::minutes{5}, 10'000, 0, 16,
                                       EvictionPolicy::WTinyLfu};
    CacheNamespaceConfig analytics{std::chrono::minutes{10}, 0, qint64{64} << 20, 16,
                                   EvictionPolicy::Lru};
    CacheNamespaceConfig accountVerification{std::chrono::minutes{5}, 10'000, 0, 16,
                                             EvictionPolicy::Lru};

    CacheNamespaceConfig& of(CacheNamespace ns);
    const CacheNamespaceConfig& of(CacheNamespace ns) const;
};

// A plain snapshot of one namespace. Counters are summed over the shards without stopping
// writers, so under concurrent use the fields can be a few operations apart from each other;
// once the callers have stopped, hits + misses equals the number of get() calls.
struct CacheStats {
    quint64 hits = 0;
    quint64 misses = 0;        // includes lookups that found an expired entry
    double hitRate = 0.0;      // hits / (hits + misses); 0 before the first lookup
    quint64 puts = 0;          // accepted puts (inserts and replacements)
    quint64 rejected = 0;      // puts refused: cost above the shard's byte share
    quint64 stalePuts = 0;     // puts refused: their ticket predates an invalidation
    quint64 evictions = 0;     // entries removed to make room (capacity)
    quint64 expirations = 0;   // entries removed because their TTL had passed
    quint64 invalidations = 0; // entries removed by remove() or invalidate*()
    qint64 entries = 0;
    qint64 bytes = 0; // sum of QueryCache::entryCost() over the live entries
    // Duration of get() (lock wait included), from a log-bucket histogram: the percentiles
    // are bucket midpoints, within 12.5% of the true value.
    std::chrono::nanoseconds meanGet{0};
    std::chrono::nanoseconds p50Get{0};
    std::chrono::nanoseconds p99Get{0};
};

// Filter name -> value pairs of a query, in any order.
using CacheKeyFilters = QList<std::pair<QString, QString>>;

// The canonical cache key of a query: "<kind>:<account>:<name>=<value>:..." with the filters
// sorted by name (then value) and empty values left out, so the same query always gives the
// same key whatever order its filters came in. ':', '=' and '%' inside the parts are
// percent-encoded, so no two different queries share a key.
// Example: cacheKey(u"emails", u"acc-1", {{u"status"_s, u"opened"_s}, {u"limit"_s, u"50"_s}})
//          == u"emails:acc-1:limit=50:status=opened"
QString cacheKey(QStringView kind, QStringView account, CacheKeyFilters filters = {});

// Taken before running the query whose result will be put. A put with the ticket is refused
// if the account (or everything) was invalidated after the ticket was taken, because the
// result may then predate the write that caused the invalidation.
struct CacheTicket {
    int slot = 0;
    quint64 accountEpoch = 0;
    quint64 globalEpoch = 0;
};

namespace detail {
struct CacheSpace;
struct CacheEpochs;
} // namespace detail

// The query result cache: serialized results (QByteArray, implicitly shared, so get() hands
// out a reference-counted copy and the byte cost is real) per namespace, each entry tagged with
// its account. Each namespace is split into shards by key hash, each shard with its own mutex,
// recency lists, hash map and account index, so threads working on different keys rarely meet
// on a lock. Capacities are divided evenly between the shards.
// Thread-safe: every member may be called concurrently without external synchronization.
// Time for TTLs comes from the injected source only (tests never sleep); get() durations are
// measured with std::chrono::steady_clock.
class QueryCache {
public:
    // Monotonic time in nanoseconds. Must be safe to call from any thread.
    using TimeSource = std::function<qint64()>;

    // Fixed per-entry bookkeeping (node, hash slots, string headers) added to every cost.
    static constexpr qint64 kEntryOverheadBytes = 128;

    // An empty time source means steady_clock.
    explicit QueryCache(QueryCacheConfig config = {}, TimeSource now = {});
    ~QueryCache();
    QueryCache(const QueryCache&) = delete;
    QueryCache& operator=(const QueryCache&) = delete;

    // Adapts a Clock (wall time at millisecond precision) for callers that already share one.
    static TimeSource fromClock(const Clock& clock);
    static qint64 steadyNanos();

    // The cost an entry is charged against maxBytes: value + key + account (UTF-16) +
    // kEntryOverheadBytes.
    static qint64 entryCost(const QString& key, const QString& account, const QByteArray& value);

    // The value, or nothing on a miss. An expired entry is a miss and is removed.
    std::optional<QByteArray> get(CacheNamespace ns, const QString& key);

    // Stores or replaces the entry with a fresh TTL. Returns false, and drops any older value
    // under the key, when the entry's cost is above the shard's byte share
    // (maxBytes / shards): such an entry could never fit.
    bool put(CacheNamespace ns, const QString& key, const QString& account, QByteArray value);

    // Read-through without the invalidation race: take a ticket, run the query, put with the
    // ticket. Refused (false, counted as stalePuts) when invalidateAccount(account),
    // invalidateNamespace() or invalidateAll() ran after ticket(). Accounts share 256 epoch
    // slots, so an unrelated account's invalidation can rarely refuse a put too (a later miss,
    // never a stale hit).
    CacheTicket ticket(const QString& account) const;
    bool put(CacheNamespace ns, const QString& key, const QString& account, QByteArray value,
             const CacheTicket& ticket);

    bool remove(CacheNamespace ns, const QString& key); // true if an entry was removed

    // Drops every entry tagged with the account, in every namespace (writes that change an
    // account's tracked emails call this). Uses a per-shard account index: no entry scan.
    // Returns the number of entries dropped.
    qsizetype invalidateAccount(const QString& account);
    qsizetype invalidateNamespace(CacheNamespace ns);
    qsizetype invalidateAll();

    // Removes expired entries everywhere (they are otherwise removed when met); for a periodic
    // sweep so expired entries do not hold memory. Returns the number removed. Walks from the
    // oldest write and stops at the first live entry, so a time source that goes backwards
    // can leave some for later.
    qsizetype purgeExpired();

    CacheStats stats(CacheNamespace ns) const;
    // The configuration in effect (after clamping).
    const CacheNamespaceConfig& config(CacheNamespace ns) const;

private:
    qint64 now() const;
    detail::CacheSpace& space(CacheNamespace ns) const;
    bool putChecked(CacheNamespace ns, const QString& key, const QString& account, QByteArray value,
                    const CacheTicket* ticket);

    TimeSource m_now; // empty: steady clock
    std::array<std::unique_ptr<detail::CacheSpace>, kCacheNamespaceCount> m_spaces;
    std::unique_ptr<detail::CacheEpochs> m_epochs;
};

} // namespace trackwatch::core
