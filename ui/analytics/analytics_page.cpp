// SPDX-License-Identifier: MIT
#include "analytics/analytics_page.h"

#include "storage/database.h"
#include "storage/database_worker.h"
#include "tracking/email_search.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLocale>
#include <QMap>
#include <QPushButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QDateTime startOfHour(const QDateTime& t) {
    QDateTime h = t.toUTC();
    h.setTime(QTime(h.time().hour(), 0));
    return h;
}

QLineSeries* lineSeries(const QString& objectName, const QString& name, QObject* parent) {
    auto* s = new QLineSeries(parent);
    s->setObjectName(objectName);
    s->setName(name);
    return s;
}

// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `floor`.
double niceMax(double value, double floor) {
    if (value <= floor) {
        return floor;
    }
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * magnitude) {
            return step * magnitude;
        }
    }
    return 10 * magnitude;
}

} // namespace

AnalyticsPage::AnalyticsPage(core::DatabaseWorker* db, QWidget* parent)
    : QWidget(parent)
    , m_db(db) {
    setObjectName(u"analyticsPage"_s);

    m_account = new QComboBox(this);
    m_account->setObjectName(u"analyticsAccount"_s);
    m_account->setEditable(true);
    m_account->setInsertPolicy(QComboBox::NoInsert);
    m_account->lineEdit()->setPlaceholderText(tr("All accounts"));
    m_account->lineEdit()->setClearButtonEnabled(true);
    m_account->setMinimumContentsLength(24);
    m_range = new QComboBox(this);
    m_range->setObjectName(u"analyticsRange"_s);
    m_range->addItem(tr("Last 24 hours"), 24);
    m_range->addItem(tr("Last 7 days"), 24 * 7);
    m_range->addItem(tr("Last 30 days"), 24 * 30);
    m_range->addItem(tr("Last 90 days"), 24 * 90);
    m_range->setCurrentIndex(1);
    m_refresh = new QPushButton(tr("&Refresh"), this);
    m_refresh->setObjectName(u"analyticsRefresh"_s);
    m_summary = new QLabel(this);
    m_summary->setObjectName(u"analyticsSummary"_s);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Account"), this));
    controls->addWidget(m_account);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Range"), this));
    controls->addWidget(m_range);
    controls->addWidget(m_refresh);
    controls->addSpacing(12);
    controls->addWidget(m_summary, 1);

    m_sent = lineSeries(u"sentSeries"_s, tr("Sent"), this);
    m_replied = lineSeries(u"repliedSeries"_s, tr("Replied"), this);
    m_bounced = lineSeries(u"bouncedSeries"_s, tr("Bounced"), this);
    m_replyRate = lineSeries(u"replyRateSeries"_s, tr("Reply rate"), this);
    m_median = lineSeries(u"medianReplySeries"_s, tr("Median"), this);
    m_p90 = lineSeries(u"p90ReplySeries"_s, tr("P90"), this);

    QChartView* volume = addChart(tr("Emails per hour"), &m_volumeX, &m_volumeY, tr("emails"));
    for (QLineSeries* s : {m_sent, m_replied, m_bounced}) {
        volume->chart()->addSeries(s);
        s->attachAxis(m_volumeX);
        s->attachAxis(m_volumeY);
    }
    QChartView* rate = addChart(tr("Reply rate"), &m_rateX, &m_rateY, tr("%"));
    rate->chart()->addSeries(m_replyRate);
    m_replyRate->attachAxis(m_rateX);
    m_replyRate->attachAxis(m_rateY);
    m_rateY->setRange(0, 100);
    QChartView* reply = addChart(tr("Time to reply"), &m_replyX, &m_replyY, tr("minutes"));
    for (QLineSeries* s : {m_median, m_p90}) {
        reply->chart()->addSeries(s);
        s->attachAxis(m_replyX);
        s->attachAxis(m_replyY);
    }

    auto* charts = new QGridLayout;
    charts->addWidget(volume, 0, 0, 1, 2);
    charts->addWidget(rate, 1, 0);
    charts->addWidget(reply, 1, 1);
    charts->setRowStretch(0, 3);
    charts->setRowStretch(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addLayout(charts, 1);

    connect(m_refresh, &QPushButton::clicked, this, &AnalyticsPage::refresh);
    connect(m_range, &QComboBox::activated, this, [this] {
        if (m_range->currentData().toInt() > 0) { // not the custom range
            m_customSince = {};
            m_customUntil = {};
        }
        refresh();
    });
    connect(m_account, &QComboBox::activated, this, &AnalyticsPage::refresh);
    connect(m_account->lineEdit(), &QLineEdit::returnPressed, this, &AnalyticsPage::refresh);
    applyChartTheme();
}

QChartView* AnalyticsPage::addChart(const QString& title, QDateTimeAxis** xAxis, QValueAxis** yAxis,
                                    const QString& yTitle) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    *xAxis = new QDateTimeAxis(chart);
    (*xAxis)->setTickCount(7);
    *yAxis = new QValueAxis(chart);
    (*yAxis)->setTitleText(yTitle);
    (*yAxis)->setLabelFormat(u"%.0f"_s);
    (*yAxis)->setMin(0);
    (*yAxis)->setTickCount(6); // every nice maximum (1, 2 or 5 times ten to a power) in fifths
    chart->addAxis(*xAxis, Qt::AlignBottom);
    chart->addAxis(*yAxis, Qt::AlignLeft);
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(180);
    m_views << view;
    return view;
}

void AnalyticsPage::setRange(const QDateTime& since, const QDateTime& until) {
    m_customSince = since;
    m_customUntil = until;
    int custom = m_range->findData(0);
    if (custom < 0) {
        m_range->addItem(tr("Custom range"), 0);
        custom = m_range->count() - 1;
    }
    m_range->setCurrentIndex(custom);
    refresh();
}

void AnalyticsPage::setAccount(const QString& address) {
    m_account->setEditText(address);
    refresh();
}

QLineSeries* AnalyticsPage::series(const QString& objectName) const {
    for (QLineSeries* s : {m_sent, m_replied, m_bounced, m_replyRate, m_median, m_p90}) {
        if (s->objectName() == objectName) {
            return s;
        }
    }
    return nullptr;
}

QString AnalyticsPage::summaryText() const {
    return m_summary->text();
}

void AnalyticsPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_accountsLoaded) {
        m_accountsLoaded = true;
        loadAccounts();
    }
    if (!m_shownOnce) {
        m_shownOnce = true;
        refresh();
    }
}

void AnalyticsPage::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyChartTheme();
    }
}

void AnalyticsPage::applyChartTheme() {
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    for (QChartView* view : m_views) {
        QChart* chart = view->chart();
        const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
        if (chart->theme() != theme) {
            chart->setTheme(theme);
        }
        chart->setBackgroundBrush(palette().brush(QPalette::Base));
        chart->setTitleBrush(palette().brush(QPalette::Text));
        chart->legend()->setLabelColor(palette().color(QPalette::Text));
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsColor(palette().color(QPalette::Text));
            axis->setTitleBrush(palette().brush(QPalette::Text));
        }
        view->setBackgroundBrush(palette().brush(QPalette::Window));
    }
    // The same colours in both palettes: sent blue, replied green, bounced red.
    const QList<QPair<QLineSeries*, QColor>> colours = {
        {m_sent, QColor(0x3b, 0x82, 0xf6)},    {m_replied, QColor(0x16, 0xa3, 0x4a)},
        {m_bounced, QColor(0xdc, 0x26, 0x26)}, {m_replyRate, QColor(0x16, 0xa3, 0x4a)},
        {m_median, QColor(0x8b, 0x5c, 0xf6)},  {m_p90, QColor(0xf5, 0x9e, 0x0b)}};
    for (const auto& [s, colour] : colours) {
        QPen pen(colour);
        pen.setWidthF(2);
        s->setPen(pen);
    }
}

void AnalyticsPage::loadAccounts() {
    if (!m_db) {
        return;
    }
    m_db->run<QStringList>(
        this, [](core::Database& db) { return core::EmailSearch(db).accounts(); },
        [this](core::Result<QStringList> accounts) {
            if (!accounts) {
                m_accountsLoaded = false;
                return;
            }
            const QString typed = m_account->currentText();
            m_account->clear();
            m_account->addItem(QString());
            m_account->addItems(*accounts);
            m_account->setCurrentIndex(-1);
            m_account->setEditText(typed);
        });
}

void AnalyticsPage::refresh() {
    if (!m_db) {
        return;
    }
    QDateTime since = m_customSince;
    QDateTime until = m_customUntil;
    if (!since.isValid() || !until.isValid()) {
        const int hours = m_range->currentData().toInt();
        until = startOfHour(QDateTime::currentDateTimeUtc()).addSecs(3600);
        since = until.addSecs(-3600LL * (hours > 0 ? hours : 24 * 7));
    }
    core::AnalyticsQuery query{m_account->currentText().trimmed(), since, until};
    const quint64 generation = ++m_generation;
    m_summary->setText(tr("Loading…"));
    m_db->run<core::AnalyticsResult>(
        this,
        [query](core::Database& db) {
            // No cache and no guards: the rollup, or the raw rows when it cannot be read.
            return core::EmailQueryService(db, nullptr, {}).analytics(query);
        },
        [this, generation, since, until](core::Result<core::AnalyticsResult> result) {
            if (generation != m_generation) {
                return;
            }
            if (!result) {
                m_summary->setText(tr("Cannot load analytics: %1").arg(result.error().message));
                emit loadFailed(result.error().message);
                return;
            }
            showRows(result->rows, since, until);
            emit loaded();
        });
}

void AnalyticsPage::showRows(const QList<core::AnalyticsRow>& rows, const QDateTime& since,
                             const QDateTime& until) {
    m_rows = rows;
    QMap<qint64, const core::AnalyticsRow*> byHour;
    for (const core::AnalyticsRow& r : rows) {
        byHour.insert(r.hour.toMSecsSinceEpoch(), &r);
    }
    // Every hour of the range: an hour without mail is a zero, not a gap.
    QList<QPointF> sent;
    QList<QPointF> replied;
    QList<QPointF> bounced;
    QList<QPointF> rate;
    QList<QPointF> median;
    QList<QPointF> p90;
    qint64 totalSent = 0;
    qint64 totalReplied = 0;
    qint64 totalBounced = 0;
    qint64 totalExpired = 0;
    double maxCount = 0;
    double maxMinutes = 0;
    for (QDateTime hour = startOfHour(since); hour < until; hour = hour.addSecs(3600)) {
        const qint64 x = hour.toMSecsSinceEpoch();
        const core::AnalyticsRow* r = byHour.value(x, nullptr);
        const auto xf = static_cast<double>(x);
        sent << QPointF(xf, r ? static_cast<double>(r->sent) : 0.0);
        replied << QPointF(xf, r ? static_cast<double>(r->replied) : 0.0);
        bounced << QPointF(xf, r ? static_cast<double>(r->bounced) : 0.0);
        if (!r) {
            continue;
        }
        totalSent += r->sent;
        totalReplied += r->replied;
        totalBounced += r->bounced;
        totalExpired += r->expired;
        maxCount = std::max(maxCount, static_cast<double>(r->sent));
        if (r->sent > 0) {
            rate << QPointF(xf, 100.0 * r->replyRate);
        }
        if (r->medianReply) {
            median << QPointF(xf, *r->medianReply / 60.0);
            maxMinutes = std::max(maxMinutes, *r->medianReply / 60.0);
        }
        if (r->p90Reply) {
            p90 << QPointF(xf, *r->p90Reply / 60.0);
            maxMinutes = std::max(maxMinutes, *r->p90Reply / 60.0);
        }
    }
    m_sent->replace(sent);
    m_replied->replace(replied);
    m_bounced->replace(bounced);
    m_replyRate->replace(rate);
    m_median->replace(median);
    m_p90->replace(p90);

    const bool shortRange = since.secsTo(until) <= 2 * 86400;
    for (QDateTimeAxis* axis : {m_volumeX, m_rateX, m_replyX}) {
        axis->setFormat(shortRange ? u"HH:mm"_s : u"MMM d"_s);
        axis->setRange(since.toLocalTime(), until.toLocalTime());
    }
    m_volumeY->setRange(0, niceMax(maxCount, 5));
    m_replyY->setRange(0, niceMax(maxMinutes, 5));

    const QLocale locale;
    m_summary->setText(
        totalSent == 0 ? tr("No email was sent in this range.")
                       : tr("Sent %1 · replied %2 (%3%) · bounced %4 · expired %5")
                             .arg(locale.toString(totalSent), locale.toString(totalReplied),
                                  locale.toString(100.0 * static_cast<double>(totalReplied) /
                                                      static_cast<double>(totalSent),
                                                  'f', 1),
                                  locale.toString(totalBounced), locale.toString(totalExpired)));
}

} // namespace trackwatch::ui
