// SPDX-License-Identifier: MIT
// trackwatchd: the engine headless, for servers.
#include "api/api_server.h"
#include "common/logging.h"
#include "control/control_plane.h"
#include "engine/command_line.h"
#include "engine/engine.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "storage/reconnector.h"
#include "tracking/ingestion_engine.h"
#include "tracking/mail_importer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcessEnvironment>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace trackwatch;
using namespace Qt::StringLiterals;

namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) {
    g_stop = true;
}

QString summaryLine(const core::IngestionStats& s, qint64 read, qint64 skipped, double seconds) {
    const double perHour = seconds > 0 ? static_cast<double>(s.stored) * 3600.0 / seconds : 0;
    return u"messages read %1, stored %2, replies matched %3, skipped %4, duplicates %5, "
           u"auto-replies %6, bounces %7, replies waiting for parent %8, %9 emails/hour "
           u"(%10 s)"_s.arg(read)
               .arg(s.stored)
               .arg(s.replies())
               .arg(skipped)
               .arg(s.duplicates)
               .arg(s.autoReplies)
               .arg(s.bounces())
               .arg(s.waiting())
               .arg(qRound64(perHour))
               .arg(seconds, 0, 'f', 2);
}

int runImport(const core::EngineConfig& config, const QString& path, const QString& account) {
    auto db = core::Database::open(config.connection);
    if (!db) {
        std::fprintf(stderr, "trackwatchd: %s\n", qPrintable(db.error().message));
        return 1;
    }
    core::Migrator migrator(**db);
    if (auto r = migrator.migrate(); !r) {
        std::fprintf(stderr, "trackwatchd: %s\n", qPrintable(r.error().message));
        return 1;
    }
    core::SystemClock clock;
    // enableBatchIngestion as the control plane has it: an override, else the environment.
    core::ControlPlane control(**db, clock);
    auto batch = control.flag(core::Flag::EnableBatchIngestion);
    if (!batch) {
        std::fprintf(stderr, "trackwatchd: %s\n", qPrintable(batch.error().message));
        return 1;
    }
    core::IngestionOptions options = config.ingestion;
    options.batch = batch->enabled;
    core::IngestionEngine ingestion(**db, clock, options);
    core::MailImporter importer(ingestion, account);
    // A database that goes away mid-import (a restart, a failover) is waited for, with
    // backoff, for up to ten minutes; the chunk in flight is then ingested again.
    core::Reconnector link(**db, clock);
    importer.setRetry([&](const core::Error& error) {
        if ((*db)->connected()) {
            return false; // the statement failed, not the connection
        }
        std::fprintf(stderr, "trackwatchd: %s; reconnecting\n", qPrintable(error.message));
        QDeadlineTimer giveUp(std::chrono::minutes(10));
        while (!link.ready()) {
            if (giveUp.hasExpired()) {
                return false;
            }
            const qint64 wait =
                std::max<qint64>(0, clock.now().msecsTo(link.outage()->nextAttempt));
            QThread::msleep(static_cast<unsigned long>(std::min<qint64>(wait, 30'000)));
        }
        std::fprintf(stderr, "trackwatchd: database reachable again; resuming the import\n");
        return true;
    });
    const bool tty = isatty(fileno(stderr)) != 0;
    QElapsedTimer timer;
    timer.start();
    importer.setProgress(
        [&](const core::ImportProgress& p) {
            const double pct =
                p.bytesTotal > 0 ? 100.0 * static_cast<double>(p.bytesDone) / p.bytesTotal : 100;
            std::fprintf(stderr, "%simporting: %5.1f %%  %lld messages  %s%s",
                         tty ? "\r\033[K" : "", pct, static_cast<long long>(p.messagesRead),
                         qPrintable(p.currentFile), tty ? "" : "\n");
            std::fflush(stderr);
        },
        tty ? 200 : 10000);
    auto stats = importer.importPath(path);
    if (tty) {
        std::fprintf(stderr, "\n");
    }
    if (!stats) {
        std::fprintf(stderr,
                     "trackwatchd: import failed: %s (batches committed before the "
                     "error are kept)\n",
                     qPrintable(stats.error().message));
        return 1;
    }
    const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    std::printf(
        "import %s into %s (%s ingestion): %s\n", qPrintable(path), qPrintable(account),
        options.batch ? "batch" : "legacy",
        qPrintable(summaryLine(stats->ingestion, stats->messagesRead, stats->skipped, seconds)));
    for (const QString& reason : stats->skipReasons) {
        std::printf("  skipped %s\n", qPrintable(reason));
    }
    for (const QString& reason : stats->warningReasons) {
        std::printf("  warning %s\n", qPrintable(reason));
    }
    return 0;
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"trackwatch"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(TRACKWATCH_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Trackwatch engine, headless: imports mail or runs the traffic simulator against a "
        u"database. Set ENABLE_BATCH_INGESTION=true for batch ingestion."_s);
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    core::EngineCommandLine engineOptions(0, 0);
    engineOptions.addTo(parser);
    const QCommandLineOption import(
        u"import"_s, u"Import an .eml file, an mbox file or a directory of them."_s, u"path"_s);
    const QCommandLineOption account(
        u"account"_s, u"The mailbox's own address, for --import: its messages are sent mail."_s,
        u"address"_s);
    const QCommandLineOption apiPort(
        u"api-port"_s, u"Port of the HTTP API on --api-address (default 8470; 0: any free port)."_s,
        u"port"_s, u"8470"_s);
    const QCommandLineOption apiAddress(u"api-address"_s,
                                        u"Address the HTTP API listens on (default 127.0.0.1)."_s,
                                        u"address"_s, u"127.0.0.1"_s);
    const QCommandLineOption noApi(u"no-api"_s, u"Run without the HTTP API."_s);
    parser.addOptions({import, account, apiPort, apiAddress, noApi});
    // A usage error exits 2, as every invalid value does (process() would exit 1).
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "trackwatchd: %s (try --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        return 0;
    }
    if (parser.isSet(version)) {
        std::printf("trackwatchd %s\n", TRACKWATCH_VERSION);
        return 0;
    }

    auto config = engineOptions.read(parser);
    if (!config) {
        std::fprintf(stderr, "trackwatchd: %s\n", qPrintable(config.error().message));
        return 2;
    }
    if (parser.isSet(import)) {
        if (!parser.isSet(account)) {
            std::fprintf(stderr, "trackwatchd: --import needs --account ADDRESS (the mailbox's "
                                 "own address)\n");
            return 2;
        }
        const int rc = runImport(*config, parser.value(import), parser.value(account));
        if (rc != 0 || config->simulateRate <= 0) {
            return rc;
        }
    } else if (config->simulateRate <= 0 && parser.isSet(noApi)) {
        std::fprintf(stderr, "trackwatchd: nothing to do: give --import PATH --account ADDRESS, "
                             "--simulate RATE, or leave the HTTP API on\n");
        return 2;
    }
    core::ApiConfig api;
    bool portOk = false;
    const int port = parser.value(apiPort).toInt(&portOk);
    if (!portOk || port < 0 || port > 65535) {
        std::fprintf(stderr, "trackwatchd: --api-port: '%s' is not a port from 0 to 65535\n",
                     qPrintable(parser.value(apiPort)));
        return 2;
    }
    api.port = static_cast<quint16>(port);
    if (!api.address.setAddress(parser.value(apiAddress))) {
        std::fprintf(stderr, "trackwatchd: --api-address: '%s' is not an IP address\n",
                     qPrintable(parser.value(apiAddress)));
        return 2;
    }
    // The bearer token, the webhook clientState and the body limit: the configuration file's
    // "api" section, else the environment, else files in the data directory made on first use.
    QString secretsSource;
    if (!parser.isSet(noApi)) {
        auto where = core::ApiServer::configure(api, config->settings,
                                                QProcessEnvironment::systemEnvironment());
        if (!where) {
            std::fprintf(stderr, "trackwatchd: HTTP API: %s\n", qPrintable(where.error().message));
            return 2;
        }
        secretsSource = *where;
        api.ingestion = config->ingestion;
    }

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    core::Engine engine(*config, std::make_shared<core::SystemClock>());
    core::EngineSnapshot last;
    QElapsedTimer uptime;
    uptime.start();
    QObject::connect(&engine, &core::Engine::failed, &app, [](const QString& message) {
        std::fprintf(stderr, "trackwatchd: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    });
    QObject::connect(&engine, &core::Engine::snapshotReady, &app,
                     [&](const core::EngineSnapshot& s) { last = s; });
    QTimer report;
    int ticks = 0;
    QObject::connect(&report, &QTimer::timeout, &app, [&] {
        const double seconds = static_cast<double>(uptime.nsecsElapsed()) / 1e9;
        if (g_stop) {
            std::printf("trackwatchd stopped: %s\n",
                        qPrintable(summaryLine(last.total, last.total.read, 0, seconds)));
            std::fflush(stdout);
            QCoreApplication::quit();
        } else if (++ticks % 40 == 0) {
            std::printf("trackwatchd running: %s\n",
                        qPrintable(summaryLine(last.total, last.total.read, 0, seconds)));
            if (config->viaWebhooks) {
                const auto& w = last.webhooks;
                std::printf(
                    "  webhooks: %lld done, %lld queued, %lld retried, %lld dead, %.0f "
                    "jobs/minute%s\n",
                    w.done, w.queueDepth, w.retried, w.deadLettered, w.jobsPerMinute,
                    config->webhookShadow
                        ? qPrintable(u"; shadow: %1 compared, %2 different"_s.arg(w.shadowCompared)
                                         .arg(w.shadowDifferent))
                        : "");
            }
            std::fflush(stdout);
        }
    });
    report.start(250);
    engine.start();
    std::unique_ptr<core::ApiServer> server;
    if (!parser.isSet(noApi)) {
        server = std::make_unique<core::ApiServer>(api, config->connection, engine.queryContext());
        auto listening = server->start();
        if (!listening) {
            std::fprintf(stderr, "trackwatchd: HTTP API: %s\n",
                         qPrintable(listening.error().message));
            return 1;
        }
        QObject::connect(&engine, &core::Engine::snapshotReady, server.get(),
                         &core::ApiServer::setSnapshot);
        std::printf("trackwatchd: HTTP API on http://%s:%u (bearer %s)\n",
                    qPrintable(api.address.toString()), unsigned(*listening),
                    qPrintable(secretsSource));
        std::fflush(stdout);
    }
    return QCoreApplication::exec();
}
