// SPDX-License-Identifier: MIT
#pragma once

#include "api/api_server.h"
#include "common/clock.h"
#include "engine/engine.h"

#include <QMainWindow>

#include <memory>
#include <optional>

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class AnalyticsPage;
class ControlPage;
class DashboardPage;
class RecentConnectionsMenu;
class SearchPage;

// How the console runs: with its own engine on the database (operators, on-call engineers), or
// read-only for support staff: no engine, no control actions, and on PostgreSQL a role that
// cannot change the control plane either.
struct ConsoleOptions {
    bool readOnly = false;
    // The engine's HTTP API inside the console, as trackwatchd serves it (off when empty).
    std::optional<core::ApiConfig> api;
    // Where trackwatch.db and the console's trackwatch-demo.db live (DatabaseChoice): both are
    // in File → Open recent, and only the demo simulates mail when opened from the menus.
    // Empty: neither is listed and no database is the demo.
    QString dataDirectory;
};

// The console's frame: the pages behind a navigation list (Ctrl+1..4), the menus, the status
// bar, the database connection (with its engine and the pages' database worker) and the banner
// that reports a database outage with a Retry. Holds no page logic of its own.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Dashboard, Control, Search, Analytics };
    static QString pageName(Page page); // "dashboard", "control", "search", "analytics"
    static std::optional<Page> pageByName(const QString& name);

    MainWindow(core::EngineConfig config, std::shared_ptr<const core::Clock> clock,
               ConsoleOptions options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Connects to the configured database: starts the engine (unless read-only) and the pages.
    void start();
    // Closes the current connection (pages, engine) and opens another: the demo with its
    // simulator, any other database as it is (no simulated mail).
    void connectTo(const core::ConnectionSpec& spec);

    void showPage(Page page);
    Page currentPage() const;

    core::Engine* engine() const { return m_engine.get(); }
    // The port the console's HTTP API listens on; 0 when it serves none.
    quint16 apiPort() const { return m_api ? m_apiPort : 0; }
    DashboardPage* dashboardPage() const { return m_dashboard; }
    ControlPage* controlPage() const { return m_control; }
    SearchPage* searchPage() const { return m_search; }
    AnalyticsPage* analyticsPage() const { return m_analytics; }
    bool isReadOnly() const { return m_options.readOnly; }
    // The console's own demo database (DatabaseChoice::isDemo) is open.
    bool isDemo() const { return m_demo; }
    // The outage banner's text, empty while the database answers.
    QString outageMessage() const;

signals:
    // Each engine snapshot after the pages have shown it.
    void snapshotShown();

public slots:
    void retry();            // restarts the engine and checks the connection again
    void chooseConnection(); // the connection dialog

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void buildPages();
    void dropPages();
    void startEngine();
    void startApi(); // the HTTP API beside the engine, when options.api asks for it
    void showOutage(const QString& message);
    void hideOutage();
    void showDatabase(); // the title and the status bar name the database, or say "demo"

    core::EngineConfig m_config;
    std::shared_ptr<const core::Clock> m_clock;
    ConsoleOptions m_options;
    std::unique_ptr<core::DatabaseWorker> m_worker;
    std::unique_ptr<core::Engine> m_engine;
    std::unique_ptr<core::ApiServer> m_api; // with the engine, when options.api is set
    quint16 m_apiPort = 0;
    bool m_engineFailed = false;
    bool m_demo = false;

    QListWidget* m_nav;
    QStackedWidget* m_stack;
    QWidget* m_banner;
    QLabel* m_bannerText;
    QLabel* m_databaseLabel;
    QLabel* m_healthLabel;
    QLabel* m_apiLabel;
    RecentConnectionsMenu* m_recentMenu = nullptr;
    DashboardPage* m_dashboard = nullptr;
    ControlPage* m_control = nullptr;
    SearchPage* m_search = nullptr;
    AnalyticsPage* m_analytics = nullptr;
};

} // namespace trackwatch::ui
