// SPDX-License-Identifier: MIT
#include "common/logging.h"

#include "common/repeat_filter_sink.h"

#include <QDir>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <mutex>
#include <vector>

#include <sys/stat.h>

namespace trackwatch::core::logging {
namespace {

struct Sinks {
    std::mutex mutex;
    std::vector<spdlog::sink_ptr> sinks;
    spdlog::level::level_enum level = spdlog::level::info;
};

Sinks& shared() {
    static Sinks s;
    return s;
}

} // namespace

bool initialize(const QString& logDir, const QString& level) {
    const auto parsed = spdlog::level::from_str(level.toStdString());
    // from_str answers "off" for anything it does not know; only accept "off" when asked for.
    const bool valid = parsed != spdlog::level::off || level == QLatin1String("off");
    Sinks& s = shared();
    std::lock_guard lock(s.mutex);
    s.sinks.clear();
    // Every logger writes through one filter, so a repeated line is held back wherever it
    // would have gone.
    auto filter = std::make_shared<RepeatFilterSink>();
    filter->add_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (!logDir.isEmpty() && QDir().mkpath(logDir)) {
        const QString file = QDir(logDir).filePath(QStringLiteral("trackwatch.log"));
        // The log may name mailboxes and hosts: only its owner reads it (0600), also after a
        // rotation creates a new file and when an older release left it 0644.
        spdlog::file_event_handlers handlers;
        handlers.after_open = [](const spdlog::filename_t&, std::FILE* stream) {
            if (stream) {
                (void)::fchmod(::fileno(stream), S_IRUSR | S_IWUSR);
            }
        };
        try {
            filter->add_sink(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                file.toStdString(), 5 * 1024 * 1024, 3, false, handlers));
        } catch (const spdlog::spdlog_ex&) {
            // An unwritable log file leaves the terminal sink; not a reason to stop.
        }
    }
    s.sinks.push_back(filter);
    s.level = valid ? parsed : spdlog::level::info;
    spdlog::drop_all();
    return valid;
}

std::shared_ptr<spdlog::logger> get(std::string_view name) {
    const std::string key(name);
    if (auto existing = spdlog::get(key)) {
        return existing;
    }
    Sinks& s = shared();
    std::lock_guard lock(s.mutex);
    if (auto existing = spdlog::get(key)) {
        return existing;
    }
    if (s.sinks.empty()) {
        s.sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    }
    auto logger = std::make_shared<spdlog::logger>(key, s.sinks.begin(), s.sinks.end());
    logger->set_level(s.level);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    spdlog::register_logger(logger);
    return logger;
}

} // namespace trackwatch::core::logging
