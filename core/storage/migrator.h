// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>
#include <memory>
#include <optional>

namespace trackwatch::core {

class Database;

struct Migration {
    int version = 0;
    QString name;
    QString sql;
};

// Brings a database to the schema this binary knows. Migrations are the embedded files
// :/migrations/<sqlite|postgresql>/NNN_name.sql, applied in version order, each in its own
// transaction together with its row in schema_migrations. Safe to run twice and from several
// engines at once (PostgreSQL: a session advisory lock taken with pg_try_advisory_lock, waited
// for at most lockTimeout(); SQLite: BEGIN IMMEDIATE). A database already at the newest version
// is left alone without taking the lock. Refuses a database whose recorded version is newer
// than the newest migration known. Used on the database's thread only.
class Migrator {
public:
    static constexpr std::chrono::milliseconds kDefaultLockTimeout{30'000};

    explicit Migrator(Database& db);

    // Opens a database for reading only: no migration, nothing created (a SQLite file that does
    // not exist is an error, not a new file), and the schema must be exactly the version this
    // binary knows (verifyCurrent()). For read-only commands and roles that may not migrate.
    static Result<std::unique_ptr<Database>> openWithoutMigrating(const ConnectionSpec& spec);

    // Reads the schema's version without creating or changing anything (no schema_migrations
    // table counts as version 0), and fails when it is older than this binary's ("run trackwatchd
    // or trackwatchctl migrate") or newer (SchemaTooNew).
    Status verifyCurrent();

    // How long migrate() waits on PostgreSQL for another process's migration lock before it
    // fails, naming the holder's pid. Default kDefaultLockTimeout.
    void setLockTimeout(std::chrono::milliseconds timeout) { m_lockTimeout = timeout; }

    // The migrations known for the database's dialect, in order.
    QList<Migration> available() const;

    // Highest applied version, 0 for a new database.
    Result<int> currentVersion();

    // Applies what is missing; returns the versions applied by this call.
    Result<QList<int>> migrate();

    // Splits a script into statements at top-level semicolons, honouring quotes, comments and
    // PostgreSQL dollar quoting.
    static QStringList splitStatements(const QString& script);

    // For tests: run against a given migration list instead of the embedded one.
    void setMigrations(QList<Migration> migrations) { m_override = std::move(migrations); }

private:
    Status ensureVersionTable();
    Result<int> readVersion(); // without creating the table
    Status lockMigrations();
    QString lockHolder();
    Result<QList<int>> applyMissing(const QList<Migration>& known);
    Database& m_db;
    std::optional<QList<Migration>> m_override;
    std::chrono::milliseconds m_lockTimeout = kDefaultLockTimeout;
};

} // namespace trackwatch::core
