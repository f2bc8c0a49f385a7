// SPDX-License-Identifier: MIT
#include "metrics/metrics_registry.h"

#include "common/logging.h"

#include <QHash>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <limits>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace detail::metrics {
namespace {

// --- Thread slots ------------------------------------------------------------------------

constexpr int kOverflowSlot = kThreadSlots;

struct SlotPool {
    std::mutex mutex;
    std::vector<int> released;
    int next = 0;
};

// Never destroyed: threads can end (and give their slot back) after static destruction.
SlotPool& slotPool() {
    static auto* pool = new SlotPool;
    return *pool;
}

// The calling thread's slot: -1 until its first recording. Constant-initialized, so reading it
// is one TLS load with no initialization check.
[[gnu::tls_model("initial-exec")]] thread_local int t_slot = -1;

// Gives the slot back when its thread ends. Recording from code that runs later in the
// thread's exit goes through the shared overflow slot, which is always safe.
struct SlotOwner {
    int slot = -1;
    SlotOwner() = default;
    SlotOwner(const SlotOwner&) = delete;
    SlotOwner& operator=(const SlotOwner&) = delete;
    ~SlotOwner() {
        if (slot >= 0 && slot < kOverflowSlot) {
            SlotPool& pool = slotPool();
            const std::lock_guard lock(pool.mutex);
            pool.released.push_back(slot);
        }
        t_slot = kOverflowSlot;
    }
};

int acquireSlot() {
    thread_local SlotOwner owner;
    SlotPool& pool = slotPool();
    {
        // The pool's mutex also orders a reused slot's buffers and cells: everything the
        // previous owner wrote happens before the new owner's first write.
        const std::lock_guard lock(pool.mutex);
        if (!pool.released.empty()) {
            owner.slot = pool.released.back();
            pool.released.pop_back();
        } else if (pool.next < kOverflowSlot) {
            owner.slot = pool.next++;
        } else {
            owner.slot = kOverflowSlot;
        }
    }
    t_slot = owner.slot;
    return owner.slot;
}

inline int currentSlot() {
    const int slot = t_slot;
    return slot >= 0 ? slot : acquireSlot();
}

} // namespace

// --- Chunks: the windows' storage -------------------------------------------------------

constexpr int kLevels = kMetricWindowCount;
constexpr qint64 kSecondNanos = 1'000'000'000;
// Chunk length per window, chunks kept per window, and how many chunks of one level make one
// of the next.
constexpr std::array<qint64, kLevels> kChunkNanos{MetricsRegistry::kIntervalNanos,
                                                  30 * kSecondNanos, 300 * kSecondNanos};
constexpr std::array<qint64, kLevels> kChunksKept{6, 10, 12};
constexpr std::array<qint64, kLevels - 1> kChunksPerUpper{3, 10};
static_assert(kChunkNanos[0] * kChunksKept[0] == 60 * kSecondNanos);
static_assert(kChunkNanos[1] * kChunksKept[1] == 300 * kSecondNanos);
static_assert(kChunkNanos[2] * kChunksKept[2] == 3600 * kSecondNanos);
static_assert(kChunkNanos[0] * kChunksPerUpper[0] == kChunkNanos[1]);
static_assert(kChunkNanos[1] * kChunksPerUpper[1] == kChunkNanos[2]);
// Composing a window's current chunk needs the closed lower-level chunks inside it.
static_assert(kChunksKept[0] >= kChunksPerUpper[0] - 1 && kChunksKept[1] >= kChunksPerUpper[1] - 1);

// A chunk's counts are kept as (count << 16 | bucket index), ascending by index: 8 bytes per
// non-empty bucket instead of the 264 KiB of a flat histogram.
constexpr int kEntryIndexBits = 16;
constexpr quint64 kEntryIndexMask = (quint64{1} << kEntryIndexBits) - 1;
constexpr quint64 kMaxEntryCount = std::numeric_limits<quint64>::max() >> kEntryIndexBits;
static_assert(Histogram::kBucketCount <= (1 << kEntryIndexBits));

void appendEntry(std::vector<quint64>& entries, int index, quint64 count) {
    // A bucket above 2^48 samples in one chunk cannot happen in practice; split it anyway.
    while (count > kMaxEntryCount) {
        entries.push_back(kMaxEntryCount << kEntryIndexBits | static_cast<quint64>(index));
        count -= kMaxEntryCount;
    }
    entries.push_back(count << kEntryIndexBits | static_cast<quint64>(index));
}

struct ChunkStats {
    quint64 count = 0;
    qint64 sum = 0;
    qint64 min = std::numeric_limits<qint64>::max();
    qint64 max = 0;

    void add(qint64 value) {
        ++count;
        sum = saturatingAdd(sum, value);
        min = std::min(min, value);
        max = std::max(max, value);
    }
    void merge(const ChunkStats& other) {
        count += other.count;
        sum = saturatingAdd(sum, other.sum);
        min = std::min(min, other.min);
        max = std::max(max, other.max);
    }
};

struct Chunk {
    qint64 index = 0; // in units of its level's chunk length
    ChunkStats stats;
    std::vector<quint64> entries; // histograms only
};

// A flat histogram used to merge chunks and to compute a window's percentiles. Only the
// buckets between lo and hi are ever non-zero, so clearing is cheap.
class ChunkScratch {
public:
    ChunkScratch()
        : m_counts(static_cast<std::size_t>(Histogram::kBucketCount), 0) {}

    void add(const Chunk& chunk) {
        m_stats.merge(chunk.stats);
        for (const quint64 entry : chunk.entries) {
            const auto index = static_cast<int>(entry & kEntryIndexMask);
            m_counts[static_cast<std::size_t>(index)] += entry >> kEntryIndexBits;
            m_total += entry >> kEntryIndexBits;
            m_lo = std::min(m_lo, index);
            m_hi = std::max(m_hi, index);
        }
    }

    const ChunkStats& stats() const { return m_stats; }

    void percentiles(std::span<const double> ps, std::span<qint64> out) const {
        percentilesOf(m_counts.data(), m_lo, m_hi, m_total, m_stats.min, m_stats.max, ps, out);
    }

    // The merged chunk; leaves the scratch empty.
    Chunk take() {
        Chunk merged;
        merged.stats = m_stats;
        for (int i = m_lo; i <= m_hi; ++i) {
            if (const quint64 c = m_counts[static_cast<std::size_t>(i)]) {
                appendEntry(merged.entries, i, c);
            }
        }
        clear();
        return merged;
    }

    void clear() {
        if (m_lo <= m_hi) {
            std::fill(m_counts.begin() + m_lo, m_counts.begin() + m_hi + 1, quint64{0});
        }
        m_lo = std::numeric_limits<int>::max();
        m_hi = -1;
        m_total = 0;
        m_stats = {};
    }

private:
    std::vector<quint64> m_counts;
    int m_lo = std::numeric_limits<int>::max();
    int m_hi = -1;
    quint64 m_total = 0;
    ChunkStats m_stats;
};

qint64 floorDiv(qint64 a, qint64 b) {
    const qint64 q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// One series' closed chunks at the three levels. The open base chunk's content lives with
// the metric (a counter's open count, a histogram's open buckets); advance() receives it.
//
// Window l at base chunk k0 (k1 = k0 / 3, k2 = k1 / 10 the chunks holding it) is the open
// base chunk, the closed chunks of the lower levels inside the current level-l chunk, and the
// last kChunksKept[l] closed level-l chunks. A level-l chunk is merged from the level below
// when that level's chunks move past its end.
class Windows {
public:
    explicit Windows(qint64 base)
        : m_base(base) {}

    qint64 base() const { return m_base; }

    // Closes the open base chunk (its content in closed) and opens newBase (> base()).
    void advance(qint64 newBase, Chunk closed, ChunkScratch& scratch) {
        Q_ASSERT(newBase > m_base);
        if (closed.stats.count > 0) {
            closed.index = m_base;
            m_rings[0].push_back(std::move(closed));
        }
        qint64 oldIndex = m_base;
        qint64 newIndex = newBase;
        for (int l = 1; l < kLevels; ++l) {
            const qint64 per = kChunksPerUpper[static_cast<std::size_t>(l - 1)];
            const qint64 oldUpper = floorDiv(oldIndex, per);
            const qint64 newUpper = floorDiv(newIndex, per);
            if (oldUpper != newUpper) {
                scratch.clear();
                for (const Chunk& c : m_rings[static_cast<std::size_t>(l - 1)]) {
                    if (floorDiv(c.index, per) == oldUpper) {
                        scratch.add(c);
                    }
                }
                Chunk merged = scratch.take();
                if (merged.stats.count > 0) {
                    merged.index = oldUpper;
                    m_rings[static_cast<std::size_t>(l)].push_back(std::move(merged));
                }
            }
            oldIndex = oldUpper;
            newIndex = newUpper;
        }
        m_base = newBase;
        for (int l = 0; l < kLevels; ++l) {
            std::deque<Chunk>& ring = m_rings[static_cast<std::size_t>(l)];
            const qint64 keepFrom = indexAt(l) - kChunksKept[static_cast<std::size_t>(l)];
            while (!ring.empty() && ring.front().index < keepFrom) {
                ring.pop_front();
            }
        }
    }

    // Visits the closed chunks of window level (the open base chunk is the caller's).
    template <typename F> void forEachInWindow(int level, F&& f) const {
        for (int j = 0; j <= level; ++j) {
            const qint64 current = indexAt(j);
            const qint64 from = j < level
                                    ? indexAt(j + 1) * kChunksPerUpper[static_cast<std::size_t>(j)]
                                    : current - kChunksKept[static_cast<std::size_t>(j)];
            for (const Chunk& c : m_rings[static_cast<std::size_t>(j)]) {
                if (c.index >= from && c.index < current) {
                    f(c);
                }
            }
        }
    }

    // Where window level begins, ns.
    qint64 windowStart(int level) const {
        const auto l = static_cast<std::size_t>(level);
        return (indexAt(level) - kChunksKept[l]) * kChunkNanos[l];
    }

private:
    qint64 indexAt(int level) const {
        qint64 index = m_base;
        for (int l = 0; l < level; ++l) {
            index = floorDiv(index, kChunksPerUpper[static_cast<std::size_t>(l)]);
        }
        return index;
    }

    qint64 m_base;
    std::array<std::deque<Chunk>, kLevels> m_rings;
};

// A histogram's samples since the last collection, in pages of 1024 buckets allocated on
// first use and kept for reuse: a latency series touches a few powers of two, not all 33.
class PagedCounts {
public:
    void add(int index) {
        std::unique_ptr<quint64[]>& page = m_pages[static_cast<std::size_t>(index >> kPageBits)];
        if (!page) [[unlikely]] {
            page = std::make_unique<quint64[]>(kPageSize); // zeroed
        }
        ++page[static_cast<std::size_t>(index & (kPageSize - 1))];
        m_lo = std::min(m_lo, index);
        m_hi = std::max(m_hi, index);
    }

    // Visits the non-zero counts as f(index, count), ascending.
    template <typename F> void forEach(F&& f) const {
        for (int i = m_lo; i <= m_hi; ++i) {
            const quint64* page = m_pages[static_cast<std::size_t>(i >> kPageBits)].get();
            if (!page) {
                i |= kPageSize - 1; // skip the page
                continue;
            }
            if (const quint64 c = page[i & (kPageSize - 1)]) {
                f(i, c);
            }
        }
    }

    void clear() {
        for (int i = m_lo; i <= m_hi; ++i) {
            if (quint64* page = m_pages[static_cast<std::size_t>(i >> kPageBits)].get()) {
                page[i & (kPageSize - 1)] = 0;
            }
        }
        m_lo = std::numeric_limits<int>::max();
        m_hi = -1;
    }

private:
    static constexpr int kPageBits = 10;
    static constexpr int kPageSize = 1 << kPageBits;
    static constexpr int kPages = Histogram::kBucketCount / kPageSize;
    static_assert(Histogram::kBucketCount % kPageSize == 0);

    std::array<std::unique_ptr<quint64[]>, kPages> m_pages;
    int m_lo = std::numeric_limits<int>::max();
    int m_hi = -1;
};

// --- Per-thread recording ---------------------------------------------------------------

struct alignas(64) CounterCell {
    std::atomic<quint64> value{0};
};

// A single-producer ring of raw samples: the slot's thread appends; drainers (that thread
// when the ring is full, and collections) claim what is there by moving tail with a
// compare-and-swap after copying it out, so each sample is taken exactly once and the
// conversion work happens outside the series lock. head and tail only grow; head - tail is
// the fill. The values are relaxed atomics so that a drainer that loses the race may read a
// slot the producer is rewriting: it discards what it read.
struct SampleBuffer {
    static constexpr quint32 kCapacity = 256;

    alignas(64) std::atomic<quint32> head{0};
    quint32 tailSeen = 0; // the producer's last look at tail: re-read only when full
    alignas(64) std::atomic<quint32> tail{0};
    alignas(64) std::array<std::atomic<qint64>, kCapacity> values{};
};

// Samples claimed from a buffer and already converted: bucket indexes, `le` slots, totals.
struct SampleBatch {
    int size = 0;
    std::array<quint16, SampleBuffer::kCapacity> indexes{};
    std::array<quint64, Histogram::kPrometheusBucketCount> leCounts{};
    ChunkStats stats;

    void add(qint64 value) {
        value = std::max<qint64>(value, 0);
        const int index = Histogram::bucketIndex(value);
        indexes[static_cast<std::size_t>(size++)] = static_cast<quint16>(index);
        ++leCounts[static_cast<std::size_t>(Histogram::prometheusSlot(index, value))];
        stats.add(value);
    }
};
static_assert(Histogram::kBucketCount <= 65536); // indexes fit in quint16

// Takes every sample in the buffer that no other drainer has taken. False if it was empty.
bool claim(SampleBuffer& buffer, SampleBatch& batch) {
    std::array<qint64, SampleBuffer::kCapacity> copy;
    quint32 tail = buffer.tail.load(std::memory_order_acquire);
    for (;;) {
        const quint32 head = buffer.head.load(std::memory_order_acquire);
        if (head == tail) {
            return false;
        }
        if (head - tail > SampleBuffer::kCapacity) {
            // Our tail is stale: others drained, and the producer refilled, since we read it.
            tail = buffer.tail.load(std::memory_order_acquire);
            continue;
        }
        for (quint32 i = tail; i != head; ++i) {
            copy[i - tail] =
                buffer.values[i % SampleBuffer::kCapacity].load(std::memory_order_relaxed);
        }
        // Success publishes the slots to the producer (release) after they were read.
        if (buffer.tail.compare_exchange_strong(tail, head, std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
            for (quint32 i = 0; i != head - tail; ++i) {
                batch.add(copy[i]);
            }
            return true;
        }
        // Another drainer moved tail (now reloaded): try again with what is left.
    }
}

// Everything a histogram's samples are folded into. Guarded by mutex.
struct HistogramState {
    std::mutex mutex;
    // Drained since the last collection (by it, or by a thread whose buffer filled up); the
    // collection moves them into the open chunk, so they count at its time.
    PagedCounts pending;
    ChunkStats pendingStats;
    Chunk open; // the open base chunk
    ChunkStats lifetime;
    std::array<quint64, Histogram::kPrometheusBucketCount> leCounts{}; // lifetime, per `le`

    void add(qint64 value) {
        SampleBatch batch;
        batch.add(value);
        apply(batch);
    }

    void apply(const SampleBatch& batch) {
        for (int i = 0; i < batch.size; ++i) {
            pending.add(batch.indexes[static_cast<std::size_t>(i)]);
        }
        for (std::size_t i = 0; i < leCounts.size(); ++i) {
            leCounts[i] += batch.leCounts[i];
        }
        pendingStats.merge(batch.stats);
        lifetime.merge(batch.stats);
    }

    // Merges pending into the open chunk (both ascending by bucket).
    void foldPending() {
        if (pendingStats.count == 0) {
            return;
        }
        std::vector<quint64> merged;
        merged.reserve(open.entries.size() + 64);
        std::size_t k = 0;
        pending.forEach([&](int index, quint64 count) {
            for (; k < open.entries.size() &&
                   static_cast<int>(open.entries[k] & kEntryIndexMask) < index;
                 ++k) {
                merged.push_back(open.entries[k]);
            }
            if (k < open.entries.size() &&
                static_cast<int>(open.entries[k] & kEntryIndexMask) == index) {
                const quint64 had = open.entries[k++] >> kEntryIndexBits;
                if (count <= kMaxEntryCount - had) {
                    appendEntry(merged, index, had + count);
                } else { // two entries for the bucket: every reader adds them up
                    appendEntry(merged, index, had);
                    appendEntry(merged, index, count);
                }
            } else {
                appendEntry(merged, index, count);
            }
        });
        merged.insert(merged.end(), open.entries.begin() + static_cast<std::ptrdiff_t>(k),
                      open.entries.end());
        open.entries = std::move(merged);
        open.stats.merge(pendingStats);
        pending.clear();
        pendingStats = {};
    }

    Chunk takeOpen() {
        Chunk chunk = std::move(open);
        open = {};
        return chunk;
    }
};

// The registry's record of one series. Guarded by the registry's collect mutex, except the
// immutable identity fields.
struct Series {
    Series(MetricType t, QString n, MetricLabels l, qint64 base)
        : type(t)
        , name(std::move(n))
        , labels(std::move(l))
        , windows(base) {}

    const MetricType type;
    const QString name;        // sanitized; counters without "_total"
    const MetricLabels labels; // canonical
    QString exportedName;      // the family's name in the exposition
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<LatencyHistogram> histogram;

    Windows windows;
    quint64 lastTotal = 0; // counters: the total at the last collection
    quint64 openCount = 0; // counters: increments counted in the open base chunk
};

} // namespace detail::metrics

using detail::metrics::Chunk;
using detail::metrics::ChunkStats;
using detail::metrics::Series;

// --- Counter, LatencyHistogram ----------------------------------------------------------

Counter::Counter() = default;

Counter::~Counter() {
    for (auto& cell : m_cells) {
        delete cell.load(std::memory_order_relaxed);
    }
}

void Counter::increment(quint64 by) {
    const int slot = detail::metrics::currentSlot();
    detail::metrics::CounterCell* cell =
        m_cells[static_cast<std::size_t>(slot)].load(std::memory_order_acquire);
    if (!cell) [[unlikely]] {
        cell = makeCell(slot);
    }
    if (slot < detail::metrics::kOverflowSlot) [[likely]] {
        // The cell has one writer: a plain add published with a relaxed store is enough.
        cell->value.store(cell->value.load(std::memory_order_relaxed) + by,
                          std::memory_order_relaxed);
    } else {
        cell->value.fetch_add(by, std::memory_order_relaxed);
    }
}

detail::metrics::CounterCell* Counter::makeCell(int slot) {
    // An exclusive slot has one thread, but the overflow slot is shared: install by CAS.
    auto* fresh = new detail::metrics::CounterCell;
    detail::metrics::CounterCell* expected = nullptr;
    if (!m_cells[static_cast<std::size_t>(slot)].compare_exchange_strong(
            expected, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) {
        delete fresh;
        return expected;
    }
    return fresh;
}

quint64 Counter::value() const {
    quint64 total = 0;
    for (const auto& cell : m_cells) {
        if (const detail::metrics::CounterCell* c = cell.load(std::memory_order_acquire)) {
            total += c->value.load(std::memory_order_relaxed);
        }
    }
    return total;
}

LatencyHistogram::LatencyHistogram()
    : m_state(std::make_unique<detail::metrics::HistogramState>()) {}

LatencyHistogram::~LatencyHistogram() {
    for (auto& buffer : m_buffers) {
        delete buffer.load(std::memory_order_relaxed);
    }
}

void LatencyHistogram::record(qint64 nanos) {
    const int slot = detail::metrics::currentSlot();
    if (slot >= detail::metrics::kOverflowSlot) [[unlikely]] {
        const std::lock_guard lock(m_state->mutex);
        m_state->add(nanos);
        return;
    }
    detail::metrics::SampleBuffer* buffer =
        m_buffers[static_cast<std::size_t>(slot)].load(std::memory_order_acquire);
    if (!buffer) [[unlikely]] {
        buffer = makeBuffer(slot);
    }
    const quint32 head = buffer->head.load(std::memory_order_relaxed);
    if (head - buffer->tailSeen == detail::metrics::SampleBuffer::kCapacity) [[unlikely]] {
        buffer->tailSeen = buffer->tail.load(std::memory_order_acquire);
        if (head - buffer->tailSeen == detail::metrics::SampleBuffer::kCapacity) {
            drainFull(*buffer);
            Q_ASSERT(head - buffer->tailSeen < detail::metrics::SampleBuffer::kCapacity);
        }
    }
    buffer->values[head % detail::metrics::SampleBuffer::kCapacity].store(
        nanos, std::memory_order_relaxed);
    buffer->head.store(head + 1, std::memory_order_release);
}

detail::metrics::SampleBuffer* LatencyHistogram::makeBuffer(int slot) {
    // Only the slot's owner thread creates its buffer.
    auto* buffer = new detail::metrics::SampleBuffer;
    m_buffers[static_cast<std::size_t>(slot)].store(buffer, std::memory_order_release);
    return buffer;
}

void LatencyHistogram::drainFull(detail::metrics::SampleBuffer& buffer) {
    // The conversion runs before the lock: two threads filling the same series only meet for
    // the bucket increments.
    detail::metrics::SampleBatch batch;
    if (detail::metrics::claim(buffer, batch)) {
        const std::lock_guard lock(m_state->mutex);
        m_state->apply(batch);
    }
    // Empty now: whoever drained it took up to the head this thread last published.
    buffer.tailSeen = buffer.tail.load(std::memory_order_acquire);
}

// --- Names, labels, formatting ----------------------------------------------------------

namespace {

const QString kTotalSuffix = u"_total"_s;

QString sanitizeName(QStringView name, bool allowColon) {
    QString out;
    out.reserve(name.size() + 1);
    bool previousLowerOrDigit = false;
    for (const QChar ch : name) {
        const char16_t c = ch.unicode();
        if (c >= u'A' && c <= u'Z') {
            if (previousLowerOrDigit) {
                out += u'_'; // camelCase -> camel_case
            }
            out += QChar(c - u'A' + u'a');
            previousLowerOrDigit = false;
        } else if ((c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')) {
            out += ch;
            previousLowerOrDigit = true;
        } else {
            out += (c == u':' && allowColon) ? QChar(u':') : QChar(u'_');
            previousLowerOrDigit = false;
        }
    }
    if (out.isEmpty() || (out[0] >= u'0' && out[0] <= u'9')) {
        out.prepend(u'_');
    }
    return out;
}

// Sanitized names, sorted by name; a name given twice keeps its first value.
MetricLabels canonicalLabels(const MetricLabels& labels) {
    MetricLabels out;
    out.reserve(labels.size());
    for (const auto& [name, value] : labels) {
        out.append({MetricsRegistry::sanitizeLabelName(name), value});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              out.end());
    return out;
}

QString seriesKey(const QString& exportedName, const MetricLabels& labels) {
    // Length-prefixed parts: no label value can imitate a separator.
    QString key = exportedName;
    for (const auto& [name, value] : labels) {
        key += u'\0' + QString::number(name.size()) + u':' + name + QString::number(value.size()) +
               u':' + value;
    }
    return key;
}

QStringList sampleNames(MetricType type, const QString& exportedName) {
    if (type == MetricType::Histogram) {
        return {exportedName + u"_bucket"_s, exportedName + u"_sum"_s, exportedName + u"_count"_s};
    }
    return {exportedName};
}

void appendEscaped(QByteArray& out, const QString& text, bool escapeQuotes) {
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escapeQuotes) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

// Nanoseconds as an exact decimal number of seconds: 500000 -> "0.0005", 2500000000 -> "2.5".
QByteArray secondsText(qint64 nanos) {
    const quint64 magnitude =
        nanos < 0 ? 0 - static_cast<quint64>(nanos) : static_cast<quint64>(nanos);
    QByteArray text = nanos < 0 ? QByteArray("-") : QByteArray();
    text += QByteArray::number(magnitude / 1'000'000'000);
    quint64 fraction = magnitude % 1'000'000'000;
    if (fraction != 0) {
        QByteArray digits = QByteArray::number(fraction).rightJustified(9, '0');
        while (digits.endsWith('0')) {
            digits.chop(1);
        }
        text += '.' + digits;
    }
    return text;
}

// A sample value in the exposition's float syntax: integers without a fraction, otherwise the
// shortest text that reads back as the same double.
QByteArray valueText(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == std::floor(value) && std::fabs(value) < 0x1p53) {
        return QByteArray::number(static_cast<qint64>(value));
    }
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QByteArray(buffer, result.ptr - buffer);
}

// The label set as it goes between braces: a="x",b="y" (empty without labels).
QByteArray labelText(const MetricLabels& labels) {
    QByteArray out;
    for (const auto& [name, value] : labels) {
        if (!out.isEmpty()) {
            out += ',';
        }
        out += name.toUtf8();
        out += "=\"";
        appendEscaped(out, value, true);
        out += '"';
    }
    return out;
}

// A sample line: name{labels[,extra]} value.
void appendSample(QByteArray& out, const QByteArray& name, const char* suffix,
                  const QByteArray& labels, const QByteArray& extra, const QByteArray& value) {
    out += name;
    out += suffix;
    if (!labels.isEmpty() || !extra.isEmpty()) {
        out += '{';
        out += labels;
        if (!labels.isEmpty() && !extra.isEmpty()) {
            out += ',';
        }
        out += extra;
        out += '}';
    }
    out += ' ';
    out += value;
    out += '\n';
}

bool labelsLess(const MetricLabels& a, const MetricLabels& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

QString metricTypeName(MetricType type) {
    switch (type) {
    case MetricType::Counter:
        return u"counter"_s;
    case MetricType::Gauge:
        return u"gauge"_s;
    case MetricType::Histogram:
        return u"histogram"_s;
    }
    return {};
}

QString metricWindowName(MetricWindow window) {
    switch (window) {
    case MetricWindow::OneMinute:
        return u"1m"_s;
    case MetricWindow::FiveMinutes:
        return u"5m"_s;
    case MetricWindow::OneHour:
        return u"1h"_s;
    }
    return {};
}

const MetricSnapshot* MetricsSnapshot::find(QStringView name, const MetricLabels& labels) const {
    const QString wanted = MetricsRegistry::sanitizeMetricName(name);
    const MetricLabels wantedLabels = canonicalLabels(labels);
    for (const MetricSnapshot& m : metrics) {
        const bool nameMatches =
            m.name == wanted || (m.type == MetricType::Counter && m.name + kTotalSuffix == wanted);
        if (nameMatches && m.labels == wantedLabels) {
            return &m;
        }
    }
    return nullptr;
}

QString MetricsRegistry::sanitizeMetricName(QStringView name) {
    return sanitizeName(name, true);
}

QString MetricsRegistry::sanitizeLabelName(QStringView name) {
    QString out = sanitizeName(name, false);
    // "__" starts Prometheus' internal labels; le and quantile belong to histograms and
    // summaries.
    while (out.startsWith(u"__")) {
        out.remove(0, 1);
    }
    if (out == u"le" || out == u"quantile") {
        out += u'_';
    }
    return out;
}

// --- The registry -----------------------------------------------------------------------

struct MetricsRegistry::Index {
    struct Family {
        MetricType type;
        QString help;
    };
    QHash<QString, Series*> byKey;
    QHash<QString, Family> families;        // by exported name
    QHash<QString, QString> samplesTakenBy; // sample name -> exported family name
    std::vector<std::unique_ptr<Series>> series;
    // Type conflicts: working series that are never reported, found again by type and key.
    std::vector<std::unique_ptr<Series>> detached;
    QHash<QString, Series*> detachedByKey;

    // The reported series with their families' help, sorted by exported name, then labels.
    std::vector<std::pair<Series*, QString>> sorted() const {
        std::vector<std::pair<Series*, QString>> out;
        out.reserve(series.size());
        for (const auto& s : series) {
            out.emplace_back(s.get(), families.value(s->exportedName).help);
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            if (a.first->exportedName != b.first->exportedName) {
                return a.first->exportedName < b.first->exportedName;
            }
            return labelsLess(a.first->labels, b.first->labels);
        });
        return out;
    }
};

MetricsRegistry::MetricsRegistry(TimeSource now)
    : m_now(std::move(now))
    , m_index(std::make_unique<Index>())
    , m_scratch(std::make_unique<detail::metrics::ChunkScratch>()) {
    m_start = std::max<qint64>(this->now(), 0);
    m_lastCollect.store(m_start, std::memory_order_relaxed);
}

MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::TimeSource MetricsRegistry::fromClock(const Clock& clock) {
    return [&clock] { return clock.now().toMSecsSinceEpoch() * 1'000'000; };
}

qint64 MetricsRegistry::steadyNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

qint64 MetricsRegistry::now() const {
    return m_now ? m_now() : steadyNanos();
}

Counter& MetricsRegistry::counter(const QString& name, const MetricLabels& labels,
                                  const QString& help) {
    return *series(MetricType::Counter, name, labels, help).counter;
}

Gauge& MetricsRegistry::gauge(const QString& name, const MetricLabels& labels,
                              const QString& help) {
    return *series(MetricType::Gauge, name, labels, help).gauge;
}

LatencyHistogram& MetricsRegistry::histogram(const QString& name, const MetricLabels& labels,
                                             const QString& help) {
    return *series(MetricType::Histogram, name, labels, help).histogram;
}

detail::metrics::Series& MetricsRegistry::series(MetricType type, const QString& name,
                                                 const MetricLabels& labels, const QString& help) {
    QString base = sanitizeMetricName(name);
    if (type == MetricType::Counter && base.endsWith(kTotalSuffix) &&
        base.size() > kTotalSuffix.size()) {
        base.chop(kTotalSuffix.size());
    }
    const QString exported = type == MetricType::Counter ? base + kTotalSuffix : base;
    MetricLabels canonical = canonicalLabels(labels);
    const QString key = seriesKey(exported, canonical);

    const auto make = [&] {
        const qint64 openBase =
            std::max(now(), m_lastCollect.load(std::memory_order_relaxed)) / kIntervalNanos;
        auto s = std::make_unique<Series>(type, base, std::move(canonical), openBase);
        s->exportedName = exported;
        switch (type) {
        case MetricType::Counter:
            s->counter.reset(new Counter);
            break;
        case MetricType::Gauge:
            s->gauge.reset(new Gauge);
            break;
        case MetricType::Histogram:
            s->histogram.reset(new LatencyHistogram);
            break;
        }
        return s;
    };

    const std::lock_guard lock(m_registryMutex);
    Index& index = *m_index;
    if (Series* existing = index.byKey.value(key)) {
        if (existing->type == type) {
            Index::Family& family = index.families[exported];
            if (family.help.isEmpty()) {
                family.help = help;
            }
            return *existing;
        }
    }
    // A new series: its family must not clash with another family's type or sample names.
    const auto family = index.families.constFind(exported);
    bool clash = family != index.families.constEnd() && family->type != type;
    if (family == index.families.constEnd()) {
        for (const QString& sample : sampleNames(type, exported)) {
            clash = clash || index.samplesTakenBy.contains(sample);
        }
    }
    if (clash) {
        const QString detachedKey = metricTypeName(type) + u'\0' + key;
        if (Series* again = index.detachedByKey.value(detachedKey)) {
            return *again;
        }
        logging::get("core.metrics")
            ->warn("metric {} requested as a {} but the name is taken by another metric; it "
                   "will not be reported",
                   exported, metricTypeName(type));
        index.detached.push_back(make());
        index.detachedByKey.insert(detachedKey, index.detached.back().get());
        return *index.detached.back();
    }
    if (family == index.families.constEnd()) {
        index.families.insert(exported, Index::Family{type, help});
        for (const QString& sample : sampleNames(type, exported)) {
            index.samplesTakenBy.insert(sample, exported);
        }
    } else if (index.families[exported].help.isEmpty()) {
        index.families[exported].help = help;
    }
    index.series.push_back(make());
    Series* created = index.series.back().get();
    index.byKey.insert(key, created);
    return *created;
}

void MetricsRegistry::collect() {
    collect(now());
}

void MetricsRegistry::collect(qint64 nowNanos) {
    const std::lock_guard lock(m_collectMutex);
    collectLocked(nowNanos);
}

void MetricsRegistry::collectLocked(qint64 now) {
    now = std::max({now, m_lastCollect.load(std::memory_order_relaxed), qint64{0}});
    m_lastCollect.store(now, std::memory_order_relaxed);
    const qint64 base = now / kIntervalNanos;

    std::vector<Series*> all;
    {
        const std::lock_guard lock(m_registryMutex);
        all.reserve(m_index->series.size());
        for (const auto& s : m_index->series) {
            all.push_back(s.get());
        }
    }
    // Roll first, then count: what arrived since the last collection lands in the chunk that
    // holds now.
    for (Series* s : all) {
        switch (s->type) {
        case MetricType::Counter: {
            const quint64 total = s->counter->value();
            if (base > s->windows.base()) {
                Chunk closed;
                closed.stats.count = s->openCount;
                s->windows.advance(base, std::move(closed), *m_scratch);
                s->openCount = 0;
            }
            s->openCount += total - s->lastTotal;
            s->lastTotal = total;
            break;
        }
        case MetricType::Histogram: {
            LatencyHistogram& h = *s->histogram;
            if (base > s->windows.base()) {
                Chunk closed;
                {
                    const std::lock_guard lock(h.m_state->mutex);
                    closed = h.m_state->takeOpen();
                }
                s->windows.advance(base, std::move(closed), *m_scratch);
            }
            for (auto& slot : h.m_buffers) {
                detail::metrics::SampleBuffer* buffer = slot.load(std::memory_order_acquire);
                detail::metrics::SampleBatch batch;
                if (buffer && detail::metrics::claim(*buffer, batch)) {
                    const std::lock_guard lock(h.m_state->mutex);
                    h.m_state->apply(batch);
                }
            }
            const std::lock_guard lock(h.m_state->mutex);
            h.m_state->foldPending();
            break;
        }
        case MetricType::Gauge:
            break;
        }
    }
}

MetricsSnapshot MetricsRegistry::snapshot() {
    return snapshot(now());
}

MetricsSnapshot MetricsRegistry::snapshot(qint64 nowNanos) {
    const std::lock_guard lock(m_collectMutex);
    collectLocked(nowNanos);
    const qint64 now = m_lastCollect.load(std::memory_order_relaxed);

    std::vector<std::pair<Series*, QString>> sorted;
    {
        const std::lock_guard registryLock(m_registryMutex);
        sorted = m_index->sorted();
    }

    MetricsSnapshot out;
    out.takenAt = now;
    out.metrics.reserve(static_cast<qsizetype>(sorted.size()));
    detail::metrics::ChunkScratch& scratch = *m_scratch;
    static constexpr std::array<double, 3> kPercentiles{50.0, 95.0, 99.0};

    for (const auto& [s, help] : sorted) {
        MetricSnapshot m;
        m.name = s->name;
        m.labels = s->labels;
        m.type = s->type;
        m.help = help;

        const auto spanOf = [&](int level) {
            return std::max<qint64>(now - std::max(s->windows.windowStart(level), m_start), 0);
        };
        const auto fill = [&](MetricWindowStats& w, int level, quint64 count) {
            w.span = std::chrono::nanoseconds(spanOf(level));
            w.count = count;
            w.ratePerSecond = w.span.count() > 0 ? static_cast<double>(count) * 1e9 /
                                                       static_cast<double>(w.span.count())
                                                 : 0.0;
        };

        switch (s->type) {
        case MetricType::Counter:
            m.count = s->lastTotal;
            m.value = static_cast<double>(s->lastTotal);
            for (int level = 0; level < kMetricWindowCount; ++level) {
                quint64 count = s->openCount;
                s->windows.forEachInWindow(level, [&](const Chunk& c) { count += c.stats.count; });
                fill(m.windows[static_cast<std::size_t>(level)], level, count);
            }
            break;
        case MetricType::Gauge:
            m.value = s->gauge->value();
            break;
        case MetricType::Histogram: {
            Chunk open;
            ChunkStats lifetime;
            {
                const std::lock_guard stateLock(s->histogram->m_state->mutex);
                // Samples drained after the collection above (a full buffer) count now too.
                s->histogram->m_state->foldPending();
                open = s->histogram->m_state->open;
                lifetime = s->histogram->m_state->lifetime;
            }
            m.count = lifetime.count;
            m.sum = lifetime.sum;
            m.min = lifetime.count > 0 ? lifetime.min : 0;
            m.max = lifetime.max;
            m.value = lifetime.count > 0
                          ? static_cast<double>(lifetime.sum) / static_cast<double>(lifetime.count)
                          : 0.0;
            for (int level = 0; level < kMetricWindowCount; ++level) {
                scratch.clear();
                scratch.add(open);
                s->windows.forEachInWindow(level, [&](const Chunk& c) { scratch.add(c); });
                const ChunkStats& st = scratch.stats();
                MetricWindowStats& w = m.windows[static_cast<std::size_t>(level)];
                fill(w, level, st.count);
                if (st.count > 0) {
                    std::array<qint64, kPercentiles.size()> values{};
                    scratch.percentiles(kPercentiles, values);
                    w.p50 = values[0];
                    w.p95 = values[1];
                    w.p99 = values[2];
                    w.max = st.max;
                    w.mean = static_cast<double>(st.sum) / static_cast<double>(st.count);
                }
            }
            scratch.clear();
            break;
        }
        }
        out.metrics.append(std::move(m));
    }
    return out;
}

MetricWindowStats MetricsRegistry::mergedWindow(QStringView name, MetricWindow window) {
    return mergedWindow(name, window, now());
}

MetricWindowStats MetricsRegistry::mergedWindow(QStringView name, MetricWindow window,
                                                qint64 nowNanos) {
    const QString wanted = sanitizeMetricName(name);
    const std::lock_guard lock(m_collectMutex);
    collectLocked(nowNanos);
    const qint64 now = m_lastCollect.load(std::memory_order_relaxed);
    std::vector<Series*> matching;
    {
        const std::lock_guard registryLock(m_registryMutex);
        for (const auto& s : m_index->series) {
            if (s->type == MetricType::Histogram && s->name == wanted) {
                matching.push_back(s.get());
            }
        }
    }
    MetricWindowStats w;
    if (matching.empty()) {
        return w;
    }
    const int level = static_cast<int>(window);
    detail::metrics::ChunkScratch& scratch = *m_scratch;
    scratch.clear();
    for (Series* s : matching) {
        Chunk open;
        {
            const std::lock_guard stateLock(s->histogram->m_state->mutex);
            s->histogram->m_state->foldPending();
            open = s->histogram->m_state->open;
        }
        scratch.add(open);
        s->windows.forEachInWindow(level, [&](const Chunk& c) { scratch.add(c); });
    }
    // Every series' windows advance together, so the first one's start stands for all.
    const qint64 span =
        std::max<qint64>(now - std::max(matching.front()->windows.windowStart(level), m_start), 0);
    const ChunkStats& st = scratch.stats();
    w.span = std::chrono::nanoseconds(span);
    w.count = st.count;
    w.ratePerSecond =
        span > 0 ? static_cast<double>(st.count) * 1e9 / static_cast<double>(span) : 0.0;
    if (st.count > 0) {
        static constexpr std::array<double, 3> kPercentiles{50.0, 95.0, 99.0};
        std::array<qint64, kPercentiles.size()> values{};
        scratch.percentiles(kPercentiles, values);
        w.p50 = values[0];
        w.p95 = values[1];
        w.p99 = values[2];
        w.max = st.max;
        w.mean = static_cast<double>(st.sum) / static_cast<double>(st.count);
    }
    scratch.clear();
    return w;
}

QByteArray MetricsRegistry::prometheusText() {
    const std::lock_guard lock(m_collectMutex);
    collectLocked(now());

    std::vector<std::pair<Series*, QString>> sorted;
    {
        const std::lock_guard registryLock(m_registryMutex);
        sorted = m_index->sorted();
    }

    // The `le` labels: exact decimals of the bounds in seconds.
    static const auto kLeLabels = [] {
        std::array<QByteArray, Histogram::kPrometheusBucketCount> texts;
        for (std::size_t i = 0; i < Histogram::kPrometheusBounds.size(); ++i) {
            texts[i] = "le=\"" + secondsText(Histogram::kPrometheusBounds[i]) + '"';
        }
        texts.back() = "le=\"+Inf\"";
        return texts;
    }();

    QByteArray out;
    out.reserve(static_cast<qsizetype>(sorted.size()) * 256);
    const QString* previousFamily = nullptr;
    for (const auto& [s, help] : sorted) {
        const QByteArray name = s->exportedName.toUtf8();
        if (!previousFamily || *previousFamily != s->exportedName) {
            previousFamily = &s->exportedName;
            out += "# HELP " + name + ' ';
            appendEscaped(out, help.isEmpty() ? s->exportedName : help, false);
            out += "\n# TYPE " + name + ' ' + metricTypeName(s->type).toUtf8() + '\n';
        }
        const QByteArray labels = labelText(s->labels);
        switch (s->type) {
        case MetricType::Counter:
            appendSample(out, name, "", labels, {}, QByteArray::number(s->lastTotal));
            break;
        case MetricType::Gauge:
            appendSample(out, name, "", labels, {}, valueText(s->gauge->value()));
            break;
        case MetricType::Histogram: {
            ChunkStats lifetime;
            std::array<quint64, Histogram::kPrometheusBucketCount> leCounts{};
            {
                const std::lock_guard stateLock(s->histogram->m_state->mutex);
                lifetime = s->histogram->m_state->lifetime;
                leCounts = s->histogram->m_state->leCounts;
            }
            quint64 cumulative = 0;
            for (std::size_t i = 0; i < leCounts.size(); ++i) {
                cumulative += leCounts[i];
                appendSample(out, name, "_bucket", labels, kLeLabels[i],
                             QByteArray::number(cumulative));
            }
            appendSample(out, name, "_sum", labels, {}, secondsText(lifetime.sum));
            appendSample(out, name, "_count", labels, {}, QByteArray::number(lifetime.count));
            break;
        }
        }
    }
    return out;
}

} // namespace trackwatch::core
