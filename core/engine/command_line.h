// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "engine/engine.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace trackwatch::core {

// The options every Trackwatch executable shares (--db, --log-level, the simulator's and
// ingestion's settings), so the console and the daemon read them the same way.
class EngineCommandLine {
public:
    // The simulator's default rate (sent emails per hour) and how much history it makes at
    // start (seconds of simulated traffic before now).
    EngineCommandLine(double defaultSimulateRate, int backfillSecs);

    void addTo(QCommandLineParser& parser) const;

    // Validates the values and sets up logging (terminal plus the data directory's rotating
    // file). Errors name the option and what is wrong with it.
    Result<EngineConfig> read(const QCommandLineParser& parser) const;

    // The data directory: logs and the default SQLite file live here.
    static QString dataDirectory();

private:
    double m_defaultRate;
    int m_backfillSecs;
    QCommandLineOption m_db;
    QCommandLineOption m_logLevel;
    QCommandLineOption m_simulate;
    QCommandLineOption m_seed;
    QCommandLineOption m_accounts;
    QCommandLineOption m_batchSize;
    QCommandLineOption m_trackingDays;
    QCommandLineOption m_breakerFailures;
    QCommandLineOption m_breakerRate;
    QCommandLineOption m_breakerWindow;
    QCommandLineOption m_breakerOpenSecs;
    QCommandLineOption m_viaWebhooks;
    QCommandLineOption m_webhookShadow;
    QCommandLineOption m_config;
    QCommandLineOption m_autoRollback;
    QCommandLineOption m_injectErrors;
};

} // namespace trackwatch::core
