-- SPDX-License-Identifier: MIT
-- Rate limiting. Times are UTC ISO-8601 text with milliseconds, as in the rest of the schema.
--
-- The legacy limiter is a sliding log: every allowed request is a row, and a check counts the
-- key's rows in the active window. On SQLite the check runs in the engine (RateLimitStore),
-- inside one BEGIN IMMEDIATE transaction, with the same steps as PostgreSQL's
-- check_and_record_rate_limit().
CREATE TABLE rate_limit_events (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL,
    operation   TEXT NOT NULL,
    occurred_at TEXT NOT NULL
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
    tat        TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, operation)
);
CREATE INDEX idx_rate_limit_usage_tat ON rate_limit_usage (tat);
