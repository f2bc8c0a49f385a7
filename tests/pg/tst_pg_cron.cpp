// SPDX-License-Identifier: MIT
// Who refreshes tracked_emails_hourly_metrics: pg_cron where the extension is installed (the
// test role's own database, set up by packaging/setup-test-postgres.sh), the engine elsewhere.
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestPgCron : public QObject {
    Q_OBJECT
private slots:
    void sqliteAndPlainPostgresUseTheEngine_data() { test::addDialectRows(); }
    void sqliteAndPlainPostgresUseTheEngine() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        TrackedEmailRepository repo(*db);
        QCOMPARE(repo.scheduleAnalyticsRefresh().value(), u"engine"_s);
    }

    void pgCronSchedulesTheRefreshEveryTenMinutes() {
        auto spec = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(spec.ok());
        auto opened = Database::open(*spec);
        if (!opened) {
            TW_DATABASE_UNAVAILABLE(opened.error().message);
        }
        Database& db = **opened;
        auto has = db.exec(u"SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'"_s);
        QVERIFY(has.ok());
        if (!has->next()) {
            const char* why = "pg_cron is not installed in the test database "
                              "(packaging/setup-test-postgres.sh installs it)";
            if (test::runningInCi()) {
                QFAIL(why);
            }
            QSKIP(why);
        }
        Migrator migrator(db);
        auto migrated = migrator.migrate();
        QVERIFY2(migrated.ok(), migrated.ok() ? "" : qPrintable(migrated.error().message));
        TrackedEmailRepository repo(db);
        QCOMPARE(repo.scheduleAnalyticsRefresh().value(), u"pg_cron"_s);
        QCOMPARE(repo.scheduleAnalyticsRefresh().value(), u"pg_cron"_s); // idempotent
        auto job = db.exec(u"SELECT schedule, command, count(*) OVER () FROM cron.job "
                           u"WHERE jobname = 'refresh-analytics-views'"_s);
        QVERIFY(job.ok() && job->next());
        QCOMPARE(job->value(0).toString(), u"*/10 * * * *"_s);
        QCOMPARE(job->value(1).toString(), u"SELECT refresh_analytics_views();"_s);
        QCOMPARE(job->value(2).toInt(), 1);
        // The job's command works in this database.
        QVERIFY(db.exec(u"SELECT refresh_analytics_views()"_s).ok());
    }
};

QTEST_GUILESS_MAIN(TestPgCron)
#include "tst_pg_cron.moc"
