// SPDX-License-Identifier: MIT
#pragma once
// A PostgreSQL cluster of the test's own, for the fault tests that restart or stop the server:
// initdb into a temporary folder, started with pg_ctl on a free loopback port, trust
// authentication on 127.0.0.1 only, removed with its folder at the end. The shared test
// cluster (TRACKWATCH_TEST_PG) is never touched. As root (CI), the server runs as the
// postgres user, which owns the folder.

#include "storage/connection_spec.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

#include <pwd.h>
#include <unistd.h>

namespace trackwatch::test {

class ThrowawayCluster {
public:
    ThrowawayCluster() {
        const QString bin = QStringLiteral("/usr/lib/postgresql/15/bin");
        m_initdb = bin + QStringLiteral("/initdb");
        m_pgctl = bin + QStringLiteral("/pg_ctl");
        if (!QFile::exists(m_initdb) || !m_dir.isValid()) {
            m_reason = QStringLiteral("no %1 (postgresql-15) or no temporary folder").arg(m_initdb);
            return;
        }
        m_data = m_dir.filePath(QStringLiteral("data"));
        if (geteuid() == 0) {
            const passwd* pw = getpwnam("postgres");
            if (pw == nullptr || chown(qPrintable(m_dir.path()), pw->pw_uid, pw->pw_gid) != 0) {
                m_reason = QStringLiteral("running as root, but there is no postgres user");
                return;
            }
        }
        {
            QTcpServer probe; // a free port: asked of the kernel, then handed to the server
            probe.listen(QHostAddress::LocalHost, 0);
            m_port = probe.serverPort();
        }
        if (!run(m_initdb,
                 {QStringLiteral("-D"), m_data, QStringLiteral("-U"), QStringLiteral("postgres"),
                  QStringLiteral("--auth=trust"), QStringLiteral("-E"), QStringLiteral("UTF8")})) {
            return;
        }
        QFile conf(m_data + QStringLiteral("/postgresql.conf"));
        if (!conf.open(QIODevice::Append)) {
            m_reason = QStringLiteral("cannot write postgresql.conf");
            return;
        }
        conf.write(QStringLiteral("port = %1\nlisten_addresses = '127.0.0.1'\n"
                                  "unix_socket_directories = '%2'\nfsync = off\n"
                                  "synchronous_commit = off\nfull_page_writes = off\n")
                       .arg(m_port)
                       .arg(m_dir.path())
                       .toUtf8());
        conf.close();
        m_ok = start();
    }

    ~ThrowawayCluster() {
        if (!m_data.isEmpty() && QFile::exists(m_data + QStringLiteral("/postmaster.pid"))) {
            (void)run(m_pgctl,
                      {QStringLiteral("-D"), m_data, QStringLiteral("-m"),
                       QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop")});
        }
    }
    ThrowawayCluster(const ThrowawayCluster&) = delete;
    ThrowawayCluster& operator=(const ThrowawayCluster&) = delete;

    bool ok() const { return m_ok; }
    QString reason() const { return m_reason; }

    // The cluster's postgres database as the postgres superuser.
    core::ConnectionSpec spec(const QString& database = QStringLiteral("postgres")) const {
        core::ConnectionSpec s;
        s.dialect = core::Dialect::PostgreSql;
        s.host = QStringLiteral("127.0.0.1");
        s.port = m_port;
        s.database = database;
        s.user = QStringLiteral("postgres");
        s.options.insert(QStringLiteral("connect_timeout"), QStringLiteral("2"));
        return s;
    }

    bool start() {
        return run(m_pgctl, {QStringLiteral("-D"), m_data, QStringLiteral("-l"),
                             m_dir.filePath(QStringLiteral("server.log")), QStringLiteral("-w"),
                             QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")});
    }
    // Fast shutdown: every session ends, as in `pg_ctlcluster ... restart`.
    bool stop() {
        return run(m_pgctl, {QStringLiteral("-D"), m_data, QStringLiteral("-m"),
                             QStringLiteral("fast"), QStringLiteral("-w"), QStringLiteral("stop")});
    }
    bool restart() { return stop() && start(); }

    // One statement through psql as the superuser (pg_terminate_backend, checks).
    bool sql(const QString& statement, const QString& database = QStringLiteral("postgres")) {
        return run(QStringLiteral("/usr/bin/psql"),
                   {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                    QString::number(m_port), QStringLiteral("-U"), QStringLiteral("postgres"),
                    QStringLiteral("-d"), database, QStringLiteral("-v"),
                    QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-qAtc"), statement});
    }

    // Ends every session on `database` but the caller's: the server stays up.
    bool terminateSessions(const QString& database) {
        return sql(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = '%1' AND pid <> pg_backend_pid()")
                       .arg(database));
    }

private:
    bool run(const QString& program, const QStringList& args) {
        QProcess p;
        if (geteuid() == 0 && !program.endsWith(QStringLiteral("psql"))) {
            p.start(QStringLiteral("runuser"),
                    QStringList{QStringLiteral("-u"), QStringLiteral("postgres"),
                                QStringLiteral("--"), program} +
                        args);
        } else {
            p.start(program, args);
        }
        if (!p.waitForFinished(120'000) || p.exitStatus() != QProcess::NormalExit ||
            p.exitCode() != 0) {
            m_reason = QStringLiteral("%1 failed: %2%3")
                           .arg(program, QString::fromUtf8(p.readAllStandardError()),
                                QString::fromUtf8(p.readAllStandardOutput()));
            return false;
        }
        return true;
    }

    QTemporaryDir m_dir;
    QString m_initdb;
    QString m_pgctl;
    QString m_data;
    quint16 m_port = 0;
    QString m_reason;
    bool m_ok = false;
};

} // namespace trackwatch::test
