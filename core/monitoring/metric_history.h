// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "monitoring/monitor_sample.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace trackwatch::core {

class Database;

// The metric_snapshots table: every engine stores its MonitorSample there every 10 seconds, so
// dashboards can draw history that survives restarts and show every engine of a fleet.
// Lives on its Database's thread. Not thread-safe.
class MetricHistory {
public:
    explicit MetricHistory(Database& db);

    Status record(const MonitorSample& sample);

    // The stored samples in [from, to], oldest first: one engine's, or every engine's when
    // engineId is empty (each sample keeps its engineId). At most maxPoints per engine: longer
    // ranges are averaged into equal time buckets (a bucket's `at` is its mid-point).
    Result<QList<MonitorSample>> samples(const QString& engineId, const QDateTime& from,
                                         const QDateTime& to, int maxPoints = 2000);

    // Removes samples older than the given time; returns how many.
    Result<qint64> prune(const QDateTime& olderThan);

private:
    Database& m_db;
};

} // namespace trackwatch::core
