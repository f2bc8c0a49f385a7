// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

namespace trackwatch::core {

class Database;

// Tells the other engines on a database which accounts' tracked emails this engine changed, so
// they drop those accounts' cached query results: one multi-row insert into
// cache_invalidations per publish (and, on PostgreSQL, one NOTIFY trackwatch_cache in the same
// transaction); receivers read what is new since their last read, skipping their own. Lives on
// its Database's thread. Not thread-safe.
class CacheInvalidationChannel {
public:
    static constexpr int kKeepSecs = 600;   // rows older than this are pruned
    static constexpr int kOverlapSecs = 10; // recent rows read again (late commits)

    CacheInvalidationChannel(Database& db, const Clock& clock, QString engineId);

    // Starts reading after what is in the table now (older invalidations predate our cache).
    Status start();
    Status publish(const QSet<QString>& accounts);
    // Accounts other engines changed since the last call.
    Result<QStringList> receive();
    Result<qint64> prune();

private:
    Database& m_db;
    const Clock& m_clock;
    QString m_engineId;
    qint64 m_lastId = 0;
    QHash<qint64, QDateTime> m_seen; // recent ids already handled, when first seen
};

} // namespace trackwatch::core
