// SPDX-License-Identifier: MIT
#include <QTest>

class TstEmailSearch : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstEmailSearch)
#include "tst_email_search.moc"
