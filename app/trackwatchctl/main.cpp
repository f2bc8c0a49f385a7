// SPDX-License-Identifier: MIT
// trackwatchctl: the control plane from a terminal, for on-call engineers.
//
// Exit codes: 0 done; 1 the database failed or refused; 2 usage error or invalid input.
#include "common/config_file.h"
#include "common/logging.h"
#include "control/control_plane.h"
#include "control/rollout.h"
#include "engine/engine_registry.h"
#include "maintenance.h"
#include "output.h"
#include "storage/connection_spec.h"
#include "storage/database.h"
#include "storage/migrator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <cstdio>

#include <unistd.h>

using namespace trackwatch::core;
using namespace trackwatch::ctl;
using namespace Qt::StringLiterals;

namespace {

struct Context {
    ControlPlane& control;
    EngineRegistry& engines;
    bool json;
    QString reason;
    bool yes;     // --yes: no confirmation prompt
    int waitSecs; // how long to wait for engines to acknowledge
};

QString shortId(const QString& id) {
    return id.left(8);
}

QJsonObject engineJson(const EngineInstance& e, const QDateTime& now) {
    return QJsonObject{{u"id"_s, e.id},
                       {u"kind"_s, e.kind},
                       {u"host"_s, e.host},
                       {u"pid"_s, e.pid},
                       {u"status"_s, e.status(now)},
                       {u"controlVersion"_s, e.controlVersion},
                       {u"appliedAt"_s, timeText(e.appliedAt)},
                       {u"heartbeatAt"_s, timeText(e.heartbeatAt)},
                       {u"health"_s, e.health.state},
                       {u"healthReasons"_s, QJsonArray::fromStringList(e.health.reasons)}};
}

int enginesCommand(Context& ctx) {
    auto list = ctx.engines.engines();
    if (!list) {
        return failWith(list.error());
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (ctx.json) {
        QJsonArray array;
        for (const EngineInstance& e : *list) {
            array.append(engineJson(e, now));
        }
        printJson(array);
        return kOk;
    }
    QList<QStringList> rows;
    for (const EngineInstance& e : *list) {
        // A silent engine's last word is history, not its health now.
        const QString status = e.status(now);
        rows << QStringList{shortId(e.id),
                            e.kind,
                            u"%1:%2"_s.arg(e.host).arg(e.pid),
                            status,
                            QString::number(e.controlVersion),
                            status == u"gone" ? u"unknown (last: %1)"_s.arg(e.health.state)
                                              : e.health.state,
                            timeText(e.heartbeatAt),
                            e.health.reasons.join(u"; "_s)};
    }
    printTable({u"ENGINE"_s, u"KIND"_s, u"PROCESS"_s, u"STATUS"_s, u"VERSION"_s, u"HEALTH"_s,
                u"HEARTBEAT"_s, u"REASONS"_s},
               rows);
    return kOk;
}

// Asks on the terminal; without one (a script) --yes is the only way to say yes. Returns kOk
// when confirmed, else the exit code (after saying why).
int confirm(const Context& ctx, const QString& question) {
    if (ctx.yes) {
        return kOk;
    }
    if (!isatty(STDIN_FILENO)) {
        return fail(kUsage,
                    question + u" needs confirmation: run it from a terminal or add --yes"_s);
    }
    std::printf("%s Type yes to go on: ", qPrintable(question));
    std::fflush(stdout);
    char answer[16] = {};
    if (!std::fgets(answer, sizeof answer, stdin) ||
        QByteArray(answer).trimmed() != QByteArrayLiteral("yes")) {
        return fail(kFailed, u"not confirmed: nothing changed"_s);
    }
    return kOk;
}

// rollback / roll-forward: show what will change, confirm, change, then wait for every running
// engine to acknowledge the new control version and show each one's health on it.
int rollbackCommand(Context& ctx, bool forward) {
    const QString what = forward ? u"roll-forward"_s : u"rollback"_s;
    if (ctx.reason.trimmed().isEmpty()) {
        return fail(kUsage, what + u" needs --reason (who asked, why)"_s);
    }
    auto plan = forward ? ctx.control.rollForwardPlan() : ctx.control.rollbackPlan();
    if (!plan) {
        return failWith(plan.error());
    }
    if (!ctx.json) {
        QList<QStringList> rows;
        for (const FlagChange& c : *plan) {
            rows << QStringList{c.flag, c.before, c.after};
        }
        printTable({u"FLAG"_s, u"NOW"_s, u"AFTER"_s}, rows);
    }
    if (const int code = confirm(ctx, forward ? u"Restore these flags?"_s
                                              : u"Turn these optimizations off in every engine?"_s);
        code != kOk) {
        return code;
    }
    auto record = forward ? ctx.control.rollForward(ctx.reason) : ctx.control.rollback(ctx.reason);
    if (!record) {
        return failWith(record.error());
    }
    auto engines =
        ctx.engines.awaitVersion(record->controlVersion, std::chrono::seconds(ctx.waitSecs));
    if (!engines) {
        return failWith(engines.error());
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QStringList late;
    for (const EngineInstance& e : *engines) {
        if (e.status(now) == u"running" && e.controlVersion < record->controlVersion) {
            late << u"%1 (%2:%3)"_s.arg(shortId(e.id), e.host).arg(e.pid);
        }
    }
    if (ctx.json) {
        QJsonArray changes;
        for (const FlagChange& c : record->changes) {
            changes.append(
                QJsonObject{{u"flag"_s, c.flag}, {u"before"_s, c.before}, {u"after"_s, c.after}});
        }
        QJsonArray fleet;
        for (const EngineInstance& e : *engines) {
            QJsonObject o = engineJson(e, now);
            o.insert(u"acknowledged"_s, e.controlVersion >= record->controlVersion);
            fleet.append(o);
        }
        printJson(QJsonObject{{u"action"_s, what},
                              {u"rollbackId"_s, record->id},
                              {u"controlVersion"_s, record->controlVersion},
                              {u"changes"_s, changes},
                              {u"engines"_s, fleet},
                              {u"allAcknowledged"_s, late.isEmpty()}});
    } else {
        std::printf("\n%s done (control version %lld). Engines:\n", qPrintable(what),
                    record->controlVersion);
        QList<QStringList> rows;
        for (const EngineInstance& e : *engines) {
            if (e.status(now) != u"running") {
                continue;
            }
            rows << QStringList{shortId(e.id), u"%1:%2"_s.arg(e.host).arg(e.pid),
                                e.controlVersion >= record->controlVersion ? u"yes"_s : u"NO"_s,
                                e.health.state, e.health.reasons.join(u"; "_s)};
        }
        if (rows.isEmpty()) {
            std::printf("(no engine is running on this database)\n");
        } else {
            printTable({u"ENGINE"_s, u"PROCESS"_s, u"ACKNOWLEDGED"_s, u"HEALTH"_s, u"REASONS"_s},
                       rows);
        }
    }
    if (!late.isEmpty()) {
        return fail(kFailed, u"%1 is in the database, but these engines did not acknowledge it "
                             u"within %2 s: %3"_s.arg(what)
                                 .arg(ctx.waitSecs)
                                 .arg(late.join(u", "_s)));
    }
    return kOk;
}

int flagsCommand(Context& ctx, const QStringList& args) {
    const QString verb = args.value(0);
    if (verb == u"list" && args.size() == 1) {
        auto flags = ctx.control.flags();
        if (!flags) {
            return failWith(flags.error());
        }
        if (ctx.json) {
            QJsonArray array;
            for (const FlagValue& f : *flags) {
                array.append(QJsonObject{{u"name"_s, f.name},
                                         {u"enabled"_s, f.enabled},
                                         {u"source"_s, flagSourceName(f.source)},
                                         {u"updatedBy"_s, f.updatedBy},
                                         {u"updatedAt"_s, timeText(f.updatedAt)}});
            }
            printJson(array);
            return kOk;
        }
        QList<QStringList> rows;
        for (const FlagValue& f : *flags) {
            rows << QStringList{f.name, f.enabled ? u"on"_s : u"off"_s, flagSourceName(f.source),
                                f.updatedBy, timeText(f.updatedAt)};
        }
        printTable({u"FLAG"_s, u"VALUE"_s, u"SOURCE"_s, u"CHANGED BY"_s, u"CHANGED AT"_s}, rows);
        return kOk;
    }
    if ((verb == u"set" && args.size() == 3) || (verb == u"clear" && args.size() == 2)) {
        auto flag = ControlPlane::flagByName(args[1]);
        if (!flag) {
            return failWith(flag.error());
        }
        Status s;
        if (verb == u"set") {
            const QString value = args[2].toLower();
            if (value != u"on" && value != u"off" && value != u"true" && value != u"false") {
                return fail(kUsage, u"flags set: '%1' is not on or off"_s.arg(args[2]));
            }
            s = ctx.control.setFlag(*flag, value == u"on" || value == u"true", ctx.reason);
        } else {
            s = ctx.control.clearFlag(*flag, ctx.reason);
        }
        if (!s) {
            return failWith(s.error());
        }
        auto now = ctx.control.flag(*flag);
        if (!now) {
            return failWith(now.error());
        }
        std::printf("%s is %s (%s)\n", qPrintable(now->name), now->enabled ? "on" : "off",
                    qPrintable(flagSourceName(now->source)));
        return kOk;
    }
    return fail(kUsage, u"usage: flags list | flags set NAME on|off --reason R | "
                        u"flags clear NAME --reason R"_s);
}

int rolloutCommand(Context& ctx, const QStringList& args) {
    const QString verb = args.value(0);
    if (verb == u"list" && args.size() == 1) {
        auto list = ctx.control.rollouts();
        if (!list) {
            return failWith(list.error());
        }
        if (ctx.json) {
            QJsonArray array;
            for (const RolloutValue& r : *list) {
                array.append(QJsonObject{{u"name"_s, r.name},
                                         {u"percentage"_s, r.percentage},
                                         {u"default"_s, r.isDefault},
                                         {u"updatedBy"_s, r.updatedBy},
                                         {u"updatedAt"_s, timeText(r.updatedAt)}});
            }
            printJson(array);
            return kOk;
        }
        QList<QStringList> rows;
        for (const RolloutValue& r : *list) {
            rows << QStringList{r.name, u"%1 %"_s.arg(r.percentage),
                                r.isDefault ? u"default"_s : r.updatedBy, timeText(r.updatedAt)};
        }
        printTable({u"ROLLOUT"_s, u"PERCENT"_s, u"CHANGED BY"_s, u"CHANGED AT"_s}, rows);
        return kOk;
    }
    if (verb == u"set" && args.size() == 3) {
        bool ok = false;
        const int percentage = args[2].toInt(&ok);
        if (!ok || percentage < 0 || percentage > 100) {
            return fail(kUsage, u"rollout set: the percentage must be a whole number from 0 to "
                                u"100, not '%1'"_s.arg(args[2]));
        }
        auto moved = ctx.control.rolloutPreview(args[1], percentage);
        if (!moved) {
            return failWith(moved.error());
        }
        if (const Status s = ctx.control.setRollout(args[1], percentage, ctx.reason); !s) {
            return failWith(s.error());
        }
        std::printf("%s is at %d %% (%lld known accounts moved)\n", qPrintable(args[1]), percentage,
                    static_cast<long long>(*moved));
        return kOk;
    }
    if (verb == u"check" && args.size() == 2) {
        auto list = ctx.control.rollouts();
        if (!list) {
            return failWith(list.error());
        }
        QJsonArray array;
        QList<QStringList> rows;
        for (const RolloutValue& r : *list) {
            const int bucket = Rollout::bucket(r.name, args[1]);
            const bool in = bucket < r.percentage;
            array.append(QJsonObject{{u"rollout"_s, r.name},
                                     {u"bucket"_s, bucket},
                                     {u"percentage"_s, r.percentage},
                                     {u"included"_s, in}});
            rows << QStringList{r.name, QString::number(bucket), u"%1 %"_s.arg(r.percentage),
                                in ? u"yes (optimized)"_s : u"no (legacy)"_s};
        }
        if (ctx.json) {
            printJson(array);
        } else {
            std::printf("account %s\n", qPrintable(args[1]));
            printTable({u"ROLLOUT"_s, u"BUCKET"_s, u"PERCENT"_s, u"INCLUDED"_s}, rows);
        }
        return kOk;
    }
    return fail(kUsage, u"usage: rollout list | rollout set NAME PERCENT --reason R | "
                        u"rollout check ACCOUNT"_s);
}

int breakersCommand(Context& ctx, const QStringList& args) {
    const QString verb = args.value(0);
    if (verb == u"list" && args.size() == 1) {
        auto list = ctx.control.breakers();
        if (!list) {
            return failWith(list.error());
        }
        auto perEngine = ctx.engines.breakerStates();
        if (!perEngine) {
            return failWith(perEngine.error());
        }
        if (ctx.json) {
            QJsonArray array;
            for (const BreakerRecord& b : *list) {
                QJsonArray engines;
                for (const EngineBreakerState& e : *perEngine) {
                    if (e.operation == b.operation) {
                        engines.append(
                            QJsonObject{{u"engine"_s, e.engineId},
                                        {u"state"_s, e.state},
                                        {u"since"_s, timeText(e.since)},
                                        {u"consecutiveFailures"_s, e.consecutiveFailures},
                                        {u"windowCalls"_s, e.windowCalls},
                                        {u"windowFailures"_s, e.windowFailures}});
                    }
                }
                array.append(QJsonObject{{u"operation"_s, b.operation},
                                         {u"engines"_s, engines},
                                         {u"state"_s, b.state},
                                         {u"reason"_s, b.reason},
                                         {u"changedBy"_s, b.changedBy},
                                         {u"changedAt"_s, timeText(b.changedAt)}});
            }
            printJson(array);
            return kOk;
        }
        QList<QStringList> rows;
        for (const BreakerRecord& b : *list) {
            QStringList open;
            for (const EngineBreakerState& e : *perEngine) {
                if (e.operation == b.operation && e.state != u"closed") {
                    open << u"%1 %2 (%3 failures)"_s.arg(shortId(e.engineId), e.state)
                                .arg(std::max(e.consecutiveFailures, e.windowFailures));
                }
            }
            rows << QStringList{b.operation,        b.state, b.changedBy, timeText(b.changedAt),
                                open.join(u", "_s), b.reason};
        }
        printTable({u"BREAKER"_s, u"STATE"_s, u"CHANGED BY"_s, u"CHANGED AT"_s,
                    u"OPEN IN ENGINES"_s, u"REASON"_s},
                   rows);
        return kOk;
    }
    if ((verb == u"trip" || verb == u"reset") && args.size() == 2) {
        const Status s = verb == u"trip" ? ctx.control.tripBreaker(args[1], ctx.reason)
                                         : ctx.control.resetBreaker(args[1], ctx.reason);
        if (!s) {
            return failWith(s.error());
        }
        std::printf("%s is %s\n", qPrintable(args[1]),
                    verb == u"trip" ? "forced open (legacy path everywhere)" : "closed");
        return kOk;
    }
    return fail(kUsage, u"usage: breakers list | breakers trip NAME --reason R | "
                        u"breakers reset NAME --reason R"_s);
}

int auditCommand(Context& ctx, const QCommandLineParser& parser, const QCommandLineOption& target,
                 const QCommandLineOption& actor, const QCommandLineOption& since,
                 const QCommandLineOption& limit) {
    AuditFilter filter;
    filter.target = parser.value(target);
    filter.actor = parser.value(actor);
    if (parser.isSet(since)) {
        filter.since = QDateTime::fromString(parser.value(since), Qt::ISODate);
        if (!filter.since.isValid()) {
            return fail(kUsage,
                        u"--since: '%1' is not an ISO-8601 time"_s.arg(parser.value(since)));
        }
    }
    bool ok = true;
    filter.limit = parser.isSet(limit) ? parser.value(limit).toInt(&ok) : 50;
    if (!ok || filter.limit < 1) {
        return fail(kUsage, u"--limit: '%1' is not a positive number"_s.arg(parser.value(limit)));
    }
    auto entries = ctx.control.audit(filter);
    if (!entries) {
        return failWith(entries.error());
    }
    if (ctx.json) {
        QJsonArray array;
        for (const AuditEntry& e : *entries) {
            array.append(QJsonObject{{u"id"_s, e.id},
                                     {u"at"_s, timeText(e.at)},
                                     {u"actorRole"_s, e.actorRole},
                                     {u"actorOsUser"_s, e.actorOsUser},
                                     {u"action"_s, e.action},
                                     {u"target"_s, e.target},
                                     {u"oldValue"_s, e.oldValue},
                                     {u"newValue"_s, e.newValue},
                                     {u"reason"_s, e.reason}});
        }
        printJson(array);
        return kOk;
    }
    QList<QStringList> rows;
    for (const AuditEntry& e : *entries) {
        rows << QStringList{timeText(e.at), u"%1 (%2)"_s.arg(e.actorOsUser, e.actorRole),
                            e.target,       e.oldValue,
                            e.newValue,     e.reason};
    }
    printTable({u"AT"_s, u"ACTOR"_s, u"TARGET"_s, u"OLD"_s, u"NEW"_s, u"REASON"_s}, rows);
    return kOk;
}

// Options followed by a value, so that the value is never taken for a command word.
const QStringList kValuedOptions{u"--db"_s,    u"--reason"_s, u"--target"_s,
                                 u"--actor"_s, u"--since"_s,  u"--limit"_s,
                                 u"--wait"_s,  u"--config"_s, u"--tracking-days"_s};

// The command word: the first argument that is neither an option nor an option's value.
QString commandWord(const QStringList& arguments) {
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString& a = arguments[i];
        if (a == u"--") {
            return arguments.value(i + 1);
        }
        if (kValuedOptions.contains(a)) {
            ++i;
        } else if (!a.startsWith(u'-')) {
            return a;
        }
    }
    return {};
}

// QCommandLineParser takes "-1" for an option named 1. A negative number among the command's
// words, and the words after it, go behind "--", so the command says what is wrong with it
// ("rollout set caching -1": the percentage must be 0..100) instead of "Unknown option '1'".
QStringList protectNegativeNumbers(const QStringList& arguments) {
    static const QRegularExpression negative(u"^-[0-9.]"_s);
    if (arguments.contains(u"--"_s)) {
        return arguments;
    }
    QStringList front{arguments.value(0)};
    QStringList back;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString& a = arguments[i];
        if (kValuedOptions.contains(a) && i + 1 < arguments.size()) {
            front << a << arguments[++i];
        } else if (a.startsWith(u'-') && !negative.match(a).hasMatch()) {
            front << a;
        } else if (!back.isEmpty() || negative.match(a).hasMatch()) {
            back << a;
        } else {
            front << a;
        }
    }
    return back.isEmpty() ? arguments : front + QStringList{u"--"_s} + back;
}

// Commands that only read: they never migrate (a read-only role may not, and must not wait
// for the migration lock), and they refuse a schema older than this binary.
bool readsOnly(const QStringList& args) {
    const QString group = args.value(0);
    const QString verb = args.value(1);
    return (group == u"flags" && verb == u"list") ||
           (group == u"rollout" && (verb == u"list" || verb == u"check")) ||
           (group == u"breakers" && verb == u"list") || group == u"engines" || group == u"audit";
}

Result<std::unique_ptr<Database>> openFor(const ConnectionSpec& spec, bool readOnly) {
    if (readOnly) {
        return Migrator::openWithoutMigrating(spec);
    }
    auto database = Database::open(spec);
    if (!database) {
        return database.error();
    }
    Migrator migrator(**database);
    if (auto r = migrator.migrate(); !r) {
        return r.error();
    }
    return database;
}

// The help's summary of every command.
QString description() {
    return u"Trackwatch control plane from a terminal.\n\n"
           u"  flags list | flags set NAME on|off | flags clear NAME\n"
           u"  rollout list | rollout set NAME PERCENT | rollout check ACCOUNT\n"
           u"  breakers list | breakers trip NAME | breakers reset NAME\n"
           u"  rollback | roll-forward   [--yes] [--wait SECS]\n"
           u"  engines\n"
           u"  audit [--target T] [--actor A] [--since TIME] [--limit N]\n"
           u"  migrate\n"
           u"  retention show | retention run   [--config FILE] [--tracking-days N]\n"
           u"  backup FILE   (SQLite; on PostgreSQL prints the pg_dump command and exits 2)\n"
           u"  loadtest [--url U] [--duration-scale F | --duration SECS] [--accounts N] "
           u"[--json FILE]\n           (loadtest --help for all its options)\n\n"
           u"Changes need --reason. Listing commands and retention show never migrate: they need "
           u"a schema as new as this binary (backup never migrates either). Exit codes: 0 done, "
           u"1 database failed (or an engine did not acknowledge a rollback), 2 usage or "
           u"invalid input."_s;
}

// retention show|run with the policy from --config (or TRACKWATCH_CONFIG) and --tracking-days.
int retention(const ConnectionSpec& spec, const QStringList& args, const QCommandLineParser& parser,
              const QCommandLineOption& config, const QCommandLineOption& trackingDays) {
    bool daysOk = false;
    const int days = parser.value(trackingDays).toInt(&daysOk);
    if (!daysOk || days < 1 || days > 3650) {
        return fail(kUsage, u"--tracking-days: '%1' is not a number from 1 to 3650"_s.arg(
                                parser.value(trackingDays)));
    }
    const QString configPath =
        parser.isSet(config) ? parser.value(config) : qEnvironmentVariable("TRACKWATCH_CONFIG");
    auto settings = readConfigFile(configPath);
    if (!settings) {
        return fail(kUsage, u"--config: "_s + settings.error().message);
    }
    auto policy = RetentionPolicy::fromSettings(*settings, days);
    if (!policy) {
        return fail(kUsage, u"--config: "_s + policy.error().message);
    }
    return retentionCommand(spec, args, *policy, parser.isSet(u"json"_s));
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"trackwatch"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(TRACKWATCH_VERSION));
    if (commandWord(QCoreApplication::arguments()) == u"loadtest") {
        logging::initialize({}, u"warn"_s);
        return loadtestCommand(QCoreApplication::arguments());
    }
    QCommandLineParser parser;
    parser.setApplicationDescription(description());
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption db(u"db"_s,
                                u"Database (default: env TRACKWATCH_DB, else the "
                                u"console's SQLite file)."_s,
                                u"dsn"_s);
    const QCommandLineOption json(u"json"_s, u"Print JSON instead of tables."_s);
    const QCommandLineOption reason(u"reason"_s, u"Why: required for every change."_s, u"text"_s);
    const QCommandLineOption target(u"target"_s, u"audit: this target, or a prefix ending in *."_s,
                                    u"target"_s);
    const QCommandLineOption actor(u"actor"_s, u"audit: this database role or OS user."_s,
                                   u"name"_s);
    const QCommandLineOption since(u"since"_s, u"audit: from this ISO-8601 time."_s, u"time"_s);
    const QCommandLineOption limit(u"limit"_s, u"audit: at most N entries (default 50)."_s, u"n"_s);
    const QCommandLineOption yes(u"yes"_s, u"rollback, roll-forward: do not ask to confirm."_s);
    const QCommandLineOption wait(u"wait"_s,
                                  u"rollback, roll-forward: seconds to wait for every running "
                                  u"engine to acknowledge (default 10)."_s,
                                  u"secs"_s, u"10"_s);
    const QCommandLineOption config(u"config"_s,
                                    u"retention: the configuration file whose \"retention\" "
                                    u"section sets the policy (env TRACKWATCH_CONFIG)."_s,
                                    u"file"_s);
    const QCommandLineOption trackingDays(
        u"tracking-days"_s,
        u"retention: the engines' --tracking-days (default 30); pending replies are kept at "
        u"least a day longer."_s,
        u"days"_s, u"30"_s);
    parser.addOptions(
        {db, json, reason, target, actor, since, limit, yes, wait, config, trackingDays});
    parser.addPositionalArgument(u"command"_s,
                                 u"flags, rollout, breakers, rollback, roll-forward, engines, "
                                 u"audit, migrate, retention, backup or loadtest."_s);
    if (!parser.parse(protectNegativeNumbers(QCoreApplication::arguments()))) {
        return fail(kUsage, parser.errorText() + u" (try --help)"_s);
    }
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        return kOk;
    }
    if (parser.isSet(version)) {
        std::printf("trackwatchctl %s\n", TRACKWATCH_VERSION);
        return kOk;
    }
    logging::initialize({}, u"warn"_s);

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty()) {
        return fail(kUsage, u"no command (try --help)"_s);
    }
    const QString dsn = ConnectionSpec::chooseDsn(parser.value(db));
    auto spec = ConnectionSpec::parse(dsn);
    if (!spec) {
        return fail(kUsage, u"--db: "_s + spec.error().message);
    }
    const QString group = args.first();
    if (group == u"migrate" && args.size() == 1) {
        return migrateCommand(*spec, parser.isSet(json));
    }
    if (group == u"backup") {
        return backupCommand(*spec, args.mid(1), parser.isSet(json));
    }
    if (group == u"retention") {
        return retention(*spec, args.mid(1), parser, config, trackingDays);
    }
    bool waitOk = false;
    const int waitSecs = parser.value(wait).toInt(&waitOk);
    if (!waitOk || waitSecs < 0 || waitSecs > 600) {
        return fail(kUsage, u"--wait: '%1' is not a number of seconds from 0 to 600"_s.arg(
                                parser.value(wait)));
    }
    static const QStringList kGroups{u"flags"_s,        u"rollout"_s, u"breakers"_s, u"rollback"_s,
                                     u"roll-forward"_s, u"engines"_s, u"audit"_s};
    if (!kGroups.contains(group)) {
        return fail(kUsage, u"unknown command '%1' (try --help)"_s.arg(args.join(u' ')));
    }
    auto database = openFor(*spec, readsOnly(args));
    if (!database) {
        return fail(kFailed, database.error().message);
    }
    SystemClock clock;
    ControlPlane control(**database, clock);
    EngineRegistry registry(**database, clock);
    Context ctx{control,           registry, parser.isSet(json), parser.value(reason),
                parser.isSet(yes), waitSecs};
    if (group == u"flags") {
        return flagsCommand(ctx, args.mid(1));
    }
    if (group == u"rollout") {
        return rolloutCommand(ctx, args.mid(1));
    }
    if (group == u"breakers") {
        return breakersCommand(ctx, args.mid(1));
    }
    if ((group == u"rollback" || group == u"roll-forward") && args.size() == 1) {
        return rollbackCommand(ctx, group == u"roll-forward");
    }
    if (group == u"engines" && args.size() == 1) {
        return enginesCommand(ctx);
    }
    if (group == u"audit" && args.size() == 1) {
        return auditCommand(ctx, parser, target, actor, since, limit);
    }
    return fail(kUsage, u"unknown command '%1' (try --help)"_s.arg(args.join(u' ')));
}
