// SPDX-License-Identifier: MIT
// trackwatchctl as a script would run it: exit codes, JSON, and what it leaves in the database.
#include "api/api_server.h"
#include "cache/query_cache.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestTrackwatchctl : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    Run ctl(const QStringList& args) {
        QProcess p;
        p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                QStringList{u"--db"_s, m_dir.filePath(u"ctl.db"_s)} + args);
        if (!p.waitForFinished(30000)) {
            return {};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                p.readAllStandardOutput(), p.readAllStandardError()};
    }

private slots:
    void changesNeedAReason() {
        const Run r = ctl({u"flags"_s, u"set"_s, u"useOptimizedQueries"_s, u"off"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("reason"), r.err.constData());
    }

    void invalidInputIsAUsageError_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("unknown flag")
            << QStringList{u"flags"_s, u"set"_s, u"noSuchFlag"_s, u"on"_s, u"--reason"_s, u"x"_s};
        QTest::newRow("bad value") << QStringList{
            u"flags"_s, u"set"_s, u"useOptimizedQueries"_s, u"maybe"_s, u"--reason"_s, u"x"_s};
        QTest::newRow("percent out of range")
            << QStringList{u"rollout"_s, u"set"_s, u"caching"_s, u"101"_s, u"--reason"_s, u"x"_s};
        QTest::newRow("percent not a number")
            << QStringList{u"rollout"_s, u"set"_s, u"caching"_s, u"half"_s, u"--reason"_s, u"x"_s};
        QTest::newRow("unknown command") << QStringList{u"launch"_s, u"missiles"_s};
        QTest::newRow("no command") << QStringList{};
    }
    void invalidInputIsAUsageError() {
        QFETCH(QStringList, args);
        const Run r = ctl(args);
        QCOMPARE(r.code, 2);
        QVERIFY(!r.err.isEmpty());
    }

    void setListAndAudit() {
        Run r = ctl({u"flags"_s, u"set"_s, u"useOptimizedQueries"_s, u"off"_s, u"--reason"_s,
                     u"p95 regression"_s});
        QCOMPARE(r.code, 0);
        r = ctl({u"flags"_s, u"list"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        const QJsonArray flags = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(flags.size(), 8);
        bool found = false;
        for (const QJsonValue& v : flags) {
            const QJsonObject f = v.toObject();
            if (f.value(u"name"_s).toString() == u"useOptimizedQueries") {
                found = true;
                QCOMPARE(f.value(u"enabled"_s).toBool(), false);
                QCOMPARE(f.value(u"source"_s).toString(), u"override"_s);
            }
        }
        QVERIFY(found);

        r = ctl({u"rollout"_s, u"set"_s, u"caching"_s, u"80"_s, u"--reason"_s, u"healthy"_s});
        QCOMPARE(r.code, 0);
        r = ctl({u"rollout"_s, u"check"_s, u"account-1"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        const QJsonArray checks = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(checks.size(), 3);
        for (const QJsonValue& v : checks) {
            const QJsonObject c = v.toObject();
            QCOMPARE(c.value(u"included"_s).toBool(),
                     c.value(u"bucket"_s).toInt() < c.value(u"percentage"_s).toInt());
            if (c.value(u"rollout"_s).toString() == u"caching") {
                QCOMPARE(c.value(u"bucket"_s).toInt(), 98); // the documented vector
                QCOMPARE(c.value(u"percentage"_s).toInt(), 80);
            }
        }

        r = ctl({u"audit"_s, u"--json"_s, u"--target"_s, u"flag:*"_s});
        QCOMPARE(r.code, 0);
        const QJsonArray audit = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().toObject().value(u"reason"_s).toString(), u"p95 regression"_s);
        QCOMPARE(audit.first().toObject().value(u"newValue"_s).toString(), u"off (override)"_s);
    }

    void tripAndResetABreaker() {
        QCOMPARE(ctl({u"breakers"_s, u"trip"_s, u"rateLimiter"_s}).code, 2); // no reason
        QCOMPARE(ctl({u"breakers"_s, u"trip"_s, u"rateLimiter"_s, u"--reason"_s, u"429s"_s}).code,
                 0);
        Run r = ctl({u"breakers"_s, u"list"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        bool found = false;
        for (const QJsonValue& v : QJsonDocument::fromJson(r.out).array()) {
            if (v.toObject().value(u"operation"_s).toString() == u"rateLimiter") {
                found = true;
                QCOMPARE(v.toObject().value(u"state"_s).toString(), u"forced_open"_s);
                QCOMPARE(v.toObject().value(u"reason"_s).toString(), u"429s"_s);
            }
        }
        QVERIFY(found);
        QCOMPARE(ctl({u"breakers"_s, u"reset"_s, u"rateLimiter"_s, u"--reason"_s, u"ok"_s}).code,
                 0);
    }

    // Rollback as on-call runs it from a script: confirmation is required (no terminal here,
    // so --yes), the flags go off, no engine runs so none is awaited, and roll-forward undoes it.
    void rollbackAndRollForward() {
        QCOMPARE(ctl({u"flags"_s, u"set"_s, u"enableBatchIngestion"_s, u"on"_s, u"--reason"_s,
                      u"ready"_s})
                     .code,
                 0);
        Run r = ctl({u"rollback"_s, u"--yes"_s});
        QCOMPARE(r.code, 2); // no reason
        r = ctl({u"rollback"_s, u"--reason"_s, u"errors"_s});
        QCOMPARE(r.code, 2); // not confirmed, and no terminal to ask on
        QVERIFY2(r.err.contains("--yes"), r.err.constData());
        QVERIFY(r.out.contains("enableBatchIngestion")); // the plan was shown
        r = ctl({u"flags"_s, u"list"_s, u"--json"_s});
        QVERIFY(!r.out.contains("\"rollback\""));

        r = ctl({u"rollback"_s, u"--reason"_s, u"error rate 7%"_s, u"--yes"_s, u"--json"_s,
                 u"--wait"_s, u"0"_s});
        QCOMPARE(r.code, 0);
        const QJsonObject done = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(done.value(u"action"_s).toString(), u"rollback"_s);
        QCOMPARE(done.value(u"changes"_s).toArray().size(), 6);
        QCOMPARE(done.value(u"allAcknowledged"_s).toBool(), true);
        r = ctl({u"flags"_s, u"list"_s, u"--json"_s});
        int rolledBack = 0;
        for (const QJsonValue& v : QJsonDocument::fromJson(r.out).array()) {
            if (v.toObject().value(u"source"_s).toString() == u"rollback") {
                ++rolledBack;
                QCOMPARE(v.toObject().value(u"enabled"_s).toBool(), false);
            }
        }
        QCOMPARE(rolledBack, 6);

        r = ctl({u"roll-forward"_s, u"--reason"_s, u"fixed"_s, u"--yes"_s, u"--wait"_s, u"0"_s});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("on (override)"), r.out.constData());
        r = ctl({u"flags"_s, u"list"_s, u"--json"_s});
        for (const QJsonValue& v : QJsonDocument::fromJson(r.out).array()) {
            QVERIFY(v.toObject().value(u"source"_s).toString() != u"rollback");
            if (v.toObject().value(u"name"_s).toString() == u"enableBatchIngestion") {
                QCOMPARE(v.toObject().value(u"enabled"_s).toBool(), true);
            }
        }
        r = ctl({u"roll-forward"_s, u"--reason"_s, u"again"_s, u"--yes"_s});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nothing to roll forward"), r.err.constData());
        r = ctl({u"audit"_s, u"--json"_s, u"--target"_s, u"flag:enableBatchIngestion"_s});
        const QJsonArray audit = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(audit.size(), 3);
        QCOMPARE(audit[0].toObject().value(u"action"_s).toString(), u"roll-forward"_s);
        QCOMPARE(audit[1].toObject().value(u"action"_s).toString(), u"rollback"_s);
        QCOMPARE(ctl({u"engines"_s, u"--json"_s}).code, 0);
    }

    void loadtestUsageErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("other host")
            << QStringList{u"loadtest"_s, u"--url"_s, u"http://10.1.2.3:8470"_s} << u"127.0.0.1"_s;
        QTest::newRow("https") << QStringList{u"loadtest"_s, u"--url"_s, u"https://127.0.0.1:1"_s}
                               << u"127.0.0.1"_s;
        QTest::newRow("scale zero")
            << QStringList{u"loadtest"_s, u"--duration-scale"_s, u"0"_s} << u"duration-scale"_s;
        QTest::newRow("both durations")
            << QStringList{u"loadtest"_s, u"--duration-scale"_s, u"1"_s, u"--duration"_s, u"5"_s}
            << u"give one"_s;
        QTest::newRow("accounts") << QStringList{u"loadtest"_s, u"--accounts"_s, u"none"_s}
                                  << u"accounts"_s;
        QTest::newRow("unknown option")
            << QStringList{u"loadtest"_s, u"--rps"_s, u"9"_s} << u"rps"_s;
        QTest::newRow("argument") << QStringList{u"loadtest"_s, u"now"_s} << u"no arguments"_s;
        QTest::newRow("remote database")
            << QStringList{u"loadtest"_s, u"--db"_s, u"postgresql://u:p@10.1.2.3:5432/db"_s}
            << u"this host"_s;
    }
    void loadtestUsageErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const Run r = ctl(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(mentions), r.err.constData());
    }

    // A one-second run of the seed's streams against an API with no engine behind it: every
    // request is answered, but nothing processes the webhook jobs, so throughput fails and the
    // exit code is 1; the JSON file holds the same verdicts as the table.
    void loadtestRunsAndReports() {
        const QString dbPath = m_dir.filePath(u"ctl.db"_s);
        {
            auto spec = trackwatch::core::ConnectionSpec::parse(dbPath);
            QVERIFY(spec);
            auto db = trackwatch::core::Database::open(*spec);
            QVERIFY(db);
            trackwatch::core::Migrator migrator(**db);
            QVERIFY(migrator.migrate().ok());
        }
        trackwatch::core::ApiConfig api;
        api.token = u"ctl-load-test-token-0123456789"_s;
        api.clientState = u"ctl-load-test-client-state"_s;
        trackwatch::core::ApiServer server(
            api, *trackwatch::core::ConnectionSpec::parse(dbPath),
            {std::make_shared<trackwatch::core::QueryCache>(), nullptr, nullptr, nullptr, nullptr});
        auto port = server.start();
        QVERIFY2(port, port ? "" : qPrintable(port.error().message));
        const QString json = m_dir.filePath(u"report.json"_s);
        const Run r =
            ctl({u"loadtest"_s, u"--url"_s, u"http://127.0.0.1:%1"_s.arg(*port), u"--duration"_s,
                 u"1"_s, u"--accounts"_s, u"2"_s, u"--drain"_s, u"0"_s, u"--token"_s, api.token,
                 u"--client-state"_s, api.clientState, u"--json"_s, json});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("FAIL"), r.out.constData());
        QVERIFY(r.out.contains("not measured"));
        QVERIFY(r.out.contains("Webhook processing throughput"));
        QVERIFY2(r.err.contains("tracked"), r.err.constData()); // the progress line
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(report.value(u"exitCode"_s).toInt(), 1);
        QCOMPARE(report.value(u"passed"_s).toBool(), false);
        const QJsonArray streams = report.value(u"streams"_s).toArray();
        QCOMPARE(streams.size(), 5);
        for (const QJsonValue& v : streams) {
            const QJsonObject s = v.toObject();
            QVERIFY2(s.value(u"errors"_s).toInt() == 0,
                     qPrintable(s.value(u"stream"_s).toString() + u": "_s +
                                s.value(u"firstError"_s).toString()));
            QCOMPARE(s.value(u"sent"_s).toInt(), s.value(u"scheduled"_s).toInt());
        }
        bool webhookThroughputFailed = false;
        for (const QJsonValue& v : report.value(u"criteria"_s).toArray()) {
            const QJsonObject c = v.toObject();
            if (c.value(u"name"_s).toString() == u"Webhook processing throughput") {
                webhookThroughputFailed = c.value(u"result"_s).toString() == u"fail" &&
                                          c.value(u"value"_s).toDouble() == 0;
            }
        }
        QVERIFY(webhookThroughputFailed);
    }

    // Defect 5: a mistyped PostgreSQL URL used to become a SQLite file named after it, with
    // the password in a folder name. It is refused (exit 2), the password is not repeated, and
    // nothing is created.
    void mistypedPostgresUrlIsRefused_data() {
        QTest::addColumn<QString>("dsn");
        QTest::newRow("one slash") << u"postgresql:/user:Secr3t@host/db"_s;
        QTest::newRow("no colon") << u"postgresql//user:Secr3t@host/db"_s;
        QTest::newRow("postgres:x") << u"postgres:Secr3t"_s;
        QTest::newRow("mysql") << u"mysql://user:Secr3t@host/db"_s;
        QTest::newRow("http:") << u"http:user:Secr3t@host"_s;
    }
    void mistypedPostgresUrlIsRefused() {
        QFETCH(QString, dsn);
        QTemporaryDir cwd;
        QProcess p;
        p.setWorkingDirectory(cwd.path());
        p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                {u"--db"_s, dsn, u"flags"_s, u"set"_s, u"useOptimizedQueries"_s, u"off"_s,
                 u"--reason"_s, u"typo"_s});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(out.contains("--db"), out.constData());
        QVERIFY2(!out.contains("Secr3t"), out.constData());
        QCOMPARE(QDir(cwd.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 QStringList());
    }

    // Defect 8: "-1" is a percentage out of range, not an unknown option.
    void negativeNumbersAreValuesNotOptions() {
        Run r = ctl({u"rollout"_s, u"set"_s, u"caching"_s, u"-1"_s, u"--reason"_s, u"x"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("0 to 100"), r.err.constData());
        QVERIFY2(!r.err.contains("Unknown option"), r.err.constData());
        r = ctl({u"rollout"_s, u"set"_s, u"caching"_s, u"-5.5"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("0 to 100"), r.err.constData());
        r = ctl({u"audit"_s, u"--limit"_s, u"-3"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--limit"), r.err.constData());
        r = ctl({u"flags"_s, u"list"_s, u"--no-such-option"_s});
        QCOMPARE(r.code, 2);
        r = ctl({u"rollout"_s, u"set"_s, u"caching"_s, u"0"_s, u"--reason"_s, u"zero is fine"_s});
        QCOMPARE(r.code, 0);
    }

    // Defect 8: control characters in a reason are shown escaped in the audit table, so a
    // reason cannot forge lines or send escape sequences to the on-call's terminal.
    void auditEscapesControlCharacters() {
        const QString reason =
            u"ok\n2026-01-01 00:00:00Z  root (postgres)  forged\x1b[2J\x07 \u202Eend"_s;
        QCOMPARE(
            ctl({u"flags"_s, u"set"_s, u"enableBatchWebhooks"_s, u"on"_s, u"--reason"_s, reason})
                .code,
            0);
        Run r =
            ctl({u"audit"_s, u"--target"_s, u"flag:enableBatchWebhooks"_s, u"--limit"_s, u"1"_s});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("ok\\n2026-01-01"), r.out.constData());
        QVERIFY2(r.out.contains("forged\\x1b[2J\\x07"), r.out.constData());
        QVERIFY2(r.out.contains("\\u{202e}end"), r.out.constData());
        QVERIFY(!r.out.contains('\x1b'));
        QVERIFY(!r.out.contains('\x07'));
        QCOMPARE(r.out.count('\n'), 2); // the header and one entry
        // JSON keeps the reason exactly.
        r = ctl({u"audit"_s, u"--json"_s, u"--target"_s, u"flag:enableBatchWebhooks"_s,
                 u"--limit"_s, u"1"_s});
        QCOMPARE(
            QJsonDocument::fromJson(r.out).array().first().toObject().value(u"reason"_s).toString(),
            reason);
    }

    // Defect 6: listing commands never migrate. On a database older than the binary they say
    // what to run and leave it as it was; on a missing SQLite file they create nothing.
    void readOnlyCommandsDoNotMigrate() {
        const QString path = m_dir.filePath(u"old.db"_s);
        auto run = [&](const QStringList& args) {
            QProcess p;
            p.start(QStringLiteral(TRACKWATCHCTL_PATH), QStringList{u"--db"_s, path} + args);
            p.waitForFinished(30000);
            return Run{p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
        };
        Run r = run({u"flags"_s, u"list"_s});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("migrate"), r.err.constData());
        QVERIFY(!QFile::exists(path));

        int older = 0;
        {
            auto spec = trackwatch::core::ConnectionSpec::parse(path);
            QVERIFY(spec);
            auto db = trackwatch::core::Database::open(*spec);
            QVERIFY(db);
            trackwatch::core::Migrator migrator(**db);
            const auto all = migrator.available();
            older = all.at(all.size() - 2).version;
            migrator.setMigrations(all.mid(0, all.size() - 1));
            QVERIFY(migrator.migrate());
        }
        for (const QStringList& args :
             {QStringList{u"flags"_s, u"list"_s}, QStringList{u"rollout"_s, u"list"_s},
              QStringList{u"rollout"_s, u"check"_s, u"a"_s}, QStringList{u"breakers"_s, u"list"_s},
              QStringList{u"engines"_s}, QStringList{u"audit"_s},
              QStringList{u"retention"_s, u"show"_s}}) {
            r = run(args);
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains("run trackwatchd or trackwatchctl migrate"), r.err.constData());
        }
        auto version = [&] {
            auto spec = trackwatch::core::ConnectionSpec::parse(path);
            auto db = trackwatch::core::Database::open(*spec);
            auto q = (*db)->exec(u"SELECT MAX(version) FROM schema_migrations"_s);
            return q && q->next() ? q->value(0).toInt() : -1;
        };
        QCOMPARE(version(), older);
        r = run({u"migrate"_s});
        QCOMPARE(r.code, 0);
        QVERIFY(version() > older);
        r = run({u"flags"_s, u"list"_s});
        QCOMPARE(r.code, 0);
        r = run({u"migrate"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"applied"_s).toArray().size(), 0);
    }

    // Backup while another connection writes; the copy opens as a Trackwatch database with
    // every row of a consistent moment, passes integrity_check, and restores by copying back.
    void backupWhileWritingAndRestore() {
        const QString live = m_dir.filePath(u"live.db"_s);
        const QString copy = m_dir.filePath(u"backup/live-copy.db"_s);
        QVERIFY(QDir().mkpath(m_dir.filePath(u"backup"_s)));
        auto spec = trackwatch::core::ConnectionSpec::parse(live);
        QVERIFY(spec);
        auto writer = trackwatch::core::Database::open(*spec);
        QVERIFY(writer);
        QVERIFY(trackwatch::core::Migrator(**writer).migrate());
        QVERIFY((*writer)->exec(u"INSERT INTO accounts (email_address, created_at) VALUES "
                                u"('alice@company.example', '2027-01-01T00:00:00.000Z')"_s));
        int written = 0;
        auto writeTen = [&] {
            const trackwatch::core::Status s = (*writer)->transaction([&] {
                for (int i = 0; i < 10; ++i, ++written) {
                    if (auto r = (*writer)->exec(
                            u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                            u"sender, sent_at, created_at, updated_at) VALUES (1, ?, 'a@b', "
                            u"'2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', "
                            u"'2027-01-01T00:00:00.000Z')"_s,
                            {u"m%1@x"_s.arg(written)});
                        !r) {
                        return trackwatch::core::Status(r.error());
                    }
                }
                return trackwatch::core::Status();
            });
            return s.ok();
        };
        for (int i = 0; i < 50; ++i) {
            QVERIFY(writeTen());
        }
        QVERIFY(QProcess::execute(QStringLiteral(TRACKWATCHCTL_PATH),
                                  {u"--db"_s, live, u"flags"_s, u"set"_s, u"enableBatchWebhooks"_s,
                                   u"on"_s, u"--reason"_s, u"before the backup"_s}) == 0);
        QProcess p;
        p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                {u"--db"_s, live, u"backup"_s, copy, u"--json"_s});
        const int before = written;
        while (!p.waitForFinished(5)) {
            QVERIFY(writeTen()); // the engine goes on writing during the backup
        }
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject report = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(report.value(u"integrityCheck"_s).toString(), u"ok"_s);
        QVERIFY(writeTen());
        QCOMPARE(QFile::permissions(copy) & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());

        // A second backup to the same file is refused and leaves it alone.
        const QByteArray first = [&] {
            QFile f(copy);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        Run r = ctl({u"backup"_s, copy});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("exists"), r.err.constData());
        QFile again(copy);
        QVERIFY(again.open(QIODevice::ReadOnly));
        QCOMPARE(again.readAll(), first);

        // Restore: engines stopped, the copy put in place of the live file, and it is opened
        // as the engine opens its database.
        writer->reset();
        const QString restored = m_dir.filePath(u"restored.db"_s);
        QVERIFY(QFile::copy(copy, restored));
        auto restoredSpec = trackwatch::core::ConnectionSpec::parse(restored);
        auto db = trackwatch::core::Database::open(*restoredSpec);
        QVERIFY(db);
        QVERIFY(trackwatch::core::Migrator(**db).verifyCurrent());
        auto integrity = (*db)->exec(u"PRAGMA integrity_check"_s);
        QVERIFY(integrity && integrity->next());
        QCOMPARE(integrity->value(0).toString(), u"ok"_s);
        auto count = (*db)->exec(u"SELECT count(*) FROM tracked_emails"_s);
        QVERIFY(count && count->next());
        const int rows = count->value(0).toInt();
        QVERIFY2(rows >= before && rows < written, qPrintable(QString::number(rows)));
        QCOMPARE(rows % 10, 0); // whole transactions only: one consistent moment
        db->reset();
        QProcess list;
        list.start(QStringLiteral(TRACKWATCHCTL_PATH),
                   {u"--db"_s, restored, u"flags"_s, u"list"_s, u"--json"_s});
        QVERIFY(list.waitForFinished(30000));
        QCOMPARE(list.exitCode(), 0);
        bool batchWebhooks = false;
        for (const QJsonValue& v : QJsonDocument::fromJson(list.readAllStandardOutput()).array()) {
            if (v.toObject().value(u"name"_s) == u"enableBatchWebhooks"_s) {
                batchWebhooks = v.toObject().value(u"enabled"_s).toBool();
            }
        }
        QVERIFY(batchWebhooks);
    }

    // On PostgreSQL the backup is pg_dump's: the command is printed (no password) and the exit
    // code is 2, so that a script never takes the explanation for a backup.
    void backupOnPostgresPrintsTheCommand() {
        QProcess p;
        p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                {u"--db"_s, u"postgresql://tw:Secr3t@127.0.0.1:1/tracking"_s, u"backup"_s,
                 u"/tmp/tw.dump"_s});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray out = p.readAllStandardOutput();
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(out.contains("pg_dump") && out.contains("postgresql://tw@127.0.0.1:1/tracking"),
                 out.constData());
        QVERIFY(err.contains("pg_restore"));
        QVERIFY(!(out + err).contains("Secr3t"));
        QVERIFY(!QFile::exists(u"/tmp/tw.dump"_s));
    }

    void retentionShowAndRun() {
        const QString path = m_dir.filePath(u"retention.db"_s);
        auto spec = trackwatch::core::ConnectionSpec::parse(path);
        {
            auto db = trackwatch::core::Database::open(*spec);
            QVERIFY(db);
            QVERIFY(trackwatch::core::Migrator(**db).migrate());
            for (int i = 0; i < 3; ++i) {
                QVERIFY((*db)->exec(u"INSERT INTO inbound_messages (email_account_id, message_id, "
                                    u"seen_at) VALUES (1, ?, '2020-01-01T00:00:00.000Z')"_s,
                                    {u"old%1"_s.arg(i)}));
            }
            QVERIFY((*db)->exec(u"INSERT INTO inbound_messages (email_account_id, message_id) "
                                u"VALUES (1, 'new')"_s));
        }
        QFile config(m_dir.filePath(u"retention.json"_s));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(R"({"retention": {"inboundMessagesDays": 30, "batchRows": 2}})");
        config.close();
        auto run = [&](const QStringList& args) {
            QProcess p;
            p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                    QStringList{u"--db"_s, path, u"--config"_s, config.fileName()} + args);
            p.waitForFinished(30000);
            return Run{p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
        };
        auto inbound = [](const QByteArray& json) {
            for (const QJsonValue& v : QJsonDocument::fromJson(json).array()) {
                if (v.toObject().value(u"rule"_s) == u"inboundMessages"_s) {
                    return v.toObject();
                }
            }
            return QJsonObject();
        };
        Run r = run({u"retention"_s, u"show"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        QCOMPARE(inbound(r.out).value(u"rows"_s).toInt(), 3);
        QCOMPARE(inbound(r.out).value(u"keepDays"_s).toInt(), 30);
        r = run({u"retention"_s, u"show"_s});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("inboundMessages") && r.out.contains("30 days"), r.out.constData());
        r = run({u"retention"_s, u"run"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        QCOMPARE(inbound(r.out).value(u"rows"_s).toInt(), 3);
        r = run({u"retention"_s, u"show"_s, u"--json"_s});
        QCOMPARE(inbound(r.out).value(u"rows"_s).toInt(), 0);
        QCOMPARE(run({u"retention"_s, u"purge"_s}).code, 2);
        config.open(QIODevice::WriteOnly | QIODevice::Truncate);
        config.write(R"({"retention": {"inboundMessagesDays": -4}})");
        config.close();
        r = run({u"retention"_s, u"show"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("inboundMessagesDays"), r.err.constData());
    }

    void unreachableDatabaseIsExitOne() {
        QProcess p;
        p.start(QStringLiteral(TRACKWATCHCTL_PATH),
                {u"--db"_s, u"postgresql://u:hunter2@127.0.0.1:1/db"_s, u"flags"_s, u"list"_s});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError();
        QVERIFY(err.contains("127.0.0.1:1"));
        QVERIFY(!err.contains("hunter2"));
    }
};

QTEST_GUILESS_MAIN(TestTrackwatchctl)
#include "tst_trackwatchctl.moc"
