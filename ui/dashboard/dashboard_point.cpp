// SPDX-License-Identifier: MIT
#include "dashboard/dashboard_point.h"

#include <QHash>

#include <cmath>
#include <map>

namespace trackwatch::ui {

double keyOf(const QDateTime& at) {
    return static_cast<double>(at.toMSecsSinceEpoch()) / 1000.0;
}

QDateTime timeOfKey(double key) {
    return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::llround(key * 1000.0)), Qt::UTC);
}

DashboardPoint pointFromSample(const core::MonitorSample& s, double key) {
    DashboardPoint p;
    p.key = key;
    p.setValue(Metric::EmailsPerHour, s.emailsPerHour);
    p.setValue(Metric::WebhookJobsPerMinute, s.webhookJobsPerMinute);
    p.setValue(Metric::CacheHitRate, s.cacheHitRate);
    p.setValue(Metric::QueryP50Ms, s.queryP50Ms);
    p.setValue(Metric::QueryP95Ms, s.queryP95Ms);
    p.setValue(Metric::QueryP99Ms, s.queryP99Ms);
    p.setValue(Metric::ApiP50Ms, s.apiP50Ms);
    p.setValue(Metric::ApiP95Ms, s.apiP95Ms);
    p.setValue(Metric::ApiP99Ms, s.apiP99Ms);
    p.setValue(Metric::ErrorRate, s.errorRate);
    p.setValue(Metric::QueueDepth, s.queueDepth);
    p.setValue(Metric::CpuPercent, s.cpuPercent);
    p.setValue(Metric::MemoryBytes, s.memoryBytes);
    return p;
}

namespace {

enum class Combine { Sum, Mean, Max };

Combine combineOf(Metric m) {
    switch (m) {
    case Metric::EmailsPerHour:
    case Metric::WebhookJobsPerMinute:
        return Combine::Sum;
    case Metric::CacheHitRate:
        return Combine::Mean;
    default:
        return Combine::Max;
    }
}

// Sums and counts of one engine's samples in one bucket, per metric (NaN left out).
struct Accumulator {
    std::array<double, kMetricCount> sum{};
    std::array<int, kMetricCount> count{};
};

} // namespace

QList<DashboardPoint> aggregateSamples(const QList<core::MonitorSample>& samples, double stepSecs) {
    const double step = stepSecs > 0 ? stepSecs : 10.0;
    // bucket index -> engine -> accumulator
    std::map<qint64, QHash<QString, Accumulator>> buckets;
    for (const core::MonitorSample& s : samples) {
        const qint64 bucket = static_cast<qint64>(std::floor(keyOf(s.at) / step));
        Accumulator& acc = buckets[bucket][s.engineId];
        const DashboardPoint p = pointFromSample(s, 0);
        for (int i = 0; i < kMetricCount; ++i) {
            const double v = p.values[static_cast<std::size_t>(i)];
            if (!std::isnan(v)) {
                acc.sum[static_cast<std::size_t>(i)] += v;
                ++acc.count[static_cast<std::size_t>(i)];
            }
        }
    }
    QList<DashboardPoint> points;
    points.reserve(static_cast<qsizetype>(buckets.size()));
    for (const auto& [bucket, engines] : buckets) {
        DashboardPoint p;
        p.key = (static_cast<double>(bucket) + 0.5) * step;
        for (int i = 0; i < kMetricCount; ++i) {
            const auto idx = static_cast<std::size_t>(i);
            const Combine how = combineOf(static_cast<Metric>(i));
            double total = 0;
            int contributors = 0;
            for (const Accumulator& acc : engines) {
                if (acc.count[idx] == 0) {
                    continue;
                }
                const double mean = acc.sum[idx] / acc.count[idx];
                if (how == Combine::Max) {
                    total = contributors == 0 ? mean : std::max(total, mean);
                } else {
                    total += mean;
                }
                ++contributors;
            }
            if (contributors == 0) {
                p.values[idx] = core::kNoData;
            } else {
                p.values[idx] = how == Combine::Mean ? total / contributors : total;
            }
        }
        points.append(p);
    }
    return points;
}

} // namespace trackwatch::ui
