// SPDX-License-Identifier: MIT
#pragma once

#include "dashboard/dashboard_point.h"

#include <vector>

namespace trackwatch::ui {

// The live points of this engine, oldest first, in a ring of fixed capacity (24 hours at one
// point a second by default): pushing onto a full ring drops the oldest point. Points must
// arrive in increasing key order; one that does not is refused. Not thread-safe.
class LiveRing {
public:
    static constexpr int kDefaultCapacity = 24 * 3600;

    explicit LiveRing(int capacity = kDefaultCapacity);

    bool push(const DashboardPoint& point); // false when its key is not after the last one
    void clear();

    int size() const { return m_size; }
    int capacity() const { return static_cast<int>(m_points.size()); }
    bool isEmpty() const { return m_size == 0; }
    const DashboardPoint& at(int i) const; // 0 is the oldest
    const DashboardPoint& last() const { return at(m_size - 1); }
    const DashboardPoint& first() const { return at(0); }

private:
    std::vector<DashboardPoint> m_points;
    int m_head = 0; // index of the oldest point
    int m_size = 0;
};

} // namespace trackwatch::ui
