// SPDX-License-Identifier: MIT
// Query cache: the seed's namespaces and TTLs (expiry exactly at the boundary), the canonical
// key, LRU order, the analytics byte budget, W-TinyLFU admission, per-account invalidation
// across namespaces, metrics, configurable capacity, and concurrent use from 4 threads. Time
// only moves through an injected nanosecond source; nothing sleeps.
#include "cache/query_cache.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace trackwatch::core {
// Readable QCOMPARE failures for namespaces (found by argument-dependent lookup).
char* toString(CacheNamespace ns) {
    return QTest::toString(cacheNamespaceName(ns));
}
} // namespace trackwatch::core

Q_DECLARE_METATYPE(trackwatch::core::CacheNamespace)
Q_DECLARE_METATYPE(trackwatch::core::EvictionPolicy)

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kStart = 1'000 * kSecond; // any steady time; not zero, so zero proves nothing

constexpr CacheNamespace kAllNamespaces[] = {
    CacheNamespace::TrackedEmails, CacheNamespace::Analytics, CacheNamespace::AccountVerification};

// A steady nanosecond clock that only moves when told to; safe to read from any thread.
class TestTime {
public:
    QueryCache::TimeSource source() {
        return [this] { return m_now.load(std::memory_order_relaxed); };
    }
    void advance(qint64 nanos) { m_now.fetch_add(nanos, std::memory_order_relaxed); }
    void set(qint64 nanos) { m_now.store(nanos, std::memory_order_relaxed); }

private:
    std::atomic<qint64> m_now{kStart};
};

// One namespace with one shard (exact, global LRU order and budgets); the others as default.
QueryCacheConfig oneShard(CacheNamespace ns, qint64 maxEntries, qint64 maxBytes,
                          EvictionPolicy policy = EvictionPolicy::Lru) {
    QueryCacheConfig config;
    CacheNamespaceConfig& c = config.of(ns);
    c.maxEntries = maxEntries;
    c.maxBytes = maxBytes;
    c.shards = 1;
    c.policy = policy;
    return config;
}

QString key(int i) {
    return u"k"_s + QString::number(i);
}

// Read-through, as the service does it: a hit, or a miss followed by a put.
bool readThrough(QueryCache& cache, CacheNamespace ns, const QString& k) {
    if (cache.get(ns, k)) {
        return true;
    }
    cache.put(ns, k, u"acc"_s, k.toUtf8());
    return false;
}

// A value that can be checked on its own: "<key>|<writer>|<seq>|" padded to a length derived
// from the key, then a checksum of everything before it. A torn or mixed-up value fails.
QByteArray stampedValue(const QString& k, int writer, int seq) {
    QByteArray v =
        k.toUtf8() + '|' + QByteArray::number(writer) + '|' + QByteArray::number(seq) + '|';
    v.append(64 + static_cast<int>(qHash(k, 7) % 64) - v.size(), '.');
    return v + QByteArray::number(qChecksum(v));
}

bool validValue(const QString& k, const QByteArray& v) {
    const QByteArray prefix = k.toUtf8() + '|';
    const qsizetype body = 64 + static_cast<qsizetype>(qHash(k, 7) % 64);
    return v.size() > body && v.startsWith(prefix) &&
           v.mid(body) == QByteArray::number(qChecksum(QByteArrayView(v).first(body)));
}

} // namespace

class TestQueryCache : public QObject {
    Q_OBJECT
private slots:
    void namespaceNames_data() {
        QTest::addColumn<CacheNamespace>("ns");
        QTest::addColumn<QString>("name");
        QTest::newRow("trackedEmails") << CacheNamespace::TrackedEmails << u"trackedEmails"_s;
        QTest::newRow("analytics") << CacheNamespace::Analytics << u"analytics"_s;
        QTest::newRow("accountVerification")
            << CacheNamespace::AccountVerification << u"accountVerification"_s;
    }
    void namespaceNames() {
        QFETCH(CacheNamespace, ns);
        QFETCH(QString, name);
        QCOMPARE(cacheNamespaceName(ns), name);
        QCOMPARE(cacheNamespaceFromName(name), std::optional<CacheNamespace>(ns));
    }

    void unknownNamespaceName() {
        QVERIFY(!cacheNamespaceFromName(u"tracked_emails").has_value());
        QVERIFY(!cacheNamespaceFromName(u"").has_value());
    }

    void seedDefaults() {
        const QueryCacheConfig config;
        QCOMPARE(config.trackedEmails.ttl, std::chrono::nanoseconds{std::chrono::minutes{5}});
        QCOMPARE(config.trackedEmails.maxEntries, qint64{10'000});
        QCOMPARE(config.trackedEmails.maxBytes, qint64{0});
        QCOMPARE(config.trackedEmails.policy, EvictionPolicy::WTinyLfu);
        QCOMPARE(config.analytics.ttl, std::chrono::nanoseconds{std::chrono::minutes{10}});
        QCOMPARE(config.analytics.maxEntries, qint64{0}); // bounded by bytes, not entries
        QCOMPARE(config.analytics.maxBytes, qint64{64} << 20);
        QCOMPARE(config.accountVerification.ttl, std::chrono::nanoseconds{std::chrono::minutes{5}});
        QVERIFY(config.accountVerification.maxEntries > 0);
        QCOMPARE(config.accountVerification.policy, EvictionPolicy::Lru);
        TestTime time;
        const QueryCache cache(config, time.source());
        for (const CacheNamespace ns : kAllNamespaces) {
            QCOMPARE(cache.config(ns).shards, 16);
            QCOMPARE(cache.config(ns).ttl, config.of(ns).ttl);
        }
    }

    void cacheKeys_data() {
        QTest::addColumn<QString>("account");
        QTest::addColumn<CacheKeyFilters>("filters");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no filters") << u"acc-1"_s << CacheKeyFilters{} << u"emails:acc-1"_s;
        QTest::newRow("sorted by name")
            << u"acc-1"_s
            << CacheKeyFilters{{u"status"_s, u"opened"_s},
                               {u"since"_s, u"2024-01-01"_s},
                               {u"limit"_s, u"50"_s}}
            << u"emails:acc-1:limit=50:since=2024-01-01:status=opened"_s;
        QTest::newRow("empty value is no filter")
            << u"acc-1"_s << CacheKeyFilters{{u"status"_s, u""_s}, {u"limit"_s, u"50"_s}}
            << u"emails:acc-1:limit=50"_s;
        QTest::newRow("separators escaped")
            << u"a:b"_s << CacheKeyFilters{{u"x=y"_s, u"50%"_s}} << u"emails:a%3Ab:x%3Dy=50%25"_s;
        QTest::newRow("same name sorted by value")
            << u"acc-1"_s << CacheKeyFilters{{u"tag"_s, u"b"_s}, {u"tag"_s, u"a"_s}}
            << u"emails:acc-1:tag=a:tag=b"_s;
    }
    void cacheKeys() {
        QFETCH(QString, account);
        QFETCH(CacheKeyFilters, filters);
        QFETCH(QString, expected);
        QCOMPARE(cacheKey(u"emails", account, filters), expected);
        // Any order of the same filters gives the same key.
        std::reverse(filters.begin(), filters.end());
        QCOMPARE(cacheKey(u"emails", account, filters), expected);
    }

    void cacheKeysDoNotCollide() {
        // An account that looks like a filter is not that filter.
        QVERIFY(cacheKey(u"emails", u"a:status=x") !=
                cacheKey(u"emails", u"a", {{u"status"_s, u"x"_s}}));
        QVERIFY(cacheKey(u"emails", u"a", {{u"status"_s, u"opened"_s}}) !=
                cacheKey(u"emails", u"a", {{u"status"_s, u"replied"_s}}));
        QVERIFY(cacheKey(u"emails", u"a") != cacheKey(u"analytics", u"a"));
        QVERIFY(cacheKey(u"emails", u"a") != cacheKey(u"emails", u"b"));
    }

    void ttlExpiresExactlyAtTheBoundary_data() {
        QTest::addColumn<CacheNamespace>("ns");
        QTest::addColumn<qint64>("ttlSecs");
        QTest::newRow("trackedEmails 5 min") << CacheNamespace::TrackedEmails << qint64{300};
        QTest::newRow("analytics 10 min") << CacheNamespace::Analytics << qint64{600};
        QTest::newRow("accountVerification 5 min")
            << CacheNamespace::AccountVerification << qint64{300};
    }
    void ttlExpiresExactlyAtTheBoundary() {
        QFETCH(CacheNamespace, ns);
        QFETCH(qint64, ttlSecs);
        TestTime time;
        QueryCache cache(QueryCacheConfig{}, time.source()); // the seed's TTLs
        QVERIFY(cache.put(ns, u"q"_s, u"acc"_s, QByteArray("result")));
        time.advance(ttlSecs * kSecond - 1);
        QCOMPARE(cache.get(ns, u"q"_s), std::optional<QByteArray>(QByteArray("result")));
        QCOMPARE(cache.stats(ns).expirations, quint64{0});
        time.advance(1); // exactly put + ttl: expired
        QCOMPARE(cache.get(ns, u"q"_s), std::nullopt);
        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.hits, quint64{1});
        QCOMPARE(s.misses, quint64{1});
        QCOMPARE(s.expirations, quint64{1});
        QCOMPARE(s.evictions, quint64{0});
        QCOMPARE(s.entries, qint64{0}); // removed on access
        QCOMPARE(s.bytes, qint64{0});
        // The other namespaces saw nothing.
        for (const CacheNamespace other : kAllNamespaces) {
            if (other != ns) {
                QCOMPARE(cache.stats(other).hits + cache.stats(other).misses, quint64{0});
            }
        }
    }

    void ttlCountsFromTheLastWrite() {
        TestTime time;
        QueryCache cache(QueryCacheConfig{}, time.source());
        const auto ns = CacheNamespace::TrackedEmails;
        QVERIFY(cache.put(ns, u"q"_s, u"acc"_s, QByteArray("v1")));
        time.advance(200 * kSecond);
        QVERIFY(cache.get(ns, u"q"_s).has_value()); // a read does not extend the TTL
        time.advance(100 * kSecond);
        QCOMPARE(cache.get(ns, u"q"_s), std::nullopt);

        QVERIFY(cache.put(ns, u"q"_s, u"acc"_s, QByteArray("v2")));
        time.advance(200 * kSecond);
        QVERIFY(cache.put(ns, u"q"_s, u"acc"_s, QByteArray("v3"))); // a write does
        time.advance(300 * kSecond - 1);
        QCOMPARE(cache.get(ns, u"q"_s), std::optional<QByteArray>(QByteArray("v3")));
        time.advance(1);
        QCOMPARE(cache.get(ns, u"q"_s), std::nullopt);
    }

    void nonPositiveTtlNeverExpires() {
        TestTime time;
        QueryCacheConfig config;
        config.accountVerification.ttl = std::chrono::nanoseconds{0};
        QueryCache cache(config, time.source());
        QVERIFY(cache.put(CacheNamespace::AccountVerification, u"q"_s, u"acc"_s, "v"));
        time.advance(10LL * 365 * 24 * 3600 * kSecond);
        QVERIFY(cache.get(CacheNamespace::AccountVerification, u"q"_s).has_value());
        QCOMPARE(cache.purgeExpired(), qsizetype{0});
    }

    void wallClockAdapter() {
        // A shared Clock works as the time source too (millisecond precision).
        ManualClock clock(QDateTime::fromString(u"2024-01-01T00:00:00Z"_s, Qt::ISODate));
        QueryCache cache(QueryCacheConfig{}, QueryCache::fromClock(clock));
        QVERIFY(cache.put(CacheNamespace::TrackedEmails, u"q"_s, u"acc"_s, "v"));
        clock.advanceSecs(299);
        QVERIFY(cache.get(CacheNamespace::TrackedEmails, u"q"_s).has_value());
        clock.advanceSecs(1);
        QVERIFY(!cache.get(CacheNamespace::TrackedEmails, u"q"_s).has_value());
    }

    void lruEvictsTheLeastRecentlyUsed() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(oneShard(ns, 3, 0), time.source());
        for (const char* k : {"a", "b", "c"}) {
            QVERIFY(cache.put(ns, QString::fromLatin1(k), u"acc"_s, QByteArray(k)));
        }
        QCOMPARE(cache.get(ns, u"a"_s), std::optional<QByteArray>(QByteArray("a"))); // saves a
        QVERIFY(cache.put(ns, u"d"_s, u"acc"_s, "d"));
        QCOMPARE(cache.get(ns, u"b"_s), std::nullopt); // b was the least recently used
        QVERIFY(cache.get(ns, u"a"_s).has_value());
        QVERIFY(cache.get(ns, u"c"_s).has_value());
        QVERIFY(cache.get(ns, u"d"_s).has_value());
        QCOMPARE(cache.stats(ns).evictions, quint64{1});
        // Recency now, oldest first: a, c, d. The next put evicts a.
        QVERIFY(cache.put(ns, u"e"_s, u"acc"_s, "e"));
        QCOMPARE(cache.get(ns, u"a"_s), std::nullopt);
        QVERIFY(cache.get(ns, u"c"_s).has_value());
        QCOMPARE(cache.stats(ns).evictions, quint64{2});
        QCOMPARE(cache.stats(ns).entries, qint64{3});
    }

    void lruReplacingCountsAsUse() {
        TestTime time;
        const auto ns = CacheNamespace::AccountVerification;
        QueryCache cache(oneShard(ns, 3, 0), time.source());
        QVERIFY(cache.put(ns, u"a"_s, u"acc"_s, "a1"));
        QVERIFY(cache.put(ns, u"b"_s, u"acc"_s, "b"));
        QVERIFY(cache.put(ns, u"c"_s, u"acc"_s, "c"));
        QVERIFY(cache.put(ns, u"a"_s, u"acc"_s, "a2")); // replaced: now the most recent
        QCOMPARE(cache.stats(ns).entries, qint64{3});
        QVERIFY(cache.put(ns, u"d"_s, u"acc"_s, "d"));
        QCOMPARE(cache.get(ns, u"b"_s), std::nullopt);
        QCOMPARE(cache.get(ns, u"a"_s), std::optional<QByteArray>(QByteArray("a2")));
    }

    void expiredEntriesGoBeforeLiveOnes() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(oneShard(ns, 2, 0), time.source());
        QVERIFY(cache.put(ns, u"a"_s, u"acc"_s, "a"));
        time.advance(200 * kSecond);
        QVERIFY(cache.put(ns, u"b"_s, u"acc"_s, "b"));
        QVERIFY(cache.get(ns, u"a"_s).has_value()); // a is the most recent, b the LRU
        time.advance(100 * kSecond);                // a has expired, b has not
        QVERIFY(cache.put(ns, u"c"_s, u"acc"_s, "c"));
        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.expirations, quint64{1}); // a made room, as an expiration
        QCOMPARE(s.evictions, quint64{0});
        QVERIFY(cache.get(ns, u"b"_s).has_value());
        QVERIFY(cache.get(ns, u"c"_s).has_value());
    }

    void analyticsEvictsByBytes() {
        TestTime time;
        const auto ns = CacheNamespace::Analytics;
        const QByteArray small(100, 's');
        const qint64 cost = QueryCache::entryCost(u"r1"_s, u"acc"_s, small);
        QCOMPARE(cost, qint64{100 + (2 + 3) * 2 + QueryCache::kEntryOverheadBytes});
        QueryCache cache(oneShard(ns, 0, 3 * cost), time.source());
        for (int i = 1; i <= 3; ++i) {
            QVERIFY(cache.put(ns, u"r"_s + QString::number(i), u"acc"_s, small));
        }
        QCOMPARE(cache.stats(ns).bytes, 3 * cost);
        QCOMPARE(cache.stats(ns).entries, qint64{3});
        QCOMPARE(cache.stats(ns).evictions, quint64{0});

        QVERIFY(cache.get(ns, u"r1"_s).has_value()); // r2 is now the least recently used
        // An entry as big as two small ones pushes two out, whatever the entry count.
        const QByteArray big(static_cast<int>(100 + cost), 'B');
        QCOMPARE(QueryCache::entryCost(u"r4"_s, u"acc"_s, big), 2 * cost);
        QVERIFY(cache.put(ns, u"r4"_s, u"acc"_s, big));
        CacheStats s = cache.stats(ns);
        QCOMPARE(s.evictions, quint64{2});
        QCOMPARE(s.entries, qint64{2});
        QCOMPARE(s.bytes, 3 * cost);
        QCOMPARE(cache.get(ns, u"r2"_s), std::nullopt);
        QCOMPARE(cache.get(ns, u"r3"_s), std::nullopt);
        QCOMPARE(cache.get(ns, u"r1"_s), std::optional<QByteArray>(small));
        QCOMPARE(cache.get(ns, u"r4"_s), std::optional<QByteArray>(big));

        // Many tiny entries fit where three small ones did: bytes, not entries, are the limit.
        cache.invalidateAll();
        const qint64 tinyCost = QueryCache::entryCost(u"t00"_s, u"acc"_s, QByteArray("x"));
        const int fit = static_cast<int>(3 * cost / tinyCost);
        QVERIFY(fit > 3);
        for (int i = 0; i < fit; ++i) {
            QVERIFY(cache.put(ns, u"t%1"_s.arg(i, 2, 10, QChar(u'0')), u"acc"_s, "x"));
        }
        s = cache.stats(ns);
        QCOMPARE(s.entries, qint64{fit});
        QCOMPARE(s.evictions, quint64{2}); // none beyond the earlier two
        QVERIFY(s.bytes <= 3 * cost);
    }

    void analyticsRefusesAnEntryBiggerThanTheBudget() {
        TestTime time;
        const auto ns = CacheNamespace::Analytics;
        const qint64 budget = 1000;
        QueryCache cache(oneShard(ns, 0, budget), time.source());
        QVERIFY(cache.put(ns, u"keep"_s, u"acc"_s, "small"));
        QVERIFY(cache.put(ns, u"r"_s, u"acc"_s, "old"));

        const qint64 fixed = QueryCache::entryCost(u"r"_s, u"acc"_s, QByteArray());
        const QByteArray exact(static_cast<int>(budget - fixed), 'e');
        const QByteArray tooBig(static_cast<int>(budget - fixed + 1), 't');
        QVERIFY(!cache.put(ns, u"r"_s, u"acc"_s, tooBig));
        CacheStats s = cache.stats(ns);
        QCOMPARE(s.rejected, quint64{1});
        QCOMPARE(s.evictions, quint64{0});             // nothing was pushed out for it
        QCOMPARE(cache.get(ns, u"r"_s), std::nullopt); // and the stale "old" is gone
        QVERIFY(cache.get(ns, u"keep"_s).has_value());

        QVERIFY(cache.put(ns, u"r"_s, u"acc"_s, exact)); // exactly the budget fits, alone
        s = cache.stats(ns);
        QCOMPARE(s.bytes, budget);
        QCOMPARE(s.entries, qint64{1});
        QCOMPARE(cache.get(ns, u"keep"_s), std::nullopt);
    }

    void byteBudgetIsSharedOutBetweenShards() {
        TestTime time;
        const auto ns = CacheNamespace::Analytics;
        QueryCacheConfig config;
        config.analytics.maxBytes = 4 * 1000;
        config.analytics.shards = 4;
        QueryCache cache(config, time.source());
        const qint64 fixed = QueryCache::entryCost(u"r"_s, u"acc"_s, QByteArray());
        QVERIFY(cache.put(ns, u"r"_s, u"acc"_s, QByteArray(static_cast<int>(1000 - fixed), 'a')));
        QVERIFY(
            !cache.put(ns, u"r"_s, u"acc"_s, QByteArray(static_cast<int>(1000 - fixed + 1), 'b')));
        QCOMPARE(cache.stats(ns).rejected, quint64{1});
    }

    void tinyLfuKeepsPopularEntriesThroughAScan_data() {
        QTest::addColumn<EvictionPolicy>("policy");
        QTest::addColumn<int>("minHotHits");
        QTest::addColumn<int>("maxHotHits");
        QTest::newRow("w-tinylfu keeps them") << EvictionPolicy::WTinyLfu << 50 << 50;
        QTest::newRow("lru loses them") << EvictionPolicy::Lru << 0 << 0;
    }
    void tinyLfuKeepsPopularEntriesThroughAScan() {
        QFETCH(EvictionPolicy, policy);
        QFETCH(int, minHotHits);
        QFETCH(int, maxHotHits);
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(oneShard(ns, 100, 0, policy), time.source());
        for (int round = 0; round < 5; ++round) {
            for (int i = 0; i < 50; ++i) {
                readThrough(cache, ns, key(i));
            }
        }
        for (int i = 1000; i < 2000; ++i) { // a one-off scan, ten times the capacity
            QVERIFY(!readThrough(cache, ns, key(i)));
        }
        int hotHits = 0;
        for (int i = 0; i < 50; ++i) {
            hotHits += cache.get(ns, key(i)).has_value() ? 1 : 0;
        }
        QVERIFY2(hotHits >= minHotHits && hotHits <= maxHotHits,
                 qPrintable(u"hot hits: %1"_s.arg(hotHits)));
        QCOMPARE(cache.stats(ns).entries, qint64{100});
    }

    void tinyLfuAdmitsByFrequency() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        // One shard of 100: a window of 1 entry, the rest main.
        QueryCache cache(oneShard(ns, 100, 0, EvictionPolicy::WTinyLfu), time.source());
        for (int i = 0; i < 100; ++i) { // full: k0..k98 in main, k99 in the window
            QVERIFY(cache.put(ns, key(i), u"acc"_s, "cold"));
        }
        // A newcomer is readable at once (it starts in the window) and is used 4 times.
        QVERIFY(cache.put(ns, u"popular"_s, u"acc"_s, "p"));
        for (int i = 0; i < 3; ++i) {
            QVERIFY(cache.get(ns, u"popular"_s).has_value());
        }
        // k99, pushed out of the window by "popular", was used no more often than the
        // coldest main entry (k0): not admitted.
        // "popular", pushed out by "once", was used more often than k0: admitted over it.
        QVERIFY(cache.put(ns, u"once"_s, u"acc"_s, "o"));
        // "once", pushed out by "next", ties with k1: not admitted.
        QVERIFY(cache.put(ns, u"next"_s, u"acc"_s, "n"));

        QVERIFY(cache.get(ns, u"popular"_s).has_value());
        QVERIFY(cache.get(ns, u"next"_s).has_value());
        QVERIFY(!cache.get(ns, u"once"_s).has_value());
        QVERIFY(!cache.get(ns, key(99)).has_value());
        QVERIFY(!cache.get(ns, key(0)).has_value());
        QVERIFY(cache.get(ns, key(1)).has_value());
        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.entries, qint64{100});
        QCOMPARE(s.evictions, quint64{3});
    }

    void invalidateAccountAcrossNamespaces() {
        TestTime time;
        QueryCache cache(QueryCacheConfig{}, time.source());
        for (const CacheNamespace ns : kAllNamespaces) {
            for (int i = 0; i < 40; ++i) { // spread over the shards
                QVERIFY(cache.put(ns, cacheKey(u"q", u"acc-a", {{u"page"_s, QString::number(i)}}),
                                  u"acc-a"_s, "a"));
            }
            QVERIFY(cache.put(ns, cacheKey(u"q", u"acc-b"), u"acc-b"_s, "b"));
        }
        QCOMPARE(cache.invalidateAccount(u"acc-a"_s), qsizetype{3 * 40});
        for (const CacheNamespace ns : kAllNamespaces) {
            for (int i = 0; i < 40; ++i) {
                QCOMPARE(cache.get(ns, cacheKey(u"q", u"acc-a", {{u"page"_s, QString::number(i)}})),
                         std::nullopt);
            }
            QCOMPARE(cache.get(ns, cacheKey(u"q", u"acc-b")),
                     std::optional<QByteArray>(QByteArray("b")));
            const CacheStats s = cache.stats(ns);
            QCOMPARE(s.invalidations, quint64{40});
            QCOMPARE(s.entries, qint64{1});
            QCOMPARE(s.evictions + s.expirations, quint64{0});
        }
        QCOMPARE(cache.invalidateAccount(u"acc-a"_s), qsizetype{0});
        QCOMPARE(cache.invalidateAccount(u"nobody"_s), qsizetype{0});
        QCOMPARE(cache.invalidateAccount(u"acc-b"_s), qsizetype{3});
    }

    void reputUnderAnotherAccountMovesTheTag() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(QueryCacheConfig{}, time.source());
        QVERIFY(cache.put(ns, u"q"_s, u"acc-a"_s, "1"));
        QVERIFY(cache.put(ns, u"q"_s, u"acc-b"_s, "2"));
        QCOMPARE(cache.invalidateAccount(u"acc-a"_s), qsizetype{0});
        QVERIFY(cache.get(ns, u"q"_s).has_value());
        QCOMPARE(cache.invalidateAccount(u"acc-b"_s), qsizetype{1});
        QVERIFY(!cache.get(ns, u"q"_s).has_value());
    }

    void ticketRefusesResultsOlderThanAnInvalidation() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(QueryCacheConfig{}, time.source());
        const CacheTicket before = cache.ticket(u"acc-a"_s);
        cache.invalidateAccount(u"acc-a"_s); // a write landed while the query ran
        QVERIFY(!cache.put(ns, u"q"_s, u"acc-a"_s, "old", before));
        QVERIFY(!cache.get(ns, u"q"_s).has_value());
        QCOMPARE(cache.stats(ns).stalePuts, quint64{1});
        QCOMPARE(cache.stats(ns).entries, qint64{0});

        const CacheTicket after = cache.ticket(u"acc-a"_s);
        QVERIFY(cache.put(ns, u"q"_s, u"acc-a"_s, "new", after));
        QVERIFY(cache.put(ns, u"q2"_s, u"acc-a"_s, "new", after)); // reusable until invalidated
        QCOMPARE(cache.get(ns, u"q"_s), std::optional<QByteArray>(QByteArray("new")));

        // Another account's invalidation leaves the ticket good (when their slots differ).
        const CacheTicket b = cache.ticket(u"acc-b"_s);
        QVERIFY(b.slot != after.slot);
        cache.invalidateAccount(u"acc-a"_s);
        QVERIFY(cache.put(ns, u"qb"_s, u"acc-b"_s, "b", b));
        // A ticket is only good for its own account.
        QVERIFY(!cache.put(ns, u"qc"_s, u"acc-a"_s, "x", b));
        // Dropping everything makes every older ticket stale.
        cache.invalidateAll();
        QVERIFY(!cache.put(ns, u"qb"_s, u"acc-b"_s, "b", b));
        QCOMPARE(cache.stats(ns).stalePuts, quint64{3});
        QCOMPARE(cache.stats(ns).rejected, quint64{0});
    }

    void ticketsCloseTheReadThroughRace() {
        // A writer bumps the account's "database" version, invalidates, then publishes the
        // version as done. A reader runs the read-through: ticket, read the version, "run the
        // query" (a busy loop that widens the race), put. Any hit must then be at least the
        // last done version: an older value means a result read before a write was cached
        // after that write's invalidation. Timing only makes the race likely; the check holds
        // whatever the interleaving.
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(QueryCacheConfig{}, time.source());
        std::atomic<qint64> database{0};
        std::atomic<qint64> done{0};
        std::atomic<bool> writing{true};
        std::atomic<int> tooOld{0};
        std::atomic<int> hits{0};
        const auto busy = [](int rounds) {
            volatile int sink = 0;
            for (int i = 0; i < rounds; ++i) {
                sink = sink + i;
            }
        };
        std::thread writer([&] {
            for (qint64 v = 1; v <= 3'000; ++v) {
                database.store(v);
                cache.invalidateAccount(u"acc"_s);
                done.store(v);
                busy(3'000); // let the reader see the state between writes
            }
            writing = false;
        });
        std::thread reader([&] {
            while (writing.load()) {
                const qint64 settled = done.load();
                if (const auto v = cache.get(ns, u"q"_s)) {
                    ++hits;
                    if (v->toLongLong() < settled) {
                        ++tooOld;
                    }
                    continue;
                }
                const CacheTicket t = cache.ticket(u"acc"_s);
                const qint64 read = database.load();
                busy(2'000);
                cache.put(ns, u"q"_s, u"acc"_s, QByteArray::number(read), t);
            }
        });
        writer.join();
        reader.join();
        QCOMPARE(tooOld.load(), 0);
        if (const auto v = cache.get(ns, u"q"_s)) { // whatever is left is the last version
            QCOMPARE(v->toLongLong(), database.load());
        }
        const CacheStats s = cache.stats(ns);
        // The reader's hits, plus the final get if it found an entry.
        QCOMPARE(s.hits, quint64(hits.load()) + (s.entries > 0 ? 1 : 0));
    }

    void removeAndInvalidateAll() {
        TestTime time;
        QueryCache cache(QueryCacheConfig{}, time.source());
        for (const CacheNamespace ns : kAllNamespaces) {
            for (int i = 0; i < 10; ++i) {
                QVERIFY(cache.put(ns, key(i), u"acc"_s, "v"));
            }
        }
        QVERIFY(cache.remove(CacheNamespace::Analytics, key(3)));
        QVERIFY(!cache.remove(CacheNamespace::Analytics, key(3)));
        QCOMPARE(cache.invalidateNamespace(CacheNamespace::AccountVerification), qsizetype{10});
        QCOMPARE(cache.stats(CacheNamespace::AccountVerification).entries, qint64{0});
        QCOMPARE(cache.stats(CacheNamespace::TrackedEmails).entries, qint64{10});
        QCOMPARE(cache.invalidateAll(), qsizetype{10 + 9});
        for (const CacheNamespace ns : kAllNamespaces) {
            const CacheStats s = cache.stats(ns);
            QCOMPARE(s.entries, qint64{0});
            QCOMPARE(s.bytes, qint64{0});
            QCOMPARE(s.invalidations, quint64{10});
            QVERIFY(!cache.get(ns, key(0)).has_value());
        }
        // Usable afterwards.
        QVERIFY(cache.put(CacheNamespace::TrackedEmails, key(0), u"acc"_s, "again"));
        QVERIFY(cache.get(CacheNamespace::TrackedEmails, key(0)).has_value());
    }

    void purgeExpiredRemovesOnlyExpired() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(QueryCacheConfig{}, time.source());
        QVERIFY(cache.put(ns, u"old1"_s, u"acc"_s, "1"));
        QVERIFY(cache.put(ns, u"old2"_s, u"acc"_s, "2"));
        time.advance(100 * kSecond);
        QVERIFY(cache.put(ns, u"new"_s, u"acc"_s, "3"));
        QVERIFY(cache.put(CacheNamespace::Analytics, u"a"_s, u"acc"_s, "4")); // 10-minute TTL
        time.advance(200 * kSecond);
        QCOMPARE(cache.purgeExpired(), qsizetype{2});
        QCOMPARE(cache.stats(ns).expirations, quint64{2});
        QCOMPARE(cache.stats(ns).entries, qint64{1});
        QCOMPARE(cache.stats(CacheNamespace::Analytics).entries, qint64{1});
        QCOMPARE(cache.purgeExpired(), qsizetype{0});
        QVERIFY(cache.get(ns, u"new"_s).has_value());
    }

    void metricsCountEveryOutcome() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(oneShard(ns, 2, 0), time.source());
        QCOMPARE(cache.stats(ns).hitRate, 0.0); // no lookups yet, no division by zero
        QVERIFY(!cache.get(ns, u"x"_s));        // miss
        QVERIFY(cache.put(ns, u"x"_s, u"acc"_s, "xx"));
        QVERIFY(cache.get(ns, u"x"_s)); // hit
        QVERIFY(cache.get(ns, u"x"_s)); // hit
        QVERIFY(cache.put(ns, u"y"_s, u"acc"_s, "yy"));
        QVERIFY(cache.get(ns, u"y"_s)); // hit: x is now the LRU
        time.advance(10 * kSecond);
        QVERIFY(cache.put(ns, u"z"_s, u"acc"_s, "zzz")); // evicts x
        QVERIFY(!cache.get(ns, u"x"_s));                 // miss
        time.advance(290 * kSecond);                     // y expires, z does not
        QVERIFY(!cache.get(ns, u"y"_s));                 // miss, expiration

        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.hits, quint64{3});
        QCOMPARE(s.misses, quint64{3});
        QCOMPARE(s.hitRate, 0.5);
        QCOMPARE(s.puts, quint64{3});
        QCOMPARE(s.evictions, quint64{1});
        QCOMPARE(s.expirations, quint64{1});
        QCOMPARE(s.invalidations, quint64{0});
        QCOMPARE(s.rejected, quint64{0});
        QCOMPARE(s.entries, qint64{1});
        QCOMPARE(s.bytes, QueryCache::entryCost(u"z"_s, u"acc"_s, QByteArray("zzz")));
        // Six timed gets: every one takes some nanoseconds, and percentiles are ordered.
        QVERIFY(s.meanGet.count() > 0);
        QVERIFY(s.p50Get.count() > 0);
        QVERIFY(s.p50Get <= s.p99Get);
        QVERIFY(s.p99Get < std::chrono::seconds{1});
        // Other namespaces are counted apart.
        QCOMPARE(cache.stats(CacheNamespace::Analytics).misses, quint64{0});
        QCOMPARE(cache.stats(CacheNamespace::Analytics).meanGet.count(), qint64{0});
    }

    void capacityIsConfigurable_data() {
        QTest::addColumn<EvictionPolicy>("policy");
        QTest::addColumn<int>("maxEntries");
        QTest::addColumn<int>("shards");
        QTest::addColumn<int>("effectiveShards");
        QTest::newRow("lru 1 entry") << EvictionPolicy::Lru << 1 << 1 << 1;
        QTest::newRow("lru 5 entries, shards clamped to 5") << EvictionPolicy::Lru << 5 << 16 << 5;
        QTest::newRow("lru 10 on 4 shards") << EvictionPolicy::Lru << 10 << 4 << 4;
        QTest::newRow("lru 1000 on 16 shards") << EvictionPolicy::Lru << 1000 << 16 << 16;
        QTest::newRow("lru 0 shards means 1") << EvictionPolicy::Lru << 7 << 0 << 1;
        QTest::newRow("w-tinylfu 1 entry") << EvictionPolicy::WTinyLfu << 1 << 1 << 1;
        QTest::newRow("w-tinylfu 50 on 4 shards") << EvictionPolicy::WTinyLfu << 50 << 4 << 4;
        QTest::newRow("w-tinylfu 1000 on 16 shards")
            << EvictionPolicy::WTinyLfu << 1000 << 16 << 16;
    }
    void capacityIsConfigurable() {
        QFETCH(EvictionPolicy, policy);
        QFETCH(int, maxEntries);
        QFETCH(int, shards);
        QFETCH(int, effectiveShards);
        TestTime time;
        const auto ns = CacheNamespace::AccountVerification;
        QueryCacheConfig config;
        config.accountVerification.maxEntries = maxEntries;
        config.accountVerification.shards = shards;
        config.accountVerification.policy = policy;
        QueryCache cache(config, time.source());
        QCOMPARE(cache.config(ns).shards, effectiveShards);
        const int puts = 20 * maxEntries + 20;
        for (int i = 0; i < puts; ++i) {
            QVERIFY(cache.put(ns, key(i), u"acc"_s, "v"));
            QVERIFY(cache.stats(ns).entries <= maxEntries);
        }
        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.entries, qint64{maxEntries}); // every shard filled its share
        QCOMPARE(s.evictions, quint64(puts - maxEntries));
        // The most recent put is always readable, whatever the policy.
        QVERIFY(cache.get(ns, key(puts - 1)).has_value());
    }

    void noLostWritesAcrossThreads() {
        TestTime time;
        const auto ns = CacheNamespace::TrackedEmails;
        QueryCache cache(QueryCacheConfig{}, time.source()); // room for everything
        constexpr int kThreads = 4;
        constexpr int kPerThread = 500;
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i) {
                    const QString k = key(t * kPerThread + i);
                    if (!cache.put(ns, k, u"acc-%1"_s.arg(t), stampedValue(k, t, i))) {
                        ++wrong;
                    }
                }
                // Read everyone's keys back, including the other threads' (some may be
                // still missing while they write: only a wrong value counts).
                for (int i = 0; i < kThreads * kPerThread; ++i) {
                    const QString k = key(i);
                    if (const auto v = cache.get(ns, k); v && !validValue(k, *v)) {
                        ++wrong;
                    }
                }
            });
        }
        for (std::thread& th : threads) {
            th.join();
        }
        QCOMPARE(wrong.load(), 0);
        for (int i = 0; i < kThreads * kPerThread; ++i) {
            const auto v = cache.get(ns, key(i));
            QVERIFY2(v.has_value(), qPrintable(key(i)));
            QCOMPARE(*v, stampedValue(key(i), i / kPerThread, i % kPerThread));
        }
        const CacheStats s = cache.stats(ns);
        QCOMPARE(s.entries, qint64{kThreads * kPerThread});
        QCOMPARE(s.puts, quint64{kThreads * kPerThread});
        // Each thread read all keys once, then the main thread did.
        QCOMPARE(s.hits + s.misses, quint64{(kThreads + 1) * kThreads * kPerThread});
        for (int t = 0; t < kThreads; ++t) {
            QCOMPARE(cache.invalidateAccount(u"acc-%1"_s.arg(t)), qsizetype{kPerThread});
        }
    }

    void concurrentMixedUse() {
        TestTime time;
        QueryCacheConfig config;
        config.trackedEmails.maxEntries = 200;
        config.trackedEmails.shards = 8;
        config.trackedEmails.policy = EvictionPolicy::WTinyLfu;
        config.analytics.maxBytes = 64 * 1024;
        config.analytics.shards = 4;
        config.accountVerification.maxEntries = 50;
        config.accountVerification.shards = 4;
        QueryCache cache(config, time.source());

        constexpr int kThreads = 4;
        constexpr int kOps = 20'000;
        constexpr int kKeys = 600;
        constexpr int kAccounts = 7;
        struct Tally {
            quint64 gets[kCacheNamespaceCount] = {};
            quint64 puts[kCacheNamespaceCount] = {};
            quint64 wrong = 0;
        };
        std::vector<Tally> tallies(kThreads);
        std::atomic<bool> running{true};
        std::atomic<int> overCapacity{0};

        // Watches the invariants while the workers run.
        std::thread observer([&] {
            while (running.load()) {
                if (cache.stats(CacheNamespace::TrackedEmails).entries > 200 ||
                    cache.stats(CacheNamespace::AccountVerification).entries > 50 ||
                    cache.stats(CacheNamespace::Analytics).bytes > 64 * 1024) {
                    ++overCapacity;
                }
                std::this_thread::yield();
            }
        });
        std::vector<std::thread> workers;
        for (int t = 0; t < kThreads; ++t) {
            workers.emplace_back([&, t] {
                std::mt19937 rng(static_cast<unsigned>(1234 + t));
                Tally& tally = tallies[static_cast<std::size_t>(t)];
                for (int op = 0; op < kOps; ++op) {
                    const auto ns = kAllNamespaces[rng() % 3];
                    const auto n = static_cast<std::size_t>(ns);
                    const int i = static_cast<int>(rng() % kKeys);
                    const QString k = key(i);
                    const QString account = u"acc-%1"_s.arg(i % kAccounts);
                    const unsigned roll = rng() % 100;
                    if (roll < 70) {
                        ++tally.gets[n];
                        const auto v = cache.get(ns, k);
                        if (v && !validValue(k, *v)) {
                            ++tally.wrong;
                        }
                        if (!v) {
                            tally.puts[n] += cache.put(ns, k, account, stampedValue(k, t, op));
                        }
                    } else if (roll < 97) {
                        tally.puts[n] += cache.put(ns, k, account, stampedValue(k, t, op));
                    } else if (roll < 99) {
                        cache.remove(ns, k);
                    } else {
                        cache.invalidateAccount(account);
                    }
                }
            });
        }
        for (std::thread& w : workers) {
            w.join();
        }
        running = false;
        observer.join();

        QCOMPARE(overCapacity.load(), 0);
        qint64 entries = 0;
        for (const CacheNamespace ns : kAllNamespaces) {
            const auto n = static_cast<std::size_t>(ns);
            quint64 gets = 0;
            quint64 puts = 0;
            for (const Tally& tally : tallies) {
                QCOMPARE(tally.wrong, quint64{0});
                gets += tally.gets[n];
                puts += tally.puts[n];
            }
            const CacheStats s = cache.stats(ns);
            QCOMPARE(s.hits + s.misses, gets);
            QCOMPARE(s.puts, puts);
            QCOMPARE(s.rejected, quint64{0});
            QVERIFY(s.hits > 0);
            QVERIFY(s.evictions > 0);            // the capacities were really under pressure
            QCOMPARE(s.expirations, quint64{0}); // the clock never moved
            entries += s.entries;
        }
        QVERIFY(cache.stats(CacheNamespace::TrackedEmails).entries <= 200);
        QVERIFY(cache.stats(CacheNamespace::AccountVerification).entries <= 50);
        QVERIFY(cache.stats(CacheNamespace::Analytics).bytes <= 64 * 1024);
        // The account index still knows every entry: invalidating every account empties all.
        qsizetype dropped = 0;
        for (int a = 0; a < kAccounts; ++a) {
            dropped += cache.invalidateAccount(u"acc-%1"_s.arg(a));
        }
        QCOMPARE(qint64{dropped}, entries);
        for (const CacheNamespace ns : kAllNamespaces) {
            QCOMPARE(cache.stats(ns).entries, qint64{0});
            QCOMPARE(cache.stats(ns).bytes, qint64{0});
        }
    }
};

QTEST_GUILESS_MAIN(TestQueryCache)
#include "tst_query_cache.moc"
