// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "storage/connection_spec.h"

#include <QHash>
#include <QMap>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

#include <functional>
#include <memory>
#include <utility>

namespace trackwatch::core {

class Gauge;
class LatencyHistogram;
class MetricsRegistry;

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
    // placeholder outside single-quoted literals only. Values that cannot be stored exactly
    // are refused with InvalidArgument, never altered: text with NUL or an unpaired UTF-16
    // surrogate, NaN and infinities, unsigned integers above the signed 64-bit range. The
    // error names the failing statement's first line and the driver's message.
    Result<QSqlQuery> exec(const QString& sql, const QVariantList& values = {});

    // Runs body inside a transaction: commits when it returns ok, rolls back otherwise (and
    // when the commit fails). Not reentrant.
    Status transaction(const std::function<Status()>& body);

    // Whether the connection still answers (a cheap round trip). A connection that does not
    // is marked lost, as a failed statement would mark it.
    bool ping();

    // False once the connection was lost (the server went away, restarted or ended this
    // session), until reopen() succeeds. While lost, exec() and transaction() fail at once
    // with ErrorCode::Unavailable and touch no driver. A statement that fails for any other
    // reason leaves the connection usable.
    bool connected() const { return m_lostReason.isEmpty(); }
    // Why the connection was found lost ("server closed the connection unexpectedly", ...).
    const QString& lostReason() const { return m_lostReason; }

    // Connects again with the same settings: this object stays, so references held by
    // callers stay valid, but the session is new (see session()). The session settings and
    // every listen() channel are restored. Backoff between attempts is the caller's (see
    // Reconnector).
    Status reopen();

    // Counts reopen()s: statements a caller prepared on this connection (QSqlQuery::prepare)
    // belong to the session they were prepared in and must be prepared again when it changed.
    int session() const { return m_session; }

    // LISTEN on a PostgreSQL channel: `handler` runs on this thread for each notification on
    // it, in this session and every later one. A notification is only a hint to read again:
    // anyone who can connect may send one. False when the driver cannot subscribe.
    using NotificationHandler = std::function<void(const QString& channel)>;
    bool listen(const QString& channel, NotificationHandler handler);

    // Times every statement from now on into the registry: the histogram
    // trackwatch_db_query_duration_seconds{statement} (statement: the SQL's first keyword,
    // "select", "insert", ..., or the name given to OperationScope), the counter
    // trackwatch_db_query_errors{statement}, and this connection in the gauges
    // trackwatch_db_connections{state="open"} and {state="in_use"} (inside a statement or a
    // transaction). Without a registry (the default) exec() does no timing at all. The
    // registry is kept alive while attached; nullptr detaches.
    void setMetrics(std::shared_ptr<MetricsRegistry> metrics);
    MetricsRegistry* metrics() const { return m_metrics.get(); }

    // Names the statements run while it lives (their `statement` label), for callers whose
    // statements deserve a name of their own ("tracked_emails_page"). Names must come from a
    // bounded set. Scopes nest; the innermost wins.
    class OperationScope {
    public:
        OperationScope(Database& db, QString operation)
            : m_db(db)
            , m_previous(std::exchange(db.m_operation, std::move(operation))) {}
        ~OperationScope() { m_db.m_operation = std::move(m_previous); }
        OperationScope(const OperationScope&) = delete;
        OperationScope& operator=(const OperationScope&) = delete;

    private:
        Database& m_db;
        QString m_previous;
    };

private:
    LatencyHistogram& queryHistogram(const QString& statement);
    void markBusy(int delta);

    Database(ConnectionSpec spec, QSqlDatabase db);
    Status configureSession();
    Error failed(const QSqlQuery& query, const QString& sql); // the error; marks a lost connection
    // After a failed statement: whether the connection itself is gone (not only the statement).
    bool connectionLost(const QSqlError& error);
    Error lostError() const;
    void connectNotifications();
    bool subscribeAll(); // LISTEN on every channel of m_listeners, on the current driver
    Result<QString> inlineValues(const QString& sql, const QVariantList& values) const;
    Result<QString> literal(const QVariant& value) const;
    ConnectionSpec m_spec;
    QSqlDatabase m_db;
    std::shared_ptr<MetricsRegistry> m_metrics;
    QHash<QString, LatencyHistogram*> m_histograms; // by statement label, in m_metrics
    Gauge* m_openGauge = nullptr;
    Gauge* m_inUseGauge = nullptr;
    int m_busy = 0; // nesting of exec() and transaction()
    QString m_operation;
    QString m_lostReason;                           // empty while connected
    QMap<QString, NotificationHandler> m_listeners; // listen()ed, renewed by reopen()
    int m_session = 0;
};

// The driver's error of a query as a core Error.
Error sqlError(const QSqlQuery& query, const QString& what);

} // namespace trackwatch::core
