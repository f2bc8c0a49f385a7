-- SPDX-License-Identifier: MIT
-- Trackwatch schema, version 1 (SQLite). Timestamps are UTC ISO-8601 text with milliseconds
-- ("2026-11-29T03:39:14.000Z"), which sorts in time order.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email_address TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE tracked_emails (
    id                  INTEGER PRIMARY KEY,
    email_account_id    INTEGER NOT NULL REFERENCES accounts (id),
    internet_message_id TEXT NOT NULL,
    conversation_id     TEXT,
    in_reply_to         TEXT,
    references_ids      TEXT,
    subject             TEXT NOT NULL DEFAULT '',
    subject_normalized  TEXT NOT NULL DEFAULT '',
    sender              TEXT NOT NULL,
    recipients          TEXT NOT NULL DEFAULT '',
    sent_at             TEXT NOT NULL,
    tracking_status     TEXT NOT NULL DEFAULT 'active'
        CHECK (tracking_status IN ('active', 'replied', 'bounced', 'expired', 'stopped')),
    response_count      INTEGER NOT NULL DEFAULT 0,
    reply_message_id    TEXT,
    replied_at          TEXT,
    reply_sender        TEXT,
    match_method        TEXT CHECK (match_method IN ('in_reply_to', 'references', 'conversation')),
    status_changed_at   TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (email_account_id, internet_message_id)
);

CREATE INDEX idx_tracked_emails_account_status_response
    ON tracked_emails (email_account_id, tracking_status, replied_at);
CREATE INDEX idx_tracked_emails_active_tracking
    ON tracked_emails (email_account_id, sent_at DESC) WHERE tracking_status = 'active';
CREATE INDEX idx_tracked_emails_conversation
    ON tracked_emails (email_account_id, conversation_id, sent_at)
    WHERE conversation_id IS NOT NULL;
-- Expiry and the engine-maintained hourly rollup both scan by sent time.
CREATE INDEX idx_tracked_emails_sent_at ON tracked_emails (sent_at);
CREATE INDEX idx_tracked_emails_updated_at ON tracked_emails (updated_at);

-- Inbound replies and bounces that arrived before the message they answer.
CREATE TABLE pending_replies (
    id                 INTEGER PRIMARY KEY,
    email_account_id   INTEGER NOT NULL REFERENCES accounts (id),
    message_id         TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('reply', 'bounce')),
    sender             TEXT NOT NULL,
    received_at        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (email_account_id, message_id, kind)
);

-- Each id a pending message points at, with the method and its rank (lower wins).
CREATE TABLE pending_reply_refs (
    pending_id       INTEGER NOT NULL REFERENCES pending_replies (id) ON DELETE CASCADE,
    email_account_id INTEGER NOT NULL,
    ref_id           TEXT NOT NULL,
    method           TEXT NOT NULL,
    rank             INTEGER NOT NULL,
    PRIMARY KEY (pending_id, method, ref_id)
);
CREATE INDEX idx_pending_reply_refs_lookup ON pending_reply_refs (email_account_id, ref_id);

-- The engine maintains this rollup (PostgreSQL has a materialized view of the same name and
-- columns). email_account_id 0 holds the totals over all accounts.
CREATE TABLE tracked_emails_hourly_metrics (
    email_account_id     INTEGER NOT NULL,
    hour                 TEXT NOT NULL,
    emails_sent          INTEGER NOT NULL,
    emails_replied       INTEGER NOT NULL,
    emails_bounced       INTEGER NOT NULL,
    emails_expired       INTEGER NOT NULL,
    median_reply_seconds REAL,
    p90_reply_seconds    REAL,
    PRIMARY KEY (email_account_id, hour)
);

CREATE TABLE engine_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every inbound message already processed, so ingesting it again changes nothing.
CREATE TABLE inbound_messages (
    email_account_id INTEGER NOT NULL,
    message_id       TEXT NOT NULL,
    PRIMARY KEY (email_account_id, message_id)
);
