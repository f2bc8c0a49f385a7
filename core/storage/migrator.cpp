// SPDX-License-Identifier: MIT
#include "storage/migrator.h"

#include "common/logging.h"
#include "storage/database.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

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

Result<QList<int>> Migrator::migrate() {
    auto log = logging::get("core.storage");
    const QList<Migration> known = available();
    if (known.isEmpty()) {
        return Error{ErrorCode::Unavailable, u"no migrations are built into this Trackwatch"_s};
    }
    const int newestKnown = known.last().version;
    if (const Status s = ensureVersionTable(); !s) {
        // Another engine may be creating it at this moment on PostgreSQL; one retry settles it.
        if (const Status again = ensureVersionTable(); !again) {
            return again.error();
        }
    }

    QList<int> applied;
    for (const Migration& migration : known) {
        bool ran = false;
        const Status s = m_db.transaction([&]() -> Status {
            if (m_db.dialect() == Dialect::PostgreSql) {
                if (auto r = m_db.exec(u"SELECT pg_advisory_xact_lock(?)"_s,
                                       {QVariant::fromValue(kMigrationLockKey)});
                    !r) {
                    return r.error();
                }
            }
            auto current = m_db.exec(u"SELECT COALESCE(MAX(version), 0) FROM schema_migrations"_s);
            if (!current) {
                return current.error();
            }
            const int version = current->next() ? current->value(0).toInt() : 0;
            if (version > newestKnown) {
                return Status::failure(
                    ErrorCode::SchemaTooNew,
                    u"the database schema is version %1 but this Trackwatch knows only up to %2; "
                    u"use a newer Trackwatch"_s.arg(version)
                        .arg(newestKnown));
            }
            auto done = m_db.exec(u"SELECT 1 FROM schema_migrations WHERE version = ?"_s,
                                  {migration.version});
            if (!done) {
                return done.error();
            }
            if (done->next()) {
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
        return Error{ErrorCode::SchemaTooNew,
                     u"the database schema is version %1 but this Trackwatch knows only up to %2; "
                     u"use a newer Trackwatch"_s.arg(*current)
                         .arg(newestKnown)};
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
