-- SPDX-License-Identifier: MIT
-- Retention (core/storage/retention.cpp) purges by age: inbound_messages gets the time each
-- message was first seen (rows already there count as seen now), and each purge rule gets an
-- index on the age it reads, so a batch finds its rows without scanning the table.
ALTER TABLE inbound_messages ADD COLUMN seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX idx_inbound_messages_seen ON inbound_messages (seen_at);

CREATE INDEX idx_tracked_emails_retention ON tracked_emails (COALESCE(status_changed_at, updated_at))
    WHERE tracking_status <> 'active';
CREATE INDEX idx_webhook_jobs_finished ON webhook_jobs (finished_at) WHERE state IN ('done', 'dead');
CREATE INDEX idx_pending_replies_received ON pending_replies (received_at);
CREATE INDEX idx_mail_source_messages_stored ON mail_source_messages (stored_at);
CREATE INDEX idx_webhook_jobs_resource ON webhook_jobs (account, resource_id)
    WHERE state IN ('queued', 'retry', 'running');
