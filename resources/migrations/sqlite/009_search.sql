-- SPDX-License-Identifier: MIT
-- Tracked-email search (the console's Search page): an account's emails in the search order
-- (sent_at DESC, then id DESC: the rowid every index ends with). idx_tracked_emails_sent_at
-- (migration 001) serves the searches by time alone and by status (read newest first, the
-- status filtered on the way: a (status, sent_at) index would take the seed's account-and-
-- status query away from idx_tracked_emails_active_tracking, since SQLite plans without
-- statistics). Text parts (LIKE '%part%') are read in time order: SQLite has no trigram index.
CREATE INDEX idx_tracked_emails_search_account ON tracked_emails (email_account_id, sent_at);
