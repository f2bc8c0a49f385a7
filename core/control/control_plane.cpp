// SPDX-License-Identifier: MIT
#include "control/control_plane.h"

#include "control/circuit_breaker.h"
#include "control/rollout.h"
#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <pwd.h>
#include <unistd.h>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

QString onOff(bool enabled) {
    return enabled ? u"on"_s : u"off"_s;
}

} // namespace

QString flagSourceName(FlagSource source) {
    switch (source) {
    case FlagSource::Default:
        return u"default"_s;
    case FlagSource::Environment:
        return u"environment"_s;
    case FlagSource::Override:
        return u"override"_s;
    case FlagSource::Rollback:
        return u"rollback"_s;
    }
    return {};
}

ControlPlane::ControlPlane(Database& db, const Clock& clock, QProcessEnvironment env,
                           QString osUser)
    : m_db(db)
    , m_clock(clock)
    , m_env(std::move(env))
    , m_osUser(std::move(osUser)) {}

QString ControlPlane::currentOsUser() {
    if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) {
        return QString::fromLocal8Bit(pw->pw_name);
    }
    const QString user = qEnvironmentVariable("USER");
    return user.isEmpty() ? u"unknown"_s : user;
}

Result<Flag> ControlPlane::flagByName(const QString& name) {
    for (const FlagInfo& info : FeatureFlags::all()) {
        if (info.name == name) {
            return info.flag;
        }
    }
    QStringList known;
    for (const FlagInfo& info : FeatureFlags::all()) {
        known << info.name;
    }
    return Error{ErrorCode::InvalidArgument,
                 u"unknown flag '%1' (flags: %2)"_s.arg(name, known.join(u", "_s))};
}

FlagValue ControlPlane::withoutOverride(Flag which) const {
    const FlagInfo& info = FeatureFlags::info(which);
    FlagValue value;
    value.flag = which;
    value.name = info.name;
    if (m_env.contains(info.environment)) {
        value.enabled = FeatureFlags::fromEnvironment(which, m_env);
        value.source = FlagSource::Environment;
    } else {
        value.enabled = info.defaultOn;
        value.source = FlagSource::Default;
    }
    return value;
}

Result<FlagValue> ControlPlane::flag(Flag which) {
    FlagValue value = withoutOverride(which);
    auto q = m_db.exec(u"SELECT enabled, source, updated_by, updated_at FROM "
                       u"feature_flag_overrides WHERE flag = ?"_s,
                       {value.name});
    if (!q) {
        return q.error();
    }
    if (q->next()) {
        value.enabled = q->value(0).toBool();
        value.source =
            q->value(1).toString() == u"rollback" ? FlagSource::Rollback : FlagSource::Override;
        value.updatedBy = q->value(2).toString();
        value.updatedAt = TrackedEmailRepository::readTime(q->value(3));
    }
    return value;
}

Result<QList<FlagValue>> ControlPlane::flags() {
    QList<FlagValue> list;
    for (const FlagInfo& info : FeatureFlags::all()) {
        auto v = flag(info.flag);
        if (!v) {
            return v.error();
        }
        list << *v;
    }
    return list;
}

Status ControlPlane::controlTransaction(const QString& reason, const QString& what,
                                        const std::function<Status(const AuditFn&)>& body) {
    if (reason.trimmed().isEmpty()) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"%1 needs a reason (who asked, why)"_s.arg(what));
    }
    const bool postgres = m_db.dialect() == Dialect::PostgreSql;
    return m_db.transaction([&]() -> Status {
        // One control change at a time: the old value audited is the one replaced.
        if (postgres) {
            if (auto r = m_db.exec(u"SELECT version FROM control_version WHERE id = 1 "
                                   u"FOR UPDATE"_s);
                !r) {
                return r.error();
            }
        }
        const QString now = TrackedEmailRepository::timeValue(m_clock.now());
        const QString role = postgres ? u"current_user"_s : u"'sqlite'"_s;
        const AuditFn audit = [&](const QString& action, const QString& target,
                                  const QString& oldValue, const QString& newValue) -> Status {
            return Status::from(
                m_db.exec(u"INSERT INTO control_audit (at, actor_role, actor_os_user, action, "
                          u"target, old_value, new_value, reason) VALUES (?, "_s +
                              role + u", ?, ?, ?, ?, ?, ?)"_s,
                          {now, m_osUser, action, target, oldValue, newValue, reason.trimmed()}));
        };
        if (const Status s = body(audit); !s) {
            return s;
        }
        auto bumped = m_db.exec(
            u"UPDATE control_version SET version = version + 1 WHERE id = 1 RETURNING version"_s);
        if (!bumped) {
            return bumped.error();
        }
        m_lastVersion = bumped->next() ? bumped->value(0).toLongLong() : 0;
        if (postgres) {
            return Status::from(m_db.exec(u"NOTIFY trackwatch_control"_s));
        }
        return {};
    });
}

Status ControlPlane::change(const QString& action, const QString& target, const QString& reason,
                            const std::function<Result<QString>()>& readOld,
                            const std::function<Status()>& write, const QString& newValue) {
    return controlTransaction(reason, target, [&](const AuditFn& audit) -> Status {
        auto old = readOld();
        if (!old) {
            return old.error();
        }
        if (const Status s = write(); !s) {
            return s;
        }
        return audit(action, target, *old, newValue);
    });
}

Status ControlPlane::writeOverride(Flag which, bool enabled, const QString& source) {
    return Status::from(m_db.exec(
        u"INSERT INTO feature_flag_overrides (flag, enabled, source, updated_at, updated_by) "
        u"VALUES (?, ?, ?, ?, ?) ON CONFLICT (flag) DO UPDATE SET enabled = excluded.enabled, "
        u"source = excluded.source, updated_at = excluded.updated_at, "
        u"updated_by = excluded.updated_by"_s,
        {FeatureFlags::info(which).name, enabled, source,
         TrackedEmailRepository::timeValue(m_clock.now()), m_osUser}));
}

Result<QString> ControlPlane::describeFlag(Flag which) {
    auto v = flag(which);
    if (!v) {
        return v.error();
    }
    return u"%1 (%2)"_s.arg(onOff(v->enabled), flagSourceName(v->source));
}

Status ControlPlane::setFlag(Flag which, bool enabled, const QString& reason) {
    const FlagInfo& info = FeatureFlags::info(which);
    return change(
        u"flag.set"_s, u"flag:"_s + info.name, reason, [&] { return describeFlag(which); },
        [&] { return writeOverride(which, enabled, u"override"_s); },
        u"%1 (override)"_s.arg(onOff(enabled)));
}

Status ControlPlane::clearFlag(Flag which, const QString& reason) {
    const FlagInfo& info = FeatureFlags::info(which);
    const FlagValue fallback = withoutOverride(which);
    return change(
        u"flag.clear"_s, u"flag:"_s + info.name, reason, [&] { return describeFlag(which); },
        [&]() -> Status {
            return Status::from(
                m_db.exec(u"DELETE FROM feature_flag_overrides WHERE flag = ?"_s, {info.name}));
        },
        u"%1 (%2)"_s.arg(onOff(fallback.enabled), flagSourceName(fallback.source)));
}

Result<RolloutValue> ControlPlane::rollout(const QString& name) {
    for (const Rollout::Definition& def : Rollout::definitions()) {
        if (def.name != name) {
            continue;
        }
        RolloutValue value{def.name, def.defaultPercentage, true, {}, {}};
        auto q = m_db.exec(u"SELECT percentage, updated_by, updated_at FROM rollout_percentages "
                           u"WHERE rollout = ?"_s,
                           {name});
        if (!q) {
            return q.error();
        }
        if (q->next()) {
            value.percentage = q->value(0).toInt();
            value.isDefault = false;
            value.updatedBy = q->value(1).toString();
            value.updatedAt = TrackedEmailRepository::readTime(q->value(2));
        }
        return value;
    }
    QStringList known;
    for (const Rollout::Definition& def : Rollout::definitions()) {
        known << def.name;
    }
    return Error{ErrorCode::InvalidArgument,
                 u"unknown rollout '%1' (rollouts: %2)"_s.arg(name, known.join(u", "_s))};
}

Result<QList<RolloutValue>> ControlPlane::rollouts() {
    QList<RolloutValue> list;
    for (const Rollout::Definition& def : Rollout::definitions()) {
        auto v = rollout(def.name);
        if (!v) {
            return v.error();
        }
        list << *v;
    }
    return list;
}

Status ControlPlane::setRollout(const QString& name, int percentage, const QString& reason) {
    if (auto known = rollout(name); !known) {
        return known.error();
    }
    if (!Rollout::validPercentage(percentage)) {
        return Status::failure(
            ErrorCode::InvalidArgument,
            u"rollout %1: %2 is not a percentage from 0 to 100"_s.arg(name).arg(percentage));
    }
    return change(
        u"rollout.set"_s, u"rollout:"_s + name, reason,
        [&]() -> Result<QString> {
            auto v = rollout(name);
            if (!v) {
                return v.error();
            }
            return u"%1%2"_s.arg(v->percentage).arg(v->isDefault ? u" (default)"_s : QString());
        },
        [&]() -> Status {
            return Status::from(m_db.exec(
                u"INSERT INTO rollout_percentages (rollout, percentage, updated_at, updated_by) "
                u"VALUES (?, ?, ?, ?) ON CONFLICT (rollout) DO UPDATE SET "
                u"percentage = excluded.percentage, updated_at = excluded.updated_at, "
                u"updated_by = excluded.updated_by"_s,
                {name, percentage, TrackedEmailRepository::timeValue(m_clock.now()), m_osUser}));
        },
        QString::number(percentage));
}

Result<qint64> ControlPlane::rolloutPreview(const QString& name, int newPercentage) {
    auto current = rollout(name);
    if (!current) {
        return current.error();
    }
    if (!Rollout::validPercentage(newPercentage)) {
        return Error{ErrorCode::InvalidArgument,
                     u"%1 is not a percentage from 0 to 100"_s.arg(newPercentage)};
    }
    auto q = m_db.exec(u"SELECT email_address FROM accounts"_s);
    if (!q) {
        return q.error();
    }
    qint64 moved = 0;
    while (q->next()) {
        const int bucket = Rollout::bucket(name, q->value(0).toString());
        moved += (bucket < current->percentage) != (bucket < newPercentage);
    }
    return moved;
}

const QStringList& ControlPlane::breakerOperations() {
    static const QStringList operations = {u"optimizedQueries"_s, u"queryCache"_s, u"rateLimiter"_s,
                                           u"batchWebhooks"_s, u"batchIngestion"_s};
    return operations;
}

Result<QList<BreakerRecord>> ControlPlane::breakers() {
    auto q = m_db.exec(u"SELECT operation, state, reason, changed_by, changed_at FROM "
                       u"circuit_breakers"_s);
    if (!q) {
        return q.error();
    }
    QHash<QString, BreakerRecord> stored;
    while (q->next()) {
        stored.insert(q->value(0).toString(),
                      {q->value(0).toString(), q->value(1).toString(), q->value(2).toString(),
                       q->value(3).toString(), TrackedEmailRepository::readTime(q->value(4))});
    }
    QList<BreakerRecord> list;
    for (const QString& operation : breakerOperations()) {
        list << stored.value(operation,
                             {operation, breakerStateName(BreakerState::Closed), {}, {}, {}});
    }
    return list;
}

Status ControlPlane::setBreaker(const QString& operation, const QString& state,
                                const QString& action, const QString& cause,
                                const QString& reason) {
    if (!breakerOperations().contains(operation)) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"unknown breaker '%1' (breakers: %2)"_s.arg(
                                   operation, breakerOperations().join(u", "_s)));
    }
    QString before;
    return change(
        action, u"breaker:"_s + operation, reason,
        [&]() -> Result<QString> {
            auto all = breakers();
            if (!all) {
                return all.error();
            }
            for (const BreakerRecord& b : *all) {
                if (b.operation == operation) {
                    before = b.state;
                }
            }
            return before;
        },
        [&]() -> Status {
            const QString now = TrackedEmailRepository::timeValue(m_clock.now());
            if (auto r = m_db.exec(
                    u"INSERT INTO circuit_breakers (operation, state, reason, changed_at, "
                    u"changed_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (operation) DO UPDATE SET "
                    u"state = excluded.state, reason = excluded.reason, "
                    u"changed_at = excluded.changed_at, changed_by = excluded.changed_by"_s,
                    {operation, state, reason.trimmed(), now, m_osUser});
                !r) {
                return r.error();
            }
            return Status::from(m_db.exec(
                u"INSERT INTO breaker_transitions (operation, at, from_state, to_state, cause, "
                u"recorded_by) VALUES (?, ?, ?, ?, ?, ?)"_s,
                {operation, now, before, state, cause + reason.trimmed(), m_osUser}));
        },
        state);
}

Status ControlPlane::tripBreaker(const QString& operation, const QString& reason) {
    return setBreaker(operation, breakerStateName(BreakerState::ForcedOpen), u"breaker.trip"_s,
                      u"tripped: "_s, reason);
}

Status ControlPlane::resetBreaker(const QString& operation, const QString& reason) {
    return setBreaker(operation, breakerStateName(BreakerState::Closed), u"breaker.reset"_s,
                      u"reset: "_s, reason);
}

const QList<Flag>& ControlPlane::rollbackFlags() {
    // The seed's script turns off optimized queries, query caching and batch processing; every
    // optimization goes here. Monitoring and slow-query alerts stay on: recovery is watched.
    static const QList<Flag> flags = {Flag::UseOptimizedQueries, Flag::UseMaterializedViews,
                                      Flag::EnableQueryCaching,  Flag::EnableRateLimitCaching,
                                      Flag::EnableBatchWebhooks, Flag::EnableBatchIngestion};
    return flags;
}

Result<std::optional<RollbackRecord>> ControlPlane::activeRollback() {
    auto q = m_db.exec(u"SELECT id, rolled_back_at, rolled_back_by, reason, control_version FROM "
                       u"control_rollbacks WHERE rolled_forward_at IS NULL"_s);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return std::optional<RollbackRecord>{};
    }
    return std::optional<RollbackRecord>{
        RollbackRecord{q->value(0).toLongLong(),
                       TrackedEmailRepository::readTime(q->value(1)),
                       q->value(2).toString(),
                       q->value(3).toString(),
                       q->value(4).toLongLong(),
                       {}}};
}

Result<QList<FlagChange>> ControlPlane::rollbackPlan() {
    QList<FlagChange> plan;
    for (Flag which : rollbackFlags()) {
        auto before = describeFlag(which);
        if (!before) {
            return before.error();
        }
        plan.append({FeatureFlags::info(which).name, *before, u"off (rollback)"_s});
    }
    return plan;
}

Result<RollbackRecord> ControlPlane::rollback(const QString& reason) {
    RollbackRecord record;
    const Status done = controlTransaction(reason, u"rollback"_s, [&](const AuditFn& audit) {
        auto active = activeRollback();
        if (!active) {
            return Status(active.error());
        }
        const QString now = TrackedEmailRepository::timeValue(m_clock.now());
        if (*active) {
            record = **active; // flags off again; the values from before the first are kept
        } else {
            auto inserted =
                m_db.exec(u"INSERT INTO control_rollbacks (rolled_back_at, rolled_back_by, reason, "
                          u"control_version) VALUES (?, ?, ?, 0) RETURNING id"_s,
                          {now, m_osUser, reason.trimmed()});
            if (!inserted) {
                return Status(inserted.error());
            }
            record.id = inserted->next() ? inserted->value(0).toLongLong() : 0;
            record.at = m_clock.now();
            record.by = m_osUser;
            record.reason = reason.trimmed();
            // The values in force now, an override row copied as it is or none, so the
            // roll-forward can put back exactly that.
            for (Flag which : rollbackFlags()) {
                const QString name = FeatureFlags::info(which).name;
                auto copied = m_db.exec(
                    u"INSERT INTO control_rollback_flags (rollback_id, flag, had_override, "
                    u"enabled, source, updated_at, updated_by) SELECT ?, flag, TRUE, enabled, "
                    u"source, updated_at, updated_by FROM feature_flag_overrides WHERE flag = ?"_s,
                    {record.id, name});
                if (!copied) {
                    return Status(copied.error());
                }
                auto none = m_db.exec(
                    u"INSERT INTO control_rollback_flags (rollback_id, flag, had_override) "
                    u"SELECT ?, ?, FALSE WHERE NOT EXISTS (SELECT 1 FROM feature_flag_overrides "
                    u"WHERE flag = ?)"_s,
                    {record.id, name, name});
                if (!none) {
                    return Status(none.error());
                }
            }
        }
        for (Flag which : rollbackFlags()) {
            auto before = describeFlag(which);
            if (!before) {
                return Status(before.error());
            }
            if (const Status s = writeOverride(which, false, u"rollback"_s); !s) {
                return s;
            }
            const QString target = u"flag:"_s + FeatureFlags::info(which).name;
            const QString after = u"off (rollback)"_s;
            if (const Status s = audit(u"rollback"_s, target, *before, after); !s) {
                return s;
            }
            record.changes.append({FeatureFlags::info(which).name, *before, after});
        }
        // The version this transaction is about to publish (changes are serialized).
        return Status::from(m_db.exec(u"UPDATE control_rollbacks SET control_version = (SELECT "
                                      u"version + 1 FROM control_version WHERE id = 1) "
                                      u"WHERE id = ?"_s,
                                      {record.id}));
    });
    if (!done) {
        return done.error();
    }
    record.controlVersion = m_lastVersion;
    return record;
}

Result<QList<FlagChange>> ControlPlane::rollForwardPlan() {
    auto active = activeRollback();
    if (!active) {
        return active.error();
    }
    if (!*active) {
        return Error{ErrorCode::NotFound, u"no rollback is in force: nothing to roll forward"_s};
    }
    auto q = m_db.exec(u"SELECT flag, had_override, enabled, source FROM control_rollback_flags "
                       u"WHERE rollback_id = ? ORDER BY flag"_s,
                       {(*active)->id});
    if (!q) {
        return q.error();
    }
    // Every row first: describing a flag runs queries of its own.
    struct Saved {
        QString flag;
        bool hadOverride;
        bool enabled;
        QString source;
    };
    QList<Saved> saved;
    while (q->next()) {
        saved.append({q->value(0).toString(), q->value(1).toBool(), q->value(2).toBool(),
                      q->value(3).toString()});
    }
    QList<FlagChange> plan;
    for (const Saved& row : saved) {
        auto which = flagByName(row.flag);
        if (!which) {
            return which.error();
        }
        auto before = describeFlag(*which);
        if (!before) {
            return before.error();
        }
        const FlagValue fallback = withoutOverride(*which);
        const QString after = row.hadOverride ? u"%1 (%2)"_s.arg(onOff(row.enabled), row.source)
                                              : u"%1 (%2)"_s.arg(onOff(fallback.enabled),
                                                                 flagSourceName(fallback.source));
        plan.append({row.flag, *before, after});
    }
    return plan;
}

Result<RollbackRecord> ControlPlane::rollForward(const QString& reason) {
    RollbackRecord record;
    const Status done = controlTransaction(reason, u"roll-forward"_s, [&](const AuditFn& audit) {
        auto active = activeRollback();
        if (!active) {
            return Status(active.error());
        }
        if (!*active) {
            return Status::failure(ErrorCode::NotFound,
                                   u"no rollback is in force: nothing to roll forward"_s);
        }
        record = **active;
        auto plan = rollForwardPlan();
        if (!plan) {
            return Status(plan.error());
        }
        // Back to exactly what was there: the same override rows, or none.
        if (auto r =
                m_db.exec(u"DELETE FROM feature_flag_overrides WHERE flag IN (SELECT flag FROM "
                          u"control_rollback_flags WHERE rollback_id = ?)"_s,
                          {record.id});
            !r) {
            return Status(r.error());
        }
        if (auto r =
                m_db.exec(u"INSERT INTO feature_flag_overrides (flag, enabled, source, updated_at, "
                          u"updated_by) SELECT flag, enabled, source, updated_at, updated_by FROM "
                          u"control_rollback_flags WHERE rollback_id = ? AND had_override"_s,
                          {record.id});
            !r) {
            return Status(r.error());
        }
        for (const FlagChange& change : *plan) {
            if (const Status s =
                    audit(u"roll-forward"_s, u"flag:"_s + change.flag, change.before, change.after);
                !s) {
                return s;
            }
        }
        record.changes = *plan;
        return Status::from(
            m_db.exec(u"UPDATE control_rollbacks SET rolled_forward_at = ?, rolled_forward_by = ?, "
                      u"forward_reason = ? WHERE id = ?"_s,
                      {TrackedEmailRepository::timeValue(m_clock.now()), m_osUser, reason.trimmed(),
                       record.id}));
    });
    if (!done) {
        return done.error();
    }
    record.controlVersion = m_lastVersion;
    return record;
}

Result<QList<AuditEntry>> ControlPlane::audit(const AuditFilter& filter) {
    QString sql = u"SELECT id, at, actor_role, actor_os_user, action, target, old_value, "
                  u"new_value, reason FROM control_audit WHERE 1 = 1"_s;
    QVariantList values;
    if (!filter.target.isEmpty()) {
        if (filter.target.endsWith(u'*')) {
            sql += u" AND substr(target, 1, ?) = ?"_s;
            values << filter.target.size() - 1 << filter.target.chopped(1);
        } else {
            sql += u" AND target = ?"_s;
            values << filter.target;
        }
    }
    if (!filter.actor.isEmpty()) {
        sql += u" AND (actor_role = ? OR actor_os_user = ?)"_s;
        values << filter.actor << filter.actor;
    }
    if (filter.since.isValid()) {
        sql += u" AND at >= ?"_s;
        values << TrackedEmailRepository::timeValue(filter.since);
    }
    if (filter.until.isValid()) {
        sql += u" AND at < ?"_s;
        values << TrackedEmailRepository::timeValue(filter.until);
    }
    sql += u" ORDER BY id DESC LIMIT ?"_s;
    values << std::clamp(filter.limit, 1, 100000);
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    QList<AuditEntry> entries;
    while (q->next()) {
        entries.append({q->value(0).toLongLong(), TrackedEmailRepository::readTime(q->value(1)),
                        q->value(2).toString(), q->value(3).toString(), q->value(4).toString(),
                        q->value(5).toString(), q->value(6).toString(), q->value(7).toString(),
                        q->value(8).toString()});
    }
    return entries;
}

Result<qint64> ControlPlane::version() {
    auto q = m_db.exec(u"SELECT version FROM control_version WHERE id = 1"_s);
    if (!q) {
        return q.error();
    }
    return q->next() ? q->value(0).toLongLong() : 0;
}

} // namespace trackwatch::core
