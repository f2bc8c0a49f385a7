// SPDX-License-Identifier: MIT
#include <QTest>

class TstSearchPage : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstSearchPage)
#include "tst_search_page.moc"
