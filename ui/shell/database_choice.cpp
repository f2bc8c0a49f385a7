// SPDX-License-Identifier: MIT
#include "shell/database_choice.h"

#include "engine/engine.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QString fileIn(const QString& directory, const char* name) {
    return directory.isEmpty() ? QString()
                               : QDir::cleanPath(QDir(directory).filePath(QLatin1String(name)));
}

} // namespace

QString DatabaseChoice::demoPath(const QString& dataDirectory) {
    return fileIn(dataDirectory, kDemoFile);
}

QString DatabaseChoice::defaultPath(const QString& dataDirectory) {
    return fileIn(dataDirectory, kDefaultFile);
}

bool DatabaseChoice::isDemo(const core::ConnectionSpec& spec, const QString& dataDirectory) {
    const QString demo = demoPath(dataDirectory);
    return !demo.isEmpty() && spec.dialect == core::Dialect::Sqlite &&
           QDir::cleanPath(QFileInfo(spec.path).absoluteFilePath()) ==
               QDir::cleanPath(QFileInfo(demo).absoluteFilePath());
}

core::Result<DatabaseChoice> DatabaseChoice::atStart(const Start& start) {
    const QString dsn = !start.db.isEmpty()            ? start.db
                        : !start.environment.isEmpty() ? start.environment
                                                       : demoPath(start.dataDirectory);
    if (dsn.isEmpty()) {
        return core::Result<DatabaseChoice>::failure(core::ErrorCode::InvalidArgument,
                                                     u"no data directory for the demo database"_s);
    }
    auto spec = core::ConnectionSpec::parse(dsn);
    if (!spec) {
        const QString source = !start.db.isEmpty()            ? u"--db"_s
                               : !start.environment.isEmpty() ? u"TRACKWATCH_DB"_s
                                                              : u"the demo database"_s;
        return core::Result<DatabaseChoice>::failure(spec.error().code,
                                                     source + u": "_s + spec.error().message);
    }
    DatabaseChoice choice;
    choice.connection = *spec;
    choice.demo = isDemo(choice.connection, start.dataDirectory);
    choice.simulateRate = start.simulate.value_or(choice.demo ? kDemoRate : 0.0);
    choice.simulateBackfillSecs = choice.simulateRate > 0 ? kBackfillSecs : 0;
    return choice;
}

DatabaseChoice::Start DatabaseChoice::startFrom(const QCommandLineParser& parser,
                                                double validatedRate, const QString& environment,
                                                const QString& dataDirectory) {
    Start start;
    start.db = parser.value(u"db"_s);
    start.environment = environment;
    if (parser.isSet(u"simulate"_s)) {
        start.simulate = validatedRate;
    }
    start.dataDirectory = dataDirectory;
    return start;
}

DatabaseChoice DatabaseChoice::forConnection(const core::ConnectionSpec& spec,
                                             const QString& dataDirectory) {
    DatabaseChoice choice;
    choice.connection = spec;
    choice.demo = isDemo(spec, dataDirectory);
    choice.simulateRate = choice.demo ? kDemoRate : 0.0;
    choice.simulateBackfillSecs = choice.demo ? kBackfillSecs : 0;
    return choice;
}

void DatabaseChoice::applyTo(core::EngineConfig& config) const {
    config.connection = connection;
    config.simulateRate = simulateRate;
    config.simulateBackfillSecs = simulateBackfillSecs;
}

} // namespace trackwatch::ui
