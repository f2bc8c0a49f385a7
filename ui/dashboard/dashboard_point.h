// SPDX-License-Identifier: MIT
#pragma once

#include "monitoring/monitor_sample.h"

#include <QList>

#include <array>

namespace trackwatch::ui {

// The figures the dashboard plots, in the order of DashboardPoint::values.
enum class Metric {
    EmailsPerHour,
    WebhookJobsPerMinute,
    CacheHitRate, // 0..1
    QueryP50Ms,
    QueryP95Ms,
    QueryP99Ms,
    ApiP50Ms,
    ApiP95Ms,
    ApiP99Ms,
    ErrorRate, // 0..1
    QueueDepth,
    CpuPercent,
    MemoryBytes,
    Count
};
inline constexpr int kMetricCount = static_cast<int>(Metric::Count);

// One moment of one engine (or of the fleet): its time as seconds since the epoch, the plots'
// x coordinate, and every figure (NaN: no data, drawn as a gap).
struct DashboardPoint {
    double key = 0;
    std::array<double, kMetricCount> values{};

    double value(Metric m) const { return values[static_cast<std::size_t>(m)]; }
    void setValue(Metric m, double v) { values[static_cast<std::size_t>(m)] = v; }
};

double keyOf(const QDateTime& at);
QDateTime timeOfKey(double key);

DashboardPoint pointFromSample(const core::MonitorSample& sample, double key);

// Stored samples (one engine's or many engines') as points in buckets of stepSecs seconds,
// aligned on the epoch so that later fetches fall into the same buckets; a bucket's key is its
// mid-point. Within an engine a bucket averages its samples; across engines throughput adds
// up, the cache hit rate is the mean, and latency, error rate, queue depth, CPU and memory take
// the worst engine. Oldest first.
QList<DashboardPoint> aggregateSamples(const QList<core::MonitorSample>& samples, double stepSecs);

} // namespace trackwatch::ui
