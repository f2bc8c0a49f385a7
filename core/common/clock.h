// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>

namespace trackwatch::core {

// The time source every time-based rule reads (expiry, rollups, breakers), so tests set the
// time instead of waiting for it. Implementations must be safe to call from any thread.
class Clock {
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0;
};

class SystemClock final : public Clock {
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
};

// A clock that only moves when told to. Not thread-safe: for tests on one thread.
class ManualClock final : public Clock {
public:
    explicit ManualClock(QDateTime start)
        : m_now(std::move(start)) {}
    QDateTime now() const override { return m_now; }
    void set(const QDateTime& t) { m_now = t; }
    void advanceSecs(qint64 s) { m_now = m_now.addSecs(s); }

private:
    QDateTime m_now;
};

} // namespace trackwatch::core
