// SPDX-License-Identifier: MIT
#include "dashboard/dashboard_targets.h"

#include <cmath>

namespace trackwatch::ui {

MetricTarget targetFor(Metric metric) {
    using namespace targets;
    switch (metric) {
    case Metric::EmailsPerHour:
        return {kEmailsPerHour, kEmailsPerHourAlert, true, true};
    case Metric::WebhookJobsPerMinute:
        // Jobs follow the mail that arrives: a low rate is no fault, so no colour.
        return {kWebhookJobsPerMinute, 0, true, false};
    case Metric::CacheHitRate:
        return {kCacheHitRate, kCacheHitRateAlert, true, true};
    case Metric::QueryP50Ms:
    case Metric::QueryP95Ms:
    case Metric::QueryP99Ms:
        return {kQueryP95Ms, kQueryP95AlertMs, false, true};
    case Metric::ApiP50Ms:
    case Metric::ApiP95Ms:
        return {kApiP95Ms, kApiP95WarnMs, false, true};
    case Metric::ApiP99Ms:
        return {kApiP99Ms, kApiP99Ms * 2, false, true};
    case Metric::ErrorRate:
        return {kErrorRate, kErrorRateAlert, false, true};
    case Metric::QueueDepth:
        return {kQueueDepth, kQueueDepthBad, false, true};
    case Metric::CpuPercent:
        return {kCpuPercent, kCpuPercentBad, false, true};
    case Metric::MemoryBytes:
    case Metric::Count:
        break;
    }
    return {0, 0, false, false};
}

StatTile::Level levelFor(Metric metric, double value) {
    const MetricTarget t = targetFor(metric);
    if (!t.colours || std::isnan(value)) {
        return StatTile::Level::Neutral;
    }
    if (t.higherIsBetter) {
        return value >= t.good  ? StatTile::Level::Good
               : value >= t.bad ? StatTile::Level::Warning
                                : StatTile::Level::Bad;
    }
    return value <= t.good  ? StatTile::Level::Good
           : value <= t.bad ? StatTile::Level::Warning
                            : StatTile::Level::Bad;
}

} // namespace trackwatch::ui
