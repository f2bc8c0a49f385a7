-- SPDX-License-Identifier: MIT
-- Rate limiting.
--
-- The legacy limiter is a sliding log: every allowed request is a row, and a check counts the
-- key's rows in the active window (check_and_record_rate_limit below).
CREATE TABLE rate_limit_events (
    id          BIGSERIAL PRIMARY KEY,
    account     TEXT NOT NULL,
    operation   TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
-- The active window of one key is one range of this index (count, oldest row, expired rows).
CREATE INDEX idx_rate_limit_active_window ON rate_limit_events (account, operation, occurred_at);

-- The optimized (in-memory) limiters of every engine share one GCRA state per key: tat, the
-- theoretical arrival time, is when the key has no debt left. Each engine adds what it allowed
-- since its last sync and reads back the keys still in debt (tat in the future). A row whose
-- tat has passed means the same as no row, so pruning it changes nothing.
CREATE TABLE rate_limit_usage (
    account    TEXT NOT NULL,
    operation  TEXT NOT NULL,
    tat        TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, operation)
);
CREATE INDEX idx_rate_limit_usage_tat ON rate_limit_usage (tat);

-- Allows and records one request of (account, operation) when fewer than p_max_requests were
-- recorded in the p_window_seconds before p_now; otherwise says how long until one more fits
-- (retry_after_ms: whole milliseconds, rounded up; 0 when allowed). Deletes the key's expired
-- rows as it goes. Checks of one key are serialized by a transaction-level advisory lock, so
-- concurrent callers never exceed the limit; call it in its own (READ COMMITTED) transaction,
-- so each statement after the lock sees what the previous holder committed.
CREATE FUNCTION check_and_record_rate_limit(
    p_account        TEXT,
    p_operation      TEXT,
    p_max_requests   INTEGER,
    p_window_seconds INTEGER,
    p_now            TIMESTAMPTZ DEFAULT now())
RETURNS TABLE (allowed BOOLEAN, remaining INTEGER, retry_after_ms BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    window_start TIMESTAMPTZ;
    used         INTEGER;
    frees_at     TIMESTAMPTZ;
BEGIN
    IF p_account IS NULL OR p_operation IS NULL OR p_now IS NULL THEN
        RAISE EXCEPTION 'account, operation and now must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_max_requests IS NULL OR p_max_requests < 1
       OR p_window_seconds IS NULL OR p_window_seconds < 1 THEN
        RAISE EXCEPTION 'max_requests and window_seconds must be positive, got % and %',
            p_max_requests, p_window_seconds USING ERRCODE = '22023';
    END IF;
    -- Two int4 keys: a namespace of our own (the migrator's single bigint key cannot collide
    -- with it) and the key. A hash collision only makes two keys wait for each other.
    PERFORM pg_advisory_xact_lock(hashtext('trackwatch.rate_limit'),
                                  hashtext(p_account || chr(31) || p_operation));
    window_start := p_now - make_interval(secs => p_window_seconds);
    -- A row exactly one window old has left the window.
    DELETE FROM rate_limit_events e
    WHERE e.account = p_account AND e.operation = p_operation AND e.occurred_at <= window_start;
    SELECT count(*) INTO used
    FROM rate_limit_events e
    WHERE e.account = p_account AND e.operation = p_operation AND e.occurred_at > window_start;
    IF used < p_max_requests THEN
        INSERT INTO rate_limit_events (account, operation, occurred_at)
        VALUES (p_account, p_operation, p_now);
        RETURN QUERY SELECT TRUE, p_max_requests - used - 1, 0::BIGINT;
        RETURN;
    END IF;
    -- One more request fits when the (used - max + 1)-th oldest row leaves the window.
    SELECT e.occurred_at + make_interval(secs => p_window_seconds) INTO frees_at
    FROM rate_limit_events e
    WHERE e.account = p_account AND e.operation = p_operation AND e.occurred_at > window_start
    ORDER BY e.occurred_at
    OFFSET used - p_max_requests LIMIT 1;
    RETURN QUERY SELECT FALSE, 0,
        GREATEST(1, ceil(extract(epoch FROM frees_at - p_now) * 1000))::BIGINT;
END;
$$;
