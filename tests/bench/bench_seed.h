// SPDX-License-Identifier: MIT
#pragma once
// The benchmarks' shared PostgreSQL data set: kBenchAccounts accounts
// (account-N@company.example) and `rows` tracked emails over 90 days, the last 30 days holding
// the active ones (60 % of them), the rest replied, bounced or expired; analysed, and the
// hourly view refreshed. One statement each, so a million rows take seconds.
#include "storage/database.h"

#include <QString>

namespace trackwatch::bench {

inline constexpr int kBenchAccounts = 200;

inline QString benchAccount(int n) {
    return QStringLiteral("account-%1@company.example").arg(n);
}

inline bool fillTrackedEmails(core::Database& db, int rows) {
    using namespace Qt::StringLiterals;
    return db.exec(u"INSERT INTO accounts (email_address) SELECT 'account-' || g || "
                   u"'@company.example' FROM generate_series(1, %1) g"_s.arg(kBenchAccounts))
               .ok() &&
           db.exec(
                 u"INSERT INTO tracked_emails (email_account_id, internet_message_id, "
                 u"conversation_id, subject, subject_normalized, sender, recipients, sent_at, "
                 u"tracking_status, replied_at, match_method, created_at, updated_at) "
                 u"SELECT a, 'm-' || g || '@company.example', md5(g::text), 'Offer ' || g, "
                 u"'Offer ' || g, 'account-' || a || '@company.example', "
                 u"'client@customer.example', s, st, CASE WHEN st = 'replied' THEN s + (g % "
                 u"20000) * interval '1 second' END, CASE WHEN st = 'replied' THEN "
                 u"'in_reply_to' END, s, s FROM (SELECT g, 1 + g % %2 AS a, now() - (g % "
                 u"7776000) * interval '1 second' AS s, CASE WHEN g % 7776000 < 2592000 AND g "
                 u"% 10 < 6 THEN 'active' WHEN g % 10 < 8 THEN 'replied' WHEN g % 10 < 9 THEN "
                 u"'bounced' ELSE 'expired' END AS st FROM generate_series(1, %1) g) x"_s.arg(rows)
                     .arg(kBenchAccounts))
               .ok() &&
           db.exec(u"ANALYZE tracked_emails"_s).ok() &&
           db.exec(u"SELECT refresh_analytics_views()"_s).ok();
}

} // namespace trackwatch::bench
