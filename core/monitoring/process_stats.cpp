// SPDX-License-Identifier: MIT
#include "monitoring/process_stats.h"

#include <QFile>
#include <QList>

#if defined(Q_OS_LINUX)
#include <unistd.h>
#endif

#include <algorithm>

namespace trackwatch::core {
namespace {

#if defined(Q_OS_LINUX)
QByteArray readProcFile(const char* path) {
    QFile file(QString::fromLatin1(path));
    // /proc files report size 0: read until the end.
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.readAll();
}
#endif

std::optional<quint64> unsignedField(QByteArrayView text) {
    bool ok = false;
    const quint64 v = text.toULongLong(&ok);
    return ok ? std::optional(v) : std::nullopt;
}

} // namespace

ProcessResources::ProcessResources() {
#if defined(Q_OS_LINUX)
    if (const long ticks = ::sysconf(_SC_CLK_TCK); ticks > 0) {
        m_ticksPerSecond = ticks;
    }
    if (const long page = ::sysconf(_SC_PAGESIZE); page > 0) {
        m_pageSize = page;
    }
#endif
}

void ProcessResources::setSystemConstants(qint64 ticksPerSecond, qint64 pageSize) {
    m_ticksPerSecond = std::max<qint64>(1, ticksPerSecond);
    m_pageSize = std::max<qint64>(1, pageSize);
}

std::optional<ProcessCpuTicks> ProcessResources::parseStat(QByteArrayView stat) {
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0) {
        return std::nullopt;
    }
    // After ") ": field 3 (state) onwards; utime and stime are fields 14 and 15.
    const QList<QByteArray> fields = stat.sliced(close + 1).toByteArray().simplified().split(' ');
    constexpr int kUtime = 14 - 3;
    constexpr int kStime = 15 - 3;
    if (fields.size() <= kStime) {
        return std::nullopt;
    }
    const auto user = unsignedField(fields[kUtime]);
    const auto system = unsignedField(fields[kStime]);
    if (!user || !system) {
        return std::nullopt;
    }
    return ProcessCpuTicks{*user, *system};
}

std::optional<double> ProcessResources::parseStatmResident(QByteArrayView statm, qint64 pageSize) {
    const QList<QByteArray> fields = statm.toByteArray().simplified().split(' ');
    if (fields.size() < 2) {
        return std::nullopt;
    }
    const auto pages = unsignedField(fields[1]);
    if (!pages) {
        return std::nullopt;
    }
    return static_cast<double>(*pages) * static_cast<double>(pageSize);
}

ProcessResources::Reading ProcessResources::sample(qint64 steadyNanos) {
#if defined(Q_OS_LINUX)
    return sample(steadyNanos, readProcFile("/proc/self/stat"), readProcFile("/proc/self/statm"));
#else
    Q_UNUSED(steadyNanos);
    return {};
#endif
}

ProcessResources::Reading ProcessResources::sample(qint64 steadyNanos, QByteArrayView stat,
                                                   QByteArrayView statm) {
    Reading reading;
    reading.memoryBytes = parseStatmResident(statm, m_pageSize);
    const auto ticks = parseStat(stat);
    if (ticks && m_lastTicks && steadyNanos > m_lastNanos &&
        ticks->total() >= m_lastTicks->total()) {
        const double cpuSeconds =
            static_cast<double>(ticks->total() - m_lastTicks->total()) / m_ticksPerSecond;
        const double wallSeconds = static_cast<double>(steadyNanos - m_lastNanos) / 1e9;
        reading.cpuPercent = 100.0 * cpuSeconds / wallSeconds;
    }
    if (ticks) {
        m_lastTicks = ticks;
        m_lastNanos = steadyNanos;
    }
    return reading;
}

} // namespace trackwatch::core
