// SPDX-License-Identifier: MIT
// Query cache benchmark. Replays a Zipf-distributed key trace (s = 0.99) read-through (get, and
// put on a miss) and compares, at the same capacity, the cache's hit rate with a plain
// single-list LRU and with Bélády's offline optimum (MIN, with bypass: an item whose next use
// is farther than every cached item's is not cached at all, which makes it an upper bound for
// any policy that holds at most C entries, admission filters included). It does so on a trace
// with fixed popularity and on one whose popularity is reshuffled ten times, where recency
// matters more. Then measures read-through throughput on 1 and 2 threads and get() latency.
//
//   bench_cache                  1,000,000 requests over 100,000 keys
//   bench_cache --smoke          a tiny run for ctest; exits 1 if any check fails
//   bench_cache --requests N --keys K --seed S
//
// Results are printed as ratios and rates; nothing here asserts a time.
#include "cache/query_cache.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <list>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr double kZipfExponent = 0.99;
constexpr int kAccounts = 1000;
constexpr int kPayloadBytes = 256;

struct Options {
    bool smoke = false;
    qint64 requests = 1'000'000;
    qint64 keys = 100'000;
    quint64 seed = 20240101;
};

// Draws ranks 0..n-1 with P(rank = i) proportional to 1 / (i + 1)^s, by inverting the
// cumulative distribution (binary search). Exact, deterministic for a seed, and fast enough
// for a million draws. The generator's raw 64-bit output is turned into a double by hand,
// because std::uniform_real_distribution differs between standard libraries.
class ZipfSampler {
public:
    ZipfSampler(qint64 n, double s) {
        m_cdf.reserve(static_cast<std::size_t>(n));
        double sum = 0.0;
        for (qint64 i = 1; i <= n; ++i) {
            sum += 1.0 / std::pow(static_cast<double>(i), s);
            m_cdf.push_back(sum);
        }
    }
    qint64 operator()(std::mt19937_64& rng) const {
        const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * m_cdf.back();
        const auto it = std::upper_bound(m_cdf.begin(), m_cdf.end(), u);
        return std::min<qint64>(it - m_cdf.begin(), static_cast<qint64>(m_cdf.size()) - 1);
    }

private:
    std::vector<double> m_cdf;
};

// The trace of key ids. Ranks are shuffled onto ids so hot keys are not neighbours; with
// shiftEvery > 0 they are shuffled again every shiftEvery requests (popularity moves on, as
// when new mail arrives and yesterday's queries go cold).
std::vector<qint32> makeTrace(const Options& options, qint64 shiftEvery) {
    std::mt19937_64 rng(options.seed);
    std::vector<qint32> idOfRank(static_cast<std::size_t>(options.keys));
    for (std::size_t i = 0; i < idOfRank.size(); ++i) {
        idOfRank[i] = static_cast<qint32>(i);
    }
    const auto shuffle = [&] {
        for (std::size_t i = idOfRank.size() - 1; i > 0; --i) {
            std::swap(idOfRank[i], idOfRank[static_cast<std::size_t>(rng() % (i + 1))]);
        }
    };
    shuffle();
    const ZipfSampler zipf(options.keys, kZipfExponent);
    std::vector<qint32> trace(static_cast<std::size_t>(options.requests));
    for (std::size_t i = 0; i < trace.size(); ++i) {
        if (shiftEvery > 0 && i > 0 && static_cast<qint64>(i) % shiftEvery == 0) {
            shuffle();
        }
        trace[i] = idOfRank[static_cast<std::size_t>(zipf(rng))];
    }
    return trace;
}

// Bélády's MIN with bypass, offline: evict (or do not admit) whichever of the cached items and
// the requested one is next used farthest in the future.
double optimalHitRate(const std::vector<qint32>& trace, qint64 keys, qint64 capacity) {
    const auto n = static_cast<qint64>(trace.size());
    const qint64 never = std::numeric_limits<qint64>::max();
    std::vector<qint64> nextUse(trace.size());
    std::vector<qint64> seenAt(static_cast<std::size_t>(keys), never);
    for (qint64 i = n - 1; i >= 0; --i) {
        const auto k = static_cast<std::size_t>(trace[static_cast<std::size_t>(i)]);
        nextUse[static_cast<std::size_t>(i)] = seenAt[k];
        seenAt[k] = i;
    }
    std::vector<qint64> cachedNext(static_cast<std::size_t>(keys), -1); // -1: not cached
    std::priority_queue<std::pair<qint64, qint32>> farthest;            // lazy: stale entries
    qint64 size = 0;
    qint64 hits = 0;
    for (qint64 i = 0; i < n; ++i) {
        const qint32 key = trace[static_cast<std::size_t>(i)];
        const auto k = static_cast<std::size_t>(key);
        const qint64 next = nextUse[static_cast<std::size_t>(i)];
        if (cachedNext[k] >= 0) {
            ++hits;
            cachedNext[k] = next;
            farthest.emplace(next, key);
            continue;
        }
        if (next == never) {
            continue; // never asked for again: not worth a slot
        }
        if (size < capacity) {
            ++size;
        } else {
            // Drop stale heap entries: a key no longer cached, or an older next-use of it.
            // (Never-again items share next == never, so the key is part of the check.)
            while (cachedNext[static_cast<std::size_t>(farthest.top().second)] !=
                   farthest.top().first) {
                farthest.pop();
            }
            const auto [farNext, farKey] = farthest.top();
            if (farNext <= next) {
                continue; // the requested item is the farthest: bypass
            }
            farthest.pop();
            cachedNext[static_cast<std::size_t>(farKey)] = -1;
        }
        cachedNext[k] = next;
        farthest.emplace(next, key);
    }
    return static_cast<double>(hits) / static_cast<double>(n);
}

// The reference: one recency list, one map, evict the back.
double plainLruHitRate(const std::vector<qint32>& trace, qint64 keys, qint64 capacity) {
    std::list<qint32> recency;
    std::vector<std::list<qint32>::iterator> where(static_cast<std::size_t>(keys));
    std::vector<bool> cached(static_cast<std::size_t>(keys), false);
    qint64 hits = 0;
    for (const qint32 key : trace) {
        const auto k = static_cast<std::size_t>(key);
        if (cached[k]) {
            ++hits;
            recency.splice(recency.begin(), recency, where[k]);
            continue;
        }
        if (static_cast<qint64>(recency.size()) >= capacity) {
            cached[static_cast<std::size_t>(recency.back())] = false;
            recency.pop_back();
        }
        recency.push_front(key);
        where[k] = recency.begin();
        cached[k] = true;
    }
    return static_cast<double>(hits) / static_cast<double>(trace.size());
}

// Which keys the trace asks for at all.
std::vector<bool> requestedKeys(const std::vector<qint32>& trace, qint64 keys) {
    std::vector<bool> seen(static_cast<std::size_t>(keys), false);
    for (const qint32 key : trace) {
        seen[static_cast<std::size_t>(key)] = true;
    }
    return seen;
}

// The best fixed set: the C keys the trace asks for most, each loaded on its first request and
// kept. Under independent requests from fixed popularities no online policy does better in
// the long run, so it shows how much of the gap to the optimum is within reach at all.
double fixedTopHitRate(const std::vector<qint32>& trace, qint64 keys, qint64 capacity) {
    std::vector<qint64> counts(static_cast<std::size_t>(keys), 0);
    for (const qint32 key : trace) {
        ++counts[static_cast<std::size_t>(key)];
    }
    std::sort(counts.begin(), counts.end(), std::greater<>());
    qint64 hits = 0;
    for (std::size_t i = 0; i < counts.size() && static_cast<qint64>(i) < capacity; ++i) {
        hits += std::max<qint64>(counts[i] - 1, 0);
    }
    return static_cast<double>(hits) / static_cast<double>(trace.size());
}

struct Keys {
    std::vector<QString> key;
    std::vector<QString> account;
};

Keys makeKeys(qint64 count) {
    Keys keys;
    keys.key.reserve(static_cast<std::size_t>(count));
    keys.account.reserve(static_cast<std::size_t>(count));
    for (qint64 id = 0; id < count; ++id) {
        const QString account = u"acc-"_s + QString::number(id % kAccounts);
        keys.key.push_back(cacheKey(u"emails", account,
                                    {{u"status"_s, u"opened"_s},
                                     {u"page"_s, QString::number(id / kAccounts)},
                                     {u"limit"_s, u"50"_s}}));
        keys.account.push_back(account);
    }
    return keys;
}

QueryCacheConfig trackedConfig(qint64 capacity, EvictionPolicy policy, int shards) {
    QueryCacheConfig config;
    config.trackedEmails.maxEntries = capacity;
    config.trackedEmails.policy = policy;
    config.trackedEmails.shards = shards;
    return config;
}

// A fresh serialized result for a put, as a real miss would produce: entries do not share one
// buffer (whose reference count both threads would then fight over on every get).
QByteArray payloadFor(qint32 id) {
    QByteArray payload(kPayloadBytes, 'x');
    std::memcpy(payload.data(), &id, sizeof id);
    return payload;
}

struct Replay {
    quint64 gets = 0;
    quint64 hits = 0;
    quint64 puts = 0;
};

// Read-through replay of trace[begin, end): get, and put on a miss.
Replay replay(QueryCache& cache, const Keys& keys, const std::vector<qint32>& trace,
              std::size_t begin, std::size_t end) {
    Replay r;
    for (std::size_t i = begin; i < end; ++i) {
        const auto k = static_cast<std::size_t>(trace[i]);
        ++r.gets;
        if (cache.get(CacheNamespace::TrackedEmails, keys.key[k])) {
            ++r.hits;
        } else {
            ++r.puts;
            cache.put(CacheNamespace::TrackedEmails, keys.key[k], keys.account[k],
                      payloadFor(trace[i]));
        }
    }
    return r;
}

int g_failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "CHECK FAILED: %s\n", what);
        ++g_failures;
    }
}

double simulatedHitRate(const Keys& keys, const std::vector<qint32>& trace, qint64 capacity,
                        EvictionPolicy policy) {
    // A clock that never moves: TTLs play no part in the policy comparison.
    QueryCache cache(trackedConfig(capacity, policy, 16), [] { return qint64{0}; });
    const Replay r = replay(cache, keys, trace, 0, trace.size());
    const CacheStats s = cache.stats(CacheNamespace::TrackedEmails);
    check(s.hits + s.misses == r.gets, "hits + misses == gets");
    check(s.hits == r.hits, "hits counted");
    check(s.puts == r.puts, "puts counted");
    check(s.entries <= capacity, "entries <= capacity");
    check(s.rejected == 0, "no rejected puts");
    return s.hitRate;
}

void hitRateTable(const char* title, const std::vector<qint32>& trace, const Keys& keys,
                  const Options& options) {
    const std::vector<bool> used = requestedKeys(trace, options.keys);
    const auto distinct = static_cast<qint64>(std::count(used.begin(), used.end(), true));
    std::printf("\nHit rate, %s (%lld distinct keys: no policy beats %.1f%%)\n", title,
                static_cast<long long>(distinct),
                100.0 * (1.0 - static_cast<double>(distinct) / static_cast<double>(trace.size())));
    std::printf("%-8s %7s | %7s | %7s | %8s %6s | %8s %6s | %9s %6s\n", "capacity", "entries",
                "optimal", "top-C", "plainLRU", "ratio", "cacheLRU", "ratio", "W-TinyLFU", "ratio");
    std::printf("%s\n", QByteArray(94, '-').constData());
    for (const double fraction : {0.01, 0.05, 0.10}) {
        const auto capacity =
            std::max<qint64>(1, std::llround(fraction * static_cast<double>(options.keys)));
        const double opt = optimalHitRate(trace, options.keys, capacity);
        const double topC = fixedTopHitRate(trace, options.keys, capacity);
        const double lru = plainLruHitRate(trace, options.keys, capacity);
        const double cacheLru = simulatedHitRate(keys, trace, capacity, EvictionPolicy::Lru);
        const double tiny = simulatedHitRate(keys, trace, capacity, EvictionPolicy::WTinyLfu);
        check(topC <= opt + 1e-12, "top-C <= optimal");
        check(lru <= opt + 1e-12, "plain LRU <= optimal");
        check(cacheLru <= opt + 1e-12, "cache LRU <= optimal");
        check(tiny <= opt + 1e-12, "W-TinyLFU <= optimal");
        check(opt > 0.0 && lru > 0.0 && cacheLru > 0.0 && tiny > 0.0, "hit rates above zero");
        std::printf("%7.0f%% %7lld | %6.2f%% | %6.2f%% | %7.2f%% %5.1f%% | %7.2f%% %5.1f%% | "
                    "%8.2f%% %5.1f%%\n",
                    fraction * 100.0, static_cast<long long>(capacity), 100.0 * opt, 100.0 * topC,
                    100.0 * lru, 100.0 * lru / opt, 100.0 * cacheLru, 100.0 * cacheLru / opt,
                    100.0 * tiny, 100.0 * tiny / opt);
    }
}

constexpr int kThroughputPasses = 3;

struct Throughput {
    double opsPerSecond = 0.0;
    double hitRate = 0.0;
};

Throughput measureThroughput(const Keys& keys, const std::vector<qint32>& trace, qint64 capacity,
                             EvictionPolicy policy, int shards, int threads) {
    QueryCache cache(trackedConfig(capacity, policy, shards)); // the real steady clock
    replay(cache, keys, trace, 0, trace.size()); // warm-up: the timed passes see steady state

    Throughput best;
    for (int pass = 0; pass < kThroughputPasses; ++pass) {
        const CacheStats before = cache.stats(CacheNamespace::TrackedEmails);
        std::vector<Replay> results(static_cast<std::size_t>(threads));
        std::vector<std::thread> workers;
        const std::size_t slice = trace.size() / static_cast<std::size_t>(threads);
        const auto started = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t) {
            const std::size_t begin = slice * static_cast<std::size_t>(t);
            const std::size_t end = t + 1 == threads ? trace.size() : begin + slice;
            workers.emplace_back([&, t, begin, end] {
                results[static_cast<std::size_t>(t)] = replay(cache, keys, trace, begin, end);
            });
        }
        for (std::thread& w : workers) {
            w.join();
        }
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;

        const CacheStats after = cache.stats(CacheNamespace::TrackedEmails);
        quint64 gets = 0;
        quint64 puts = 0;
        quint64 hits = 0;
        for (const Replay& r : results) {
            gets += r.gets;
            puts += r.puts;
            hits += r.hits;
        }
        check(after.hits + after.misses - (before.hits + before.misses) == gets,
              "threaded: hits + misses == gets");
        check(after.hits - before.hits == hits, "threaded: hits counted");
        check(after.puts - before.puts == puts, "threaded: puts counted");
        check(after.entries <= capacity, "threaded: entries <= capacity");
        const double opsPerSecond = static_cast<double>(gets + puts) / elapsed.count();
        check(opsPerSecond > 0.0, "throughput above zero");
        if (opsPerSecond > best.opsPerSecond) {
            best.opsPerSecond = opsPerSecond;
            best.hitRate = static_cast<double>(hits) / static_cast<double>(gets);
        }
    }
    return best;
}

struct Latency {
    qint64 p50 = 0;
    qint64 p99 = 0;
    CacheStats cache;
};

Latency measureLatency(const Keys& keys, const std::vector<qint32>& trace, qint64 capacity,
                       EvictionPolicy policy) {
    QueryCache cache(trackedConfig(capacity, policy, 16));
    replay(cache, keys, trace, 0, trace.size());
    std::vector<qint64> samples;
    samples.reserve(trace.size());
    for (const qint32 id : trace) {
        const auto k = static_cast<std::size_t>(id);
        const auto started = std::chrono::steady_clock::now();
        const std::optional<QByteArray> value =
            cache.get(CacheNamespace::TrackedEmails, keys.key[k]);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
        if (!value) {
            cache.put(CacheNamespace::TrackedEmails, keys.key[k], keys.account[k], payloadFor(id));
        }
    }
    Latency l;
    const auto at = [&](double p) {
        const auto i = std::min(samples.size() - 1,
                                static_cast<std::size_t>(p * static_cast<double>(samples.size())));
        std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(i),
                         samples.end());
        return samples[i];
    };
    l.p50 = at(0.50);
    l.p99 = at(0.99);
    l.cache = cache.stats(CacheNamespace::TrackedEmails);
    check(l.p50 > 0 && l.p50 <= l.p99, "latency percentiles ordered");
    return l;
}

Options parse(const QStringList& args) {
    Options options;
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        const bool hasValue = i + 1 < args.size();
        if (a == u"--smoke") {
            options.smoke = true;
            options.requests = 20'000;
            options.keys = 2'000;
        } else if (a == u"--requests" && hasValue) {
            options.requests = std::max<qint64>(args[++i].toLongLong(), 1);
        } else if (a == u"--keys" && hasValue) {
            options.keys = std::max<qint64>(args[++i].toLongLong(), 100);
        } else if (a == u"--seed" && hasValue) {
            options.seed = args[++i].toULongLong();
        } else {
            std::fprintf(stderr, "usage: bench_cache [--smoke] [--requests N] [--keys K] "
                                 "[--seed S]\n");
            std::exit(2);
        }
    }
    return options;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    const Options options = parse(QCoreApplication::arguments());
    const auto t0 = std::chrono::steady_clock::now();
    const Keys keys = makeKeys(options.keys);

    std::printf("Query cache benchmark: %lld requests over %lld keys, Zipf s=%.2f, seed %llu\n"
                "Read-through replay: get, and put on a miss. The cache runs with 16 shards.\n"
                "optimal = Belady MIN with bypass (offline upper bound for any policy);\n"
                "top-C = the C most requested keys held from the start (offline, fixed set);\n"
                "ratio = hit rate / optimal.\n",
                static_cast<long long>(options.requests), static_cast<long long>(options.keys),
                kZipfExponent, static_cast<unsigned long long>(options.seed));

    const std::vector<qint32> trace = makeTrace(options, 0);
    hitRateTable("stationary popularity", trace, keys, options);
    const qint64 shiftEvery = std::max<qint64>(1, options.requests / 10);
    const std::vector<qint32> shifting = makeTrace(options, shiftEvery);
    hitRateTable(qPrintable(u"popularity reshuffled every %1 requests"_s.arg(shiftEvery)), shifting,
                 keys, options);

    const auto capacity = std::max<qint64>(1, options.keys / 10);
    std::printf("\nRead-through throughput on the stationary trace, capacity %lld, warm cache, "
                "best of %d passes\n",
                static_cast<long long>(capacity), kThroughputPasses);
    std::printf("%-10s %7s %8s | %13s | %9s\n", "policy", "shards", "threads", "ops/s", "hit rate");
    std::printf("%s\n", QByteArray(56, '-').constData());
    struct Row {
        EvictionPolicy policy;
        int shards;
        int threads;
    };
    const Row rows[] = {
        {EvictionPolicy::WTinyLfu, 16, 1}, {EvictionPolicy::WTinyLfu, 16, 2},
        {EvictionPolicy::Lru, 16, 1},      {EvictionPolicy::Lru, 16, 2},
        {EvictionPolicy::Lru, 1, 2}, // one lock for the whole namespace, for comparison
    };
    for (const Row& row : rows) {
        const Throughput t =
            measureThroughput(keys, trace, capacity, row.policy, row.shards, row.threads);
        std::printf("%-10s %7d %8d | %13.0f | %8.2f%%\n",
                    qPrintable(evictionPolicyName(row.policy)), row.shards, row.threads,
                    t.opsPerSecond, 100.0 * t.hitRate);
    }

    std::printf(
        "\nget() latency, 1 thread, warm cache, capacity %lld: every get timed by the bench "
        "(exact), and the cache's own histogram over the same run\n",
        static_cast<long long>(capacity));
    std::printf("%-10s | %9s %9s | %12s %12s %12s\n", "policy", "p50", "p99", "cache p50",
                "cache p99", "cache mean");
    std::printf("%s\n", QByteArray(74, '-').constData());
    for (const EvictionPolicy policy : {EvictionPolicy::WTinyLfu, EvictionPolicy::Lru}) {
        const Latency l = measureLatency(keys, trace, capacity, policy);
        std::printf("%-10s | %7lldns %7lldns | %10lldns %10lldns %10lldns\n",
                    qPrintable(evictionPolicyName(policy)), static_cast<long long>(l.p50),
                    static_cast<long long>(l.p99), static_cast<long long>(l.cache.p50Get.count()),
                    static_cast<long long>(l.cache.p99Get.count()),
                    static_cast<long long>(l.cache.meanGet.count()));
    }

    const std::chrono::duration<double> total = std::chrono::steady_clock::now() - t0;
    std::printf("\n%d hardware threads; other processes on the machine skew the timings; %.1f s\n",
                static_cast<int>(std::thread::hardware_concurrency()), total.count());
    if (g_failures > 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    return 0;
}
