// SPDX-License-Identifier: MIT
#include "widgets/throughput_plot.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

namespace trackwatch::ui {

ThroughputPlot::ThroughputPlot(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setMinimumHeight(220);

    const QPalette pal = palette();
    m_plot->setBackground(pal.color(QPalette::Base));
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setBasePen(QPen(pal.color(QPalette::Text)));
        axis->setTickPen(QPen(pal.color(QPalette::Text)));
        axis->setSubTickPen(QPen(pal.color(QPalette::Text)));
        axis->setTickLabelColor(pal.color(QPalette::Text));
        axis->setLabelColor(pal.color(QPalette::Text));
        axis->grid()->setPen(QPen(pal.color(QPalette::Mid), 0, Qt::DotLine));
    }
    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    m_plot->xAxis->setTicker(ticker);
    m_plot->yAxis->setLabel(tr("emails / hour"));

    m_graph = m_plot->addGraph();
    m_graph->setName(tr("Tracked emails per hour"));
    m_graph->setPen(QPen(QColor(0x2a, 0x7a, 0xe2), 2));
    m_graph->setAdaptiveSampling(true);
    m_target = m_plot->addGraph();
    m_target->setName(tr("Target 10,000 / hour"));
    m_target->setPen(QPen(QColor(0xd9, 0x82, 0x2b), 1.5, Qt::DashLine));
    m_plot->legend->setVisible(true);
    m_plot->legend->setBrush(pal.color(QPalette::Base));
    m_plot->legend->setTextColor(pal.color(QPalette::Text));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    m_plot->yAxis->setRange(0, kTargetPerHour * 1.5);
}

void ThroughputPlot::append(const QDateTime& at, double emailsPerHour) {
    const double x = static_cast<double>(at.toMSecsSinceEpoch()) / 1000.0;
    m_graph->data()->add(QCPGraphData(x, emailsPerHour));
    m_graph->data()->removeBefore(x - kWindowSecs);
    const double start = std::max(m_graph->data()->constBegin()->key, x - kWindowSecs);
    m_target->data()->set({QCPGraphData(start, kTargetPerHour), QCPGraphData(x, kTargetPerHour)},
                          true);
    m_plot->xAxis->setRange(start, std::max(x, start + 60));
    bool found = false;
    const QCPRange values = m_graph->data()->valueRange(found);
    const double top = std::max(kTargetPerHour, found ? values.upper : 0.0) * 1.25;
    m_plot->yAxis->setRange(0, top);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int ThroughputPlot::pointCount() const {
    return m_graph->dataCount();
}

} // namespace trackwatch::ui
