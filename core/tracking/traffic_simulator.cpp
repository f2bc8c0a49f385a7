// SPDX-License-Identifier: MIT
#include "tracking/traffic_simulator.h"

#include <QStringList>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <vector>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

namespace {

// Everything that decides *when* something happens is integer arithmetic, so the output is the
// same bit for bit on every compiler, libm and FPU (no std::log, no FMA contraction to worry
// about). Doubles only appear as exact conversions and comparisons.

constexpr qint64 kMsPerHour = 3'600'000;
// The send rate is held in thousandths of a message per hour. A message "costs" this many
// units of budget, and every simulated millisecond adds round(sentPerHour * 1000) units: at any
// rate, sentPerHour messages per hour on average, with no fraction lost between calls.
constexpr qint64 kRateScale = 1000;
constexpr qint64 kUnitsPerMessage = kMsPerHour * kRateScale; // < 2^32
constexpr double kMaxSentPerHour = 1e9;                      // keeps budget arithmetic in range
constexpr qint64 kMaxMeanReplyDelayMs = 30LL * 24 * 3600 * 1000;
constexpr int kCorrespondentsPerAccount = 50;
constexpr qint64 kAutoReplyMinMs = 1'000;
constexpr qint64 kAutoReplyMaxMs = 120'000;
constexpr qint64 kBounceMinMs = 1'000;
constexpr qint64 kBounceMaxMs = 60'000;
// How a human reply points at its parent.
constexpr double kInReplyToShare = 0.70;  // In-Reply-To and References
constexpr double kReferencesShare = 0.20; // References only; the rest: conversationId only

const QString kDomain = u"trackwatch.example"_s;
const QString kMailerDaemon = u"mailer-daemon@trackwatch.example"_s;
const QString kMailerDaemonName = u"Mail Delivery System"_s;

constexpr std::array kSubjects = {
    u"Invoice",
    u"Quote request",
    u"Contract renewal",
    u"Meeting follow-up",
    u"Project status update",
    u"Purchase order",
    u"Delivery schedule",
    u"Proposal",
    u"Support ticket",
    u"Price list update",
    u"Onboarding documents",
    u"Quarterly review",
    u"Order confirmation",
    u"Payment reminder",
    u"Service agreement",
    u"Workshop invitation",
};
constexpr std::array kFirstNames = {
    u"Anna", u"Ben",   u"Chloe", u"David", u"Elena", u"Farid", u"Grace", u"Hugo",
    u"Ines", u"Jonas", u"Kara",  u"Liam",  u"Mira",  u"Noah",  u"Olga",  u"Pavel",
};
constexpr std::array kLastNames = {
    u"Andersen", u"Becker", u"Costa",    u"Dubois",    u"Eriksen", u"Fischer", u"Garcia", u"Huber",
    u"Ivanova",  u"Jansen", u"Kowalski", u"Lindqvist", u"Moreau",  u"Novak",   u"Okafor", u"Petrov",
};

QString fromView(const char16_t* s) {
    return QString::fromUtf16(s);
}

// xoshiro256** seeded through SplitMix64 (https://prng.di.unimi.it/), with our own transforms.
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& word : m_s) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    std::uint64_t next() {
        const std::uint64_t result = std::rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = std::rotl(m_s[3], 45);
        return result;
    }

    // Uniform in [0, n) for 0 < n <= 2^32 (multiply-shift on the top 32 bits).
    std::uint64_t below(std::uint64_t n) { return ((next() >> 32) * n) >> 32; }

    // Uniform in [lo, hi].
    qint64 between(qint64 lo, qint64 hi) {
        return lo + static_cast<qint64>(below(static_cast<std::uint64_t>(hi - lo + 1)));
    }

    // Uniform in [0, 1), exactly representable: 53 random bits times 2^-53.
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // Exponentially distributed with the given mean (ms, <= kMaxMeanReplyDelayMs), computed as
    // -ln(U) * mean with a fixed-point logarithm: integer operations only.
    qint64 exponentialMs(qint64 meanMs) {
        const std::uint64_t lnQ32 = negLnQ32(next());
        const auto mean = static_cast<std::uint64_t>(meanMs);
        const std::uint64_t whole = (lnQ32 >> 32) * mean;
        const std::uint64_t part = ((lnQ32 & 0xffff'ffffULL) * mean) >> 32;
        return static_cast<qint64>(whole + part);
    }

private:
    // -ln(U) in Q32.32 for U = (top 32 bits + 1) / 2^32, uniform in (0, 1]; at most ~22.2.
    static std::uint64_t negLnQ32(std::uint64_t raw) {
        const std::uint64_t v = (raw >> 32) + 1;               // [1, 2^32]
        const int n = static_cast<int>(std::bit_width(v)) - 1; // integer part of log2(v), 0..32
        // y = v / 2^n in [1, 2), Q1.31.
        std::uint64_t y = n >= 31 ? v >> (n - 31) : v << (31 - n);
        std::uint64_t frac = 0; // fractional part of log2(v), Q0.32, one bit per squaring
        for (int bit = 31; bit >= 0; --bit) {
            y = (y * y) >> 31; // y < 2^32, so y * y < 2^64
            if (y >= (std::uint64_t{2} << 31)) {
                y >>= 1;
                frac |= std::uint64_t{1} << bit;
            }
        }
        const std::uint64_t log2v = (static_cast<std::uint64_t>(n) << 32) | frac;
        const std::uint64_t negLog2U = (std::uint64_t{32} << 32) - log2v; // [0, 32] in Q32.32
        constexpr std::uint64_t kLn2Q26 = 46'516'320;                     // ln(2) * 2^26
        return (negLog2U * kLn2Q26) >> 26; // < 2^37 * 2^26: no overflow
    }

    std::array<std::uint64_t, 4> m_s{};
};

QString hex(std::uint64_t value, int digits) {
    return QString::number(value, 16).rightJustified(digits, QLatin1Char('0'));
}

double rateShare(double r) {
    return r > 0 ? std::min(r, 1.0) : 0.0;
}

// A delivery with its place in the output order: by time, then sequence, then `sub` (0 puts an
// out-of-order reply immediately before its parent, which has the same time and sequence).
struct Scheduled {
    qint64 atMs = 0;
    std::uint64_t seq = 0;
    int sub = 1;
    Delivery mail;
};

bool before(const Scheduled& a, const Scheduled& b) {
    if (a.atMs != b.atMs) {
        return a.atMs < b.atMs;
    }
    if (a.seq != b.seq) {
        return a.seq < b.seq;
    }
    return a.sub < b.sub;
}

bool laterInHeap(const Scheduled& a, const Scheduled& b) {
    return before(b, a);
}

} // namespace

struct TrafficSimulator::Impl {
    Impl(const SimulatorConfig& c, const QDateTime& start)
        : m_config(c)
        , m_rng(c.seed)
        , m_accountCount(std::max(c.accounts, 1))
        , m_replyRate(rateShare(c.replyRate))
        , m_autoReplyRate(rateShare(c.autoReplyRate))
        , m_bounceRate(rateShare(c.bounceRate))
        , m_outOfOrderRate(rateShare(c.outOfOrderRate))
        , m_meanReplyDelayMs(
              std::clamp<qint64>(qint64{c.meanReplyDelaySeconds} * 1000, 0, kMaxMeanReplyDelayMs))
        , m_started(start.isValid())
        , m_refMs(start.isValid() ? start.toMSecsSinceEpoch() : 0) {
        const int width = std::max(2, static_cast<int>(QString::number(m_accountCount).size()));
        m_accountList.reserve(m_accountCount);
        for (int i = 1; i <= m_accountCount; ++i) {
            m_accountList.append(u"sim-%1@%2"_s.arg(i, width, 10, QLatin1Char('0')).arg(kDomain));
        }
        m_nextCost = drawCost();
    }

    qint64 drawCost() {
        // Uniform in [0.5, 1.5) message intervals: mean one interval, little variance.
        return kUnitsPerMessage / 2 + static_cast<qint64>(m_rng.below(kUnitsPerMessage));
    }

    static QString accountName(int account) {
        const auto i = static_cast<std::size_t>(account);
        return fromView(kFirstNames[(i * 5 + 3) % kFirstNames.size()]) + u' ' +
               fromView(kLastNames[(i * 11 + 1) % kLastNames.size()]);
    }

    static QString correspondent(int account, int index) {
        const qint64 g = qint64{account} * kCorrespondentsPerAccount + index;
        const qint64 customer = (qint64{account} * 3 + index / 5) % 40 + 1;
        return u"contact-%1@customer-%2.example"_s.arg(g + 1, 4, 10, QLatin1Char('0'))
            .arg(customer, 2, 10, QLatin1Char('0'));
    }

    static QString correspondentName(int account, int index) {
        const auto g = static_cast<std::size_t>(account) * kCorrespondentsPerAccount +
                       static_cast<std::size_t>(index);
        return fromView(kFirstNames[(g * 7 + 2) % kFirstNames.size()]) + u' ' +
               fromView(kLastNames[(g / kFirstNames.size() + g * 3) % kLastNames.size()]);
    }

    QString newMessageId(std::uint64_t seq) {
        // "<sim-SEQ.HEX@trackwatch.example>", normalized: no brackets, lower-case domain.
        return u"sim-%1.%2@%3"_s.arg(seq).arg(hex(m_rng.next(), 16), kDomain);
    }

    QString newConversationId() {
        // One draw per statement: the operands of + are evaluated in an unspecified order.
        QString id = hex(m_rng.next(), 16);
        id += hex(m_rng.next(), 16);
        id += hex(m_rng.next() >> 16, 12);
        return id;
    }

    static QDateTime utc(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC); }

    // One new sent message at `atMs`, and whatever answer it will get.
    void generate(qint64 atMs, std::vector<Scheduled>& out) {
        const std::uint64_t seq = ++m_lastSeq;
        const int account =
            static_cast<int>(m_rng.below(static_cast<std::uint64_t>(m_accountCount)));

        Scheduled sent;
        sent.atMs = atMs;
        sent.seq = seq;
        sent.mail.account = m_accountList.at(account);
        MailMessage& m = sent.mail.message;
        m.messageId = newMessageId(seq);
        m.conversationId = newConversationId();
        const auto subject = fromView(kSubjects[m_rng.below(kSubjects.size())]);
        const qint64 number = m_rng.between(1000, 99999);
        m.subject = u"%1 #%2"_s.arg(subject).arg(number);
        m.sender = sent.mail.account;
        m.senderName = accountName(account);
        // 1-3 distinct correspondents: 60% one, 30% two, 10% three.
        const std::uint64_t shape = m_rng.below(10);
        const int count = shape < 6 ? 1 : shape < 9 ? 2 : 3;
        int firstIndex = -1;
        while (m.recipients.size() < count) {
            const int index = static_cast<int>(m_rng.below(kCorrespondentsPerAccount));
            const QString address = correspondent(account, index);
            if (!m.recipients.contains(address)) {
                m.recipients.append(address);
                if (firstIndex < 0) {
                    firstIndex = index;
                }
            }
        }
        m.sentAt = utc(atMs);

        const double fate = m_rng.unit();
        if (fate < m_replyRate) {
            reply(sent, account, firstIndex, out);
        } else if (fate < m_replyRate + m_autoReplyRate) {
            autoReply(sent, account, firstIndex);
        } else if (fate < m_replyRate + m_autoReplyRate + m_bounceRate) {
            bounce(sent);
        }
        out.push_back(std::move(sent));
    }

    Scheduled answerTo(const Scheduled& parent, qint64 delayMs) {
        Scheduled a;
        a.atMs = parent.atMs + delayMs;
        a.seq = ++m_lastSeq;
        a.mail.account = parent.mail.account;
        a.mail.message.messageId = newMessageId(a.seq);
        a.mail.message.recipients = {parent.mail.account};
        a.mail.message.sentAt = utc(a.atMs);
        return a;
    }

    void reply(const Scheduled& parent, int account, int firstIndex, std::vector<Scheduled>& out) {
        const MailMessage& p = parent.mail.message;
        Scheduled a = answerTo(parent, m_rng.exponentialMs(m_meanReplyDelayMs));
        MailMessage& m = a.mail.message;
        m.sender = p.recipients.first();
        m.senderName = correspondentName(account, firstIndex);
        m.subject = u"Re: "_s + p.subject;
        m.conversationId = p.conversationId;
        const double method = m_rng.unit();
        if (method < kInReplyToShare) {
            m.inReplyTo = {p.messageId};
            m.references = {p.messageId};
        } else if (method < kInReplyToShare + kReferencesShare) {
            m.references = {p.messageId};
        } // else: only the conversation id ties it to the parent
        if (m_rng.unit() < m_outOfOrderRate) {
            // Delivered just before its parent, in the same batch; its Date stays later.
            a.atMs = parent.atMs;
            a.seq = parent.seq;
            a.sub = 0;
            out.push_back(std::move(a));
        } else {
            schedule(std::move(a));
        }
    }

    void autoReply(const Scheduled& parent, int account, int firstIndex) {
        const MailMessage& p = parent.mail.message;
        Scheduled a = answerTo(parent, m_rng.between(kAutoReplyMinMs, kAutoReplyMaxMs));
        MailMessage& m = a.mail.message;
        m.kind = MessageKind::AutoReply;
        m.sender = p.recipients.first();
        m.senderName = correspondentName(account, firstIndex);
        m.subject = u"Automatic reply: "_s + p.subject;
        m.inReplyTo = {p.messageId};
        schedule(std::move(a));
    }

    void bounce(const Scheduled& parent) {
        const MailMessage& p = parent.mail.message;
        Scheduled a = answerTo(parent, m_rng.between(kBounceMinMs, kBounceMaxMs));
        MailMessage& m = a.mail.message;
        m.kind = MessageKind::Bounce;
        m.sender = kMailerDaemon;
        m.senderName = kMailerDaemonName;
        m.subject = u"Undeliverable: "_s + p.subject;
        m.bouncedMessageId = p.messageId;
        m.bouncedRecipients = {p.recipients.first()};
        schedule(std::move(a));
    }

    void schedule(Scheduled&& a) {
        m_pending.push_back(std::move(a));
        std::push_heap(m_pending.begin(), m_pending.end(), laterInHeap);
    }

    QList<SimulatedMail> advanceTo(qint64 nowMs, double sentPerHour) {
        if (!m_started) { // no usable start time: the first call only sets the clock
            m_started = true;
            m_refMs = nowMs;
            return {};
        }
        if (nowMs <= m_refMs) {
            return {};
        }
        const double perHour = sentPerHour > 0 ? std::min(sentPerHour, kMaxSentPerHour) : 0.0;
        const qint64 rate = std::llround(perHour * kRateScale); // units per ms

        std::vector<Scheduled> out;
        // New sent mail. The next message is due once the budget, which grows by `rate` every
        // ms, reaches its cost. Times follow from the last message's time alone (with the rate
        // unchanged), so splitting a span into several calls changes nothing.
        while (rate > 0) {
            const qint64 need = m_nextCost - m_budget;
            const qint64 atMs = need <= 0 ? m_refMs : m_refMs + (need + rate - 1) / rate;
            if (atMs > nowMs) {
                break;
            }
            m_budget += (atMs - m_refMs) * rate - m_nextCost;
            m_refMs = atMs;
            generate(atMs, out);
            m_nextCost = drawCost();
        }
        // Carry the fraction accrued since the last message; less than one message's worth.
        m_budget += (nowMs - m_refMs) * rate;
        m_refMs = nowMs;

        // Answers that came due.
        while (!m_pending.empty() && m_pending.front().atMs <= nowMs) {
            std::pop_heap(m_pending.begin(), m_pending.end(), laterInHeap);
            out.push_back(std::move(m_pending.back()));
            m_pending.pop_back();
        }

        std::sort(out.begin(), out.end(), before);
        QList<SimulatedMail> result;
        result.reserve(static_cast<qsizetype>(out.size()));
        for (auto& s : out) {
            result.append(std::move(s.mail));
        }
        return result;
    }

    SimulatorConfig m_config;
    Rng m_rng;
    int m_accountCount;
    double m_replyRate;
    double m_autoReplyRate;
    double m_bounceRate;
    double m_outOfOrderRate;
    qint64 m_meanReplyDelayMs;
    QStringList m_accountList;

    bool m_started;
    qint64 m_refMs;        // simulated time reached so far; m_budget is measured at this point
    qint64 m_budget = 0;   // units accrued towards the next sent message
    qint64 m_nextCost = 0; // units the next sent message needs
    std::uint64_t m_lastSeq = 0;
    std::vector<Scheduled> m_pending; // min-heap of scheduled answers, by (time, seq)
};

TrafficSimulator::TrafficSimulator(const SimulatorConfig& m_config, const QDateTime& start)
    : d(std::make_unique<Impl>(m_config, start)) {}

TrafficSimulator::~TrafficSimulator() = default;

QList<SimulatedMail> TrafficSimulator::advanceTo(const QDateTime& now, double sentPerHour) {
    if (!now.isValid()) {
        return {};
    }
    return d->advanceTo(now.toMSecsSinceEpoch(), sentPerHour);
}

QStringList TrafficSimulator::accounts() const {
    return d->m_accountList;
}

const SimulatorConfig& TrafficSimulator::config() const {
    return d->m_config;
}

} // namespace trackwatch::core
