// SPDX-License-Identifier: MIT
#include "storage/migrator.h"

#include "../support/test_databases.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
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

    // Defect 6: a session holding the migration lock (any role allowed to take it) used to
    // freeze every migrator in pg_advisory_xact_lock forever. Now it waits its timeout, then
    // fails naming the holder; once the lock is free it migrates and lets the lock go.
    void aHeldLockTimesOutWithTheHolder() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto holder = Database::open(tdb.spec());
        QVERIFY(holder);
        auto locked = (*holder)->exec(u"SELECT pg_advisory_lock(8390876169936925795), "
                                      u"pg_backend_pid()"_s);
        QVERIFY(locked && locked->next());
        const QString pid = locked->value(1).toString();

        auto db = Database::open(tdb.spec());
        QVERIFY(db);
        Migrator migrator(**db);
        migrator.setLockTimeout(std::chrono::milliseconds(1500));
        QElapsedTimer timer;
        timer.start();
        auto blocked = migrator.migrate();
        const qint64 waited = timer.elapsed();
        QVERIFY(!blocked);
        QVERIFY2(blocked.error().message.contains(u"another process holds the migration lock"_s),
                 qPrintable(blocked.error().message));
        QVERIFY2(blocked.error().message.contains(u"pid "_s + pid),
                 qPrintable(blocked.error().message));
        QVERIFY2(waited >= 1400 && waited < 20000, qPrintable(QString::number(waited)));
        QCOMPARE(test::scalar(**db, u"SELECT count(*) FROM pg_tables WHERE tablename = "
                                    u"'tracked_emails'"_s),
                 0);

        QVERIFY((*holder)->exec(u"SELECT pg_advisory_unlock(8390876169936925795)"_s));
        auto applied = migrator.migrate();
        QVERIFY2(applied, qPrintable(applied ? QString() : applied.error().message));
        QCOMPARE(applied->size(), migrator.available().size());
        // The migrator let it go: another session takes it at once.
        auto again = (*holder)->exec(u"SELECT pg_try_advisory_lock(8390876169936925795)"_s);
        QVERIFY(again && again->next());
        QVERIFY(again->value(0).toBool());
    }

    // Read-only opening: nothing created, an older schema refused with what to run.
    void verifyCurrentCreatesNothing_data() { test::addDialectRows(); }
    void verifyCurrentCreatesNothing() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = Database::open(tdb.spec());
        QVERIFY(db);
        Migrator migrator(**db);
        const Status empty = migrator.verifyCurrent();
        QVERIFY(!empty);
        QVERIFY2(empty.error().message.contains(u"trackwatchctl migrate"_s),
                 qPrintable(empty.error().message));
        QVERIFY(!tables(**db).contains(u"schema_migrations"_s));
        QVERIFY(migrator.migrate());
        QVERIFY(migrator.verifyCurrent());
        auto opened = Migrator::openWithoutMigrating(tdb.spec());
        QVERIFY(opened);
        if (dialect == Dialect::Sqlite) {
            ConnectionSpec missing = tdb.spec();
            missing.path += u".missing"_s;
            auto none = Migrator::openWithoutMigrating(missing);
            QVERIFY(!none);
            QVERIFY(!QFile::exists(missing.path));
        }
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
        const auto version = migrator.currentVersion();
        QVERIFY2(version.ok(), version ? "" : qPrintable(version.error().message));
        QCOMPARE(*version, 1);
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
