// SPDX-License-Identifier: MIT
#include "pages/overview_page.h"

#include "widgets/stat_tile.h"
#include "widgets/throughput_plot.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

OverviewPage::OverviewPage(QWidget* parent)
    : QWidget(parent)
    , m_plot(new ThroughputPlot(this))
    , m_mode(new QLabel(this)) {
    auto* layout = new QVBoxLayout(this);

    auto* statusBox = new QGroupBox(tr("Tracked emails"), this);
    auto* statusGrid = new QGridLayout(statusBox);
    auto* flowBox = new QGroupBox(tr("Ingestion since start"), this);
    auto* flowGrid = new QGridLayout(flowBox);

    const QList<QPair<QString, QString>> statusTiles = {
        {u"total"_s, tr("Total")},     {u"active"_s, tr("Active (awaiting reply)")},
        {u"replied"_s, tr("Replied")}, {u"bounced"_s, tr("Bounced")},
        {u"expired"_s, tr("Expired")}, {u"rate"_s, tr("Emails / hour")},
    };
    int column = 0;
    for (const auto& [name, caption] : statusTiles) {
        statusGrid->addWidget(addTile(name, caption), 0, column++);
    }
    const QList<QPair<QString, QString>> flowTiles = {
        {u"stored"_s, tr("Stored")},
        {u"matched"_s, tr("Replies matched")},
        {u"pending"_s, tr("Replies waiting for parent")},
        {u"autoReplies"_s, tr("Auto-replies ignored")},
        {u"bounces"_s, tr("Bounces")},
        {u"duplicates"_s, tr("Duplicates skipped")},
    };
    column = 0;
    for (const auto& [name, caption] : flowTiles) {
        flowGrid->addWidget(addTile(name, caption), 0, column++);
    }

    layout->addWidget(statusBox);
    layout->addWidget(flowBox);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_mode);
    m_mode->setText(tr("Waiting for the engine…"));
}

StatTile* OverviewPage::addTile(const QString& objectName, const QString& caption) {
    auto* tile = new StatTile(caption, this);
    tile->setObjectName(objectName);
    m_tiles.append(tile);
    return tile;
}

StatTile* OverviewPage::tile(const QString& objectName) const {
    for (StatTile* t : m_tiles) {
        if (t->objectName() == objectName) {
            return t;
        }
    }
    return nullptr;
}

void OverviewPage::showSnapshot(const core::EngineSnapshot& s) {
    const QLocale locale;
    auto number = [&](qint64 n) { return locale.toString(n); };
    qint64 total = 0;
    for (auto it = s.statusCounts.cbegin(); it != s.statusCounts.cend(); ++it) {
        total += it.value();
    }
    tile(u"total"_s)->setValue(number(total));
    for (const QString& status : {u"active"_s, u"replied"_s, u"bounced"_s, u"expired"_s}) {
        tile(status)->setValue(number(s.statusCounts.value(status)));
        tile(status)->setDetail(
            total > 0
                ? tr("%1 % of all")
                      .arg(locale.toString(100.0 * s.statusCounts.value(status) / total, 'f', 1))
                : QString());
    }
    StatTile* rate = tile(u"rate"_s);
    rate->setValue(number(qRound64(s.emailsPerHour)));
    rate->setDetail(tr("target %1").arg(number(qint64(ThroughputPlot::kTargetPerHour))));

    tile(u"stored"_s)->setValue(number(s.total.stored));
    tile(u"matched"_s)->setValue(number(s.total.replies()));
    tile(u"matched"_s)
        ->setDetail(tr("%1 after their parent landed").arg(number(s.total.lateReplies)));
    // Waiting now: kept when they arrived, minus those whose parent has landed since.
    tile(u"pending"_s)->setValue(number(s.total.waiting()));
    tile(u"autoReplies"_s)->setValue(number(s.total.autoReplies));
    tile(u"bounces"_s)->setValue(number(s.total.bounces()));
    tile(u"duplicates"_s)->setValue(number(s.total.duplicates));

    m_plot->append(s.at, s.emailsPerHour);
    m_mode->setText(tr("Ingestion: %1 · analytics refreshed by %2 · last update %3")
                        .arg(s.batchIngestion ? tr("batch") : tr("legacy (row at a time)"),
                             s.analyticsScheduler == u"pg_cron" ? tr("pg_cron") : tr("the engine"),
                             locale.toString(s.at.toLocalTime().time(), QLocale::LongFormat)));
}

} // namespace trackwatch::ui
