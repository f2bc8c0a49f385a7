// SPDX-License-Identifier: MIT
// The engine's shared options as trackwatchd and the console read them: every value that is not
// a number in range is refused with the option's name, and the log file they set up is private.
#include "common/logging.h"
#include "engine/command_line.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestCommandLine : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    Result<EngineConfig> read(const QStringList& options) {
        QCommandLineParser parser;
        EngineCommandLine engine(0, 0);
        engine.addTo(parser);
        const QStringList args =
            QStringList{u"trackwatchd"_s, u"--db"_s, m_dir.filePath(u"x.db"_s)} + options;
        if (!parser.parse(args)) {
            return Result<EngineConfig>::failure(ErrorCode::InvalidArgument, parser.errorText());
        }
        return engine.read(parser);
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void simulateRefusesWhatIsNotARate_data() {
        QTest::addColumn<QString>("value");
        QTest::newRow("nan") << u"nan"_s;
        QTest::newRow("NaN") << u"NaN"_s;
        QTest::newRow("-nan") << u"-nan"_s;
        QTest::newRow("inf") << u"inf"_s;
        QTest::newRow("-inf") << u"-inf"_s;
        QTest::newRow("negative") << u"-1"_s;
        QTest::newRow("too large") << u"1e400"_s;
        QTest::newRow("text") << u"fast"_s;
    }
    void simulateRefusesWhatIsNotARate() {
        QFETCH(QString, value);
        const auto config = read({u"--simulate"_s, value});
        QVERIFY2(!config, qPrintable(u"accepted --simulate "_s + value));
        QCOMPARE(config.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(config.error().message.contains(u"--simulate"_s),
                 qPrintable(config.error().message));
    }

    void simulateTakesARate() {
        for (const auto& [text, rate] :
             {std::pair{u"0"_s, 0.0}, std::pair{u"2000"_s, 2000.0}, std::pair{u"12.5"_s, 12.5}}) {
            const auto config = read({u"--simulate"_s, text});
            QVERIFY2(config, qPrintable(config ? QString() : config.error().message));
            QCOMPARE(config->simulateRate, rate);
        }
    }

    // Without --seed every start simulates new mail: a restart on the same database must not
    // make the last run's message ids again (all duplicates: 0 emails an hour). With --seed
    // the run is reproducible.
    void simulatorSeedIsTheStartUnlessGiven() {
        const auto given = read({u"--seed"_s, u"7"_s});
        QVERIFY(given);
        QCOMPARE(given->simulator.seed, 7u);
        const auto chosen = read({});
        QVERIFY(chosen);
        const auto now = static_cast<std::uint64_t>(QDateTime::currentMSecsSinceEpoch());
        QVERIFY(chosen->simulator.seed <= now && chosen->simulator.seed + 60'000 > now);
    }

    // The log is created 0600 whatever the umask lets through, and an older 0644 one is
    // tightened when it is opened again.
    void logFileIsPrivate() {
        const mode_t previous = ::umask(022);
        const QString logDir = EngineCommandLine::dataDirectory();
        const QString file = QDir(logDir).filePath(u"trackwatch.log"_s);
        QFile::remove(file);
        QVERIFY(read({}));
        logging::get("test.permissions")->warn("a line for the file");
        auto mode = [&file] {
            struct stat st {};
            return ::stat(QFile::encodeName(file).constData(), &st) == 0 ? (st.st_mode & 0777)
                                                                         : mode_t{07777};
        };
        QVERIFY(QFile::exists(file));
        QCOMPARE(mode(), mode_t{0600});
        logging::initialize({}, u"info"_s); // closes the file
        QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser |
                                                QFile::WriteUser | QFile::ReadGroup |
                                                QFile::ReadOther));
        QVERIFY(read({}));
        QCOMPARE(mode(), mode_t{0600});
        logging::initialize({}, u"info"_s);
        ::umask(previous);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_command_line.moc"
