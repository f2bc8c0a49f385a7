-- SPDX-License-Identifier: MIT
-- Webhook processing: the mailbox store that change notifications point at, and the queue of
-- notifications waiting to be processed. Times are UTC ISO-8601 text with milliseconds, as in
-- the rest of the schema, so text order is time order.

-- What a mail provider holds: one raw RFC 5322 message per (mailbox, resource id). A change
-- notification names only the resource; the processor fetches the message from here.
CREATE TABLE mail_source_messages (
    account     TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('sent', 'inbound')),
    raw         BLOB NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (account, resource_id)
);

-- One row per change notification. States: queued (never tried, requeued, or refused by
-- admission), retry (failed, waiting for its backoff), running (claimed under a lease), done,
-- dead (dead letter, with its reason). attempts counts claims that ran the job; admission
-- refusals give theirs back. processed_count counts completions: it is 1 for every done job
-- unless something ran a job twice.
CREATE TABLE webhook_jobs (
    id               INTEGER PRIMARY KEY,
    notification_id  TEXT UNIQUE,
    account          TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    change_type      TEXT NOT NULL DEFAULT 'created',
    client_state     TEXT,
    subscription_id  TEXT,
    priority         INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'retry', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    processed_count  INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    available_at     TEXT NOT NULL,
    claimed_at       TEXT,
    lease_expires_at TEXT,
    claimed_by       TEXT,
    claim_token      INTEGER,
    finished_at      TEXT,
    last_error       TEXT,
    dead_reason      TEXT
);

-- The seed's index: the priority processor's claim order (highest priority, then oldest) over
-- the waiting jobs only, with available_at at hand to skip jobs still in backoff.
CREATE INDEX idx_webhook_queue_priority ON webhook_jobs (priority DESC, created_at, id, available_at)
    WHERE state IN ('queued', 'retry');
-- The legacy processor's claim order (oldest first, priority ignored).
CREATE INDEX idx_webhook_jobs_fifo ON webhook_jobs (created_at, id, available_at)
    WHERE state IN ('queued', 'retry');
-- Expired leases, found without scanning finished jobs.
CREATE INDEX idx_webhook_jobs_lease ON webhook_jobs (lease_expires_at) WHERE state = 'running';
-- Dead letters, listed and requeued by id.
CREATE INDEX idx_webhook_jobs_dead ON webhook_jobs (id) WHERE state = 'dead';
