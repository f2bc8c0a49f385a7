// SPDX-License-Identifier: MIT
// Rollout bucketing: murmur3 against the published reference vectors, bucket vectors any other
// client can reproduce (cross-checked with an independent implementation), monotonicity and
// the share of treated accounts.
#include "control/rollout.h"

#include <QTest>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

class TestRollout : public QObject {
    Q_OBJECT
private slots:
    void murmur3ReferenceVectors_data() {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<uint>("seed");
        QTest::addColumn<uint>("expected");
        QTest::newRow("empty, seed 0") << QByteArray() << 0u << 0u;
        QTest::newRow("empty, seed 1") << QByteArray() << 1u << 0x514E28B7u;
        QTest::newRow("empty, seed max") << QByteArray() << 0xffffffffu << 0x81F16F39u;
        QTest::newRow("four zero bytes") << QByteArray(4, '\0') << 0u << 0x2362F9DEu;
        QTest::newRow("a") << QByteArray("a") << 0x9747b28cu << 0x7FA09EA6u;
        QTest::newRow("aa") << QByteArray("aa") << 0x9747b28cu << 0x5D211726u;
        QTest::newRow("aaa") << QByteArray("aaa") << 0x9747b28cu << 0x283E0130u;
        QTest::newRow("aaaa") << QByteArray("aaaa") << 0x9747b28cu << 0x5A97808Au;
        QTest::newRow("Hello, world!") << QByteArray("Hello, world!") << 0x9747b28cu << 0x24884CBAu;
        QTest::newRow("fox") << QByteArray("The quick brown fox jumps over the lazy dog")
                             << 0x9747b28cu << 0x2FA826CDu;
        QTest::newRow("test, seed 0") << QByteArray("test") << 0u << 0xba6bd213u;
        QTest::newRow("Hello, seed 0") << QByteArray("Hello, world!") << 0u << 0xc0363e43u;
        QTest::newRow("fox, seed 0")
            << QByteArray("The quick brown fox jumps over the lazy dog") << 0u << 0x2e4ff723u;
    }
    void murmur3ReferenceVectors() {
        QFETCH(QByteArray, data);
        QFETCH(uint, seed);
        QFETCH(uint, expected);
        QCOMPARE(murmur3_32(data, seed), expected);
    }

    // murmur3_32(UTF-8 "<rollout>:<account>", 0) % 100: reproduce these in any client.
    void bucketVectors_data() {
        QTest::addColumn<QString>("rollout");
        QTest::addColumn<QString>("account");
        QTest::addColumn<int>("bucket");
        QTest::newRow("1") << u"optimizedQueries"_s << u"account-1"_s << 19;
        QTest::newRow("2") << u"optimizedQueries"_s << u"account-2"_s << 94;
        QTest::newRow("3") << u"optimizedQueries"_s << u"sim-01@trackwatch.example"_s << 30;
        QTest::newRow("4") << u"optimizedQueries"_s << u"42"_s << 51;
        QTest::newRow("5, non-ASCII") << u"optimizedQueries"_s << u"ü@beispiel.de"_s << 9;
        QTest::newRow("6") << u"caching"_s << u"account-1"_s << 98;
        QTest::newRow("7") << u"caching"_s << u"sim-01@trackwatch.example"_s << 94;
        QTest::newRow("8") << u"caching"_s << u"42"_s << 16;
        QTest::newRow("9") << u"batchProcessing"_s << u"account-1"_s << 34;
        QTest::newRow("10") << u"batchProcessing"_s << u"42"_s << 11;
    }
    void bucketVectors() {
        QFETCH(QString, rollout);
        QFETCH(QString, account);
        QFETCH(int, bucket);
        QCOMPARE(Rollout::bucket(rollout, account), bucket);
        QCOMPARE(Rollout::includes(rollout, account, bucket), false);
        QCOMPARE(Rollout::includes(rollout, account, bucket + 1), true);
    }

    void raisingAPercentageNeverRemovesAnAccount() {
        for (const auto& def : Rollout::definitions()) {
            for (int i = 0; i < 2000; ++i) {
                const QString account = u"account-%1"_s.arg(i);
                bool wasIn = false;
                for (int p = 0; p <= 100; ++p) {
                    const bool in = Rollout::includes(def.name, account, p);
                    QVERIFY(!wasIn || in);
                    wasIn = in;
                }
                QVERIFY(!Rollout::includes(def.name, account, 0));
                QVERIFY(Rollout::includes(def.name, account, 100));
            }
        }
    }

    void treatedShareFollowsThePercentage_data() {
        QTest::addColumn<QString>("rollout");
        QTest::addColumn<int>("percentage");
        for (const auto& def : Rollout::definitions()) {
            for (int p : {1, 10, 25, 50, 75, 99}) {
                QTest::addRow("%s at %d", qPrintable(def.name), p) << def.name << p;
            }
        }
    }
    void treatedShareFollowsThePercentage() {
        QFETCH(QString, rollout);
        QFETCH(int, percentage);
        constexpr int kAccounts = 10'000;
        int in = 0;
        for (int i = 0; i < kAccounts; ++i) {
            in += Rollout::includes(rollout, u"acct-%1@customer.example"_s.arg(i), percentage);
        }
        const double share = 100.0 * in / kAccounts;
        QVERIFY2(std::abs(share - percentage) <= 2.0,
                 qPrintable(u"%1 % treated at %2 %"_s.arg(share).arg(percentage)));
    }

    void seedDefaultsAndRange() {
        const auto& defs = Rollout::definitions();
        QCOMPARE(defs.size(), 3);
        QCOMPARE(defs[0].name, u"optimizedQueries"_s);
        QCOMPARE(defs[0].defaultPercentage, 25);
        QCOMPARE(defs[1].name, u"caching"_s);
        QCOMPARE(defs[1].defaultPercentage, 50);
        QCOMPARE(defs[2].name, u"batchProcessing"_s);
        QCOMPARE(defs[2].defaultPercentage, 10);
        QVERIFY(Rollout::validPercentage(0));
        QVERIFY(Rollout::validPercentage(100));
        QVERIFY(!Rollout::validPercentage(-1));
        QVERIFY(!Rollout::validPercentage(101));
    }
};

QTEST_GUILESS_MAIN(TestRollout)
#include "tst_rollout.moc"
