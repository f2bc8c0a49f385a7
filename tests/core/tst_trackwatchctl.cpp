// SPDX-License-Identifier: MIT
// trackwatchctl as a script would run it: exit codes, JSON, and what it leaves in the database.
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
