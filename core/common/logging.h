// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

// Lets spdlog format QString directly.
template <> struct fmt::formatter<QString> : fmt::formatter<std::string_view> {
    template <typename Ctx> auto format(const QString& s, Ctx& ctx) const {
        const QByteArray utf8 = s.toUtf8();
        return fmt::formatter<std::string_view>::format(
            std::string_view(utf8.constData(), static_cast<size_t>(utf8.size())), ctx);
    }
};

namespace trackwatch::core::logging {

// Sets up the sinks every named logger shares: the terminal (stderr) and, when logDir is not
// empty, a rotating file trackwatch.log there (5 MiB x 3, mode 0600). Level names are spdlog's (trace,
// debug, info, warn, error, critical, off). Returns false and leaves defaults on a bad level.
// Call once at start, before threads log.
bool initialize(const QString& logDir, const QString& level);

// A named logger ("core.ingest", "core.storage", ...) on the shared sinks; created on first
// use. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view name);

} // namespace trackwatch::core::logging
