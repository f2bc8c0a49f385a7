// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "storage/tracked_email_repository.h"
#include "tracking/mail_message.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <algorithm>

namespace trackwatch::core {

class Database;

struct IngestionOptions {
    bool batch = false;    // the seed's enableBatchIngestion: batches vs row at a time
    int batchSize = 100;   // messages per transaction on the batch path
    int trackingDays = 30; // an email still without an answer after this many days expires
    // A delivery that fails on its own is skipped and counted (see ingest()); false returns
    // the error instead, for a caller that retries and dead-letters deliveries itself.
    bool skipBadMessages = true;
};

// What one ingest call did. Every delivery is counted in exactly one of stored, duplicates,
// repliesMatched, repliesPending, repliesUnmatched, autoReplies, bouncesMatched,
// bouncesPending, skipped.
struct IngestionStats {
    qint64 read = 0;             // deliveries given
    qint64 stored = 0;           // new tracked emails
    qint64 duplicates = 0;       // sent or inbound mail ingested before
    qint64 repliesMatched = 0;   // human replies that reached a tracked email
    qint64 repliesPending = 0;   // replies kept until the email they answer lands
    qint64 repliesUnmatched = 0; // inbound mail that answers nothing we could ever track
    qint64 autoReplies = 0;      // out-of-office and other automatic answers (never replies)
    qint64 bouncesMatched = 0;   // delivery failures that marked a tracked email bounced
    qint64 bouncesPending = 0;   // delivery failures kept until their original lands
    qint64 skipped = 0;          // deliveries that failed on their own: not stored (see ingest)
    QStringList skipReasons;     // "message <id>: reason" for the first kMaxSkipReasons
    static constexpr qsizetype kMaxSkipReasons = 100;
    // Not deliveries of this call: earlier pending messages resolved when their parent landed.
    qint64 lateReplies = 0;
    qint64 lateBounces = 0;

    qint64 replies() const { return repliesMatched + lateReplies; } // replies that matched
    qint64 bounces() const { return bouncesMatched + lateBounces; } // emails marked bounced
    // Pending replies and bounces this engine stored that are still waiting (never negative:
    // another run may have stored what this one resolved).
    qint64 waiting() const {
        return std::max<qint64>(0, repliesPending + bouncesPending - lateReplies - lateBounces);
    }

    IngestionStats& operator+=(const IngestionStats& o);
};

// Stores sent mail as tracked emails and matches inbound mail to it: replies by In-Reply-To,
// then References (newest first), then conversation id; auto-replies are counted and ignored;
// bounces mark the original. A reply or bounce that arrives before its parent waits in
// pending_replies and is applied when the parent lands. Idempotent: ingesting the same
// message twice changes nothing the second time.
//
// Two paths with the same results: the batch path (one transaction and a handful of
// set-based statements per batch) and the legacy path (row at a time, one transaction per
// message, as an ORM would issue it). One difference by design: the batch path stores a
// batch's sent mail before matching its inbound mail, so a reply can reach a parent that comes
// later in the same batch; the legacy path sees only what came before it. They differ only for
// a reply whose references name both an earlier tracked email and a later one in the same
// batch (batch: the stronger reference wins; legacy: the earlier email). Lives on its
// Database's thread. Not thread-safe.
class IngestionEngine {
public:
    IngestionEngine(Database& db, const Clock& clock, IngestionOptions options = {});

    void setOptions(const IngestionOptions& options) { m_options = options; }
    const IngestionOptions& options() const { return m_options; }

    // Ingests deliveries in order. Ids are first bounded by MailParser::storageId() (whatever
    // made the delivery). No single delivery can fail the call: when a batch (or on the legacy
    // path a delivery) fails while the connection still answers, its deliveries are retried
    // one per transaction, and one that fails alone too is skipped, counted in `skipped` with
    // its reason, and logged; the rest is ingested. A failure that says nothing about the
    // message is returned instead, so the caller retries the batch later: the connection no
    // longer answers (Database::ping), or a conflict that passes by itself (SQLite busy or
    // locked, PostgreSQL deadlock or serialization failure). Batches committed before such an
    // error stay committed, and `done` (optional) receives their stats. Re-ingesting is
    // idempotent: a skipped delivery is skipped again, the others are duplicates. Without
    // options().skipBadMessages every failure is returned (the failed batch rolled back whole).
    Result<IngestionStats> ingest(const QList<Delivery>& deliveries,
                                  IngestionStats* done = nullptr) {
        return ingestOnPath(m_options.batch, deliveries, done);
    }
    // The same on a path chosen by the caller (the engine's guard), whatever the options say.
    Result<IngestionStats> ingestOnPath(bool batch, const QList<Delivery>& deliveries,
                                        IngestionStats* done = nullptr);

    // Expires active emails sent more than trackingDays ago. Returns how many.
    Result<qint64> expireOverdue();

    // Applies pending replies and bounces whose parent is tracked by now but was committed by
    // another engine at the same moment as them (each missed the other's row). Run it now and
    // then; returns how many were applied.
    Result<qint64> resolveStrandedPending();

    TrackedEmailRepository& repository() { return m_repo; }

private:
    Result<IngestionStats> ingestChunk(bool batchPath, const QList<Delivery>& chunk);
    bool isMessageFault(const Error& error);
    Result<IngestionStats> ingestBatch(const QList<Delivery>& batch);
    Result<IngestionStats> ingestOne(const Delivery& delivery);
    Result<qint64> accountId(const QString& address);
    using Item = QPair<qint64, const MailMessage*>; // account id, message
    Status matchInbound(const QList<Item>& inbound, IngestionStats& stats);
    Status resolvePending(const QList<Item>& landed, IngestionStats& stats);

    Database& m_db;
    const Clock& m_clock;
    IngestionOptions m_options;
    TrackedEmailRepository m_repo;
    QHash<QString, qint64> m_accounts;        // committed account ids
    QHash<QString, qint64> m_pendingAccounts; // created inside the open transaction
};

} // namespace trackwatch::core
