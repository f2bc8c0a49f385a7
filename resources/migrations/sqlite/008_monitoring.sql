-- SPDX-License-Identifier: MIT
-- Monitoring history: each engine's dashboard figures every 10 seconds (NULL: no data), and
-- every change of an alert rule's state.

CREATE TABLE metric_snapshots (
    id                      INTEGER PRIMARY KEY,
    engine_id               TEXT NOT NULL,
    taken_at                TEXT NOT NULL,
    emails_per_hour         REAL,
    webhook_jobs_per_minute REAL,
    cache_hit_rate          REAL,
    query_p50_ms            REAL,
    query_p95_ms            REAL,
    query_p99_ms            REAL,
    api_p50_ms              REAL,
    api_p95_ms              REAL,
    api_p99_ms              REAL,
    api_requests_per_second REAL,
    error_rate              REAL,
    queue_depth             REAL,
    cpu_percent             REAL,
    memory_bytes            REAL,
    db_connections_in_use   REAL
);
CREATE INDEX idx_metric_snapshots_taken ON metric_snapshots (taken_at, engine_id);
CREATE INDEX idx_metric_snapshots_engine ON metric_snapshots (engine_id, taken_at);

CREATE TABLE alert_transitions (
    id         INTEGER PRIMARY KEY,
    engine_id  TEXT NOT NULL,
    rule       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    at         TEXT NOT NULL,
    value      REAL,
    summary    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_alert_transitions_at ON alert_transitions (at);
