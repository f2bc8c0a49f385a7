// SPDX-License-Identifier: MIT
#include <QTest>

class Placeholder : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_GUILESS_MAIN(Placeholder)
#include "tst_metrics.moc"
