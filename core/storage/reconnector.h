// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <QDateTime>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>
#include <random>

namespace trackwatch::core {

class Database;

// Capped exponential backoff with jitter: the n-th retry waits a random time in
// [delay/2, delay], delay = min(cap, initial * 2^(n-1)), so engines that lost one server
// do not all come back in the same instant.
struct BackoffPolicy {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds cap{30'000};

    // The wait before retry `attempt` (1 for the first retry); `unit` in [0, 1) picks the jitter.
    std::chrono::milliseconds delay(int attempt, double unit) const;
};

// Keeps one Database usable across outages: the engine's parts, the HTTP API and importers
// ask ready() before their work. While the connection is up it costs nothing; once a statement
// found it lost, ready() reopens it when the next retry is due (by the injected clock) and
// otherwise says no at once, so a loop in an outage neither hammers the server nor floods
// the log. Lives on the Database's thread. Not thread-safe.
class Reconnector {
public:
    Reconnector(Database& db, const Clock& clock, BackoffPolicy policy = {},
                std::uint32_t seed = std::random_device{}());

    // Records an outage the Database has just found (a statement lost the connection), so
    // health reports it at once, without trying to reconnect yet.
    void notice();

    // True when the database can be used now. While it cannot, tries to reopen it when a retry
    // is due; true again once that worked (onRestored() has run by then).
    bool ready();

    // Runs after every successful reopen, before ready() returns true: work that must be
    // redone on a new session (reading what changed while away).
    void onRestored(std::function<void()> fn) { m_restored = std::move(fn); }

    // The outage as health reports it.
    struct Outage {
        QDateTime since; // when this Reconnector first saw the connection lost
        QString reason;  // the last error: why it was lost, or why the last retry failed
        int attempts = 0;
        QDateTime nextAttempt;
    };
    // Empty while connected.
    std::optional<Outage> outage() const { return m_outage; }

    // "database unreachable since 2026-12-07T22:40:01Z (3 retries): <reason>", or empty.
    QString describe() const;

private:
    Database& m_db;
    const Clock& m_clock;
    BackoffPolicy m_policy;
    std::mt19937 m_random;
    std::optional<Outage> m_outage;
    std::function<void()> m_restored;
};

} // namespace trackwatch::core
