-- SPDX-License-Identifier: MIT
-- Tracked-email search (the console's Search page): the account's and the status's emails in
-- the search order (sent_at DESC, then id DESC: the rowid every index ends with).
-- idx_tracked_emails_sent_at (migration 001) serves the searches by time alone. Text parts
-- (LIKE '%part%') are read in time order: SQLite has no trigram index.
CREATE INDEX idx_tracked_emails_search_account ON tracked_emails (email_account_id, sent_at);
CREATE INDEX idx_tracked_emails_search_status ON tracked_emails (tracking_status, sent_at);
