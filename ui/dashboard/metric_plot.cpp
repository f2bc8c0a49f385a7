// SPDX-License-Identifier: MIT
#include "dashboard/metric_plot.h"

#include <QEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

const QColor kTargetColour(0xd9, 0x82, 0x2b);

QColor markerColour(PlotAnnotation::Kind kind) {
    switch (kind) {
    case PlotAnnotation::Kind::Flag:
        return {0x9b, 0x59, 0xb6};
    case PlotAnnotation::Kind::Rollout:
        return {0x2a, 0x9d, 0x8f};
    case PlotAnnotation::Kind::Breaker:
        return {0xe4, 0x57, 0x2e};
    case PlotAnnotation::Kind::Rollback:
        break;
    }
    return {0xc0, 0x39, 0x2b};
}

} // namespace

MetricPlot::MetricPlot(const QString& title, const QString& unit, QList<Series> series,
                       QList<TargetLine> targets, QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_series(std::move(series))
    , m_targets(std::move(targets)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setMinimumHeight(210);
    m_plot->setMouseTracking(true);

    m_plot->plotLayout()->insertRow(0);
    auto* titleElement = new QCPTextElement(m_plot, title);
    QFont titleFont = font();
    titleFont.setBold(true);
    titleElement->setFont(titleFont);
    titleElement->setObjectName(u"title"_s);
    m_plot->plotLayout()->addElement(0, 0, titleElement);

    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeSpec(Qt::LocalTime);
    m_plot->xAxis->setTicker(ticker);
    m_plot->yAxis->setLabel(unit);

    bool anyRight = false;
    for (const Series& s : m_series) {
        QCPGraph* graph =
            m_plot->addGraph(m_plot->xAxis, s.rightAxis ? m_plot->yAxis2 : m_plot->yAxis);
        graph->setName(s.name);
        // One pixel wide: Qt's raster engine draws that as a fast cosmetic line, where a wider
        // pen strokes a polygon of every sampled segment (ten times the cost at 24 hours).
        QPen pen(s.color, 1);
        pen.setCosmetic(true);
        graph->setPen(pen);
        graph->setAdaptiveSampling(true);
        graph->setAntialiased(false);
        m_graphs.append(graph);
        anyRight = anyRight || s.rightAxis;
    }
    for (const TargetLine& t : m_targets) {
        QCPAxis* axis = t.rightAxis ? m_plot->yAxis2 : m_plot->yAxis;
        // An empty graph gives the target its legend entry; the line itself is an item, so
        // it costs nothing per update.
        QCPGraph* legend = m_plot->addGraph(m_plot->xAxis, axis);
        legend->setName(t.name);
        legend->setPen(QPen(kTargetColour, 1.5, Qt::DashLine));
        m_targetLegend.append(legend);
        auto* line = new QCPItemStraightLine(m_plot);
        line->setPen(QPen(kTargetColour, 1.5, Qt::DashLine));
        for (QCPItemPosition* pos : {line->point1, line->point2}) {
            pos->setAxes(m_plot->xAxis, axis);
        }
        line->point1->setCoords(0, t.value);
        line->point2->setCoords(1, t.value);
        line->setSelectable(false);
        m_targetLines.append(line);
    }
    if (anyRight) {
        m_plot->yAxis2->setVisible(true);
    }
    // The legend in one row under the axes, where it hides no data.
    m_plot->legend->setVisible(true);
    m_plot->legend->setIconSize(18, 8);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setWrap(4);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setColumnSpacing(12);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(2, 0.001);
    m_plot->plotLayout()->setRowSpacing(0);

    m_tracer = new QCPItemTracer(m_plot);
    m_tracer->setStyle(QCPItemTracer::tsCircle);
    m_tracer->setSize(7);
    m_tracer->setInterpolating(false);
    m_tracer->setVisible(false);
    m_tracer->setSelectable(false);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->setNoAntialiasingOnDrag(true);
    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this](const QCPRange& range) {
                updateTicker(range.size());
                if (!m_settingRange) {
                    emit userChangedXRange(range.lower, range.upper);
                }
            });
    connect(m_plot, &QCustomPlot::mouseMove, this, &MetricPlot::onMouseMove);
    connect(m_plot, &QCustomPlot::afterReplot, this, &MetricPlot::replotted);
    applyPalette();
}

void MetricPlot::setRightAxisLabel(const QString& label) {
    m_plot->yAxis2->setLabel(label);
}

void MetricPlot::setFixedValueRange(double lower, double upper) {
    m_fixedLower = lower;
    m_fixedUpper = upper;
    m_plot->yAxis->setRange(lower, upper);
}

void MetricPlot::applyPalette() {
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    m_plot->setBackground(pal.color(QPalette::Base));
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        QColor grid = text;
        grid.setAlpha(50);
        axis->grid()->setPen(QPen(grid, 0, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    m_plot->legend->setBrush(Qt::NoBrush);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setTextColor(text);
    if (auto* title = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0))) {
        title->setTextColor(text);
    }
    m_tracer->setPen(QPen(text));
    m_tracer->setBrush(pal.color(QPalette::Base));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MetricPlot::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPalette();
    }
}

void MetricPlot::clear() {
    for (QCPGraph* g : std::as_const(m_graphs)) {
        g->data()->clear();
    }
}

void MetricPlot::appendPoint(const DashboardPoint& point) {
    for (qsizetype i = 0; i < m_graphs.size(); ++i) {
        const Series& s = m_series.at(i);
        m_graphs.at(i)->data()->add(QCPGraphData(point.key, point.value(s.metric) * s.scale));
    }
}

void MetricPlot::addPoints(const QList<DashboardPoint>& points) {
    if (points.isEmpty()) {
        return;
    }
    for (qsizetype i = 0; i < m_graphs.size(); ++i) {
        const Series& s = m_series.at(i);
        QVector<QCPGraphData> values;
        values.reserve(points.size());
        for (const DashboardPoint& p : points) {
            values.append(QCPGraphData(p.key, p.value(s.metric) * s.scale));
        }
        m_graphs.at(i)->data()->add(values, true);
    }
}

void MetricPlot::removeBefore(double key) {
    for (QCPGraph* g : std::as_const(m_graphs)) {
        g->data()->removeBefore(key);
    }
}

void MetricPlot::removeFrom(double key) {
    for (QCPGraph* g : std::as_const(m_graphs)) {
        // removeAfter() drops keys greater than its argument.
        g->data()->removeAfter(std::nextafter(key, -std::numeric_limits<double>::infinity()));
    }
}

int MetricPlot::pointCount(int series) const {
    return m_graphs.value(series) ? m_graphs.at(series)->dataCount() : 0;
}

double MetricPlot::firstKey() const {
    const auto container = m_graphs.first()->data();
    return container->isEmpty() ? std::numeric_limits<double>::quiet_NaN()
                                : container->constBegin()->key;
}

double MetricPlot::lastKey() const {
    const auto container = m_graphs.first()->data();
    return container->isEmpty() ? std::numeric_limits<double>::quiet_NaN()
                                : (container->constEnd() - 1)->key;
}

double MetricPlot::valueAt(int series, double key) const {
    QCPGraph* g = m_graphs.value(series);
    if (g == nullptr || g->data()->isEmpty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    // The last point at or before key: findEnd() without expanding is the first one after it.
    auto it = g->data()->findEnd(key, false);
    if (it == g->data()->constBegin()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    --it;
    return it->value;
}

void MetricPlot::setXRange(double lower, double upper) {
    m_settingRange = true;
    m_plot->xAxis->setRange(lower, upper);
    m_settingRange = false;
}

double MetricPlot::xLower() const {
    return m_plot->xAxis->range().lower;
}

double MetricPlot::xUpper() const {
    return m_plot->xAxis->range().upper;
}

void MetricPlot::updateTicker(double span) {
    // Reformat only when the span crosses a boundary, not on every pan.
    const int bucket = span <= 900 ? 0 : span <= 2 * 86400 ? 1 : 2;
    if (bucket == m_tickerBucket) {
        return;
    }
    m_tickerBucket = bucket;
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerDateTime>(m_plot->xAxis->ticker());
    if (ticker) {
        ticker->setDateTimeFormat(bucket == 0   ? u"HH:mm:ss"_s
                                  : bucket == 1 ? u"HH:mm"_s
                                                : u"dd MMM HH:mm"_s);
    }
}

void MetricPlot::setAnnotations(const QList<PlotAnnotation>& annotations) {
    for (QCPItemStraightLine* line : std::as_const(m_markers)) {
        m_plot->removeItem(line);
    }
    m_markers.clear();
    m_annotations = annotations;
    for (const PlotAnnotation& a : annotations) {
        auto* line = new QCPItemStraightLine(m_plot);
        line->setPen(QPen(markerColour(a.kind), a.kind == PlotAnnotation::Kind::Rollback ? 2 : 1.4,
                          Qt::SolidLine));
        line->point1->setCoords(a.key, 0);
        line->point2->setCoords(a.key, 1);
        line->setSelectable(false);
        m_markers.append(line);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString MetricPlot::hoverText(double key, double tolerance) const {
    QStringList marks;
    for (const PlotAnnotation& a : m_annotations) {
        if (std::abs(a.key - key) <= tolerance) {
            marks << a.text;
        }
    }
    if (!marks.isEmpty()) {
        return marks.join(u"\n\n"_s);
    }
    const QLocale locale;
    QStringList lines;
    lines << locale.toString(timeOfKey(key).toLocalTime(), QLocale::ShortFormat);
    for (qsizetype i = 0; i < m_series.size(); ++i) {
        const double v = valueAt(static_cast<int>(i), key);
        lines << tr("%1: %2").arg(m_series.at(i).name,
                                  std::isnan(v) ? tr("no data")
                                                : locale.toString(v, 'f', m_series.at(i).decimals));
    }
    return lines.join(u'\n');
}

void MetricPlot::onMouseMove(QMouseEvent* event) {
    const double x = event->position().x();
    if (!m_plot->axisRect()->rect().contains(event->position().toPoint()) ||
        m_graphs.first()->data()->isEmpty()) {
        if (m_tracer->visible()) {
            m_tracer->setVisible(false);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
        QToolTip::hideText();
        return;
    }
    const double key = m_plot->xAxis->pixelToCoord(x);
    const double tolerance = std::abs(m_plot->xAxis->pixelToCoord(x + 5) - key);
    m_tracer->setGraph(m_graphs.first());
    m_tracer->setGraphKey(key);
    m_tracer->setVisible(true);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    QToolTip::showText(event->globalPosition().toPoint(), hoverText(key, tolerance), m_plot);
}

void MetricPlot::refresh() {
    rescale();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MetricPlot::rescale() {
    const QCPRange visible = m_plot->xAxis->range();
    for (QCPAxis* axis : {m_plot->yAxis, m_plot->yAxis2}) {
        if (axis == m_plot->yAxis && !std::isnan(m_fixedUpper)) {
            continue;
        }
        double top = 0;
        bool any = false;
        for (qsizetype i = 0; i < m_graphs.size(); ++i) {
            if (m_graphs.at(i)->valueAxis() != axis) {
                continue;
            }
            any = true;
            bool found = false;
            const QCPRange r = m_graphs.at(i)->data()->valueRange(found, QCP::sdBoth, visible);
            if (found) {
                top = std::max(top, r.upper);
            }
        }
        if (!any) {
            continue;
        }
        for (qsizetype i = 0; i < m_targets.size(); ++i) {
            if ((m_targets.at(i).rightAxis ? m_plot->yAxis2 : m_plot->yAxis) == axis) {
                top = std::max(top, m_targets.at(i).value);
            }
        }
        axis->setRange(0, top > 0 ? top * 1.15 : 1.0);
    }
}

void MetricPlot::replotNow() {
    m_plot->replot(QCustomPlot::rpRefreshHint);
}

} // namespace trackwatch::ui
