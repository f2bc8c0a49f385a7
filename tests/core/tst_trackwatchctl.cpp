// SPDX-License-Identifier: MIT
// trackwatchctl as a script would run it: exit codes, JSON, and what it leaves in the database.
#include "api/api_server.h"
#include "cache/query_cache.h"
#include "storage/database.h"
#include "storage/migrator.h"

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
