// SPDX-License-Identifier: MIT
// Faults below the engine that need no server: the backoff's shape, the log's repeat filter,
// several processes racing to create one SQLite file, and the file's mode.
#include "common/repeat_filter_sink.h"
#include "storage/database.h"
#include "storage/reconnector.h"

#include <spdlog/sinks/ringbuffer_sink.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <thread>
#include <vector>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

spdlog::details::log_msg message(spdlog::log_clock::time_point at, std::string_view text,
                                 spdlog::level::level_enum level = spdlog::level::err) {
    return spdlog::details::log_msg(at, spdlog::source_loc{}, "core.engine", level, text);
}

// What the sink wrote, one string a line, without line ends.
std::vector<std::string> linesOf(spdlog::sinks::ringbuffer_sink_mt& sink) {
    std::vector<std::string> lines = sink.last_formatted();
    for (std::string& line : lines) {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
    }
    return lines;
}

} // namespace

class TestStorageFaults : public QObject {
    Q_OBJECT
private slots:
    void backoffDoublesUpToItsCapWithJitter() {
        const BackoffPolicy policy{500ms, 30'000ms};
        QCOMPARE(policy.delay(1, 0.999999).count(), 499); // [250, 500]
        QCOMPARE(policy.delay(1, 0.0).count(), 250);
        QCOMPARE(policy.delay(2, 0.0).count(), 500);
        QCOMPARE(policy.delay(3, 0.0).count(), 1000);
        QCOMPARE(policy.delay(7, 0.0).count(), 15'000); // 500 * 2^6 = 32 s, capped at 30 s
        QCOMPARE(policy.delay(100, 0.0).count(), 15'000);
        QCOMPARE(policy.delay(100, 1.0).count(), 30'000);
        const BackoffPolicy immediate{0ms, 0ms};
        QCOMPARE(immediate.delay(5, 0.5).count(), 0);
    }

    // The same error every tick for an hour: one line, then a summary a minute, not 3,600.
    void aRepeatedLineIsLoggedOnceThenSummarised() {
        auto out = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
        out->set_pattern("%v");
        logging::RepeatFilterSink filter(60s);
        filter.add_sink(out);
        const auto t0 = spdlog::log_clock::now();
        for (int s = 0; s < 3600; ++s) {
            filter.log(message(t0 + std::chrono::seconds(s), "database connection lost: gone"));
            if (s % 10 == 0) { // another message interleaved must not break the counting
                filter.log(message(t0 + std::chrono::seconds(s), "heartbeat failed"));
            }
        }
        const std::vector<std::string> lines = linesOf(*out);
        QCOMPARE(lines.front(), std::string("database connection lost: gone"));
        QCOMPARE(lines[1], std::string("heartbeat failed"));
        // One summary per window per message: 2 firsts + 59 summaries each (s = 60, 120, ...).
        QCOMPARE(lines.size(), std::size_t(2 + 59 * 2));
        QCOMPARE(lines[2], std::string("repeated 60 times in the last 60 s: "
                                       "database connection lost: gone"));
        QCOMPARE(lines[3], std::string("repeated 6 times in the last 60 s: heartbeat failed"));
        // A different level is a different line.
        filter.log(message(t0 + 3600s, "heartbeat failed", spdlog::level::warn));
        QCOMPARE(linesOf(*out).back(), std::string("heartbeat failed"));
    }

    void aLineQuietForAWindowIsAnOrdinaryLineAgain() {
        auto out = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10);
        out->set_pattern("%v");
        logging::RepeatFilterSink filter(60s);
        filter.add_sink(out);
        const auto t0 = spdlog::log_clock::now();
        filter.log(message(t0, "retrying"));
        filter.log(message(t0 + 61s, "retrying"));
        filter.log(message(t0 + 200s, "retrying"));
        QCOMPARE(linesOf(*out), (std::vector<std::string>{"retrying", "retrying", "retrying"}));
    }

    // Engines, the API and consoles open a new SQLite file at the same moment: none may fail
    // with "PRAGMA journal_mode=WAL: database is locked" (6 of 32 first starts did).
    void concurrentFirstOpensOfANewFileAllSucceed() {
        for (int round = 0; round < 20; ++round) {
            QTemporaryDir dir;
            ConnectionSpec spec;
            spec.dialect = Dialect::Sqlite;
            spec.path = dir.filePath(u"race.db"_s);
            constexpr int kOpeners = 6;
            std::vector<QString> errors(kOpeners);
            std::vector<std::thread> threads;
            for (int i = 0; i < kOpeners; ++i) {
                threads.emplace_back([&spec, &errors, i] {
                    auto db = Database::open(spec);
                    if (!db) {
                        errors[static_cast<size_t>(i)] = db.error().message;
                        return;
                    }
                    if (auto mode = (*db)->exec(u"PRAGMA journal_mode"_s);
                        !mode || !mode->next() || mode->value(0).toString() != u"wal") {
                        errors[static_cast<size_t>(i)] = u"not in WAL mode"_s;
                    }
                    // What an engine does next: migrate, that is write.
                    const Status wrote = (*db)->transaction([&] {
                        const Status created = Status::from(
                            (*db)->exec(u"CREATE TABLE IF NOT EXISTS t (x INTEGER)"_s));
                        return created ? Status::from((*db)->exec(u"INSERT INTO t VALUES (1)"_s))
                                       : created;
                    });
                    if (!wrote) {
                        errors[static_cast<size_t>(i)] = wrote.error().message;
                    }
                });
            }
            for (auto& t : threads) {
                t.join();
            }
            for (const QString& e : errors) {
                QVERIFY2(e.isEmpty(), qPrintable(u"round %1: %2"_s.arg(round).arg(e)));
            }
        }
    }

    // The database holds customers' mail metadata: not for every user of the machine.
    void aNewSqliteFileIsNotWorldReadable() {
        QTemporaryDir dir;
        ConnectionSpec spec;
        spec.dialect = Dialect::Sqlite;
        spec.path = dir.filePath(u"private.db"_s);
        auto db = Database::open(spec);
        QVERIFY2(db.ok(), db ? "" : qPrintable(db.error().message));
        QVERIFY((*db)->exec(u"CREATE TABLE t (x INTEGER)"_s).ok());
        for (const QString& file : {spec.path, spec.path + u"-wal"_s}) {
            struct stat st {};
            QCOMPARE(::stat(qPrintable(file), &st), 0);
            QCOMPARE(st.st_mode & 0777, 0640u);
        }
    }
};

QTEST_GUILESS_MAIN(TestStorageFaults)
#include "tst_storage_faults.moc"
