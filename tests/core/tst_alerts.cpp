// SPDX-License-Identifier: MIT
#include <QTest>

class TstAlerts : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstAlerts)
#include "tst_alerts.moc"
