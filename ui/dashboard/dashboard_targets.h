// SPDX-License-Identifier: MIT
#pragma once

#include "dashboard/dashboard_point.h"
#include "widgets/stat_tile.h"

namespace trackwatch::ui {

// The seed's targets (performance-roadmap.md), for the plots' dashed lines and the tiles'
// colours. A figure at or better than `good` is green, up to `bad` amber, past it red; the
// thresholds beyond the targets are the seed's alert conditions where it names one.
struct MetricTarget {
    double good = 0;
    double bad = 0;
    bool higherIsBetter = false;
    bool colours = true; // false: a figure without a target (memory, demand-driven load)
};

namespace targets {
inline constexpr double kEmailsPerHour = 10000;      // Target: 10,000 emails/hour
inline constexpr double kEmailsPerHourAlert = 8000;  // ThroughputBelowTarget
inline constexpr double kWebhookJobsPerMinute = 800; // Week 3: >= 800/minute
inline constexpr double kCacheHitRate = 0.80;        // Target: > 80%
inline constexpr double kCacheHitRateAlert = 0.60;   // CacheHitRateDegrad
inline constexpr double kQueryP95Ms = 100;           // Database Query Times: P95 < 100ms
inline constexpr double kQueryP95AlertMs = 1000;     // SlowQueryDetected
inline constexpr double kApiP95Ms = 200;             // API P95 < 200ms
inline constexpr double kApiP95WarnMs = 300;         // Week 1: API P95 < 300ms
inline constexpr double kApiP99Ms = 500;             // API P99 < 500ms
inline constexpr double kErrorRate = 0.01;           // 1%
inline constexpr double kErrorRateAlert = 0.05;      // HighErrorRate
inline constexpr double kQueueDepth = 200;           // load test queueDepth
inline constexpr double kQueueDepthBad = 1000;
inline constexpr double kCpuPercent = 50; // Resource Utilization: CPU < 50%
inline constexpr double kCpuPercentBad = 80;
} // namespace targets

MetricTarget targetFor(Metric metric);

// The tile colour of a figure against its target; Neutral without data or without a target.
StatTile::Level levelFor(Metric metric, double value);

} // namespace trackwatch::ui
