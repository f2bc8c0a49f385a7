// SPDX-License-Identifier: MIT
#include "metrics/histogram.h"

#include <cmath>

namespace trackwatch::core {

namespace {

static_assert(Histogram::bucketIndex(0) == 0);
static_assert(Histogram::bucketIndex(2047) == 2047);
static_assert(Histogram::bucketIndex(2048) == 2048);
static_assert(Histogram::bucketIndex(Histogram::kMaxValue) == Histogram::kBucketCount - 1);
static_assert(Histogram::bucketHighest(Histogram::kBucketCount - 1) == Histogram::kMaxValue);
static_assert(Histogram::bucketLowest(Histogram::bucketIndex(3'600'000'000'000)) <=
              3'600'000'000'000);

constexpr int kInfSlot = Histogram::kPrometheusBucketCount - 1;

// The first boundary >= value (kInfSlot when above them all).
constexpr int slotOfValue(qint64 value) {
    int slot = 0;
    while (slot < kInfSlot &&
           value > Histogram::kPrometheusBounds[static_cast<std::size_t>(slot)]) {
        ++slot;
    }
    return slot;
}

// Per bucket: the slot of its lowest value. A bucket is far narrower than the gap between two
// boundaries (at most 8.4 ms wide below 10 s), so its values fall into that slot or the next.
constexpr auto kSlotOfBucket = [] {
    std::array<quint8, Histogram::kBucketCount> table{};
    for (int i = 0; i < Histogram::kBucketCount; ++i) {
        table[static_cast<std::size_t>(i)] =
            static_cast<quint8>(slotOfValue(Histogram::bucketLowest(i)));
    }
    return table;
}();

constexpr bool bucketsStraddleAtMostOneBound() {
    for (int i = 0; i < Histogram::kBucketCount; ++i) {
        if (slotOfValue(Histogram::bucketHighest(i)) - slotOfValue(Histogram::bucketLowest(i)) >
            1) {
            return false;
        }
    }
    return true;
}
static_assert(bucketsStraddleAtMostOneBound());

} // namespace

namespace detail {

qint64 saturatingAdd(qint64 a, qint64 b) {
    qint64 result = 0;
    if (__builtin_add_overflow(a, b, &result)) {
        return b > 0 ? std::numeric_limits<qint64>::max() : std::numeric_limits<qint64>::min();
    }
    return result;
}

void percentilesOf(const quint64* counts, int first, int last, quint64 total, qint64 min,
                   qint64 max, std::span<const double> ps, std::span<qint64> out) {
    Q_ASSERT(out.size() >= ps.size());
    if (total == 0) {
        std::fill(out.begin(), out.end(), qint64{0});
        return;
    }
    // Multiplying before dividing keeps integer percentiles exact (99 * 100 / 100 is 99, where
    // 0.99 * 100 is not).
    const auto rankOf = [total](double p) {
        const double exact = std::ceil(p * static_cast<double>(total) / 100.0);
        return static_cast<quint64>(std::clamp(exact, 1.0, static_cast<double>(total)));
    };
    std::size_t next = 0;
    while (next < ps.size() && ps[next] <= 0.0) {
        out[next++] = min;
    }
    if (next == ps.size()) {
        return;
    }
    quint64 rank = rankOf(ps[next]);
    quint64 seen = 0;
    for (int i = first; i <= last; ++i) {
        seen += counts[i];
        while (seen >= rank) {
            out[next] = ps[next] >= 100.0 ? max : std::clamp(Histogram::bucketHighest(i), min, max);
            ++next;
            if (next == ps.size()) {
                return;
            }
            rank = rankOf(ps[next]);
        }
    }
    while (next < ps.size()) { // only if counts[first..last] hold fewer than total samples
        out[next++] = max;
    }
}

} // namespace detail

Histogram::Histogram()
    : m_counts(static_cast<std::size_t>(kBucketCount), 0) {}

int Histogram::prometheusSlot(int index, qint64 value) {
    const int slot = kSlotOfBucket[static_cast<std::size_t>(index)];
    return slot < kInfSlot && value > kPrometheusBounds[static_cast<std::size_t>(slot)] ? slot + 1
                                                                                        : slot;
}

void Histogram::record(qint64 nanos) {
    nanos = std::max<qint64>(nanos, 0);
    const int index = bucketIndex(nanos);
    ++m_counts[static_cast<std::size_t>(index)];
    ++m_leCounts[static_cast<std::size_t>(prometheusSlot(index, nanos))];
    ++m_count;
    m_sum = detail::saturatingAdd(m_sum, nanos);
    m_min = std::min(m_min, nanos);
    m_max = std::max(m_max, nanos);
}

void Histogram::merge(const Histogram& other) {
    if (other.m_count == 0) {
        return;
    }
    for (int i = bucketIndex(other.m_min); i <= bucketIndex(other.m_max); ++i) {
        m_counts[static_cast<std::size_t>(i)] += other.m_counts[static_cast<std::size_t>(i)];
    }
    for (std::size_t s = 0; s < m_leCounts.size(); ++s) {
        m_leCounts[s] += other.m_leCounts[s];
    }
    m_count += other.m_count;
    m_sum = detail::saturatingAdd(m_sum, other.m_sum);
    m_min = std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
}

void Histogram::reset() {
    if (m_count > 0) {
        // Only the buckets between min and max can be non-zero.
        std::fill(m_counts.begin() + bucketIndex(m_min), m_counts.begin() + bucketIndex(m_max) + 1,
                  quint64{0});
    }
    m_leCounts = {};
    m_count = 0;
    m_sum = 0;
    m_min = std::numeric_limits<qint64>::max();
    m_max = 0;
}

double Histogram::mean() const {
    return m_count > 0 ? static_cast<double>(m_sum) / static_cast<double>(m_count) : 0.0;
}

qint64 Histogram::percentile(double p) const {
    qint64 value = 0;
    percentiles(std::span<const double>(&p, 1), std::span<qint64>(&value, 1));
    return value;
}

void Histogram::percentiles(std::span<const double> ps, std::span<qint64> out) const {
    if (m_count == 0) {
        std::fill(out.begin(), out.end(), qint64{0});
        return;
    }
    detail::percentilesOf(m_counts.data(), bucketIndex(m_min), bucketIndex(m_max), m_count, m_min,
                          m_max, ps, out);
}

std::array<quint64, Histogram::kPrometheusBucketCount> Histogram::prometheusBuckets() const {
    std::array<quint64, kPrometheusBucketCount> cumulative{};
    quint64 running = 0;
    for (std::size_t s = 0; s < cumulative.size(); ++s) {
        running += m_leCounts[s];
        cumulative[s] = running;
    }
    return cumulative;
}

} // namespace trackwatch::core
