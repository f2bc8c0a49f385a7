// SPDX-License-Identifier: MIT
// Ingestion throughput, side by side in one run: legacy (row at a time) vs batch, against a raw
// baseline on the same schema (PostgreSQL COPY; SQLite one-transaction bulk insert). Prints
// emails/hour and ratios. Absolute numbers drift on shared machines; the ratios are the result.
//
//   bench_ingestion [--rows N] [--legacy-rows N] [--pg DSN] [--sqlite-only]
#include "common/logging.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "storage/tracked_email_repository.h"
#include "tracking/ingestion_engine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlDriver>
#include <QTemporaryDir>

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 2), QTime(9, 0), Qt::UTC);
constexpr int kAccounts = 20;

QList<Delivery> makeMail(int rows) {
    QList<Delivery> list;
    list.reserve(rows);
    for (int i = 0; i < rows; ++i) {
        const QString account = u"sender-%1@company.example"_s.arg(i % kAccounts);
        MailMessage m;
        m.messageId = u"bench-%1.%2@company.example"_s.arg(i).arg(i * 2654435761u, 8, 16);
        m.conversationId = u"%1"_s.arg(i * 40503u, 44, 16, QLatin1Char('0'));
        m.subject = u"Re: Proposal for the Q%1 renewal, order %2"_s.arg(i % 4 + 1).arg(i);
        m.sender = account;
        m.senderName = u"Sender %1"_s.arg(i % kAccounts);
        m.recipients = {u"contact-%1@customer-%2.example"_s.arg(i % 50).arg(i % 9)};
        m.sentAt = kT0.addMSecs(qint64(i) * 360);
        list.append({account, m});
    }
    return list;
}

struct Measurement {
    QString name;
    qint64 rows = 0;
    double seconds = 0;
    double perHour() const { return seconds > 0 ? rows * 3600.0 / seconds : 0; }
};

using Setup = std::function<std::unique_ptr<Database>()>;

Measurement viaEngine(const QString& name, const Setup& setup, const QList<Delivery>& mail,
                      bool batch, int batchSize) {
    auto db = setup();
    SystemClock clock;
    IngestionEngine engine(*db, clock, {batch, batchSize, 30});
    // Accounts exist before timing starts, as they would in a running system.
    for (int a = 0; a < kAccounts; ++a) {
        (void)engine.repository().ensureAccount(u"sender-%1@company.example"_s.arg(a));
    }
    QElapsedTimer timer;
    timer.start();
    auto r = engine.ingest(mail);
    const double s = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    if (!r || r->stored != mail.size()) {
        std::fprintf(stderr, "%s failed: %s\n", qPrintable(name),
                     r ? "not every row stored" : qPrintable(r.error().message));
        std::exit(1);
    }
    return {name, mail.size(), s};
}

// The rows exactly as the engine stores them, as one text-format COPY stream.
QByteArray copyText(const QList<Delivery>& mail, const QHash<QString, qint64>& accounts) {
    auto esc = [](QString v) {
        v.replace(u'\\', u"\\\\"_s).replace(u'\t', u"\\t"_s).replace(u'\n', u"\\n"_s);
        return v;
    };
    QByteArray out;
    out.reserve(mail.size() * 300);
    const QString now = TrackedEmailRepository::timeValue(QDateTime::currentDateTimeUtc());
    for (const Delivery& d : mail) {
        const MailMessage& m = d.message;
        const QStringList cols = {QString::number(accounts.value(d.account)),
                                  esc(m.messageId),
                                  esc(m.conversationId),
                                  esc(m.subject),
                                  esc(m.subject),
                                  esc(m.sender),
                                  esc(m.recipients.join(u", ")),
                                  TrackedEmailRepository::timeValue(m.sentAt),
                                  now,
                                  now};
        out += cols.join(u'\t').toUtf8();
        out += '\n';
    }
    return out;
}

Measurement pgCopy(const Setup& setup, const QList<Delivery>& mail) {
    auto db = setup();
    TrackedEmailRepository repo(*db);
    QHash<QString, qint64> accounts;
    for (int a = 0; a < kAccounts; ++a) {
        const QString address = u"sender-%1@company.example"_s.arg(a);
        accounts.insert(address, repo.ensureAccount(address).value());
    }
    const QVariant handle = db->handle().driver()->handle();
    PGconn* conn = *static_cast<PGconn* const*>(handle.constData());
    QElapsedTimer timer;
    timer.start();
    const QByteArray data = copyText(mail, accounts);
    PGresult* res = PQexec(conn, "COPY tracked_emails (email_account_id, internet_message_id, "
                                 "conversation_id, subject, subject_normalized, sender, "
                                 "recipients, sent_at, created_at, updated_at) FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        std::fprintf(stderr, "COPY failed: %s\n", PQerrorMessage(conn));
        std::exit(1);
    }
    PQclear(res);
    PQputCopyData(conn, data.constData(), static_cast<int>(data.size()));
    PQputCopyEnd(conn, nullptr);
    res = PQgetResult(conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        std::fprintf(stderr, "COPY failed: %s\n", PQerrorMessage(conn));
        std::exit(1);
    }
    PQclear(res);
    while ((res = PQgetResult(conn)) != nullptr) {
        PQclear(res);
    }
    return {u"raw COPY (baseline)"_s, mail.size(), static_cast<double>(timer.nsecsElapsed()) / 1e9};
}

Measurement sqliteBulk(const Setup& setup, const QList<Delivery>& mail) {
    auto db = setup();
    TrackedEmailRepository repo(*db);
    QHash<QString, qint64> accounts;
    for (int a = 0; a < kAccounts; ++a) {
        const QString address = u"sender-%1@company.example"_s.arg(a);
        accounts.insert(address, repo.ensureAccount(address).value());
    }
    QElapsedTimer timer;
    timer.start();
    const Status s = db->transaction([&]() -> Status {
        QSqlQuery q(db->handle());
        if (!q.prepare(
                u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                u"conversation_id, subject, subject_normalized, sender, recipients, "
                u"sent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s)) {
            return sqlError(q, u"prepare"_s);
        }
        const QString now = TrackedEmailRepository::timeValue(QDateTime::currentDateTimeUtc());
        for (const Delivery& d : mail) {
            const MailMessage& m = d.message;
            const QVariantList values = {accounts.value(d.account),
                                         m.messageId,
                                         m.conversationId,
                                         m.subject,
                                         m.subject,
                                         m.sender,
                                         m.recipients.join(u", "),
                                         TrackedEmailRepository::timeValue(m.sentAt),
                                         now,
                                         now};
            for (int i = 0; i < values.size(); ++i) {
                q.bindValue(i, values[i]);
            }
            if (!q.exec()) {
                return sqlError(q, u"insert"_s);
            }
        }
        return {};
    });
    if (!s) {
        std::fprintf(stderr, "bulk insert failed: %s\n", qPrintable(s.error().message));
        std::exit(1);
    }
    return {u"raw bulk insert, one transaction (baseline)"_s, mail.size(),
            static_cast<double>(timer.nsecsElapsed()) / 1e9};
}

void report(const QString& title, const QList<Measurement>& results) {
    const Measurement& baseline = results.last();
    std::printf("\n%s\n", qPrintable(title));
    std::printf("  %-46s %9s %9s %14s %10s\n", "path", "rows", "seconds", "emails/hour", "vs base");
    for (const Measurement& m : results) {
        std::printf("  %-46s %9lld %9.3f %14.0f %9.1f%%\n", qPrintable(m.name),
                    static_cast<long long>(m.rows), m.seconds, m.perHour(),
                    100.0 * m.perHour() / baseline.perHour());
    }
    std::printf("  seed target: 10,000 emails/hour; batch(100) is %.0fx the target and %.2fx "
                "legacy\n",
                results[1].perHour() / 10000.0, results[1].perHour() / results[0].perHour());
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption rowsOpt(u"rows"_s, u"Rows for batch and baseline runs."_s, u"n"_s,
                                     u"50000"_s);
    const QCommandLineOption legacyOpt(u"legacy-rows"_s, u"Rows for the legacy run."_s, u"n"_s,
                                       u"10000"_s);
    const QCommandLineOption pgOpt(
        u"pg"_s, u"PostgreSQL server (a scratch database is created on it)."_s, u"dsn"_s,
        qEnvironmentVariable("TRACKWATCH_TEST_PG",
                             u"postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch"_s));
    const QCommandLineOption sqliteOnly(u"sqlite-only"_s, u"Skip PostgreSQL."_s);
    parser.addOptions({rowsOpt, legacyOpt, pgOpt, sqliteOnly});
    parser.process(app);
    logging::initialize({}, u"warn"_s);
    const int rows = parser.value(rowsOpt).toInt();
    const int legacyRows = parser.value(legacyOpt).toInt();
    const QList<Delivery> mail = makeMail(rows);
    const QList<Delivery> legacyMail = mail.mid(0, legacyRows);

    QTemporaryDir dir;
    int fileNo = 0;
    const Setup sqlite = [&] {
        ConnectionSpec spec;
        spec.path = dir.filePath(u"bench-%1.db"_s.arg(++fileNo));
        auto db = Database::open(spec).value();
        Migrator m(*db);
        (void)m.migrate();
        return std::unique_ptr<Database>(std::move(db));
    };
    report(u"SQLite (WAL, synchronous=NORMAL)"_s,
           {viaEngine(u"legacy, row at a time"_s, sqlite, legacyMail, false, 1),
            viaEngine(u"batch, 100 per transaction"_s, sqlite, mail, true, 100),
            viaEngine(u"batch, 1000 per transaction"_s, sqlite, mail, true, 1000),
            sqliteBulk(sqlite, mail)});

    if (parser.isSet(sqliteOnly)) {
        return 0;
    }
    auto admin = ConnectionSpec::parse(parser.value(pgOpt));
    if (!admin) {
        std::fprintf(stderr, "--pg: %s\n", qPrintable(admin.error().message));
        return 2;
    }
    auto adminDb = Database::open(*admin);
    if (!adminDb) {
        std::fprintf(stderr, "%s\n", qPrintable(adminDb.error().message));
        return 1;
    }
    const QString scratch = u"tw_bench_%1"_s.arg(QCoreApplication::applicationPid());
    const Setup postgres = [&] {
        (void)(*adminDb)->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(scratch));
        if (auto r = (*adminDb)->exec(u"CREATE DATABASE %1"_s.arg(scratch)); !r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().message));
            std::exit(1);
        }
        ConnectionSpec spec = *admin;
        spec.database = scratch;
        auto db = Database::open(spec).value();
        Migrator m(*db);
        (void)m.migrate();
        return std::unique_ptr<Database>(std::move(db));
    };
    report(u"PostgreSQL 15 (synchronous_commit on)"_s,
           {viaEngine(u"legacy, row at a time"_s, postgres, legacyMail, false, 1),
            viaEngine(u"batch, 100 per transaction"_s, postgres, mail, true, 100),
            viaEngine(u"batch, 1000 per transaction"_s, postgres, mail, true, 1000),
            pgCopy(postgres, mail)});
    (void)(*adminDb)->exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(scratch));
    return 0;
}
