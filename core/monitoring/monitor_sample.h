// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <limits>

namespace trackwatch::core {

// "No data" for a sample's figures: a NaN, which plots draw as a gap and storage as NULL.
inline constexpr double kNoData = std::numeric_limits<double>::quiet_NaN();

// What one engine's dashboards show, once per second (and every tenth one stored in
// metric_snapshots). Latencies are over the last minute; a figure without data is kNoData.
struct MonitorSample {
    QDateTime at;
    QString engineId;
    double emailsPerHour = kNoData;        // tracked emails added over the last minute, per hour
    double webhookJobsPerMinute = kNoData; // jobs completed over the last minute
    double cacheHitRate = kNoData;         // 0..1, all namespaces, last minute
    double queryP50Ms = kNoData;           // database query time
    double queryP95Ms = kNoData;
    double queryP99Ms = kNoData;
    double apiP50Ms = kNoData; // HTTP API response time
    double apiP95Ms = kNoData;
    double apiP99Ms = kNoData;
    double apiRequestsPerSecond = kNoData;
    double errorRate = kNoData;   // 0..1: failed operations (5xx, failed jobs, failed batches)
    double queueDepth = kNoData;  // webhook jobs waiting or running
    double cpuPercent = kNoData;  // the engine process, % of one core
    double memoryBytes = kNoData; // the engine process's resident memory
    double dbConnectionsInUse = kNoData;
};

// One alert rule's state, as the engine evaluated it last.
struct AlertStatus {
    QString rule;           // "SlowQueryDetected", "HighErrorRate", ...
    QString severity;       // "warning", "critical"
    QString state;          // "normal", "pending", "firing", "resolved", "no_data"
    QDateTime since;        // when it entered that state
    double value = kNoData; // the figure the rule compares
    double threshold = 0;
    QString summary; // a sentence with the value and the threshold
};

// One change of an alert's state, as the alert_transitions table keeps it.
struct AlertTransition {
    qint64 id = 0;
    QString engineId;
    QString rule;
    QString severity;
    QString fromState;
    QString toState;
    QDateTime at;
    double value = kNoData;
    QString summary;
};

} // namespace trackwatch::core

Q_DECLARE_METATYPE(trackwatch::core::MonitorSample)
