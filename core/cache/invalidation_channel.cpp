// SPDX-License-Identifier: MIT
#include "cache/invalidation_channel.h"

#include "storage/database.h"
#include "storage/tracked_email_repository.h"

namespace trackwatch::core {

using namespace Qt::StringLiterals;

CacheInvalidationChannel::CacheInvalidationChannel(Database& db, const Clock& clock,
                                                   QString engineId)
    : m_db(db)
    , m_clock(clock)
    , m_engineId(std::move(engineId)) {}

Status CacheInvalidationChannel::start() {
    auto q = m_db.exec(u"SELECT COALESCE(MAX(id), 0) FROM cache_invalidations"_s);
    if (!q) {
        return q.error();
    }
    m_lastId = q->next() ? q->value(0).toLongLong() : 0;
    return {};
}

Status CacheInvalidationChannel::publish(const QSet<QString>& accounts) {
    if (accounts.isEmpty()) {
        return {};
    }
    QString sql = u"INSERT INTO cache_invalidations (account, engine_id, at) VALUES "_s;
    QVariantList values;
    const QString now = TrackedEmailRepository::timeValue(m_clock.now());
    for (const QString& account : accounts) {
        sql += values.isEmpty() ? u"(?, ?, ?)"_s : u", (?, ?, ?)"_s;
        values << account << m_engineId << now;
    }
    if (m_db.dialect() != Dialect::PostgreSql) {
        return Status::from(m_db.exec(sql, values));
    }
    return m_db.transaction([&]() -> Status {
        if (auto r = m_db.exec(sql, values); !r) {
            return r.error();
        }
        return Status::from(m_db.exec(u"NOTIFY trackwatch_cache"_s));
    });
}

Result<QStringList> CacheInvalidationChannel::receive() {
    // Ids are handed out at insert and become visible at commit, so a row can appear below the
    // last id read: the recent rows are read again (kOverlapSecs) and the ids already seen are
    // skipped.
    const QDateTime now = m_clock.now();
    auto q = m_db.exec(u"SELECT id, account, engine_id FROM cache_invalidations WHERE id > ? OR "
                       u"at >= ? ORDER BY id"_s,
                       {m_lastId, TrackedEmailRepository::timeValue(now.addSecs(-kOverlapSecs))});
    if (!q) {
        return q.error();
    }
    QSet<QString> accounts;
    while (q->next()) {
        const qint64 id = q->value(0).toLongLong();
        if (m_seen.contains(id)) {
            continue;
        }
        m_seen.insert(id, now);
        m_lastId = std::max(m_lastId, id);
        if (q->value(2).toString() != m_engineId) {
            accounts.insert(q->value(1).toString());
        }
    }
    for (auto it = m_seen.begin(); it != m_seen.end();) {
        it = it.value().secsTo(now) > 2 * kOverlapSecs ? m_seen.erase(it) : std::next(it);
    }
    return QStringList(accounts.begin(), accounts.end());
}

Result<qint64> CacheInvalidationChannel::prune() {
    auto q = m_db.exec(u"DELETE FROM cache_invalidations WHERE at < ?"_s,
                       {TrackedEmailRepository::timeValue(m_clock.now().addSecs(-kKeepSecs))});
    if (!q) {
        return q.error();
    }
    return static_cast<qint64>(q->numRowsAffected());
}

} // namespace trackwatch::core
