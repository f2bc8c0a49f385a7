// SPDX-License-Identifier: MIT
// Two engines as separate trackwatchd processes on one PostgreSQL: a flag changed through the
// control plane reaches both (LISTEN/NOTIFY), each within a second.
#include "control/control_plane.h"

#include "../support/test_databases.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

// Reads the process's output until `needle` appears or `ms` pass; returns whether it appeared.
bool waitForOutput(QProcess& p, QByteArray& seen, const QByteArray& needle, int ms) {
    QElapsedTimer timer;
    timer.start();
    while (!seen.contains(needle)) {
        const qint64 left = ms - timer.elapsed();
        if (left <= 0 || !p.waitForReadyRead(static_cast<int>(left))) {
            seen += p.readAll();
            return seen.contains(needle);
        }
        seen += p.readAll();
    }
    return true;
}

} // namespace

class TestPgPropagation : public QObject {
    Q_OBJECT
private slots:
    void flagReachesTwoEngineProcesses() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        QVERIFY(tdb.openMigrated());
        const ConnectionSpec& s = tdb.spec();
        const QString dsn = u"postgresql://%1:%2@%3:%4/%5"_s.arg(s.user, s.password, s.host)
                                .arg(s.port)
                                .arg(s.database);
        QProcess engines[2];
        QByteArray output[2];
        for (int i = 0; i < 2; ++i) {
            engines[i].setProcessChannelMode(QProcess::MergedChannels);
            engines[i].start(
                QStringLiteral(TRACKWATCHD_PATH),
                {u"--db"_s, dsn, u"--simulate"_s, u"3600"_s, u"--log-level"_s, u"info"_s});
            QVERIFY(engines[i].waitForStarted(10000));
            QVERIFY2(waitForOutput(engines[i], output[i], "engine ready", 20000),
                     output[i].constData());
        }
        auto db = tdb.openMigrated();
        SystemClock clock;
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        QElapsedTimer sinceChange;
        QVERIFY(control.setFlag(Flag::EnableBatchIngestion, true, u"propagation test"_s).ok());
        sinceChange.start();
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(waitForOutput(engines[i], output[i],
                                   "ingestion switches to the batch path (override)", 10000),
                     output[i].constData());
        }
        qInfo("both engines switched %lld ms after the change", sinceChange.elapsed());
        for (QProcess& p : engines) {
            p.terminate();
            QVERIFY(p.waitForFinished(10000));
        }
    }
};

QTEST_GUILESS_MAIN(TestPgPropagation)
#include "tst_pg_propagation.moc"
