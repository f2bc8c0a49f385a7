// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <limits>
#include <span>
#include <vector>

namespace trackwatch::core {

// A latency histogram in the manner of HdrHistogram with 3 significant digits: values are
// nanoseconds; 0..2047 ns are counted exactly, and every power of two above that is split into
// 1024 linear sub-buckets, so a bucket is never wider than 1/1024 of its lowest value. A
// percentile is reported as the highest value of the bucket that holds the sample of that
// rank, clamped to the exact min and max: it is never below the true value and less than 0.1%
// (1/1024) above it.
//
// Values run from 0 to kMaxValue (2^42 - 1 ns, about 73 minutes). A negative value is recorded
// as 0; a value above kMaxValue is counted in the top bucket (percentiles that land there are
// reported as kMaxValue unless max is lower), while sum, min and max keep the real value.
//
// The counts are one flat array of kBucketCount 64-bit counters (264 KiB), allocated by the
// constructor: record() is O(1) and never allocates. A value type: copyable, movable, not
// thread-safe (MetricsRegistry is the concurrent front end).
class Histogram {
public:
    static constexpr int kSignificantDigits = 3;
    static constexpr int kSubBucketCount = 2048; // 2 * 10^3, rounded up to 2^n
    static constexpr int kSubBucketHalfCount = kSubBucketCount / 2;
    static constexpr int kSubBucketHalfCountMagnitude = 10;    // log2(kSubBucketHalfCount)
    static constexpr qint64 kMaxValue = (qint64{1} << 42) - 1; // ns; above one hour
    static constexpr int kPowerBuckets = 32; // buckets of 2048 sub-buckets needed for kMaxValue
    // Number of counters: the first power bucket has 2048, every further one 1024.
    static constexpr int kBucketCount = (kPowerBuckets + 1) * kSubBucketHalfCount;

    // Prometheus `le` boundaries (ns): 0.5 ms, 1, 2.5, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5,
    // 5, 10 s; the last Prometheus bucket is +Inf.
    static constexpr std::array<qint64, 14> kPrometheusBounds{
        500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
        25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
        1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
    static constexpr int kPrometheusBucketCount = static_cast<int>(kPrometheusBounds.size()) + 1;

    Histogram();

    void record(qint64 nanos);
    void record(std::chrono::nanoseconds duration) { record(duration.count()); }

    // Adds every sample of other, as if each had been recorded here.
    void merge(const Histogram& other);
    void reset();

    quint64 count() const { return m_count; }
    qint64 sum() const { return m_sum; } // ns, saturating at the qint64 maximum (292 years)
    qint64 min() const { return m_count > 0 ? m_min : 0; }
    qint64 max() const { return m_count > 0 ? m_max : 0; }
    double mean() const;

    // The value at percentile p (0..100) by the nearest-rank rule: the sample of rank
    // ceil(p / 100 * count); see the class comment for the error. p = 0 and p = 100 give the
    // exact min and max; 0 when empty.
    qint64 percentile(double p) const;
    // The same for several percentiles in one pass over the counts; ps must be ascending.
    void percentiles(std::span<const double> ps, std::span<qint64> out) const;

    // Prometheus cumulative counts: element i is the number of samples <= kPrometheusBounds[i]
    // (exact: each record also counts its `le` slot, which the log-linear bucket determines up
    // to one comparison in the bucket that straddles a boundary); the last element (+Inf)
    // equals count().
    std::array<quint64, kPrometheusBucketCount> prometheusBuckets() const;

    // Visits every non-empty bucket in ascending order as f(lowest, highest, count).
    template <typename F> void forEachBucket(F&& f) const {
        if (m_count == 0) {
            return;
        }
        for (int i = bucketIndex(m_min); i <= bucketIndex(m_max); ++i) {
            if (m_counts[static_cast<std::size_t>(i)] != 0) {
                f(bucketLowest(i), bucketHighest(i), m_counts[static_cast<std::size_t>(i)]);
            }
        }
    }

    // The bucket layout (shared with the registry's compact window storage).
    static constexpr int bucketIndex(qint64 value) {
        const auto v = static_cast<quint64>(std::clamp<qint64>(value, 0, kMaxValue));
        // Power bucket: 0 for values below 2048, then one per further bit of magnitude.
        const int power =
            kPowerBitsBase - std::countl_zero(v | static_cast<quint64>(kSubBucketCount - 1));
        const auto sub = static_cast<int>(v >> power); // 1024..2047 (0..2047 in bucket 0)
        return ((power + 1) << kSubBucketHalfCountMagnitude) + sub - kSubBucketHalfCount;
    }
    static constexpr qint64 bucketLowest(int index) {
        int power = (index >> kSubBucketHalfCountMagnitude) - 1;
        qint64 sub = (index & (kSubBucketHalfCount - 1)) + kSubBucketHalfCount;
        if (power < 0) {
            sub -= kSubBucketHalfCount;
            power = 0;
        }
        return sub << power;
    }
    static constexpr qint64 bucketHighest(int index) {
        const int power = std::max((index >> kSubBucketHalfCountMagnitude) - 1, 0);
        return bucketLowest(index) + (qint64{1} << power) - 1;
    }
    // The Prometheus slot (0..kPrometheusBucketCount - 1, the last being +Inf) of a value
    // whose bucket is index: the first boundary >= value.
    static int prometheusSlot(int index, qint64 value);
    static int prometheusSlot(qint64 value) { return prometheusSlot(bucketIndex(value), value); }

private:
    static constexpr int kPowerBitsBase = 64 - kSubBucketHalfCountMagnitude - 1;

    std::vector<quint64> m_counts;
    std::array<quint64, kPrometheusBucketCount> m_leCounts{};
    quint64 m_count = 0;
    qint64 m_sum = 0;
    qint64 m_min = std::numeric_limits<qint64>::max();
    qint64 m_max = 0;
};

namespace detail {

// Percentiles of a set of bucket counts (used by Histogram and by the registry's windows):
// counts[first..last] hold all total samples, min and max are the exact extremes. For each p
// in ps (ascending) writes the highest value of the bucket holding the sample of rank
// ceil(p / 100 * total), clamped to [min, max]; p <= 0 gives min, p >= 100 max.
void percentilesOf(const quint64* counts, int first, int last, quint64 total, qint64 min,
                   qint64 max, std::span<const double> ps, std::span<qint64> out);

qint64 saturatingAdd(qint64 a, qint64 b);

} // namespace detail

} // namespace trackwatch::core
