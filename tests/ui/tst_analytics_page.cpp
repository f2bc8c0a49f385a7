// SPDX-License-Identifier: MIT
#include <QTest>

class TstAnalyticsPage : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstAnalyticsPage)
#include "tst_analytics_page.moc"
