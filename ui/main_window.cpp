// SPDX-License-Identifier: MIT
#include "main_window.h"

#include "engine/engine.h"
#include "pages/overview_page.h"

#include <QLabel>
#include <QStatusBar>

namespace trackwatch::ui {

MainWindow::MainWindow(core::Engine* engine, QWidget* parent)
    : QMainWindow(parent)
    , m_overview(new OverviewPage(this)) {
    setWindowTitle(tr("Trackwatch"));
    setCentralWidget(m_overview);
    resize(1280, 760);

    auto* database = new QLabel(this);
    statusBar()->addPermanentWidget(database);
    connect(engine, &core::Engine::ready, this, [this, database](const QString& name) {
        database->setText(tr("Database: %1").arg(name));
        setWindowTitle(tr("Trackwatch — %1").arg(name));
        statusBar()->showMessage(tr("Engine running"), 5000);
    });
    connect(engine, &core::Engine::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Engine stopped: %1").arg(message));
    });
    connect(engine, &core::Engine::snapshotReady, m_overview, &OverviewPage::showSnapshot);
}

} // namespace trackwatch::ui
