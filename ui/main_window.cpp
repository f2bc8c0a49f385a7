// SPDX-License-Identifier: MIT
#include "main_window.h"

#include "analytics/analytics_page.h"
#include "control/control_page.h"
#include "dashboard/dashboard_page.h"
#include "search/search_page.h"
#include "shell/connection_dialog.h"
#include "shell/database_choice.h"
#include "shell/recent_connections_menu.h"
#include "shell/theme.h"
#include "storage/database.h"
#include "storage/database_worker.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

const QList<MainWindow::Page> kPages = {MainWindow::Page::Dashboard, MainWindow::Page::Control,
                                        MainWindow::Page::Search, MainWindow::Page::Analytics};

QString pageTitle(MainWindow::Page page) {
    switch (page) {
    case MainWindow::Page::Dashboard:
        return MainWindow::tr("Dashboard");
    case MainWindow::Page::Control:
        return MainWindow::tr("Control");
    case MainWindow::Page::Search:
        return MainWindow::tr("Search");
    case MainWindow::Page::Analytics:
        return MainWindow::tr("Analytics");
    }
    return {};
}

} // namespace

QString MainWindow::pageName(Page page) {
    switch (page) {
    case Page::Dashboard:
        return u"dashboard"_s;
    case Page::Control:
        return u"control"_s;
    case Page::Search:
        return u"search"_s;
    case Page::Analytics:
        return u"analytics"_s;
    }
    return {};
}

std::optional<MainWindow::Page> MainWindow::pageByName(const QString& name) {
    for (Page page : kPages) {
        if (pageName(page) == name) {
            return page;
        }
    }
    return std::nullopt;
}

MainWindow::MainWindow(core::EngineConfig config, std::shared_ptr<const core::Clock> clock,
                       ConsoleOptions options, QWidget* parent)
    : QMainWindow(parent)
    , m_config(std::move(config))
    , m_clock(std::move(clock))
    , m_options(options)
    , m_nav(new QListWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_banner(new QWidget(this))
    , m_bannerText(new QLabel(m_banner))
    , m_databaseLabel(new QLabel(this))
    , m_healthLabel(new QLabel(this))
    , m_apiLabel(new QLabel(this)) {
    setWindowTitle(tr("Trackwatch"));
    setWindowIcon(QIcon(u":/icons/trackwatch.png"_s));
    setObjectName(u"mainWindow"_s);

    m_nav->setObjectName(u"navigation"_s);
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->setFixedWidth(150);
    m_nav->setSpacing(2);
    m_nav->setStyleSheet(
        u"QListWidget { padding-top: 8px; } QListWidget::item { padding-left: 10px; }"_s);
    for (Page page : kPages) {
        auto* item = new QListWidgetItem(pageTitle(page), m_nav);
        item->setToolTip(tr("%1 (Ctrl+%2)").arg(pageTitle(page)).arg(kPages.indexOf(page) + 1));
        item->setSizeHint(QSize(0, 34));
    }
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    // The outage banner: what is wrong, that nothing is lost, and a way to try again.
    m_banner->setObjectName(u"outageBanner"_s);
    m_banner->setAutoFillBackground(true);
    QPalette bannerPalette = m_banner->palette();
    bannerPalette.setColor(QPalette::Window, QColor(0xb9, 0x1c, 0x1c));
    bannerPalette.setColor(QPalette::WindowText, Qt::white);
    m_banner->setPalette(bannerPalette);
    m_bannerText->setWordWrap(true);
    auto* retryButton = new QPushButton(tr("Retry"), m_banner);
    retryButton->setObjectName(u"retry"_s);
    connect(retryButton, &QPushButton::clicked, this, &MainWindow::retry);
    auto* bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->addWidget(m_bannerText, 1);
    bannerLayout->addWidget(retryButton);
    m_banner->hide();

    auto* body = new QWidget(this);
    auto* bodyLayout = new QHBoxLayout(body);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    bodyLayout->setSpacing(0);
    bodyLayout->addWidget(m_nav);
    bodyLayout->addWidget(m_stack, 1);
    auto* central = new QWidget(this);
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_banner);
    centralLayout->addWidget(body, 1);
    setCentralWidget(central);

    m_databaseLabel->setObjectName(u"databaseLabel"_s);
    m_apiLabel->setObjectName(u"apiLabel"_s);
    statusBar()->addPermanentWidget(m_apiLabel);
    statusBar()->addPermanentWidget(m_healthLabel);
    statusBar()->addPermanentWidget(m_databaseLabel);
    if (m_options.readOnly) {
        auto* badge = new QLabel(tr("Read-only"), this);
        badge->setObjectName(u"readOnlyBadge"_s);
        badge->setToolTip(tr("Support mode: nothing can be changed from this console."));
        statusBar()->addPermanentWidget(badge);
    }

    buildMenus();
    resize(1360, 860);
    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
}

MainWindow::~MainWindow() {
    dropPages();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* connectAction = file->addAction(tr("&Connect…"), this, &MainWindow::chooseConnection);
    connectAction->setShortcut(QKeySequence::Open);
    m_recentMenu = new RecentConnectionsMenu(m_options.dataDirectory, this);
    connect(m_recentMenu, &RecentConnectionsMenu::chosen, this, &MainWindow::connectTo);
    file->addMenu(m_recentMenu);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (Page page : kPages) {
        const int index = static_cast<int>(kPages.indexOf(page));
        QAction* go = view->addAction(pageTitle(page), this, [this, page] { showPage(page); });
        go->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + index)));
        go->setObjectName(u"show-"_s + pageName(page));
        addAction(go); // shortcuts work with the menu bar hidden too
    }
    view->addSeparator();
    QMenu* themeMenu = view->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    Theme current = Theme::System;
    themeByName(QSettings().value(u"view/theme"_s, u"system"_s).toString(), &current);
    const QList<std::pair<Theme, QString>> choices = {
        {Theme::System, tr("System")}, {Theme::Light, tr("Light")}, {Theme::Dark, tr("Dark")}};
    for (const auto& [theme, title] : choices) {
        QAction* action = themeMenu->addAction(title);
        action->setCheckable(true);
        action->setChecked(theme == current);
        themes->addAction(action);
        connect(action, &QAction::triggered, this, [theme] {
            applyTheme(theme);
            QSettings().setValue(u"view/theme"_s, themeName(theme));
        });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Trackwatch"), this, [this] {
        QMessageBox::about(
            this, tr("About Trackwatch"),
            tr("<b>Trackwatch %1</b><p>Live dashboards and controls for the Trackwatch "
               "email-tracking engine.</p>")
                .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::start() {
    m_recentMenu->remember(m_config.connection);
    showDatabase();
    m_worker = std::make_unique<core::DatabaseWorker>(m_config.connection);
    connect(m_worker.get(), &core::DatabaseWorker::connectionChanged, this,
            [this](bool up, const QString& message) {
                if (up) {
                    if (!m_engineFailed) {
                        hideOutage();
                    }
                } else {
                    showOutage(message);
                }
            });
    buildPages();
    if (!m_options.readOnly) {
        startEngine();
    }
}

void MainWindow::showDatabase() {
    m_demo = DatabaseChoice::isDemo(m_config.connection, m_options.dataDirectory);
    const QString where = m_config.connection.redacted();
    if (m_demo) {
        setWindowTitle(tr("Trackwatch — demo database"));
        m_databaseLabel->setText(tr("Database: demo (simulated mail)"));
    } else if (m_config.simulateRate > 0 && !m_options.readOnly) {
        // Asked for by name (--simulate): say so, since this is not the demo.
        setWindowTitle(tr("Trackwatch — %1").arg(where));
        m_databaseLabel->setText(tr("Database: %1 (with simulated mail)").arg(where));
    } else {
        setWindowTitle(tr("Trackwatch — %1").arg(where));
        m_databaseLabel->setText(tr("Database: %1").arg(where));
    }
    m_databaseLabel->setToolTip(where);
}

void MainWindow::buildPages() {
    const int current = qMax(0, m_nav->currentRow());
    m_dashboard = new DashboardPage(m_worker.get(), m_clock, m_stack);
    m_control = new ControlPage(m_worker.get(), m_clock, m_options.readOnly, m_stack);
    m_search = new SearchPage(m_worker.get(), m_stack);
    m_analytics = new AnalyticsPage(m_worker.get(), m_stack);
    for (QWidget* page : {static_cast<QWidget*>(m_dashboard), static_cast<QWidget*>(m_control),
                          static_cast<QWidget*>(m_search), static_cast<QWidget*>(m_analytics)}) {
        m_stack->addWidget(page);
    }
    m_nav->setCurrentRow(current);
    m_stack->setCurrentIndex(current);
    // The search page opens on the newest tracked emails, as a mailbox opens on its newest mail.
    auto searchOnce = [this, done = std::make_shared<bool>(false)] {
        if (!*done && m_stack->currentWidget() == m_search) {
            *done = true;
            m_search->search();
        }
    };
    connect(m_stack, &QStackedWidget::currentChanged, m_search, searchOnce);
    searchOnce();
}

void MainWindow::dropPages() {
    // Pages first: they hold the worker and receive the engine's snapshots.
    for (QWidget* page : {static_cast<QWidget*>(m_dashboard), static_cast<QWidget*>(m_control),
                          static_cast<QWidget*>(m_search), static_cast<QWidget*>(m_analytics)}) {
        delete page;
    }
    m_dashboard = nullptr;
    m_control = nullptr;
    m_search = nullptr;
    m_analytics = nullptr;
    m_api.reset();
    m_engine.reset();
    m_worker.reset();
}

void MainWindow::startEngine() {
    m_engineFailed = false;
    m_api.reset();
    m_engine = std::make_unique<core::Engine>(m_config, m_clock);
    connect(m_engine.get(), &core::Engine::ready, this, [this] {
        statusBar()->showMessage(tr("Engine running"), 5000);
        if (m_worker) {
            hideOutage();
        }
        if (m_options.api) {
            startApi();
        }
    });
    connect(m_engine.get(), &core::Engine::failed, this, [this](const QString& message) {
        m_engineFailed = true;
        showOutage(message);
    });
    connect(m_engine.get(), &core::Engine::snapshotReady, this,
            [this](const core::EngineSnapshot& snapshot) {
                m_dashboard->showSnapshot(snapshot);
                const QString& state = snapshot.health.state;
                m_healthLabel->setText(state == u"healthy"_s    ? tr("Engine: healthy")
                                       : state == u"degraded"_s ? tr("Engine: degraded")
                                                                : tr("Engine: unhealthy"));
                m_healthLabel->setToolTip(snapshot.health.reasons.join(u'\n'));
                emit snapshotShown();
            });
    m_engine->start();
}

void MainWindow::startApi() {
    // Once the engine is ready: the database answered, so opening the API's own connection
    // (which start() does while the caller waits) does not hold the window up.
    m_api = std::make_unique<core::ApiServer>(*m_options.api, m_config.connection,
                                              m_engine->queryContext());
    auto port = m_api->start();
    if (!port) {
        m_apiLabel->setText(tr("API stopped"));
        m_apiLabel->setToolTip(port.error().message);
        m_api.reset();
        return;
    }
    m_apiPort = *port;
    connect(m_engine.get(), &core::Engine::snapshotReady, m_api.get(),
            &core::ApiServer::setSnapshot);
    m_apiLabel->setText(tr("API: http://%1:%2").arg(m_options.api->address.toString()).arg(*port));
}

void MainWindow::connectTo(const core::ConnectionSpec& spec) {
    dropPages();
    hideOutage();
    DatabaseChoice::forConnection(spec, m_options.dataDirectory).applyTo(m_config);
    start();
}

void MainWindow::retry() {
    statusBar()->showMessage(tr("Trying the database again…"), 3000);
    if (!m_options.readOnly) {
        // A new engine on a new connection: the old one's may be gone with the server.
        startEngine();
    }
    // A round trip through the pages' worker: it reconnects and reports the outcome.
    m_worker->run(
        this,
        [](core::Database& db) {
            return db.ping() ? core::Status()
                             : core::Status::failure(core::ErrorCode::Unavailable,
                                                     u"the database does not answer"_s);
        },
        [](core::Status) {});
}

void MainWindow::chooseConnection() {
    ConnectionDialog dialog(m_config.connection, RecentConnectionsMenu::recent(), this);
    if (dialog.exec() == QDialog::Accepted) {
        if (auto spec = dialog.spec()) {
            connectTo(*spec);
        }
    }
}

void MainWindow::showOutage(const QString& message) {
    m_bannerText->setText(
        tr("<b>The database cannot be reached.</b> %1<br>The dashboards keep their history; "
           "Retry connects again.")
            .arg(message.toHtmlEscaped()));
    m_banner->show();
}

void MainWindow::hideOutage() {
    m_banner->hide();
    m_bannerText->clear();
}

QString MainWindow::outageMessage() const {
    return m_banner->isHidden() ? QString() : m_bannerText->text();
}

void MainWindow::showPage(Page page) {
    m_nav->setCurrentRow(static_cast<int>(kPages.indexOf(page)));
}

MainWindow::Page MainWindow::currentPage() const {
    return kPages.value(qMax(0, m_nav->currentRow()));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace trackwatch::ui
