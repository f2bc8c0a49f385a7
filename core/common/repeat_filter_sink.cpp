// SPDX-License-Identifier: MIT
#include "common/repeat_filter_sink.h"

#include <spdlog/fmt/fmt.h>

namespace trackwatch::core::logging {

RepeatFilterSink::RepeatFilterSink(std::chrono::seconds window, std::size_t capacity)
    : m_window(window)
    , m_capacity(std::max<std::size_t>(1, capacity)) {}

void RepeatFilterSink::sink_it_(const spdlog::details::log_msg& msg) {
    std::string key;
    key.reserve(msg.logger_name.size() + msg.payload.size() + 4);
    key.append(msg.logger_name.data(), msg.logger_name.size());
    key += '\x1f';
    key += static_cast<char>('0' + static_cast<int>(msg.level));
    key += '\x1f';
    key.append(msg.payload.data(), msg.payload.size());

    auto it = m_seen.find(key);
    if (it == m_seen.end()) {
        if (m_seen.size() >= m_capacity) {
            m_seen.erase(m_order.back());
            m_order.pop_back();
        }
        m_order.push_front(key);
        m_seen.emplace(key, Seen{msg.time, 0, m_order.begin()});
        dist_sink::sink_it_(msg);
        return;
    }
    Seen& seen = it->second;
    m_order.splice(m_order.begin(), m_order, seen.age);
    const auto since = msg.time - seen.windowStart;
    if (since < m_window) {
        ++seen.held;
        return;
    }
    if (seen.held == 0) { // quiet for a whole window: an ordinary message again
        seen.windowStart = msg.time;
        dist_sink::sink_it_(msg);
        return;
    }
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    const std::string text =
        fmt::format("repeated {} times in the last {} s: {}", seen.held + 1, secs,
                    std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg summary(msg.time, msg.source, msg.logger_name, msg.level, text);
    seen.windowStart = msg.time;
    seen.held = 0;
    dist_sink::sink_it_(summary);
}

} // namespace trackwatch::core::logging
