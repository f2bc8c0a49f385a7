// SPDX-License-Identifier: MIT
#include <QTest>

class TstMetricHistory : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstMetricHistory)
#include "tst_metric_history.moc"
