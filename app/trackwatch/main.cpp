// SPDX-License-Identifier: MIT
// trackwatch: the console, with the engine embedded.
#include "api/api_server.h"
#include "common/logging.h"
#include "engine/command_line.h"
#include "engine/engine.h"
#include "main_window.h"
#include "shell/database_choice.h"
#include "shell/theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QProcessEnvironment>
#include <QSettings>
#include <QTimer>
#include <QTranslator>

#include <cstdio>

using namespace trackwatch;
using namespace Qt::StringLiterals;

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"trackwatch"_s);
    // The domain, not the organization name: the settings stay in ~/.config/trackwatch/ and
    // the data directory is ~/.local/share/trackwatch, the one trackwatchd and trackwatchctl
    // use (an organization name would add a level, and trackwatch.db would not be theirs).
    QApplication::setOrganizationDomain(u"trackwatch"_s);
    QApplication::setApplicationDisplayName(u"Trackwatch"_s);
    QApplication::setApplicationVersion(QStringLiteral(TRACKWATCH_VERSION));
    QApplication::setDesktopFileName(u"trackwatch"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Trackwatch console: live dashboards and controls for the email-tracking engine it "
        u"embeds."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    // No simulator unless asked: DatabaseChoice turns it on for the demo database.
    core::EngineCommandLine engineOptions(0, 0);
    engineOptions.addTo(parser);
    const QCommandLineOption screenshot(
        u"screenshot"_s,
        u"Render a page to FILE (PNG) after --screenshot-after updates, then exit."_s, u"file"_s);
    const QCommandLineOption screenshotAfter(
        u"screenshot-after"_s, u"Engine updates (seconds) before --screenshot (default 5)."_s,
        u"n"_s, u"5"_s);
    const QCommandLineOption page(u"page"_s,
                                  u"The page to open: dashboard, control, search or analytics."_s,
                                  u"name"_s, u"dashboard"_s);
    const QCommandLineOption language(
        u"lang"_s, u"User-interface language, e.g. de or en (default: the system locale)."_s,
        u"code"_s);
    const QCommandLineOption theme(
        u"theme"_s, u"system, light or dark (default: as last chosen)."_s, u"name"_s);
    const QCommandLineOption readOnly(
        u"read-only"_s,
        u"Support mode: no engine and no control actions; connect with a read-only role."_s);
    const QCommandLineOption apiPort(
        u"api-port"_s,
        u"Serve the engine's HTTP API on 127.0.0.1:PORT too, as trackwatchd does (default: "
        u"off; 0: any free port)."_s,
        u"port"_s);
    parser.addOptions({screenshot, screenshotAfter, page, language, theme, readOnly, apiPort});
    parser.process(app);

    const QLocale locale = parser.isSet(language) ? QLocale(parser.value(language)) : QLocale();
    QLocale::setDefault(locale);
    QTranslator qtTranslator;
    if (qtTranslator.load(locale, u"qtbase"_s, u"_"_s,
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QApplication::installTranslator(&qtTranslator);
    }
    QTranslator translator;
    if (translator.load(locale, u"trackwatch"_s, u"_"_s, u":/i18n"_s)) {
        QApplication::installTranslator(&translator);
    }

    ui::Theme chosenTheme = ui::Theme::System;
    const QString themeText = parser.isSet(theme)
                                  ? parser.value(theme)
                                  : QSettings().value(u"view/theme"_s, u"system"_s).toString();
    if (!ui::themeByName(themeText, &chosenTheme)) {
        std::fprintf(stderr, "trackwatch: --theme: '%s' is not system, light or dark\n",
                     qPrintable(themeText));
        return 2;
    }
    ui::applyTheme(chosenTheme);

    const auto startPage = ui::MainWindow::pageByName(parser.value(page));
    if (!startPage) {
        std::fprintf(stderr,
                     "trackwatch: --page: '%s' is not dashboard, control, search or analytics\n",
                     qPrintable(parser.value(page)));
        return 2;
    }
    auto config = engineOptions.read(parser);
    if (!config) {
        std::fprintf(stderr, "trackwatch: %s\n", qPrintable(config.error().message));
        return 2;
    }
    config->kind = u"console"_s;
    // Simulated mail only into the console's demo database, unless --simulate says otherwise.
    const QString dataDirectory = core::EngineCommandLine::dataDirectory();
    auto choice = ui::DatabaseChoice::atStart(ui::DatabaseChoice::startFrom(
        parser, config->simulateRate, qEnvironmentVariable("TRACKWATCH_DB"), dataDirectory));
    if (!choice) {
        std::fprintf(stderr, "trackwatch: %s\n", qPrintable(choice.error().message));
        return 2;
    }
    choice->applyTo(config.value());
    ui::ConsoleOptions options;
    options.dataDirectory = dataDirectory;
    options.readOnly = parser.isSet(readOnly);
    if (parser.isSet(apiPort)) {
        bool ok = false;
        const int port = parser.value(apiPort).toInt(&ok);
        if (!ok || port < 0 || port > 65535 || options.readOnly) {
            std::fprintf(stderr, "trackwatch: --api-port: '%s' is not a port from 0 to 65535%s\n",
                         qPrintable(parser.value(apiPort)),
                         options.readOnly ? " (and read-only runs no engine)" : "");
            return 2;
        }
        core::ApiConfig api;
        api.port = static_cast<quint16>(port);
        api.ingestion = config->ingestion;
        auto where = core::ApiServer::configure(api, config->settings,
                                                QProcessEnvironment::systemEnvironment());
        if (!where) {
            std::fprintf(stderr, "trackwatch: HTTP API: %s\n", qPrintable(where.error().message));
            return 2;
        }
        options.api = api;
    }
    ui::MainWindow window(*config, std::make_shared<core::SystemClock>(), options);
    window.showPage(*startPage);
    window.show();

    const int updatesBeforeShot = parser.value(screenshotAfter).toInt();
    if (parser.isSet(screenshot) && (updatesBeforeShot < 1 || updatesBeforeShot > 3600)) {
        std::fprintf(stderr,
                     "trackwatch: --screenshot-after: '%s' is not a number from 1 to 3600\n",
                     qPrintable(parser.value(screenshotAfter)));
        return 2;
    }
    if (parser.isSet(screenshot)) {
        // A few seconds of live updates (or of history alone when read-only), then the picture.
        const QString file = parser.value(screenshot);
        auto take = [&window, file] {
            const bool saved = window.grab().save(file, "PNG");
            // The title too: an offscreen picture has no title bar to show it.
            std::fprintf(stderr, "trackwatch: %s %s (window title: %s)\n",
                         saved ? "wrote" : "could not write", qPrintable(file),
                         qPrintable(window.windowTitle()));
            QApplication::exit(saved ? 0 : 1);
        };
        int updates = 0;
        QObject::connect(&window, &ui::MainWindow::snapshotShown, &window,
                         [&updates, updatesBeforeShot, take] {
                             if (++updates == updatesBeforeShot) {
                                 take();
                             }
                         });
        if (options.readOnly) {
            QTimer::singleShot(3000, &window, take);
        }
        QTimer::singleShot((60 + 2 * updatesBeforeShot) * 1000, &window, [&window] {
            std::fprintf(stderr, "trackwatch: the engine did not update in time: %s\n",
                         qPrintable(window.outageMessage()));
            QApplication::exit(1);
        });
    }
    window.start();
    return QApplication::exec();
}
