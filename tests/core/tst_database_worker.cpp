// SPDX-License-Identifier: MIT
#include <QTest>

class TstDatabaseWorker : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstDatabaseWorker)
#include "tst_database_worker.moc"
