// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "engine/feature_flags.h"

#include <QDateTime>
#include <QList>
#include <QProcessEnvironment>
#include <QString>

#include <functional>
#include <optional>

namespace trackwatch::core {

class Database;

// Why a flag has its value, as OpenFeature reports a reason.
enum class FlagSource { Default, Environment, Override, Rollback };
QString flagSourceName(FlagSource source); // "default", "environment", "override", "rollback"

struct FlagValue {
    Flag flag = Flag::UseOptimizedQueries;
    QString name;
    bool enabled = false;
    FlagSource source = FlagSource::Default;
    QString updatedBy; // override/rollback only
    QDateTime updatedAt;
};

struct RolloutValue {
    QString name;
    int percentage = 0;
    bool isDefault = true; // the seed's starting percentage, never changed
    QString updatedBy;
    QDateTime updatedAt;
};

struct AuditEntry {
    qint64 id = 0;
    QDateTime at;
    QString actorRole;   // the database role (SQLite: "sqlite")
    QString actorOsUser; // the operating-system user
    QString action;      // "flag.set", "flag.clear", "rollout.set"
    QString target;      // "flag:useOptimizedQueries", "rollout:caching"
    QString oldValue;
    QString newValue;
    QString reason;
};

// A breaker's shared state as the database holds it (operations without a row are closed).
struct BreakerRecord {
    QString operation;
    QString state; // breakerStateName(): "closed", "open", "half_open", "forced_open", ...
    QString reason;
    QString changedBy;
    QDateTime changedAt;
};

// One flag's value before and after a rollback or roll-forward, as the audit log shows them.
struct FlagChange {
    QString flag;
    QString before; // "on (override)"
    QString after;  // "off (rollback)"
};

struct RollbackRecord {
    qint64 id = 0;
    QDateTime at;
    QString by;
    QString reason;
    qint64 controlVersion = 0; // engines that applied this version run on the new flags
    QList<FlagChange> changes;
};

struct AuditFilter {
    QString target; // exact, or a prefix ending in '*' ("flag:*")
    QString actor;  // database role or OS user
    QDateTime since;
    QDateTime until;
    int limit = 100;
};

// The control plane's state in the database, which every engine and console shares: flag
// overrides over the environment's values, rollout percentages, and the audit log. Every
// change needs a reason and writes its audit row and bumps control_version in the same
// transaction (on PostgreSQL it also sends one NOTIFY trackwatch_control); concurrent changes
// are serialized on control_version, so the last write wins and every write is audited with
// the value it replaced. Lives on its Database's thread. Not thread-safe.
class ControlPlane {
public:
    ControlPlane(Database& db, const Clock& clock,
                 QProcessEnvironment env = QProcessEnvironment::systemEnvironment(),
                 QString osUser = currentOsUser());

    static QString currentOsUser();
    static Result<Flag> flagByName(const QString& name); // case-sensitive seed name

    Result<QList<FlagValue>> flags();
    Result<FlagValue> flag(Flag flag);
    Status setFlag(Flag flag, bool enabled, const QString& reason);
    Status clearFlag(Flag flag, const QString& reason);

    Result<QList<RolloutValue>> rollouts();
    Result<RolloutValue> rollout(const QString& name);
    Status setRollout(const QString& name, int percentage, const QString& reason);
    // How many known accounts (the accounts table) a new percentage would move in or out.
    Result<qint64> rolloutPreview(const QString& name, int newPercentage);

    // The guarded optimizations: optimizedQueries, queryCache, rateLimiter, batchWebhooks,
    // batchIngestion.
    static const QStringList& breakerOperations();
    Result<QList<BreakerRecord>> breakers();
    // A person forces the breaker open (the optimized path is bypassed for its legacy twin in
    // every engine) or closes it again; both need a reason, are audited and are recorded as
    // transitions.
    Status tripBreaker(const QString& operation, const QString& reason);
    Status resetBreaker(const QString& operation, const QString& reason);

    // The seed's emergency rollback: every optimization flag (rollbackFlags()) goes off in one
    // transaction, as overrides whose source is "rollback", and the values they replaced are
    // kept. A second rollback while one is in force turns the flags off again and keeps the
    // values from before the first. rollForward() restores exactly those values (overrides,
    // their authors and times, or no override) and ends the rollback. Both need a reason and
    // write one audit row per flag; the plans say what they would change without changing it.
    static const QList<Flag>& rollbackFlags();
    Result<QList<FlagChange>> rollbackPlan();
    Result<RollbackRecord> rollback(const QString& reason);
    Result<QList<FlagChange>> rollForwardPlan(); // NotFound when no rollback is in force
    Result<RollbackRecord> rollForward(const QString& reason);
    Result<std::optional<RollbackRecord>> activeRollback(); // without changes

    Result<QList<AuditEntry>> audit(const AuditFilter& filter = {});

    // Increases with every control change; engines compare it to notice changes.
    Result<qint64> version();

private:
    FlagValue withoutOverride(Flag which) const; // the environment's value, else the default
    Result<QString> describeFlag(Flag which);    // "on (override)", as the audit log shows it
    Status setBreaker(const QString& operation, const QString& state, const QString& action,
                      const QString& cause, const QString& reason);
    using AuditFn = std::function<Status(const QString& action, const QString& target,
                                         const QString& oldValue, const QString& newValue)>;
    // The one way the control plane changes: in a transaction serialized on control_version,
    // body writes and audits (with the given reason) through the function it is passed, then
    // the version is bumped and engines are notified. m_lastVersion holds the new version.
    Status controlTransaction(const QString& reason, const QString& what,
                              const std::function<Status(const AuditFn& audit)>& body);
    Status change(const QString& action, const QString& target, const QString& reason,
                  const std::function<Result<QString>()>& readOld,
                  const std::function<Status()>& write, const QString& newValue);
    Status writeOverride(Flag which, bool enabled, const QString& source);

    Database& m_db;
    const Clock& m_clock;
    QProcessEnvironment m_env;
    QString m_osUser;
    qint64 m_lastVersion = 0;
};

} // namespace trackwatch::core
