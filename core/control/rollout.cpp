// SPDX-License-Identifier: MIT
#include "control/rollout.h"

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr std::uint32_t rotl(std::uint32_t x, int r) {
    return (x << r) | (x >> (32 - r));
}

} // namespace

std::uint32_t murmur3_32(QByteArrayView data, std::uint32_t seed) {
    constexpr std::uint32_t c1 = 0xcc9e2d51;
    constexpr std::uint32_t c2 = 0x1b873593;
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const auto length = static_cast<std::size_t>(data.size());
    const std::size_t blocks = length / 4;
    std::uint32_t h = seed;
    for (std::size_t i = 0; i < blocks; ++i) {
        const unsigned char* p = bytes + i * 4;
        std::uint32_t k =
            static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
            (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
        k *= c1;
        k = rotl(k, 15);
        k *= c2;
        h ^= k;
        h = rotl(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const unsigned char* tail = bytes + blocks * 4;
    std::uint32_t k = 0;
    switch (length & 3) {
    case 3:
        k ^= static_cast<std::uint32_t>(tail[2]) << 16;
        [[fallthrough]];
    case 2:
        k ^= static_cast<std::uint32_t>(tail[1]) << 8;
        [[fallthrough]];
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= static_cast<std::uint32_t>(length);
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

const QList<Rollout::Definition>& Rollout::definitions() {
    static const QList<Definition> list = {
        {u"optimizedQueries"_s, 25},
        {u"caching"_s, 50},
        {u"batchProcessing"_s, 10},
    };
    return list;
}

int Rollout::bucket(QStringView rollout, QStringView accountId) {
    const QByteArray key = (rollout.toString() + u':' + accountId.toString()).toUtf8();
    return static_cast<int>(murmur3_32(key, 0) % 100);
}

bool Rollout::includes(QStringView rollout, QStringView accountId, int percentage) {
    return bucket(rollout, accountId) < percentage;
}

} // namespace trackwatch::core
