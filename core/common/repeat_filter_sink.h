// SPDX-License-Identifier: MIT
#pragma once

#include <spdlog/sinks/dist_sink.h>

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace trackwatch::core::logging {

// Passes every message on to its sinks once; an identical one (same logger, level and text)
// seen again within `window` is held back and counted, and the first repeat after the window
// has passed goes out as "repeated N times in the last M s: <text>". An engine that cannot
// reach its database for an hour writes a few lines a minute, not one per statement per tick.
// Messages are told apart by their own time stamps (spdlog's log_msg::time), so tests give
// the times instead of waiting. Remembers the `capacity` most recent distinct messages.
class RepeatFilterSink final : public spdlog::sinks::dist_sink<std::mutex> {
public:
    explicit RepeatFilterSink(std::chrono::seconds window = std::chrono::seconds(60),
                              std::size_t capacity = 256);

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;

private:
    struct Seen {
        spdlog::log_clock::time_point windowStart; // when the last line for it went out
        std::size_t held = 0;                      // repeats held back since then
        std::list<std::string>::iterator age;      // its place in m_order
    };
    std::chrono::seconds m_window;
    std::size_t m_capacity;
    std::unordered_map<std::string, Seen> m_seen;
    std::list<std::string> m_order; // most recent first
};

} // namespace trackwatch::core::logging
