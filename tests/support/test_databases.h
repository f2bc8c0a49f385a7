// SPDX-License-Identifier: MIT
#pragma once
// Real databases for tests: a fresh SQLite file in a temporary directory, or a fresh
// PostgreSQL database created for the test and dropped after it. PostgreSQL comes from
// TRACKWATCH_TEST_PG (default postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch,
// the role packaging/setup-test-postgres.sh creates). When it cannot be reached the test is
// skipped with the reason, except under CI=true, where it fails.

#include "storage/connection_spec.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QCoreApplication>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace trackwatch::test {

using core::ConnectionSpec;
using core::Database;
using core::Dialect;

inline QString pgAdminDsn() {
    const QString env = qEnvironmentVariable("TRACKWATCH_TEST_PG");
    return env.isEmpty()
               ? QStringLiteral("postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch")
               : env;
}

inline bool runningInCi() {
    return qEnvironmentVariable("CI") == QLatin1String("true");
}

// A database that exists for the lifetime of this object.
class TestDatabase {
public:
    // Creates the database; on failure ok() is false and reason() says why.
    explicit TestDatabase(Dialect dialect) {
        static int counter = 0;
        if (dialect == Dialect::Sqlite) {
            m_spec.dialect = Dialect::Sqlite;
            m_spec.path = m_dir.filePath(QStringLiteral("trackwatch-%1.db").arg(++counter));
            m_ok = m_dir.isValid();
            return;
        }
        auto admin = ConnectionSpec::parse(pgAdminDsn());
        if (!admin) {
            m_reason = admin.error().message;
            return;
        }
        auto db = Database::open(*admin);
        if (!db) {
            m_reason = db.error().message;
            return;
        }
        m_admin = *admin;
        m_name =
            QStringLiteral("tw_test_%1_%2").arg(QCoreApplication::applicationPid()).arg(++counter);
        (void)(*db)->exec(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(m_name));
        if (auto r = (*db)->exec(QStringLiteral("CREATE DATABASE %1").arg(m_name)); !r) {
            m_reason = r.error().message;
            return;
        }
        m_spec = *admin;
        m_spec.database = m_name;
        m_ok = true;
    }

    ~TestDatabase() {
        if (m_ok && m_spec.dialect == Dialect::PostgreSql) {
            if (auto db = Database::open(m_admin)) {
                (void)(*db)->exec(
                    QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_name));
            }
        }
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    bool ok() const { return m_ok; }
    QString reason() const { return m_reason; }
    const ConnectionSpec& spec() const { return m_spec; }

    // A new connection on the calling thread, migrated to the current schema.
    std::unique_ptr<Database> openMigrated() const {
        auto db = Database::open(m_spec);
        if (!db) {
            qWarning("open failed: %s", qPrintable(db.error().message));
            return nullptr;
        }
        core::Migrator migrator(**db);
        if (auto r = migrator.migrate(); !r) {
            qWarning("migrate failed: %s", qPrintable(r.error().message));
            return nullptr;
        }
        return std::move(db).value();
    }

private:
    QTemporaryDir m_dir;
    ConnectionSpec m_spec;
    ConnectionSpec m_admin;
    QString m_name;
    QString m_reason;
    bool m_ok = false;
};

// Adds the "dialect" column and one row per dialect to a data-driven test.
// The first column of the first row, or -1 when there is none (or the query failed).
inline qint64 scalar(Database& db, const QString& sql) {
    auto q = db.exec(sql);
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

// The tracked emails as matching left them, one "account|message id|status|responses|reply
// id|match method" line each, in a stable order: for comparing two runs.
inline QStringList trackedState(Database& db) {
    QStringList rows;
    auto q = db.exec(QStringLiteral(
        "SELECT a.email_address, t.internet_message_id, t.tracking_status, t.response_count, "
        "COALESCE(t.reply_message_id, ''), COALESCE(t.match_method, '') FROM tracked_emails t "
        "JOIN accounts a ON a.id = t.email_account_id ORDER BY 1, 2"));
    while (q && q->next()) {
        QStringList cols;
        for (int i = 0; i < 6; ++i) {
            cols << q->value(i).toString();
        }
        rows << cols.join(u'|');
    }
    return rows;
}

inline void addDialectRows() {
    QTest::addColumn<Dialect>("dialect");
    QTest::newRow("sqlite") << Dialect::Sqlite;
    QTest::newRow("postgresql") << Dialect::PostgreSql;
}

} // namespace trackwatch::test

Q_DECLARE_METATYPE(trackwatch::core::Dialect)

// Ends the test when a required database is missing: skipped with the reason, except under
// CI=true, where it fails.
#define TW_DATABASE_UNAVAILABLE(reason)                                                            \
    do {                                                                                           \
        const QByteArray why_ = (QStringLiteral("PostgreSQL unavailable: ") + (reason)).toUtf8();  \
        if (trackwatch::test::runningInCi()) {                                                     \
            QFAIL(why_.constData());                                                               \
        }                                                                                          \
        QSKIP(why_.constData());                                                                   \
    } while (false)

// Makes a TestDatabase named `var` for `dialect`, or ends the test as above.
#define TW_TEST_DATABASE(var, dialect)                                                             \
    trackwatch::test::TestDatabase var(dialect);                                                   \
    if (!var.ok()) {                                                                               \
        TW_DATABASE_UNAVAILABLE(var.reason());                                                     \
    }
