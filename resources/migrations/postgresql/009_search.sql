-- SPDX-License-Identifier: MIT
-- Tracked-email search (the console's Search page): every filter combination's first page in
-- the search order (sent_at DESC, id DESC) from an index.
--
-- Time, account and status, each with the search order behind it, so a page is one index range
-- read until the page is full (the cursor (sent_at, id) < (?, ?) continues the same range).
CREATE INDEX idx_tracked_emails_search_sent ON tracked_emails (sent_at DESC, id DESC);
CREATE INDEX idx_tracked_emails_search_account
    ON tracked_emails (email_account_id, sent_at DESC, id DESC);
CREATE INDEX idx_tracked_emails_search_status
    ON tracked_emails (tracking_status, sent_at DESC, id DESC);

-- Parts of a subject, a recipient or a sender (ILIKE '%part%'): a trigram index, so a rare
-- part is found without reading the table in time order. pg_trgm is a trusted extension (any
-- role with CREATE on the database may install it); where it cannot be installed, search
-- still works and reads in time order.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): text search reads in time order', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX idx_tracked_emails_search_text ON tracked_emails '
                'USING gin (subject gin_trgm_ops, recipients gin_trgm_ops, sender gin_trgm_ops)';
    END IF;
END;
$$;

-- Senders are few (a mailbox's own addresses): with every one of them in the column's
-- statistics the planner knows a sender's share of the rows, and reads a common sender in time
-- order (a few thousand rows for a page) instead of fetching all its rows to sort them.
ALTER TABLE tracked_emails ALTER COLUMN sender SET STATISTICS 1000;
