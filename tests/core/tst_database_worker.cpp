// SPDX-License-Identifier: MIT
#include "storage/database_worker.h"
#include "../support/test_databases.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestDatabaseWorker : public QObject {
    Q_OBJECT
private slots:
    // A job runs on the worker's thread and its result arrives on the receiver's, in order.
    void runsJobsOffTheCallersThreadInOrder() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        DatabaseWorker worker(tdb.spec());
        QObject receiver;
        QList<int> order;
        QThread* jobThread = nullptr;
        QThread* doneThread = nullptr;
        for (int i = 0; i < 5; ++i) {
            worker.run<int>(
                &receiver,
                [i, &jobThread](Database& db) -> Result<int> {
                    jobThread = QThread::currentThread();
                    auto q = db.exec(u"SELECT ?"_s, {i * 10});
                    if (!q) {
                        return q.error();
                    }
                    q->next();
                    return q->value(0).toInt();
                },
                [&](Result<int> r) {
                    doneThread = QThread::currentThread();
                    order.append(r.ok() ? r.value() : -1);
                });
        }
        QTRY_COMPARE(order.size(), 5);
        QCOMPARE(order, (QList<int>{0, 10, 20, 30, 40}));
        QVERIFY(jobThread != nullptr && jobThread != QThread::currentThread());
        QCOMPARE(doneThread, QThread::currentThread());
    }

    // A database that cannot open gives the job's caller the error, and says it is down.
    void anUnopenableDatabaseReportsTheError() {
        ConnectionSpec spec;
        spec.dialect = Dialect::Sqlite;
        spec.path = u"/proc/trackwatch-no-such-dir/x.db"_s;
        DatabaseWorker worker(spec);
        QSignalSpy changed(&worker, &DatabaseWorker::connectionChanged);
        QObject receiver;
        bool ran = false;
        std::optional<Status> result;
        worker.run(
            &receiver,
            [&ran](Database&) {
                ran = true;
                return Status();
            },
            [&](Status s) { result = s; });
        QTRY_VERIFY(result.has_value());
        QVERIFY(!result->ok());
        QCOMPARE(result->error().code, ErrorCode::Unavailable);
        QVERIFY(!ran);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.first().at(0).toBool(), false);
        QVERIFY(!changed.first().at(1).toString().isEmpty());
    }

    // A result for a receiver that is gone is dropped, not delivered to a dangling object.
    void aDestroyedReceiverGetsNothing() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        DatabaseWorker worker(tdb.spec());
        bool delivered = false;
        auto receiver = std::make_unique<QObject>();
        worker.run<int>(
            receiver.get(), [](Database&) -> Result<int> { return 1; },
            [&](Result<int>) { delivered = true; });
        receiver.reset();
        // A second job with a live receiver: when its result is here, the first one's would be.
        QObject alive;
        bool second = false;
        worker.run<int>(
            &alive, [](Database&) -> Result<int> { return 2; },
            [&](Result<int>) { second = true; });
        QTRY_VERIFY(second);
        QCoreApplication::processEvents();
        QVERIFY(!delivered);
    }

    // PostgreSQL drops the connection (the server ends the backend): the failing job reports
    // it, the worker says it is down, and the next job reconnects and says it is up.
    void reconnectsAfterTheServerDropsTheConnection() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        DatabaseWorker worker(tdb.spec());
        QSignalSpy changed(&worker, &DatabaseWorker::connectionChanged);
        QObject receiver;
        auto pidJob = [](Database& db) -> Result<qint64> {
            auto q = db.exec(u"SELECT pg_backend_pid()"_s);
            if (!q) {
                return q.error();
            }
            q->next();
            return q->value(0).toLongLong();
        };
        std::optional<Result<qint64>> first;
        worker.run<qint64>(&receiver, pidJob, [&](Result<qint64> r) { first = std::move(r); });
        QTRY_VERIFY(first.has_value());
        QVERIFY(first->ok());
        QCOMPARE(changed.size(), 1);
        QVERIFY(changed.last().at(0).toBool());

        auto admin = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(admin.ok());
        auto adminDb = Database::open(*admin);
        QVERIFY(adminDb.ok());
        QVERIFY((*adminDb)->exec(u"SELECT pg_terminate_backend(?)"_s, {first->value()}).ok());

        std::optional<Result<qint64>> failed;
        worker.run<qint64>(&receiver, pidJob, [&](Result<qint64> r) { failed = std::move(r); });
        QTRY_VERIFY(failed.has_value());
        QVERIFY(!failed->ok());
        QTRY_COMPARE(changed.size(), 2);
        QVERIFY(!changed.last().at(0).toBool());

        std::optional<Result<qint64>> again;
        worker.run<qint64>(&receiver, pidJob, [&](Result<qint64> r) { again = std::move(r); });
        QTRY_VERIFY(again.has_value());
        QVERIFY(again->ok());
        QVERIFY(again->value() != first->value());
        QCOMPARE(changed.size(), 3);
        QVERIFY(changed.last().at(0).toBool());
    }
};

QTEST_MAIN(TestDatabaseWorker)
#include "tst_database_worker.moc"
