// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringView>

#include <cstdint>

namespace trackwatch::core {

// MurmurHash3 x86 32-bit (Austin Appleby's reference algorithm). Pure and thread-safe.
std::uint32_t murmur3_32(QByteArrayView data, std::uint32_t seed = 0);

// Gradual rollout bucketing, the way Unleash does it for stickiness: the bucket of an account
// for a rollout is murmur3_32(UTF-8 of "<rollout>:<accountId>", seed 0) % 100, and the
// account is in the rollout when its bucket is below the percentage. A bucket never changes,
// so raising a percentage only ever adds accounts. Pure and thread-safe.
class Rollout {
public:
    struct Definition {
        QString name;
        int defaultPercentage;
    };

    // The seed's rollouts and starting percentages: optimizedQueries 25, caching 50,
    // batchProcessing 10.
    static const QList<Definition>& definitions();

    static int bucket(QStringView rollout, QStringView accountId);
    static bool includes(QStringView rollout, QStringView accountId, int percentage);

    // Whether a percentage is acceptable (0..100).
    static bool validPercentage(int percentage) { return percentage >= 0 && percentage <= 100; }
};

} // namespace trackwatch::core
