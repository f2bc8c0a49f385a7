// SPDX-License-Identifier: MIT
#include "storage/migrator.h"

#include "../support/test_databases.h"

#include <QDir>
#include <QSqlQuery>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestMigrations : public QObject {
    Q_OBJECT
private:
    static QStringList tables(Database& db) {
        const QString sql =
            db.dialect() == Dialect::Sqlite
                ? u"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"_s
                : u"SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"_s;
        QStringList names;
        auto q = db.exec(sql);
        while (q && q->next()) {
            names << q->value(0).toString();
        }
        return names;
    }

private slots:
    void appliesOnceAndRecordsVersion_data() { test::addDialectRows(); }
    void appliesOnceAndRecordsVersion() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        Migrator migrator(**db);
        const int newest = migrator.available().last().version;
        QCOMPARE(migrator.currentVersion().value(), 0);

        auto first = migrator.migrate();
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QCOMPARE(first->size(), migrator.available().size());
        QCOMPARE(migrator.currentVersion().value(), newest);
        const QStringList names = tables(**db);
        for (const QString& t : {u"accounts"_s, u"tracked_emails"_s, u"schema_migrations"_s,
                                 u"pending_replies"_s, u"inbound_messages"_s}) {
            QVERIFY2(names.contains(t), qPrintable(t));
        }

        auto second = migrator.migrate();
        QVERIFY(second.ok());
        QVERIFY(second->isEmpty());
        auto rows = (*db)->exec(u"SELECT count(*) FROM schema_migrations"_s);
        QVERIFY(rows.ok() && rows->next());
        QCOMPARE(rows->value(0).toInt(), migrator.available().size());
    }

    void refusesNewerSchema_data() { test::addDialectRows(); }
    void refusesNewerSchema() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        QVERIFY((*db)
                    .exec(u"INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                          u"(999, 'from_the_future', '2030-01-01T00:00:00.000Z')"_s)
                    .ok());
        Migrator migrator(*db);
        auto r = migrator.migrate();
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::SchemaTooNew);
        QVERIFY(r.error().message.contains(u"999"_s));
    }

    void failedMigrationLeavesNoTrace_data() { test::addDialectRows(); }
    void failedMigrationLeavesNoTrace() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = Database::open(tdb.spec());
        QVERIFY(db.ok());
        Migrator migrator(**db);
        migrator.setMigrations({
            {1, u"one"_s, u"CREATE TABLE t_one (id INTEGER PRIMARY KEY)"_s},
            {2, u"two"_s,
             u"CREATE TABLE t_two (id INTEGER); INSERT INTO no_such_table VALUES (1)"_s},
        });
        auto r = migrator.migrate();
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.contains(u"migration 2"_s));
        QCOMPARE(migrator.currentVersion().value(), 1);
        const QStringList names = tables(**db);
        QVERIFY(names.contains(u"t_one"_s));
        QVERIFY(!names.contains(u"t_two"_s)); // rolled back with its migration
    }

    void splitsStatements_data() {
        QTest::addColumn<QString>("script");
        QTest::addColumn<int>("count");
        QTest::newRow("plain") << u"SELECT 1; SELECT 2;"_s << 2;
        QTest::newRow("semicolon in string") << u"SELECT 'a;b'; SELECT 2"_s << 2;
        QTest::newRow("doubled quote") << u"SELECT 'it''s;'; SELECT 2"_s << 2;
        QTest::newRow("line comment") << u"-- a; b\nSELECT 1;"_s << 1;
        QTest::newRow("block comment") << u"/* x; y */ SELECT 1; SELECT 2"_s << 2;
        QTest::newRow("dollar quote")
            << u"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; "
               u"SELECT 1"_s
            << 2;
        QTest::newRow("tagged dollar quote") << u"SELECT $x$ ; $y$ ; $x$; SELECT 2"_s << 2;
        QTest::newRow("empty statements") << u";;  ; SELECT 1 ;"_s << 1;
    }
    void splitsStatements() {
        QFETCH(QString, script);
        QFETCH(int, count);
        QCOMPARE(Migrator::splitStatements(script).size(), count);
    }

    void embeddedMigrationsAreComplete() {
        // Both dialects know the same versions, numbered from 1 without gaps.
        const QStringList sqlite = QDir(u":/migrations/sqlite"_s).entryList(QDir::Files);
        const QStringList postgres = QDir(u":/migrations/postgresql"_s).entryList(QDir::Files);
        QVERIFY(!sqlite.isEmpty());
        QCOMPARE(sqlite, postgres);
        for (qsizetype i = 0; i < sqlite.size(); ++i) {
            QCOMPARE(sqlite[i].section(u'_', 0, 0).toInt(), i + 1);
        }
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
