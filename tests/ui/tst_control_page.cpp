// SPDX-License-Identifier: MIT
#include <QTest>

class TstControlPage : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstControlPage)
#include "tst_control_page.moc"
