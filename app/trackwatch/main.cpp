// SPDX-License-Identifier: MIT
// trackwatch: the console, with the engine embedded.
#include "common/logging.h"
#include "engine/command_line.h"
#include "engine/engine.h"
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QTimer>
#include <QTranslator>

#include <cstdio>

using namespace trackwatch;
using namespace Qt::StringLiterals;

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"trackwatch"_s);
    QApplication::setApplicationDisplayName(u"Trackwatch"_s);
    QApplication::setApplicationVersion(QStringLiteral(TRACKWATCH_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Trackwatch console: live view of the email-tracking engine it embeds."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    // 12,000 sent emails an hour (above the seed's 10,000 target), with the last hour of that
    // traffic made at start so the console opens on history, not on zeros.
    core::EngineCommandLine engineOptions(12'000, 3600);
    engineOptions.addTo(parser);
    const QCommandLineOption screenshot(
        u"screenshot"_s, u"Render the window to FILE (PNG) after a few updates, then exit."_s,
        u"file"_s);
    const QCommandLineOption language(
        u"lang"_s, u"User-interface language, e.g. de or en (default: the system locale)."_s,
        u"code"_s);
    parser.addOptions({screenshot, language});
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

    auto config = engineOptions.read(parser);
    if (!config) {
        std::fprintf(stderr, "trackwatch: %s\n", qPrintable(config.error().message));
        return 2;
    }
    config->kind = u"console"_s;
    core::Engine engine(*config, std::make_shared<core::SystemClock>());
    ui::MainWindow window(&engine);
    window.show();

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        int updates = 0;
        QObject::connect(&engine, &core::Engine::snapshotReady, &window, [&] {
            if (++updates == 4) {
                const bool saved = window.grab().save(file, "PNG");
                std::fprintf(stderr, "trackwatch: %s %s\n", saved ? "wrote" : "could not write",
                             qPrintable(file));
                QApplication::exit(saved ? 0 : 1);
            }
        });
        QObject::connect(&engine, &core::Engine::failed, &app, [](const QString& message) {
            std::fprintf(stderr, "trackwatch: %s\n", qPrintable(message));
            QApplication::exit(1);
        });
    }
    engine.start();
    return QApplication::exec();
}
