// SPDX-License-Identifier: MIT
#pragma once

#include "engine/engine.h"

#include <QWidget>

class QLabel;

namespace trackwatch::ui {

class StatTile;
class ThroughputPlot;

// Live counts from the engine: tracked emails by status, throughput against the seed's
// target, and what ingestion did since the engine started.
class OverviewPage : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPage(QWidget* parent = nullptr);

    void showSnapshot(const trackwatch::core::EngineSnapshot& snapshot);

    StatTile* tile(const QString& objectName) const;

private:
    void showEngine(const core::EngineSnapshot& snapshot);
    StatTile* addTile(const QString& objectName, const QString& caption);

    QList<StatTile*> m_tiles;
    ThroughputPlot* m_plot;
    QLabel* m_mode;
};

} // namespace trackwatch::ui
