// SPDX-License-Identifier: MIT
#include "dashboard/dashboard_page.h"

#include "common/clock.h"
#include "control/control_plane.h"
#include "dashboard/dashboard_targets.h"
#include "engine/engine_registry.h"
#include "monitoring/metric_history.h"
#include "storage/database_worker.h"
#include "widgets/stat_tile.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <utility>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;
using Level = StatTile::Level;

namespace {

constexpr double kDaySecs = 86400;
constexpr int kPollMs = 5000;
constexpr int kMaxAnnotations = 500;
const QString kThisEngine = u"@this"_s;
const QString kFleet = u"@fleet"_s;

const QColor kBlue(0x2a, 0x7a, 0xe2);
const QColor kGreen(0x2e, 0x9d, 0x4f);
const QColor kAmber(0xd0, 0x8a, 0x00);
const QColor kRed(0xd6, 0x3a, 0x3a);
const QColor kViolet(0x8e, 0x5c, 0xd9);
const QColor kTeal(0x1f, 0x9e, 0xa8);

double noData() {
    return std::numeric_limits<double>::quiet_NaN();
}

QString ageText(qint64 secs) {
    if (secs < 60) {
        return DashboardPage::tr("%n s", nullptr, static_cast<int>(std::max<qint64>(secs, 0)));
    }
    if (secs < 3600) {
        return DashboardPage::tr("%n min", nullptr, static_cast<int>(secs / 60));
    }
    if (secs < 86400) {
        return DashboardPage::tr("%1 h %2 min").arg(secs / 3600).arg((secs % 3600) / 60);
    }
    return DashboardPage::tr("%n day(s)", nullptr, static_cast<int>(secs / 86400));
}

QString actionText(const QString& action) {
    if (action == u"flag.set") {
        return DashboardPage::tr("Flag set");
    }
    if (action == u"flag.clear") {
        return DashboardPage::tr("Flag override cleared");
    }
    if (action == u"rollout.set") {
        return DashboardPage::tr("Rollout changed");
    }
    if (action == u"breaker.trip") {
        return DashboardPage::tr("Breaker tripped");
    }
    if (action == u"breaker.reset") {
        return DashboardPage::tr("Breaker reset");
    }
    if (action == u"rollback") {
        return DashboardPage::tr("Rollback");
    }
    if (action == u"roll-forward") {
        return DashboardPage::tr("Roll-forward");
    }
    return action;
}

PlotAnnotation::Kind kindOf(const QString& action) {
    if (action.startsWith(u"breaker.")) {
        return PlotAnnotation::Kind::Breaker;
    }
    if (action.startsWith(u"rollout.")) {
        return PlotAnnotation::Kind::Rollout;
    }
    if (action == u"rollback" || action == u"roll-forward") {
        return PlotAnnotation::Kind::Rollback;
    }
    return PlotAnnotation::Kind::Flag;
}

int healthRank(const QString& state) {
    return state == u"healthy" ? 0 : state == u"degraded" ? 1 : 2;
}

QString healthText(const QString& state) {
    return state == u"healthy"    ? DashboardPage::tr("healthy")
           : state == u"degraded" ? DashboardPage::tr("degraded")
                                  : DashboardPage::tr("unhealthy");
}

} // namespace

DashboardPage::DashboardPage(core::DatabaseWorker* db, std::shared_ptr<const core::Clock> clock,
                             QWidget* parent)
    : QWidget(parent)
    , m_db(db)
    , m_clock(std::move(clock))
    , m_historyFrom(noData()) {
    if (!m_clock) {
        m_clock = std::make_shared<core::SystemClock>();
    }
    buildUi();

    m_repaint.setSingleShot(true);
    m_repaint.setInterval(30);
    connect(&m_repaint, &QTimer::timeout, this, &DashboardPage::flush);
    m_flushStepTimer.setSingleShot(true);
    m_flushStepTimer.setInterval(0);
    connect(&m_flushStepTimer, &QTimer::timeout, this, &DashboardPage::flushStep);
    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, [this]() {
        if (isVisible()) {
            refresh();
        }
    });
    m_poll.start();
    m_historyDebounce.setSingleShot(true);
    m_historyDebounce.setInterval(300);
    connect(&m_historyDebounce, &QTimer::timeout, this, &DashboardPage::ensureHistory);

    // The range last chosen from the list (a custom range is not kept: it ends in the past).
    const int stored =
        QSettings().value(u"dashboard/range"_s, static_cast<int>(Range::OneHour)).toInt();
    setRange(stored == static_cast<int>(Range::FiveMinutes) ||
                     stored == static_cast<int>(Range::Day)
                 ? static_cast<Range>(stored)
                 : Range::OneHour);
    refresh();
}

DashboardPage::~DashboardPage() = default;

void DashboardPage::buildUi() {
    auto* layout = new QVBoxLayout(this);

    // The bar: engine, range, custom from/to, pause.
    auto* bar = new QHBoxLayout;
    auto* engineLabel = new QLabel(tr("&Engine:"), this);
    m_engineBox = new QComboBox(this);
    m_engineBox->setObjectName(u"engineSelector"_s);
    m_engineBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_engineBox->addItem(tr("This engine (live)"), kThisEngine);
    m_engineBox->addItem(tr("Whole fleet"), kFleet);
    engineLabel->setBuddy(m_engineBox);
    auto* rangeLabel = new QLabel(tr("&Range:"), this);
    m_rangeBox = new QComboBox(this);
    m_rangeBox->setObjectName(u"rangeSelector"_s);
    m_rangeBox->addItem(tr("Last 5 minutes"), static_cast<int>(Range::FiveMinutes));
    m_rangeBox->addItem(tr("Last hour"), static_cast<int>(Range::OneHour));
    m_rangeBox->addItem(tr("Last 24 hours"), static_cast<int>(Range::Day));
    m_rangeBox->addItem(tr("Custom…"), static_cast<int>(Range::Custom));
    rangeLabel->setBuddy(m_rangeBox);
    m_fromEdit = new QDateTimeEdit(this);
    m_toEdit = new QDateTimeEdit(this);
    for (QDateTimeEdit* edit : {m_fromEdit, m_toEdit}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(u"yyyy-MM-dd HH:mm"_s);
        edit->setVisible(false);
    }
    m_fromEdit->setToolTip(tr("From"));
    m_toEdit->setToolTip(tr("To"));
    m_applyCustom = new QPushButton(tr("Show"), this);
    m_applyCustom->setVisible(false);
    m_pauseButton = new QToolButton(this);
    m_pauseButton->setObjectName(u"pause"_s);
    m_pauseButton->setCheckable(true);
    m_pauseButton->setText(tr("Pause"));
    m_pauseButton->setToolTip(tr("Stop following live data (dragging or zooming a plot does "
                                 "too); click again to follow live"));
    m_followLabel = new QLabel(this);
    m_followLabel->setObjectName(u"following"_s);
    bar->addWidget(engineLabel);
    bar->addWidget(m_engineBox);
    bar->addSpacing(16);
    bar->addWidget(rangeLabel);
    bar->addWidget(m_rangeBox);
    bar->addWidget(m_fromEdit);
    bar->addWidget(m_toEdit);
    bar->addWidget(m_applyCustom);
    bar->addSpacing(16);
    bar->addWidget(m_pauseButton);
    bar->addWidget(m_followLabel);
    bar->addStretch(1);
    layout->addLayout(bar);

    // Tiles, alerts.
    auto* top = new QHBoxLayout;
    auto* tiles = new QGridLayout;
    const QLocale locale;
    const QList<std::tuple<QString, QString, QString>> tileSpecs = {
        {u"emailsPerHour"_s, tr("Emails / hour"),
         tr("target ≥ %1").arg(locale.toString(targets::kEmailsPerHour, 'f', 0))},
        {u"webhookJobs"_s, tr("Webhook jobs / minute"),
         tr("peak target ≥ %1").arg(locale.toString(targets::kWebhookJobsPerMinute, 'f', 0))},
        {u"cacheHitRate"_s, tr("Cache hit rate"),
         tr("target ≥ %1 %").arg(locale.toString(targets::kCacheHitRate * 100, 'f', 0))},
        {u"queryP95"_s, tr("Query latency P95"),
         tr("target ≤ %1 ms").arg(locale.toString(targets::kQueryP95Ms, 'f', 0))},
        {u"apiP95"_s, tr("API latency P95"),
         tr("target ≤ %1 ms").arg(locale.toString(targets::kApiP95Ms, 'f', 0))},
        {u"errorRate"_s, tr("Error rate"),
         tr("target ≤ %1 %").arg(locale.toString(targets::kErrorRate * 100, 'f', 0))},
        {u"queueDepth"_s, tr("Webhook queue depth"),
         tr("target ≤ %1").arg(locale.toString(targets::kQueueDepth, 'f', 0))},
        {u"cpu"_s, tr("CPU (one core = 100 %)"),
         tr("target ≤ %1 %").arg(locale.toString(targets::kCpuPercent, 'f', 0))},
        {u"memory"_s, tr("Memory (resident)"), tr("should stay stable")},
        {u"health"_s, tr("Health"), QString()},
    };
    int i = 0;
    for (const auto& [name, caption, detail] : tileSpecs) {
        tiles->addWidget(addTile(name, caption, detail), i / 5, i % 5);
        ++i;
    }
    top->addLayout(tiles, 3);
    auto* alertsBox = new QGroupBox(tr("Firing alerts (this engine)"), this);
    auto* alertsLayout = new QVBoxLayout(alertsBox);
    m_alertList = new QListWidget(alertsBox);
    m_alertList->setObjectName(u"alerts"_s);
    m_alertList->setWordWrap(true);
    m_alertList->setSelectionMode(QAbstractItemView::NoSelection);
    m_alertList->setMinimumWidth(300);
    alertsLayout->addWidget(m_alertList);
    top->addWidget(alertsBox, 1);
    layout->addLayout(top);

    // Plots, two columns.
    auto* area = new QScrollArea(this);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    auto* plotsWidget = new QWidget(area);
    auto* grid = new QGridLayout(plotsWidget);
    grid->setContentsMargins(0, 0, 0, 0);
    addPlot(u"throughput"_s, tr("Throughput"), tr("emails / hour"),
            {{Metric::EmailsPerHour, tr("Emails / hour"), kBlue, 1, 0, false},
             {Metric::WebhookJobsPerMinute, tr("Webhook jobs / minute"), kTeal, 1, 0, true}},
            {{targets::kEmailsPerHour, tr("Target %1 / hour").arg(locale.toString(10000)), false},
             {targets::kWebhookJobsPerMinute,
              tr("Peak target %1 jobs / minute").arg(locale.toString(800)), true}});
    m_plots.last()->setRightAxisLabel(tr("jobs / minute"));
    addPlot(u"cacheHitRate"_s, tr("Cache hit rate"), tr("%"),
            {{Metric::CacheHitRate, tr("Hit rate %"), kGreen, 100, 1, false}},
            {{targets::kCacheHitRate * 100, tr("Target 80 %"), false}});
    m_plots.last()->setFixedValueRange(0, 105);
    addPlot(u"queryLatency"_s, tr("Query latency"), tr("ms"),
            {{Metric::QueryP50Ms, tr("P50"), kGreen, 1, 1, false},
             {Metric::QueryP95Ms, tr("P95"), kBlue, 1, 1, false},
             {Metric::QueryP99Ms, tr("P99"), kViolet, 1, 1, false}},
            {{targets::kQueryP95Ms, tr("Target P95 100 ms"), false}});
    addPlot(u"apiLatency"_s, tr("API latency"), tr("ms"),
            {{Metric::ApiP50Ms, tr("P50"), kGreen, 1, 1, false},
             {Metric::ApiP95Ms, tr("P95"), kBlue, 1, 1, false},
             {Metric::ApiP99Ms, tr("P99"), kViolet, 1, 1, false}},
            {{targets::kApiP95Ms, tr("Target P95 200 ms"), false},
             {targets::kApiP99Ms, tr("Target P99 500 ms"), false}});
    addPlot(u"errorRate"_s, tr("Error rate"), tr("%"),
            {{Metric::ErrorRate, tr("Failed operations %"), kRed, 100, 2, false}},
            {{targets::kErrorRate * 100, tr("Target 1 %"), false}});
    addPlot(u"queueDepth"_s, tr("Webhook queue depth"), tr("jobs"),
            {{Metric::QueueDepth, tr("Queued or running"), kTeal, 1, 0, false}},
            {{targets::kQueueDepth, tr("Target ≤ 200"), false}});
    addPlot(u"cpu"_s, tr("Engine CPU"), tr("% of one core"),
            {{Metric::CpuPercent, tr("CPU %"), kBlue, 1, 1, false}},
            {{targets::kCpuPercent, tr("Target < 50 %"), false}});
    addPlot(u"memory"_s, tr("Engine memory"), tr("MiB"),
            {{Metric::MemoryBytes, tr("Resident MiB"), kViolet, 1.0 / (1024 * 1024), 1, false}},
            {});
    for (qsizetype p = 0; p < m_plots.size(); ++p) {
        grid->addWidget(m_plots.at(p), static_cast<int>(p / 2), static_cast<int>(p % 2));
    }
    area->setWidget(plotsWidget);
    layout->addWidget(area, 1);

    m_status = new QLabel(this);
    m_status->setObjectName(u"status"_s);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_status);
    setStatus(tr("Waiting for the engine…"));

    connect(m_rangeBox, &QComboBox::activated, this, [this](int index) {
        const auto r = static_cast<Range>(m_rangeBox->itemData(index).toInt());
        if (r == Range::Custom) {
            const QDateTime now = m_clock->now().toLocalTime();
            if (!m_fromEdit->isVisible()) {
                m_fromEdit->setDateTime(now.addSecs(-3 * 3600));
                m_toEdit->setDateTime(now);
            }
            for (QWidget* w :
                 std::initializer_list<QWidget*>{m_fromEdit, m_toEdit, m_applyCustom}) {
                w->setVisible(true);
            }
            return;
        }
        setRange(r);
        QSettings().setValue(u"dashboard/range"_s, static_cast<int>(r)); // the next start's range
    });
    connect(m_applyCustom, &QPushButton::clicked, this, [this]() {
        setCustomRange(m_fromEdit->dateTime().toUTC(), m_toEdit->dateTime().toUTC());
    });
    connect(m_pauseButton, &QToolButton::toggled, this, [this](bool on) { setPaused(on); });
    connect(m_engineBox, &QComboBox::currentIndexChanged, this, &DashboardPage::onViewChanged);
}

MetricPlot* DashboardPage::addPlot(const QString& name, const QString& title, const QString& unit,
                                   QList<MetricPlot::Series> series,
                                   QList<MetricPlot::TargetLine> targets) {
    auto* p = new MetricPlot(title, unit, std::move(series), std::move(targets), this);
    p->setObjectName(name);
    connect(p, &MetricPlot::userChangedXRange, this,
            [this, p](double lower, double upper) { onUserRange(p, lower, upper); });
    m_plots.append(p);
    return p;
}

StatTile* DashboardPage::addTile(const QString& name, const QString& caption,
                                 const QString& detail) {
    auto* t = new StatTile(caption, this);
    t->setObjectName(name);
    t->setDetail(detail);
    m_tiles.insert(name, t);
    return t;
}

MetricPlot* DashboardPage::plot(const QString& objectName) const {
    for (MetricPlot* p : m_plots) {
        if (p->objectName() == objectName) {
            return p;
        }
    }
    return nullptr;
}

StatTile* DashboardPage::tile(const QString& objectName) const {
    return m_tiles.value(objectName);
}

QStringList DashboardPage::alertLines() const {
    QStringList lines;
    for (int i = 0; i < m_alertList->count(); ++i) {
        if (m_alertList->item(i)->data(Qt::UserRole).toBool()) {
            lines << m_alertList->item(i)->text();
        }
    }
    return lines;
}

// ---- time ------------------------------------------------------------------------------

double DashboardPage::nowKey() const {
    double now = keyOf(m_clock->now());
    if (m_view == View::ThisEngine && !m_ring.isEmpty()) {
        now = std::max(now, m_ring.last().key);
    }
    return now;
}

double DashboardPage::spanOf(Range range) {
    switch (range) {
    case Range::FiveMinutes:
        return 300;
    case Range::OneHour:
        return 3600;
    case Range::Day:
    case Range::Custom:
        break;
    }
    return kDaySecs;
}

DashboardPage::Window DashboardPage::followWindow() const {
    if (m_range == Range::Custom) {
        return m_custom;
    }
    const double now = nowKey();
    return {now - spanOf(m_range), now};
}

double DashboardPage::historyStep(double span) const {
    // About 2,000 points per plot at most, in whole multiples of the 10 s the engines store.
    return std::max(10.0, std::ceil(span / 2000.0 / 10.0) * 10.0);
}

void DashboardPage::applyXRange(double lower, double upper) {
    for (MetricPlot* p : std::as_const(m_plots)) {
        p->setXRange(lower, upper);
    }
    markDirty();
}

void DashboardPage::follow() {
    const Window w = followWindow();
    applyXRange(w.lower, w.upper);
    if (m_view == View::ThisEngine && !m_ring.isEmpty()) {
        // Keep 24 hours in the plots (what the ring holds), or more while a longer window shows.
        const double keep = std::min(w.lower, m_ring.last().key - kDaySecs);
        for (MetricPlot* p : std::as_const(m_plots)) {
            p->removeBefore(keep);
        }
    }
}

void DashboardPage::setRange(Range range) {
    if (range == Range::Custom) {
        setCustomRange(timeOfKey(m_plots.first()->xLower()), timeOfKey(m_plots.first()->xUpper()));
        return;
    }
    m_range = range;
    m_rangeBox->setCurrentIndex(m_rangeBox->findData(static_cast<int>(range)));
    for (QWidget* w : std::initializer_list<QWidget*>{m_fromEdit, m_toEdit, m_applyCustom}) {
        w->setVisible(false);
    }
    setPaused(false);
    follow();
    ensureHistory();
}

void DashboardPage::setCustomRange(const QDateTime& from, const QDateTime& to) {
    if (!from.isValid() || !to.isValid() || !(from < to)) {
        showError(tr("The custom range needs a start before its end."));
        return;
    }
    m_range = Range::Custom;
    m_custom = {keyOf(from), keyOf(to)};
    m_rangeBox->setCurrentIndex(m_rangeBox->findData(static_cast<int>(Range::Custom)));
    m_fromEdit->setDateTime(from.toLocalTime());
    m_toEdit->setDateTime(to.toLocalTime());
    for (QWidget* w : std::initializer_list<QWidget*>{m_fromEdit, m_toEdit, m_applyCustom}) {
        w->setVisible(true);
    }
    setPaused(true);
    applyXRange(m_custom.lower, m_custom.upper);
    ensureHistory();
}

void DashboardPage::setPaused(bool paused) {
    const bool changed = paused != m_paused;
    m_paused = paused;
    {
        const QSignalBlocker block(m_pauseButton);
        m_pauseButton->setChecked(paused);
    }
    m_pauseButton->setText(paused ? tr("Follow live") : tr("Pause"));
    m_followLabel->setText(paused ? tr("Paused") : tr("Following live"));
    if (changed && !paused) {
        if (m_range == Range::Custom) {
            setRange(Range::OneHour);
            return;
        }
        follow();
        ensureHistory();
    }
}

void DashboardPage::onUserRange(MetricPlot* source, double lower, double upper) {
    for (MetricPlot* p : std::as_const(m_plots)) {
        if (p != source) {
            p->setXRange(lower, upper);
        }
    }
    setPaused(true);
    markDirty();
    m_historyDebounce.start();
}

// ---- data ------------------------------------------------------------------------------

void DashboardPage::showSnapshot(const core::EngineSnapshot& s) {
    const QDateTime at = s.sample.at.isValid() ? s.sample.at
                         : s.at.isValid()      ? s.at
                                               : m_clock->now();
    DashboardPoint point = pointFromSample(s.sample, keyOf(at));
    // Figures the engine reports outside the sample, for engines that do not sample them.
    if (std::isnan(point.value(Metric::EmailsPerHour))) {
        point.setValue(Metric::EmailsPerHour, s.emailsPerHour);
    }
    if (std::isnan(point.value(Metric::WebhookJobsPerMinute))) {
        point.setValue(Metric::WebhookJobsPerMinute, s.webhooks.jobsPerMinute);
    }
    if (std::isnan(point.value(Metric::QueueDepth))) {
        point.setValue(Metric::QueueDepth, static_cast<double>(s.webhooks.queueDepth));
    }
    const bool newEngine = !s.engineId.isEmpty() && s.engineId != m_thisEngineId;
    if (newEngine) {
        m_thisEngineId = s.engineId;
    }
    m_alerts = s.alerts;
    m_health = s.health;
    const bool first = !m_haveSnapshot;
    m_haveSnapshot = true;

    const bool added = m_ring.push(point);
    if (m_view == View::ThisEngine) {
        if (added) {
            for (MetricPlot* p : std::as_const(m_plots)) {
                p->appendPoint(point);
            }
        }
        showFigures(m_ring.isEmpty() ? point : m_ring.last());
        showHealth();
    }
    showAlerts();
    if (!m_paused) {
        follow();
    }
    if (first) {
        setStatus(QString());
    }
    if (newEngine) {
        if (m_view == View::ThisEngine) {
            m_historyFrom = noData();
            ensureHistory();
        }
    }
    markDirty();
}

void DashboardPage::onViewChanged() {
    const QString choice = m_engineBox->currentData().toString();
    const View view = choice == kThisEngine ? View::ThisEngine
                      : choice == kFleet    ? View::Fleet
                                            : View::OtherEngine;
    if (view == m_view && (view != View::OtherEngine || choice == m_viewEngine)) {
        return;
    }
    m_view = view;
    m_viewEngine = view == View::OtherEngine ? choice : QString();
    ++m_generation;
    for (MetricPlot* p : std::as_const(m_plots)) {
        p->clear();
    }
    if (m_view == View::ThisEngine) {
        rebuildThisEngine();
    } else {
        showFigures(pointFromSample(core::MonitorSample{}, 0));
        showHealth();
    }
    if (!m_paused) {
        follow();
    }
    ensureHistory();
    markDirty();
}

void DashboardPage::rebuildThisEngine() {
    m_historyFrom = noData();
    if (m_ring.isEmpty()) {
        return;
    }
    QList<DashboardPoint> points;
    points.reserve(m_ring.size());
    for (int i = 0; i < m_ring.size(); ++i) {
        points.append(m_ring.at(i));
    }
    for (MetricPlot* p : std::as_const(m_plots)) {
        p->addPoints(points);
    }
    showFigures(m_ring.last());
    showHealth();
}

// What the current window needs from the database and is not in the plots yet.
void DashboardPage::ensureHistory() {
    if (m_db == nullptr) {
        return;
    }
    const double lower = m_plots.first()->xLower();
    const double upper = m_plots.first()->xUpper();
    const double step = historyStep(upper - lower);
    if (m_view == View::ThisEngine) {
        if (m_thisEngineId.isEmpty()) {
            return; // until the first snapshot names this engine
        }
        // Before the oldest live point (or what was read before), never again after it.
        double end = m_ring.isEmpty() ? upper : m_ring.first().key;
        if (!std::isnan(m_historyFrom)) {
            end = std::min(end, m_historyFrom);
        }
        if (lower >= end) {
            return;
        }
        m_historyFrom = lower;
        m_historyStep = step;
        requestHistory(lower, end, HistoryMerge::Prepend);
        return;
    }
    m_historyStep = step;
    ++m_generation; // a new window replaces whatever was loading
    requestHistory(lower, upper, HistoryMerge::Replace);
}

void DashboardPage::requestHistory(double from, double to, HistoryMerge merge) {
    const QString engine = m_view == View::ThisEngine    ? m_thisEngineId
                           : m_view == View::OtherEngine ? m_viewEngine
                                                         : QString();
    const double step = m_historyStep;
    // Per engine; a longer stretch is averaged into buckets by MetricHistory.
    const int maxPoints = static_cast<int>(std::min(std::ceil((to - from) / step) + 1, 20000.0));
    const int generation = m_generation;
    const QDateTime fromTime = timeOfKey(from);
    const QDateTime toTime = timeOfKey(to);
    m_db->run<QList<DashboardPoint>>(
        this,
        [engine, fromTime, toTime, maxPoints,
         step](core::Database& db) -> core::Result<QList<DashboardPoint>> {
            core::MetricHistory history(db);
            auto samples = history.samples(engine, fromTime, toTime, maxPoints);
            if (!samples.ok()) {
                return samples.error();
            }
            return aggregateSamples(samples.value(), step);
        },
        [this, generation, merge, from](core::Result<QList<DashboardPoint>> result) {
            if (merge == HistoryMerge::Tail) {
                m_tailPending = false;
            }
            if (generation != m_generation) {
                return; // the view changed while it loaded
            }
            if (!result.ok()) {
                showError(tr("Stored history unavailable: %1").arg(result.error().message));
                return;
            }
            clearError();
            QList<DashboardPoint> points = std::move(result).value();
            if (merge != HistoryMerge::Prepend) {
                for (MetricPlot* p : std::as_const(m_plots)) {
                    if (merge == HistoryMerge::Replace) {
                        p->clear();
                    } else {
                        p->removeFrom(from);
                    }
                    p->addPoints(points);
                }
                if (!points.isEmpty()) {
                    showFigures(points.last());
                }
            } else {
                // History precedes what the plots hold: keep only the older part.
                const double first = m_plots.first()->firstKey();
                if (!std::isnan(first)) {
                    points.erase(std::remove_if(
                                     points.begin(), points.end(),
                                     [first](const DashboardPoint& p) { return !(p.key < first); }),
                                 points.end());
                }
                for (MetricPlot* p : std::as_const(m_plots)) {
                    p->addPoints(points);
                }
            }
            if (m_view != View::ThisEngine) {
                showHealth();
            }
            markDirty();
            emit historyLoaded();
        });
}

// Another engine or the fleet while following: the newest buckets again, as they fill.
void DashboardPage::pollTail() {
    if (m_db == nullptr || m_view == View::ThisEngine || m_paused || m_tailPending) {
        return;
    }
    const double last = m_plots.first()->lastKey();
    const double step = m_historyStep > 0 ? m_historyStep : 10.0;
    const double from =
        std::isnan(last) ? m_plots.first()->xLower() : std::floor(last / step) * step;
    m_tailPending = true;
    requestHistory(from, nowKey(), HistoryMerge::Tail);
}

void DashboardPage::refresh() {
    if (!m_paused && m_view != View::ThisEngine) {
        follow(); // no live data moves the window here
    }
    if (m_db == nullptr) {
        return;
    }
    requestEngines();
    requestAnnotations();
    pollTail();
}

void DashboardPage::requestAnnotations() {
    if (m_annotationsPending) {
        m_annotationsAgain = true; // what is loading may predate the change asked about
        return;
    }
    m_annotationsPending = true;
    const double lower = std::min(m_plots.first()->xLower(), nowKey() - kDaySecs);
    core::AuditFilter filter;
    filter.since = timeOfKey(lower);
    filter.limit = kMaxAnnotations;
    auto clock = m_clock;
    m_db->run<QList<core::AuditEntry>>(
        this,
        [filter, clock](core::Database& db) -> core::Result<QList<core::AuditEntry>> {
            core::ControlPlane control(db, *clock);
            return control.audit(filter);
        },
        [this](core::Result<QList<core::AuditEntry>> result) {
            m_annotationsPending = false;
            if (std::exchange(m_annotationsAgain, false)) {
                requestAnnotations();
            }
            if (!result.ok()) {
                showError(tr("Audit log unavailable: %1").arg(result.error().message));
                return;
            }
            clearError();
            applyAnnotations(result.value());
            emit annotationsLoaded();
        });
}

void DashboardPage::applyAnnotations(const QList<core::AuditEntry>& entries) {
    QList<qint64> ids;
    ids.reserve(entries.size());
    for (const core::AuditEntry& e : entries) {
        ids << e.id;
    }
    std::sort(ids.begin(), ids.end());
    if (ids == m_annotationIds) {
        return;
    }
    m_annotationIds = ids;
    QList<core::AuditEntry> sorted = entries;
    std::sort(sorted.begin(), sorted.end(),
              [](const core::AuditEntry& a, const core::AuditEntry& b) { return a.id < b.id; });
    // One marker per change: a rollback writes a row per flag at the same moment.
    QList<PlotAnnotation> annotations;
    const QLocale locale;
    for (const core::AuditEntry& e : sorted) {
        const double key = keyOf(e.at);
        const QString line = tr("%1 %2: %3 → %4")
                                 .arg(actionText(e.action), e.target,
                                      e.oldValue.isEmpty() ? tr("(none)") : e.oldValue,
                                      e.newValue.isEmpty() ? tr("(none)") : e.newValue);
        if (!annotations.isEmpty() && annotations.last().kind == kindOf(e.action) &&
            std::abs(annotations.last().key - key) < 1.0) {
            annotations.last().text += u'\n' + line;
            continue;
        }
        PlotAnnotation a;
        a.key = key;
        a.kind = kindOf(e.action);
        const QString who = e.actorOsUser.isEmpty() ? e.actorRole : e.actorOsUser;
        a.text = tr("%1 — by %2, reason: %3\n%4")
                     .arg(locale.toString(e.at.toLocalTime(), QLocale::ShortFormat), who, e.reason,
                          line);
        annotations.append(a);
    }
    for (MetricPlot* p : std::as_const(m_plots)) {
        p->setAnnotations(annotations);
    }
    markDirty();
}

void DashboardPage::requestEngines() {
    if (m_enginesPending) {
        m_enginesAgain = true;
        return;
    }
    m_enginesPending = true;
    auto clock = m_clock;
    m_db->run<QList<core::EngineInstance>>(
        this,
        [clock](core::Database& db) -> core::Result<QList<core::EngineInstance>> {
            core::EngineRegistry registry(db, *clock);
            return registry.engines();
        },
        [this](core::Result<QList<core::EngineInstance>> result) {
            m_enginesPending = false;
            if (std::exchange(m_enginesAgain, false)) {
                requestEngines();
            }
            if (!result.ok()) {
                showError(tr("Engine list unavailable: %1").arg(result.error().message));
                return;
            }
            clearError();
            m_engines = result.value();
            const QDateTime now = m_clock->now();
            const QString selected = m_engineBox->currentData().toString();
            {
                const QSignalBlocker block(m_engineBox);
                while (m_engineBox->count() > 2) {
                    m_engineBox->removeItem(2);
                }
                for (const core::EngineInstance& e : std::as_const(m_engines)) {
                    if (e.id == m_thisEngineId) {
                        continue;
                    }
                    const QString status = e.status(now);
                    const QString statusText = status == u"running"   ? tr("running")
                                               : status == u"stopped" ? tr("stopped")
                                                                      : tr("gone");
                    m_engineBox->addItem(
                        tr("%1 on %2 (pid %3, %4)").arg(e.kind, e.host).arg(e.pid).arg(statusText),
                        e.id);
                }
                const int index = m_engineBox->findData(selected);
                m_engineBox->setCurrentIndex(index >= 0 ? index : 0);
            }
            if (m_engineBox->currentData().toString() != selected) {
                onViewChanged(); // the engine shown was forgotten
            } else if (m_view != View::ThisEngine) {
                showHealth();
            }
            emit enginesLoaded();
        });
}

// ---- tiles, alerts, health -------------------------------------------------------------

void DashboardPage::showFigures(const DashboardPoint& p) {
    const QLocale locale;
    auto show = [&](const QString& name, Metric m, const QString& text) {
        StatTile* t = m_tiles.value(name);
        const double v = p.value(m);
        t->setValue(std::isnan(v) ? tr("–") : text);
        if (const Level level = levelFor(m, v); level != t->level()) {
            t->setLevel(level); // a palette change: only when it changes
        }
    };
    show(u"emailsPerHour"_s, Metric::EmailsPerHour,
         locale.toString(p.value(Metric::EmailsPerHour), 'f', 0));
    show(u"webhookJobs"_s, Metric::WebhookJobsPerMinute,
         locale.toString(p.value(Metric::WebhookJobsPerMinute), 'f', 0));
    show(u"cacheHitRate"_s, Metric::CacheHitRate,
         tr("%1 %").arg(locale.toString(p.value(Metric::CacheHitRate) * 100, 'f', 1)));
    show(u"queryP95"_s, Metric::QueryP95Ms,
         tr("%1 ms").arg(locale.toString(p.value(Metric::QueryP95Ms), 'f', 1)));
    show(u"apiP95"_s, Metric::ApiP95Ms,
         tr("%1 ms").arg(locale.toString(p.value(Metric::ApiP95Ms), 'f', 1)));
    show(u"errorRate"_s, Metric::ErrorRate,
         tr("%1 %").arg(locale.toString(p.value(Metric::ErrorRate) * 100, 'f', 2)));
    show(u"queueDepth"_s, Metric::QueueDepth, locale.toString(p.value(Metric::QueueDepth), 'f', 0));
    show(u"cpu"_s, Metric::CpuPercent,
         tr("%1 %").arg(locale.toString(p.value(Metric::CpuPercent), 'f', 1)));
    show(u"memory"_s, Metric::MemoryBytes,
         locale.formattedDataSize(static_cast<qint64>(p.value(Metric::MemoryBytes)), 1,
                                  QLocale::DataSizeTraditionalFormat));
}

void DashboardPage::showAlerts() {
    const QDateTime now = m_clock->now();
    QList<core::AlertStatus> firing;
    for (const core::AlertStatus& a : std::as_const(m_alerts)) {
        if (a.state == u"firing") {
            firing << a;
        }
    }
    std::sort(firing.begin(), firing.end(),
              [](const core::AlertStatus& a, const core::AlertStatus& b) {
                  if (a.severity != b.severity) {
                      return a.severity == u"critical";
                  }
                  return a.since < b.since;
              });
    QStringList lines;
    for (const core::AlertStatus& a : std::as_const(firing)) {
        const qint64 age = a.since.isValid() ? a.since.secsTo(now) : 0;
        const QString severity = a.severity == u"critical" ? tr("critical") : tr("warning");
        lines << tr("%1 · %2 · firing for %3\n%4").arg(a.rule, severity, ageText(age), a.summary);
    }
    if (lines == m_alertTexts && m_alertList->count() > 0) {
        return; // unchanged: no relayout once a second
    }
    const bool sameAlerts = !lines.isEmpty() && lines.size() == m_alertTexts.size() &&
                            m_alertList->count() == lines.size();
    m_alertTexts = lines;
    if (sameAlerts) {
        // The same alerts, older: new texts in place.
        for (qsizetype i = 0; i < lines.size(); ++i) {
            m_alertList->item(static_cast<int>(i))->setText(lines.at(i));
        }
        return;
    }
    m_alertList->clear();
    if (firing.isEmpty()) {
        auto* item = new QListWidgetItem(m_haveSnapshot ? tr("No alert is firing.")
                                                        : tr("Waiting for the engine…"));
        QFont italic = m_alertList->font();
        italic.setItalic(true);
        item->setFont(italic);
        m_alertList->addItem(item);
        return;
    }
    for (qsizetype i = 0; i < firing.size(); ++i) {
        auto* item = new QListWidgetItem(lines.at(i));
        item->setData(Qt::UserRole, true);
        item->setForeground(firing.at(i).severity == u"critical" ? kRed : kAmber);
        m_alertList->addItem(item);
    }
}

void DashboardPage::showHealth() {
    StatTile* t = m_tiles.value(u"health"_s);
    QString state;
    QStringList reasons;
    if (m_view == View::ThisEngine) {
        if (!m_haveSnapshot) {
            return;
        }
        state = m_health.state;
        reasons = m_health.reasons;
    } else {
        const QDateTime now = m_clock->now();
        int worst = -1;
        for (const core::EngineInstance& e : std::as_const(m_engines)) {
            if ((m_view == View::OtherEngine && e.id != m_viewEngine) ||
                (m_view == View::Fleet && e.status(now) != u"running")) {
                continue;
            }
            worst = std::max(worst, healthRank(e.health.state));
            for (const QString& r : e.health.reasons) {
                reasons << (m_view == View::Fleet ? tr("%1: %2").arg(e.host, r) : r);
            }
        }
        if (worst < 0) {
            t->setValue(tr("–"));
            t->setLevel(Level::Neutral);
            t->setDetail(m_view == View::Fleet ? tr("no engine running") : QString());
            return;
        }
        state = worst == 0 ? u"healthy"_s : worst == 1 ? u"degraded"_s : u"unhealthy"_s;
    }
    const int rank = healthRank(state);
    t->setValue(healthText(state));
    const Level level = rank == 0 ? Level::Good : rank == 1 ? Level::Warning : Level::Bad;
    if (level != t->level()) {
        t->setLevel(level);
    }
    t->setDetail(reasons.join(u'\n'));
}

// ---- painting --------------------------------------------------------------------------

void DashboardPage::markDirty() {
    m_dirty = true;
    if (!m_repaint.isActive()) {
        m_repaint.start();
    }
}

void DashboardPage::flush() {
    if (!isVisible()) {
        return; // showEvent() paints what changed meanwhile
    }
    m_dirty = false;
    for (MetricPlot* p : std::as_const(m_plots)) {
        p->rescale(); // all axes right at once, whenever a plot is drawn
    }
    m_flushNext = 0;
    flushStep();
}

// One plot per pass of the event loop, so that no pass holds the UI thread for all eight.
void DashboardPage::flushStep() {
    if (m_flushNext >= m_plots.size()) {
        return;
    }
    m_plots.at(m_flushNext++)->replotNow();
    if (m_flushNext < m_plots.size()) {
        m_flushStepTimer.start();
    }
}

void DashboardPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_dirty) {
        flush();
    }
    refresh();
}

void DashboardPage::showError(const QString& text) {
    setStatus(text);
    m_statusIsError = true;
}

void DashboardPage::clearError() {
    if (m_statusIsError) {
        setStatus(QString());
    }
}

void DashboardPage::setStatus(const QString& text) {
    m_statusIsError = false;
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
}

} // namespace trackwatch::ui
