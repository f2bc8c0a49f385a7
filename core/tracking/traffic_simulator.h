// SPDX-License-Identifier: MIT
#pragma once

#include "tracking/mail_message.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <cstdint>
#include <memory>

namespace trackwatch::core {

struct SimulatorConfig {
    std::uint64_t seed = 1;
    int accounts = 20;                // mailboxes, named sim-NN@trackwatch.example
    double replyRate = 0.35;          // share of sent mail that gets a human reply
    double autoReplyRate = 0.05;      // share that gets an out-of-office answer
    double bounceRate = 0.02;         // share that bounces (a delivery-status report)
    double outOfOrderRate = 0.01;     // share of replies delivered before their parent
    int meanReplyDelaySeconds = 1800; // exponential distribution of reply delays
};

// One simulated delivery. Sent mail has message.sender == account; replies, auto-replies and
// bounces come from others.
using SimulatedMail = Delivery;

// Deterministic mail traffic: the same config and start time give the same sequence of
// deliveries, bit for bit, on every machine (it uses its own PRNG, not std distributions).
// Not thread-safe; owned by one engine thread.
class TrafficSimulator {
public:
    TrafficSimulator(const SimulatorConfig& config, const QDateTime& start);
    ~TrafficSimulator();
    TrafficSimulator(const TrafficSimulator&) = delete;
    TrafficSimulator& operator=(const TrafficSimulator&) = delete;

    // Advances simulated time to `now` at `sentPerHour` new sent messages per hour and returns
    // everything delivered in between, in delivery order: new sent mail plus the replies,
    // auto-replies and bounces that came due. Calling with a `now` not after the previous one
    // returns nothing.
    QList<SimulatedMail> advanceTo(const QDateTime& now, double sentPerHour);

    // Account addresses, in order.
    QStringList accounts() const;

    const SimulatorConfig& config() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace trackwatch::core
