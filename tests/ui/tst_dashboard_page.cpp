// SPDX-License-Identifier: MIT
#include <QTest>

class TstDashboardPage : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstDashboardPage)
#include "tst_dashboard_page.moc"
