// SPDX-License-Identifier: MIT
#include "monitoring/metric_history.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QHash>
#include <QSqlQuery>

#include <algorithm>
#include <array>
#include <cmath>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// The figures' columns, in the order figureRefs() lists the fields.
const QStringList& figureColumns() {
    static const QStringList columns{u"emails_per_hour"_s,      u"webhook_jobs_per_minute"_s,
                                     u"cache_hit_rate"_s,       u"query_p50_ms"_s,
                                     u"query_p95_ms"_s,         u"query_p99_ms"_s,
                                     u"api_p50_ms"_s,           u"api_p95_ms"_s,
                                     u"api_p99_ms"_s,           u"api_requests_per_second"_s,
                                     u"error_rate"_s,           u"queue_depth"_s,
                                     u"cpu_percent"_s,          u"memory_bytes"_s,
                                     u"db_connections_in_use"_s};
    return columns;
}

std::array<double*, 15> figureRefs(MonitorSample& s) {
    return {&s.emailsPerHour, &s.webhookJobsPerMinute, &s.cacheHitRate,      &s.queryP50Ms,
            &s.queryP95Ms,    &s.queryP99Ms,           &s.apiP50Ms,          &s.apiP95Ms,
            &s.apiP99Ms,      &s.apiRequestsPerSecond, &s.errorRate,         &s.queueDepth,
            &s.cpuPercent,    &s.memoryBytes,          &s.dbConnectionsInUse};
}

QVariant figure(double v) {
    return std::isfinite(v) ? QVariant(v) : QVariant();
}

double readFigure(const QVariant& v) {
    return v.isNull() ? kNoData : v.toDouble();
}

// "?, ?, ?" for n values.
QString placeholders(qsizetype n) {
    QStringList marks;
    marks.reserve(n);
    for (qsizetype i = 0; i < n; ++i) {
        marks << u"?"_s;
    }
    return marks.join(u", "_s);
}

} // namespace

MetricHistory::MetricHistory(Database& db)
    : m_db(db) {}

Status MetricHistory::record(const MonitorSample& sample) {
    if (!sample.at.isValid() || sample.engineId.isEmpty()) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"a stored sample needs a time and an engine id"_s);
    }
    QVariantList values{sample.engineId, sample.at.toUTC()};
    MonitorSample copy = sample;
    for (double* f : figureRefs(copy)) {
        values << figure(*f);
    }
    const QString sql = u"INSERT INTO metric_snapshots (engine_id, taken_at, %1) VALUES (%2)"_s.arg(
        figureColumns().join(u", "_s), placeholders(values.size()));
    return Status::from(m_db.exec(sql, values));
}

Result<QList<MonitorSample>> MetricHistory::samples(const QString& engineId, const QDateTime& from,
                                                    const QDateTime& to, int maxPoints) {
    if (!from.isValid() || !to.isValid() || to < from) {
        return Error{ErrorCode::InvalidArgument, u"samples: [from, to] is not a time range"_s};
    }
    if (maxPoints < 1) {
        return Error{ErrorCode::InvalidArgument,
                     u"samples: maxPoints must be at least 1, not %1"_s.arg(maxPoints)};
    }
    QString where = u"taken_at >= ? AND taken_at <= ?"_s;
    QVariantList range{from.toUTC(), to.toUTC()};
    if (!engineId.isEmpty()) {
        where += u" AND engine_id = ?"_s;
        range << engineId;
    }

    // Engines with more samples than maxPoints in the range are averaged into buckets.
    auto counts = m_db.exec(
        u"SELECT engine_id, count(*) FROM metric_snapshots WHERE %1 GROUP BY engine_id"_s.arg(
            where),
        range);
    if (!counts) {
        return counts.error();
    }
    QStringList raw;
    QStringList bucketed;
    while (counts->next()) {
        (counts->value(1).toLongLong() > maxPoints ? bucketed : raw) << counts->value(0).toString();
    }

    QList<MonitorSample> out;
    const QString columns = figureColumns().join(u", "_s);
    if (!raw.isEmpty()) {
        QVariantList values = range;
        for (const QString& id : raw) {
            values << id;
        }
        auto q = m_db.exec(u"SELECT engine_id, taken_at, %1 FROM metric_snapshots WHERE %2 AND "
                           u"engine_id IN (%3) ORDER BY taken_at, engine_id"_s.arg(
                               columns, where, placeholders(raw.size())),
                           values);
        if (!q) {
            return q.error();
        }
        while (q->next()) {
            MonitorSample s;
            s.engineId = q->value(0).toString();
            s.at = TrackedEmailRepository::readTime(q->value(1));
            int column = 2;
            for (double* f : figureRefs(s)) {
                *f = readFigure(q->value(column++));
            }
            out.append(s);
        }
    }
    if (!bucketed.isEmpty()) {
        // maxPoints equal buckets of whole milliseconds over [from, to]: the offset of `to`
        // (rangeMs - 1) stays inside the last one.
        const qint64 rangeMs = from.msecsTo(to) + 1;
        const qint64 bucketMs = (rangeMs + maxPoints - 1) / maxPoints;
        // Offsets are never negative, so SQLite's integer division is the floor; the offset is
        // rounded to whole milliseconds first (julianday() is a double).
        const QString bucketExpr =
            m_db.dialect() == Dialect::Sqlite
                ? u"(CAST(round((julianday(taken_at) - julianday(?)) * 86400000.0) AS INTEGER) / %1)"_s
                      .arg(bucketMs)
                : u"CAST(floor(EXTRACT(EPOCH FROM (taken_at - CAST(? AS TIMESTAMPTZ))) * 1000 / "
                  u"%1) AS BIGINT)"_s.arg(bucketMs);
        QStringList averages;
        for (const QString& c : figureColumns()) {
            averages << u"AVG(%1)"_s.arg(c);
        }
        QVariantList values{from.toUTC()};
        values << range;
        for (const QString& id : bucketed) {
            values << id;
        }
        auto q =
            m_db.exec(u"SELECT engine_id, %1 AS bucket, %2 FROM metric_snapshots WHERE %3 "
                      u"AND engine_id IN (%4) GROUP BY engine_id, bucket "
                      u"ORDER BY bucket, engine_id"_s.arg(bucketExpr, averages.join(u", "_s), where,
                                                          placeholders(bucketed.size())),
                      values);
        if (!q) {
            return q.error();
        }
        QList<MonitorSample> buckets;
        while (q->next()) {
            MonitorSample s;
            s.engineId = q->value(0).toString();
            const qint64 index = std::clamp<qint64>(q->value(1).toLongLong(), 0, maxPoints - 1);
            s.at = from.toUTC().addMSecs(index * bucketMs + bucketMs / 2);
            int column = 2;
            for (double* f : figureRefs(s)) {
                *f = readFigure(q->value(column++));
            }
            buckets.append(s);
        }
        out.append(buckets);
    }
    if (!raw.isEmpty() && !bucketed.isEmpty()) {
        std::stable_sort(out.begin(), out.end(),
                         [](const MonitorSample& a, const MonitorSample& b) {
                             return a.at != b.at ? a.at < b.at : a.engineId < b.engineId;
                         });
    }
    return out;
}

Result<qint64> MetricHistory::prune(const QDateTime& olderThan) {
    auto q = m_db.exec(u"DELETE FROM metric_snapshots WHERE taken_at < ?"_s, {olderThan.toUTC()});
    if (!q) {
        return q.error();
    }
    return static_cast<qint64>(q->numRowsAffected());
}

} // namespace trackwatch::core
