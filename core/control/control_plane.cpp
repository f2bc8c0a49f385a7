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

Status ControlPlane::change(const QString& action, const QString& target, const QString& reason,
                            const std::function<Result<QString>()>& readOld,
                            const std::function<Status()>& write, const QString& newValue) {
    if (reason.trimmed().isEmpty()) {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"%1 needs a reason (who asked, why)"_s.arg(target));
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
        auto old = readOld();
        if (!old) {
            return old.error();
        }
        if (const Status s = write(); !s) {
            return s;
        }
        const QString now = TrackedEmailRepository::timeValue(m_clock.now());
        const QString role = postgres ? u"current_user"_s : u"'sqlite'"_s;
        if (auto r = m_db.exec(u"INSERT INTO control_audit (at, actor_role, actor_os_user, action, "
                               u"target, old_value, new_value, reason) VALUES (?, "_s +
                                   role + u", ?, ?, ?, ?, ?, ?)"_s,
                               {now, m_osUser, action, target, *old, newValue, reason.trimmed()});
            !r) {
            return r.error();
        }
        if (auto r = m_db.exec(u"UPDATE control_version SET version = version + 1 WHERE id = 1"_s);
            !r) {
            return r.error();
        }
        if (postgres) {
            return Status::from(m_db.exec(u"NOTIFY trackwatch_control"_s));
        }
        return {};
    });
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
        [&]() -> Status {
            return Status::from(m_db.exec(
                u"INSERT INTO feature_flag_overrides (flag, enabled, source, updated_at, "
                u"updated_by) VALUES (?, ?, 'override', ?, ?) ON CONFLICT (flag) DO UPDATE SET "
                u"enabled = excluded.enabled, source = excluded.source, "
                u"updated_at = excluded.updated_at, updated_by = excluded.updated_by"_s,
                {info.name, enabled, TrackedEmailRepository::timeValue(m_clock.now()), m_osUser}));
        },
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
