// SPDX-License-Identifier: MIT
#include "tracking/traffic_simulator.h"

#include <QCryptographicHash>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <cmath>

using namespace trackwatch::core;
using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 3, 2), QTime(8, 0), Qt::UTC);

bool isSent(const SimulatedMail& mail) {
    return mail.message.sender == mail.account;
}

bool isHumanReply(const SimulatedMail& mail) {
    return !isSent(mail) && mail.message.kind == MessageKind::Normal;
}

QString kindName(MessageKind kind) {
    switch (kind) {
    case MessageKind::Normal:
        return u"normal"_s;
    case MessageKind::AutoReply:
        return u"auto"_s;
    case MessageKind::Bounce:
        return u"bounce"_s;
    }
    return u"?"_s;
}

// Every field, one line per delivery: what "identical output" compares.
QStringList fingerprint(const QList<SimulatedMail>& mail) {
    QStringList lines;
    lines.reserve(mail.size());
    for (const auto& d : mail) {
        const MailMessage& m = d.message;
        lines.append(QStringList{d.account, m.messageId, m.conversationId, m.subject, m.sender,
                                 m.senderName, m.recipients.join(u','), m.inReplyTo.join(u','),
                                 m.references.join(u','),
                                 QString::number(m.sentAt.toMSecsSinceEpoch()), kindName(m.kind),
                                 m.bouncedMessageId, m.bouncedRecipients.join(u',')}
                         .join(u'|'));
    }
    return lines;
}

// Advances in equal steps from kT0 over `spanMs` and returns everything, in order.
QList<SimulatedMail> run(TrafficSimulator& sim, qint64 spanMs, qint64 stepMs, double perHour) {
    QList<SimulatedMail> all;
    for (qint64 t = stepMs; t < spanMs + stepMs; t += stepMs) {
        all.append(sim.advanceTo(kT0.addMSecs(std::min(t, spanMs)), perHour));
    }
    return all;
}

qsizetype countSent(const QList<SimulatedMail>& mail) {
    return std::count_if(mail.cbegin(), mail.cend(), isSent);
}

// The id of the sent message an answer refers to, by the strongest link it carries; for a
// conversation-only reply, looked up in `byConversation`.
QString parentIdOf(const SimulatedMail& d, const QHash<QString, QString>& byConversation) {
    const MailMessage& m = d.message;
    if (m.kind == MessageKind::Bounce) {
        return m.bouncedMessageId;
    }
    if (!m.inReplyTo.isEmpty()) {
        return m.inReplyTo.first();
    }
    if (!m.references.isEmpty()) {
        return m.references.last();
    }
    return byConversation.value(m.conversationId);
}

} // namespace

class TestTrafficSimulator : public QObject {
    Q_OBJECT
private slots:
    void accountNaming() {
        SimulatorConfig config;
        config.accounts = 3;
        TrafficSimulator three(config, kT0);
        QCOMPARE(three.accounts(),
                 (QStringList{u"sim-01@trackwatch.example"_s, u"sim-02@trackwatch.example"_s,
                              u"sim-03@trackwatch.example"_s}));

        TrafficSimulator defaults(SimulatorConfig{}, kT0);
        QCOMPARE(defaults.accounts().size(), 20);
        QCOMPARE(defaults.accounts().last(), u"sim-20@trackwatch.example"_s);
        QCOMPARE(defaults.config().accounts, 20);

        config.accounts = 120;
        TrafficSimulator many(config, kT0);
        QCOMPARE(many.accounts().size(), 120);
        QCOMPARE(many.accounts().first(), u"sim-001@trackwatch.example"_s);
        QCOMPARE(many.accounts().at(98), u"sim-099@trackwatch.example"_s);
        QCOMPARE(many.accounts().last(), u"sim-120@trackwatch.example"_s);

        // Mail lands only in those mailboxes; sent mail is from the mailbox's own address.
        config.accounts = 3;
        TrafficSimulator sim(config, kT0);
        const auto mail = sim.advanceTo(kT0.addSecs(3600), 2000);
        QVERIFY(mail.size() > 1000);
        QSet<QString> seen;
        for (const auto& d : mail) {
            QVERIFY2(three.accounts().contains(d.account), qPrintable(d.account));
            QVERIFY(d.message.recipients.size() >= 1);
            if (isSent(d)) {
                seen.insert(d.account);
            } else {
                QCOMPARE(d.message.recipients, QStringList{d.account});
            }
        }
        QCOMPARE(seen.size(), 3);
    }

    void sentMessageShape() {
        SimulatorConfig config;
        config.accounts = 4;
        TrafficSimulator sim(config, kT0);
        const auto mail = sim.advanceTo(kT0.addSecs(2 * 3600), 3000);
        const QRegularExpression id(u"^sim-\\d+\\.[0-9a-f]{16}@trackwatch\\.example$"_s);
        const QRegularExpression conversation(u"^[0-9a-f]{44}$"_s);
        const QRegularExpression contact(u"^contact-\\d{4,}@customer-\\d{2}\\.example$"_s);
        QSet<QString> ids;
        QHash<QString, QSet<QString>> correspondents;
        QSet<QString> subjects;
        int recipientCounts[4] = {};
        for (const auto& d : mail) {
            const MailMessage& m = d.message;
            QVERIFY2(id.match(m.messageId).hasMatch(), qPrintable(m.messageId));
            QVERIFY2(!ids.contains(m.messageId), qPrintable(m.messageId));
            ids.insert(m.messageId);
            QCOMPARE(m.sentAt.timeSpec(), Qt::UTC);
            QVERIFY(!m.subject.isEmpty());
            if (!isSent(d)) {
                continue;
            }
            QVERIFY2(conversation.match(m.conversationId).hasMatch(), qPrintable(m.conversationId));
            QVERIFY(!m.senderName.isEmpty());
            QCOMPARE(m.kind, MessageKind::Normal);
            QVERIFY(m.inReplyTo.isEmpty() && m.references.isEmpty());
            QVERIFY(m.recipients.size() >= 1 && m.recipients.size() <= 3);
            ++recipientCounts[m.recipients.size()];
            QCOMPARE(QSet<QString>(m.recipients.cbegin(), m.recipients.cend()).size(),
                     m.recipients.size());
            for (const auto& r : m.recipients) {
                QVERIFY2(contact.match(r).hasMatch(), qPrintable(r));
                correspondents[d.account].insert(r);
            }
            subjects.insert(m.subject.section(u" #"_s, 0, 0));
            QVERIFY2(QRegularExpression(u"^.+ #\\d+$"_s).match(m.subject).hasMatch(),
                     qPrintable(m.subject));
        }
        QVERIFY(countSent(mail) > 5000);
        QVERIFY(recipientCounts[1] > 0 && recipientCounts[2] > 0 && recipientCounts[3] > 0);
        QVERIFY(subjects.size() >= 8);
        QCOMPARE(correspondents.size(), 4);
        for (auto it = correspondents.cbegin(); it != correspondents.cend(); ++it) {
            QVERIFY2(it->size() <= 50, qPrintable(it.key()));
            QVERIFY2(it->size() >= 45, qPrintable(it.key())); // the pool is used, not one name
        }
        // Pools are per account.
        const auto first = correspondents.value(u"sim-01@trackwatch.example"_s);
        QVERIFY(!first.intersects(correspondents.value(u"sim-02@trackwatch.example"_s)));
    }

    void sameSeedSameOutput() {
        SimulatorConfig config;
        config.seed = 42;
        config.outOfOrderRate = 0.05;
        TrafficSimulator a(config, kT0);
        TrafficSimulator b(config, kT0);
        QStringList fa;
        QStringList fb;
        for (int i = 1; i <= 240; ++i) {
            const QDateTime now = kT0.addMSecs(qint64{i} * 15'000);
            const double rate = i < 120 ? 5000 : 1234.5;
            fa.append(fingerprint(a.advanceTo(now, rate)));
            fb.append(fingerprint(b.advanceTo(now, rate)));
        }
        QVERIFY(fa.size() > 3000);
        QCOMPARE(fa.size(), fb.size());
        QCOMPARE(fa, fb);
    }

    void differentSeedDifferentOutput() {
        SimulatorConfig config;
        config.seed = 1;
        TrafficSimulator a(config, kT0);
        config.seed = 2;
        TrafficSimulator b(config, kT0);
        const auto ma = a.advanceTo(kT0.addSecs(600), 3600);
        const auto mb = b.advanceTo(kT0.addSecs(600), 3600);
        QVERIFY(!ma.isEmpty() && !mb.isEmpty());
        QVERIFY(fingerprint(ma) != fingerprint(mb));
        QVERIFY(ma.first().message.messageId != mb.first().message.messageId);
        QVERIFY(ma.first().message.conversationId != mb.first().message.conversationId);
        QVERIFY(ma.first().message.sentAt != mb.first().message.sentAt);
    }

    void chunkedEqualsSingle() {
        SimulatorConfig config;
        config.seed = 9;
        config.outOfOrderRate = 0.1;
        config.meanReplyDelaySeconds = 300;
        const qint64 spanMs = 2 * 3600 * 1000;
        const double rate = 7777;

        TrafficSimulator whole(config, kT0);
        const auto single = whole.advanceTo(kT0.addMSecs(spanMs), rate);

        TrafficSimulator pieces(config, kT0);
        QList<SimulatedMail> chunked;
        const qint64 steps[] = {1, 999, 7000, 13'500, 1, 1, 250, 61'000, 3};
        qint64 t = 0;
        int calls = 0;
        for (int i = 0; t < spanMs; ++i) {
            t = std::min(spanMs, t + steps[i % std::size(steps)]);
            chunked.append(pieces.advanceTo(kT0.addMSecs(t), rate));
            if (i % 5 == 0) { // no-op calls in between change nothing
                QVERIFY(pieces.advanceTo(kT0.addMSecs(t), rate).isEmpty());
                QVERIFY(pieces.advanceTo(kT0.addMSecs(t - 500), rate).isEmpty());
            }
            ++calls;
        }
        QVERIFY(calls > 500);
        QVERIFY(single.size() > 15'000);
        QCOMPARE(chunked.size(), single.size());
        QCOMPARE(fingerprint(chunked), fingerprint(single));
    }

    void ratesHonoured() {
        SimulatorConfig config;
        config.seed = 3;
        config.accounts = 20;
        config.replyRate = 0.35;
        config.autoReplyRate = 0.05;
        config.bounceRate = 0.02;
        config.outOfOrderRate = 0.01;
        TrafficSimulator sim(config, kT0);
        auto mail = run(sim, 3600 * 1000, 60'000, 20'000);
        // With no new mail, the answers still due keep arriving; none are lost.
        const auto tail = sim.advanceTo(kT0.addDays(2), 0);
        QCOMPARE(countSent(tail), 0);
        QVERIFY(!tail.isEmpty());
        mail.append(tail);
        QVERIFY(sim.advanceTo(kT0.addDays(30), 0).isEmpty());

        qsizetype sent = 0;
        qsizetype replies = 0;
        qsizetype autoReplies = 0;
        qsizetype bounces = 0;
        qsizetype withInReplyTo = 0;
        qsizetype referencesOnly = 0;
        qsizetype conversationOnly = 0;
        for (const auto& d : mail) {
            const MailMessage& m = d.message;
            if (isSent(d)) {
                ++sent;
            } else if (m.kind == MessageKind::AutoReply) {
                ++autoReplies;
            } else if (m.kind == MessageKind::Bounce) {
                ++bounces;
            } else {
                ++replies;
                if (!m.inReplyTo.isEmpty()) {
                    ++withInReplyTo;
                } else if (!m.references.isEmpty()) {
                    ++referencesOnly;
                } else {
                    QVERIFY(!m.conversationId.isEmpty());
                    ++conversationOnly;
                }
            }
        }
        QVERIFY2(sent >= 19'600 && sent <= 20'400, qPrintable(QString::number(sent)));
        const auto share = [&](qsizetype n) {
            return static_cast<double>(n) / static_cast<double>(sent);
        };
        qInfo("sent %lld: replies %.4f, auto-replies %.4f, bounces %.4f", qint64{sent},
              share(replies), share(autoReplies), share(bounces));
        QVERIFY2(std::abs(share(replies) - config.replyRate) <= 0.02, "reply share");
        QVERIFY2(std::abs(share(autoReplies) - config.autoReplyRate) <= 0.01, "auto-reply share");
        QVERIFY2(std::abs(share(bounces) - config.bounceRate) <= 0.01, "bounce share");
        // Every matching method is exercised, in roughly the intended mix.
        const auto ofReplies = [&](qsizetype n) {
            return static_cast<double>(n) / static_cast<double>(replies);
        };
        QVERIFY2(std::abs(ofReplies(withInReplyTo) - 0.70) <= 0.03, "In-Reply-To share");
        QVERIFY2(std::abs(ofReplies(referencesOnly) - 0.20) <= 0.03, "References-only share");
        QVERIFY2(std::abs(ofReplies(conversationOnly) - 0.10) <= 0.03, "conversation-only share");
    }

    void answerDelays() {
        SimulatorConfig config;
        config.seed = 11;
        config.outOfOrderRate = 0;
        config.meanReplyDelaySeconds = 600;
        TrafficSimulator sim(config, kT0);
        auto mail = sim.advanceTo(kT0.addSecs(3600), 20'000);
        mail.append(sim.advanceTo(kT0.addDays(1), 0));

        QHash<QString, QDateTime> sentAt;
        QHash<QString, QString> byConversation;
        double replyDelaySum = 0;
        qsizetype replies = 0;
        qsizetype autoReplies = 0;
        qsizetype bounces = 0;
        for (const auto& d : mail) {
            const MailMessage& m = d.message;
            if (isSent(d)) {
                sentAt.insert(m.messageId, m.sentAt);
                byConversation.insert(m.conversationId, m.messageId);
                continue;
            }
            const QString parent = parentIdOf(d, byConversation);
            QVERIFY2(sentAt.contains(parent), qPrintable(m.messageId));
            const qint64 delayMs = sentAt.value(parent).msecsTo(m.sentAt);
            QVERIFY(delayMs >= 0);
            if (m.kind == MessageKind::AutoReply) {
                QVERIFY2(delayMs >= 1000 && delayMs <= 120'000, qPrintable(m.messageId));
                ++autoReplies;
            } else if (m.kind == MessageKind::Bounce) {
                QVERIFY2(delayMs >= 1000 && delayMs <= 60'000, qPrintable(m.messageId));
                ++bounces;
            } else {
                replyDelaySum += static_cast<double>(delayMs) / 1000.0;
                ++replies;
            }
        }
        QVERIFY(replies > 5000 && autoReplies > 500 && bounces > 200);
        const double mean = replyDelaySum / static_cast<double>(replies);
        qInfo("mean reply delay %.1f s over %lld replies", mean, qint64{replies});
        // Exponential: the standard error of the mean is ~600/sqrt(n), about 7 s here.
        QVERIFY2(std::abs(mean - 600) <= 30, qPrintable(QString::number(mean)));
    }

    void everyAnswerHasItsParent_data() {
        QTest::addColumn<double>("outOfOrderRate");
        QTest::newRow("in order") << 0.0;
        QTest::newRow("some out of order") << 0.05;
        QTest::newRow("half out of order") << 0.5;
    }

    void everyAnswerHasItsParent() {
        QFETCH(double, outOfOrderRate);
        SimulatorConfig config;
        config.seed = 5;
        config.accounts = 6;
        config.outOfOrderRate = outOfOrderRate;
        config.meanReplyDelaySeconds = 900;
        TrafficSimulator sim(config, kT0);
        auto mail = run(sim, 3600 * 1000, 10'000, 6000);
        mail.append(sim.advanceTo(kT0.addDays(1), 0));

        QHash<QString, SimulatedMail> sent;
        QHash<QString, QString> byConversation;
        // Conversation-only replies that arrive first can only be resolved by their parent.
        for (const auto& d : mail) {
            if (isSent(d)) {
                byConversation.insert(d.message.conversationId, d.message.messageId);
            }
        }
        qsizetype replies = 0;
        qsizetype early = 0;
        QSet<QString> answered;
        for (qsizetype i = 0; i < mail.size(); ++i) {
            const SimulatedMail& d = mail.at(i);
            const MailMessage& m = d.message;
            if (isSent(d)) {
                sent.insert(m.messageId, d);
                continue;
            }
            const QString parentId = parentIdOf(d, byConversation);
            QVERIFY2(!parentId.isEmpty(), qPrintable(m.messageId));
            QVERIFY2(!answered.contains(parentId), qPrintable(parentId)); // one answer each
            answered.insert(parentId);
            SimulatedMail parent = sent.value(parentId);
            if (!sent.contains(parentId)) {
                // Delivered ahead of its parent: only human replies, and the parent is next.
                QVERIFY2(isHumanReply(d), qPrintable(m.messageId));
                QVERIFY(i + 1 < mail.size());
                QCOMPARE(mail.at(i + 1).message.messageId, parentId);
                parent = mail.at(i + 1);
                ++early;
            }
            const MailMessage& p = parent.message;
            QCOMPARE(d.account, parent.account);
            QVERIFY(m.sentAt >= p.sentAt);
            QCOMPARE(m.recipients, QStringList{parent.account});
            switch (m.kind) {
            case MessageKind::Normal:
                ++replies;
                QCOMPARE(m.sender, p.recipients.first());
                QCOMPARE(m.conversationId, p.conversationId);
                QCOMPARE(m.subject, u"Re: "_s + p.subject);
                QVERIFY(m.inReplyTo.isEmpty() || m.inReplyTo == QStringList{p.messageId});
                QVERIFY(m.references.isEmpty() || m.references == QStringList{p.messageId});
                QVERIFY(m.messageId != p.messageId);
                break;
            case MessageKind::AutoReply:
                QCOMPARE(m.sender, p.recipients.first());
                QCOMPARE(m.subject, u"Automatic reply: "_s + p.subject);
                QCOMPARE(m.inReplyTo, QStringList{p.messageId});
                break;
            case MessageKind::Bounce:
                QCOMPARE(m.sender, u"mailer-daemon@trackwatch.example"_s);
                QCOMPARE(m.subject, u"Undeliverable: "_s + p.subject);
                QCOMPARE(m.bouncedMessageId, p.messageId);
                QCOMPARE(m.bouncedRecipients, QStringList{p.recipients.first()});
                QVERIFY(m.inReplyTo.isEmpty());
                break;
            }
        }
        QVERIFY(replies > 1500);
        const double earlyShare = static_cast<double>(early) / static_cast<double>(replies);
        qInfo("%lld of %lld replies delivered before their parent", qint64{early}, qint64{replies});
        if (outOfOrderRate == 0) {
            QCOMPARE(early, 0);
        } else {
            QVERIFY(early > 0);
            QVERIFY(std::abs(earlyShare - outOfOrderRate) <= 0.02 + outOfOrderRate * 0.1);
        }
    }

    void deliveryOrder() {
        SimulatorConfig config;
        config.seed = 8;
        config.outOfOrderRate = 0.05;
        config.meanReplyDelaySeconds = 120;
        TrafficSimulator sim(config, kT0);
        QDateTime previous = kT0;
        QDateTime last = kT0;
        qsizetype checked = 0;
        for (int i = 1; i <= 600; ++i) {
            const QDateTime now = kT0.addMSecs(qint64{i} * 6007);
            const auto mail = sim.advanceTo(now, 9000);
            for (qsizetype j = 0; j < mail.size(); ++j) {
                const auto& d = mail.at(j);
                // An early reply is delivered at its parent's time (the next entry), whatever its
                // Date says; everything else is delivered at its Date.
                const bool early =
                    isHumanReply(d) && j + 1 < mail.size() && isSent(mail.at(j + 1)) &&
                    d.message.conversationId == mail.at(j + 1).message.conversationId;
                const QDateTime at = early ? mail.at(j + 1).message.sentAt : d.message.sentAt;
                QVERIFY2(at > previous && at <= now, qPrintable(d.message.messageId));
                QVERIFY2(at >= last, qPrintable(d.message.messageId));
                last = at;
                ++checked;
            }
            previous = now;
        }
        QVERIFY(checked > 2000);
    }

    void sentPerHourHonoured_data() {
        QTest::addColumn<double>("perHour");
        QTest::addColumn<qint64>("stepMs");
        QTest::newRow("10000/h, one call") << 10'000.0 << qint64{3600 * 1000};
        QTest::newRow("10000/h, 1 s ticks") << 10'000.0 << qint64{1000};
        QTest::newRow("3600/h, 1 s ticks") << 3600.0 << qint64{1000};
        QTest::newRow("500/h, 250 ms ticks") << 500.0 << qint64{250};
        QTest::newRow("40000/h, 7 s ticks") << 40'000.0 << qint64{7000};
    }

    void sentPerHourHonoured() {
        QFETCH(double, perHour);
        QFETCH(qint64, stepMs);
        TrafficSimulator sim(SimulatorConfig{}, kT0);
        const auto mail = run(sim, 3600 * 1000, stepMs, perHour);
        const auto sent = static_cast<double>(countSent(mail));
        QVERIFY2(std::abs(sent - perHour) <= perHour * 0.02,
                 qPrintable(u"%1 sent, expected %2"_s.arg(sent).arg(perHour)));
    }

    void fractionsCarryOverShortCalls() {
        // 0.1 message per call: a rate that dropped fractions would send nothing.
        TrafficSimulator sim(SimulatorConfig{}, kT0);
        const auto mail = run(sim, 10 * 3600 * 1000, 1000, 360);
        const auto sent = static_cast<double>(countSent(mail));
        QVERIFY2(std::abs(sent - 3600) <= 72, qPrintable(QString::number(sent)));

        // One message per second on average: per second of simulated time, 0 to 2 of them.
        TrafficSimulator perSecond(SimulatorConfig{}, kT0);
        qsizetype total = 0;
        for (int s = 1; s <= 600; ++s) {
            const auto n = countSent(perSecond.advanceTo(kT0.addSecs(s), 3600));
            QVERIFY(n <= 2);
            total += n;
        }
        QVERIFY2(total >= 575 && total <= 625, qPrintable(QString::number(total)));
    }

    void notAfterPreviousReturnsNothing() {
        SimulatorConfig config;
        config.seed = 21;
        TrafficSimulator sim(config, kT0);
        QVERIFY(sim.advanceTo(kT0, 10'000).isEmpty());
        QVERIFY(sim.advanceTo(kT0.addSecs(-60), 10'000).isEmpty());
        QVERIFY(sim.advanceTo(QDateTime(), 10'000).isEmpty());
        const auto first = sim.advanceTo(kT0.addSecs(600), 10'000);
        QVERIFY(!first.isEmpty());
        QVERIFY(sim.advanceTo(kT0.addSecs(600), 10'000).isEmpty());
        QVERIFY(sim.advanceTo(kT0.addSecs(300), 10'000).isEmpty());
        const auto second = sim.advanceTo(kT0.addSecs(660), 10'000);
        QVERIFY(!second.isEmpty());

        // Those calls changed nothing: a simulator that never made them agrees.
        TrafficSimulator reference(config, kT0);
        QCOMPARE(fingerprint(reference.advanceTo(kT0.addSecs(600), 10'000)), fingerprint(first));
        QCOMPARE(fingerprint(reference.advanceTo(kT0.addSecs(660), 10'000)), fingerprint(second));

        // A zero or negative rate sends nothing new.
        TrafficSimulator idle(config, kT0);
        QVERIFY(idle.advanceTo(kT0.addSecs(3600), 0).isEmpty());
        QVERIFY(idle.advanceTo(kT0.addSecs(7200), -5).isEmpty());
    }

    void goldenOutput() {
        // The contract is bit-for-bit output on every machine and build: pin it. A change to
        // the PRNG, its transforms or the draw order shows up here (update the values only when
        // that change is intended, since it changes every simulated database).
        SimulatorConfig config;
        config.outOfOrderRate = 0.05;
        TrafficSimulator sim(config, kT0);
        auto mail = sim.advanceTo(kT0.addSecs(3600), 5000);
        mail.append(sim.advanceTo(kT0.addDays(1), 0));
        QCOMPARE(mail.size(), 7113);
        QCOMPARE(fingerprint(mail).first(),
                 u"sim-11@trackwatch.example|sim-1.92f89756082a4514@trackwatch.example|"
                 u"642e1c7bc266a3a7b27a48e29a23367324c123126ffd|Quote request #38737|"
                 u"sim-11@trackwatch.example|Farid Petrov|"
                 u"contact-0528@customer-36.example,contact-0547@customer-40.example|||"
                 u"1772438400867|normal||"_s);
        const QByteArray all = fingerprint(mail).join(u'\n').toUtf8();
        QCOMPARE(QCryptographicHash::hash(all, QCryptographicHash::Sha256).toHex(),
                 QByteArray("a74922a0f0e53af8ce2877b00a79fb35b5ad400b74a551c3b32c0bbec2e8de98"));
    }
};

QTEST_GUILESS_MAIN(TestTrafficSimulator)
#include "tst_traffic_simulator.moc"
