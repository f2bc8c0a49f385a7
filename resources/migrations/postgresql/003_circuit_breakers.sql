-- SPDX-License-Identifier: MIT
-- Circuit breaker states shared by every engine, and every transition with its cause.

CREATE TABLE circuit_breakers (
    operation  TEXT PRIMARY KEY,
    state      TEXT NOT NULL
        CHECK (state IN ('closed', 'open', 'half_open', 'forced_open', 'disabled')),
    reason     TEXT NOT NULL DEFAULT '',
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL
);

CREATE TABLE breaker_transitions (
    id                   BIGSERIAL PRIMARY KEY,
    operation            TEXT NOT NULL,
    at                   TIMESTAMPTZ NOT NULL,
    from_state           TEXT NOT NULL,
    to_state             TEXT NOT NULL,
    cause                TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    window_calls         INTEGER NOT NULL DEFAULT 0,
    window_failures      INTEGER NOT NULL DEFAULT 0,
    recorded_by          TEXT NOT NULL
);
CREATE INDEX idx_breaker_transitions_operation ON breaker_transitions (operation, at);
