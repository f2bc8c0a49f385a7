// SPDX-License-Identifier: MIT
#include "cache/query_cache.h"

#include <QHash>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace detail {
namespace {

constexpr int kMaxShards = 256;
constexpr std::size_t kKeyHashSeed = 0x7472'6163'6b77'6174ULL; // fixed: shards stay stable

// The murmur3 finalizer: the shard index comes from the high bits and the sketch rows from
// re-mixes, so every bit should depend on every input bit.
quint64 mix64(quint64 x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

// FNV-1a over the UTF-16 code units, then mixed: the same in every process (qHash mixes in
// Qt's per-process seed on some CPUs), so shard placement and the frequency sketch's
// collisions, and with them TinyLFU's admission decisions, are reproducible.
quint64 keyHash(const QString& key) {
    quint64 h = 0xcbf29ce484222325ULL ^ kKeyHashSeed;
    for (const QChar c : key) {
        h = (h ^ c.unicode()) * 0x100000001b3ULL;
    }
    return mix64(h);
}

// Counters are only written under the shard's mutex, so a plain load + store is enough to
// publish them to stats() readers (no locked read-modify-write on the hot path).
template <typename T> void bump(std::atomic<T>& counter, T by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Log-bucket latency histogram: 8 exact buckets for 0..7 ns, then 4 buckets per power of two
// (at most 12.5% wide), up to about 2^41 ns; anything longer lands in the last bucket.
constexpr int kExactBuckets = 8;
constexpr int kSubBuckets = 4;
constexpr int kLatencyBuckets = kExactBuckets + kSubBuckets * 38;

int latencyBucket(quint64 nanos) {
    if (nanos < kExactBuckets) {
        return static_cast<int>(nanos);
    }
    const int exponent = static_cast<int>(std::bit_width(nanos)) - 1; // >= 3
    const int sub = static_cast<int>((nanos >> (exponent - 2)) & (kSubBuckets - 1));
    return std::min(kExactBuckets + (exponent - 3) * kSubBuckets + sub, kLatencyBuckets - 1);
}

quint64 latencyBucketMidpoint(int bucket) {
    if (bucket < kExactBuckets) {
        return static_cast<quint64>(bucket);
    }
    const int exponent = (bucket - kExactBuckets) / kSubBuckets + 3;
    const int sub = (bucket - kExactBuckets) % kSubBuckets;
    const quint64 width = quint64{1} << (exponent - 2);
    return static_cast<quint64>(kSubBuckets + sub) * width + width / 2;
}

qint64 saturatingAdd(qint64 a, qint64 b) {
    if (b > 0 && a > std::numeric_limits<qint64>::max() - b) {
        return std::numeric_limits<qint64>::max();
    }
    return a + b;
}

} // namespace

enum class Segment : quint8 { Window, Probation, Protected };

struct CacheNode {
    QString key;
    QString account;
    QByteArray value;
    qint64 expiresAt = 0;
    qint64 cost = 0;
    quint64 hash = 0;
    CacheNode* prev = nullptr; // recency list (window, probation or protected), towards MRU
    CacheNode* next = nullptr;
    CacheNode* writePrev = nullptr; // write-order list: the oldest write expires first
    CacheNode* writeNext = nullptr;
    CacheNode* accountPrev = nullptr; // the account's chain
    CacheNode* accountNext = nullptr;
    Segment segment = Segment::Window;
};

// A doubly linked list threaded through the nodes: head = most recent, tail = oldest.
template <CacheNode* CacheNode::*Prev, CacheNode* CacheNode::*Next> struct NodeList {
    CacheNode* head = nullptr;
    CacheNode* tail = nullptr;
    qint64 size = 0;

    void pushFront(CacheNode* n) {
        n->*Prev = nullptr;
        n->*Next = head;
        if (head) {
            head->*Prev = n;
        } else {
            tail = n;
        }
        head = n;
        ++size;
    }
    void unlink(CacheNode* n) {
        if (n->*Prev) {
            (n->*Prev)->*Next = n->*Next;
        } else {
            head = n->*Next;
        }
        if (n->*Next) {
            (n->*Next)->*Prev = n->*Prev;
        } else {
            tail = n->*Prev;
        }
        n->*Prev = nullptr;
        n->*Next = nullptr;
        --size;
    }
    void moveToFront(CacheNode* n) {
        if (head != n) {
            unlink(n);
            pushFront(n);
        }
    }
};
using RecencyList = NodeList<&CacheNode::prev, &CacheNode::next>;
using WriteList = NodeList<&CacheNode::writePrev, &CacheNode::writeNext>;
using AccountList = NodeList<&CacheNode::accountPrev, &CacheNode::accountNext>;

// The shard's key -> node map: open addressing with linear probing, each slot keeping the
// key's hash beside the node so a probe rarely touches a node or compares a string, and the
// key is hashed once per call (the shard index and the sketch reuse the same hash).
class NodeIndex {
public:
    CacheNode* find(const QString& key, quint64 hash) const {
        if (m_slots.empty()) {
            return nullptr;
        }
        for (std::size_t i = hash & m_mask;; i = (i + 1) & m_mask) {
            const Slot& slot = m_slots[i];
            if (!slot.node) {
                return nullptr;
            }
            if (slot.hash == hash && slot.node->key == key) {
                return slot.node;
            }
        }
    }

    void insert(CacheNode* node) {
        if ((m_size + 1) * 4 > static_cast<qsizetype>(m_slots.size()) * 3) {
            rehash(std::max<std::size_t>(16, m_slots.size() * 2));
        }
        place(node);
        ++m_size;
    }

    void erase(const CacheNode* node) {
        std::size_t i = node->hash & m_mask;
        while (m_slots[i].node != node) {
            i = (i + 1) & m_mask;
        }
        // Backward-shift deletion: pull later entries of the probe run into the hole unless
        // their home slot lies cyclically in (hole, their slot], so no tombstones are needed.
        for (std::size_t j = (i + 1) & m_mask; m_slots[j].node; j = (j + 1) & m_mask) {
            const std::size_t home = m_slots[j].hash & m_mask;
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                m_slots[i] = m_slots[j];
                i = j;
            }
        }
        m_slots[i] = Slot{};
        --m_size;
    }

    qsizetype size() const { return m_size; }

    template <typename F> void forEach(F&& f) const {
        for (const Slot& slot : m_slots) {
            if (slot.node) {
                f(slot.node);
            }
        }
    }

    void clear() {
        m_slots.clear();
        m_slots.shrink_to_fit();
        m_mask = 0;
        m_size = 0;
    }

private:
    struct Slot {
        quint64 hash = 0;
        CacheNode* node = nullptr;
    };

    void place(CacheNode* node) {
        std::size_t i = node->hash & m_mask;
        while (m_slots[i].node) {
            i = (i + 1) & m_mask;
        }
        m_slots[i] = Slot{node->hash, node};
    }

    void rehash(std::size_t capacity) {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(capacity, Slot{});
        m_mask = capacity - 1;
        for (const Slot& slot : old) {
            if (slot.node) {
                place(slot.node);
            }
        }
    }

    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    qsizetype m_size = 0;
};

// A count-min sketch of 4-bit counters (kept in bytes for simplicity) estimating how often a
// key was accessed recently. Every sampleSize increments all counters are halved, so old
// popularity fades (TinyLFU's "reset"). Conservative update: only the smallest counters grow.
class FrequencySketch {
public:
    void resize(qint64 capacity) {
        const auto expected = static_cast<quint64>(std::max<qint64>(capacity, 16));
        m_width = std::bit_ceil(expected * 4);
        m_counters.assign(kRows * m_width, 0);
        m_sampleSize = static_cast<qint64>(expected) * 10;
        m_additions = 0;
    }

    int frequency(quint64 hash) const {
        int result = kMaxCount;
        for (int row = 0; row < kRows; ++row) {
            result = std::min<int>(result, m_counters[index(hash, row)]);
        }
        return result;
    }

    void increment(quint64 hash) {
        if (m_counters.empty()) {
            return;
        }
        const int current = frequency(hash);
        if (current >= kMaxCount) {
            return;
        }
        for (int row = 0; row < kRows; ++row) {
            quint8& counter = m_counters[index(hash, row)];
            if (counter == current) {
                ++counter;
            }
        }
        if (++m_additions >= m_sampleSize) {
            for (quint8& counter : m_counters) {
                counter = static_cast<quint8>(counter >> 1);
            }
            m_additions /= 2;
        }
    }

private:
    static constexpr int kRows = 4;
    static constexpr int kMaxCount = 15;

    std::size_t index(quint64 hash, int row) const {
        static constexpr std::array<quint64, kRows> kSeeds{
            0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL,
            0xd6e8feb86659fd93ULL};
        const quint64 h = mix64(hash ^ kSeeds[static_cast<std::size_t>(row)]);
        return static_cast<std::size_t>(row) * m_width +
               static_cast<std::size_t>(h & (m_width - 1));
    }

    std::vector<quint8> m_counters;
    quint64 m_width = 0;
    qint64 m_sampleSize = 0;
    qint64 m_additions = 0;
};

struct ShardCounters {
    std::atomic<quint64> hits{0};
    std::atomic<quint64> misses{0};
    std::atomic<quint64> puts{0};
    std::atomic<quint64> rejected{0};
    std::atomic<quint64> stalePuts{0};
    std::atomic<quint64> evictions{0};
    std::atomic<quint64> expirations{0};
    std::atomic<quint64> invalidations{0};
    std::atomic<quint64> getNanos{0};
    std::atomic<qint64> entries{0};
    std::atomic<qint64> bytes{0};
    std::array<std::atomic<quint64>, kLatencyBuckets> latency{};
};

enum class Removal { Evicted, Expired, Invalidated };

// One shard of a namespace. Every member except counters() is called with mutex held.
class alignas(64) CacheShard {
public:
    CacheShard(EvictionPolicy policy, qint64 maxEntries, qint64 maxBytes, qint64 ttl)
        : m_policy(maxEntries > 0 ? policy : EvictionPolicy::Lru)
        , m_maxEntries(maxEntries)
        , m_maxBytes(maxBytes)
        , m_ttl(ttl) {
        if (m_policy == EvictionPolicy::WTinyLfu) {
            // Caffeine's starting split: 1% window, the main space 20% probation and 80%
            // protected.
            m_windowCap = std::max<qint64>(1, m_maxEntries / 100);
            m_protectedCap = (m_maxEntries - m_windowCap) * 4 / 5;
            m_sketch.resize(m_maxEntries);
        }
    }
    ~CacheShard() { clear(); }
    CacheShard(const CacheShard&) = delete;
    CacheShard& operator=(const CacheShard&) = delete;

    std::mutex mutex;

    const ShardCounters& counters() const { return m_counters; }

    std::optional<QByteArray> get(const QString& key, quint64 hash, qint64 now) {
        CacheNode* node = m_index.find(key, hash);
        if (!node) {
            bump(m_counters.misses);
            return std::nullopt;
        }
        if (expired(node, now)) {
            removeNode(node, Removal::Expired);
            bump(m_counters.misses);
            publishSize();
            return std::nullopt;
        }
        bump(m_counters.hits);
        onAccess(node, hash);
        return node->value;
    }

    bool put(const QString& key, quint64 hash, const QString& account, QByteArray&& value,
             qint64 cost, qint64 now) {
        CacheNode* node = m_index.find(key, hash);
        if (m_maxBytes > 0 && cost > m_maxBytes) {
            // Never fits. An older value under the key would now be stale: drop it too.
            if (node) {
                removeNode(node, Removal::Invalidated);
                publishSize();
            }
            bump(m_counters.rejected);
            return false;
        }
        if (node) {
            m_bytes += cost - node->cost;
            node->value = std::move(value);
            node->cost = cost;
            node->expiresAt = saturatingAdd(now, m_ttl);
            if (node->account != account) {
                unlinkAccount(node);
                node->account = account;
                linkAccount(node);
            }
            m_writes.moveToFront(node);
            onAccess(node, hash);
        } else {
            node = new CacheNode;
            node->key = key;
            node->account = account;
            node->value = std::move(value);
            node->expiresAt = saturatingAdd(now, m_ttl);
            node->cost = cost;
            node->hash = hash;
            node->segment = Segment::Window;
            m_index.insert(node);
            linkAccount(node);
            m_window.pushFront(node);
            m_writes.pushFront(node);
            ++m_entries;
            m_bytes += cost;
            if (m_policy == EvictionPolicy::WTinyLfu) {
                m_sketch.increment(hash);
            }
        }
        bump(m_counters.puts);
        enforceCapacity(node, now);
        publishSize();
        return true;
    }

    bool remove(const QString& key, quint64 hash) {
        CacheNode* node = m_index.find(key, hash);
        if (!node) {
            return false;
        }
        removeNode(node, Removal::Invalidated);
        publishSize();
        return true;
    }

    qsizetype invalidateAccount(const QString& account) {
        const auto it = m_accounts.constFind(account);
        if (it == m_accounts.constEnd()) {
            return 0;
        }
        // removeNode() edits the chain (and drops it when empty): walk from a saved next.
        qsizetype removed = 0;
        CacheNode* node = it->head;
        while (node) {
            CacheNode* next = node->accountNext;
            removeNode(node, Removal::Invalidated);
            node = next;
            ++removed;
        }
        publishSize();
        return removed;
    }

    void recordStalePut() { bump(m_counters.stalePuts); }

    qsizetype invalidateAll() {
        const qsizetype removed = m_index.size();
        clear();
        bump(m_counters.invalidations, static_cast<quint64>(removed));
        publishSize();
        return removed;
    }

    // The write-order list holds the oldest write at its tail, and with one TTL per namespace
    // the oldest write expires first: stop at the first live entry.
    qsizetype purgeExpired(qint64 now) {
        qsizetype removed = 0;
        while (m_writes.tail && expired(m_writes.tail, now)) {
            removeNode(m_writes.tail, Removal::Expired);
            ++removed;
        }
        publishSize();
        return removed;
    }

    void recordGet(quint64 nanos) {
        bump(m_counters.getNanos, nanos);
        bump(m_counters.latency[static_cast<std::size_t>(latencyBucket(nanos))]);
    }

private:
    static bool expired(const CacheNode* node, qint64 now) { return now >= node->expiresAt; }

    bool overLimit() const {
        return (m_maxEntries > 0 && m_entries > m_maxEntries) ||
               (m_maxBytes > 0 && m_bytes > m_maxBytes);
    }

    RecencyList& listOf(Segment segment) {
        switch (segment) {
        case Segment::Window:
            return m_window;
        case Segment::Probation:
            return m_probation;
        case Segment::Protected:
            return m_protected;
        }
        return m_window;
    }

    void onAccess(CacheNode* node, quint64 hash) {
        if (m_policy == EvictionPolicy::Lru) {
            m_window.moveToFront(node);
            return;
        }
        m_sketch.increment(hash);
        switch (node->segment) {
        case Segment::Window:
            m_window.moveToFront(node);
            break;
        case Segment::Probation:
            // A second use while on probation earns a place in the protected segment; the
            // protected segment's least recent entry goes back on probation to make room.
            m_probation.unlink(node);
            m_protected.pushFront(node);
            node->segment = Segment::Protected;
            while (m_protected.size > m_protectedCap && m_protected.tail) {
                CacheNode* demoted = m_protected.tail;
                m_protected.unlink(demoted);
                m_probation.pushFront(demoted);
                demoted->segment = Segment::Probation;
            }
            break;
        case Segment::Protected:
            m_protected.moveToFront(node);
            break;
        }
    }

    void enforceCapacity(CacheNode* written, qint64 now) {
        CacheNode* candidate = nullptr; // TinyLFU: the entry that just left the window
        if (m_policy == EvictionPolicy::WTinyLfu) {
            while (m_window.size > m_windowCap) {
                candidate = m_window.tail;
                m_window.unlink(candidate);
                m_probation.pushFront(candidate);
                candidate->segment = Segment::Probation;
            }
        }
        while (overLimit()) {
            // An expired entry is the cheapest thing to give up, whatever the policy says.
            if (m_writes.tail != written && expired(m_writes.tail, now)) {
                removeNode(m_writes.tail, Removal::Expired);
                continue;
            }
            if (m_policy == EvictionPolicy::Lru) {
                // `written` is at the front and fits on its own, so the tail is someone else.
                if (m_window.tail == written) {
                    break;
                }
                removeNode(m_window.tail, Removal::Evicted);
                continue;
            }
            if (m_probation.tail) {
                CacheNode* victim = m_probation.tail;
                CacheNode* loser = victim;
                if (candidate && candidate != victim &&
                    m_sketch.frequency(candidate->hash) <= m_sketch.frequency(victim->hash)) {
                    loser = candidate; // TinyLFU admission: not more popular, not admitted
                }
                if (loser == candidate) {
                    candidate = nullptr;
                }
                removeNode(loser, Removal::Evicted);
            } else if (m_window.tail && m_window.tail != written) {
                removeNode(m_window.tail, Removal::Evicted);
            } else if (m_protected.tail && m_protected.tail != written) {
                removeNode(m_protected.tail, Removal::Evicted);
            } else {
                break; // only `written` is left, and it fits on its own
            }
        }
    }

    void linkAccount(CacheNode* node) { m_accounts[node->account].pushFront(node); }

    void unlinkAccount(CacheNode* node) {
        const auto it = m_accounts.find(node->account);
        if (it == m_accounts.end()) {
            return;
        }
        it->unlink(node);
        if (it->size == 0) {
            m_accounts.erase(it);
        }
    }

    void removeNode(CacheNode* node, Removal why) {
        listOf(node->segment).unlink(node);
        m_writes.unlink(node);
        unlinkAccount(node);
        m_index.erase(node);
        --m_entries;
        m_bytes -= node->cost;
        switch (why) {
        case Removal::Evicted:
            bump(m_counters.evictions);
            break;
        case Removal::Expired:
            bump(m_counters.expirations);
            break;
        case Removal::Invalidated:
            bump(m_counters.invalidations);
            break;
        }
        delete node;
    }

    void clear() {
        m_index.forEach([](CacheNode* node) { delete node; });
        m_index.clear();
        m_accounts.clear();
        m_window = {};
        m_probation = {};
        m_protected = {};
        m_writes = {};
        m_entries = 0;
        m_bytes = 0;
    }

    void publishSize() {
        m_counters.entries.store(m_entries, std::memory_order_relaxed);
        m_counters.bytes.store(m_bytes, std::memory_order_relaxed);
    }

    const EvictionPolicy m_policy;
    const qint64 m_maxEntries;
    const qint64 m_maxBytes;
    const qint64 m_ttl;
    qint64 m_windowCap = 0;
    qint64 m_protectedCap = 0;

    NodeIndex m_index;
    QHash<QString, AccountList> m_accounts;
    RecencyList m_window; // Lru: the only list
    RecencyList m_probation;
    RecencyList m_protected;
    WriteList m_writes;
    FrequencySketch m_sketch;
    qint64 m_entries = 0;
    qint64 m_bytes = 0;
    ShardCounters m_counters;
};

struct CacheSpace {
    CacheNamespaceConfig config;
    std::vector<std::unique_ptr<CacheShard>> shards;

    CacheShard& shardFor(quint64 hash) const {
        // Multiply-shift on the high half: an even spread without a division.
        const quint64 index = ((hash >> 32) * shards.size()) >> 32;
        return *shards[static_cast<std::size_t>(index)];
    }
};

// Invalidation epochs for tickets: one counter per account slot and one for everything.
// Sequentially consistent on purpose: an invalidation bumps its epoch before it takes any
// shard lock, and a ticketed put reads the epochs while holding its shard's lock, so either
// the put sees the new epoch or the invalidation finds (and removes) the put's entry.
struct CacheEpochs {
    static constexpr int kSlots = 256;
    std::array<std::atomic<quint64>, kSlots> account{};
    std::atomic<quint64> global{0};

    static int slotOf(const QString& account) {
        return static_cast<int>(keyHash(account) % static_cast<quint64>(kSlots));
    }
};

} // namespace detail

using detail::CacheShard;
using detail::CacheSpace;

namespace {

CacheNamespaceConfig sanitized(CacheNamespaceConfig config) {
    config.maxEntries = std::max<qint64>(config.maxEntries, 0);
    config.maxBytes = std::max<qint64>(config.maxBytes, 0);
    config.shards = std::clamp(config.shards, 1, detail::kMaxShards);
    if (config.maxEntries > 0) {
        // Every shard must be able to hold at least one entry.
        config.shards = static_cast<int>(std::min<qint64>(config.shards, config.maxEntries));
    }
    if (config.maxEntries == 0) {
        config.policy = EvictionPolicy::Lru; // TinyLFU's segments are sized in entries
    }
    return config;
}

// The i-th of n even parts of total (the first total % n parts get one more), so the parts add
// up to exactly total and the namespace never holds more than configured.
qint64 shareOf(qint64 total, int i, int n) {
    return total / n + (i < total % n ? 1 : 0);
}

void appendEscaped(QString& out, QStringView part) {
    for (const QChar c : part) {
        if (c == u'%') {
            out += u"%25";
        } else if (c == u':') {
            out += u"%3A";
        } else if (c == u'=') {
            out += u"%3D";
        } else {
            out += c;
        }
    }
}

} // namespace

QString cacheNamespaceName(CacheNamespace ns) {
    switch (ns) {
    case CacheNamespace::TrackedEmails:
        return u"trackedEmails"_s;
    case CacheNamespace::Analytics:
        return u"analytics"_s;
    case CacheNamespace::AccountVerification:
        return u"accountVerification"_s;
    }
    return u"unknown"_s;
}

std::optional<CacheNamespace> cacheNamespaceFromName(QStringView name) {
    for (int i = 0; i < kCacheNamespaceCount; ++i) {
        const auto ns = static_cast<CacheNamespace>(i);
        if (name == cacheNamespaceName(ns)) {
            return ns;
        }
    }
    return std::nullopt;
}

QString evictionPolicyName(EvictionPolicy policy) {
    switch (policy) {
    case EvictionPolicy::Lru:
        return u"lru"_s;
    case EvictionPolicy::WTinyLfu:
        return u"w-tinylfu"_s;
    }
    return u"unknown"_s;
}

CacheNamespaceConfig& QueryCacheConfig::of(CacheNamespace ns) {
    switch (ns) {
    case CacheNamespace::TrackedEmails:
        return trackedEmails;
    case CacheNamespace::Analytics:
        return analytics;
    case CacheNamespace::AccountVerification:
        return accountVerification;
    }
    return trackedEmails;
}

const CacheNamespaceConfig& QueryCacheConfig::of(CacheNamespace ns) const {
    switch (ns) {
    case CacheNamespace::TrackedEmails:
        return trackedEmails;
    case CacheNamespace::Analytics:
        return analytics;
    case CacheNamespace::AccountVerification:
        return accountVerification;
    }
    return trackedEmails;
}

QString cacheKey(QStringView kind, QStringView account, CacheKeyFilters filters) {
    // An empty filter is the same query as an absent one.
    filters.removeIf([](const std::pair<QString, QString>& f) { return f.second.isEmpty(); });
    std::sort(filters.begin(), filters.end());
    QString key;
    appendEscaped(key, kind);
    key += u':';
    appendEscaped(key, account);
    for (const auto& [name, value] : std::as_const(filters)) {
        key += u':';
        appendEscaped(key, name);
        key += u'=';
        appendEscaped(key, value);
    }
    return key;
}

QueryCache::QueryCache(QueryCacheConfig config, TimeSource now)
    : m_now(std::move(now))
    , m_epochs(std::make_unique<detail::CacheEpochs>()) {
    for (int i = 0; i < kCacheNamespaceCount; ++i) {
        auto space = std::make_unique<CacheSpace>();
        space->config = sanitized(config.of(static_cast<CacheNamespace>(i)));
        const CacheNamespaceConfig& c = space->config;
        const qint64 ttl = c.ttl.count() > 0 ? c.ttl.count() : std::numeric_limits<qint64>::max();
        for (int s = 0; s < c.shards; ++s) {
            space->shards.push_back(
                std::make_unique<CacheShard>(c.policy, shareOf(c.maxEntries, s, c.shards),
                                             shareOf(c.maxBytes, s, c.shards), ttl));
        }
        m_spaces[static_cast<std::size_t>(i)] = std::move(space);
    }
}

QueryCache::~QueryCache() = default;

QueryCache::TimeSource QueryCache::fromClock(const Clock& clock) {
    return [&clock] { return clock.now().toMSecsSinceEpoch() * 1'000'000; };
}

qint64 QueryCache::steadyNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

qint64 QueryCache::entryCost(const QString& key, const QString& account, const QByteArray& value) {
    return value.size() + (key.size() + account.size()) * static_cast<qint64>(sizeof(char16_t)) +
           kEntryOverheadBytes;
}

qint64 QueryCache::now() const {
    return m_now ? m_now() : steadyNanos();
}

CacheSpace& QueryCache::space(CacheNamespace ns) const {
    return *m_spaces[static_cast<std::size_t>(ns)];
}

std::optional<QByteArray> QueryCache::get(CacheNamespace ns, const QString& key) {
    const auto started = std::chrono::steady_clock::now();
    const quint64 hash = detail::keyHash(key);
    CacheShard& shard = space(ns).shardFor(hash);
    // Without an injected source the TTL clock is the steady clock: reuse the reading.
    const qint64 t =
        m_now ? m_now()
              : std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch())
                    .count();
    std::lock_guard lock(shard.mutex);
    std::optional<QByteArray> value = shard.get(key, hash, t);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    shard.recordGet(static_cast<quint64>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    return value;
}

bool QueryCache::put(CacheNamespace ns, const QString& key, const QString& account,
                     QByteArray value) {
    return putChecked(ns, key, account, std::move(value), nullptr);
}

CacheTicket QueryCache::ticket(const QString& account) const {
    CacheTicket t;
    t.slot = detail::CacheEpochs::slotOf(account);
    t.accountEpoch = m_epochs->account[static_cast<std::size_t>(t.slot)].load();
    t.globalEpoch = m_epochs->global.load();
    return t;
}

bool QueryCache::put(CacheNamespace ns, const QString& key, const QString& account,
                     QByteArray value, const CacheTicket& ticket) {
    return putChecked(ns, key, account, std::move(value), &ticket);
}

bool QueryCache::putChecked(CacheNamespace ns, const QString& key, const QString& account,
                            QByteArray value, const CacheTicket* ticket) {
    const qint64 cost = entryCost(key, account, value);
    const quint64 hash = detail::keyHash(key);
    CacheShard& shard = space(ns).shardFor(hash);
    const qint64 t = now();
    std::lock_guard lock(shard.mutex);
    if (ticket) {
        const auto slot = static_cast<std::size_t>(detail::CacheEpochs::slotOf(account));
        // A ticket for another account's slot proves nothing about this one: refuse it too.
        if (static_cast<std::size_t>(ticket->slot) != slot ||
            m_epochs->account[slot].load() != ticket->accountEpoch ||
            m_epochs->global.load() != ticket->globalEpoch) {
            shard.recordStalePut();
            return false;
        }
    }
    return shard.put(key, hash, account, std::move(value), cost, t);
}

bool QueryCache::remove(CacheNamespace ns, const QString& key) {
    const quint64 hash = detail::keyHash(key);
    CacheShard& shard = space(ns).shardFor(hash);
    std::lock_guard lock(shard.mutex);
    return shard.remove(key, hash);
}

qsizetype QueryCache::invalidateAccount(const QString& account) {
    // First the epoch (tickets taken before now are stale), then the entries.
    m_epochs->account[static_cast<std::size_t>(detail::CacheEpochs::slotOf(account))].fetch_add(1);
    qsizetype removed = 0;
    for (const auto& space : m_spaces) {
        for (const auto& shard : space->shards) {
            std::lock_guard lock(shard->mutex);
            removed += shard->invalidateAccount(account);
        }
    }
    return removed;
}

qsizetype QueryCache::invalidateNamespace(CacheNamespace ns) {
    m_epochs->global.fetch_add(1); // simpler than an epoch per namespace; only costs misses
    qsizetype removed = 0;
    for (const auto& shard : space(ns).shards) {
        std::lock_guard lock(shard->mutex);
        removed += shard->invalidateAll();
    }
    return removed;
}

qsizetype QueryCache::invalidateAll() {
    qsizetype removed = 0;
    for (int i = 0; i < kCacheNamespaceCount; ++i) {
        removed += invalidateNamespace(static_cast<CacheNamespace>(i));
    }
    return removed;
}

qsizetype QueryCache::purgeExpired() {
    const qint64 t = now();
    qsizetype removed = 0;
    for (const auto& space : m_spaces) {
        for (const auto& shard : space->shards) {
            std::lock_guard lock(shard->mutex);
            removed += shard->purgeExpired(t);
        }
    }
    return removed;
}

CacheStats QueryCache::stats(CacheNamespace ns) const {
    constexpr auto relaxed = std::memory_order_relaxed;
    CacheStats s;
    quint64 getNanos = 0;
    std::array<quint64, detail::kLatencyBuckets> histogram{};
    for (const auto& shard : space(ns).shards) {
        const detail::ShardCounters& c = shard->counters();
        s.hits += c.hits.load(relaxed);
        s.misses += c.misses.load(relaxed);
        s.puts += c.puts.load(relaxed);
        s.rejected += c.rejected.load(relaxed);
        s.stalePuts += c.stalePuts.load(relaxed);
        s.evictions += c.evictions.load(relaxed);
        s.expirations += c.expirations.load(relaxed);
        s.invalidations += c.invalidations.load(relaxed);
        s.entries += c.entries.load(relaxed);
        s.bytes += c.bytes.load(relaxed);
        getNanos += c.getNanos.load(relaxed);
        for (std::size_t b = 0; b < histogram.size(); ++b) {
            histogram[b] += c.latency[b].load(relaxed);
        }
    }
    quint64 gets = 0;
    for (const quint64 n : histogram) {
        gets += n;
    }
    const quint64 lookups = s.hits + s.misses;
    s.hitRate = lookups > 0 ? static_cast<double>(s.hits) / static_cast<double>(lookups) : 0.0;
    if (gets > 0) {
        s.meanGet = std::chrono::nanoseconds{static_cast<qint64>(getNanos / gets)};
        const auto percentile = [&](double p) {
            const auto rank = static_cast<quint64>(std::ceil(p * static_cast<double>(gets)));
            quint64 seen = 0;
            for (std::size_t b = 0; b < histogram.size(); ++b) {
                seen += histogram[b];
                if (seen >= rank) {
                    return std::chrono::nanoseconds{
                        static_cast<qint64>(detail::latencyBucketMidpoint(static_cast<int>(b)))};
                }
            }
            return std::chrono::nanoseconds{0};
        };
        s.p50Get = percentile(0.50);
        s.p99Get = percentile(0.99);
    }
    return s;
}

const CacheNamespaceConfig& QueryCache::config(CacheNamespace ns) const {
    return space(ns).config;
}

} // namespace trackwatch::core
