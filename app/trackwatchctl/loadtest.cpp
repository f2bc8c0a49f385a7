// SPDX-License-Identifier: MIT
// trackwatchctl loadtest: the seed's load test against a running engine.
#include "api/api_server.h"
#include "loadtest/load_tester.h"
#include "output.h"
#include "storage/connection_spec.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace trackwatch::ctl {

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

// A secret from its option, else its environment variable, else the file trackwatchd wrote.
QString secret(const QCommandLineParser& parser, const QCommandLineOption& option,
               const char* variable, const QString& path) {
    if (parser.isSet(option)) {
        return parser.value(option);
    }
    if (const QString env = qEnvironmentVariable(variable); !env.isEmpty()) {
        return env;
    }
    auto stored = ApiServer::readSecretFile(path);
    return stored ? *stored : QString();
}

} // namespace

// trackwatchctl loadtest: the seed's LOAD_TEST_CONFIG against a running engine, then the
// seed's criteria as a pass/fail table. Its options differ from the other commands' (--json
// takes a file), so it has a parser of its own. Exit codes: 0 every measured criterion passed,
// 1 one failed (or the run could not start), 2 usage.
int loadtestCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"trackwatchctl loadtest: runs the seed's load test (email ingestion 3/s over 10 "
        u"accounts for 600 s; tracked 30/s, analytics 10/s, sync 5/s for 300 s; webhooks 15/s "
        u"for 600 s after a backlog of 200) open-loop against a running engine, then prints the "
        u"seed's target metrics and week 1/2/3 criteria as pass/fail. Exit codes: 0 every "
        u"measured criterion passed, 1 one failed, 2 usage."_s);
    const QCommandLineOption help({u"h"_s, u"help"_s}, u"Show this help."_s);
    const QCommandLineOption url(u"url"_s, u"The engine's API (default http://127.0.0.1:8470)."_s,
                                 u"url"_s, u"http://127.0.0.1:8470"_s);
    const QCommandLineOption db(u"db"_s,
                                u"The engine's database (default: env TRACKWATCH_DB, else the "
                                u"console's SQLite file)."_s,
                                u"dsn"_s);
    const QCommandLineOption token(u"token"_s,
                                   u"Bearer token for POST /api/emails/sync (default: env "
                                   u"TRACKWATCH_API_TOKEN, else the file trackwatchd wrote)."_s,
                                   u"token"_s);
    const QCommandLineOption clientState(
        u"client-state"_s,
        u"The webhook subscription's clientState (default: env TRACKWATCH_CLIENT_STATE, else "
        u"the file trackwatchd wrote)."_s,
        u"secret"_s);
    const QCommandLineOption scale(u"duration-scale"_s,
                                   u"Multiply every stream's duration (default 1)."_s, u"f"_s);
    const QCommandLineOption duration(
        u"duration"_s, u"Run the longest stream this many seconds, the others in proportion."_s,
        u"secs"_s);
    const QCommandLineOption accounts(u"accounts"_s, u"Mailboxes (default 10)."_s, u"n"_s, u"10"_s);
    const QCommandLineOption drain(
        u"drain"_s,
        u"Seconds ingestion and webhook jobs may take to catch up at the end (default 10)."_s,
        u"secs"_s, u"10"_s);
    const QCommandLineOption json(u"json"_s, u"Also write the report as JSON to this file."_s,
                                  u"file"_s);
    const QCommandLineOption quiet(u"quiet"_s, u"No progress line."_s);
    parser.addOptions(
        {help, url, db, token, clientState, scale, duration, accounts, drain, json, quiet});
    parser.addPositionalArgument(u"loadtest"_s, u"The command."_s);
    if (!parser.parse(arguments)) {
        return fail(kUsage, u"loadtest: "_s + parser.errorText());
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        return kOk;
    }
    if (parser.positionalArguments() != QStringList{u"loadtest"_s}) {
        return fail(kUsage, u"loadtest takes no arguments, only options (try loadtest --help)"_s);
    }

    LoadTestConfig config = LoadTestConfig::seed();
    config.url = QUrl(parser.value(url));
    if (const Status s = checkLoopbackUrl(config.url); !s) {
        return fail(kUsage, u"--url: "_s + s.error().message);
    }
    if (config.url.port() < 0) {
        config.url.setPort(8470);
    }
    bool ok = false;
    config.accounts = parser.value(accounts).toInt(&ok);
    if (!ok || config.accounts < 1 || config.accounts > 10000) {
        return fail(kUsage, u"--accounts: '%1' is not a number from 1 to 10000"_s.arg(
                                parser.value(accounts)));
    }
    config.drainSecs = parser.value(drain).toDouble(&ok);
    if (!ok || config.drainSecs < 0 || config.drainSecs > 3600) {
        return fail(kUsage, u"--drain: '%1' is not a number of seconds from 0 to 3600"_s.arg(
                                parser.value(drain)));
    }
    if (parser.isSet(scale) && parser.isSet(duration)) {
        return fail(kUsage, u"--duration-scale and --duration: give one"_s);
    }
    if (parser.isSet(scale)) {
        config.durationScale = parser.value(scale).toDouble(&ok);
        if (!ok || !std::isfinite(config.durationScale) || config.durationScale <= 0 ||
            config.durationScale > 100) {
            return fail(kUsage,
                        u"--duration-scale: '%1' is not a number above 0 (at most 100)"_s.arg(
                            parser.value(scale)));
        }
    }
    if (parser.isSet(duration)) {
        const double secs = parser.value(duration).toDouble(&ok);
        if (!ok || !std::isfinite(secs) || secs <= 0 || secs > 86400) {
            return fail(kUsage, u"--duration: '%1' is not a number of seconds above 0"_s.arg(
                                    parser.value(duration)));
        }
        double longest = 0;
        for (const LoadStreamConfig& s : config.streams) {
            longest = std::max(longest, s.durationSecs);
        }
        config.durationScale = secs / longest;
    }
    const QString dsn = ConnectionSpec::chooseDsn(parser.value(db));
    auto spec = ConnectionSpec::parse(dsn);
    if (!spec) {
        return fail(kUsage, u"--db: "_s + spec.error().message);
    }
    if (spec->dialect == Dialect::PostgreSql && spec->host != u"127.0.0.1" &&
        spec->host != u"localhost" && spec->host != u"::1" && !spec->host.startsWith(u'/')) {
        return fail(kUsage, u"--db: the load tester only uses a database on this host"_s);
    }
    config.database = *spec;
    config.token = secret(parser, token, "TRACKWATCH_API_TOKEN", ApiServer::defaultTokenPath());
    config.clientState =
        secret(parser, clientState, "TRACKWATCH_CLIENT_STATE", ApiServer::defaultClientStatePath());
    if (config.token.isEmpty()) {
        std::fprintf(stderr,
                     "trackwatchctl: no API token (--token, TRACKWATCH_API_TOKEN or %s): "
                     "sync requests will be refused\n",
                     qPrintable(ApiServer::defaultTokenPath()));
    }
    if (config.clientState.isEmpty()) {
        std::fprintf(stderr,
                     "trackwatchctl: no clientState (--client-state, TRACKWATCH_CLIENT_STATE or "
                     "%s): notifications will be refused\n",
                     qPrintable(ApiServer::defaultClientStatePath()));
    }

    const bool showProgress = !parser.isSet(quiet);
    LoadTester tester(config);
    auto report = tester.run([&](const LoadProgress& p) {
        if (showProgress) {
            std::fprintf(stderr, "%s\n", qPrintable(p.line()));
        }
    });
    if (!report) {
        return failWith(report.error());
    }
    std::printf("%s", qPrintable(report->text()));
    if (parser.isSet(json)) {
        QFile file(parser.value(json));
        const QByteArray text = QJsonDocument(report->toJson()).toJson(QJsonDocument::Indented);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            file.write(text) != text.size() || !file.flush()) {
            return fail(kFailed, u"--json: cannot write %1: %2"_s.arg(parser.value(json),
                                                                      file.errorString()));
        }
    }
    return report->exitCode();
}

} // namespace trackwatch::ctl
