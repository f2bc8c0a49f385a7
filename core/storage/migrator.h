// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"

#include <QList>
#include <QString>
#include <QStringList>

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
// engines at once (PostgreSQL: advisory lock; SQLite: BEGIN IMMEDIATE). Refuses a database
// whose recorded version is newer than the newest migration known. Used on the database's
// thread only.
class Migrator {
public:
    explicit Migrator(Database& db);

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
    Database& m_db;
    std::optional<QList<Migration>> m_override;
};

} // namespace trackwatch::core
