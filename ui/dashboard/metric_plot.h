// SPDX-License-Identifier: MIT
#pragma once

#include "dashboard/dashboard_point.h"

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

#include <limits>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemTracer;
class QMouseEvent;

namespace trackwatch::ui {

// A vertical marker: something changed in the control plane at `key` (seconds since epoch).
struct PlotAnnotation {
    enum class Kind { Flag, Rollout, Breaker, Rollback };
    double key = 0;
    Kind kind = Kind::Flag;
    QString text; // what hovering over the marker shows
};

// One QCustomPlot with a title, a few series of DashboardPoint figures against a date-time x
// axis, the targets as dashed lines, the annotations as vertical markers, and a tracer with a
// tooltip for the value under the cursor. Data is appended at the end or merged in sorted, never
// rebuilt per update; refresh() rescales y over the visible range and queues one replot.
// The x axis can be dragged and zoomed with the mouse (userChangedXRange() tells); y follows the
// data. Lives on the UI thread.
class MetricPlot : public QWidget {
    Q_OBJECT
public:
    struct Series {
        Metric metric = Metric::EmailsPerHour;
        QString name;
        QColor color;
        double scale = 1.0; // display unit per stored unit (0..1 rate -> %)
        int decimals = 0;
        bool rightAxis = false;
    };
    struct TargetLine {
        double value = 0; // in display units
        QString name;
        bool rightAxis = false;
    };

    MetricPlot(const QString& title, const QString& unit, QList<Series> series,
               QList<TargetLine> targets, QWidget* parent = nullptr);

    void setRightAxisLabel(const QString& label);
    // A fixed y range (a percentage 0..100) instead of following the data.
    void setFixedValueRange(double lower, double upper);

    void clear();
    void appendPoint(const DashboardPoint& point);
    void addPoints(const QList<DashboardPoint>& points); // sorted; merged with what is there
    void removeBefore(double key);                       // drops points with smaller keys
    void removeFrom(double key);                         // drops points with keys >= key

    int seriesCount() const { return static_cast<int>(m_series.size()); }
    int pointCount(int series = 0) const;
    double firstKey() const; // NaN when empty
    double lastKey() const;  // NaN when empty
    // The plotted value (display units) of a series at the point nearest before or at key.
    double valueAt(int series, double key) const;

    void setXRange(double lower, double upper); // does not emit userChangedXRange()
    double xLower() const;
    double xUpper() const;

    void setAnnotations(const QList<PlotAnnotation>& annotations);
    int annotationCount() const { return static_cast<int>(m_markers.size()); }
    // What hovering at `key` shows: the annotations within `tolerance` seconds of it if any,
    // else the time and each series' value there.
    QString hoverText(double key, double tolerance) const;

    // Rescales y over the visible x range and queues a replot.
    void refresh();
    void rescale();   // y over the visible x range, without replotting
    void replotNow(); // replots at once (the widget repaints at the next paint event)
    QCustomPlot* customPlot() const { return m_plot; }

signals:
    void userChangedXRange(double lower, double upper);
    void replotted(); // after every replot of the plot

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyPalette();
    void onMouseMove(QMouseEvent* event);
    void updateTicker(double span);

    QCustomPlot* m_plot;
    QList<Series> m_series;
    QList<TargetLine> m_targets;
    QList<QCPGraph*> m_graphs;
    QList<QCPGraph*> m_targetLegend;
    QList<QCPItemStraightLine*> m_targetLines;
    QList<QCPItemStraightLine*> m_markers;
    QList<PlotAnnotation> m_annotations;
    QCPItemTracer* m_tracer;
    double m_fixedLower = std::numeric_limits<double>::quiet_NaN();
    double m_fixedUpper = std::numeric_limits<double>::quiet_NaN();
    int m_tickerBucket = -1;
    bool m_settingRange = false;
};

} // namespace trackwatch::ui
