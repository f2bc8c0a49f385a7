// SPDX-License-Identifier: MIT
// Values reach SQL as quoted literals (see Database::exec): what must never go wrong with that.
#include "storage/database.h"

#include "../support/test_databases.h"

#include <QTest>
#include <QUuid>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestDatabase : public QObject {
    Q_OBJECT
private slots:
    void valuesRoundTrip_data() { test::addDialectRows(); }
    void valuesRoundTrip() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        const QString nasty = u"it's \"quoted\" \\ back'slash; -- not a comment ? {a,b} NULL ü"_s;
        auto q = (*db)->exec(
            u"SELECT ?, ?, ?, ? , 5 -?"_s,
            {nasty, qint64(-42), 2.5, QVariant(QMetaType(QMetaType::QString)), qint64(-3)});
        QVERIFY2(q.ok(), q.ok() ? "" : qPrintable(q.error().message));
        QVERIFY(q->next());
        QCOMPARE(q->value(0).toString(), nasty);
        QCOMPARE(q->value(1).toLongLong(), -42);
        QCOMPARE(q->value(2).toDouble(), 2.5);
        QVERIFY(q->value(3).isNull());
        QCOMPARE(q->value(4).toLongLong(), 8); // 5 - (-3), not "5 --3" (a comment)
        // A '?' inside a quoted literal is text, not a placeholder.
        auto literal = (*db)->exec(u"SELECT 'why?', ?"_s, {u"x"_s});
        QVERIFY(literal.ok() && literal->next());
        QCOMPARE(literal->value(0).toString(), u"why?"_s);
    }

    void placeholderCountMustMatch() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        for (const QVariantList& values : {QVariantList{1}, QVariantList{1, 2, 3}}) {
            auto r = (*db)->exec(u"SELECT ?, ?"_s, values);
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        }
    }

    void unsupportedTypesAreRefused() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        for (const QVariant& v : {QVariant(QUuid::createUuid()), QVariant(QByteArray("ab"))}) {
            auto r = (*db)->exec(u"SELECT ?"_s, {v});
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        }
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
