// SPDX-License-Identifier: MIT
#pragma once
// What every Trackwatch libFuzzer harness shares: the input as Qt sees it.

#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

namespace trackwatch::fuzz {

inline QByteArrayView bytes(const std::uint8_t* data, std::size_t size) {
    return QByteArrayView(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
}

// Fails the run (libFuzzer reports it as a crash and saves the input) when an invariant the
// harness checks does not hold.
#define TRACKWATCH_FUZZ_ASSERT(condition)                                                          \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            qFatal("fuzz invariant failed: %s (%s:%d)", #condition, __FILE__, __LINE__);           \
        }                                                                                          \
    } while (false)

} // namespace trackwatch::fuzz
