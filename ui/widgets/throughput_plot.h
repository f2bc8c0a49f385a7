// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QWidget>

class QCustomPlot;
class QCPGraph;

namespace trackwatch::ui {

// Emails per hour over the last minutes, with the seed's 10,000/hour target as a line.
// Appends at the end, trims the front, and replots queued so bursts collapse into one paint.
class ThroughputPlot : public QWidget {
    Q_OBJECT
public:
    explicit ThroughputPlot(QWidget* parent = nullptr);

    void append(const QDateTime& at, double emailsPerHour);
    int pointCount() const;

    static constexpr double kTargetPerHour = 10000.0;
    static constexpr int kWindowSecs = 15 * 60;

private:
    QCustomPlot* m_plot;
    QCPGraph* m_graph;
    QCPGraph* m_target;
};

} // namespace trackwatch::ui
