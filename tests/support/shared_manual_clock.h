// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"

#include <mutex>

namespace trackwatch::test {

// A clock the test moves while an engine thread reads it.
class SharedManualClock final : public core::Clock {
public:
    explicit SharedManualClock(QDateTime start)
        : m_now(std::move(start)) {}
    QDateTime now() const override {
        std::lock_guard lock(m_mutex);
        return m_now;
    }
    void advanceSecs(qint64 s) {
        std::lock_guard lock(m_mutex);
        m_now = m_now.addSecs(s);
    }

private:
    mutable std::mutex m_mutex;
    QDateTime m_now;
};

} // namespace trackwatch::test
