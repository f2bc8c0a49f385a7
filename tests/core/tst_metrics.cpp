// SPDX-License-Identifier: MIT
// Metrics: the log-linear histogram against exactly sorted samples (uniform, log-normal,
// bimodal, single value, extremes), merge, exact Prometheus buckets; the registry's counters,
// gauges and labelled series, name sanitizing, the rolling windows under an injected clock
// (checked against a brute-force model over hours of simulated time), recording from many
// threads without loss, and the Prometheus exposition: an exact text, a parse-back of every
// line against the format's grammar, and promtool when it is installed. Nothing sleeps.
#include "metrics/histogram.h"
#include "metrics/metrics_registry.h"

#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <latch>
#include <random>
#include <thread>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kMicro = 1'000;
constexpr qint64 kMilli = 1'000'000;
constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kHour = 3600 * kSecond;
// Any steady time, aligned to every chunk length (so window edges fall on round offsets from
// it) and far from zero, so zero proves nothing.
constexpr qint64 kStart = 1000 * kHour;

// A steady nanosecond clock that only moves when told to; safe to read from any thread.
class TestTime {
public:
    MetricsRegistry::TimeSource source() {
        return [this] { return m_now.load(std::memory_order_relaxed); };
    }
    void set(qint64 nanos) { m_now.store(nanos, std::memory_order_relaxed); }
    void advance(qint64 nanos) { m_now.fetch_add(nanos, std::memory_order_relaxed); }
    qint64 now() const { return m_now.load(std::memory_order_relaxed); }

private:
    std::atomic<qint64> m_now{kStart};
};

// The nearest-rank percentile of sorted values: the sample of rank ceil(p / 100 * n).
qint64 exactPercentile(const std::vector<qint64>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    if (p <= 0.0) {
        return sorted.front();
    }
    const auto n = static_cast<double>(sorted.size());
    const auto rank = static_cast<std::size_t>(std::clamp(std::ceil(p * n / 100.0), 1.0, n));
    return sorted[rank - 1];
}

// The histogram's promise: never below the true value, and less than 0.1% above it.
bool withinPrecision(qint64 reported, qint64 exact) {
    return reported >= exact && static_cast<double>(reported - exact) <= 0.001 * exact;
}

QByteArray describe(qint64 reported, qint64 exact, double p) {
    return "p" + QByteArray::number(p) + ": reported " + QByteArray::number(reported) + ", exact " +
           QByteArray::number(exact);
}

enum class Distribution { Uniform, LogNormal, Bimodal, Single, Extremes, SmallExact, Tiny };

std::vector<qint64> samples(Distribution d, int n, quint64 seed) {
    std::mt19937_64 rng(seed);
    std::vector<qint64> v;
    v.reserve(static_cast<std::size_t>(n));
    switch (d) {
    case Distribution::Uniform: {
        std::uniform_int_distribution<qint64> u(1 * kMicro, 1 * kSecond);
        for (int i = 0; i < n; ++i) {
            v.push_back(u(rng));
        }
        break;
    }
    case Distribution::LogNormal: {
        // Median 5 ms, a wide spread: microseconds to tens of seconds.
        std::lognormal_distribution<double> ln(std::log(5.0 * kMilli), 1.5);
        for (int i = 0; i < n; ++i) {
            v.push_back(static_cast<qint64>(ln(rng)));
        }
        break;
    }
    case Distribution::Bimodal: {
        // Cache hits around 200 us, database queries around 40 ms.
        std::normal_distribution<double> hit(200.0 * kMicro, 30.0 * kMicro);
        std::normal_distribution<double> miss(40.0 * kMilli, 8.0 * kMilli);
        std::bernoulli_distribution isHit(0.8);
        for (int i = 0; i < n; ++i) {
            v.push_back(
                std::max<qint64>(1, static_cast<qint64>(isHit(rng) ? hit(rng) : miss(rng))));
        }
        break;
    }
    case Distribution::Single:
        v.assign(static_cast<std::size_t>(n), 123'456'789);
        break;
    case Distribution::Extremes:
        // 1 ns, one hour, and values just below an hour.
        for (int i = 0; i < n; ++i) {
            v.push_back(i % 3 == 0 ? 1 : (i % 3 == 1 ? kHour : kHour - i));
        }
        break;
    case Distribution::SmallExact: {
        std::uniform_int_distribution<qint64> u(0, 3000);
        for (int i = 0; i < n; ++i) {
            v.push_back(u(rng));
        }
        break;
    }
    case Distribution::Tiny:
        v = {7'777, 3 * kSecond};
        v.resize(static_cast<std::size_t>(std::min(n, 2)));
        break;
    }
    return v;
}

constexpr double kCheckedPercentiles[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};

// --- The exposition grammar ----------------------------------------------------------------

// Problems with a Prometheus text exposition (format 0.0.4), one line each; empty if valid.
// Checks each line against the grammar and the families' structure: HELP and TYPE once per
// family, before its samples, families contiguous, no repeated series or label names,
// counters ending in _total, histograms with ascending `le`, cumulative counts, +Inf equal to
// _count, and _sum present.
QStringList expositionProblems(const QByteArray& text) {
    static const QString name = u"[a-zA-Z_:][a-zA-Z0-9_:]*"_s;
    static const QString labelName = u"[a-zA-Z_][a-zA-Z0-9_]*"_s;
    // "(?:[^"\\\n]|\\[\\"n])*" (no raw string: see expectedSmallExposition())
    static const QString labelValue = u"\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\""_s;
    static const QString number =
        uR"([+-]?(?:Inf|NaN|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))"_s;
    static const QRegularExpression helpLine(
        u"^# HELP (%1) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$"_s.arg(name));
    static const QRegularExpression typeLine(
        u"^# TYPE (%1) (counter|gauge|histogram|summary|untyped)$"_s.arg(name));
    static const QRegularExpression sampleLine(
        u"^(%1)(?:\\{((?:%2=%3)(?:,%2=%3)*)?\\})? (%4)(?: -?[0-9]+)?$"_s.arg(name, labelName,
                                                                             labelValue, number));
    static const QRegularExpression labelPair(u"(%1)=(%2)"_s.arg(labelName, labelValue));

    QStringList problems;
    if (!text.isEmpty() && !text.endsWith('\n')) {
        problems << u"no newline at the end"_s;
    }
    struct Family {
        QString type;
        bool help = false;
        bool sampled = false;
    };
    QHash<QString, Family> families;
    QString current;
    QSet<QString> finished;
    QSet<QString> seriesSeen;
    // Histogram series by family + labels without le: the bucket walk.
    struct HistogramSeries {
        double lastLe = -std::numeric_limits<double>::infinity();
        double lastCount = -1;
        bool infSeen = false;
        double infCount = -1;
        bool sum = false;
        double count = -1;
    };
    QHash<QString, HistogramSeries> histograms;

    const auto startFamily = [&](const QString& family, int lineNo) {
        if (family != current) {
            if (finished.contains(family)) {
                problems << u"line %1: family %2 is not contiguous"_s.arg(lineNo).arg(family);
            }
            if (!current.isEmpty()) {
                finished.insert(current);
            }
            current = family;
        }
    };

    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype i = 0; i + 1 < lines.size() || (i < lines.size() && !lines[i].isEmpty()); ++i) {
        const QString line = QString::fromUtf8(lines[i]);
        const int lineNo = static_cast<int>(i) + 1;
        if (line.isEmpty()) {
            problems << u"line %1: empty"_s.arg(lineNo);
            continue;
        }
        if (line.startsWith(u"# HELP ")) {
            const auto m = helpLine.match(line);
            if (!m.hasMatch()) {
                problems << u"line %1: bad HELP: %2"_s.arg(lineNo).arg(line);
                continue;
            }
            Family& f = families[m.captured(1)];
            if (f.help || f.sampled) {
                problems << u"line %1: HELP repeated or after samples"_s.arg(lineNo);
            }
            f.help = true;
            startFamily(m.captured(1), lineNo);
            continue;
        }
        if (line.startsWith(u"# TYPE ")) {
            const auto m = typeLine.match(line);
            if (!m.hasMatch()) {
                problems << u"line %1: bad TYPE: %2"_s.arg(lineNo).arg(line);
                continue;
            }
            Family& f = families[m.captured(1)];
            if (!f.type.isEmpty() || f.sampled) {
                problems << u"line %1: TYPE repeated or after samples"_s.arg(lineNo);
            }
            f.type = m.captured(2);
            startFamily(m.captured(1), lineNo);
            continue;
        }
        if (line.startsWith(u'#')) {
            continue; // a comment
        }
        const auto m = sampleLine.match(line);
        if (!m.hasMatch()) {
            problems << u"line %1: not a sample: %2"_s.arg(lineNo).arg(line);
            continue;
        }
        const QString sample = m.captured(1);
        QStringList labelNames;
        QString le;
        QStringList otherLabels;
        auto it = labelPair.globalMatch(m.captured(2));
        while (it.hasNext()) {
            const auto pair = it.next();
            labelNames << pair.captured(1);
            if (pair.captured(1) == u"le") {
                le = pair.captured(2).mid(1, pair.captured(2).size() - 2);
            } else {
                otherLabels << pair.captured(0);
            }
        }
        if (QSet<QString>(labelNames.begin(), labelNames.end()).size() != labelNames.size()) {
            problems << u"line %1: repeated label name"_s.arg(lineNo);
        }
        const QString seriesId =
            sample + u'{' + QStringList(labelNames).join(u',') + u'}' + m.captured(2);
        if (seriesSeen.contains(seriesId)) {
            problems << u"line %1: repeated series"_s.arg(lineNo);
        }
        seriesSeen.insert(seriesId);
        bool numberOk = false;
        const QString valueText = m.captured(3);
        double value = valueText.toDouble(&numberOk);
        if (valueText.endsWith(u"Inf")) {
            value = valueText.startsWith(u'-') ? -std::numeric_limits<double>::infinity()
                                               : std::numeric_limits<double>::infinity();
            numberOk = true;
        }

        // Which family: the current one, by the type's sample names.
        const Family& f = families.value(current);
        QString suffix;
        if (f.type == u"histogram") {
            for (const QString& s : {u"_bucket"_s, u"_sum"_s, u"_count"_s}) {
                if (sample == current + s) {
                    suffix = s;
                }
            }
            if (suffix.isEmpty()) {
                problems << u"line %1: %2 outside its family %3"_s.arg(lineNo).arg(sample, current);
                continue;
            }
        } else if (sample != current) {
            problems << u"line %1: %2 has no TYPE (family %3)"_s.arg(lineNo).arg(sample, current);
            continue;
        }
        families[current].sampled = true;
        if (f.type == u"counter") {
            if (!sample.endsWith(u"_total")) {
                problems << u"line %1: counter without _total"_s.arg(lineNo);
            }
            if (!numberOk || value < 0) {
                problems << u"line %1: counter value %2"_s.arg(lineNo).arg(valueText);
            }
        }
        if (!le.isEmpty() && suffix != u"_bucket") {
            problems << u"line %1: le outside a histogram bucket"_s.arg(lineNo);
        }
        if (f.type != u"histogram") {
            continue;
        }
        HistogramSeries& h = histograms[current + u'{' + otherLabels.join(u',') + u'}'];
        if (suffix == u"_bucket") {
            if (le.isEmpty()) {
                problems << u"line %1: bucket without le"_s.arg(lineNo);
                continue;
            }
            bool leOk = false;
            const double bound =
                le == u"+Inf" ? std::numeric_limits<double>::infinity() : le.toDouble(&leOk);
            if (le != u"+Inf" && !leOk) {
                problems << u"line %1: le %2 is not a number"_s.arg(lineNo).arg(le);
            }
            if (bound <= h.lastLe) {
                problems << u"line %1: le not ascending"_s.arg(lineNo);
            }
            if (value < h.lastCount) {
                problems << u"line %1: bucket counts not cumulative"_s.arg(lineNo);
            }
            if (h.infSeen || h.sum || h.count >= 0) {
                problems << u"line %1: bucket after +Inf, _sum or _count"_s.arg(lineNo);
            }
            h.lastLe = bound;
            h.lastCount = value;
            if (le == u"+Inf") {
                h.infSeen = true;
                h.infCount = value;
            }
        } else if (suffix == u"_sum") {
            h.sum = numberOk;
        } else {
            h.count = value;
        }
    }
    for (auto it = families.constBegin(); it != families.constEnd(); ++it) {
        if (it->type.isEmpty()) {
            problems << u"family %1 has no TYPE"_s.arg(it.key());
        }
        if (!it->help) {
            problems << u"family %1 has no HELP"_s.arg(it.key());
        }
    }
    for (auto it = histograms.constBegin(); it != histograms.constEnd(); ++it) {
        if (!it->infSeen || !it->sum || it->count < 0) {
            problems << u"histogram %1 lacks +Inf, _sum or _count"_s.arg(it.key());
        } else if (it->infCount != it->count) {
            problems << u"histogram %1: +Inf %2 != _count %3"_s.arg(it.key())
                            .arg(it->infCount)
                            .arg(it->count);
        }
    }
    return problems;
}

// A registry with a bit of everything, for the grammar and promtool checks.
void fillVariedRegistry(MetricsRegistry& r) {
    r.counter(u"trackwatch_api_requests"_s, {{u"route"_s, u"/emails"_s}, {u"code"_s, u"200"_s}},
              u"HTTP requests answered."_s)
        .increment(12);
    r.counter(u"trackwatch_api_requests_total"_s,
              {{u"route"_s, u"/analytics"_s}, {u"code"_s, u"503"_s}})
        .increment(2);
    r.counter(u"trackwatch.webhooks-processed"_s, {}, u"Webhook jobs done."_s).increment();
    r.counter(u"never_incremented"_s, {{u"weird label!"_s, u"x"_s}}, u"Zero."_s);
    r.gauge(u"trackwatch_cache_entries"_s, {{u"namespace"_s, u"trackedEmails"_s}},
            u"Entries in the cache."_s)
        .set(1234);
    r.gauge(u"trackwatch_cache_entries"_s, {{u"namespace"_s, u"analytics"_s}}).set(-0.25);
    r.gauge(u"trackwatch_ratio"_s, {}, u"A ratio with \\ and\nnewline in help."_s).set(1e-30);
    r.gauge(u"trackwatch_huge"_s, {}, u"Huge."_s).set(1.5e300);
    r.gauge(u"trackwatch_undefined"_s, {}, u"NaN."_s).set(std::nan(""));
    r.gauge(u"trackwatch_infinite"_s, {}, u"Inf."_s).set(-std::numeric_limits<double>::infinity());
    LatencyHistogram& q =
        r.histogram(u"trackwatch_query_duration_seconds"_s,
                    {{u"query"_s, u"SELECT \"x\" FROM t\nWHERE a='\\'"_s}}, u"Query time."_s);
    LatencyHistogram& e =
        r.histogram(u"trackwatch_query_duration_seconds"_s, {{u"query"_s, u"empty"_s}});
    Q_UNUSED(e);
    LatencyHistogram& api =
        r.histogram(u"trackwatch_api_latency_seconds"_s, {{u"route"_s, u"/emails"_s}}, u"API."_s);
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> ln(std::log(20.0 * kMilli), 1.2);
    for (int i = 0; i < 5000; ++i) {
        q.record(static_cast<qint64>(ln(rng)));
        api.record(static_cast<qint64>(ln(rng) / 10));
    }
    q.record(Histogram::kMaxValue * 2);
}

// The exposition of prometheusExactText()'s registry.
QByteArray expectedSmallExposition() {
    // Written with ' for ": moc (Qt 6.4) mis-reads raw string literals that contain a quote,
    // and then finds no test class in this file.
    QByteArray text = R"(# HELP api_requests_total Requests served.
# TYPE api_requests_total counter
api_requests_total{method='GET',route='/emails'} 3
api_requests_total{method='POST',route='/emails'} 1
# HELP cache_entries Entries in the cache.\nPer namespace \\ shard.
# TYPE cache_entries gauge
cache_entries{namespace='analytics'} 7
cache_entries{namespace='trackedEmails'} 42.5
# HELP idle_seconds idle_seconds
# TYPE idle_seconds histogram
idle_seconds_bucket{le='0.0005'} 0
idle_seconds_bucket{le='0.001'} 0
idle_seconds_bucket{le='0.0025'} 0
idle_seconds_bucket{le='0.005'} 0
idle_seconds_bucket{le='0.01'} 0
idle_seconds_bucket{le='0.025'} 0
idle_seconds_bucket{le='0.05'} 0
idle_seconds_bucket{le='0.1'} 0
idle_seconds_bucket{le='0.25'} 0
idle_seconds_bucket{le='0.5'} 0
idle_seconds_bucket{le='1'} 0
idle_seconds_bucket{le='2.5'} 0
idle_seconds_bucket{le='5'} 0
idle_seconds_bucket{le='10'} 0
idle_seconds_bucket{le='+Inf'} 0
idle_seconds_sum 0
idle_seconds_count 0
# HELP query_duration_seconds Query time.
# TYPE query_duration_seconds histogram
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.0005'} 1
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.001'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.0025'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.005'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.01'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.025'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.05'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.1'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.25'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='0.5'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='1'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='2.5'} 2
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='5'} 3
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='10'} 3
query_duration_seconds_bucket{query='say \'hi\'\\\n',le='+Inf'} 4
query_duration_seconds_sum{query='say \'hi\'\\\n'} 23.0014
query_duration_seconds_count{query='say \'hi\'\\\n'} 4
)";
    return text.replace('\'', '"');
}

QByteArray variedQueryCountLine() {
    return "trackwatch_query_duration_seconds_count{query=\"SELECT \\\"x\\\" FROM "
           "t\\nWHERE a='\\\\'\"} 5001";
}
} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private slots:
    // --- Histogram ------------------------------------------------------------------------

    void bucketLayout() {
        QVERIFY(Histogram::kMaxValue >= kHour);
        for (qint64 v = 0; v < 2048; ++v) {
            const int i = Histogram::bucketIndex(v);
            QCOMPARE(Histogram::bucketLowest(i), v);
            QCOMPARE(Histogram::bucketHighest(i), v);
        }
        std::mt19937_64 rng(1);
        int previous = -1;
        for (int magnitude = 0; magnitude <= 42; ++magnitude) {
            for (int k = 0; k < 200; ++k) {
                const qint64 v =
                    std::min<qint64>((qint64{1} << magnitude) +
                                         static_cast<qint64>(rng() % (quint64{1} << magnitude)),
                                     Histogram::kMaxValue);
                const int i = Histogram::bucketIndex(v);
                QVERIFY(i >= 0 && i < Histogram::kBucketCount);
                QVERIFY(Histogram::bucketLowest(i) <= v && v <= Histogram::bucketHighest(i));
                // 3 significant digits: a bucket is at most 1/1024 of its lowest value wide.
                const qint64 width = Histogram::bucketHighest(i) - Histogram::bucketLowest(i) + 1;
                QVERIFY(width == 1 || width * 1024 <= Histogram::bucketLowest(i));
            }
            const int first = Histogram::bucketIndex(qint64{1} << magnitude);
            QVERIFY(first > previous || magnitude == 0);
            previous = first;
        }
        // Adjacent buckets tile the range without gaps.
        for (int i = 1; i < Histogram::kBucketCount; ++i) {
            QCOMPARE(Histogram::bucketLowest(i), Histogram::bucketHighest(i - 1) + 1);
        }
        QCOMPARE(Histogram::bucketHighest(Histogram::kBucketCount - 1), Histogram::kMaxValue);
    }

    void percentilesMatchSortedValues_data() {
        QTest::addColumn<int>("distribution");
        QTest::addColumn<int>("n");
        QTest::newRow("uniform 1us-1s") << int(Distribution::Uniform) << 200'000;
        QTest::newRow("log-normal") << int(Distribution::LogNormal) << 200'000;
        QTest::newRow("bimodal") << int(Distribution::Bimodal) << 200'000;
        QTest::newRow("single value") << int(Distribution::Single) << 1'000;
        QTest::newRow("extremes 1ns and 1h") << int(Distribution::Extremes) << 3'000;
        QTest::newRow("0-3000ns (exact buckets)") << int(Distribution::SmallExact) << 50'000;
        QTest::newRow("one sample") << int(Distribution::Tiny) << 1;
        QTest::newRow("two samples") << int(Distribution::Tiny) << 2;
        QTest::newRow("uniform, 37 samples") << int(Distribution::Uniform) << 37;
    }
    void percentilesMatchSortedValues() {
        QFETCH(int, distribution);
        QFETCH(int, n);
        std::vector<qint64> values = samples(Distribution(distribution), n, 42);
        Histogram h;
        for (const qint64 v : values) {
            h.record(v);
        }
        std::sort(values.begin(), values.end());
        std::vector<qint64> all(std::size(kCheckedPercentiles));
        h.percentiles(kCheckedPercentiles, all);
        for (std::size_t k = 0; k < std::size(kCheckedPercentiles); ++k) {
            const double p = kCheckedPercentiles[k];
            const qint64 exact = exactPercentile(values, p);
            const qint64 reported = h.percentile(p);
            QVERIFY2(withinPrecision(reported, exact), describe(reported, exact, p).constData());
            QCOMPARE(all[k], reported);
        }
        QCOMPARE(h.percentile(0), values.front());
        QCOMPARE(h.percentile(100), values.back());
    }

    void countSumMinMaxExact() {
        Histogram h;
        QCOMPARE(h.count(), quint64{0});
        QCOMPARE(h.percentile(50), qint64{0});
        QCOMPARE(h.mean(), 0.0);
        const std::vector<qint64> values = samples(Distribution::LogNormal, 10'000, 3);
        qint64 sum = 0;
        for (const qint64 v : values) {
            h.record(v);
            sum += v;
        }
        QCOMPARE(h.count(), quint64{10'000});
        QCOMPARE(h.sum(), sum);
        QCOMPARE(h.min(), *std::min_element(values.begin(), values.end()));
        QCOMPARE(h.max(), *std::max_element(values.begin(), values.end()));
        QCOMPARE(h.mean(), static_cast<double>(sum) / 10'000.0);
        quint64 bucketed = 0;
        h.forEachBucket([&](qint64 lo, qint64 hi, quint64 c) {
            QVERIFY(lo <= hi);
            bucketed += c;
        });
        QCOMPARE(bucketed, quint64{10'000});
    }

    void outOfRangeValues() {
        Histogram h;
        h.record(-5); // a clock that went backwards: counted as 0
        h.record(std::chrono::hours(2));
        QCOMPARE(h.count(), quint64{2});
        QCOMPARE(h.min(), qint64{0});
        QCOMPARE(h.max(), 2 * kHour); // exact, beyond the counted range
        QCOMPARE(h.sum(), 2 * kHour);
        QCOMPARE(h.percentile(100), 2 * kHour);
        QCOMPARE(h.percentile(75), Histogram::kMaxValue); // the top bucket's highest value
        QCOMPARE(h.percentile(50), qint64{0});
    }

    void mergeEqualsRecordingAll() {
        const std::vector<qint64> values = samples(Distribution::Bimodal, 30'000, 9);
        Histogram all;
        Histogram parts[3];
        for (std::size_t i = 0; i < values.size(); ++i) {
            all.record(values[i]);
            parts[i % 3].record(values[i]);
        }
        Histogram merged;
        merged.merge(Histogram()); // an empty one changes nothing
        for (const Histogram& part : parts) {
            merged.merge(part);
        }
        QCOMPARE(merged.count(), all.count());
        QCOMPARE(merged.sum(), all.sum());
        QCOMPARE(merged.min(), all.min());
        QCOMPARE(merged.max(), all.max());
        QCOMPARE(merged.prometheusBuckets(), all.prometheusBuckets());
        std::vector<std::tuple<qint64, qint64, quint64>> a;
        std::vector<std::tuple<qint64, qint64, quint64>> b;
        all.forEachBucket([&](qint64 lo, qint64 hi, quint64 c) { a.emplace_back(lo, hi, c); });
        merged.forEachBucket([&](qint64 lo, qint64 hi, quint64 c) { b.emplace_back(lo, hi, c); });
        QVERIFY(a == b);
        for (const double p : kCheckedPercentiles) {
            QCOMPARE(merged.percentile(p), all.percentile(p));
        }
    }

    void resetClears() {
        Histogram h;
        h.record(5 * kMilli);
        h.record(7);
        h.reset();
        QCOMPARE(h.count(), quint64{0});
        QCOMPARE(h.sum(), qint64{0});
        QCOMPARE(h.max(), qint64{0});
        QCOMPARE(h.prometheusBuckets().back(), quint64{0});
        h.record(42);
        QCOMPARE(h.percentile(50), qint64{42});
        QCOMPARE(h.min(), qint64{42});
        quint64 buckets = 0;
        h.forEachBucket([&](qint64, qint64, quint64) { ++buckets; });
        QCOMPARE(buckets, quint64{1});
    }

    void prometheusBucketsExact() {
        // Values at, just below and just above every boundary, plus a spread: the cumulative
        // counts must equal a brute-force count, although the boundaries fall inside
        // log-linear buckets.
        std::vector<qint64> values;
        for (const qint64 bound : Histogram::kPrometheusBounds) {
            for (const qint64 d : {-300, -1, 0, 1, 255, 256}) {
                values.push_back(bound + d);
            }
        }
        const std::vector<qint64> spread = samples(Distribution::LogNormal, 20'000, 5);
        values.insert(values.end(), spread.begin(), spread.end());
        Histogram h;
        for (const qint64 v : values) {
            h.record(v);
        }
        const auto cumulative = h.prometheusBuckets();
        for (std::size_t i = 0; i < Histogram::kPrometheusBounds.size(); ++i) {
            const auto expected =
                static_cast<quint64>(std::count_if(values.begin(), values.end(), [&](qint64 v) {
                    return v <= Histogram::kPrometheusBounds[i];
                }));
            QCOMPARE(cumulative[i], expected);
        }
        QCOMPARE(cumulative.back(), h.count());
    }

    // --- Registry: counters, gauges, labels, names ------------------------------------------

    void countersAndGauges() {
        TestTime time;
        MetricsRegistry r(time.source());
        Counter& c = r.counter(u"jobs"_s, {}, u"Jobs."_s);
        c.increment();
        c.increment(41);
        QCOMPARE(c.value(), quint64{42});
        QCOMPARE(&r.counter(u"jobs_total"_s), &c); // the same series: "_total" is implied
        Gauge& g = r.gauge(u"depth"_s);
        g.set(10);
        g.add(-2.5);
        QCOMPARE(g.value(), 7.5);

        const MetricsSnapshot s = r.snapshot();
        QCOMPARE(s.metrics.size(), 2);
        const MetricSnapshot* jobs = s.find(u"jobs");
        QVERIFY(jobs);
        QCOMPARE(jobs->type, MetricType::Counter);
        QCOMPARE(jobs->count, quint64{42});
        QCOMPARE(jobs->value, 42.0);
        QCOMPARE(jobs->help, u"Jobs."_s);
        QCOMPARE(s.find(u"jobs_total"), jobs);
        const MetricSnapshot* depth = s.find(u"depth");
        QVERIFY(depth);
        QCOMPARE(depth->type, MetricType::Gauge);
        QCOMPARE(depth->value, 7.5);
        QCOMPARE(s.takenAt, kStart);
    }

    void labelsMakeDistinctSeries() {
        TestTime time;
        MetricsRegistry r(time.source());
        Counter& a = r.counter(u"req"_s, {{u"route"_s, u"/a"_s}, {u"method"_s, u"GET"_s}});
        Counter& sameInOtherOrder =
            r.counter(u"req"_s, {{u"method"_s, u"GET"_s}, {u"route"_s, u"/a"_s}});
        Counter& b = r.counter(u"req"_s, {{u"route"_s, u"/b"_s}, {u"method"_s, u"GET"_s}});
        Counter& none = r.counter(u"req"_s);
        QCOMPARE(&a, &sameInOtherOrder);
        QVERIFY(&a != &b && &a != &none && &b != &none);
        // A value that looks like a separator cannot make two label sets meet.
        Counter& tricky1 = r.counter(u"t"_s, {{u"a"_s, u"1,b=2"_s}});
        Counter& tricky2 = r.counter(u"t"_s, {{u"a"_s, u"1"_s}, {u"b"_s, u"2"_s}});
        QVERIFY(&tricky1 != &tricky2);
        a.increment(3);
        b.increment(5);
        LatencyHistogram& h1 = r.histogram(u"lat"_s, {{u"query"_s, u"q1"_s}});
        LatencyHistogram& h2 = r.histogram(u"lat"_s, {{u"query"_s, u"q2"_s}});
        QVERIFY(&h1 != &h2);
        h1.record(1000);
        h2.record(2000);
        h2.record(3000);

        const MetricsSnapshot s = r.snapshot();
        QCOMPARE(s.find(u"req", {{u"route"_s, u"/a"_s}, {u"method"_s, u"GET"_s}})->count,
                 quint64{3});
        QCOMPARE(s.find(u"req", {{u"method"_s, u"GET"_s}, {u"route"_s, u"/b"_s}})->count,
                 quint64{5});
        QCOMPARE(s.find(u"req")->count, quint64{0});
        QCOMPARE(s.find(u"lat", {{u"query"_s, u"q1"_s}})->count, quint64{1});
        QCOMPARE(s.find(u"lat", {{u"query"_s, u"q2"_s}})->count, quint64{2});
        QCOMPARE(s.find(u"lat", {{u"query"_s, u"q2"_s}})->max, qint64{3000});
        QVERIFY(!s.find(u"lat", {{u"query"_s, u"q3"_s}}));
        // Sorted by name, then labels.
        QStringList order;
        for (const MetricSnapshot& m : s.metrics) {
            order << m.name + u'|' + (m.labels.isEmpty() ? QString() : m.labels.first().second);
        }
        QCOMPARE(order, (QStringList{u"lat|q1"_s, u"lat|q2"_s, u"req|"_s, u"req|GET"_s,
                                     u"req|GET"_s, u"t|1"_s, u"t|1,b=2"_s}));
    }

    void nameSanitizing_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("metric");
        QTest::addColumn<QString>("label");
        QTest::newRow("plain") << u"cache_hits"_s << u"cache_hits"_s << u"cache_hits"_s;
        QTest::newRow("dots and dashes")
            << u"cache.get-time"_s << u"cache_get_time"_s << u"cache_get_time"_s;
        QTest::newRow("camelCase")
            << u"cacheGetTime"_s << u"cache_get_time"_s << u"cache_get_time"_s;
        QTest::newRow("colon") << u"job:rate5m"_s << u"job:rate5m"_s << u"job_rate5m"_s;
        QTest::newRow("leading digit") << u"5xx"_s << u"_5xx"_s << u"_5xx"_s;
        QTest::newRow("empty") << QString() << u"_"_s << u"_"_s;
        QTest::newRow("non-ASCII") << u"größe"_s << u"gr__e"_s << u"gr__e"_s;
        QTest::newRow("reserved label prefix") << u"__name__"_s << u"__name__"_s << u"_name__"_s;
        QTest::newRow("le") << u"le"_s << u"le"_s << u"le_"_s;
        QTest::newRow("quantile") << u"quantile"_s << u"quantile"_s << u"quantile_"_s;
    }
    void nameSanitizing() {
        QFETCH(QString, name);
        QFETCH(QString, metric);
        QFETCH(QString, label);
        QCOMPARE(MetricsRegistry::sanitizeMetricName(name), metric);
        QCOMPARE(MetricsRegistry::sanitizeLabelName(name), label);
        static const QRegularExpression metricRe(u"^[a-zA-Z_:][a-zA-Z0-9_:]*$"_s);
        static const QRegularExpression labelRe(u"^[a-zA-Z_][a-zA-Z0-9_]*$"_s);
        QVERIFY(metricRe.match(metric).hasMatch());
        QVERIFY(labelRe.match(label).hasMatch());
    }

    void typeConflictsAreNotReported() {
        TestTime time;
        MetricsRegistry r(time.source());
        r.counter(u"x"_s).increment();
        Gauge& clash = r.gauge(u"x_total"_s); // would export a second "x_total"
        clash.set(5);                         // works, but is not reported
        QCOMPARE(clash.value(), 5.0);
        LatencyHistogram& h = r.histogram(u"lat"_s);
        Counter& clash2 = r.counter(u"lat_count"_s); // would be "lat_count_total": fine
        Gauge& clash3 = r.gauge(u"lat_count"_s);     // would collide with the histogram's
        clash3.set(1);
        Gauge& clash4 = r.gauge(u"lat"_s); // the histogram's family
        clash4.set(2);
        h.record(10);
        clash2.increment();
        const MetricsSnapshot s = r.snapshot();
        QStringList names;
        for (const MetricSnapshot& m : s.metrics) {
            names << m.name + u':' + metricTypeName(m.type);
        }
        QCOMPARE(names, (QStringList{u"lat:histogram"_s, u"lat_count:counter"_s, u"x:counter"_s}));
        QVERIFY(expositionProblems(r.prometheusText()).isEmpty());
    }

    void fromClockAdapter() {
        ManualClock clock(QDateTime(QDate(2026, 11, 29), QTime(12, 0), Qt::UTC));
        MetricsRegistry r(MetricsRegistry::fromClock(clock));
        r.counter(u"ticks"_s).increment(60);
        clock.advanceSecs(30);
        const MetricsSnapshot s = r.snapshot();
        QCOMPARE(s.takenAt, clock.now().toMSecsSinceEpoch() * kMilli);
        const MetricWindowStats& w = s.find(u"ticks")->window(MetricWindow::OneMinute);
        QCOMPARE(w.span, std::chrono::nanoseconds(30 * kSecond));
        QCOMPARE(w.ratePerSecond, 2.0);
    }

    void scopedTimerRecords() {
        MetricsRegistry r; // the real steady clock
        LatencyHistogram& h = r.histogram(u"scoped_seconds"_s);
        { const LatencyHistogram::ScopedTimer timer(h); }
        const MetricsSnapshot s = r.snapshot();
        QCOMPARE(s.find(u"scoped_seconds")->count, quint64{1});
        QVERIFY(s.find(u"scoped_seconds")->max >= 0);
    }

    // --- Windows --------------------------------------------------------------------------

    void sampleLeavesOneMinuteWindowAfterSixtySecondsPlusInterval() {
        TestTime time;
        MetricsRegistry r(time.source());
        LatencyHistogram& h = r.histogram(u"op_seconds"_s);
        Counter& c = r.counter(u"ops"_s);
        h.record(3 * kMilli);
        c.increment();
        r.collect(); // counted at kStart, the start of a 10 s interval

        const auto windowCounts = [&](qint64 at) {
            const MetricsSnapshot s = r.snapshot(at);
            const MetricSnapshot* hs = s.find(u"op_seconds");
            const MetricSnapshot* cs = s.find(u"ops");
            std::array<quint64, kMetricWindowCount> counts{};
            for (int w = 0; w < kMetricWindowCount; ++w) {
                counts[static_cast<std::size_t>(w)] =
                    hs->windows[static_cast<std::size_t>(w)].count;
                // The counter's windows move in step with the histogram's.
                if (cs->windows[static_cast<std::size_t>(w)].count !=
                    counts[static_cast<std::size_t>(w)]) {
                    return std::array<quint64, kMetricWindowCount>{99, 99, 99};
                }
            }
            return counts;
        };
        using Counts = std::array<quint64, kMetricWindowCount>;
        QCOMPARE(windowCounts(kStart + 60 * kSecond), (Counts{1, 1, 1}));
        QCOMPARE(windowCounts(kStart + 70 * kSecond - 1), (Counts{1, 1, 1}));
        QCOMPARE(windowCounts(kStart + 70 * kSecond), (Counts{0, 1, 1})); // 60 s + one interval
        QCOMPARE(windowCounts(kStart + 330 * kSecond - 1), (Counts{0, 1, 1}));
        QCOMPARE(windowCounts(kStart + 330 * kSecond), (Counts{0, 0, 1})); // 300 s + 30 s chunk
        QCOMPARE(windowCounts(kStart + 3900 * kSecond - 1), (Counts{0, 0, 1}));
        QCOMPARE(windowCounts(kStart + 3900 * kSecond), (Counts{0, 0, 0})); // 1 h + 5 min
        // Lifetime totals stay.
        const MetricsSnapshot s = r.snapshot(kStart + 5 * kHour);
        QCOMPARE(s.find(u"op_seconds")->count, quint64{1});
        QCOMPARE(s.find(u"op_seconds")->sum, 3 * kMilli);
        QCOMPARE(s.find(u"ops")->count, quint64{1});
    }

    void windowPercentilesAndRates() {
        TestTime time;
        MetricsRegistry r(time.source());
        LatencyHistogram& h = r.histogram(u"q_seconds"_s);
        for (int i = 0; i < 1000; ++i) {
            h.record(1 * kMilli);
        }
        r.collect(kStart + 5 * kSecond);
        for (int i = 0; i < 1000; ++i) {
            h.record(100 * kMilli + i);
        }
        const MetricsSnapshot s = r.snapshot(kStart + 75 * kSecond);
        const MetricSnapshot* m = s.find(u"q_seconds");
        const MetricWindowStats& oneMinute = m->window(MetricWindow::OneMinute);
        QCOMPARE(oneMinute.count, quint64{1000}); // the first thousand left at 70 s
        QVERIFY(withinPrecision(oneMinute.p50, 100 * kMilli + 499));
        QVERIFY(withinPrecision(oneMinute.p99, 100 * kMilli + 989));
        QCOMPARE(oneMinute.max, 100 * kMilli + 999);
        QCOMPARE(oneMinute.span, std::chrono::nanoseconds(65 * kSecond)); // from 10 s to 75 s
        QCOMPARE(oneMinute.ratePerSecond, 1000.0 / 65.0);
        const MetricWindowStats& fiveMinutes = m->window(MetricWindow::FiveMinutes);
        QCOMPARE(fiveMinutes.count, quint64{2000});
        QVERIFY(withinPrecision(fiveMinutes.p50, 1 * kMilli)); // rank 1000 of 2000
        QVERIFY(withinPrecision(fiveMinutes.p95, 100 * kMilli + 899));
        QCOMPARE(fiveMinutes.max, 100 * kMilli + 999);
        // The registry started at kStart: the 5-minute window covers 75 s so far.
        QCOMPARE(fiveMinutes.span, std::chrono::nanoseconds(75 * kSecond));
        QCOMPARE(fiveMinutes.ratePerSecond, 2000.0 / 75.0);
        QCOMPARE(fiveMinutes.mean, (1000.0 * kMilli + 1000.0 * 100 * kMilli + 499500.0) / 2000.0);
        QCOMPARE(m->count, quint64{2000});
        QCOMPARE(m->min, 1 * kMilli);
    }

    void samplesCountAtTheirCollection() {
        // Recording never reads the clock: a sample counts in the chunk of the collection
        // that drains it. Collected 75 s after a collection at kStart, it is in the new chunk.
        TestTime time;
        MetricsRegistry r(time.source());
        LatencyHistogram& h = r.histogram(u"late_seconds"_s);
        r.collect(kStart);
        h.record(1);
        const MetricsSnapshot s = r.snapshot(kStart + 75 * kSecond);
        QCOMPARE(s.find(u"late_seconds")->window(MetricWindow::OneMinute).count, quint64{1});
        // Time that goes backwards counts as the last collection's.
        const MetricsSnapshot back = r.snapshot(kStart);
        QCOMPARE(back.takenAt, kStart + 75 * kSecond);
        QCOMPARE(back.find(u"late_seconds")->window(MetricWindow::OneMinute).count, quint64{1});
    }

    void windowsMatchBruteForceOverHours() {
        // Collections at irregular steps (sub-second to 20 minutes) over about five hours; at
        // each, every window must hold exactly the samples collected since its start
        // (floor(now / chunk) * chunk - length), with exact counts, max and span, and
        // percentiles within 0.1% of the exact ones.
        TestTime time;
        MetricsRegistry r(time.source());
        LatencyHistogram& h = r.histogram(u"brute_seconds"_s);
        Counter& c = r.counter(u"brute"_s);
        struct Sample {
            qint64 at;
            qint64 value;
        };
        std::vector<Sample> recorded;
        constexpr qint64 kSteps[] = {10 * kSecond, 3 * kSecond, kSecond / 2,  47 * kSecond,
                                     10 * kSecond, kSecond,     9 * kSecond,  7 * kSecond,
                                     29 * kSecond, 2 * kSecond, 13 * kSecond, kSecond / 4};
        constexpr qint64 kChunk[] = {10 * kSecond, 30 * kSecond, 300 * kSecond};
        constexpr qint64 kLength[] = {60 * kSecond, 300 * kSecond, 3600 * kSecond};
        std::mt19937_64 rng(11);
        std::lognormal_distribution<double> ln(std::log(2.0 * kMilli), 1.0);
        qint64 now = kStart;
        int checks = 0;
        for (int step = 0; now < kStart + 5 * kHour; ++step) {
            // Mostly short steps, now and then a gap that empties a window or several.
            now += step % 97 == 96   ? 1200 * kSecond
                   : step % 61 == 60 ? 333 * kSecond
                                     : kSteps[static_cast<std::size_t>(step) % std::size(kSteps)];
            const int n = 1 + step % 4;
            for (int i = 0; i < n; ++i) {
                const auto v = static_cast<qint64>(ln(rng));
                h.record(v);
                c.increment();
                recorded.push_back({now, v});
            }
            const MetricsSnapshot s = r.snapshot(now);
            const MetricSnapshot* hs = s.find(u"brute_seconds");
            const MetricSnapshot* cs = s.find(u"brute");
            for (int w = 0; w < kMetricWindowCount; ++w) {
                const qint64 start = now / kChunk[w] * kChunk[w] - kLength[w];
                std::vector<qint64> in;
                for (const Sample& x : recorded) {
                    if (x.at >= start) {
                        in.push_back(x.value);
                    }
                }
                std::sort(in.begin(), in.end());
                const MetricWindowStats& got = hs->windows[static_cast<std::size_t>(w)];
                const QByteArray where = "step " + QByteArray::number(step) + " window " +
                                         metricWindowName(MetricWindow(w)).toUtf8();
                QVERIFY2(got.count == in.size(), where.constData());
                QVERIFY2(cs->windows[static_cast<std::size_t>(w)].count == in.size(),
                         where.constData());
                QVERIFY2(got.span.count() == now - std::max(start, kStart), where.constData());
                QVERIFY2(got.max == (in.empty() ? 0 : in.back()), where.constData());
                QVERIFY2(withinPrecision(got.p50, exactPercentile(in, 50)), where.constData());
                QVERIFY2(withinPrecision(got.p95, exactPercentile(in, 95)), where.constData());
                QVERIFY2(withinPrecision(got.p99, exactPercentile(in, 99)), where.constData());
                ++checks;
            }
            QCOMPARE(hs->count, quint64(recorded.size()));
        }
        QVERIFY(checks > 1000);
    }

    // --- Threads --------------------------------------------------------------------------

    void concurrentRecordingLosesNothing() {
        TestTime time;
        MetricsRegistry r(time.source());
        constexpr int kThreads = 4;
        constexpr int kPerThread = 200'000;
        LatencyHistogram& h = r.histogram(u"shared_seconds"_s);
        Counter& c = r.counter(u"shared"_s);
        std::atomic<bool> done{false};
        std::latch start(kThreads + 1);
        // A reader collects, snapshots and exports while the writers run, moving time along.
        std::thread reader([&] {
            start.arrive_and_wait();
            while (!done.load()) {
                time.advance(kSecond);
                const MetricsSnapshot s = r.snapshot();
                Q_UNUSED(s);
                if (r.prometheusText().isEmpty()) {
                    return;
                }
            }
        });
        std::vector<std::thread> writers;
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&, t] {
                Counter& own = r.counter(u"per_thread"_s, {{u"thread"_s, QString::number(t)}});
                start.arrive_and_wait();
                for (int i = 0; i < kPerThread; ++i) {
                    h.record(1000 + i % 5000 + t);
                    c.increment();
                    own.increment(2);
                }
            });
        }
        for (std::thread& w : writers) {
            w.join();
        }
        done.store(true);
        reader.join();

        qint64 expectedSum = 0;
        for (int t = 0; t < kThreads; ++t) {
            for (int i = 0; i < kPerThread; ++i) {
                expectedSum += 1000 + i % 5000 + t;
            }
        }
        const MetricsSnapshot s = r.snapshot();
        const MetricSnapshot* hs = s.find(u"shared_seconds");
        QCOMPARE(hs->count, quint64{kThreads * kPerThread});
        QCOMPARE(hs->sum, expectedSum);
        QCOMPARE(hs->min, qint64{1000});
        QCOMPARE(hs->max, qint64{1000 + 4999 + kThreads - 1});
        QCOMPARE(s.find(u"shared")->count, quint64{kThreads * kPerThread});
        for (int t = 0; t < kThreads; ++t) {
            QCOMPARE(s.find(u"per_thread", {{u"thread"_s, QString::number(t)}})->count,
                     quint64{2 * kPerThread});
        }
        const QByteArray text = r.prometheusText();
        QVERIFY(text.contains("shared_seconds_count " + QByteArray::number(kThreads * kPerThread) +
                              '\n'));
        QVERIFY(text.contains("shared_seconds_bucket{le=\"+Inf\"} " +
                              QByteArray::number(kThreads * kPerThread) + '\n'));
        // Windows saw every sample too: lifetime shorter than an hour of simulated time.
        if (time.now() - kStart < 55 * 60 * kSecond) {
            QCOMPARE(hs->window(MetricWindow::OneHour).count, quint64{kThreads * kPerThread});
        }
    }

    void threadSlotsAreReusedAndOverflowIsExact() {
        TestTime time;
        MetricsRegistry r(time.source());
        LatencyHistogram& h = r.histogram(u"slots_seconds"_s);
        Counter& c = r.counter(u"slots"_s);
        // More threads over time than there are slots: ended threads give theirs back, and a
        // buffer left behind by an ended thread is still drained.
        for (int round = 0; round < 150; ++round) {
            std::thread([&] {
                for (int i = 0; i < 300; ++i) {
                    h.record(i);
                    c.increment();
                }
            }).join();
        }
        // More threads at once than there are slots: the rest share the overflow slot.
        constexpr int kConcurrent = 80;
        std::latch together(kConcurrent);
        std::vector<std::thread> threads;
        for (int t = 0; t < kConcurrent; ++t) {
            threads.emplace_back([&] {
                together.arrive_and_wait(); // all alive at once
                for (int i = 0; i < 1000; ++i) {
                    h.record(7);
                    c.increment();
                }
            });
        }
        for (std::thread& t : threads) {
            t.join();
        }
        const MetricsSnapshot s = r.snapshot();
        QCOMPARE(s.find(u"slots_seconds")->count, quint64{150 * 300 + kConcurrent * 1000});
        QCOMPARE(s.find(u"slots")->count, quint64{150 * 300 + kConcurrent * 1000});
    }

    // --- Prometheus -----------------------------------------------------------------------

    void prometheusExactText() {
        TestTime time;
        MetricsRegistry r(time.source());
        r.counter(u"api_requests"_s, {{u"route"_s, u"/emails"_s}, {u"method"_s, u"GET"_s}},
                  u"Requests served."_s)
            .increment(3);
        r.counter(u"api_requests_total"_s, {{u"method"_s, u"POST"_s}, {u"route"_s, u"/emails"_s}})
            .increment();
        r.gauge(u"cache.entries"_s, {{u"namespace"_s, u"trackedEmails"_s}},
                u"Entries in the cache.\nPer namespace \\ shard."_s)
            .set(42.5);
        r.gauge(u"cache.entries"_s, {{u"namespace"_s, u"analytics"_s}}).set(7);
        LatencyHistogram& h = r.histogram(u"queryDuration_seconds"_s,
                                          {{u"query"_s, u"say \"hi\"\\\n"_s}}, u"Query time."_s);
        h.record(400 * kMicro);
        h.record(1 * kMilli); // exactly on the 0.001 boundary: counted there
        h.record(3 * kSecond);
        h.record(20 * kSecond);
        r.histogram(u"idle_seconds"_s); // no help, no samples

        const QByteArray expected = expectedSmallExposition();
        const QByteArray text = r.prometheusText();
        if (text != expected) {
            qWarning().noquote() << "got:\n" << QString::fromUtf8(text);
        }
        QCOMPARE(text, expected);
        QVERIFY(expositionProblems(text).isEmpty());
        QCOMPARE(QByteArray(MetricsRegistry::kPrometheusContentType),
                 QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    }

    void prometheusSampleValues() {
        TestTime time;
        MetricsRegistry r(time.source());
        r.gauge(u"a"_s).set(1e-30);
        r.gauge(u"b"_s).set(1.5e300);
        r.gauge(u"c"_s).set(std::nan(""));
        r.gauge(u"d"_s).set(-std::numeric_limits<double>::infinity());
        r.gauge(u"e"_s).set(-3);
        r.gauge(u"f"_s).set(0.1);
        const QList<QByteArray> lines = r.prometheusText().split('\n');
        QStringList values;
        for (const QByteArray& line : lines) {
            if (!line.isEmpty() && !line.startsWith('#')) {
                values << QString::fromUtf8(line);
            }
        }
        QCOMPARE(values, (QStringList{u"a 1e-30"_s, u"b 1.5e+300"_s, u"c NaN"_s, u"d -Inf"_s,
                                      u"e -3"_s, u"f 0.1"_s}));
    }

    void expositionParsesBack() {
        TestTime time;
        MetricsRegistry r(time.source());
        fillVariedRegistry(r);
        const QByteArray text = r.prometheusText();
        const QStringList problems = expositionProblems(text);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
        // The histogram's +Inf bucket and _count agree with the snapshot.
        const MetricsSnapshot s = r.snapshot();
        const MetricSnapshot* q = s.find(u"trackwatch_query_duration_seconds",
                                         {{u"query"_s, u"SELECT \"x\" FROM t\nWHERE a='\\'"_s}});
        QVERIFY(q);
        QCOMPARE(q->count, quint64{5001});
        QVERIFY(text.contains(variedQueryCountLine()));
    }

    void grammarCheckerCatchesBrokenText_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("no TYPE") << QByteArray("# HELP a_total x\na_total 1\n");
        QTest::newRow("unescaped quote")
            << QByteArray("# HELP a x\n# TYPE a gauge\na{l=\"\"\"} 1\n");
        QTest::newRow("bad name") << QByteArray("# HELP 1a x\n# TYPE 1a gauge\n1a 1\n");
        QTest::newRow("bad label name")
            << QByteArray("# HELP a x\n# TYPE a gauge\na{a:b=\"1\"} 1\n");
        QTest::newRow("counter without _total")
            << QByteArray("# HELP a x\n# TYPE a counter\na 1\n");
        QTest::newRow("not cumulative")
            << QByteArray("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                          "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n");
        QTest::newRow("+Inf != count")
            << QByteArray("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
                          "h_count 3\n");
        QTest::newRow("no +Inf") << QByteArray("# HELP h x\n# TYPE h histogram\n"
                                               "h_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n");
        QTest::newRow("repeated series")
            << QByteArray("# HELP a x\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n");
        QTest::newRow("family split")
            << QByteArray("# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\n"
                          "# HELP a x\n");
        QTest::newRow("no final newline") << QByteArray("# HELP a x\n# TYPE a gauge\na 1");
        QTest::newRow("bad value") << QByteArray("# HELP a x\n# TYPE a gauge\na one\n");
    }
    void grammarCheckerCatchesBrokenText() {
        QFETCH(QByteArray, text);
        QVERIFY(!expositionProblems(text).isEmpty());
    }

    void promtoolAcceptsExposition() {
        const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
        if (promtool.isEmpty()) {
            // CI installs it (packaging/install-deps.sh): there a missing promtool is a failure.
            if (qEnvironmentVariable("CI") == u"true") {
                QFAIL("promtool is not installed (Debian package prometheus)");
            }
            QSKIP("promtool is not installed (Debian package prometheus)");
        }
        TestTime time;
        MetricsRegistry r(time.source());
        fillVariedRegistry(r);
        QProcess p;
        p.start(promtool, {u"check"_s, u"metrics"_s});
        QVERIFY(p.waitForStarted());
        p.write(r.prometheusText());
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30'000));
        const QByteArray output = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, output.constData());
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
