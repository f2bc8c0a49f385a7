// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"
#include "tracking/ingestion_engine.h"

#include <QString>
#include <QStringList>

#include <functional>

namespace trackwatch::core {

struct ImportStats {
    IngestionStats ingestion;
    qint64 messagesRead = 0; // messages found in the input, parsed or not
    qint64 skipped = 0;      // malformed messages and those that cannot be stored, not ingested
    qint64 files = 0;
    QStringList skipReasons;    // "file:offset: reason" or "message <id>: reason", the first 100
    qint64 warnings = 0;        // oddities read past (an mbox "From " line without a blank line)
    QStringList warningReasons; // "file: offset N: what", the first 100
};

struct ImportProgress {
    qint64 bytesDone = 0;
    qint64 bytesTotal = 0;
    qint64 messagesRead = 0;
    QString currentFile;
};

// Imports real mail into one account's mailbox: .eml files, directories of them (searched
// recursively; files that start with "From " are read as mbox), and mbox files. Messages from
// the account's address are its sent mail; the others are matched as replies, auto-replies or
// bounces. A malformed message, or one that storage refuses (see IngestionEngine::ingest), is
// skipped with a logged reason and counted; the rest of the file is imported. An mbox whose
// writer left out the blank line before a "From " line is split there, with a warning logged
// and counted. Ingests in chunks, so what was stored before an error stays stored.
// Lives on its IngestionEngine's thread. Not thread-safe.
class MailImporter {
public:
    using ProgressFn = std::function<void(const ImportProgress&)>;

    MailImporter(IngestionEngine& ingestion, QString accountAddress);

    // Progress is reported at most every `interval` messages.
    void setProgress(ProgressFn fn, int interval = 1000);

    // Asked when a chunk fails: true once the chunk may be ingested again (the caller waited
    // for a lost database to come back; ingestion is idempotent, so what the failed attempt
    // stored is not stored twice), false to fail the import with the error.
    using RetryFn = std::function<bool(const Error&)>;
    void setRetry(RetryFn fn) { m_retry = std::move(fn); }

    Result<ImportStats> importPath(const QString& path);

private:
    Status importFile(const QString& file, ImportStats& stats);
    Status flush(ImportStats& stats);
    void add(const QByteArray& raw, const QString& where, ImportStats& stats);
    void report(const ImportStats& stats, bool force);

    IngestionEngine& m_ingestion;
    QString m_account;
    ProgressFn m_progress;
    RetryFn m_retry;
    int m_interval = 1000;
    QList<Delivery> m_buffer;
    ImportProgress m_state;
    qint64 m_bytesBeforeFile = 0;
    qint64 m_lastReported = -1;
};

} // namespace trackwatch::core
