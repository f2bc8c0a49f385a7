// SPDX-License-Identifier: MIT
#include "storage/migrator.h"

#include "common/logging.h"
#include "storage/database.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QThread>

#include <algorithm>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// Any constant works; it only has to be the same in every Trackwatch engine.
constexpr qint64 kMigrationLockKey = 0x7472616b77617463; // "trakwatc"

} // namespace

Migrator::Migrator(Database& db)
    : m_db(db) {}

QList<Migration> Migrator::available() const {
    if (m_override) {
        return *m_override;
    }
    const QString dir =
        m_db.dialect() == Dialect::Sqlite ? u":/migrations/sqlite"_s : u":/migrations/postgresql"_s;
    static const QRegularExpression nameRe(u"^(\\d+)_([A-Za-z0-9_]+)\\.sql$"_s);
    QList<Migration> result;
    for (const QString& file : QDir(dir).entryList(QDir::Files, QDir::Name)) {
        const auto m = nameRe.match(file);
        if (!m.hasMatch()) {
            continue;
        }
        QFile f(dir + u'/' + file);
        if (!f.open(QIODevice::ReadOnly)) {
            continue;
        }
        result.append({m.captured(1).toInt(), m.captured(2), QString::fromUtf8(f.readAll())});
    }
    std::sort(result.begin(), result.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return result;
}

Status Migrator::ensureVersionTable() {
    const QString sql = m_db.dialect() == Dialect::Sqlite
                            ? u"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                              u"PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"_s
                            : u"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                              u"PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
                              u"DEFAULT now())"_s;
    return Status::from(m_db.exec(sql));
}

Result<int> Migrator::currentVersion() {
    if (const Status s = ensureVersionTable(); !s) {
        return s.error();
    }
    auto q = m_db.exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_migrations"_s);
    if (!q) {
        return q.error();
    }
    return q->next() ? q->value(0).toInt() : 0;
}

Result<int> Migrator::readVersion() {
    const QString exists =
        m_db.dialect() == Dialect::Sqlite
            ? u"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
              u"'schema_migrations'"_s
            : u"SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END"_s;
    auto q = m_db.exec(exists);
    if (!q) {
        return q.error();
    }
    if (!q->next() || q->value(0).toInt() == 0) {
        return 0;
    }
    auto v = m_db.exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_migrations"_s);
    if (!v) {
        return v.error();
    }
    return v->next() ? v->value(0).toInt() : 0;
}

namespace {

Error tooNew(int version, int newestKnown) {
    return Error{ErrorCode::SchemaTooNew,
                 u"the database schema is version %1 but this Trackwatch knows only up to %2; "
                 u"use a newer Trackwatch"_s.arg(version)
                     .arg(newestKnown)};
}

} // namespace

Status Migrator::verifyCurrent() {
    const QList<Migration> known = available();
    const int newestKnown = known.isEmpty() ? 0 : known.last().version;
    auto version = readVersion();
    if (!version) {
        return version.error();
    }
    if (*version > newestKnown) {
        return tooNew(*version, newestKnown);
    }
    if (*version < newestKnown) {
        return Status::failure(
            ErrorCode::Unavailable,
            u"the database schema is version %1 but this Trackwatch needs version %2, and this "
            u"command does not migrate: run trackwatchd or trackwatchctl migrate (as the role "
            u"that owns the tables) first"_s.arg(*version)
                .arg(newestKnown));
    }
    return {};
}

Result<std::unique_ptr<Database>> Migrator::openWithoutMigrating(const ConnectionSpec& spec) {
    if (spec.dialect == Dialect::Sqlite && !QFileInfo::exists(spec.path)) {
        return Error{ErrorCode::NotFound,
                     u"there is no Trackwatch database at %1 (trackwatchd or trackwatchctl "
                     u"migrate creates it)"_s.arg(spec.path)};
    }
    auto db = Database::open(spec);
    if (!db) {
        return db.error();
    }
    Migrator migrator(**db);
    if (const Status s = migrator.verifyCurrent(); !s) {
        return s.error();
    }
    return db;
}

QString Migrator::lockHolder() {
    const auto key = static_cast<quint64>(kMigrationLockKey);
    auto q = m_db.exec(
        u"SELECT l.pid, COALESCE(a.usename::text, ''), COALESCE(a.application_name, ''), "
        u"COALESCE(a.client_addr::text, 'local') FROM pg_locks l LEFT JOIN pg_stat_activity a "
        u"ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = "
        u"? AND l.objid::bigint = ? AND l.objsubid = 1 LIMIT 1"_s,
        {static_cast<qint64>(key >> 32), static_cast<qint64>(key & 0xffffffffU)});
    if (!q || !q->next()) {
        return u"its pid is not visible to this role"_s;
    }
    return u"pid %1, role %2, application '%3', from %4; SELECT * FROM pg_stat_activity WHERE "
           u"pid = %1 shows what it does"_s.arg(q->value(0).toString(), q->value(1).toString(),
                                                q->value(2).toString(), q->value(3).toString());
}

// pg_try_advisory_lock, retried with a growing pause up to the timeout: a session that holds
// the key (a stuck migration, or anyone allowed to call the function) must not freeze every
// engine and every trackwatchctl command without a word.
Status Migrator::lockMigrations() {
    QElapsedTimer waited;
    waited.start();
    qint64 pauseMs = 20;
    bool said = false;
    while (true) {
        auto r = m_db.exec(u"SELECT pg_try_advisory_lock(?)"_s,
                           {QVariant::fromValue(kMigrationLockKey)});
        if (!r) {
            return Status::failure(r.error().code,
                                   u"cannot take the migration lock: "_s + r.error().message);
        }
        if (r->next() && r->value(0).toBool()) {
            return {};
        }
        const qint64 left = m_lockTimeout.count() - waited.elapsed();
        if (left <= 0) {
            return Status::failure(
                ErrorCode::Unavailable,
                u"another process holds the migration lock (%1); gave up "
                u"after %2 s"_s.arg(lockHolder())
                    .arg(static_cast<double>(waited.elapsed()) / 1000.0, 0, 'f', 1));
        }
        if (!said && waited.elapsed() >= 1000) {
            logging::get("core.storage")->warn("waiting for the migration lock ({})", lockHolder());
            said = true;
        }
        QThread::msleep(static_cast<unsigned long>(std::min(pauseMs, left)));
        pauseMs = std::min<qint64>(pauseMs * 2, 500);
    }
}

Result<QList<int>> Migrator::migrate() {
    const QList<Migration> known = available();
    if (known.isEmpty()) {
        return Error{ErrorCode::Unavailable, u"no migrations are built into this Trackwatch"_s};
    }
    const int newestKnown = known.last().version;
    // Up to date already (the usual start): nothing to lock, nothing to create.
    if (auto version = readVersion(); version && *version >= newestKnown) {
        if (*version > newestKnown) {
            return tooNew(*version, newestKnown);
        }
        return QList<int>{};
    }
    if (m_db.dialect() == Dialect::PostgreSql) {
        if (const Status s = lockMigrations(); !s) {
            return s.error();
        }
    }
    const auto unlock = qScopeGuard([this] {
        if (m_db.dialect() == Dialect::PostgreSql) {
            (void)m_db.exec(u"SELECT pg_advisory_unlock(?)"_s,
                            {QVariant::fromValue(kMigrationLockKey)});
        }
    });
    if (const Status s = ensureVersionTable(); !s) {
        // Another engine may be creating it at this moment on SQLite; one retry settles it.
        if (const Status again = ensureVersionTable(); !again) {
            return again.error();
        }
    }
    return applyMissing(known);
}

Result<QList<int>> Migrator::applyMissing(const QList<Migration>& known) {
    auto log = logging::get("core.storage");
    const int newestKnown = known.last().version;
    QList<int> applied;
    for (const Migration& migration : known) {
        bool ran = false;
        const Status s = m_db.transaction([&]() -> Status {
            // Each read's statement ends before the migration runs: SQLite cannot drop a table
            // while a statement of the same connection is still open.
            auto version = readVersion();
            if (!version) {
                return version.error();
            }
            if (*version > newestKnown) {
                return tooNew(*version, newestKnown);
            }
            bool alreadyApplied = false;
            {
                auto done = m_db.exec(u"SELECT 1 FROM schema_migrations WHERE version = ?"_s,
                                      {migration.version});
                if (!done) {
                    return done.error();
                }
                alreadyApplied = done->next();
            }
            if (alreadyApplied) {
                return {};
            }
            for (const QString& statement : splitStatements(migration.sql)) {
                if (auto r = m_db.exec(statement); !r) {
                    return Status::failure(r.error().code,
                                           u"migration %1 (%2): %3"_s.arg(migration.version)
                                               .arg(migration.name, r.error().message));
                }
            }
            const QString record =
                m_db.dialect() == Dialect::Sqlite
                    ? u"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
                      u"strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"_s
                    : u"INSERT INTO schema_migrations (version, name) VALUES (?, ?)"_s;
            if (auto r = m_db.exec(record, {migration.version, migration.name}); !r) {
                return r.error();
            }
            ran = true;
            return {};
        });
        if (!s) {
            return s.error();
        }
        if (ran) {
            log->info("applied migration {} ({})", migration.version, migration.name);
            applied.append(migration.version);
        }
    }
    // A database migrated by a newer binary with no migration left for us to try.
    auto current = currentVersion();
    if (!current) {
        return current.error();
    }
    if (*current > newestKnown) {
        return tooNew(*current, newestKnown);
    }
    return applied;
}

QStringList Migrator::splitStatements(const QString& script) {
    QStringList statements;
    QString current;
    const qsizetype n = script.size();
    qsizetype i = 0;
    auto flush = [&] {
        const QString s = current.trimmed();
        if (!s.isEmpty()) {
            statements.append(s);
        }
        current.clear();
    };
    static const QRegularExpression dollarTag(u"\\G\\$([A-Za-z_][A-Za-z0-9_]*)?\\$"_s);
    while (i < n) {
        const QChar c = script[i];
        if (c == u'-' && i + 1 < n && script[i + 1] == u'-') {
            const qsizetype end = script.indexOf(u'\n', i);
            i = end < 0 ? n : end + 1;
            current += u'\n';
            continue;
        }
        if (c == u'/' && i + 1 < n && script[i + 1] == u'*') {
            const qsizetype end = script.indexOf(u"*/"_s, i + 2);
            i = end < 0 ? n : end + 2;
            current += u' ';
            continue;
        }
        if (c == u'\'' || c == u'"') {
            qsizetype j = i + 1;
            while (j < n) {
                if (script[j] == c) {
                    if (j + 1 < n && script[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            current += script.mid(i, j + 1 - i);
            i = j + 1;
            continue;
        }
        if (c == u'$') {
            const auto m = dollarTag.match(script, i);
            if (m.hasMatch() && m.capturedStart() == i) {
                const QString tag = m.captured(0);
                const qsizetype end = script.indexOf(tag, i + tag.size());
                const qsizetype stop = end < 0 ? n : end + tag.size();
                current += script.mid(i, stop - i);
                i = stop;
                continue;
            }
        }
        if (c == u';') {
            flush();
            ++i;
            continue;
        }
        current += c;
        ++i;
    }
    flush();
    return statements;
}

} // namespace trackwatch::core
