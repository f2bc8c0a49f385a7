-- SPDX-License-Identifier: MIT
-- Rollbacks with the flag values they replaced (so a roll-forward restores them exactly), the
-- engines that share this database with their heartbeat, the control version they have applied
-- and their health, and each engine's own circuit breaker states.

CREATE TABLE control_rollbacks (
    id                BIGSERIAL PRIMARY KEY,
    rolled_back_at    TIMESTAMPTZ NOT NULL,
    rolled_back_by    TEXT NOT NULL,
    reason            TEXT NOT NULL,
    control_version   BIGINT NOT NULL,
    rolled_forward_at TIMESTAMPTZ,
    rolled_forward_by TEXT,
    forward_reason    TEXT
);
-- At most one rollback is in force at a time.
CREATE UNIQUE INDEX idx_control_rollbacks_active ON control_rollbacks ((TRUE))
    WHERE rolled_forward_at IS NULL;

CREATE TABLE control_rollback_flags (
    rollback_id  BIGINT NOT NULL REFERENCES control_rollbacks (id) ON DELETE CASCADE,
    flag         TEXT NOT NULL,
    had_override BOOLEAN NOT NULL,
    enabled      BOOLEAN,
    source       TEXT,
    updated_at   TIMESTAMPTZ,
    updated_by   TEXT,
    PRIMARY KEY (rollback_id, flag)
);

CREATE TABLE engine_instances (
    id              TEXT PRIMARY KEY,
    host            TEXT NOT NULL,
    pid             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    heartbeat_at    TIMESTAMPTZ NOT NULL,
    stopped_at      TIMESTAMPTZ,
    control_version BIGINT NOT NULL DEFAULT 0,
    applied_at      TIMESTAMPTZ,
    health          TEXT NOT NULL DEFAULT 'healthy'
        CHECK (health IN ('healthy', 'degraded', 'unhealthy')),
    health_reasons  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_engine_instances_heartbeat ON engine_instances (heartbeat_at);

CREATE TABLE engine_breakers (
    engine_id            TEXT NOT NULL REFERENCES engine_instances (id) ON DELETE CASCADE,
    operation            TEXT NOT NULL,
    state                TEXT NOT NULL,
    since                TIMESTAMPTZ NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    window_calls         INTEGER NOT NULL DEFAULT 0,
    window_failures      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (engine_id, operation)
);
