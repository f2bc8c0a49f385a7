// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace trackwatch::core {

class Database;

// How long each kind of row is kept, in days (0: keep forever), as the "retention" section of
// the configuration file sets it (packaging/trackwatch.example.json). Whatever is set, a
// tracked email still tracked (status active) is never purged, nor a pending reply younger
// than the tracking window plus a day, nor a webhook job still waiting or running, nor a mail
// source message a waiting job still needs.
struct RetentionPolicy {
    int trackedEmailsDays = 365;  // replied, bounced, expired or stopped: since the status
    int inboundMessagesDays = 90; // the "seen" marks that make a re-import change nothing
    int webhookJobsDoneDays = 7;
    int webhookJobsDeadDays = 30;
    int pendingRepliesDays = 31; // at least trackingDays + 1, whatever is configured
    int mailSourceRawDays = 14;  // the raw messages the webhook processors fetched
    int batchRows = 1000;        // rows per DELETE statement
    int batchesPerRun = 10;      // statements per rule in one purgeSome()

    // The policy from the configuration's "retention" object (absent: the defaults above),
    // with the pending-reply floor set from the engines' tracking window. Unknown keys and
    // values that are not whole numbers in range are refused, naming the key.
    static Result<RetentionPolicy> fromSettings(const QJsonObject& settings, int trackingDays);
    // The same, or the defaults (with the same floor) when the section is invalid: for the
    // engine, whose options were checked when they were read.
    static RetentionPolicy orDefaults(const QJsonObject& settings, int trackingDays);
};

// One rule's figures: what it keeps, and how many rows it removed or would remove.
struct RetentionCount {
    QString rule;  // "trackedEmails", "inboundMessages", "webhookJobsDone", ...
    QString table; // the table it purges
    int days = 0;  // 0: the rule is off
    QDateTime cutoff;
    qint64 rows = 0;
};

// Purges what the policy no longer keeps, in small batches (RetentionPolicy::batchRows rows a
// statement, each its own transaction, so engines writing beside it wait for one batch at
// most) on both dialects. The clock decides what is old. Used on the database's thread only.
class Retention {
public:
    Retention(Database& db, const Clock& clock, RetentionPolicy policy);

    const RetentionPolicy& policy() const { return m_policy; }

    // How many rows each rule would remove now. Reads only.
    Result<QList<RetentionCount>> due();

    // At most batchesPerRun statements per rule: what the engine's maintenance calls each
    // round. Returns the rows removed per rule.
    Result<QList<RetentionCount>> purgeSome();

    // Until nothing is due (trackwatchctl retention run).
    Result<QList<RetentionCount>> purgeAll();

private:
    struct Rule {
        QString name;
        QString table;
        int days;
        QString predicate; // over the unaliased table; '?' is the cutoff
        int cutoffs;       // how many '?' the predicate has
    };
    QList<Rule> rules() const;
    Result<QList<RetentionCount>> purge(int batchesPerRule);
    Result<qint64> deleteBatch(const Rule& rule, const QDateTime& cutoff);

    Database& m_db;
    const Clock& m_clock;
    RetentionPolicy m_policy;
};

} // namespace trackwatch::core
