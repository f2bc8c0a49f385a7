// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "metrics/histogram.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace trackwatch::core {

// Label name -> value pairs of one series, in any order (e.g. {"route", "/emails"}).
using MetricLabels = QList<std::pair<QString, QString>>;

enum class MetricType { Counter, Gauge, Histogram };
QString metricTypeName(MetricType type); // "counter", "gauge", "histogram"

// The rolling windows. Each is kept as a ring of chunks plus the chunk being filled, so it
// covers its length plus up to one chunk: 1 minute in 10 s chunks (60-70 s), 5 minutes in
// 30 s chunks (300-330 s), 1 hour in 5-minute chunks (60-65 min). Chunks start at multiples of
// their length on the registry's time source.
enum class MetricWindow { OneMinute, FiveMinutes, OneHour };
inline constexpr int kMetricWindowCount = 3;
QString metricWindowName(MetricWindow window); // "1m", "5m", "1h"

// One window of one series.
struct MetricWindowStats {
    // The time the window covered: its length plus the part of the current chunk that has
    // passed, less whatever lay before the registry was created.
    std::chrono::nanoseconds span{0};
    quint64 count = 0;         // counter: increments; histogram: samples
    double ratePerSecond = 0.; // count / span
    // Histograms only, in ns. Percentiles within 0.1% (see Histogram); max and mean exact.
    qint64 p50 = 0;
    qint64 p95 = 0;
    qint64 p99 = 0;
    qint64 max = 0;
    double mean = 0.;
};

// One series as plain values.
struct MetricSnapshot {
    QString name;        // sanitized; counters without the exported "_total"
    MetricLabels labels; // sanitized names, sorted by name
    MetricType type = MetricType::Counter;
    QString help;
    double value = 0.; // counter: its total; gauge: its value; histogram: lifetime mean (ns)
    quint64 count = 0; // counter: its total; histogram: samples since start
    qint64 sum = 0;    // histogram: ns since start (saturating)
    qint64 min = 0;    // histogram: exact lifetime extremes, ns
    qint64 max = 0;
    std::array<MetricWindowStats, kMetricWindowCount> windows{};

    const MetricWindowStats& window(MetricWindow w) const {
        return windows[static_cast<std::size_t>(w)];
    }
};

struct MetricsSnapshot {
    qint64 takenAt = 0;            // the registry's time source, ns
    QList<MetricSnapshot> metrics; // sorted by name, then labels

    // The series with this (unsanitized or sanitized) name and these labels, in any order.
    const MetricSnapshot* find(QStringView name, const MetricLabels& labels = {}) const;
};

namespace detail::metrics {
// Threads that record get an exclusive slot (their own counter cell and sample buffer in
// every series) while they live; a slot is reused after its thread ends. Threads beyond this
// many at once share one extra slot and record with atomic read-modify-writes (counters) or
// under the series lock (histograms): still exact, only slower.
inline constexpr int kThreadSlots = 64;
struct CounterCell;
struct SampleBuffer;
struct HistogramState;
struct Series;
class ChunkScratch;
} // namespace detail::metrics

// A monotonically increasing count. increment() takes no lock: each thread adds to its own
// cache line with a relaxed load and store (no locked instruction; a thread's first increment
// allocates its 64-byte cell); readers sum the cells. Owned by its registry and valid as long
// as it is. Thread-safe.
class Counter {
public:
    ~Counter();
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;

    void increment(quint64 by = 1);
    // The sum over all threads' cells; increments that run concurrently may or may not be in.
    quint64 value() const;

private:
    friend class MetricsRegistry;
    Counter();
    detail::metrics::CounterCell* makeCell(int slot);

    std::array<std::atomic<detail::metrics::CounterCell*>, detail::metrics::kThreadSlots + 1>
        m_cells{};
};

// A value that goes up and down (queue depth, entries). One atomic double. Thread-safe.
class Gauge {
public:
    Gauge(const Gauge&) = delete;
    Gauge& operator=(const Gauge&) = delete;

    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    void add(double delta) { m_value.fetch_add(delta, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    friend class MetricsRegistry;
    Gauge() = default;

    std::atomic<double> m_value{0.};
};

// A latency distribution (ns) with lifetime totals, rolling windows and Prometheus buckets.
// record() appends the value to the calling thread's own ring of 256 samples (a store and a
// release store; no lock; a thread's first record allocates its 2 KiB ring). When the ring is
// full, that thread converts the samples to buckets and adds them under the series lock;
// collections take whatever is left. Owned by its registry and valid as long as it is.
// Thread-safe.
class LatencyHistogram {
public:
    ~LatencyHistogram();
    LatencyHistogram(const LatencyHistogram&) = delete;
    LatencyHistogram& operator=(const LatencyHistogram&) = delete;

    void record(qint64 nanos);
    void record(std::chrono::nanoseconds duration) { record(duration.count()); }

    // Records the steady-clock time from its construction to its destruction.
    class ScopedTimer {
    public:
        explicit ScopedTimer(LatencyHistogram& histogram)
            : m_histogram(histogram)
            , m_started(std::chrono::steady_clock::now()) {}
        ~ScopedTimer() { m_histogram.record(std::chrono::steady_clock::now() - m_started); }
        ScopedTimer(const ScopedTimer&) = delete;
        ScopedTimer& operator=(const ScopedTimer&) = delete;

    private:
        LatencyHistogram& m_histogram;
        std::chrono::steady_clock::time_point m_started;
    };

private:
    friend class MetricsRegistry;
    LatencyHistogram();
    detail::metrics::SampleBuffer* makeBuffer(int slot);
    void drainFull(detail::metrics::SampleBuffer& buffer);

    std::array<std::atomic<detail::metrics::SampleBuffer*>, detail::metrics::kThreadSlots>
        m_buffers{};
    std::unique_ptr<detail::metrics::HistogramState> m_state;
};

// Named counters, gauges and latency histograms, each series optionally labelled, with rolling
// windows (see MetricWindow), plain snapshots and a Prometheus text exposition.
//
// Look a series up once and keep the reference: the lookup builds and hashes a key under a
// lock; recording through the reference does neither. A name keeps the type it was first
// registered with; asking for it as another type logs a warning and returns a working metric
// that is never reported. Names are sanitized to snake_case [a-z_:][a-z0-9_:]* (other
// characters become '_', "cacheGet" becomes "cache_get"), label names the same without ':'.
// Name latency histograms in seconds ("..._seconds"): they are exported in seconds. Series
// live as long as the registry, so label values must come from a bounded set (a route
// pattern, not a URL with an id in it).
//
// Windows and rates move only with the injected time source (tests never sleep), and only
// when the registry collects: snapshot(), prometheusText() and collect() drain the threads'
// buffers, and whatever was recorded since the previous collection (samples and increments)
// counts in the chunk that holds the collection's time, since recording never reads a clock.
// Call collect() every few seconds (a timer) so windows are exact to that period.
//
// Memory per histogram series: the counts since the last collection in 8 KiB pages (one per
// power of two it has seen), 8 bytes per non-empty bucket in each of the windows' chunks (the
// open one and 6 + 10 + 12 closed ones), and 2 KiB per thread that records into it.
// Percentiles over a window are computed when a snapshot asks for them.
//
// Thread-safe: every member may be called concurrently. Collections are serialized with each
// other; recording never waits for one, except for the series lock a thread takes once per 256
// samples. The registry must outlive every thread that records into it.
class MetricsRegistry {
public:
    // Monotonic time in nanoseconds. Must be safe to call from any thread.
    using TimeSource = std::function<qint64()>;

    static constexpr qint64 kIntervalNanos = 10'000'000'000; // the 1-minute window's chunk
    // Content type of prometheusText(), for an HTTP /metrics handler.
    static constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

    // An empty time source means steady_clock.
    explicit MetricsRegistry(TimeSource now = {});
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Adapts a Clock (wall time at millisecond precision) for callers that already share one.
    static TimeSource fromClock(const Clock& clock);
    static qint64 steadyNanos();

    // The series for name and labels, created on first use (help: the first non-empty text
    // given wins). A trailing "_total" in a counter's name is dropped: it is exported as
    // <name>_total.
    Counter& counter(const QString& name, const MetricLabels& labels = {},
                     const QString& help = {});
    Gauge& gauge(const QString& name, const MetricLabels& labels = {}, const QString& help = {});
    LatencyHistogram& histogram(const QString& name, const MetricLabels& labels = {},
                                const QString& help = {});

    // Drains the threads' sample buffers and advances the windows to now (the time source's
    // time, or the one given; a time before the last collection counts as that one).
    void collect();
    void collect(qint64 nowNanos);

    // Every series with its value, lifetime totals and windows, after collecting.
    MetricsSnapshot snapshot();
    MetricsSnapshot snapshot(qint64 nowNanos);

    // One window of every histogram series with this (unsanitized or sanitized) name merged
    // over all their label values, after collecting: count, rate, percentiles, max and mean
    // as if one series had recorded every sample (zero when there is none). For figures such
    // as "database query P95, all statements".
    MetricWindowStats mergedWindow(QStringView name, MetricWindow window);
    MetricWindowStats mergedWindow(QStringView name, MetricWindow window, qint64 nowNanos);

    // The Prometheus text format 0.0.4, after collecting: one "# HELP" and "# TYPE" per family,
    // families sorted by name; counters as <name>_total; histograms in seconds with
    // cumulative _bucket{le="..."} lines for Histogram::kPrometheusBounds and +Inf, _sum and
    // _count. Label values are escaped (\\, \", \n), as is help text (\\, \n).
    QByteArray prometheusText();

    static QString sanitizeMetricName(QStringView name);
    static QString sanitizeLabelName(QStringView name);

private:
    detail::metrics::Series& series(MetricType type, const QString& name,
                                    const MetricLabels& labels, const QString& help);
    void collectLocked(qint64 now);
    qint64 now() const;

    TimeSource m_now; // empty: steady clock
    qint64 m_start = 0;

    mutable std::mutex m_registryMutex; // the series list and index
    struct Index;
    std::unique_ptr<Index> m_index;

    std::mutex m_collectMutex; // collections, windows and the scratch buffer
    std::atomic<qint64> m_lastCollect{0};
    std::unique_ptr<detail::metrics::ChunkScratch> m_scratch;
};

} // namespace trackwatch::core
