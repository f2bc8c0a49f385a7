// SPDX-License-Identifier: MIT
#include "tracking/ingestion_engine.h"

#include "common/logging.h"
#include "storage/database.h"
#include "tracking/mail_parser.h"

#include <QSet>

#include <optional>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

enum class Role { Sent, Reply, AutoReply, Bounce };

Role roleOf(const Delivery& d) {
    if (d.message.kind == MessageKind::Bounce) {
        return Role::Bounce;
    }
    if (d.message.kind == MessageKind::AutoReply) {
        return Role::AutoReply;
    }
    return d.message.sender.compare(d.account, Qt::CaseInsensitive) == 0 ? Role::Sent : Role::Reply;
}

QString conversationKey(const QString& conversationId) {
    return u"conv:"_s + conversationId;
}

constexpr int kReferencesRank = 100;
constexpr int kConversationRank = 1000;

// The ids a reply points at, strongest first, with method and rank.
QList<QPair<QString, QPair<MatchMethod, int>>> replyRefs(const MailMessage& m) {
    QList<QPair<QString, QPair<MatchMethod, int>>> refs;
    int rank = 0;
    for (const QString& id : m.inReplyTo) {
        refs.append({id, {MatchMethod::InReplyTo, rank++}});
    }
    rank = kReferencesRank;
    for (auto it = m.references.crbegin(); it != m.references.crend(); ++it) {
        refs.append({*it, {MatchMethod::References, rank++}});
    }
    if (!m.conversationId.isEmpty()) {
        refs.append(
            {conversationKey(m.conversationId), {MatchMethod::Conversation, kConversationRank}});
    }
    return refs;
}

// The newest tracked email of a conversation sent no later than the reply.
const TrackedRef* conversationTarget(const QList<TrackedRef>& newestFirst,
                                     const QDateTime& replyTime) {
    for (const TrackedRef& ref : newestFirst) {
        if (!replyTime.isValid() || ref.sentAt <= replyTime) {
            return &ref;
        }
    }
    return nullptr;
}

// The deliveries with every id as storage holds it (MailParser::storageId), lists without the
// duplicates that bounding may make. Parsed mail is in that form already; this covers the
// other sources. Shares the input when nothing changes.
QList<Delivery> inStorageForm(const QList<Delivery>& deliveries) {
    const auto needs = [](const MailMessage& m) {
        const auto tooLong = [](const QString& id) { return id.size() > MailParser::kMaxIdLength; };
        return tooLong(m.messageId) || tooLong(m.conversationId) || tooLong(m.bouncedMessageId) ||
               std::any_of(m.inReplyTo.cbegin(), m.inReplyTo.cend(), tooLong) ||
               std::any_of(m.references.cbegin(), m.references.cend(), tooLong);
    };
    if (std::none_of(deliveries.cbegin(), deliveries.cend(),
                     [&](const Delivery& d) { return needs(d.message); })) {
        return deliveries;
    }
    QList<Delivery> out = deliveries;
    for (Delivery& d : out) {
        if (!needs(d.message)) {
            continue;
        }
        MailMessage& m = d.message;
        m.messageId = MailParser::storageId(m.messageId);
        m.conversationId = MailParser::storageId(m.conversationId);
        m.bouncedMessageId = MailParser::storageId(m.bouncedMessageId);
        for (QStringList* ids : {&m.inReplyTo, &m.references}) {
            for (QString& id : *ids) {
                id = MailParser::storageId(id);
            }
            ids->removeDuplicates();
        }
    }
    return out;
}

// Errors that pass by themselves: the same statement may well succeed in a moment.
bool isPassingConflict(const Error& error) {
    static const QStringList markers = {u"database is locked"_s,  u"database table is locked"_s,
                                        u"database is busy"_s,    u"deadlock detected"_s,
                                        u"could not serialize"_s, u"lock timeout"_s,
                                        u"statement timeout"_s};
    return std::any_of(markers.cbegin(), markers.cend(), [&](const QString& marker) {
        return error.message.contains(marker, Qt::CaseInsensitive);
    });
}

} // namespace

IngestionStats& IngestionStats::operator+=(const IngestionStats& o) {
    read += o.read;
    stored += o.stored;
    duplicates += o.duplicates;
    repliesMatched += o.repliesMatched;
    repliesPending += o.repliesPending;
    repliesUnmatched += o.repliesUnmatched;
    autoReplies += o.autoReplies;
    bouncesMatched += o.bouncesMatched;
    bouncesPending += o.bouncesPending;
    lateReplies += o.lateReplies;
    lateBounces += o.lateBounces;
    skipped += o.skipped;
    for (const QString& reason : o.skipReasons) {
        if (skipReasons.size() >= kMaxSkipReasons) {
            break;
        }
        skipReasons << reason;
    }
    return *this;
}

IngestionEngine::IngestionEngine(Database& db, const Clock& clock, IngestionOptions options)
    : m_db(db)
    , m_clock(clock)
    , m_options(options)
    , m_repo(db) {}

Result<qint64> IngestionEngine::accountId(const QString& address) {
    if (auto it = m_accounts.constFind(address); it != m_accounts.cend()) {
        return *it;
    }
    if (auto it = m_pendingAccounts.constFind(address); it != m_pendingAccounts.cend()) {
        return *it;
    }
    auto id = m_repo.ensureAccount(address);
    if (id) {
        m_pendingAccounts.insert(address, *id);
    }
    return id;
}

Result<IngestionStats> IngestionEngine::ingestOnPath(bool batchPath, const QList<Delivery>& input,
                                                     IngestionStats* done) {
    const QList<Delivery> deliveries = inStorageForm(input);
    IngestionStats total;
    auto finish = [&](Result<IngestionStats> r) {
        if (done) {
            *done = total;
        }
        return r;
    };
    // Batch path: batchSize deliveries per transaction. Legacy path: one delivery per
    // transaction, row at a time; a delivery is stored whole or not at all, so retrying after
    // a failure never finds half of it (its inbound id recorded, its reply not applied).
    const qsizetype size = batchPath ? std::max(1, m_options.batchSize) : 1;
    for (qsizetype start = 0; start < deliveries.size(); start += size) {
        const QList<Delivery> chunk = deliveries.mid(start, size);
        auto r = ingestChunk(batchPath, chunk);
        if (r) {
            total += *r;
            continue;
        }
        if (!m_options.skipBadMessages || !isMessageFault(r.error())) {
            return finish(r.error());
        }
        // Some delivery of the chunk is bad: each one alone, in its own transaction, so the
        // good ones land and the bad ones are found.
        for (const Delivery& d : chunk) {
            auto one = ingestChunk(batchPath, {d});
            if (one) {
                total += *one;
                continue;
            }
            if (!isMessageFault(one.error())) {
                return finish(one.error());
            }
            const QString reason =
                u"message <%1>: %2"_s.arg(d.message.messageId.left(200), one.error().message);
            logging::get("core.ingest")
                ->warn("skipped a message that cannot be stored: {}", reason.toStdString());
            ++total.read;
            ++total.skipped;
            if (total.skipReasons.size() < IngestionStats::kMaxSkipReasons) {
                total.skipReasons << reason;
            }
        }
    }
    return finish(total);
}

Result<IngestionStats> IngestionEngine::ingestChunk(bool batchPath, const QList<Delivery>& chunk) {
    IngestionStats stats;
    m_pendingAccounts.clear();
    const Status s = m_db.transaction([&]() -> Status {
        auto r = batchPath ? ingestBatch(chunk) : ingestOne(chunk.first());
        if (!r) {
            return r.error();
        }
        stats = *r;
        return {};
    });
    if (!s) {
        m_pendingAccounts.clear(); // rolled back with the transaction
        return s.error();
    }
    m_accounts.insert(m_pendingAccounts); // the accounts created in it now exist
    m_pendingAccounts.clear();
    return stats;
}

// Whether a failure may be blamed on the messages at hand rather than on the database: a value
// refused before it reached SQL, or any other error while the connection still answers, unless
// it is a conflict that passes by itself. Keeping it this simple errs on the side of retrying:
// a message is skipped only after it failed alone, right after a working ping.
bool IngestionEngine::isMessageFault(const Error& error) {
    if (error.code == ErrorCode::InvalidArgument) {
        return true;
    }
    return !isPassingConflict(error) && m_db.ping();
}

Result<IngestionStats> IngestionEngine::ingestBatch(const QList<Delivery>& batch) {
    // A handful of set-based statements for the whole batch, whatever the number of accounts.
    IngestionStats stats;
    stats.read = batch.size();
    QList<Item> sent;
    QList<Item> inbound; // replies, bounces and auto-replies, in order
    QList<MailboxKey> inboundKeys;
    for (const Delivery& d : batch) {
        auto id = accountId(d.account.toLower());
        if (!id) {
            return id.error();
        }
        if (roleOf(d) == Role::Sent) {
            sent.append({*id, &d.message});
        } else {
            inbound.append({*id, &d.message});
            inboundKeys.append({*id, d.message.messageId});
        }
    }

    // Inbound idempotency first: anything seen before is a duplicate.
    auto fresh = m_repo.recordInbound(inboundKeys);
    if (!fresh) {
        return fresh.error();
    }
    QList<Item> toMatch;
    for (const Item& item : inbound) {
        if (!fresh->remove({item.first, item.second->messageId})) {
            ++stats.duplicates;
        } else if (item.second->kind == MessageKind::AutoReply) {
            ++stats.autoReplies;
        } else {
            toMatch.append(item);
        }
    }

    std::optional<QSet<MailboxKey>> awaited;
    auto inserted = m_repo.insertSent(sent, m_clock.now(), &awaited);
    if (!inserted) {
        return inserted.error();
    }
    stats.stored += inserted->size();
    stats.duplicates += sent.size() - inserted->size();
    QList<Item> landed; // new rows that a pending reply or bounce may be waiting for
    for (const Item& item : sent) {
        const MailboxKey key{item.first, item.second->messageId};
        if (inserted->contains(key) && (!awaited || awaited->contains(key))) {
            landed.append(item);
        }
    }
    // Sent mail first, so replies in the same batch find their parents.
    if (const Status s = resolvePending(landed, stats); !s) {
        return s.error();
    }
    if (const Status s = matchInbound(toMatch, stats); !s) {
        return s.error();
    }
    return stats;
}

Result<IngestionStats> IngestionEngine::ingestOne(const Delivery& d) {
    IngestionStats stats;
    stats.read = 1;
    auto id = accountId(d.account.toLower());
    if (!id) {
        return id.error();
    }
    const Role role = roleOf(d);
    if (role == Role::Sent) {
        auto exists = m_repo.trackedExists(*id, d.message.messageId);
        if (!exists) {
            return exists.error();
        }
        if (*exists) {
            ++stats.duplicates;
            return stats;
        }
        auto inserted = m_repo.insertSent({{*id, &d.message}}, m_clock.now());
        if (!inserted) {
            return inserted.error();
        }
        if (inserted->isEmpty()) {
            ++stats.duplicates; // another engine stored it between our check and insert
            return stats;
        }
        ++stats.stored;
        if (const Status s = resolvePending({{*id, &d.message}}, stats); !s) {
            return s.error();
        }
        return stats;
    }
    auto fresh = m_repo.recordInbound({{*id, d.message.messageId}});
    if (!fresh) {
        return fresh.error();
    }
    if (fresh->isEmpty()) {
        ++stats.duplicates;
    } else if (role == Role::AutoReply) {
        ++stats.autoReplies;
    } else if (const Status s = matchInbound({{*id, &d.message}}, stats); !s) {
        return s.error();
    }
    return stats;
}

Status IngestionEngine::matchInbound(const QList<Item>& inbound, IngestionStats& stats) {
    if (inbound.isEmpty()) {
        return {};
    }
    QSet<qint64> accountSet;
    QStringList ids;
    QStringList conversations;
    for (const auto& [account, m] : inbound) {
        accountSet.insert(account);
        if (m->kind == MessageKind::Bounce) {
            if (!m->bouncedMessageId.isEmpty()) {
                ids << m->bouncedMessageId;
            }
            continue;
        }
        ids << m->inReplyTo << m->references;
        if (!m->conversationId.isEmpty()) {
            conversations << m->conversationId;
        }
    }
    const QList<qint64> accounts = accountSet.values();
    ids.removeDuplicates();
    conversations.removeDuplicates();
    auto byId = m_repo.findByMessageIds(accounts, ids);
    if (!byId) {
        return byId.error();
    }
    auto byConversationList = m_repo.findByConversations(accounts, conversations);
    if (!byConversationList) {
        return byConversationList.error();
    }
    QHash<MailboxKey, QList<TrackedRef>> byConversation;
    for (const TrackedRef& ref : *byConversationList) {
        byConversation[{ref.accountId, ref.conversationId}].append(ref);
    }

    const QDateTime now = m_clock.now();
    for (const auto& [account, m] : inbound) {
        if (m->kind == MessageKind::Bounce) {
            if (auto it = byId->constFind({account, m->bouncedMessageId}); it != byId->cend()) {
                if (auto r = m_repo.applyBounce(it->id, now); !r) {
                    return r.error();
                }
                ++stats.bouncesMatched;
            } else if (!m->bouncedMessageId.isEmpty()) {
                if (const Status s = m_repo.addPending(
                        account, u"bounce"_s, *m,
                        {{m->bouncedMessageId, {MatchMethod::InReplyTo, 0}}}, now);
                    !s) {
                    return s;
                }
                ++stats.bouncesPending;
            } else {
                ++stats.repliesUnmatched;
            }
            continue;
        }
        const auto refs = replyRefs(*m);
        std::optional<TrackedRef> target;
        MatchMethod method = MatchMethod::InReplyTo;
        for (const auto& [refId, how] : refs) {
            if (how.first == MatchMethod::Conversation) {
                const auto& candidates = byConversation[{account, m->conversationId}];
                if (const TrackedRef* t = conversationTarget(candidates, m->sentAt)) {
                    target = *t;
                    method = how.first;
                }
                break;
            }
            if (auto it = byId->constFind({account, refId}); it != byId->cend()) {
                target = *it;
                method = how.first;
                break;
            }
        }
        if (target) {
            if (auto r = m_repo.applyReply(target->id, *m, method, now); !r) {
                return r.error();
            }
            ++stats.repliesMatched;
        } else if (!refs.isEmpty()) {
            if (const Status s = m_repo.addPending(account, u"reply"_s, *m, refs, now); !s) {
                return s;
            }
            ++stats.repliesPending;
        } else {
            ++stats.repliesUnmatched;
        }
    }
    return {};
}

Status IngestionEngine::resolvePending(const QList<Item>& landed, IngestionStats& stats) {
    if (landed.isEmpty()) {
        return {};
    }
    QList<qint64> accounts;
    QStringList keys;
    QHash<MailboxKey, const MailMessage*> byId;
    QHash<MailboxKey, QList<const MailMessage*>> byConversation;
    for (const auto& [account, m] : landed) {
        if (!accounts.contains(account)) {
            accounts << account;
        }
        keys << m->messageId;
        byId.insert({account, m->messageId}, m);
        if (!m->conversationId.isEmpty()) {
            keys << conversationKey(m->conversationId);
            byConversation[{account, conversationKey(m->conversationId)}].append(m);
        }
    }
    keys.removeDuplicates();
    auto pending = m_repo.pendingFor(accounts, keys);
    if (!pending) {
        return pending.error();
    }
    if (pending->isEmpty()) {
        return {};
    }
    // Rows come ordered by pending id, then rank: the first usable row of each pending
    // message is its best match.
    struct Match {
        PendingRef ref;
        QString targetMessageId;
    };
    QList<Match> matches;
    QSet<qint64> handled;
    QStringList targetIds;
    for (const PendingRef& ref : *pending) {
        if (handled.contains(ref.pendingId)) {
            continue;
        }
        const MailMessage* target = nullptr;
        const MailboxKey key{ref.accountId, ref.refId};
        if (ref.method == MatchMethod::Conversation) {
            for (const MailMessage* m : byConversation.value(key)) {
                if ((!ref.receivedAt.isValid() || m->sentAt <= ref.receivedAt) &&
                    (!target || m->sentAt > target->sentAt)) {
                    target = m;
                }
            }
        } else {
            target = byId.value(key);
        }
        if (!target) {
            continue;
        }
        handled.insert(ref.pendingId);
        matches.append({ref, target->messageId});
        targetIds << target->messageId;
    }
    if (matches.isEmpty()) {
        return {};
    }
    auto rows = m_repo.findByMessageIds(accounts, targetIds);
    if (!rows) {
        return rows.error();
    }
    const QDateTime now = m_clock.now();
    QList<qint64> resolved;
    for (const Match& match : matches) {
        const auto it = rows->constFind({match.ref.accountId, match.targetMessageId});
        if (it == rows->cend()) {
            continue;
        }
        if (match.ref.kind == u"bounce") {
            if (auto r = m_repo.applyBounce(it->id, now); !r) {
                return r.error();
            }
        } else {
            MailMessage reply;
            reply.messageId = match.ref.messageId;
            reply.sender = match.ref.sender;
            reply.sentAt = match.ref.receivedAt;
            if (auto r = m_repo.applyReply(it->id, reply, match.ref.method, now); !r) {
                return r.error();
            }
        }
        ++(match.ref.kind == u"bounce" ? stats.lateBounces : stats.lateReplies);
        resolved << match.ref.pendingId;
    }
    return m_repo.deletePending(resolved);
}

Result<qint64> IngestionEngine::resolveStrandedPending() {
    IngestionStats stats;
    const Status s = m_db.transaction([&]() -> Status {
        auto awaited = m_repo.awaitedTracked();
        if (!awaited) {
            return awaited.error();
        }
        QList<Item> landed;
        for (const auto& [account, message] : *awaited) {
            landed.append({account, &message});
        }
        return resolvePending(landed, stats);
    });
    if (!s) {
        return s.error();
    }
    return stats.lateReplies + stats.lateBounces;
}

Result<qint64> IngestionEngine::expireOverdue() {
    const QDateTime now = m_clock.now();
    auto expired = m_repo.expire(now.addDays(-m_options.trackingDays), now);
    if (expired && *expired > 0) {
        logging::get("core.ingest")
            ->info("expired {} tracked emails older than {} days", *expired,
                   m_options.trackingDays);
    }
    return expired;
}

} // namespace trackwatch::core
