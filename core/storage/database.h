// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

#include <functional>
#include <memory>

namespace trackwatch::core {

// One open connection to the Trackwatch database. A Database belongs to the thread that opened
// it (QtSql's rule) and must be used and destroyed there; open one per thread. Owns its
// QSqlDatabase connection, which it removes on destruction. Not copyable.
class Database {
public:
    // Opens (and for SQLite creates, with its directory) the database. The connection name is
    // unique per call. SQLite runs in WAL mode with a busy timeout; PostgreSQL connects with a
    // 5 s timeout. Errors name the database by ConnectionSpec::redacted().
    static Result<std::unique_ptr<Database>> open(const ConnectionSpec& spec);

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Dialect dialect() const { return m_spec.dialect; }
    const ConnectionSpec& spec() const { return m_spec; }
    QSqlDatabase& handle() { return m_db; }

    // Runs one statement with positional (?) values: strings, date-times, numbers, booleans
    // and nulls, inlined as quoted literals (any other type is refused). A '?' counts as a
    // placeholder outside single-quoted literals only. The error names the failing
    // statement's first line and the driver's message.
    Result<QSqlQuery> exec(const QString& sql, const QVariantList& values = {});

    // Runs body inside a transaction: commits when it returns ok, rolls back otherwise (and
    // when the commit fails). Not reentrant.
    Status transaction(const std::function<Status()>& body);

    // Whether the connection still answers (a cheap round trip).
    bool ping();

private:
    Database(ConnectionSpec spec, QSqlDatabase db);
    Result<QString> inlineValues(const QString& sql, const QVariantList& values) const;
    Result<QString> literal(const QVariant& value) const;
    ConnectionSpec m_spec;
    QSqlDatabase m_db;
};

// The driver's error of a query as a core Error.
Error sqlError(const QSqlQuery& query, const QString& what);

} // namespace trackwatch::core
