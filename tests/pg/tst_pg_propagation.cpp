// SPDX-License-Identifier: MIT
// Two engines as separate trackwatchd processes on one PostgreSQL: a flag changed through the
// control plane reaches both (LISTEN/NOTIFY), each within a second.
#include "control/control_plane.h"
#include "engine/engine_registry.h"

#include "../support/test_databases.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

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

std::pair<int, QJsonObject> get(const QString& url) {
    QNetworkAccessManager http;
    QNetworkReply* reply = http.get(QNetworkRequest(QUrl(url)));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    delete reply;
    return {status, body};
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
            engines[i].start(QStringLiteral(TRACKWATCHD_PATH),
                             {u"--db"_s, dsn, u"--simulate"_s, u"3600"_s, u"--log-level"_s,
                              u"info"_s, u"--api-port"_s, u"0"_s});
            QVERIFY(engines[i].waitForStarted(10000));
            QVERIFY2(waitForOutput(engines[i], output[i], "engine ready", 20000),
                     output[i].constData());
            QVERIFY2(waitForOutput(engines[i], output[i], "HTTP API on http://127.0.0.1:", 20000),
                     output[i].constData());
        }
        auto db = tdb.openMigrated();
        SystemClock clock;
        ControlPlane control(*db, clock, QProcessEnvironment(), u"oncall"_s);
        EngineRegistry registry(*db, clock);
        QElapsedTimer sinceChange;
        QVERIFY(control.setFlag(Flag::EnableBatchIngestion, true, u"propagation test"_s).ok());
        sinceChange.start();
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(
                waitForOutput(engines[i], output[i],
                              "on: useOptimizedQueries, useMaterializedViews, enableQueryCaching, "
                              "enableRateLimitCaching, enableBatchIngestion",
                              10000),
                output[i].constData());
        }
        qInfo("both engines switched %lld ms after the change", sinceChange.elapsed());

        // The seed's rollback: both engines rebuild on the new flags, acknowledge the version
        // and report their health on it; the roll-forward is acknowledged the same way.
        auto rolledBack = control.rollback(u"propagation test: error rate"_s);
        QVERIFY(rolledBack);
        sinceChange.restart();
        auto fleet = registry.awaitVersion(rolledBack->controlVersion, std::chrono::seconds(10));
        QVERIFY(fleet);
        QCOMPARE(fleet->size(), 2);
        for (const EngineInstance& e : *fleet) {
            QVERIFY2(e.controlVersion >= rolledBack->controlVersion,
                     qPrintable(u"engine %1 did not acknowledge"_s.arg(e.id)));
            QCOMPARE(e.health.state, u"degraded"_s);
            QVERIFY2(e.health.reasons.join(u' ').contains(u"rolled back"_s),
                     qPrintable(e.health.reasons.join(u' ')));
        }
        qInfo("both engines acknowledged the rollback %lld ms after it", sinceChange.elapsed());
        // Each engine's own health check over HTTP says the same (200: degraded is not down).
        for (int i = 0; i < 2; ++i) {
            const QRegularExpressionMatch port =
                QRegularExpression(u"HTTP API on http://127.0.0.1:(\\d+)"_s)
                    .match(QString::fromUtf8(output[i]));
            QVERIFY(port.hasMatch());
            const auto [status, body] =
                get(u"http://127.0.0.1:%1/api/health/performance"_s.arg(port.captured(1)));
            QCOMPARE(status, 200);
            QCOMPARE(body.value(u"status"_s).toString(), u"degraded"_s);
            QVERIFY(body.value(u"controlVersion"_s).toInteger() >= rolledBack->controlVersion);
        }
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(waitForOutput(engines[i], output[i], "optimizations rolled back", 10000),
                     output[i].constData());
        }
        auto forward = control.rollForward(u"propagation test: fixed"_s);
        QVERIFY(forward);
        fleet = registry.awaitVersion(forward->controlVersion, std::chrono::seconds(10));
        QVERIFY(fleet);
        for (const EngineInstance& e : *fleet) {
            QVERIFY(e.controlVersion >= forward->controlVersion);
            QCOMPARE(e.health.state, u"healthy"_s);
        }
        QCOMPARE(control.flag(Flag::EnableBatchIngestion).value().enabled, true);
        for (QProcess& p : engines) {
            p.terminate();
            QVERIFY(p.waitForFinished(10000));
        }
    }
};

QTEST_GUILESS_MAIN(TestPgPropagation)
#include "tst_pg_propagation.moc"
