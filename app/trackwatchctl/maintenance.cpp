// SPDX-License-Identifier: MIT
// trackwatchctl migrate, retention show|run and backup: the database's upkeep.
#include "maintenance.h"

#include "output.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace trackwatch::ctl {

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

Result<std::unique_ptr<Database>> openMigrated(const ConnectionSpec& spec, QList<int>* applied) {
    auto db = Database::open(spec);
    if (!db) {
        return db.error();
    }
    Migrator migrator(**db);
    auto r = migrator.migrate();
    if (!r) {
        return r.error();
    }
    if (applied) {
        *applied = *r;
    }
    return db;
}

void printCounts(const QList<RetentionCount>& counts, const QString& rowsHeader, bool json) {
    if (json) {
        QJsonArray array;
        for (const RetentionCount& c : counts) {
            array.append(QJsonObject{{u"rule"_s, c.rule},
                                     {u"table"_s, c.table},
                                     {u"keepDays"_s, c.days},
                                     {u"cutoff"_s, c.days > 0 ? timeText(c.cutoff) : QString()},
                                     {u"rows"_s, c.rows}});
        }
        printJson(array);
        return;
    }
    QList<QStringList> rows;
    for (const RetentionCount& c : counts) {
        rows << QStringList{c.rule, c.table, c.days > 0 ? u"%1 days"_s.arg(c.days) : u"forever"_s,
                            c.days > 0 ? timeText(c.cutoff) : u"-"_s, QString::number(c.rows)};
    }
    printTable({u"RULE"_s, u"TABLE"_s, u"KEEP"_s, u"OLDER THAN"_s, rowsHeader}, rows);
}

int backupSqlite(const ConnectionSpec& spec, const QString& target, bool json) {
    const QString file = QFileInfo(target).absoluteFilePath();
    if (QFileInfo::exists(file) || QFileInfo(file).isSymLink()) {
        return fail(kUsage, u"backup: %1 exists; a backup never overwrites a file (remove it or "
                            u"choose another name)"_s.arg(file));
    }
    if (!QFileInfo(QFileInfo(file).absolutePath()).isDir()) {
        return fail(kUsage,
                    u"backup: the folder %1 does not exist"_s.arg(QFileInfo(file).absolutePath()));
    }
    if (!QFileInfo::exists(spec.path)) {
        return fail(kFailed, u"backup: there is no database at %1"_s.arg(spec.path));
    }
    auto db = Database::open(spec);
    if (!db) {
        return fail(kFailed, db.error().message);
    }
    // One consistent snapshot while engines go on writing: VACUUM INTO reads inside one read
    // transaction, and WAL lets the writers continue meanwhile.
    if (auto r = (*db)->exec(u"VACUUM INTO ?"_s, {file}); !r) {
        QFile::remove(file);
        return fail(kFailed, u"backup: "_s + r.error().message);
    }
    QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner);
    ConnectionSpec copy = spec;
    copy.path = file;
    auto check = Database::open(copy);
    if (!check) {
        return fail(kFailed, u"backup: cannot open the copy: "_s + check.error().message);
    }
    auto q = (*check)->exec(u"PRAGMA integrity_check"_s);
    const QString integrity = q && q->next() ? q->value(0).toString() : u"not checked"_s;
    auto version = (*check)->exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_migrations"_s);
    const int schema = version && version->next() ? version->value(0).toInt() : 0;
    check->reset();
    const qint64 bytes = QFileInfo(file).size();
    if (json) {
        printJson(QJsonObject{{u"file"_s, file},
                              {u"bytes"_s, bytes},
                              {u"schemaVersion"_s, schema},
                              {u"integrityCheck"_s, integrity}});
    } else {
        std::printf("backed up %s to %s (%lld bytes, schema version %d, integrity_check %s)\n",
                    qPrintable(spec.path), qPrintable(file), static_cast<long long>(bytes), schema,
                    qPrintable(integrity));
    }
    return integrity == u"ok" ? kOk : fail(kFailed, u"backup: the copy fails integrity_check"_s);
}

// PostgreSQL is backed up by its own tools; say exactly what to run. Exit 2: a script must not
// take the explanation for a backup.
int backupPostgres(const ConnectionSpec& spec, const QString& target) {
    const QString dsn = spec.redacted();
    std::printf("pg_dump --format=custom --no-owner --file '%s' '%s'\n", qPrintable(target),
                qPrintable(dsn));
    std::fprintf(stderr,
                 "trackwatchctl: backup: trackwatchctl backs up SQLite files only. On "
                 "PostgreSQL run the pg_dump command above (the password from PGPASSWORD or "
                 "~/.pgpass); restore with: pg_restore --clean --if-exists --no-owner --dbname "
                 "'%s' '%s' with the engines stopped. Nothing was written.\n",
                 qPrintable(dsn), qPrintable(target));
    return kUsage;
}

} // namespace

int migrateCommand(const ConnectionSpec& spec, bool json) {
    QList<int> applied;
    auto db = openMigrated(spec, &applied);
    if (!db) {
        return failWith(db.error());
    }
    Migrator migrator(**db);
    auto version = migrator.currentVersion();
    if (!version) {
        return failWith(version.error());
    }
    if (json) {
        QJsonArray list;
        for (int v : applied) {
            list.append(v);
        }
        printJson(QJsonObject{{u"applied"_s, list}, {u"schemaVersion"_s, *version}});
    } else if (applied.isEmpty()) {
        std::printf("the schema is at version %d: nothing to do\n", *version);
    } else {
        std::printf("applied %lld migration(s); the schema is at version %d\n",
                    static_cast<long long>(applied.size()), *version);
    }
    return kOk;
}

int retentionCommand(const ConnectionSpec& spec, const QStringList& args,
                     const RetentionPolicy& policy, bool json) {
    const QString verb = args.value(0);
    if (args.size() != 1 || (verb != u"show" && verb != u"run")) {
        return fail(kUsage, u"usage: retention show | retention run"_s);
    }
    SystemClock clock;
    if (verb == u"show") {
        auto db = Migrator::openWithoutMigrating(spec);
        if (!db) {
            return failWith(db.error());
        }
        Retention retention(**db, clock, policy);
        auto due = retention.due();
        if (!due) {
            return failWith(due.error());
        }
        printCounts(*due, u"DUE NOW"_s, json);
        return kOk;
    }
    auto db = openMigrated(spec, nullptr);
    if (!db) {
        return failWith(db.error());
    }
    Retention retention(**db, clock, policy);
    auto removed = retention.purgeAll();
    if (!removed) {
        return failWith(removed.error());
    }
    printCounts(*removed, u"REMOVED"_s, json);
    return kOk;
}

int backupCommand(const ConnectionSpec& spec, const QStringList& args, bool json) {
    if (args.size() != 1 || args.first().isEmpty()) {
        return fail(kUsage, u"usage: backup FILE"_s);
    }
    return spec.dialect == Dialect::Sqlite ? backupSqlite(spec, args.first(), json)
                                           : backupPostgres(spec, args.first());
}

} // namespace trackwatch::ctl
