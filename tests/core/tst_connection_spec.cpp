// SPDX-License-Identifier: MIT
#include "storage/connection_spec.h"
#include "storage/database.h"

#include <QTemporaryDir>
#include <QTest>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(trackwatch::core::Dialect)

class TestConnectionSpec : public QObject {
    Q_OBJECT
private slots:
    void parsesValidStrings_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<Dialect>("dialect");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");

        QTest::newRow("url") << u"postgresql://tw:secret@127.0.0.1:5433/tracking"_s
                             << Dialect::PostgreSql << u"127.0.0.1"_s << 5433 << u"tracking"_s
                             << u"tw"_s << u"secret"_s;
        QTest::newRow("postgres scheme, default port")
            << u"postgres://tw@localhost/db"_s << Dialect::PostgreSql << u"localhost"_s << 5432
            << u"db"_s << u"tw"_s << QString();
        QTest::newRow("percent-encoded password")
            << u"postgresql://tw:p%40ss%3Aw%2Frd@localhost/db"_s << Dialect::PostgreSql
            << u"localhost"_s << 5432 << u"db"_s << u"tw"_s << u"p@ss:w/rd"_s;
        QTest::newRow("keywords") << u"host=127.0.0.1 port=5434 dbname=x user=u password=pw"_s
                                  << Dialect::PostgreSql << u"127.0.0.1"_s << 5434 << u"x"_s
                                  << u"u"_s << u"pw"_s;
        QTest::newRow("keywords, quoted value")
            << u"host=localhost dbname='my db' user=u password='it\\'s'"_s << Dialect::PostgreSql
            << u"localhost"_s << 5432 << u"my db"_s << u"u"_s << u"it's"_s;
        QTest::newRow("keywords, spaces around =")
            << u"host = localhost  dbname = d user= u"_s << Dialect::PostgreSql << u"localhost"_s
            << 5432 << u"d"_s << u"u"_s << QString();
        QTest::newRow("url with sslmode")
            << u"postgresql://u@h:1/d?sslmode=disable"_s << Dialect::PostgreSql << u"h"_s << 1
            << u"d"_s << u"u"_s << QString();
    }

    void parsesValidStrings() {
        QFETCH(QString, text);
        QFETCH(Dialect, dialect);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, database);
        QFETCH(QString, user);
        QFETCH(QString, password);
        const auto spec = ConnectionSpec::parse(text);
        QVERIFY2(spec.ok(), spec.ok() ? "" : qPrintable(spec.error().message));
        QCOMPARE(spec->dialect, dialect);
        QCOMPARE(spec->host, host);
        QCOMPARE(spec->port, port);
        QCOMPARE(spec->database, database);
        QCOMPARE(spec->user, user);
        QCOMPARE(spec->password, password);
        QVERIFY(password.isEmpty() || !spec->redacted().contains(password));
    }

    void sqlitePaths() {
        QTemporaryDir dir;
        const QString file = dir.filePath(u"a.db"_s);
        for (const QString& text : {file, u"sqlite:"_s + file, u"sqlite://"_s + file}) {
            const auto spec = ConnectionSpec::parse(text);
            QVERIFY(spec.ok());
            QCOMPARE(spec->dialect, Dialect::Sqlite);
            QCOMPARE(spec->path, file);
        }
        // A colon further in, or a name that merely begins with "postgres", is still a path.
        for (const QString& name :
             {u"a:b.db"_s, u"x:y/z.db"_s, u"postgres.db"_s, u"postgresql-backup.db"_s}) {
            const QString inside = dir.filePath(name);
            for (const QString& text : {inside, u"sqlite:"_s + inside}) {
                const auto spec = ConnectionSpec::parse(text);
                QVERIFY2(spec.ok(), qPrintable(text));
                QCOMPARE(spec->dialect, Dialect::Sqlite);
                QCOMPARE(spec->path, inside);
            }
        }
        for (const QString& text : {u"./a:b.db"_s, u"postgres.db"_s, u"a:b.db"_s}) {
            const auto spec = ConnectionSpec::parse(text);
            QVERIFY2(spec.ok(), qPrintable(text));
            QCOMPARE(spec->dialect, Dialect::Sqlite);
        }
        const auto relative = ConnectionSpec::parse(u"relative/x.db"_s);
        QVERIFY(relative.ok());
        QVERIFY(QFileInfo(relative->path).isAbsolute());
        QVERIFY(ConnectionSpec::defaultSqlitePath().endsWith(u"trackwatch.db"_s));
    }

    void refusesMalformed_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << u"  "_s << u"empty"_s;
        QTest::newRow("unknown scheme") << u"mysql://u:hunter2@h/d"_s << u"mysql"_s;
        QTest::newRow("bad port") << u"postgresql://u:hunter2@h:99999/d"_s << u"port"_s;
        QTest::newRow("non-numeric port") << u"postgresql://u:hunter2@h:abc/d"_s << u"port"_s;
        QTest::newRow("password where the port goes") << u"postgresql://tw:hunter2"_s << u"URL"_s;
        QTest::newRow("slash in password") << u"postgresql://tw:hun/ter2@h/d"_s << u"URL"_s;
        QTest::newRow("hash in password") << u"postgresql://tw:hunter2#x@h/d"_s << u"URL"_s;
        QTest::newRow("option smuggling a password")
            << u"postgresql://u@h/d?sslmode=disable%20password%3Dhunter2"_s << u"sslmode"_s;
        QTest::newRow("bad sslmode")
            << u"host=h dbname=d user=u sslmode=sometimes"_s << u"sslmode"_s;
        QTest::newRow("bad connect_timeout")
            << u"host=h dbname=d user=u connect_timeout=soon"_s << u"connect_timeout"_s;
        QTest::newRow("no database") << u"postgresql://u:hunter2@h:5432"_s << u"database"_s;
        QTest::newRow("no user") << u"postgresql://h/d"_s << u"user"_s;
        QTest::newRow("unknown url parameter")
            << u"postgresql://u:hunter2@h/d?colour=red"_s << u"colour"_s;
        QTest::newRow("unknown keyword")
            << u"host=h dbnam=d user=u password=hunter2"_s << u"dbnam"_s;
        QTest::newRow("unterminated quote")
            << u"host=h dbname=d user=u password='hunter2"_s << u"unterminated"_s;
        QTest::newRow("keyword without value") << u"host=h dbname"_s << u"key=value"_s;
        QTest::newRow("unescaped @ in password") << u"postgresql://u:hun@ter2@h/d"_s << u"URL"_s;
        // A mistyped PostgreSQL URL is refused, not taken as a SQLite file named after it.
        QTest::newRow("postgresql:/ (one slash)")
            << u"postgresql:/user:hunter2@host/db"_s << u"PostgreSQL"_s;
        QTest::newRow("postgresql// (no colon)")
            << u"postgresql//user:hunter2@host/db"_s << u"PostgreSQL"_s;
        QTest::newRow("postgres:x") << u"postgres:x"_s << u"PostgreSQL"_s;
        QTest::newRow("postgres: password") << u"postgres:hunter2"_s << u"PostgreSQL"_s;
        QTest::newRow("POSTGRESQL:/") << u"POSTGRESQL:/u:hunter2@h/d"_s << u"PostgreSQL"_s;
        QTest::newRow("postgresql@") << u"postgresql@u:hunter2@h/d"_s << u"PostgreSQL"_s;
        QTest::newRow("postgres alone") << u"postgres"_s << u"PostgreSQL"_s;
        QTest::newRow("postgresql:\\") << u"postgresql:\\u:hunter2@h/d"_s << u"PostgreSQL"_s;
        QTest::newRow("other scheme, no slashes") << u"http:u:hunter2@h"_s << u"http"_s;
        QTest::newRow("mysql") << u"mysql://u:hunter2@h/d"_s << u"'mysql:'"_s;
        QTest::newRow("file: without //") << u"file:hunter2.db"_s << u"file"_s;
        QTest::newRow("user:password@host") << u"user:hunter2@h/d"_s << u"scheme"_s;
        QTest::newRow("memory") << u":memory:"_s << u"memory"_s;
        QTest::newRow("directory") << QDir::tempPath() << u"directory"_s;
    }

    void refusesMalformed() {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        const auto spec = ConnectionSpec::parse(text);
        QVERIFY(!spec.ok());
        QCOMPARE(spec.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(spec.error().message.contains(mentions, Qt::CaseInsensitive),
                 qPrintable(spec.error().message));
        QVERIFY2(!spec.error().message.contains(u"hunter2"_s), qPrintable(spec.error().message));
        QVERIFY(!spec.error().message.contains(u"ter2"_s));
    }

    void redactedHidesPassword() {
        const auto spec = ConnectionSpec::parse(u"postgresql://tw:hunter2@127.0.0.1:5432/db"_s);
        QVERIFY(spec.ok());
        QCOMPARE(spec->redacted(), u"postgresql://tw@127.0.0.1:5432/db"_s);
    }

    // Found by fuzz_connection_spec: redacted() filled its placeholders one .arg() at a time,
    // so a "%2" in the user name took the port, and the rest shifted.
    void redactedKeepsPercentSignsInNames() {
        const auto spec =
            ConnectionSpec::parse(u"host=db.example port=5433 dbname=tw%4 user=%2Fops%3"_s);
        QVERIFY(spec.ok());
        QCOMPARE(spec->user, u"%2Fops%3"_s);
        QCOMPARE(spec->redacted(), u"postgresql://%2Fops%3@db.example:5433/tw%4"_s);
    }

    void unreachableServerErrorHidesPassword() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        const auto spec = ConnectionSpec::parse(u"postgresql://tw:hunter2@127.0.0.1:1/db"_s);
        QVERIFY(spec.ok());
        const auto db = Database::open(*spec);
        QVERIFY(!db.ok());
        QCOMPARE(db.error().code, ErrorCode::Unavailable);
        QVERIFY(db.error().message.contains(u"127.0.0.1:1"_s));
        QVERIFY(!db.error().message.contains(u"hunter2"_s));
    }

    void sqliteFileIsCreatedWithItsDirectory() {
        QTemporaryDir dir;
        const auto spec = ConnectionSpec::parse(dir.filePath(u"nested/deeper/t.db"_s));
        QVERIFY(spec.ok());
        auto db = Database::open(*spec);
        QVERIFY2(db.ok(), db.ok() ? "" : qPrintable(db.error().message));
        QVERIFY((*db)->ping());
        QVERIFY(QFileInfo::exists(dir.filePath(u"nested/deeper/t.db"_s)));
    }
};

QTEST_GUILESS_MAIN(TestConnectionSpec)
#include "tst_connection_spec.moc"
