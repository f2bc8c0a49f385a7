// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"

#include <QMap>
#include <QString>

namespace trackwatch::core {

enum class Dialect { Sqlite, PostgreSql };

// Where the database is, parsed from one connection string:
//   - a SQLite file path, optionally prefixed "sqlite:" (relative paths are made absolute);
//   - a PostgreSQL URL: postgresql://user:password@host:port/dbname?sslmode=...;
//   - libpq keyword form: host=... port=... dbname=... user=... password='...'.
// Plain value type. The password never appears in redacted() or in parse errors.
struct ConnectionSpec {
    Dialect dialect = Dialect::Sqlite;
    QString path; // SQLite
    QString host = QStringLiteral("localhost");
    int port = 5432;
    QString database;
    QString user;
    QString password;
    QMap<QString, QString> options; // libpq options we pass on: sslmode, connect_timeout, ...

    static Result<ConnectionSpec> parse(const QString& text);

    // The SQLite file used when no connection string is given: trackwatch.db in the user's
    // data directory (QStandardPaths::AppDataLocation).
    static QString defaultSqlitePath();
    // The connection string to use: the given one (--db), else TRACKWATCH_DB, else
    // defaultSqlitePath().
    static QString chooseDsn(const QString& given);

    // For logs and titles: the path, or postgresql://user@host:port/db without the password.
    QString redacted() const;
};

} // namespace trackwatch::core
