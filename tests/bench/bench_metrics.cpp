// SPDX-License-Identifier: MIT
// Metrics registry benchmark. Measures what recording costs on the hot path, on 1 and 2
// threads, side by side with the naive way of doing it:
//
//   histogram record   LatencyHistogram::record()   vs  one std::mutex around a
//                                                        std::vector<qint64>::push_back
//   counter increment  Counter::increment()         vs  one std::mutex around a
//                                                        std::unordered_map<name, count>
//   snapshot           MetricsRegistry::snapshot()  vs  copying and sorting each series'
//                      (200 series, an hour of data)    raw samples for P50/P95/P99
//
// and prints ns per operation and the ratio naive / registry. Threads record into one shared
// series (the contended case), or each into its own. The registry's results are checked:
// counts exact after the threads join, percentiles within 0.1% of the exactly sorted samples.
//
//   bench_metrics             10,000,000 operations per thread, best of 3 passes
//   bench_metrics --smoke     a tiny run for ctest; exits 1 if any check fails
//   bench_metrics --ops N
//
// Nothing here asserts a time: shared machines are too noisy for that.
#include "metrics/histogram.h"
#include "metrics/metrics_registry.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr int kPasses = 3;
constexpr int kValueCount = 4096; // a power of two: values[i & mask]

struct Options {
    bool smoke = false;
    qint64 ops = 10'000'000;
    int seriesSamples = 20'000; // per histogram series for the snapshot comparison
};

int g_failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "CHECK FAILED: %s\n", what);
        ++g_failures;
    }
}

// Latencies to record, drawn once so the timed loops do no random number work: log-normal
// around 2 ms, as request latencies are.
std::vector<qint64> makeValues() {
    std::mt19937_64 rng(2026);
    std::lognormal_distribution<double> ln(std::log(2e6), 1.0);
    std::vector<qint64> values(kValueCount);
    for (qint64& v : values) {
        v = static_cast<qint64>(ln(rng));
    }
    return values;
}

// Runs body(thread, ops) on `threads` threads started together; returns the slowest thread's
// ns per operation, best of kPasses.
template <typename Body> double timeThreads(int threads, qint64 ops, Body&& body) {
    double best = 1e300;
    for (int pass = 0; pass < kPasses; ++pass) {
        // A spinning start: a latch's futex wakes the threads milliseconds apart, long enough
        // for a short run to finish before the other thread begins.
        std::atomic<int> arrived{0};
        std::vector<double> nsPerOp(static_cast<std::size_t>(threads));
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                arrived.fetch_add(1);
                while (arrived.load() < threads) {
                }
                const auto begin = std::chrono::steady_clock::now();
                body(t, ops);
                const std::chrono::duration<double, std::nano> elapsed =
                    std::chrono::steady_clock::now() - begin;
                nsPerOp[static_cast<std::size_t>(t)] = elapsed.count() / static_cast<double>(ops);
            });
        }
        for (std::thread& w : workers) {
            w.join();
        }
        best = std::min(best, *std::max_element(nsPerOp.begin(), nsPerOp.end()));
    }
    return best;
}

// The naive histogram: every sample appended under one lock; a reader would take and sort
// them. Cleared now and then so memory stays bounded (keeps its capacity: no reallocation).
class NaiveHistogram {
public:
    NaiveHistogram() {
        m_values.resize(kClearAt); // touched now, so no page faults in the timed loop
        m_values.clear();
    }

    void record(qint64 value) {
        const std::lock_guard lock(m_mutex);
        if (m_values.size() >= kClearAt) {
            m_recorded += m_values.size();
            m_values.clear();
        }
        m_values.push_back(value);
    }
    quint64 count() {
        const std::lock_guard lock(m_mutex);
        return m_recorded + m_values.size();
    }

private:
    static constexpr std::size_t kClearAt = std::size_t{1} << 20;

    std::mutex m_mutex;
    std::vector<qint64> m_values;
    quint64 m_recorded = 0;
};

// The naive counter: a map from name to count under one lock, looked up on every increment.
class NaiveCounters {
public:
    void increment(const std::string& name) {
        const std::lock_guard lock(m_mutex);
        ++m_counts[name];
    }
    quint64 value(const std::string& name) {
        const std::lock_guard lock(m_mutex);
        return m_counts[name];
    }

private:
    std::mutex m_mutex;
    std::unordered_map<std::string, quint64> m_counts;
};

struct Row {
    const char* operation;
    int threads;
    double registry;
    double naive;
    const char* unit;
};

void printRow(const Row& row) {
    std::printf("%-34s %7d | %12.1f %s | %12.1f %s | %8.1fx\n", row.operation, row.threads,
                row.registry, row.unit, row.naive, row.unit, row.naive / row.registry);
}

// Every thread records into one shared series, or (ownSeries) each into its own.
Row histogramRow(const std::vector<qint64>& values, int threads, qint64 ops, bool ownSeries) {
    MetricsRegistry registry([] { return qint64{0}; });
    std::vector<LatencyHistogram*> series;
    for (int t = 0; t < threads; ++t) {
        series.push_back(&registry.histogram(u"bench_record_seconds"_s,
                                             {{u"thread"_s, QString::number(ownSeries ? t : 0)}}));
    }
    const double ours = timeThreads(threads, ops, [&](int t, qint64 n) {
        LatencyHistogram& h = *series[static_cast<std::size_t>(t)];
        for (qint64 i = 0; i < n; ++i) {
            h.record(values[static_cast<std::size_t>((i + t * 977) & (kValueCount - 1))]);
        }
    });
    const MetricsSnapshot s = registry.snapshot(0);
    quint64 recorded = 0;
    for (const MetricSnapshot& m : s.metrics) {
        recorded += m.count;
    }
    check(recorded == static_cast<quint64>(kPasses) * static_cast<quint64>(threads * ops),
          "histogram: every sample counted");

    std::vector<NaiveHistogram> naive(static_cast<std::size_t>(ownSeries ? threads : 1));
    const double theirs = timeThreads(threads, ops, [&](int t, qint64 n) {
        NaiveHistogram& h = naive[ownSeries ? static_cast<std::size_t>(t) : 0];
        for (qint64 i = 0; i < n; ++i) {
            h.record(values[static_cast<std::size_t>((i + t * 977) & (kValueCount - 1))]);
        }
    });
    quint64 naiveRecorded = 0;
    for (NaiveHistogram& h : naive) {
        naiveRecorded += h.count();
    }
    check(naiveRecorded == static_cast<quint64>(kPasses) * static_cast<quint64>(threads * ops),
          "naive histogram: every sample counted");
    return {ownSeries ? "histogram record, a series each" : "histogram record, one series", threads,
            ours, theirs, "ns"};
}

Row counterRow(int threads, qint64 ops) {
    MetricsRegistry registry([] { return qint64{0}; });
    Counter& c = registry.counter(u"bench_events"_s, {{u"route"_s, u"/emails"_s}});
    const double ours = timeThreads(threads, ops, [&](int, qint64 n) {
        for (qint64 i = 0; i < n; ++i) {
            c.increment();
        }
    });
    check(c.value() == static_cast<quint64>(kPasses) * static_cast<quint64>(threads * ops),
          "counter: every increment counted");

    NaiveCounters naive;
    const std::string name = "bench_events{route=\"/emails\"}";
    const double theirs = timeThreads(threads, ops, [&](int, qint64 n) {
        for (qint64 i = 0; i < n; ++i) {
            naive.increment(name);
        }
    });
    check(naive.value(name) == static_cast<quint64>(kPasses) * static_cast<quint64>(threads * ops),
          "naive counter: every increment counted");
    return {"counter increment", threads, ours, theirs, "ns"};
}

// 100 histograms, 80 counters and 20 gauges, recorded into over an hour of simulated time
// (collected every 10 s); the same samples kept raw for the naive snapshot.
struct SnapshotResult {
    Row snapshot;
    double exportMicros = 0;
    qsizetype exportBytes = 0;
};

SnapshotResult snapshotRow(const std::vector<qint64>& values, const Options& options) {
    constexpr int kHistograms = 100;
    constexpr int kCounters = 80;
    constexpr int kGauges = 20;
    qint64 now = 1000 * 3600 * kSecond;
    MetricsRegistry registry([&now] { return now; });
    std::vector<LatencyHistogram*> histograms;
    std::vector<Counter*> counters;
    for (int i = 0; i < kHistograms; ++i) {
        histograms.push_back(&registry.histogram(u"bench_query_duration_seconds"_s,
                                                 {{u"query"_s, u"q"_s + QString::number(i)}},
                                                 u"Query time."_s));
    }
    for (int i = 0; i < kCounters; ++i) {
        counters.push_back(&registry.counter(
            u"bench_requests"_s, {{u"route"_s, u"/r"_s + QString::number(i)}}, u"Requests."_s));
    }
    for (int i = 0; i < kGauges; ++i) {
        registry.gauge(u"bench_queue_depth"_s, {{u"queue"_s, QString::number(i)}}, u"Depth."_s)
            .set(i);
    }
    std::vector<std::vector<qint64>> raw(kHistograms);
    const int steps = 360; // an hour in 10 s steps
    const int perStep = std::max(1, options.seriesSamples / steps);
    std::size_t k = 0;
    for (int step = 0; step < steps; ++step) {
        for (int h = 0; h < kHistograms; ++h) {
            for (int i = 0; i < perStep; ++i) {
                const qint64 v = values[k++ & (kValueCount - 1)] + h;
                histograms[static_cast<std::size_t>(h)]->record(v);
                raw[static_cast<std::size_t>(h)].push_back(v);
            }
        }
        for (Counter* c : counters) {
            c->increment(static_cast<quint64>(perStep));
        }
        now += 10 * kSecond;
        registry.collect();
    }

    // The registry's snapshot, then a check of its 1-hour percentiles against the raw data.
    const int reps = options.smoke ? 5 : 50;
    MetricsSnapshot s;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
        s = registry.snapshot();
    }
    const std::chrono::duration<double, std::micro> ours = std::chrono::steady_clock::now() - t0;
    check(s.metrics.size() == kHistograms + kCounters + kGauges, "snapshot: 200 series");

    // The naive snapshot: copy each series' samples of the last hour and sort them.
    std::vector<std::array<qint64, 3>> naivePercentiles(kHistograms);
    std::mutex naiveMutex;
    const auto t1 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
        for (int h = 0; h < kHistograms; ++h) {
            std::vector<qint64> copy;
            {
                const std::lock_guard lock(naiveMutex);
                copy = raw[static_cast<std::size_t>(h)];
            }
            std::sort(copy.begin(), copy.end());
            const auto at = [&](double p) {
                const auto rank = static_cast<std::size_t>(
                    std::ceil(p * static_cast<double>(copy.size()) / 100.0));
                return copy[std::clamp<std::size_t>(rank, 1, copy.size()) - 1];
            };
            naivePercentiles[static_cast<std::size_t>(h)] = {at(50), at(95), at(99)};
        }
    }
    const std::chrono::duration<double, std::micro> theirs = std::chrono::steady_clock::now() - t1;

    // The hour window holds the most recent w.count samples: compare against the exact
    // percentiles of those.
    for (int h = 0; h < kHistograms; ++h) {
        const MetricSnapshot* m =
            s.find(u"bench_query_duration_seconds", {{u"query"_s, u"q"_s + QString::number(h)}});
        check(m && m->count == raw[static_cast<std::size_t>(h)].size(),
              "snapshot: lifetime count exact");
        if (!m || m->window(MetricWindow::OneHour).count == 0) {
            check(false, "snapshot: the hour window holds samples");
            continue;
        }
        const MetricWindowStats& w = m->window(MetricWindow::OneHour);
        const std::vector<qint64>& all = raw[static_cast<std::size_t>(h)];
        std::vector<qint64> held(all.end() - static_cast<std::ptrdiff_t>(w.count), all.end());
        std::sort(held.begin(), held.end());
        const auto exact = [&](double p) {
            const auto rank =
                static_cast<std::size_t>(std::ceil(p * static_cast<double>(held.size()) / 100.0));
            return held[std::clamp<std::size_t>(rank, 1, held.size()) - 1];
        };
        const auto close = [](qint64 got, qint64 want) {
            return got >= want && static_cast<double>(got - want) <= 0.001 * want;
        };
        check(close(w.p50, exact(50)) && close(w.p95, exact(95)) && close(w.p99, exact(99)),
              "snapshot: hour percentiles within 0.1%");
        check(w.max == held.back(), "snapshot: hour max exact");
    }
    check(!naivePercentiles.empty() && naivePercentiles[0][0] > 0, "naive percentiles computed");

    const auto t2 = std::chrono::steady_clock::now();
    QByteArray text;
    for (int r = 0; r < reps; ++r) {
        text = registry.prometheusText();
    }
    const std::chrono::duration<double, std::micro> exported =
        std::chrono::steady_clock::now() - t2;
    check(text.count("_bucket{") == kHistograms * Histogram::kPrometheusBucketCount,
          "prometheus: every bucket line");

    SnapshotResult result;
    result.snapshot = {"snapshot, 200 series (100 hist.)", 1, ours.count() / reps,
                       theirs.count() / reps, "us"};
    result.exportMicros = exported.count() / reps;
    result.exportBytes = text.size();
    return result;
}

Options parse(const QStringList& args) {
    Options options;
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        if (a == u"--smoke") {
            options.smoke = true;
            options.ops = 200'000;
            options.seriesSamples = 3'600;
        } else if (a == u"--ops" && i + 1 < args.size()) {
            options.ops = std::max<qint64>(args[++i].toLongLong(), 1'000);
        } else {
            std::fprintf(stderr, "usage: bench_metrics [--smoke] [--ops N]\n");
            std::exit(2);
        }
    }
    return options;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    const Options options = parse(QCoreApplication::arguments());
    const auto started = std::chrono::steady_clock::now();
    const std::vector<qint64> values = makeValues();

    std::printf("Metrics registry benchmark: %lld operations per thread, best of %d passes.\n"
                "Time per operation of the slowest thread. naive = one std::mutex around a\n"
                "std::vector push_back (histogram) or a std::unordered_map lookup (counter);\n"
                "counters: all threads increment one series. ratio = naive / registry.\n\n",
                static_cast<long long>(options.ops), kPasses);
    std::printf("%-34s %7s | %15s | %15s | %9s\n", "operation", "threads", "registry", "naive",
                "ratio");
    std::printf("%s\n", QByteArray(90, '-').constData());

    std::vector<Row> rows;
    for (const int threads : {1, 2}) {
        rows.push_back(histogramRow(values, threads, options.ops, false));
        printRow(rows.back());
    }
    rows.push_back(histogramRow(values, 2, options.ops, true));
    printRow(rows.back());
    for (const int threads : {1, 2}) {
        rows.push_back(counterRow(threads, options.ops));
        printRow(rows.back());
    }
    const SnapshotResult snap = snapshotRow(values, options);
    printRow(snap.snapshot);
    std::printf("%-34s %7d | %12.1f us | %15s |\n", "prometheusText, 200 series", 1,
                snap.exportMicros, qPrintable(u"%1 bytes"_s.arg(snap.exportBytes)));

    const double worstRecord = std::max({rows[0].registry, rows[1].registry, rows[2].registry});
    std::printf("\nGoal: a histogram sample under 20 ns on 1 and 2 threads: %s (worst %.1f ns)\n",
                worstRecord < 20.0 ? "met" : "NOT met", worstRecord);
    const std::chrono::duration<double> total = std::chrono::steady_clock::now() - started;
    std::printf("%d hardware threads; other processes on the machine skew the timings; %.1f s\n",
                static_cast<int>(std::thread::hardware_concurrency()), total.count());
    if (g_failures > 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    return 0;
}
