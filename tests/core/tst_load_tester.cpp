// SPDX-License-Identifier: MIT
#include <QTest>

class TstLoadTester : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstLoadTester)
#include "tst_load_tester.moc"
