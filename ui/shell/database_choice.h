// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <optional>

class QCommandLineParser;

namespace trackwatch::core {
struct EngineConfig;
}

namespace trackwatch::ui {

// Which database the console opens, and whether its engine simulates mail there. The rule:
// simulated mail goes into the console's own demo database (trackwatch-demo.db in the data
// directory; the simulator's accounts are on the reserved trackwatch.example domain) and into
// no other database unless --simulate asks for it by name. Plain value type; nothing here
// reads the environment or touches a file.
struct DatabaseChoice {
    static constexpr double kDemoRate = 12'000; // sent emails an hour: above the 10,000 target
    static constexpr int kBackfillSecs = 3600;  // a simulation opens on an hour of history
    static constexpr const char* kDemoFile = "trackwatch-demo.db";
    static constexpr const char* kDefaultFile = "trackwatch.db"; // trackwatchd's and -ctl's

    core::ConnectionSpec connection;
    bool demo = false;
    double simulateRate = 0; // sent emails an hour; 0 runs no simulator
    int simulateBackfillSecs = 0;

    // What the console was started with.
    struct Start {
        QString db;                     // --db; empty when not given
        QString environment;            // TRACKWATCH_DB; empty when not set
        std::optional<double> simulate; // --simulate (already validated); empty when not given
        QString dataDirectory;          // where trackwatch.db and trackwatch-demo.db live
    };

    // --db, else TRACKWATCH_DB, else the demo. The demo simulates at kDemoRate (or at
    // --simulate); any other database simulates only at an explicit --simulate.
    static core::Result<DatabaseChoice> atStart(const Start& start);
    // The same from the console's parsed command line (EngineCommandLine's options) and the
    // simulator rate EngineCommandLine::read() validated.
    static Start startFrom(const QCommandLineParser& parser, double validatedRate,
                           const QString& environment, const QString& dataDirectory);
    // File → Connect and File → Open recent: the demo simulates at kDemoRate; every other
    // database opens as it is, without simulation.
    static DatabaseChoice forConnection(const core::ConnectionSpec& spec,
                                        const QString& dataDirectory);

    static QString demoPath(const QString& dataDirectory);
    static QString defaultPath(const QString& dataDirectory);
    // The SQLite file demoPath(dataDirectory); never true for an empty dataDirectory.
    static bool isDemo(const core::ConnectionSpec& spec, const QString& dataDirectory);

    // Sets the engine's connection and simulator from this choice.
    void applyTo(core::EngineConfig& config) const;
};

} // namespace trackwatch::ui
