// SPDX-License-Identifier: MIT
#include "engine/command_line.h"

#include "common/config_file.h"
#include "common/logging.h"
#include "monitoring/alert_rules.h"
#include "storage/retention.h"

#include <QDateTime>
#include <QDir>
#include <QStandardPaths>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

EngineCommandLine::EngineCommandLine(double defaultSimulateRate, int backfillSecs)
    : m_defaultRate(defaultSimulateRate)
    , m_backfillSecs(backfillSecs)
    , m_db(u"db"_s,
           u"Database: a SQLite file path or postgresql://user:password@host:port/dbname "
           u"(default: trackwatch.db in the data directory; env TRACKWATCH_DB)."_s,
           u"dsn"_s)
    , m_logLevel(u"log-level"_s, u"trace, debug, info, warn, error or off (default info)."_s,
                 u"level"_s, u"info"_s)
    , m_simulate(u"simulate"_s,
                 u"Run the traffic simulator at RATE sent emails per hour (0: off)."_s, u"rate"_s)
    , m_seed(u"seed"_s,
             u"Simulator seed: the same seed makes the same mail (default: the start time, so "
             u"a restart on the same database makes new mail rather than duplicates)."_s,
             u"n"_s)
    , m_accounts(u"accounts"_s, u"Simulated accounts (default 20)."_s, u"n"_s, u"20"_s)
    , m_batchSize(u"batch-size"_s,
                  u"Messages per transaction when batch ingestion is on (default 100)."_s, u"n"_s,
                  u"100"_s)
    , m_trackingDays(u"tracking-days"_s,
                     u"Days without a reply after which tracking expires (default 30)."_s,
                     u"days"_s, u"30"_s)
    , m_breakerFailures(u"breaker-failures"_s,
                        u"Consecutive failures of an optimized path that open its circuit "
                        u"breaker (default 5)."_s,
                        u"n"_s, u"5"_s)
    , m_breakerRate(u"breaker-failure-rate"_s,
                    u"Open a breaker on its failure rate instead: the percentage of failed calls "
                    u"over the last --breaker-window calls."_s,
                    u"percent"_s)
    , m_breakerWindow(u"breaker-window"_s,
                      u"Calls in the failure-rate window (default 20; at least half of them "
                      u"must have been made before it decides)."_s,
                      u"n"_s, u"20"_s)
    , m_breakerOpenSecs(u"breaker-open-secs"_s,
                        u"Seconds an opened breaker stays open before probing (default 300)."_s,
                        u"secs"_s, u"300"_s)
    , m_viaWebhooks(u"via-webhooks"_s,
                    u"Deliver the simulator's mail as a provider would: stored at the source, "
                    u"one change notification per message, ingested by the webhook "
                    u"processors (enableBatchWebhooks picks the priority one)."_s)
    , m_webhookShadow(u"webhook-shadow"_s,
                      u"With --via-webhooks: the priority processor runs the legacy one's jobs "
                      u"again in a sandbox and the differences are counted."_s)
    , m_config(u"config"_s,
               u"Configuration file (JSON): alert thresholds, the API's bearer token "
               u"(env TRACKWATCH_CONFIG)."_s,
               u"file"_s)
    , m_autoRollback(u"auto-rollback"_s,
                     u"When the HighErrorRate alert fires, run the emergency rollback (every "
                     u"optimization flag off), audited as done by alert:HighErrorRate (also "
                     u"alerts.autoRollback in --config; off by default)."_s)
    , m_injectErrors(u"inject-errors"_s,
                     u"Make PERCENT of ingestion batches and webhook rounds fail with an "
                     u"injected error, counted as real failures (the optimized path falls back "
                     u"to legacy, which does the work): drives the HighErrorRate alert for a "
                     u"check. Default 0."_s,
                     u"percent"_s, u"0"_s) {}

void EngineCommandLine::addTo(QCommandLineParser& parser) const {
    parser.addOptions({m_db, m_logLevel, m_simulate, m_seed, m_accounts, m_batchSize,
                       m_trackingDays, m_breakerFailures, m_breakerRate, m_breakerWindow,
                       m_breakerOpenSecs, m_viaWebhooks, m_webhookShadow, m_config, m_autoRollback,
                       m_injectErrors});
}

QString EngineCommandLine::dataDirectory() {
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return dir.isEmpty() ? QDir::home().filePath(u".local/share/trackwatch"_s) : dir;
}

Result<EngineConfig> EngineCommandLine::read(const QCommandLineParser& parser) const {
    auto invalid = [](const QString& what) {
        return Result<EngineConfig>::failure(ErrorCode::InvalidArgument, what);
    };
    if (!logging::initialize(dataDirectory(), parser.value(m_logLevel))) {
        return invalid(u"--log-level: '%1' is not one of trace, debug, info, warn, error, "
                       u"critical, off"_s.arg(parser.value(m_logLevel)));
    }
    EngineConfig config;
    const QString dsn = ConnectionSpec::chooseDsn(parser.value(m_db));
    auto spec = ConnectionSpec::parse(dsn);
    if (!spec) {
        return invalid(u"--db: "_s + spec.error().message);
    }
    config.connection = *spec;
    const QString configPath =
        parser.isSet(m_config) ? parser.value(m_config) : qEnvironmentVariable("TRACKWATCH_CONFIG");
    auto settings = readConfigFile(configPath);
    if (!settings) {
        return invalid(u"--config: "_s + settings.error().message);
    }
    config.settings = std::move(settings).value();
    if (auto alerts = AlertConfig::fromSettings(config.settings); !alerts) {
        return invalid(u"--config: "_s + alerts.error().message);
    }
    config.autoRollback = parser.isSet(m_autoRollback);
    {
        bool good = false;
        const double percent = parser.value(m_injectErrors).toDouble(&good);
        if (!good || !(percent >= 0 && percent <= 100)) {
            return invalid(u"--inject-errors: '%1' is not a percentage from 0 to 100"_s.arg(
                parser.value(m_injectErrors)));
        }
        config.injectErrorsPercent = percent;
    }

    bool ok = true;
    config.simulateRate =
        parser.isSet(m_simulate) ? parser.value(m_simulate).toDouble(&ok) : m_defaultRate;
    // Written so that NaN fails too: every comparison with NaN is false.
    if (!ok || !(config.simulateRate >= 0 && config.simulateRate <= 10'000'000)) {
        return invalid(u"--simulate: '%1' is not a rate from 0 to 10000000 emails per hour"_s.arg(
            parser.value(m_simulate)));
    }
    const auto integer = [&](const QCommandLineOption& option, int low, int high,
                             int* out) -> bool {
        bool good = false;
        const int v = parser.value(option).toInt(&good);
        if (!good || v < low || v > high) {
            return false;
        }
        *out = v;
        return true;
    };
    if (parser.isSet(m_seed)) {
        int seed = 1;
        if (!integer(m_seed, 0, std::numeric_limits<int>::max(), &seed)) {
            return invalid(
                u"--seed: '%1' is not a non-negative integer"_s.arg(parser.value(m_seed)));
        }
        config.simulator.seed = static_cast<std::uint64_t>(seed);
    } else {
        config.simulator.seed = static_cast<std::uint64_t>(QDateTime::currentMSecsSinceEpoch());
    }
    if (!integer(m_accounts, 1, 10000, &config.simulator.accounts)) {
        return invalid(
            u"--accounts: '%1' is not a number from 1 to 10000"_s.arg(parser.value(m_accounts)));
    }
    if (!integer(m_batchSize, 1, 10000, &config.ingestion.batchSize)) {
        return invalid(
            u"--batch-size: '%1' is not a number from 1 to 10000"_s.arg(parser.value(m_batchSize)));
    }
    if (!integer(m_trackingDays, 1, 3650, &config.ingestion.trackingDays)) {
        return invalid(u"--tracking-days: '%1' is not a number from 1 to 3650"_s.arg(
            parser.value(m_trackingDays)));
    }
    if (!integer(m_breakerFailures, 1, 1000, &config.breaker.failureThreshold)) {
        return invalid(u"--breaker-failures: '%1' is not a number from 1 to 1000"_s.arg(
            parser.value(m_breakerFailures)));
    }
    if (!integer(m_breakerWindow, 2, 10000, &config.breaker.slidingWindowSize)) {
        return invalid(u"--breaker-window: '%1' is not a number from 2 to 10000"_s.arg(
            parser.value(m_breakerWindow)));
    }
    config.breaker.minimumCalls = config.breaker.slidingWindowSize / 2;
    if (parser.isSet(m_breakerRate)) {
        int percent = 0;
        if (!integer(m_breakerRate, 1, 100, &percent)) {
            return invalid(u"--breaker-failure-rate: '%1' is not a percentage from 1 to 100"_s.arg(
                parser.value(m_breakerRate)));
        }
        config.breaker.mode = BreakerMode::FailureRate;
        config.breaker.failureRateThreshold = percent / 100.0;
    }
    int openSecs = 0;
    if (!integer(m_breakerOpenSecs, 0, 86400, &openSecs)) {
        return invalid(
            u"--breaker-open-secs: '%1' is not a number of seconds from 0 to 86400"_s.arg(
                parser.value(m_breakerOpenSecs)));
    }
    config.breaker.openDuration = std::chrono::seconds(openSecs);
    config.viaWebhooks = parser.isSet(m_viaWebhooks);
    config.webhookShadow = parser.isSet(m_webhookShadow);
    if (config.webhookShadow && !config.viaWebhooks) {
        return invalid(u"--webhook-shadow needs --via-webhooks"_s);
    }
    if (auto retention =
            RetentionPolicy::fromSettings(config.settings, config.ingestion.trackingDays);
        !retention) {
        return invalid(u"--config: "_s + retention.error().message);
    }
    config.simulateBackfillSecs = m_backfillSecs;
    if (config.connection.dialect == Dialect::Sqlite) {
        config.analyticsIntervalSecs = 60; // cheap on a local file; keeps the rollup fresh
    }
    return config;
}

} // namespace trackwatch::core
