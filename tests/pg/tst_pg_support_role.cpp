// SPDX-License-Identifier: MIT
// Support staff's read-only PostgreSQL role (packaging/support-role.sql): connected as a login
// in trackwatch_readonly, every table reads, the search and analytics work, and every change to
// the control plane fails with a DatabaseError that says permission was denied, leaving the
// database exactly as it was. Tables created after the script ran (a later migration) read too.
// The support role takes no advisory lock and no temporary table, and runs trackwatchctl's
// listing commands (which never migrate). Needs the roles packaging/setup-test-postgres.sh
// creates.
#include "control/control_plane.h"
#include "storage/migrator.h"
#include "tracking/email_query_service.h"
#include "tracking/email_search.h"

#include "../support/test_databases.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTest>

#include <tuple>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QString kScript = QStringLiteral(TRACKWATCH_TEST_DATA "/../../packaging/support-role.sql");
const QString kSupportUser = u"trackwatch_support"_s;
const QString kSupportPassword = u"trackwatch_support"_s;

// The control plane's tables: each must refuse every kind of write.
const QStringList kControlTables = {u"feature_flag_overrides"_s, u"rollout_percentages"_s,
                                    u"control_audit"_s,          u"control_version"_s,
                                    u"circuit_breakers"_s,       u"breaker_transitions"_s,
                                    u"control_rollbacks"_s,      u"control_rollback_flags"_s,
                                    u"engine_breakers"_s,        u"engine_instances"_s};

Status applyScript(Database& db) {
    QFile file(kScript);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::failure(ErrorCode::NotFound, u"cannot read "_s + kScript);
    }
    for (const QString& statement : Migrator::splitStatements(QString::fromUtf8(file.readAll()))) {
        if (auto r = db.exec(statement); !r) {
            return r.error();
        }
    }
    return {};
}

// Every table's row count and the control version: what "nothing changed" compares.
QStringList snapshot(Database& db) {
    QStringList out;
    auto tables = db.exec(u"SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                          u"ORDER BY tablename"_s);
    QStringList names;
    while (tables && tables->next()) {
        names << tables->value(0).toString();
    }
    for (const QString& t : names) {
        out << t + u'=' + QString::number(test::scalar(db, u"SELECT count(*) FROM "_s + t));
    }
    out << u"version="_s +
               QString::number(test::scalar(db, u"SELECT version FROM control_version"_s));
    return out;
}

bool denied(const Status& s) {
    return !s.ok() && s.error().code == ErrorCode::DatabaseError &&
           s.error().message.contains(u"permission denied"_s);
}

} // namespace

class TestPgSupportRole : public QObject {
    Q_OBJECT
private slots:
    void readsEverythingAndChangesNothing() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto owner = tdb.openMigrated();
        QVERIFY(owner);
        if (test::scalar(*owner, u"SELECT count(*) FROM pg_roles WHERE rolname IN "
                                 u"('trackwatch_readonly', 'trackwatch_support')"_s) != 2) {
            TW_DATABASE_UNAVAILABLE(
                u"the roles trackwatch_readonly and trackwatch_support are missing: run "
                u"packaging/setup-test-postgres.sh"_s);
        }
        // Some mail and some control-plane state, set by the engine's role.
        QVERIFY(owner->exec(u"INSERT INTO accounts (email_address) VALUES "
                            u"('alice@company.example')"_s));
        QVERIFY(owner->exec(u"INSERT INTO tracked_emails (email_account_id, "
                            u"internet_message_id, subject, sender, recipients, sent_at) SELECT "
                            u"1, 'm' || g || '@company.example', 'Order ' || g, "
                            u"'alice@company.example', 'bob@client.example', TIMESTAMPTZ "
                            u"'2026-11-02 09:00+00' + g * INTERVAL '1 minute' FROM "
                            u"generate_series(1, 30) g"_s));
        QVERIFY(owner->exec(u"SELECT refresh_analytics_views()"_s));
        SystemClock clock;
        ControlPlane ownerControl(*owner, clock);
        QVERIFY(ownerControl.setFlag(Flag::UseMaterializedViews, true, u"baseline"_s));

        // The script, twice (it is idempotent), as the tables' owner would run it.
        const Status applied = applyScript(*owner);
        QVERIFY2(applied, qPrintable(applied ? QString() : applied.error().message));
        const Status again = applyScript(*owner);
        QVERIFY2(again, qPrintable(again ? QString() : again.error().message));
        // A table a later migration creates is covered by the default privileges.
        QVERIFY(owner->exec(u"CREATE TABLE later_migration (id BIGSERIAL PRIMARY KEY, note "
                            u"TEXT)"_s));
        QVERIFY(owner->exec(u"INSERT INTO later_migration (note) VALUES ('kept')"_s));
        const QStringList before = snapshot(*owner);

        ConnectionSpec spec = tdb.spec();
        spec.user = kSupportUser;
        spec.password = kSupportPassword;
        auto opened = Database::open(spec);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
        Database& support = **opened;
        QCOMPARE(test::scalar(support, u"SELECT count(*) FROM pg_roles WHERE rolname = "
                                       u"current_user AND NOT rolsuper"_s),
                 1);

        // Every table reads, the materialized view too.
        auto tables = owner->exec(u"SELECT tablename FROM pg_tables WHERE schemaname = "
                                  u"'public' ORDER BY tablename"_s);
        QVERIFY(tables);
        int readable = 0;
        while (tables->next()) {
            const QString table = tables->value(0).toString();
            auto r = support.exec(u"SELECT count(*) FROM "_s + table);
            QVERIFY2(r, qPrintable(table + u": "_s + (r ? QString() : r.error().message)));
            ++readable;
        }
        QVERIFY(readable >= 20);
        QCOMPARE(test::scalar(support, u"SELECT count(*) FROM later_migration"_s), 1);
        QCOMPARE(test::scalar(support, u"SELECT sum(emails_sent) FROM "
                                       u"tracked_emails_hourly_metrics WHERE email_account_id "
                                       u"= 0"_s),
                 30);

        // What support staff use works.
        EmailSearch search(support);
        EmailSearchFilter filter;
        filter.recipient = u"bob@"_s;
        auto page = search.page(filter, std::nullopt, 20);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QCOMPARE(page->rows.size(), 20);
        QVERIFY(page->next);
        auto detail = search.detail(page->rows.first().id);
        QVERIFY(detail);
        auto analytics =
            EmailQueryService(support, nullptr, {})
                .analytics({QString(), QDateTime(QDate(2026, 11, 2), QTime(0, 0), Qt::UTC),
                            QDateTime(QDate(2026, 11, 3), QTime(0, 0), Qt::UTC)});
        QVERIFY(analytics);
        QCOMPARE(analytics->path, u"materialized"_s);
        ControlPlane supportControl(support, clock);
        QVERIFY(supportControl.flags());
        QVERIFY(supportControl.breakers());
        QVERIFY(supportControl.audit());

        // Every control action fails, saying why.
        const Status setFlag =
            supportControl.setFlag(Flag::UseOptimizedQueries, false, u"support must not"_s);
        QVERIFY2(denied(setFlag), qPrintable(setFlag ? u"allowed"_s : setFlag.error().message));
        const Status clearFlag =
            supportControl.clearFlag(Flag::UseMaterializedViews, u"support must not"_s);
        QVERIFY(denied(clearFlag));
        const Status trip =
            supportControl.tripBreaker(u"optimizedQueries"_s, u"support must not"_s);
        QVERIFY2(denied(trip), qPrintable(trip ? u"allowed"_s : trip.error().message));
        QVERIFY(denied(supportControl.resetBreaker(u"optimizedQueries"_s, u"no"_s)));
        QVERIFY(denied(supportControl.setRollout(u"caching"_s, 5, u"support must not"_s)));
        auto rollback = supportControl.rollback(u"support must not"_s);
        QVERIFY(!rollback);
        QCOMPARE(rollback.error().code, ErrorCode::DatabaseError);

        // And so does every write by hand, on the control plane and elsewhere.
        for (const QString& table : kControlTables) {
            for (const QString& sql :
                 {u"DELETE FROM %1"_s, u"UPDATE %1 SET %2 = %2"_s, u"TRUNCATE %1"_s}) {
                auto column = owner->exec(u"SELECT column_name FROM information_schema.columns "
                                          u"WHERE table_name = ? ORDER BY ordinal_position"_s,
                                          {table});
                QVERIFY(column && column->next());
                const QString statement = sql.contains(u"%2"_s)
                                              ? sql.arg(table, column->value(0).toString())
                                              : sql.arg(table);
                QVERIFY2(denied(Status::from(support.exec(statement))), qPrintable(statement));
            }
        }
        QVERIFY(denied(Status::from(support.exec(
            u"INSERT INTO feature_flag_overrides (flag, enabled, updated_at, updated_by) "
            u"VALUES ('useOptimizedQueries', FALSE, now(), 'support')"_s))));
        QVERIFY(denied(Status::from(support.exec(u"UPDATE tracked_emails SET subject = ''"_s))));
        QVERIFY(denied(Status::from(support.exec(u"DELETE FROM later_migration"_s))));
        QVERIFY(denied(Status::from(support.exec(u"SELECT nextval('control_audit_id_seq')"_s))));
        QVERIFY(!support.exec(u"CREATE TABLE mine (id INTEGER)"_s));
        // No temporary tables either (TEMP is taken from PUBLIC; the writer keeps it).
        QVERIFY(denied(Status::from(support.exec(u"CREATE TEMP TABLE mine (id INTEGER)"_s))));
        QVERIFY(owner->exec(u"CREATE TEMP TABLE writer_scratch (id INTEGER)"_s));
        QVERIFY(!support.exec(u"SELECT refresh_analytics_views()"_s)); // owner only

        QCOMPARE(snapshot(*owner), before);
        auto flag = ownerControl.flag(Flag::UseMaterializedViews);
        QVERIFY(flag);
        QCOMPARE(flag->source, FlagSource::Override);
        QVERIFY(flag->enabled);
    }

    // Defect 6: the support role must not hold the key the migrator waits on. The shared
    // test database had the script applied by a superuser (setup-test-postgres.sh), which is
    // what takes the advisory-lock functions from PUBLIC; the writer keeps them.
    void supportRoleCannotTakeAdvisoryLocks() {
        auto admin = ConnectionSpec::parse(test::pgAdminDsn());
        QVERIFY(admin);
        auto writer = Database::open(*admin);
        if (!writer) {
            TW_DATABASE_UNAVAILABLE(writer.error().message);
        }
        ConnectionSpec spec = *admin;
        spec.user = kSupportUser;
        spec.password = kSupportPassword;
        auto support = Database::open(spec);
        if (!support) {
            TW_DATABASE_UNAVAILABLE(u"no support login: run packaging/setup-test-postgres.sh: "_s +
                                    support.error().message);
        }
        for (const QString& call : {u"pg_advisory_lock(8390876169936925795)"_s,
                                    u"pg_try_advisory_lock(8390876169936925795)"_s,
                                    u"pg_advisory_lock_shared(8390876169936925795)"_s,
                                    u"pg_try_advisory_lock_shared(8390876169936925795)"_s,
                                    u"pg_advisory_lock(1, 2)"_s, u"pg_try_advisory_lock(1, 2)"_s}) {
            const Status s = Status::from((*support)->exec(u"SELECT "_s + call));
            QVERIFY2(denied(s),
                     qPrintable(call + u": "_s + (s ? u"allowed"_s : s.error().message)));
        }
        const Status xact = (*support)->transaction([&]() -> Status {
            return Status::from(
                (*support)->exec(u"SELECT pg_advisory_xact_lock(8390876169936925795)"_s));
        });
        QVERIFY(denied(xact));
        // The writer still can (and so can the rate limiter's function, which runs as it).
        auto taken = (*writer)->exec(u"SELECT pg_try_advisory_lock(8390876169936925795)"_s);
        QVERIFY2(taken, qPrintable(taken ? QString() : taken.error().message));
        QVERIFY(taken->next() && taken->value(0).toBool());
        QVERIFY((*writer)->exec(u"SELECT pg_advisory_unlock(8390876169936925795)"_s));
    }

    // Defect 6: listing commands do not migrate, so support staff can run them; a change is
    // refused at once, not after a wait.
    void supportRoleRunsTheListingCommands() {
        TW_TEST_DATABASE(tdb, Dialect::PostgreSql);
        auto owner = tdb.openMigrated();
        QVERIFY(owner);
        if (test::scalar(*owner, u"SELECT count(*) FROM pg_roles WHERE rolname = "
                                 u"'trackwatch_support'"_s) != 1) {
            TW_DATABASE_UNAVAILABLE(u"no trackwatch_support role: run "
                                    u"packaging/setup-test-postgres.sh"_s);
        }
        const Status applied = applyScript(*owner);
        QVERIFY2(applied, qPrintable(applied ? QString() : applied.error().message));
        SystemClock clock;
        QVERIFY(
            ControlPlane(*owner, clock).setFlag(Flag::EnableBatchWebhooks, true, u"baseline"_s));
        const ConnectionSpec& s = tdb.spec();
        const QString dsn =
            u"postgresql://%1:%2@%3:%4/%5"_s.arg(kSupportUser, kSupportPassword, s.host)
                .arg(s.port)
                .arg(s.database);
        auto run = [&](const QStringList& args) {
            QProcess p;
            p.start(QStringLiteral(TRACKWATCHCTL_PATH), QStringList{u"--db"_s, dsn} + args);
            p.waitForFinished(60000);
            return std::tuple{p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
        };
        for (const QStringList& args :
             {QStringList{u"flags"_s, u"list"_s}, QStringList{u"rollout"_s, u"list"_s},
              QStringList{u"rollout"_s, u"check"_s, u"acct"_s},
              QStringList{u"breakers"_s, u"list"_s}, QStringList{u"engines"_s},
              QStringList{u"audit"_s}, QStringList{u"retention"_s, u"show"_s}}) {
            const auto [code, out, err] = run(args);
            QVERIFY2(code == 0, qPrintable(args.join(u' ') + u": "_s + QString::fromUtf8(err)));
            QVERIFY(!out.isEmpty());
        }
        const auto [code, out, err] = run({u"flags"_s, u"list"_s, u"--json"_s});
        QCOMPARE(code, 0);
        QVERIFY2(out.contains("\"enableBatchWebhooks\""), out.constData());
        QElapsedTimer timer;
        timer.start();
        const auto [setCode, setOut, setErr] = run({u"flags"_s, u"set"_s, u"enableBatchWebhooks"_s,
                                                    u"off"_s, u"--reason"_s, u"support"_s});
        QCOMPARE(setCode, 1);
        QVERIFY2(setErr.contains("permission denied"), setErr.constData());
        QVERIFY(timer.elapsed() < 20000);
        QVERIFY(ControlPlane(*owner, clock).flag(Flag::EnableBatchWebhooks)->enabled);
    }
};

QTEST_GUILESS_MAIN(TestPgSupportRole)
#include "tst_pg_support_role.moc"
