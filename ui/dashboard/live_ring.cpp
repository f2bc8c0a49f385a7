// SPDX-License-Identifier: MIT
#include "dashboard/live_ring.h"

#include <algorithm>

namespace trackwatch::ui {

LiveRing::LiveRing(int capacity)
    : m_points(static_cast<std::size_t>(std::max(1, capacity))) {}

bool LiveRing::push(const DashboardPoint& point) {
    if (m_size > 0 && !(point.key > last().key)) {
        return false;
    }
    const int cap = capacity();
    if (m_size < cap) {
        m_points[static_cast<std::size_t>((m_head + m_size) % cap)] = point;
        ++m_size;
    } else {
        m_points[static_cast<std::size_t>(m_head)] = point;
        m_head = (m_head + 1) % cap;
    }
    return true;
}

void LiveRing::clear() {
    m_head = 0;
    m_size = 0;
}

const DashboardPoint& LiveRing::at(int i) const {
    return m_points[static_cast<std::size_t>((m_head + i) % capacity())];
}

} // namespace trackwatch::ui
