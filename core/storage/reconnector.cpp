// SPDX-License-Identifier: MIT
#include "storage/reconnector.h"

#include "common/logging.h"
#include "storage/database.h"

#include <algorithm>
#include <cmath>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

std::chrono::milliseconds BackoffPolicy::delay(int attempt, double unit) const {
    const int doublings = std::clamp(attempt - 1, 0, 30);
    const double full = std::min(static_cast<double>(cap.count()),
                                 static_cast<double>(initial.count()) * std::pow(2.0, doublings));
    const double jittered = full * (0.5 + 0.5 * std::clamp(unit, 0.0, 1.0));
    return std::chrono::milliseconds(static_cast<qint64>(jittered));
}

Reconnector::Reconnector(Database& db, const Clock& clock, BackoffPolicy policy, std::uint32_t seed)
    : m_db(db)
    , m_clock(clock)
    , m_policy(policy)
    , m_random(seed) {}

void Reconnector::notice() {
    if (m_outage || m_db.connected()) {
        return;
    }
    const QDateTime now = m_clock.now();
    m_outage = Outage{now, m_db.lostReason(), 0, now};
    logging::get("core.storage")
        ->error("database {} unreachable: {}; reconnecting with backoff", m_db.spec().redacted(),
                m_outage->reason);
}

bool Reconnector::ready() {
    notice();
    if (!m_outage) {
        return true;
    }
    auto log = logging::get("core.storage");
    const QDateTime now = m_clock.now();
    if (now < m_outage->nextAttempt) {
        return false;
    }
    if (const Status s = m_db.reopen(); !s) {
        ++m_outage->attempts;
        m_outage->reason = m_db.lostReason();
        const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(m_random);
        const auto wait = m_policy.delay(m_outage->attempts, unit);
        m_outage->nextAttempt = now.addMSecs(wait.count());
        log->warn("database still unreachable: {}", m_outage->reason);
        return false;
    }
    log->info("database {} reachable again after {} s ({} retries)", m_db.spec().redacted(),
              m_outage->since.secsTo(now), m_outage->attempts);
    m_outage.reset();
    if (m_restored) {
        m_restored();
    }
    return m_db.connected();
}

QString Reconnector::describe() const {
    if (!m_outage) {
        return {};
    }
    return u"database unreachable since %1 (%2 retries): %3"_s.arg(
        m_outage->since.toString(Qt::ISODate), QString::number(m_outage->attempts),
        m_outage->reason);
}

} // namespace trackwatch::core
