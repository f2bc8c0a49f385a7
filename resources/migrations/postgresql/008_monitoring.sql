-- SPDX-License-Identifier: MIT
-- Monitoring history: each engine's dashboard figures every 10 seconds (NULL: no data), and
-- every change of an alert rule's state.

CREATE TABLE metric_snapshots (
    id                      BIGSERIAL PRIMARY KEY,
    engine_id               TEXT NOT NULL,
    taken_at                TIMESTAMPTZ NOT NULL,
    emails_per_hour         DOUBLE PRECISION,
    webhook_jobs_per_minute DOUBLE PRECISION,
    cache_hit_rate          DOUBLE PRECISION,
    query_p50_ms            DOUBLE PRECISION,
    query_p95_ms            DOUBLE PRECISION,
    query_p99_ms            DOUBLE PRECISION,
    api_p50_ms              DOUBLE PRECISION,
    api_p95_ms              DOUBLE PRECISION,
    api_p99_ms              DOUBLE PRECISION,
    api_requests_per_second DOUBLE PRECISION,
    error_rate              DOUBLE PRECISION,
    queue_depth             DOUBLE PRECISION,
    cpu_percent             DOUBLE PRECISION,
    memory_bytes            DOUBLE PRECISION,
    db_connections_in_use   DOUBLE PRECISION
);
CREATE INDEX idx_metric_snapshots_taken ON metric_snapshots (taken_at, engine_id);
CREATE INDEX idx_metric_snapshots_engine ON metric_snapshots (engine_id, taken_at);

CREATE TABLE alert_transitions (
    id         BIGSERIAL PRIMARY KEY,
    engine_id  TEXT NOT NULL,
    rule       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    value      DOUBLE PRECISION,
    summary    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_alert_transitions_at ON alert_transitions (at);
