// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QtGlobal>

#include <optional>

namespace trackwatch::core {

// The process's CPU time as /proc/<pid>/stat gives it: user and system time in clock ticks.
struct ProcessCpuTicks {
    quint64 user = 0;
    quint64 system = 0;
    quint64 total() const { return user + system; }
};

// The engine process's CPU use (% of one core, from the change of its CPU time between two
// readings) and resident memory, read from /proc/self on Linux. Elsewhere, or when /proc
// cannot be read, the figures are absent. Not thread-safe: one reader (the engine thread).
class ProcessResources {
public:
    struct Reading {
        std::optional<double> cpuPercent;  // absent on the first reading
        std::optional<double> memoryBytes; // resident set size
    };

    ProcessResources();

    // Reads /proc/self/stat and /proc/self/statm. `steadyNanos` is a monotonic time of the
    // reading (tests pass their own); CPU is the ticks spent since the previous reading over
    // the time passed.
    Reading sample(qint64 steadyNanos);

    // The same from given file contents (for tests): stat and statm as the kernel writes them.
    Reading sample(qint64 steadyNanos, QByteArrayView stat, QByteArrayView statm);

    // Fields 14 and 15 (utime, stime) of a /proc/<pid>/stat line. The command name (field 2)
    // is in parentheses and may hold spaces and parentheses: parsing starts after the last ')'.
    static std::optional<ProcessCpuTicks> parseStat(QByteArrayView stat);
    // Resident bytes from /proc/<pid>/statm: its second field (pages) times the page size.
    static std::optional<double> parseStatmResident(QByteArrayView statm, qint64 pageSize);

    qint64 ticksPerSecond() const { return m_ticksPerSecond; }
    qint64 pageSize() const { return m_pageSize; }
    void setSystemConstants(qint64 ticksPerSecond, qint64 pageSize); // tests

private:
    qint64 m_ticksPerSecond = 100;
    qint64 m_pageSize = 4096;
    std::optional<ProcessCpuTicks> m_lastTicks;
    qint64 m_lastNanos = 0;
};

} // namespace trackwatch::core
