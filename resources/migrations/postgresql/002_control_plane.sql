-- SPDX-License-Identifier: MIT
-- The control plane's state: flag overrides, rollout percentages and the audit log. Every
-- change bumps control_version and sends one NOTIFY trackwatch_control in the same transaction.

CREATE TABLE feature_flag_overrides (
    flag       TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    source     TEXT NOT NULL DEFAULT 'override' CHECK (source IN ('override', 'rollback')),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE rollout_percentages (
    rollout    TEXT PRIMARY KEY,
    percentage INTEGER NOT NULL CHECK (percentage BETWEEN 0 AND 100),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE control_audit (
    id            BIGSERIAL PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_role    TEXT NOT NULL DEFAULT current_user,
    actor_os_user TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    reason        TEXT NOT NULL CHECK (length(trim(reason)) > 0)
);
CREATE INDEX idx_control_audit_target ON control_audit (target, at);
CREATE INDEX idx_control_audit_at ON control_audit (at);

CREATE TABLE control_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO control_version (id, version) VALUES (1, 0);
