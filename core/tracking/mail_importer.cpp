// SPDX-License-Identifier: MIT
#include "tracking/mail_importer.h"

#include "common/logging.h"
#include "tracking/mail_parser.h"
#include "tracking/mbox_reader.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr int kMaxReasons = 100;

// Messages parsed before they are handed to ingestion in one call.
constexpr qsizetype kChunk = 2000;

} // namespace

MailImporter::MailImporter(IngestionEngine& ingestion, QString accountAddress)
    : m_ingestion(ingestion)
    , m_account(accountAddress.trimmed().toLower()) {}

void MailImporter::setProgress(ProgressFn fn, int interval) {
    m_progress = std::move(fn);
    m_interval = std::max(1, interval);
}

Result<ImportStats> MailImporter::importPath(const QString& path) {
    ImportStats stats;
    if (!m_account.contains(u'@')) {
        return Error{ErrorCode::InvalidArgument,
                     u"the account must be an email address, got '%1'"_s.arg(m_account)};
    }
    const QFileInfo info(path);
    if (!info.exists()) {
        return Error{ErrorCode::NotFound, u"%1: no such file or directory"_s.arg(path)};
    }
    QStringList files;
    if (info.isDir()) {
        QDirIterator it(path, QDir::Files | QDir::Readable, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            files << it.next();
        }
        files.sort();
    } else {
        files << info.absoluteFilePath();
    }
    m_state = {};
    for (const QString& f : files) {
        m_state.bytesTotal += QFileInfo(f).size();
    }
    m_bytesBeforeFile = 0;
    for (const QString& f : files) {
        if (const Status s = importFile(f, stats); !s) {
            return s.error();
        }
        m_bytesBeforeFile += QFileInfo(f).size();
    }
    if (const Status s = flush(stats); !s) {
        return s.error();
    }
    m_state.bytesDone = m_state.bytesTotal;
    report(stats, true);
    return stats;
}

Status MailImporter::importFile(const QString& file, ImportStats& stats) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        return Status::failure(ErrorCode::Unavailable,
                               u"%1: cannot open: %2"_s.arg(file, f.errorString()));
    }
    ++stats.files;
    m_state.currentFile = file;
    const QByteArray head = f.peek(5);
    if (MboxReader::looksLikeMbox(head)) {
        MboxReader reader(&f);
        QByteArray raw;
        qint64 start = 0;
        while (reader.next(&raw)) {
            add(raw, u"%1:%2"_s.arg(file).arg(start), stats);
            start = reader.position();
            m_state.bytesDone = m_bytesBeforeFile + reader.position();
            if (m_buffer.size() >= kChunk) {
                if (const Status s = flush(stats); !s) {
                    return s;
                }
            }
            report(stats, false);
        }
        for (const QString& warning : reader.warnings()) {
            const QString reason = u"%1: %2"_s.arg(file, warning);
            logging::get("core.import")->warn("{}", reason);
            ++stats.warnings;
            if (stats.warningReasons.size() < kMaxReasons) {
                stats.warningReasons << reason;
            }
        }
    } else {
        add(f.readAll(), file, stats);
        if (m_buffer.size() >= kChunk) {
            if (const Status s = flush(stats); !s) {
                return s;
            }
        }
        m_state.bytesDone = m_bytesBeforeFile + f.size();
        report(stats, false);
    }
    return {};
}

void MailImporter::add(const QByteArray& raw, const QString& where, ImportStats& stats) {
    ++stats.messagesRead;
    ++m_state.messagesRead;
    auto parsed = MailParser::parse(raw);
    if (!parsed) {
        ++stats.skipped;
        const QString reason = u"%1: %2"_s.arg(where, parsed.error().message);
        logging::get("core.import")->warn("skipped a message: {}", reason);
        if (stats.skipReasons.size() < kMaxReasons) {
            stats.skipReasons << reason;
        }
        return;
    }
    m_buffer.append({m_account, std::move(parsed).value()});
}

Status MailImporter::flush(ImportStats& stats) {
    if (m_buffer.isEmpty()) {
        return {};
    }
    IngestionStats done;
    auto r = m_ingestion.ingest(m_buffer, &done);
    while (!r && m_retry && m_retry(r.error())) {
        done = {};
        r = m_ingestion.ingest(m_buffer, &done);
    }
    m_buffer.clear();
    stats.ingestion += done;
    // Messages that storage refused are skipped messages too, as the parser's are.
    stats.skipped += done.skipped;
    for (const QString& reason : std::as_const(done.skipReasons)) {
        if (stats.skipReasons.size() < kMaxReasons) {
            stats.skipReasons << reason;
        }
    }
    if (!r) {
        return r.error();
    }
    return {};
}

void MailImporter::report(const ImportStats& stats, bool force) {
    if (!m_progress) {
        return;
    }
    if (!force && stats.messagesRead - m_lastReported < m_interval) {
        return;
    }
    m_lastReported = stats.messagesRead;
    m_progress(m_state);
}

} // namespace trackwatch::core
