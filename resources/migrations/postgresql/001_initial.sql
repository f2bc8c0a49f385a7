-- SPDX-License-Identifier: MIT
-- Trackwatch schema, version 1 (PostgreSQL).

CREATE TABLE accounts (
    id            BIGSERIAL PRIMARY KEY,
    email_address TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tracked_emails (
    id                  BIGSERIAL PRIMARY KEY,
    email_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    internet_message_id TEXT NOT NULL,
    conversation_id     TEXT,
    in_reply_to         TEXT,
    references_ids      TEXT,
    subject             TEXT NOT NULL DEFAULT '',
    subject_normalized  TEXT NOT NULL DEFAULT '',
    sender              TEXT NOT NULL,
    recipients          TEXT NOT NULL DEFAULT '',
    sent_at             TIMESTAMPTZ NOT NULL,
    tracking_status     TEXT NOT NULL DEFAULT 'active'
        CHECK (tracking_status IN ('active', 'replied', 'bounced', 'expired', 'stopped')),
    response_count      INTEGER NOT NULL DEFAULT 0,
    reply_message_id    TEXT,
    replied_at          TIMESTAMPTZ,
    reply_sender        TEXT,
    match_method        TEXT CHECK (match_method IN ('in_reply_to', 'references', 'conversation')),
    status_changed_at   TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (email_account_id, internet_message_id)
);

-- The seed's indexes: primary filtering, and the dashboard's active-tracking query.
CREATE INDEX idx_tracked_emails_account_status_response
    ON tracked_emails (email_account_id, tracking_status, replied_at DESC);
CREATE INDEX idx_tracked_emails_active_tracking
    ON tracked_emails (email_account_id, sent_at DESC) WHERE tracking_status = 'active';
CREATE INDEX idx_tracked_emails_conversation
    ON tracked_emails (email_account_id, conversation_id, sent_at DESC)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX idx_tracked_emails_expiry ON tracked_emails (sent_at) WHERE tracking_status = 'active';

CREATE TABLE pending_replies (
    id               BIGSERIAL PRIMARY KEY,
    email_account_id BIGINT NOT NULL REFERENCES accounts (id),
    message_id       TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('reply', 'bounce')),
    sender           TEXT NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (email_account_id, message_id, kind)
);

CREATE TABLE pending_reply_refs (
    pending_id       BIGINT NOT NULL REFERENCES pending_replies (id) ON DELETE CASCADE,
    email_account_id BIGINT NOT NULL,
    ref_id           TEXT NOT NULL,
    method           TEXT NOT NULL,
    rank             INTEGER NOT NULL,
    PRIMARY KEY (pending_id, method, ref_id)
);
CREATE INDEX idx_pending_reply_refs_lookup ON pending_reply_refs (email_account_id, ref_id);

-- Every inbound message already processed, so ingesting it again changes nothing.
CREATE TABLE inbound_messages (
    email_account_id BIGINT NOT NULL,
    message_id       TEXT NOT NULL,
    PRIMARY KEY (email_account_id, message_id)
);

CREATE TABLE engine_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Hourly rollups by sent hour (UTC hours, whatever the session's time zone), per account and
-- (email_account_id 0) over all accounts.
CREATE MATERIALIZED VIEW tracked_emails_hourly_metrics AS
SELECT COALESCE(email_account_id, 0)                              AS email_account_id,
       date_trunc('hour', sent_at, 'UTC')                                AS hour,
       count(*)                                                   AS emails_sent,
       count(*) FILTER (WHERE tracking_status = 'replied')        AS emails_replied,
       count(*) FILTER (WHERE tracking_status = 'bounced')        AS emails_bounced,
       count(*) FILTER (WHERE tracking_status = 'expired')        AS emails_expired,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - sent_at))
           FILTER (WHERE replied_at IS NOT NULL)                  AS median_reply_seconds,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - sent_at))
           FILTER (WHERE replied_at IS NOT NULL)                  AS p90_reply_seconds
FROM tracked_emails
GROUP BY GROUPING SETS ((email_account_id, date_trunc('hour', sent_at, 'UTC')),
                        (date_trunc('hour', sent_at, 'UTC')));

CREATE UNIQUE INDEX idx_tracked_emails_hourly_metrics_key
    ON tracked_emails_hourly_metrics (email_account_id, hour);

CREATE FUNCTION refresh_analytics_views() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY tracked_emails_hourly_metrics;
END;
$$;

-- One page of an account's tracked emails, newest first, keyset-paged by (sent_at, id).
-- Builds only the predicates it is given, so every call plans against the right index.
CREATE FUNCTION get_tracked_emails_optimized(
    p_account_id     BIGINT,
    p_status         TEXT DEFAULT NULL,
    p_since          TIMESTAMPTZ DEFAULT NULL,
    p_limit          INTEGER DEFAULT 20,
    p_before_sent_at TIMESTAMPTZ DEFAULT NULL,
    p_before_id      BIGINT DEFAULT NULL)
RETURNS SETOF tracked_emails
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q TEXT := 'SELECT * FROM tracked_emails WHERE email_account_id = $1';
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'p_limit must be between 1 and 1000, got %', p_limit
            USING ERRCODE = '22023';
    END IF;
    IF p_status IS NOT NULL THEN
        q := q || ' AND tracking_status = $2';
    END IF;
    IF p_since IS NOT NULL THEN
        q := q || ' AND sent_at >= $3';
    END IF;
    IF p_before_sent_at IS NOT NULL THEN
        q := q || ' AND (sent_at, id) < ($4, COALESCE($5, 9223372036854775807))';
    END IF;
    q := q || ' ORDER BY sent_at DESC, id DESC LIMIT $6';
    RETURN QUERY EXECUTE q USING p_account_id, p_status, p_since, p_before_sent_at, p_before_id,
                                 p_limit;
END;
$$;

-- Totals and reply times for one account (or all, when p_account_id is NULL) over a time
-- range, read from the hourly rollup.
CREATE FUNCTION get_tracking_analytics(
    p_account_id BIGINT,
    p_since      TIMESTAMPTZ,
    p_until      TIMESTAMPTZ DEFAULT now())
RETURNS TABLE (
    hour                 TIMESTAMPTZ,
    emails_sent          BIGINT,
    emails_replied       BIGINT,
    emails_bounced       BIGINT,
    emails_expired       BIGINT,
    reply_rate           DOUBLE PRECISION,
    median_reply_seconds DOUBLE PRECISION,
    p90_reply_seconds    DOUBLE PRECISION)
LANGUAGE sql STABLE AS $$
    SELECT m.hour, m.emails_sent, m.emails_replied, m.emails_bounced, m.emails_expired,
           CASE WHEN m.emails_sent > 0
                THEN m.emails_replied::double precision / m.emails_sent END,
           m.median_reply_seconds, m.p90_reply_seconds
    FROM tracked_emails_hourly_metrics m
    WHERE m.email_account_id = COALESCE(p_account_id, 0)
      AND m.hour >= date_trunc('hour', p_since, 'UTC')
      AND m.hour < p_until
    ORDER BY m.hour;
$$;
