// SPDX-License-Identifier: MIT
#include "monitoring/alert_rules.h"

#include "common/logging.h"
#include "control/control_plane.h"
#include "storage/database.h"
#include "storage/tracked_email_repository.h"

#include <QJsonValue>
#include <QProcessEnvironment>
#include <QSet>
#include <QSqlQuery>

#include <algorithm>
#include <cmath>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

constexpr int kMaxSecs = 86400;

QString number(double v) {
    if (!std::isfinite(v)) {
        return u"n/a"_s;
    }
    const double a = std::abs(v);
    if (v == std::round(v) && a < 1e15) {
        return QString::number(static_cast<qint64>(v));
    }
    return QString::number(v, 'f', a >= 100 ? 0 : (a >= 10 ? 1 : 2));
}

QString withUnit(double v, const QString& unit) {
    return unit == u"%" ? number(v) + unit : number(v) + u' ' + unit;
}

QString summaryOf(const AlertRule& rule, AlertState state, double value, int heldSecs) {
    const QString threshold = withUnit(rule.threshold, rule.unit);
    const QString op = rule.comparison == AlertRule::Comparison::Above ? u"above"_s : u"below"_s;
    switch (state) {
    case AlertState::NoData:
        return u"no data for %1"_s.arg(rule.figure);
    case AlertState::Pending:
        return u"%1 %2 %3 %4 for %5 s of %6 s"_s
            .arg(rule.figure, withUnit(value, rule.unit), op, threshold)
            .arg(heldSecs)
            .arg(rule.pendingSecs);
    case AlertState::Firing:
        return u"%1 %2 %3 %4 for %5 s"_s.arg(rule.figure, withUnit(value, rule.unit), op, threshold)
            .arg(heldSecs);
    case AlertState::Resolved:
        return u"%1 back to %2 (threshold %3)"_s.arg(rule.figure, withUnit(value, rule.unit),
                                                     threshold);
    case AlertState::Normal:
        break;
    }
    return u"%1 %2 (threshold %3)"_s.arg(rule.figure, withUnit(value, rule.unit), threshold);
}

// An integer JSON value in [low, high], or an error naming the key.
Result<int> integerAt(const QJsonValue& v, const QString& key, int low, int high) {
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d) || d < low || d > high) {
        return Error{ErrorCode::InvalidArgument,
                     u"%1: must be a whole number from %2 to %3"_s.arg(key).arg(low).arg(high)};
    }
    return static_cast<int>(d);
}

Result<bool> booleanAt(const QJsonValue& v, const QString& key) {
    if (!v.isBool()) {
        return Error{ErrorCode::InvalidArgument, u"%1: must be true or false"_s.arg(key)};
    }
    return v.toBool();
}

} // namespace

QString alertStateName(AlertState state) {
    switch (state) {
    case AlertState::Normal:
        return u"normal"_s;
    case AlertState::Pending:
        return u"pending"_s;
    case AlertState::Firing:
        return u"firing"_s;
    case AlertState::Resolved:
        return u"resolved"_s;
    case AlertState::NoData:
        return u"no_data"_s;
    }
    return u"normal"_s;
}

double AlertRule::valueOf(const MonitorSample& s) const {
    if (name == u"SlowQueryDetected") {
        return s.queryP95Ms;
    }
    if (name == u"HighErrorRate") {
        return s.errorRate * 100.0;
    }
    if (name == u"CacheHitRateDegrad") {
        return s.cacheHitRate * 100.0;
    }
    if (name == u"ThroughputBelowTarget") {
        return s.emailsPerHour;
    }
    return kNoData;
}

bool AlertRule::breached(double value) const {
    return comparison == Comparison::Above ? value > threshold : value < threshold;
}

AlertConfig AlertConfig::defaults() {
    using C = AlertRule::Comparison;
    AlertConfig c;
    // The seed's "Critical Alerts": condition, severity and action.
    c.rules = {
        {u"SlowQueryDetected"_s, u"warning"_s, u"investigate_query_performance"_s,
         u"database query P95"_s, u"ms"_s, C::Above, 1000, 60, true},
        {u"HighErrorRate"_s, u"critical"_s, u"initiate_rollback_procedure"_s, u"error rate"_s,
         u"%"_s, C::Above, 5, 60, true},
        {u"CacheHitRateDegrad"_s, u"warning"_s, u"review_cache_configuration"_s,
         u"cache hit rate"_s, u"%"_s, C::Below, 60, 300, true},
        {u"ThroughputBelowTarget"_s, u"critical"_s, u"scale_resources_investigate"_s,
         u"fleet throughput"_s, u"emails/hour"_s, C::Below, 8000, 300, true},
    };
    return c;
}

const AlertRule* AlertConfig::rule(const QString& name) const {
    for (const AlertRule& r : rules) {
        if (r.name == name) {
            return &r;
        }
    }
    return nullptr;
}

Result<AlertConfig> AlertConfig::fromSettings(const QJsonObject& settings) {
    const QJsonValue section = settings.value(u"alerts"_s);
    if (section.isUndefined() || section.isNull()) {
        return defaults();
    }
    if (!section.isObject()) {
        return Error{ErrorCode::InvalidArgument, u"alerts: must be an object"_s};
    }
    return fromJson(section.toObject());
}

Result<AlertConfig> AlertConfig::fromJson(const QJsonObject& section) {
    AlertConfig config = defaults();
    const auto invalid = [](const QString& message) {
        return Result<AlertConfig>::failure(ErrorCode::InvalidArgument, message);
    };
    for (auto it = section.begin(); it != section.end(); ++it) {
        const QString key = u"alerts."_s + it.key();
        if (it.key() == u"autoRollback") {
            auto b = booleanAt(it.value(), key);
            if (!b) {
                return b.error();
            }
            config.autoRollback = *b;
        } else if (it.key() == u"resolvedHoldSecs") {
            auto secs = integerAt(it.value(), key, 0, kMaxSecs);
            if (!secs) {
                return secs.error();
            }
            config.resolvedHoldSecs = *secs;
        } else if (it.key() == u"rules") {
            if (!it.value().isObject()) {
                return invalid(key + u": must be an object of rule names"_s);
            }
            const QJsonObject rules = it.value().toObject();
            for (auto r = rules.begin(); r != rules.end(); ++r) {
                const QString ruleKey = key + u'.' + r.key();
                AlertRule* rule = nullptr;
                QStringList names;
                for (AlertRule& candidate : config.rules) {
                    names << candidate.name;
                    if (candidate.name == r.key()) {
                        rule = &candidate;
                    }
                }
                if (!rule) {
                    return invalid(
                        u"%1: unknown rule (rules: %2)"_s.arg(ruleKey, names.join(u", "_s)));
                }
                if (!r.value().isObject()) {
                    return invalid(ruleKey + u": must be an object"_s);
                }
                const QJsonObject settings = r.value().toObject();
                for (auto s = settings.begin(); s != settings.end(); ++s) {
                    const QString settingKey = ruleKey + u'.' + s.key();
                    if (s.key() == u"enabled") {
                        auto b = booleanAt(s.value(), settingKey);
                        if (!b) {
                            return b.error();
                        }
                        rule->enabled = *b;
                    } else if (s.key() == u"pendingSecs") {
                        auto secs = integerAt(s.value(), settingKey, 0, kMaxSecs);
                        if (!secs) {
                            return secs.error();
                        }
                        rule->pendingSecs = *secs;
                    } else if (s.key() == u"threshold") {
                        const double v = s.value().toDouble(std::nan(""));
                        const bool percent = rule->unit == u"%";
                        const bool positive = rule->name == u"SlowQueryDetected";
                        const double high = percent ? 100.0 : 1e12;
                        if (!s.value().isDouble() || !std::isfinite(v) || v < 0 || v > high ||
                            (positive && v <= 0)) {
                            return invalid(
                                percent
                                    ? u"%1: must be a percentage from 0 to 100"_s.arg(settingKey)
                                : positive
                                    ? u"%1: must be a number of milliseconds above 0"_s.arg(
                                          settingKey)
                                    : u"%1: must be a number of emails per hour, 0 or more"_s.arg(
                                          settingKey));
                        }
                        rule->threshold = v;
                    } else {
                        return invalid(
                            u"%1: unknown setting (settings: enabled, threshold, pendingSecs)"_s
                                .arg(settingKey));
                    }
                }
            }
        } else {
            return invalid(
                u"%1: unknown key (keys: autoRollback, resolvedHoldSecs, rules)"_s.arg(key));
        }
    }
    return config;
}

AlertEvaluator::AlertEvaluator(AlertConfig config, const Clock& clock, QString engineId)
    : m_config(std::move(config))
    , m_clock(clock)
    , m_engineId(std::move(engineId)) {
    const QDateTime now = m_clock.now();
    for (const AlertRule& rule : m_config.rules) {
        AlertStatus s;
        s.rule = rule.name;
        s.severity = rule.severity;
        s.state = alertStateName(AlertState::NoData);
        s.since = now;
        s.threshold = rule.threshold;
        s.summary = u"not evaluated yet"_s;
        m_statuses.append(s);
        m_breachedSince.append(QDateTime());
        m_runtimeEnabled.append(true);
    }
}

bool AlertEvaluator::isActive(const QString& name) const {
    for (qsizetype i = 0; i < m_config.rules.size(); ++i) {
        if (m_config.rules[i].name == name) {
            return m_config.rules[i].enabled && m_runtimeEnabled[i];
        }
    }
    return false;
}

void AlertEvaluator::setRuleEnabled(const QString& name, bool enabled) {
    for (qsizetype i = 0; i < m_config.rules.size(); ++i) {
        if (m_config.rules[i].name == name) {
            m_runtimeEnabled[i] = enabled;
        }
    }
}

FleetThroughput FleetThroughput::ofSample(const MonitorSample& sample) {
    FleetThroughput f;
    f.emailsPerHour = sample.emailsPerHour;
    f.waiting = sample.queueDepth;
    f.engines = std::isnan(sample.emailsPerHour) ? 0 : 1;
    return f;
}

QList<AlertTransition> AlertEvaluator::evaluate(const MonitorSample& sample,
                                                const std::optional<FleetThroughput>& fleet) {
    const QDateTime now = m_clock.now();
    const FleetThroughput throughput = fleet ? *fleet : FleetThroughput::ofSample(sample);
    QList<AlertTransition> changes;
    for (qsizetype i = 0; i < m_config.rules.size(); ++i) {
        const AlertRule& rule = m_config.rules[i];
        AlertStatus& status = m_statuses[i];
        const QString previous = status.state;
        QDateTime& breachedSince = m_breachedSince[i];
        AlertState next = AlertState::Normal;
        QString summary;
        double value = kNoData;
        if (!rule.enabled || !m_runtimeEnabled[i]) {
            breachedSince = QDateTime();
            summary = rule.enabled ? u"disabled by its feature flag"_s
                                   : u"disabled in the configuration"_s;
        } else {
            const bool throughputRule = rule.name == u"ThroughputBelowTarget";
            value = throughputRule ? throughput.emailsPerHour : rule.valueOf(sample);
            // Throughput under target is an outage only while work is waiting.
            const bool idle = throughputRule && !(throughput.waiting > 0);
            int held = 0;
            if (std::isnan(value) || (throughputRule && std::isnan(throughput.waiting))) {
                next = AlertState::NoData;
                breachedSince = QDateTime();
            } else if (!idle && rule.breached(value)) {
                if (!breachedSince.isValid()) {
                    breachedSince = now;
                }
                held = static_cast<int>(breachedSince.secsTo(now));
                const bool longEnough =
                    breachedSince.msecsTo(now) >= qint64{rule.pendingSecs} * 1000;
                next = previous == alertStateName(AlertState::Firing) || longEnough
                           ? AlertState::Firing
                           : AlertState::Pending;
            } else {
                breachedSince = QDateTime();
                if (previous == alertStateName(AlertState::Firing)) {
                    next = AlertState::Resolved;
                } else if (previous == alertStateName(AlertState::Resolved) &&
                           status.since.msecsTo(now) < qint64{m_config.resolvedHoldSecs} * 1000) {
                    next = AlertState::Resolved;
                }
            }
            summary = summaryOf(rule, next, value, held);
            if (throughputRule && next != AlertState::NoData) {
                summary = idle ? u"no work waiting: throughput not judged (target %1)"_s.arg(
                                     withUnit(rule.threshold, rule.unit))
                               : summary + u"; %1 engine(s), %2 waiting"_s.arg(throughput.engines)
                                               .arg(number(throughput.waiting));
            }
        }
        const QString nextName = alertStateName(next);
        status.value = value;
        status.threshold = rule.threshold;
        status.summary = summary;
        if (nextName == previous) {
            continue;
        }
        status.state = nextName;
        status.since = now;
        const bool quietStart =
            !m_evaluated && (next == AlertState::Normal || next == AlertState::NoData);
        if (!quietStart) {
            AlertTransition t;
            t.engineId = m_engineId;
            t.rule = rule.name;
            t.severity = rule.severity;
            t.fromState = previous;
            t.toState = nextName;
            t.at = now;
            t.value = value;
            t.summary = summary;
            changes.append(t);
        }
    }
    m_evaluated = true;
    return changes;
}

AlertHistory::AlertHistory(Database& db)
    : m_db(db) {}

Status AlertHistory::record(const AlertTransition& t) {
    return Status::from(m_db.exec(
        u"INSERT INTO alert_transitions (engine_id, rule, severity, from_state, to_state, at, "
        u"value, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s,
        {t.engineId, t.rule, t.severity, t.fromState, t.toState, t.at.toUTC(),
         std::isfinite(t.value) ? QVariant(t.value) : QVariant(), t.summary}));
}

Result<QList<AlertTransition>> AlertHistory::recent(const QString& engineId, const QDateTime& since,
                                                    int limit, const QString& rule) {
    if (limit < 1) {
        return Error{ErrorCode::InvalidArgument,
                     u"alert history: limit must be at least 1, not %1"_s.arg(limit)};
    }
    QString sql = u"SELECT id, engine_id, rule, severity, from_state, to_state, at, value, "
                  u"summary FROM alert_transitions WHERE at >= ?"_s;
    QVariantList values{
        (since.isValid() ? since : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC)).toUTC()};
    if (!engineId.isEmpty()) {
        sql += u" AND engine_id = ?"_s;
        values << engineId;
    }
    if (!rule.isEmpty()) {
        sql += u" AND rule = ?"_s;
        values << rule;
    }
    sql += u" ORDER BY at DESC, id DESC LIMIT %1"_s.arg(limit);
    auto q = m_db.exec(sql, values);
    if (!q) {
        return q.error();
    }
    QList<AlertTransition> out;
    while (q->next()) {
        AlertTransition t;
        t.id = q->value(0).toLongLong();
        t.engineId = q->value(1).toString();
        t.rule = q->value(2).toString();
        t.severity = q->value(3).toString();
        t.fromState = q->value(4).toString();
        t.toState = q->value(5).toString();
        t.at = TrackedEmailRepository::readTime(q->value(6));
        t.value = q->value(7).isNull() ? kNoData : q->value(7).toDouble();
        t.summary = q->value(8).toString();
        out.append(t);
    }
    return out;
}

Result<qint64> AlertHistory::prune(const QDateTime& olderThan) {
    auto q = m_db.exec(u"DELETE FROM alert_transitions WHERE at < ?"_s, {olderThan.toUTC()});
    if (!q) {
        return q.error();
    }
    return static_cast<qint64>(q->numRowsAffected());
}

AlertMonitor::AlertMonitor(Database& db, const Clock& clock, QString engineId, AlertConfig config)
    : m_db(db)
    , m_clock(clock)
    , m_evaluator(std::move(config), clock, std::move(engineId))
    , m_history(db) {}

Result<FleetThroughput> AlertMonitor::fleetThroughput(const MonitorSample& sample,
                                                      qint64 ingestionBacklog) {
    FleetThroughput fleet = FleetThroughput::ofSample(sample);
    // The webhook queue is shared: this engine's count is the fleet's.
    fleet.waiting = std::isnan(sample.queueDepth) && ingestionBacklog <= 0
                        ? kNoData
                        : (std::isnan(sample.queueDepth) ? 0.0 : sample.queueDepth) +
                              static_cast<double>(std::max<qint64>(0, ingestionBacklog));
    // The other live engines' latest stored figures (this engine's own is the sample's, which
    // is fresher than its last stored one).
    auto q = m_db.exec(u"SELECT s.engine_id, s.emails_per_hour FROM metric_snapshots s "
                       u"JOIN engine_instances e ON e.id = s.engine_id "
                       u"WHERE e.stopped_at IS NULL AND e.heartbeat_at >= ? AND e.id <> ? "
                       u"AND s.taken_at = (SELECT MAX(m.taken_at) FROM metric_snapshots m "
                       u"WHERE m.engine_id = e.id)"_s,
                       {TrackedEmailRepository::timeValue(m_clock.now().addSecs(-kLiveEngineSecs)),
                        m_evaluator.engineId()});
    if (!q) {
        return q.error();
    }
    QSet<QString> counted;
    while (q->next()) {
        const QString engine = q->value(0).toString();
        if (q->value(1).isNull() || counted.contains(engine)) {
            continue;
        }
        counted.insert(engine);
        const double v = q->value(1).toDouble();
        fleet.emailsPerHour = std::isnan(fleet.emailsPerHour) ? v : fleet.emailsPerHour + v;
        ++fleet.engines;
    }
    return fleet;
}

QList<AlertStatus> AlertMonitor::evaluate(const MonitorSample& sample, qint64 ingestionBacklog) {
    std::optional<FleetThroughput> fleet;
    const bool waiting = sample.queueDepth > 0 || ingestionBacklog > 0;
    // Only worth a query while work is waiting: otherwise the rule is normal whatever the fleet
    // does.
    if (waiting && m_evaluator.isActive(u"ThroughputBelowTarget"_s)) {
        auto f = fleetThroughput(sample, ingestionBacklog);
        if (f) {
            fleet = *f;
            m_lastFleetError.clear();
        } else {
            fleet = FleetThroughput{kNoData, kNoData, 0};
            if (f.error().message != m_lastFleetError) {
                m_lastFleetError = f.error().message;
                logging::get("core.alerts")
                    ->warn("cannot read the fleet's throughput: {}", m_lastFleetError);
            }
            m_lastActionError = u"fleet throughput: "_s + f.error().message;
        }
    } else {
        fleet = FleetThroughput::ofSample(sample);
        fleet->waiting = std::isnan(sample.queueDepth) && ingestionBacklog <= 0 ? kNoData : 0.0;
    }
    const QList<AlertTransition> changes = m_evaluator.evaluate(sample, fleet);
    auto log = logging::get("core.alerts");
    for (const AlertTransition& t : changes) {
        const auto level =
            t.toState == u"firing"
                ? (t.severity == u"critical" ? spdlog::level::err : spdlog::level::warn)
                : spdlog::level::info;
        log->log(level, "{} {} -> {}: {}", t.rule.toStdString(), t.fromState.toStdString(),
                 t.toState.toStdString(), t.summary.toStdString());
        if (const Status s = m_history.record(t); !s) {
            m_lastActionError = s.error().message;
            log->warn("cannot record the alert transition: {}", s.error().message.toStdString());
        }
        for (const AlertStatus& status : m_evaluator.statuses()) {
            if (status.rule == t.rule) {
                act(t, status);
            }
        }
    }
    return m_evaluator.statuses();
}

void AlertMonitor::act(const AlertTransition& t, const AlertStatus& status) {
    if (t.toState != u"firing" || t.rule != u"HighErrorRate" ||
        !m_evaluator.config().autoRollback) {
        return;
    }
    auto log = logging::get("core.alerts");
    ControlPlane control(m_db, m_clock, QProcessEnvironment::systemEnvironment(),
                         QString::fromLatin1(kRollbackActor));
    auto active = control.activeRollback();
    if (!active) {
        m_lastActionError = u"rollback: "_s + active.error().message;
        log->error("HighErrorRate cannot check for a rollback in force: {}",
                   active.error().message.toStdString());
        return;
    }
    if (active->has_value()) {
        log->warn("HighErrorRate firing; a rollback is already in force (since {})",
                  (*active)->at.toString(Qt::ISODate).toStdString());
        return;
    }
    const QString reason = u"HighErrorRate firing on engine %1: %2 (action "
                           u"initiate_rollback_procedure)"_s.arg(t.engineId, status.summary);
    auto done = control.rollback(reason);
    if (!done) {
        m_lastActionError = u"rollback: "_s + done.error().message;
        log->error("HighErrorRate rollback failed: {}", done.error().message.toStdString());
        return;
    }
    m_lastRollbackVersion = done->controlVersion;
    log->error("HighErrorRate rolled the optimizations back (control version {}): {}",
               done->controlVersion, reason.toStdString());
}

} // namespace trackwatch::core
