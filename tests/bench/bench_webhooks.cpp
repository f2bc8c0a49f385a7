// SPDX-License-Identifier: MIT
// Webhook processing throughput on PostgreSQL, side by side in one run: the legacy processor
// (one job at a time) against the priority processor (batch claims with FOR UPDATE SKIP
// LOCKED, batch ingestion, set-based settling) at two batch sizes and with two worker threads
// on two connections. Every run starts from the same queue of N jobs whose messages the mail
// source already holds (80% sent mail, 20% replies to it), and is checked afterwards: every
// job done once, every message tracked, every reply matched. Prints jobs per minute and the
// ratios against legacy, the seed's target (800 jobs/minute) and our goal (600,000 jobs/minute
// = 10,000 jobs/s). Absolute numbers drift on shared machines; the ratios are the result.
//
//   bench_webhooks [--smoke] [--jobs N] [--legacy-jobs N] [--pg DSN]
//
// PostgreSQL comes from --pg, else TRACKWATCH_TEST_PG, else the test suites' default; a scratch
// database is created on it and dropped afterwards. When it cannot be reached the run is
// skipped with the reason, except under CI=true, where it fails. Exits nonzero when any run
// could not be made or checked.
#include "common/logging.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "storage/tracked_email_repository.h"
#include "tracking/ingestion_engine.h"
#include "webhooks/mail_source.h"
#include "webhooks/webhook_processor.h"
#include "webhooks/webhook_queue.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLocale>
#include <QThread>

#include <atomic>
#include <cstdio>
#include <latch>
#include <optional>
#include <thread>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
constexpr int kAccounts = 20;
constexpr double kSeedTarget = 800; // jobs per minute
constexpr double kGoal = 600'000;   // jobs per minute
constexpr int kReplyEvery = 5;      // every fifth message is a reply

QString accountOf(int i) {
    return u"seller-%1@company.example"_s.arg(i % kAccounts);
}

// Message i: sent mail, or (every kReplyEvery-th) a reply to the sent message four before it.
Delivery message(int i) {
    if (i % kReplyEvery == kReplyEvery - 1) {
        const Delivery parent = message(i - 4);
        MailMessage r;
        r.messageId = u"reply-%1@customer.example"_s.arg(i);
        r.subject = u"Re: "_s + parent.message.subject;
        r.sender = parent.message.recipients.first();
        r.senderName = u"Buyer"_s;
        r.recipients = {parent.account};
        r.inReplyTo = {parent.message.messageId};
        r.references = {parent.message.messageId};
        r.conversationId = parent.message.conversationId;
        r.sentAt = parent.message.sentAt.addSecs(900);
        return {parent.account, r};
    }
    const QString account = accountOf(i);
    MailMessage m;
    m.messageId = u"bench-%1.%2@company.example"_s.arg(i).arg(i * 2654435761u, 8, 16);
    m.conversationId = u"%1"_s.arg(i * 40503u, 44, 16, QLatin1Char('0'));
    m.subject = u"Proposal for the Q%1 renewal, order %2"_s.arg(i % 4 + 1).arg(i);
    m.sender = account;
    m.senderName = u"Seller %1"_s.arg(i % kAccounts);
    m.recipients = {u"contact-%1@customer-%2.example"_s.arg(i % 50).arg(i % 9)};
    m.sentAt = kT0.addMSecs(qint64(i) * 360);
    return {account, m};
}

struct Measurement {
    QString name;
    qint64 jobs = 0;
    double seconds = 0;
    double claimMs = 0; // mean time of one claim statement
    double perMinute() const { return seconds > 0 ? jobs * 60.0 / seconds : 0; }
};

qint64 scalar(Database& db, const QString& sql) {
    auto q = db.exec(sql);
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

class Bench {
public:
    Bench(ConnectionSpec spec, std::unique_ptr<Database> db)
        : m_spec(std::move(spec))
        , m_db(std::move(db)) {}

    // The provider's mailboxes hold every message before any job exists.
    bool storeSource(int messages) {
        MailSource source(*m_db, m_clock);
        TrackedEmailRepository repo(*m_db);
        for (int a = 0; a < kAccounts; ++a) {
            if (!repo.ensureAccount(accountOf(a))) {
                return false;
            }
        }
        QList<Delivery> chunk;
        for (int i = 0; i < messages; ++i) {
            chunk.append(message(i));
            if (chunk.size() == 2000 || i + 1 == messages) {
                if (const Status s = source.storeDeliveries(chunk); !s) {
                    std::fprintf(stderr, "storing the source failed: %s\n",
                                 qPrintable(s.error().message));
                    return false;
                }
                chunk.clear();
            }
        }
        (void)m_db->exec(u"VACUUM ANALYZE mail_source_messages"_s);
        return true;
    }

    // A fresh queue of the first `jobs` messages' notifications and no tracked mail.
    bool prepare(int jobs) {
        if (auto r = m_db->exec(u"TRUNCATE webhook_jobs, tracked_emails, pending_reply_refs, "
                                u"pending_replies, inbound_messages RESTART IDENTITY"_s);
            !r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().message));
            return false;
        }
        WebhookQueue queue(*m_db, m_clock);
        QList<WebhookNotification> list;
        list.reserve(jobs);
        for (int i = 0; i < jobs; ++i) {
            const Delivery d = message(i);
            WebhookNotification n;
            n.account = d.account;
            n.resourceId = d.message.messageId;
            n.notificationId = u"notification-%1"_s.arg(i);
            n.priority = (i * 7) % 4;
            list.append(n);
        }
        auto created = queue.enqueueMany(list);
        if (!created || *created != jobs) {
            std::fprintf(stderr, "enqueue failed: %s\n",
                         created ? "not every job created" : qPrintable(created.error().message));
            return false;
        }
        // The full queue's statistics. The emptied tracking tables keep none (TRUNCATE makes
        // their size unknown), so their plans follow their actual growth.
        (void)m_db->exec(u"VACUUM ANALYZE webhook_jobs"_s);
        return true;
    }

    // How PostgreSQL runs the priority claim on the full queue.
    QString claimPlan() {
        auto q = m_db->exec(u"EXPLAIN SELECT id FROM webhook_jobs WHERE state IN ('queued', "
                            u"'retry') AND available_at <= now() ORDER BY priority DESC, "
                            u"created_at, id LIMIT 500 FOR UPDATE SKIP LOCKED"_s);
        QStringList lines;
        while (q && q->next()) {
            lines << q->value(0).toString().trimmed();
        }
        return lines.filter(u"Scan"_s).join(u"; "_s);
    }

    // Every job done once; every sent message tracked and every reply matched.
    bool verify(const QString& name, int jobs) {
        const qint64 replies = jobs / kReplyEvery;
        const qint64 sent = jobs - replies;
        const qint64 done = scalar(*m_db, u"SELECT count(*) FROM webhook_jobs WHERE state = "
                                          u"'done' AND processed_count = 1"_s);
        const qint64 tracked = scalar(*m_db, u"SELECT count(*) FROM tracked_emails"_s);
        const qint64 replied = scalar(*m_db, u"SELECT count(*) FROM tracked_emails WHERE "
                                             u"tracking_status = 'replied'"_s);
        if (done != jobs || tracked != sent || replied != replies) {
            std::fprintf(stderr,
                         "%s: wrong result: %lld of %d jobs done once, %lld of %lld tracked, "
                         "%lld of %lld replied\n",
                         qPrintable(name), static_cast<long long>(done), jobs,
                         static_cast<long long>(tracked), static_cast<long long>(sent),
                         static_cast<long long>(replied), static_cast<long long>(replies));
            return false;
        }
        return true;
    }

    // Drains the queue with `threads` processors, each on a connection of its own opened
    // before the clock starts.
    std::optional<Measurement> run(const QString& name, bool legacy, int batch, int threads,
                                   int jobs) {
        if (!prepare(jobs)) {
            return std::nullopt;
        }
        std::latch opened(threads + 1);
        std::latch go(1);
        std::atomic<bool> failed{false};
        std::vector<ProcessStats> stats(static_cast<std::size_t>(threads));
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                auto db = Database::open(m_spec);
                opened.count_down();
                go.wait();
                if (!db) {
                    failed = true;
                    return;
                }
                SystemClock clock;
                WebhookProcessorConfig config;
                config.batchSize = batch;
                std::unique_ptr<WebhookProcessor> processor;
                if (legacy) {
                    processor = std::make_unique<WebhookProcessor>(**db, clock, config);
                } else {
                    processor = std::make_unique<PriorityWebhookProcessor>(**db, clock, config);
                }
                while (true) {
                    auto r = processor->processAvailable();
                    auto depth = processor->queue().depth();
                    if (!r || !depth) {
                        std::fprintf(stderr, "%s: %s\n", qPrintable(name),
                                     qPrintable(!r ? r.error().message : depth.error().message));
                        failed = true;
                        return;
                    }
                    if (*depth == 0) {
                        break;
                    }
                    QThread::usleep(200); // the other worker holds the last jobs
                }
                stats[static_cast<std::size_t>(t)] = processor->totals();
            });
        }
        opened.arrive_and_wait();
        QElapsedTimer timer;
        timer.start();
        go.count_down();
        for (std::thread& w : workers) {
            w.join();
        }
        if (threads > 1) {
            // Two workers can commit a reply and its parent at the same moment; the engine's
            // periodic pass settles those, as here (counted in the run's time).
            IngestionEngine engine(*m_db, m_clock);
            (void)engine.resolveStrandedPending();
        }
        const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
        if (failed || !verify(name, jobs)) {
            return std::nullopt;
        }
        ProcessStats total;
        for (const ProcessStats& s : stats) {
            total += s;
        }
        return Measurement{name, jobs, seconds, total.meanClaimMs()};
    }

private:
    ConnectionSpec m_spec;
    std::unique_ptr<Database> m_db;
    SystemClock m_clock;
};

QString grouped(double v) {
    return QLocale(QLocale::English).toString(v, 'f', 0);
}

void report(const QList<Measurement>& results, int jobs, const QString& plan) {
    const Measurement& legacy = results.first();
    std::printf("\nPostgreSQL 15: webhook jobs per minute (%s jobs queued with their messages "
                "stored beforehand; legacy on the first %s)\n",
                qPrintable(grouped(jobs)), qPrintable(grouped(legacy.jobs)));
    std::printf("  claim plan on the full queue: %s\n", qPrintable(plan));
    std::printf("  %-36s %8s %8s %12s %10s %12s %12s %9s\n", "processor", "jobs", "seconds",
                "jobs/minute", "vs legacy", "vs seed 800", "vs goal 600k", "claim ms");
    for (const Measurement& m : results) {
        std::printf("  %-36s %8lld %8.3f %12s %9.1fx %11.0fx %11.2fx %9.2f\n", qPrintable(m.name),
                    static_cast<long long>(m.jobs), m.seconds, qPrintable(grouped(m.perMinute())),
                    m.perMinute() / legacy.perMinute(), m.perMinute() / kSeedTarget,
                    m.perMinute() / kGoal, m.claimMs);
    }
    const Measurement* best = &results.first();
    for (const Measurement& m : results) {
        if (m.perMinute() > best->perMinute()) {
            best = &m;
        }
    }
    std::printf("  seed target (>= 800 jobs/minute): legacy %s, best %s; goal (>= 600,000 "
                "jobs/minute = 10,000 jobs/s): %s by %s (%s jobs/s)\n",
                legacy.perMinute() >= kSeedTarget ? "met" : "MISSED",
                best->perMinute() >= kSeedTarget ? "met" : "MISSED",
                best->perMinute() >= kGoal ? "met" : "MISSED", qPrintable(best->name),
                qPrintable(grouped(best->perMinute() / 60)));
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption smokeOpt(u"smoke"_s,
                                      u"A run of a few seconds: 2,000 jobs, legacy on 100."_s);
    const QCommandLineOption jobsOpt(u"jobs"_s, u"Jobs queued for the priority runs."_s, u"n"_s,
                                     u"100000"_s);
    const QCommandLineOption legacyOpt(u"legacy-jobs"_s, u"Jobs queued for the legacy run."_s,
                                       u"n"_s, u"5000"_s);
    const QCommandLineOption pgOpt(
        u"pg"_s, u"PostgreSQL server (a scratch database is created on it)."_s, u"dsn"_s,
        qEnvironmentVariable("TRACKWATCH_TEST_PG",
                             u"postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch"_s));
    parser.addOptions({smokeOpt, jobsOpt, legacyOpt, pgOpt});
    parser.process(app);
    logging::initialize({}, u"warn"_s);
    const bool smoke = parser.isSet(smokeOpt);
    const int jobs = smoke ? 2000 : parser.value(jobsOpt).toInt();
    const int legacyJobs = std::min(jobs, smoke ? 100 : parser.value(legacyOpt).toInt());
    if (jobs < kReplyEvery || legacyJobs < kReplyEvery) {
        std::fprintf(stderr, "--jobs and --legacy-jobs must be at least %d\n", kReplyEvery);
        return 2;
    }
    const bool ci = qEnvironmentVariable("CI") == u"true"_s;
    const auto unavailable = [&](const QString& why) {
        if (ci) {
            std::fprintf(stderr, "PostgreSQL unavailable under CI=true: %s\n", qPrintable(why));
            return 1;
        }
        std::printf("PostgreSQL unavailable, benchmark skipped: %s\n", qPrintable(why));
        return 0;
    };
    auto admin = ConnectionSpec::parse(parser.value(pgOpt));
    if (!admin) {
        std::fprintf(stderr, "--pg: %s\n", qPrintable(admin.error().message));
        return 2;
    }
    auto adminDb = Database::open(*admin);
    if (!adminDb) {
        return unavailable(adminDb.error().message);
    }
    const QString scratch = u"tw_bench_webhooks_%1"_s.arg(QCoreApplication::applicationPid());
    (void)(*adminDb)->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(scratch));
    if (auto r = (*adminDb)->exec(u"CREATE DATABASE %1"_s.arg(scratch)); !r) {
        return unavailable(r.error().message);
    }
    // Dropped however the run ends.
    struct DropScratch {
        Database& admin;
        QString name;
        ~DropScratch() { (void)admin.exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(name)); }
    } dropScratch{**adminDb, scratch};
    int exitCode = 0;
    {
        ConnectionSpec spec = *admin;
        spec.database = scratch;
        auto db = Database::open(spec);
        if (!db) {
            std::fprintf(stderr, "%s\n", qPrintable(db.error().message));
            return 1;
        }
        Migrator migrator(**db);
        if (auto m = migrator.migrate(); !m) {
            std::fprintf(stderr, "%s\n", qPrintable(m.error().message));
            return 1;
        }
        Bench bench(spec, std::move(db).value());
        QElapsedTimer setup;
        setup.start();
        if (!bench.storeSource(jobs)) {
            exitCode = 1;
        } else {
            std::printf("stored %s source messages in %.1f s\n", qPrintable(grouped(jobs)),
                        static_cast<double>(setup.elapsed()) / 1000.0);
            QString plan;
            if (bench.prepare(jobs)) {
                plan = bench.claimPlan();
            }
            QList<Measurement> results;
            const auto add = [&](std::optional<Measurement> m) {
                if (!m) {
                    exitCode = 1;
                    return;
                }
                results.append(*m);
                std::printf("  %-36s %8lld jobs in %.3f s\n", qPrintable(m->name),
                            static_cast<long long>(m->jobs), m->seconds);
                std::fflush(stdout);
            };
            add(bench.run(u"legacy, one job at a time"_s, true, 1, 1, legacyJobs));
            add(bench.run(u"priority, batch 100"_s, false, 100, 1, jobs));
            add(bench.run(u"priority, batch 500"_s, false, 500, 1, jobs));
            add(bench.run(u"priority, batch 500, 2 threads"_s, false, 500, 2, jobs));
            if (exitCode == 0) {
                report(results, jobs, plan);
            }
        }
    }
    return exitCode;
}
