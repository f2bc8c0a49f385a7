-- SPDX-License-Identifier: MIT
-- Accounts whose tracked emails an engine changed, so every other engine drops their cached
-- query results (PostgreSQL also sends NOTIFY trackwatch_cache). Rows are pruned after minutes.

CREATE TABLE cache_invalidations (
    id        INTEGER PRIMARY KEY,
    account   TEXT NOT NULL,
    engine_id TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX idx_cache_invalidations_at ON cache_invalidations (at);
