// SPDX-License-Identifier: MIT
#include <QTest>

class TstPgSupportRole : public QObject {
    Q_OBJECT
private slots:
    void placeholder() { QVERIFY(true); }
};

QTEST_MAIN(TstPgSupportRole)
#include "tst_pg_support_role.moc"
