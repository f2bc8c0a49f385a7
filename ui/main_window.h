// SPDX-License-Identifier: MIT
#pragma once

#include <QMainWindow>

namespace trackwatch::core {
class Engine;
}

namespace trackwatch::ui {

class OverviewPage;

// The console's frame: assembles the pages and the status bar, and wires them to the engine.
// Holds no logic of its own.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(core::Engine* engine, QWidget* parent = nullptr);

    OverviewPage* overviewPage() const { return m_overview; }

private:
    OverviewPage* m_overview;
};

} // namespace trackwatch::ui
